use wasm_session::core::*;
use wasm_session_testkit::sim::*;

/// A machine logged in at T0 with tokens that outlive the session (no refresh noise).
/// Keeps the user active every 5 minutes up to `until`, then once at `until`.
fn active_until(machine: &mut Machine, until: u64) {
    let mut now = machine.now();
    while now + 5 * MIN < until {
        now += 5 * MIN;
        machine.handle_activity(now);
    }
    machine.handle_activity(until);
}

fn logged_in() -> Machine {
    let mut machine = Machine::new(test_setup(test_config()), id(1), 7);
    machine.login(T0, id(200), TokenSet::bearer("at", Some("rt"), None));
    machine
}

#[test]
fn a_new_machine_is_anonymous_with_nothing_to_do() {
    let mut machine = Machine::new(test_setup(test_config()), id(1), 7);
    machine.handle_timeout(T0);
    machine.handle_activity(T0 + SEC);
    assert_eq!(machine.state(), SessionState::Anonymous);
    assert_eq!(machine.poll_timeout(), None);
    assert!(effects(&mut machine).is_empty());
    assert!(events(&mut machine).is_empty());
}

#[test]
fn login_starts_an_active_session_and_tells_other_tabs() {
    let mut machine = logged_in();
    assert_eq!(machine.state(), SessionState::Active);
    assert_eq!(machine.epoch(), Some(id(200)));
    assert_eq!(machine.idle_deadline(), Some(T0 + 10 * MIN));
    assert_eq!(machine.absolute_deadline(), Some(T0 + 120 * MIN));
    assert_eq!(machine.next_deadline(), Some(Deadline { at: T0 + 9 * MIN, kind: TimerKind::IdleWarning }));
    assert!(matches!(
        effects(&mut machine).as_slice(),
        [Effect::Broadcast(Envelope { message: Message::Login(_), .. })]
    ));
    assert_eq!(
        events(&mut machine),
        vec![
            Event::StateChange { from: SessionState::Anonymous, to: SessionState::Active },
            Event::Started { origin: Origin::Local, replaced: false },
        ]
    );
}

#[test]
fn warning_then_one_countdown_per_second_then_idle_expiry() {
    let mut sim = Sim::new(1);
    sim.login(0, 1);
    sim.server.token_lifetime = 10 * 60 * MIN; // no refresh noise
    sim.take_events(0);
    sim.run_until(T0 + 9 * MIN);
    let events = sim.take_events(0);
    assert!(events.contains(&Event::Warning {
        cause: WarningCause::Idle,
        remaining_ms: 60 * SEC,
        deadline: T0 + 10 * MIN
    }));
    assert_eq!(sim.states(), vec![SessionState::Warning]);
    sim.run_until(T0 + 10 * MIN);
    let events = sim.take_events(0);
    let ticks = countdowns(&events);
    assert_eq!(ticks.len(), 59, "one tick per second from 59 s down to 1 s");
    assert_eq!(ticks.first(), Some(&(59 * SEC)));
    assert_eq!(ticks.last(), Some(&SEC));
    assert!(events.contains(&Event::Expired { reason: EndReason::Idle, origin: Origin::Local }));
    assert_eq!(sim.states(), vec![SessionState::Expired]);
    assert_eq!(sim.server.logout_calls, vec![EndReason::Idle], "the server is told");
    assert_eq!(sim.tabs[0].wiped, 1);
}

#[test]
fn activity_during_warning_returns_to_active_and_stops_the_countdown() {
    let mut machine = logged_in();
    machine.handle_timeout(T0 + 9 * MIN + 5 * SEC);
    assert_eq!(machine.state(), SessionState::Warning);
    events(&mut machine);
    machine.handle_activity(T0 + 9 * MIN + 6 * SEC);
    assert_eq!(machine.state(), SessionState::Active);
    assert!(
        events(&mut machine).contains(&Event::StateChange { from: SessionState::Warning, to: SessionState::Active })
    );
    assert_eq!(machine.idle_deadline(), Some(T0 + 19 * MIN + 6 * SEC));
    assert_eq!(machine.next_deadline().map(|d| d.kind), Some(TimerKind::IdleWarning));
    machine.handle_timeout(T0 + 9 * MIN + 30 * SEC);
    assert!(countdowns(&events(&mut machine)).is_empty());
}

#[test]
fn stay_signed_in_dismisses_the_warning_and_is_broadcast() {
    let mut machine = logged_in();
    machine.handle_timeout(T0 + 9 * MIN + 30 * SEC);
    effects(&mut machine);
    machine.stay_signed_in(T0 + 9 * MIN + 31 * SEC);
    assert_eq!(machine.state(), SessionState::Active);
    assert!(effects(&mut machine)
        .iter()
        .any(|e| matches!(e, Effect::Broadcast(Envelope { message: Message::StaySignedIn { .. }, .. }))));
}

#[test]
fn absolute_timeout_warns_and_activity_never_extends_it() {
    let mut machine = logged_in();
    active_until(&mut machine, T0 + 117 * MIN);
    events(&mut machine);
    machine.handle_timeout(T0 + 118 * MIN);
    assert_eq!(machine.warning(), Some((WarningCause::Absolute, T0 + 120 * MIN)));
    machine.handle_activity(T0 + 119 * MIN);
    machine.stay_signed_in(T0 + 119 * MIN + SEC);
    assert_eq!(machine.state(), SessionState::Warning, "activity does not dismiss an absolute warning");
    machine.handle_timeout(T0 + 120 * MIN);
    assert_eq!(machine.state(), SessionState::Expired);
    assert_eq!(machine.end_reason(), Some(EndReason::Absolute));
    let evs = events(&mut machine);
    assert!(has_warning(&evs, WarningCause::Absolute));
    assert!(evs.contains(&Event::Expired { reason: EndReason::Absolute, origin: Origin::Local }));
}

#[test]
fn idle_warning_gives_way_to_an_earlier_absolute_deadline() {
    let mut machine = logged_in();
    active_until(&mut machine, T0 + 109 * MIN);
    // Idle warning at 118:00 would end at 119:00; absolute warning starts at 118:00 and ends at 120:00.
    machine.handle_timeout(T0 + 118 * MIN + 10 * SEC);
    assert_eq!(machine.warning(), Some((WarningCause::Idle, T0 + 119 * MIN)));
    machine.handle_activity(T0 + 118 * MIN + 20 * SEC);
    assert_eq!(machine.warning(), Some((WarningCause::Absolute, T0 + 120 * MIN)));
}

#[test]
fn activity_after_a_missed_deadline_does_not_revive_the_session() {
    let mut machine = logged_in();
    // The tab was throttled: no timer fired, the first input comes late.
    machine.handle_activity(T0 + 11 * MIN);
    assert_eq!(machine.state(), SessionState::Expired);
    assert_eq!(machine.end_reason(), Some(EndReason::Idle));
}

#[test]
fn a_two_hour_sleep_gives_one_transition() {
    let mut machine = logged_in();
    events(&mut machine);
    machine.handle_timeout(T0 + 5 * MIN);
    machine.handle_timeout(T0 + 5 * MIN + 2 * 60 * MIN);
    let evs = events(&mut machine);
    assert_eq!(
        evs,
        vec![
            Event::StateChange { from: SessionState::Active, to: SessionState::Expired },
            Event::Expired { reason: EndReason::Idle, origin: Origin::Local },
        ],
        "no warning, no burst of ticks"
    );
}

#[test]
fn jumping_past_both_deadlines_names_the_earlier_one() {
    let mut machine = logged_in();
    active_until(&mut machine, T0 + 115 * MIN);
    machine.handle_timeout(T0 + 10 * 60 * MIN);
    assert_eq!(machine.end_reason(), Some(EndReason::Absolute), "absolute (120) came before idle (125)");
    let mut machine = logged_in();
    machine.handle_timeout(T0 + 10 * 60 * MIN);
    assert_eq!(machine.end_reason(), Some(EndReason::Idle), "idle (10) came before absolute (120)");
}

#[test]
fn the_clock_stepping_backwards_is_clamped() {
    let mut machine = logged_in();
    machine.handle_timeout(T0 + 9 * MIN + 30 * SEC);
    assert_eq!(machine.state(), SessionState::Warning);
    events(&mut machine);
    machine.handle_timeout(T0);
    machine.handle_activity(T0 + MIN);
    assert_eq!(machine.now(), T0 + 9 * MIN + 30 * SEC);
    assert_eq!(machine.state(), SessionState::Active, "activity counts, at the clamped time");
    assert_eq!(machine.idle_deadline(), Some(T0 + 19 * MIN + 30 * SEC));
}

#[test]
fn early_or_repeated_timeouts_do_nothing() {
    let mut machine = logged_in();
    events(&mut machine);
    effects(&mut machine);
    for _ in 0..3 {
        machine.handle_timeout(T0 + MIN);
    }
    assert!(events(&mut machine).is_empty());
    assert!(effects(&mut machine).is_empty());
    machine.handle_timeout(T0 + 9 * MIN);
    machine.handle_timeout(T0 + 9 * MIN);
    let warnings = events(&mut machine).iter().filter(|e| matches!(e, Event::Warning { .. })).count();
    assert_eq!(warnings, 1);
}

#[test]
fn a_throttled_timer_gets_one_countdown_with_the_true_remaining_time() {
    let mut machine = logged_in();
    machine.handle_timeout(T0 + 9 * MIN);
    events(&mut machine);
    machine.handle_timeout(T0 + 9 * MIN + 41 * SEC + 300);
    assert_eq!(countdowns(&events(&mut machine)), vec![18 * SEC + 700]);
    assert_eq!(machine.poll_timeout(), Some(T0 + 9 * MIN + 42 * SEC), "back on the whole-second grid");
}

#[test]
fn logout_tells_other_tabs_and_wipes_before_calling_the_server() {
    let mut machine = logged_in();
    effects(&mut machine);
    machine.logout(T0 + MIN);
    let out = effects(&mut machine);
    assert!(matches!(
        out.first(),
        Some(Effect::Broadcast(Envelope { message: Message::Logout { reason: EndReason::User }, .. }))
    ));
    assert_eq!(out.get(1), Some(&Effect::WipeStorage));
    match out.get(2) {
        Some(Effect::Fetch { purpose: Purpose::Logout(EndReason::User), request, .. }) => {
            assert_eq!(request.url, "/logout");
            assert!(request.keepalive, "the logout outlives the page");
            let authorization = request.headers.iter().find(|(name, _)| name == "Authorization");
            assert_eq!(authorization.map(|(_, value)| value.as_str()), Some("Bearer at"));
            assert_eq!(request.body.as_deref(), Some(r#"{"refresh_token":"rt"}"#));
        }
        other => panic!("expected the server call last, got {other:?}"),
    }
    assert_eq!(machine.state(), SessionState::LoggedOut);
    assert_eq!(machine.access_token(), None, "no secret stays in memory");
    assert_eq!(machine.poll_timeout(), None);
}

#[test]
fn server_revocation_ends_the_session_without_a_logout_call() {
    let mut machine = logged_in();
    effects(&mut machine);
    machine.handle_revoked(T0 + MIN);
    let out = effects(&mut machine);
    assert!(!out.iter().any(|e| matches!(e, Effect::Fetch { .. })));
    assert!(out.iter().any(|e| matches!(
        e,
        Effect::Broadcast(Envelope { message: Message::Logout { reason: EndReason::Revoked }, .. })
    )));
    assert!(events(&mut machine).contains(&Event::LoggedOut { reason: EndReason::Revoked, origin: Origin::Server }));
}

#[test]
fn local_activity_is_broadcast_at_most_once_per_interval() {
    let mut machine = logged_in();
    effects(&mut machine);
    let mut broadcasts = 0;
    for step in 1..=100u64 {
        machine.handle_activity(T0 + step * 100); // every 100 ms for 10 s
        broadcasts += effects(&mut machine).iter().filter(|e| matches!(e, Effect::Broadcast(_))).count();
    }
    assert_eq!(broadcasts, 2, "at 5 s and 10 s, with a 5 s interval");
    assert_eq!(machine.idle_deadline(), Some(T0 + 10 * SEC + 10 * MIN), "every activity moves the deadline");
}

#[test]
fn a_second_login_replaces_the_session() {
    let mut machine = logged_in();
    machine.login(T0 + MIN, id(201), TokenSet::default());
    assert_eq!(machine.epoch(), Some(id(201)));
    assert!(events(&mut machine).contains(&Event::Started { origin: Origin::Local, replaced: true }));
    assert_eq!(machine.absolute_deadline(), Some(T0 + MIN + 120 * MIN));
}
