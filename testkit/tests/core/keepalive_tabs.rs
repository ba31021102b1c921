//! Issue 14, items 1 and 2: one keepalive for every tab, and the server's
//! deadlines when they are earlier than ours.

use wasm_session::core::*;
use wasm_session_testkit::sim::*;

/// Cookie tabs with a keepalive every `every` ms; messages take up to 30 ms.
fn cookie_tabs(tabs: usize, every: u64) -> Sim {
    let mut config = test_config();
    config.keepalive_every_ms = Some(every);
    let knobs = Knobs { message_latency: Delay { min: 1, max: 30 }, ..Knobs::default() };
    let mut sim = Sim::cookie(tabs, config, knobs);
    sim.login_cookie(0, 60);
    sim.pump();
    sim
}

#[test]
fn three_tabs_with_activity_hopping_between_them_send_one_keepalive_per_interval() {
    let every = 2 * SEC;
    let mut sim = cookie_tabs(3, every);
    let start = sim.now;
    for second in 0..60 {
        sim.advance(SEC);
        sim.activity(second % 3); // the user moves to the next tab every second
    }
    let duration = sim.now - start;
    let sent = sim.server.keepalives.clone();
    let most = duration.div_ceil(every) as usize + 1;
    assert!(sent.len() <= most, "at most ⌈{duration}/{every}⌉ + 1 = {most}: {sent:?}");
    assert!(sent.len() >= most - 3, "the user was active all along: {sent:?}");
    assert!(sent.windows(2).all(|w| w[1] - w[0] >= every), "never closer than the interval: {sent:?}");
    let senders: Vec<usize> = sim.requests.iter().filter(|r| r.call == Call::Keepalive).map(|r| r.tab).collect();
    assert!(senders.iter().any(|&tab| tab != senders[0]), "whichever tab is due sends: {senders:?}");

    // Idle in every tab: nothing more is sent, and the session ends on time.
    let before = sim.server.keepalives.len();
    sim.advance(9 * MIN);
    assert_eq!(sim.server.keepalives.len(), before, "never while the user is idle");
    assert_eq!(sim.states(), vec![SessionState::Warning; 3]);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn tabs_due_together_send_one_keepalive_between_them() {
    let mut sim = cookie_tabs(3, MIN);
    sim.advance(30 * SEC);
    for tab in 0..3 {
        sim.activity(tab); // every tab owes one, all due at the same moment
    }
    sim.advance(45 * SEC);
    assert_eq!(sim.server.keepalives.len(), 1, "{:?}", sim.server.keepalives);
}

/// Hands `from`'s effects out: lock requests granted at once, messages to
/// `to`; the ids of the keepalives it sent.
fn deliver(from: &mut Machine, to: &mut Machine, now: u64) -> Vec<u64> {
    let mut keepalives = Vec::new();
    while let Some(effect) = from.poll_effect() {
        match effect {
            Effect::AcquireRefreshLock { attempt } => from.handle_lock_acquired(now, attempt, None),
            Effect::Fetch { id, purpose: Purpose::Keepalive, .. } => keepalives.push(id),
            Effect::Broadcast(envelope) => {
                let value = wasm_session::core::protocol::encode(&envelope);
                let _ = to.handle_message(now, wasm_session::core::protocol::decode(&value).expect("decodes"));
            }
            _ => {}
        }
    }
    keepalives
}

fn cookie_pair() -> (Machine, Machine) {
    let mut config = test_config();
    config.keepalive_every_ms = Some(MIN);
    let setup = || sim_setup(config, true);
    let (mut a, mut b) = (Machine::new(setup(), id(1), 1), Machine::new(setup(), id(2), 2));
    a.login(T0, id(150), TokenSet::default());
    deliver(&mut a, &mut b, T0);
    assert_eq!(b.state(), SessionState::Active);
    (a, b)
}

#[test]
fn a_failed_keepalive_is_retried_by_the_tab_that_sent_it_only() {
    let (mut a, mut b) = cookie_pair();
    let at = T0 + 2 * MIN;
    a.handle_activity(at);
    let sent = deliver(&mut a, &mut b, at);
    assert_eq!(sent.len(), 1);
    deliver(&mut b, &mut a, at);
    a.handle_fetch_answer(at, sent[0], FetchAnswer::Network);
    deliver(&mut a, &mut b, at);
    assert_eq!(a.next_deadline(), Some(Deadline { at: at + MIN, kind: TimerKind::Keepalive }), "a tries again");
    assert_ne!(b.next_deadline().map(|d| d.kind), Some(TimerKind::Keepalive), "b heard it went out: not b");
    a.handle_timeout(at + MIN);
    assert_eq!(deliver(&mut a, &mut b, at + MIN).len(), 1, "one retry");
}

#[test]
fn a_tab_granted_the_lock_after_another_sent_sends_nothing() {
    let (mut a, mut b) = cookie_pair();
    let at = T0 + 2 * MIN;
    a.handle_activity(at);
    b.handle_activity(at);
    // Both ask for the lock; a gets it first and sends.
    let b_asks: Vec<u64> = std::iter::from_fn(|| b.poll_effect())
        .filter_map(|e| match e {
            Effect::AcquireRefreshLock { attempt } => Some(attempt),
            _ => None,
        })
        .collect();
    assert_eq!(b_asks.len(), 1, "b owes one too");
    assert_eq!(deliver(&mut a, &mut b, at).len(), 1);
    b.handle_lock_acquired(at + 50, b_asks[0], None);
    let after = effects(&mut b);
    assert!(sent(&after, Purpose::Keepalive).is_empty(), "b learnt it went out: {after:?}");
    assert!(after.iter().any(|e| matches!(e, Effect::ReleaseRefreshLock { .. })), "and lets the lock go");
}

#[test]
fn an_earlier_server_idle_deadline_sets_the_warning_and_the_expiry_in_every_tab() {
    let mut sim = cookie_tabs(3, MIN);
    sim.server.idle_timeout = Some(3 * MIN); // ours is 10 min
    sim.advance(30 * SEC);
    sim.activity(1);
    sim.advance(45 * SEC);
    assert_eq!(sim.server.keepalives.len(), 1);
    let deadline = sim.server.keepalives[0] + 3 * MIN;
    assert!(sim.tabs.iter().all(|t| t.machine.idle_deadline() == Some(deadline)), "every tab takes it");
    for tab in 0..3 {
        sim.take_events(tab);
    }
    sim.run_until(deadline - 60 * SEC - 1);
    assert_eq!(sim.states(), vec![SessionState::Active; 3]);
    sim.run_until(deadline - 60 * SEC);
    assert_eq!(sim.states(), vec![SessionState::Warning; 3], "the warning comes warnBeforeMs before it");
    sim.run_until(deadline - 1);
    assert_eq!(sim.states(), vec![SessionState::Warning; 3]);
    sim.run_until(deadline);
    assert_eq!(sim.states(), vec![SessionState::Expired; 3], "every tab ends on the server's deadline");
    assert!(sim.tabs.iter().all(|t| t.machine.end_reason() == Some(EndReason::Idle)));
    for tab in 0..3 {
        assert!(has_warning(&sim.take_events(tab), WarningCause::Idle));
    }
}

#[test]
fn activity_keeps_a_short_server_idle_timeout_moving() {
    let mut sim = cookie_tabs(2, MIN);
    sim.server.idle_timeout = Some(3 * MIN);
    for second in 0..(20 * 60) {
        sim.advance(SEC);
        if second % 10 == 0 {
            sim.activity(second / 10 % 2);
        }
    }
    assert_eq!(sim.states(), vec![SessionState::Active; 2], "each keepalive moves the server's deadline on");
}

#[test]
fn the_servers_idle_deadline_only_shortens_ours_and_a_past_one_is_skew() {
    let mut config = test_config();
    config.keepalive_every_ms = Some(MIN);
    let mut machine = Machine::new(test_setup(config), id(1), 3);
    machine.login(T0, id(150), TokenSet::default());
    let at = T0 + 2 * MIN;
    machine.handle_activity(at);
    let attempt = keepalive_sent(&mut machine, at).expect("a keepalive");
    let alive = |idle| KeepaliveOutcome::Alive { absolute_deadline: None, idle_deadline: Some(idle) };
    machine.handle_keepalive_result(at, attempt, alive(at + 30 * MIN));
    assert_eq!(machine.idle_deadline(), Some(at + 10 * MIN), "a later one does not extend ours");

    machine.handle_activity(at + MIN);
    let next = keepalive_sent(&mut machine, at + MIN).expect("a keepalive");
    machine.handle_keepalive_result(at + MIN, next, alive(at - SEC));
    assert_eq!(machine.state(), SessionState::Active, "an idle deadline already past is clock skew");

    // A session check's idle deadline counts too.
    let mut machine = Machine::new(test_setup(config), id(1), 3);
    machine.login(T0, id(150), TokenSet::default());
    machine.handle_session_check(
        at + MIN,
        id(151),
        SessionCheck::SignedIn { absolute_deadline: None, idle_deadline: Some(at + 4 * MIN), remember_me: false },
    );
    assert_eq!(machine.idle_deadline(), Some(at + 4 * MIN));
    assert_eq!(machine.next_deadline(), Some(Deadline { at: at + 3 * MIN, kind: TimerKind::IdleWarning }));
}

#[test]
fn a_joining_tab_and_a_reload_take_the_servers_deadlines_and_the_last_keepalive() {
    let (mut a, mut b) = cookie_pair();
    let at = T0 + 2 * MIN;
    a.handle_activity(at);
    let sent = deliver(&mut a, &mut b, at);
    let body = r#"{"idleExpiresAt":1700000300000,"absoluteExpiresAt":1700003600000}"#;
    let answer =
        FetchAnswer::Response(Response::new(200, Body::Json(wasm_session_testkit::json::parse(body).expect("json"))));
    a.handle_fetch_answer(at, sent[0], answer);
    deliver(&mut a, &mut b, at);
    assert_eq!(b.idle_deadline(), Some(1_700_000_300_000));
    assert_eq!(b.absolute_deadline(), Some(1_700_003_600_000));
    let mut c = Machine::new(sim_setup(*a.config(), true), id(3), 3);
    c.restore(at, &a.stored_session().expect("live")).expect("restores");
    assert_eq!(c.idle_deadline(), a.idle_deadline());
    assert_eq!(c.next_deadline().map(|d| d.kind), Some(TimerKind::IdleWarning), "nothing owed after a keepalive");
}

#[test]
fn stay_signed_in_during_a_warning_from_the_servers_idle_timer_tells_the_server_at_once() {
    // The next keepalive would be due after the warning starts: interval 150 s,
    // server idle timeout 180 s, warning 60 s before.
    let mut sim = cookie_tabs(2, 150 * SEC);
    sim.server.idle_timeout = Some(3 * MIN);
    sim.advance(30 * SEC);
    sim.activity(0);
    sim.advance(125 * SEC);
    assert_eq!(sim.server.keepalives.len(), 1);
    let sent = sim.server.keepalives[0];
    let deadline = sent + 3 * MIN;
    sim.run_until(sent + 130 * SEC);
    assert_eq!(sim.states(), vec![SessionState::Warning; 2], "the server's idle timer warns");
    sim.stay_signed_in(1);
    sim.advance(SEC);
    assert_eq!(sim.server.keepalives.len(), 2, "one keepalive at once, not at the next interval ({sent} + 150 s)");
    assert_eq!(sim.states(), vec![SessionState::Active; 2], "its answer moves the deadline on in every tab");
    sim.run_until(deadline + MIN);
    assert_eq!(sim.states(), vec![SessionState::Active; 2]);
}

#[test]
fn the_login_answers_deadlines_count_from_the_start() {
    // A lone tab whose user signs in and walks away: no keepalive, no check.
    let transport = Transport::default();
    let answer = r#"{"user":"alice","idleExpiresAt":1700000180000,"absoluteExpiresAt":1700003600000}"#;
    let answer = wasm_session_testkit::json::parse(answer).expect("json");
    let tokens =
        wasm_session::core::contract::read_tokens(&transport.fields, &answer, None, T0, |_| None).expect("tokens");
    let mut config = test_config();
    config.keepalive_every_ms = Some(MIN);
    let mut machine = Machine::new(sim_setup(config, true), id(1), 3);
    machine.login(T0, id(150), tokens);
    assert_eq!(machine.idle_deadline(), Some(T0 + 3 * MIN), "the server's 3 min, not our 10");
    assert_eq!(machine.absolute_deadline(), Some(T0 + 60 * MIN));
    assert_eq!(machine.tokens().map(|t| (t.idle_deadline, t.absolute_deadline)), Some((None, None)));
    machine.handle_timeout(T0 + 2 * MIN);
    assert_eq!(machine.state(), SessionState::Warning);
    machine.handle_timeout(T0 + 3 * MIN);
    assert_eq!(machine.end_reason(), Some(EndReason::Idle));
}
