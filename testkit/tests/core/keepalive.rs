use wasm_session::core::*;
use wasm_session_testkit::sim::*;

/// Cookie mode: no tokens, a keepalive at most once a minute.
fn cookie_sim(tabs: usize) -> Sim {
    let mut config = test_config();
    config.keepalive_every_ms = Some(MIN);
    let mut sim = Sim::cookie(tabs, config, Knobs::default());
    sim.login_cookie(0, 50);
    sim
}

/// The id of the keepalive the machine sends at `now` (the lock granted at once).
fn keepalive_attempt(machine: &mut Machine, now: u64) -> u64 {
    keepalive_sent(machine, now).expect("a keepalive")
}

#[test]
fn keepalive_is_sent_at_most_once_per_interval_while_active() {
    let mut sim = cookie_sim(1);
    for _ in 0..300 {
        sim.advance(SEC);
        sim.activity(0); // active every second for five minutes
    }
    let sent = &sim.server.keepalives;
    assert!(sent.len() >= 4 && sent.len() <= 5, "one a minute: {sent:?}");
    assert!(sent.windows(2).all(|w| w[1] - w[0] >= MIN), "never closer than the interval: {sent:?}");
}

#[test]
fn no_keepalive_while_the_user_is_idle() {
    let mut sim = cookie_sim(1);
    sim.run_until(T0 + 9 * MIN + 30 * SEC);
    assert_eq!(sim.states(), vec![SessionState::Warning]);
    assert!(sim.server.keepalives.is_empty(), "an idle user is not kept signed in");
}

#[test]
fn activity_after_a_quiet_spell_sends_a_keepalive_at_once() {
    let mut sim = cookie_sim(1);
    sim.advance(5 * MIN);
    sim.activity(0);
    assert_eq!(sim.server.keepalives, vec![T0 + 5 * MIN]);
}

#[test]
fn a_revoked_keepalive_ends_the_session_everywhere() {
    let mut sim = cookie_sim(2);
    sim.advance(2 * MIN);
    let now = sim.now;
    sim.tab(0).handle_activity(now);
    let attempt = keepalive_attempt(sim.tab(0), now);
    sim.tab(0).handle_keepalive_result(now, attempt, KeepaliveOutcome::Revoked);
    sim.pump();
    assert_eq!(sim.states(), vec![SessionState::LoggedOut; 2]);
    assert!(sim.tabs.iter().all(|t| t.machine.end_reason() == Some(EndReason::Revoked)));
}

#[test]
fn the_servers_absolute_deadline_caps_ours_and_stale_answers_are_ignored() {
    let mut sim = cookie_sim(1);
    sim.advance(2 * MIN);
    let now = sim.now;
    sim.tab(0).handle_activity(now);
    let attempt = keepalive_attempt(sim.tab(0), now);
    sim.tab(0).handle_keepalive_result(now, attempt + 1, KeepaliveOutcome::Revoked);
    assert_eq!(sim.tab(0).state(), SessionState::Active, "a stale answer changes nothing");
    let cap = now + 30 * MIN;
    sim.tab(0).handle_keepalive_result(
        now,
        attempt,
        KeepaliveOutcome::Alive { absolute_deadline: Some(cap), idle_deadline: None },
    );
    assert_eq!(sim.tab(0).absolute_deadline(), Some(cap));
}

#[test]
fn a_failed_keepalive_is_retried_at_the_next_interval() {
    let mut config = test_config();
    config.keepalive_every_ms = Some(MIN);
    let mut machine = Machine::new(test_setup(config), id(1), 3);
    machine.login(T0, id(150), TokenSet::default());
    machine.handle_activity(T0 + 2 * MIN);
    let attempt = keepalive_attempt(&mut machine, T0 + 2 * MIN);
    machine.handle_keepalive_result(T0 + 2 * MIN, attempt, KeepaliveOutcome::Failed);
    assert_eq!(machine.next_deadline(), Some(Deadline { at: T0 + 3 * MIN, kind: TimerKind::Keepalive }));
    machine.handle_timeout(T0 + 3 * MIN);
    assert!(keepalive_sent(&mut machine, T0 + 3 * MIN).is_some());
}

#[test]
fn a_signed_in_session_check_starts_the_session_and_caps_its_lifetime() {
    let mut sim = Sim::new(2);
    let now = sim.now;
    let cap = now + 30 * MIN;
    sim.tab(0).handle_session_check(
        now,
        id(160),
        SessionCheck::SignedIn { absolute_deadline: Some(cap), idle_deadline: None, remember_me: false },
    );
    sim.pump();
    assert_eq!(sim.states(), vec![SessionState::Active; 2], "the other tab joins");
    assert_eq!(sim.tab(0).absolute_deadline(), Some(cap));
    sim.tab(0).handle_session_check(
        now,
        id(161),
        SessionCheck::SignedIn { absolute_deadline: None, idle_deadline: None, remember_me: false },
    );
    assert_eq!(sim.tab(0).epoch(), Some(id(160)), "a live session is kept, not replaced");
}

#[test]
fn a_signed_out_session_check_ends_a_live_session_as_revoked() {
    let mut sim = cookie_sim(2);
    let now = sim.now;
    sim.tab(1).handle_session_check(now, id(170), SessionCheck::SignedOut);
    sim.pump();
    assert_eq!(sim.states(), vec![SessionState::LoggedOut; 2]);
    assert!(sim.tabs.iter().all(|t| t.machine.end_reason() == Some(EndReason::Revoked)));
    assert!(sim.server.logout_calls.is_empty(), "the server already considers it ended");
    let mut anonymous = Machine::new(test_setup(test_config()), id(9), 1);
    anonymous.handle_session_check(T0, id(171), SessionCheck::SignedOut);
    anonymous.handle_session_check(T0, id(172), SessionCheck::Unknown);
    assert_eq!(anonymous.state(), SessionState::Anonymous);
}

#[test]
fn activity_while_a_keepalive_is_out_is_owed_once_it_is_answered() {
    let mut config = test_config();
    config.keepalive_every_ms = Some(MIN);
    let mut machine = Machine::new(test_setup(config), id(1), 3);
    machine.login(T0, id(150), TokenSet::default());
    machine.handle_activity(T0 + 2 * MIN);
    let attempt = keepalive_attempt(&mut machine, T0 + 2 * MIN);
    assert_eq!(machine.next_deadline().map(|d| d.kind), Some(TimerKind::IdleWarning), "none owed while one is out");
    machine.handle_activity(T0 + 2 * MIN + SEC);
    machine.handle_keepalive_result(
        T0 + 2 * MIN + 2 * SEC,
        attempt,
        KeepaliveOutcome::Alive { absolute_deadline: None, idle_deadline: None },
    );
    assert_eq!(
        machine.next_deadline(),
        Some(Deadline { at: T0 + 3 * MIN, kind: TimerKind::Keepalive }),
        "the activity since it left is owed, one interval after it left"
    );
    // Without activity since, an answered keepalive leaves nothing owed.
    machine.handle_timeout(T0 + 3 * MIN);
    let next = keepalive_attempt(&mut machine, T0 + 3 * MIN);
    machine.handle_keepalive_result(
        T0 + 3 * MIN,
        next,
        KeepaliveOutcome::Alive { absolute_deadline: None, idle_deadline: None },
    );
    assert_ne!(machine.next_deadline().map(|d| d.kind), Some(TimerKind::Keepalive));
}

#[test]
fn keepalives_need_an_endpoint_as_well_as_an_interval() {
    let mut config = test_config();
    config.keepalive_every_ms = Some(MIN);
    let mut machine = Machine::new(Setup { refresh_hook: true, ..Setup::new(config) }, id(1), 3);
    machine.login(T0, id(150), TokenSet::default());
    for step in 1..=5 {
        machine.handle_activity(T0 + step * MIN);
    }
    assert!(std::iter::from_fn(|| machine.poll_effect()).all(|e| !matches!(e, Effect::Fetch { .. })));
}
