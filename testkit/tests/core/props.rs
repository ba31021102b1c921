//! Property tests: random input sequences, checked against the core's invariants.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use wasm_session::core::*;
use wasm_session_testkit::json::{decode_text, encode_text};
use wasm_session_testkit::sim::*;

#[derive(Debug, Clone)]
enum Op {
    Advance(u64),
    ClockBack(u64),
    Activity,
    StaySignedIn,
    Login(bool),
    Logout,
    RefreshNow,
    Online(bool),
    Revoked,
    GrantLock,
    StaleGrant(u64),
    Result(u8),
    StaleResult(u64),
    Remote(bool, u8, u64),
    /// To 1 ms before, at, or 1 ms after the absolute (or idle) deadline in
    /// the test's books: where an off-by-a-little shows.
    ToDeadline(bool, u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..20 * SEC).prop_map(Op::Advance),
        3 => (0..15 * MIN).prop_map(Op::Advance),
        1 => (0..5 * 60 * MIN).prop_map(Op::Advance),
        1 => (0..MIN).prop_map(Op::ClockBack),
        4 => Just(Op::Activity),
        1 => Just(Op::StaySignedIn),
        1 => any::<bool>().prop_map(Op::Login),
        1 => Just(Op::Logout),
        1 => Just(Op::RefreshNow),
        1 => any::<bool>().prop_map(Op::Online),
        1 => Just(Op::Revoked),
        3 => Just(Op::GrantLock),
        1 => (0..100u64).prop_map(Op::StaleGrant),
        3 => (0..6u8).prop_map(Op::Result),
        1 => (0..100u64).prop_map(Op::StaleResult),
        2 => (any::<bool>(), 0..6u8, 0..20 * MIN).prop_map(|(e, k, t)| Op::Remote(e, k, t)),
        2 => (any::<bool>(), 0..3u64).prop_map(|(absolute, offset)| Op::ToDeadline(absolute, offset)),
    ]
}

fn outcome(kind: u8, now: u64) -> RefreshOutcome {
    match kind {
        0 | 1 => RefreshOutcome::Success(TokenSet::bearer("at", None, Some(now + 5 * MIN))),
        2 => RefreshOutcome::Failed { failure: RefreshFailure::Network, retry_after_ms: None },
        3 => RefreshOutcome::Failed { failure: RefreshFailure::Status(503), retry_after_ms: Some(now % 100_000) },
        4 => RefreshOutcome::Failed { failure: RefreshFailure::Status(401), retry_after_ms: None },
        _ => RefreshOutcome::Failed { failure: RefreshFailure::BadResponse, retry_after_ms: None },
    }
}

fn remote(current: Option<Epoch>, same_epoch: bool, kind: u8, at: u64) -> Envelope {
    let epoch = if same_epoch { current.or(Some(id(77))) } else { Some(id(77)) };
    let snapshot = Snapshot {
        started_at: at,
        last_activity_at: at,
        tokens: TokenSet::bearer("remote", Some("rt"), Some(at + 5 * MIN)),
        generation: at % 5,
        tokens_received_at: at,
        absolute_cap: None,
        idle_cap: None,
        keepalive_at: None,
        remember_me: false,
    };
    let message = match kind {
        0 => Message::Activity { at },
        1 => Message::StaySignedIn { at },
        2 => Message::Refreshed { tokens: snapshot.tokens.clone(), generation: at % 7, received_at: at },
        3 => Message::Logout { reason: EndReason::User },
        4 => Message::Login(snapshot),
        _ => Message::StateResponse(snapshot),
    };
    Envelope { from: id(9), epoch, message }
}

/// The test's own books about a session: when it started, and the latest
/// activity it was given (locally, or in a message or snapshot it took).
#[derive(Debug, Clone, Copy)]
struct Books {
    started_at: u64,
    active_at: u64,
}

fn live_epoch(machine: &Machine) -> Option<Epoch> {
    machine.epoch().filter(|_| machine.state().is_live())
}

/// Drives one machine through `ops`, checking invariants after every step.
/// Deadlines are checked against the test's books, not the machine's getters.
fn check_invariants(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let config = test_config();
    let mut machine = Machine::new(test_setup(config), id(1), 99);
    let mut now = T0;
    let mut epochs = 0u8;
    let mut pending_locks: Vec<u64> = Vec::new();
    let mut outstanding: BTreeSet<u64> = BTreeSet::new();
    let mut idle_warning_seen = false;
    let mut books: BTreeMap<Epoch, Books> = BTreeMap::new();
    machine.handle_timeout(now);
    for op in ops {
        let before_now = machine.now();
        let before_live = live_epoch(&machine);
        let before_idle = before_live.and_then(|e| books.get(&e)).map(|b| b.active_at + config.idle_timeout_ms);
        // What this input tells the books: a start, or activity at a time.
        let mut started: Option<u64> = None;
        let mut active: Option<(Option<Epoch>, u64)> = None;
        match op {
            Op::Advance(ms) => {
                now += ms;
                machine.handle_timeout(now);
            }
            Op::ClockBack(ms) => machine.handle_timeout(now.saturating_sub(ms)),
            Op::ToDeadline(absolute, offset) => {
                if let Some(book) = before_live.and_then(|e| books.get(&e)) {
                    let deadline = if absolute {
                        book.started_at + config.absolute_timeout_ms
                    } else {
                        book.active_at + config.idle_timeout_ms
                    };
                    let target = (deadline + offset).saturating_sub(1);
                    // The user stays active on the way, so that the idle
                    // timeout does not end the session first.
                    while absolute && now + config.idle_timeout_ms / 2 < target {
                        now += config.idle_timeout_ms / 2;
                        machine.handle_activity(now);
                        active = Some((None, now));
                    }
                    now = now.max(target);
                }
                machine.handle_timeout(now);
            }
            Op::Activity => {
                machine.handle_activity(now);
                active = Some((None, now));
            }
            Op::StaySignedIn => {
                machine.stay_signed_in(now);
                active = Some((None, now));
            }
            Op::Login(expiring) => {
                epochs = epochs.wrapping_add(1);
                let expires = expiring.then_some(now + 3 * MIN);
                machine.login(now, id(epochs), TokenSet::bearer("at", Some("rt"), expires));
                started = Some(now);
            }
            Op::Logout => machine.logout(now),
            Op::RefreshNow => {
                machine.refresh_now(now);
            }
            Op::Online(online) => machine.handle_online(now, online),
            Op::Revoked => machine.handle_revoked(now),
            Op::GrantLock => {
                if !pending_locks.is_empty() {
                    let attempt = pending_locks.remove(0);
                    machine.handle_lock_acquired(now, attempt, None);
                }
            }
            Op::StaleGrant(attempt) => machine.handle_lock_acquired(now, 1_000 + attempt, None),
            Op::Result(kind) => {
                if let Some(&attempt) = outstanding.iter().next() {
                    machine.handle_refresh_result(now, attempt, outcome(kind, now));
                }
            }
            Op::StaleResult(attempt) => machine.handle_refresh_result(now, 1_000 + attempt, outcome(0, now)),
            Op::Remote(same, kind, back) => {
                let at = now.saturating_sub(back);
                let envelope = remote(machine.epoch(), same, kind, at);
                let epoch = envelope.epoch;
                if machine.handle_message(now, envelope).is_ok() {
                    match kind {
                        0 | 1 => active = Some((epoch, at)),
                        4 | 5 => {
                            started = Some(at);
                            active = Some((epoch, at));
                        }
                        _ => {}
                    }
                }
            }
        }
        let live = live_epoch(&machine);
        if let Some(epoch) = live.filter(|e| Some(*e) != before_live) {
            let Some(at) = started else {
                return Err(TestCaseError::fail(format!("{op:?} started a session: neither a login nor a snapshot")));
            };
            books.insert(epoch, Books { started_at: at, active_at: at });
        } else if let (Some(epoch), Some((about, at))) = (live, active) {
            if about.is_none_or(|about| about == epoch) {
                if let Some(book) = books.get_mut(&epoch) {
                    book.active_at = book.active_at.max(at);
                }
            }
        }
        let now_seen = machine.now();
        prop_assert!(now_seen >= before_now, "the clock never runs backwards");
        while let Some(effect) = machine.poll_effect() {
            match effect {
                Effect::AcquireRefreshLock { attempt } => {
                    pending_locks.push(attempt);
                }
                Effect::CallRefreshHook { id: attempt, .. } => {
                    prop_assert!(outstanding.is_empty(), "at most one refresh in flight: {outstanding:?} + {attempt}");
                    outstanding.insert(attempt);
                }
                Effect::ReleaseRefreshLock { attempt, .. } => {
                    outstanding.remove(&attempt);
                    pending_locks.retain(|a| *a != attempt);
                }
                Effect::Broadcast(envelope) => {
                    prop_assert_eq!(decode_text(&encode_text(&envelope)), Ok(envelope));
                }
                Effect::Fetch { .. }
                | Effect::Persist(_)
                | Effect::WipeStorage
                | Effect::SaveTombstones(_)
                | Effect::Keep(_) => {}
            }
        }
        while let Some(event) = machine.poll_event() {
            match event {
                Event::Warning { cause: WarningCause::Idle, .. } => idle_warning_seen = true,
                Event::StateChange { to: SessionState::Active, .. } | Event::Started { .. } => {
                    idle_warning_seen = false
                }
                Event::Expired { reason: EndReason::Idle, origin: Origin::Local } => {
                    let jumped = before_idle.is_some_and(|idle| before_now < idle - config.warn_before_ms);
                    prop_assert!(idle_warning_seen || jumped, "idle expiry without a warning and without a jump");
                }
                _ => {}
            }
        }
        if let Some(epoch) = live {
            let book = books.get(&epoch).copied();
            prop_assert!(book.is_some(), "a live session the books know");
            let Books { started_at, active_at } = book.unwrap_or(Books { started_at: 0, active_at: 0 });
            prop_assert!(
                now_seen < started_at + config.absolute_timeout_ms,
                "never live at or after the absolute deadline"
            );
            prop_assert!(now_seen < active_at + config.idle_timeout_ms, "never live at or after the idle deadline");
        } else {
            prop_assert!(machine.access_token().is_none(), "no tokens outside a live session");
        }
        if let Some(at) = machine.poll_timeout() {
            prop_assert!(at > now_seen, "the next deadline is in the future");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(super::proptest_config(400))]

    #[test]
    fn random_inputs_keep_every_invariant(ops in prop::collection::vec(op(), 1..120)) {
        check_invariants(ops)?;
    }

    #[test]
    fn random_multi_tab_runs_never_race_the_refresh(
        steps in prop::collection::vec((0..4usize, 0..5u8, 0..3 * MIN), 1..60),
        lifetime in 20 * SEC..10 * MIN,
    ) {
        let mut sim = Sim::new(4);
        sim.server.token_lifetime = lifetime;
        sim.login(0, 1);
        let mut logins = 1u8;
        for (tab, action, wait) in steps {
            sim.advance(wait);
            match action {
                0 | 1 => sim.activity(tab),
                2 => sim.stay_signed_in(tab),
                3 => sim.feed(tab, |machine, now| { machine.refresh_now(now); }),
                _ => { logins = logins.wrapping_add(1); sim.login(tab, logins); }
            }
            prop_assert!(sim.server.overlaps.is_empty(), "at most one refresh in flight, counted at the server");
            prop_assert!(!sim.server.reuse_detected, "a rotated-out refresh token was presented");
            check_live(&mut sim);
            check_converged(&mut sim);
            prop_assert_eq!(sim.violations(), vec![]);
            let live: Vec<_> = sim.tabs.iter().filter(|t| t.machine.state().is_live()).map(|t| t.machine.epoch()).collect();
            prop_assert!(live.windows(2).all(|w| w[0] == w[1]), "live tabs agree on the session");
        }
    }

    #[test]
    fn decoding_arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = decode_text(&text);
    }

    #[test]
    fn decoding_mutated_messages_never_panics(cut in 0usize..400, byte in any::<u8>(), kind in 0u8..6) {
        let envelope = remote(Some(id(4)), true, kind, T0);
        let mut bytes = encode_text(&envelope).into_bytes();
        let index = cut % bytes.len().max(1);
        if let Some(slot) = bytes.get_mut(index) {
            *slot = byte;
        }
        let _ = decode_text(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn config_validation_never_panics(values in prop::collection::vec(prop_oneof![any::<f64>(), -1e6..1e9f64, Just(f64::NAN)], 10)) {
        let input = ConfigInput {
            idle_timeout_ms: values.first().copied(),
            warn_before_ms: values.get(1).copied(),
            absolute_timeout_ms: values.get(2).copied(),
            absolute_warn_before_ms: values.get(3).copied(),
            countdown_interval_ms: values.get(4).copied(),
            activity_broadcast_interval_ms: values.get(5).copied(),
            refresh_before_ms: values.get(6).copied(),
            refresh_jitter_ms: values.get(7).copied(),
            retry_initial_ms: values.get(8).copied(),
            retry_max_ms: values.get(9).copied(),
            ..ConfigInput::default()
        };
        if let Ok(config) = Config::from_input(&input) {
            prop_assert!(config.warn_before_ms < config.idle_timeout_ms);
            prop_assert!(config.idle_timeout_ms <= config.absolute_timeout_ms);
            prop_assert!(config.retry_initial_ms <= config.retry_max_ms);
        }
    }
}
