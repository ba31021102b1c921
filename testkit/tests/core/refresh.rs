use wasm_session::core::refresh::{backoff_delay, refresh_due_at, MAX_RETRY_AFTER_MS};
use wasm_session::core::*;
use wasm_session_testkit::sim::*;

#[test]
fn refresh_is_due_ahead_of_expiry_with_bounded_jitter() {
    let config = test_config(); // refresh 30 s ahead, up to 5 s jitter
    let expires = T0 + 5 * MIN;
    for random in [0, 1, 4_999, 5_000, u64::MAX] {
        let at = refresh_due_at(&config, expires, T0, random);
        assert!(at <= expires - 30 * SEC && at >= expires - 35 * SEC, "due at {at} for {random}");
    }
}

#[test]
fn short_tokens_refresh_at_half_life() {
    let config = test_config();
    let expires = T0 + 10 * SEC;
    let at = refresh_due_at(&config, expires, T0, 0);
    assert_eq!(at, T0 + 5 * SEC);
    let jittered = refresh_due_at(&config, expires, T0, u64::MAX);
    assert!(jittered >= T0 + 5 * SEC - 2_500 && jittered <= at);
}

#[test]
fn backoff_doubles_with_jitter_and_is_capped() {
    let config = test_config(); // 1 s initial, 60 s cap
    for failures in 1..=10u32 {
        let base = (1_000u64 << (failures - 1)).min(60_000);
        for random in [0, 7, u64::MAX / 3, u64::MAX] {
            let delay = backoff_delay(&config, failures, random, None);
            assert!(delay >= base / 2 && delay <= base, "failures {failures}: {delay}");
        }
    }
    assert!(backoff_delay(&config, u32::MAX, u64::MAX, None) <= 60_000);
}

#[test]
fn retry_after_is_a_floor_but_capped() {
    let config = test_config();
    assert_eq!(backoff_delay(&config, 1, 0, Some(30_000)), 30_000);
    assert_eq!(backoff_delay(&config, 1, 0, Some(u64::MAX)), MAX_RETRY_AFTER_MS);
}

#[test]
fn failures_are_classified() {
    for status in [408, 429, 500, 502, 503, 599] {
        assert!(RefreshFailure::Status(status).is_retryable(), "{status}");
    }
    for status in [400, 401, 403, 404] {
        assert!(!RefreshFailure::Status(status).is_retryable(), "{status}");
    }
    assert!(RefreshFailure::Network.is_retryable());
    assert!(RefreshFailure::Timeout.is_retryable());
    assert!(!RefreshFailure::InvalidGrant.is_retryable());
    assert_eq!(RefreshFailure::Status(503).code(), "http_5xx");
}

/// The lock release for `attempt` at `now`, held to let the broadcast arrive.
fn release(attempt: u64, now: u64) -> Effect {
    Effect::ReleaseRefreshLock { attempt, hold_until: now + LOCK_SETTLE_MS, note: None }
}

fn logged_in(expires_in: u64) -> Machine {
    let mut machine = Machine::new(test_setup(test_config()), id(1), 42);
    machine.login(T0, id(200), TokenSet::bearer("at", Some("rt"), Some(T0 + expires_in)));
    effects(&mut machine);
    events(&mut machine);
    machine
}

/// Drives the machine to its refresh deadline and through the lock.
fn start_refresh(machine: &mut Machine) -> u64 {
    let due = machine.refresh_due_at().expect("a refresh is scheduled");
    machine.handle_timeout(due);
    let attempt = match effects(machine).as_slice() {
        [Effect::AcquireRefreshLock { attempt }] => *attempt,
        other => panic!("expected a lock request, got {other:?}"),
    };
    machine.handle_lock_acquired(due, attempt, None);
    match effects(machine).as_slice() {
        [Effect::CallRefreshHook { id: sent, refresh_token }] => {
            assert_eq!(*sent, attempt);
            assert!(refresh_token.is_some());
        }
        other => panic!("expected a refresh request, got {other:?}"),
    }
    attempt
}

#[test]
fn refresh_runs_at_most_once_in_flight() {
    let mut machine = logged_in(5 * MIN);
    let attempt = start_refresh(&mut machine);
    assert!(machine.refresh_in_flight());
    assert!(machine.refresh_now(machine.now()));
    assert!(effects(&mut machine).is_empty(), "no second request while one is in flight");
    let now = machine.now();
    machine.handle_refresh_result(
        now,
        attempt,
        RefreshOutcome::Success(TokenSet::bearer("at2", None, Some(now + 5 * MIN))),
    );
    assert!(!machine.refresh_in_flight());
    assert_eq!(machine.access_token(), Some("at2"));
}

#[test]
fn stale_refresh_result_is_ignored() {
    let mut machine = logged_in(5 * MIN);
    let attempt = start_refresh(&mut machine);
    let now = machine.now();
    machine.handle_refresh_result(now, attempt + 7, RefreshOutcome::Success(TokenSet::bearer("evil", None, None)));
    assert_eq!(effects(&mut machine), vec![release(attempt + 7, now)]);
    assert_eq!(machine.access_token(), Some("at"));
    assert!(machine.refresh_in_flight(), "the real attempt is still awaited");
}

#[test]
fn success_keeps_old_refresh_token_when_none_is_returned_and_shares_tokens() {
    let mut machine = logged_in(5 * MIN);
    let attempt = start_refresh(&mut machine);
    let now = machine.now();
    machine.handle_refresh_result(
        now,
        attempt,
        RefreshOutcome::Success(TokenSet::bearer("at2", None, Some(now + 5 * MIN))),
    );
    let tokens = machine.tokens().expect("live");
    assert_eq!(tokens.refresh_token.as_ref().map(Secret::expose), Some("rt"));
    let out = effects(&mut machine);
    assert!(matches!(
        out.first(),
        Some(Effect::Broadcast(Envelope { message: Message::Refreshed { generation: 1, .. }, .. }))
    ));
    let noted = Effect::ReleaseRefreshLock {
        attempt,
        hold_until: now + LOCK_SETTLE_MS,
        note: Some(GenerationNote { epoch: id(200), started_at: T0, generation: 1 }),
    };
    assert_eq!(out.get(1), Some(&noted), "lock released after sharing, once the generation note is written");
    assert!(events(&mut machine).contains(&Event::Refreshed { expires_at: Some(now + 5 * MIN), origin: Origin::Local }));
}

#[test]
fn retryable_failure_backs_off_then_succeeds() {
    let mut machine = logged_in(5 * MIN);
    let attempt = start_refresh(&mut machine);
    let now = machine.now();
    let failed = RefreshOutcome::Failed { failure: RefreshFailure::Status(503), retry_after_ms: None };
    machine.handle_refresh_result(now, attempt, failed);
    let retry_at = machine.refresh_due_at().expect("retry scheduled");
    assert!(retry_at >= now + 500 && retry_at <= now + 1_000, "first retry after 0.5–1 s");
    assert!(events(&mut machine)
        .iter()
        .any(|e| matches!(e, Event::RefreshFailed { definitive: false, failures: 1, .. })));
    assert_eq!(effects(&mut machine), vec![release(attempt, now)]);
    let second = start_refresh(&mut machine);
    assert_ne!(second, attempt);
    let now = machine.now();
    machine.handle_refresh_result(
        now,
        second,
        RefreshOutcome::Success(TokenSet::bearer("at2", None, Some(now + 5 * MIN))),
    );
    assert_eq!(machine.state(), SessionState::Active);
    assert!(machine.refresh_due_at().expect("next scheduled") > now + 4 * MIN);
}

#[test]
fn retry_after_header_is_honoured() {
    let mut machine = logged_in(5 * MIN);
    let attempt = start_refresh(&mut machine);
    let now = machine.now();
    let failed = RefreshOutcome::Failed { failure: RefreshFailure::Status(429), retry_after_ms: Some(20 * SEC) };
    machine.handle_refresh_result(now, attempt, failed);
    assert_eq!(machine.refresh_due_at(), Some(now + 20 * SEC));
}

#[test]
fn definitive_failure_ends_the_session_without_retry() {
    let mut machine = logged_in(5 * MIN);
    let attempt = start_refresh(&mut machine);
    let now = machine.now();
    machine.handle_refresh_result(
        now,
        attempt,
        RefreshOutcome::Failed { failure: RefreshFailure::InvalidGrant, retry_after_ms: None },
    );
    assert_eq!(machine.state(), SessionState::LoggedOut);
    assert_eq!(machine.end_reason(), Some(EndReason::RefreshFailed));
    let evs = events(&mut machine);
    assert!(evs.contains(&Event::LoggedOut { reason: EndReason::RefreshFailed, origin: Origin::Server }));
    assert!(evs.iter().any(|e| matches!(e, Event::RefreshFailed { definitive: true, code: "invalid_grant", .. })));
    machine.handle_timeout(now + 10 * MIN);
    assert!(!effects(&mut machine).iter().any(|e| matches!(e, Effect::AcquireRefreshLock { .. })), "no loop");
}

#[test]
fn no_refresh_attempts_while_offline() {
    let mut machine = logged_in(5 * MIN);
    let due = machine.refresh_due_at().expect("scheduled");
    machine.handle_online(due - SEC, false);
    machine.handle_timeout(due + 10 * SEC);
    assert!(effects(&mut machine).is_empty(), "nothing while offline");
    assert_ne!(machine.next_deadline().map(|d| d.kind), Some(TimerKind::Refresh));
    machine.handle_online(due + 20 * SEC, true);
    assert!(matches!(effects(&mut machine).as_slice(), [Effect::AcquireRefreshLock { .. }]));
}

#[test]
fn coming_back_online_retries_a_backed_off_refresh_at_once() {
    let mut machine = logged_in(5 * MIN);
    let attempt = start_refresh(&mut machine);
    let now = machine.now();
    machine.handle_online(now, false);
    machine.handle_refresh_result(
        now,
        attempt,
        RefreshOutcome::Failed { failure: RefreshFailure::Network, retry_after_ms: None },
    );
    effects(&mut machine);
    machine.handle_online(now + 100, true);
    assert!(matches!(effects(&mut machine).as_slice(), [Effect::AcquireRefreshLock { .. }]));
}

#[test]
fn idle_user_is_not_kept_alive_by_refresh() {
    // Token expiring inside the idle warning window.
    let mut machine = logged_in(9 * MIN + 40 * SEC);
    let warning_at = machine.idle_deadline().expect("live") - 60 * SEC;
    machine.handle_timeout(warning_at);
    assert_eq!(machine.state(), SessionState::Warning);
    let due = machine.refresh_due_at().expect("scheduled");
    assert!(due > warning_at);
    machine.handle_timeout(due + SEC);
    assert!(!effects(&mut machine).iter().any(|e| matches!(e, Effect::AcquireRefreshLock { .. })));
    // The user comes back: the overdue refresh starts at once.
    machine.handle_activity(due + 2 * SEC);
    assert!(effects(&mut machine).iter().any(|e| matches!(e, Effect::AcquireRefreshLock { .. })));
}

#[test]
fn token_outliving_the_session_is_not_refreshed() {
    let machine = logged_in(24 * 60 * MIN);
    assert_eq!(machine.refresh_due_at(), None);
}

#[test]
fn cookie_mode_without_expiry_schedules_no_refresh() {
    let mut machine = Machine::new(test_setup(test_config()), id(1), 1);
    machine.login(T0, id(200), TokenSet::default());
    assert_eq!(machine.refresh_due_at(), None);
    assert_eq!(machine.next_deadline().map(|d| d.kind), Some(TimerKind::IdleWarning));
}

#[test]
fn lock_granted_after_another_tab_refreshed_is_released_without_a_request() {
    let mut machine = logged_in(5 * MIN);
    let due = machine.refresh_due_at().expect("scheduled");
    machine.handle_timeout(due);
    let attempt = match effects(&mut machine).as_slice() {
        [Effect::AcquireRefreshLock { attempt }] => *attempt,
        other => panic!("{other:?}"),
    };
    let shared = Envelope {
        from: id(9),
        epoch: Some(id(200)),
        message: Message::Refreshed {
            tokens: TokenSet::bearer("at-other", Some("rt-other"), Some(due + 5 * MIN)),
            generation: 1,
            received_at: due,
        },
    };
    machine.handle_message(due, shared).expect("accepted");
    machine.handle_lock_acquired(due + 5, attempt, None);
    assert_eq!(effects(&mut machine), vec![release(attempt, due + 5)]);
    assert_eq!(machine.access_token(), Some("at-other"));
    assert!(machine.refresh_due_at().expect("rescheduled") > due + 4 * MIN);
}

#[test]
fn a_server_returning_expired_tokens_cannot_cause_a_refresh_storm() {
    let mut machine = logged_in(5 * MIN);
    let mut requests = 0;
    let start = machine.refresh_due_at().expect("scheduled");
    let mut now = start;
    while now < start + 10 * SEC {
        machine.handle_timeout(now);
        for effect in effects(&mut machine) {
            if let Effect::AcquireRefreshLock { attempt } = effect {
                machine.handle_lock_acquired(now, attempt, None);
            }
        }
        for effect in effects(&mut machine) {
            if let Effect::CallRefreshHook { id: attempt, .. } = effect {
                requests += 1;
                let expired = TokenSet::bearer("stale", None, Some(now - MIN));
                machine.handle_refresh_result(now, attempt, RefreshOutcome::Success(expired));
            }
        }
        effects(&mut machine);
        now += 10;
    }
    assert!(requests <= 11, "at most one refresh per second, got {requests}");
}

#[test]
fn a_401_or_403_from_refresh_means_the_server_revoked_the_session() {
    for status in [401, 403] {
        let mut machine = logged_in(5 * MIN);
        let attempt = start_refresh(&mut machine);
        let now = machine.now();
        let failed = RefreshOutcome::Failed { failure: RefreshFailure::Status(status), retry_after_ms: None };
        machine.handle_refresh_result(now, attempt, failed);
        assert_eq!(machine.end_reason(), Some(EndReason::Revoked), "{status}");
        let out = effects(&mut machine);
        assert!(!out.iter().any(|e| matches!(e, Effect::Fetch { .. })), "the server already ended it");
        assert!(events(&mut machine).contains(&Event::LoggedOut { reason: EndReason::Revoked, origin: Origin::Server }));
    }
}

#[test]
fn tabs_adopting_short_lived_tokens_stay_spread_out_by_jitter() {
    // Every tab adopts the same refreshed tokens (same received-at time); with
    // 2 s tokens the one-retry-delay floor applies, and jitter must survive it,
    // or every tab would come due at the same instant.
    let received = T0 + 100; // before this tab's own refresh would start
    let due: Vec<u64> = (0..8u64)
        .map(|seed| {
            let mut machine = Machine::new(test_setup(test_config()), id(2), seed * 7919 + 1);
            machine.login(T0, id(200), TokenSet::bearer("at", Some("rt"), Some(T0 + 2 * SEC)));
            let tokens = TokenSet::bearer("at2", Some("rt2"), Some(received + 2 * SEC));
            let refreshed = Message::Refreshed { tokens, generation: 1, received_at: received };
            let envelope = Envelope { from: id(9), epoch: Some(id(200)), message: refreshed };
            machine.handle_message(received, envelope).unwrap();
            machine.refresh_due_at().expect("scheduled")
        })
        .collect();
    let floor = received + test_config().retry_initial_ms;
    assert!(due.iter().all(|&at| at >= floor && at < received + 2 * SEC), "{due:?}");
    let mut distinct = due.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() >= 6, "jitter spreads the tabs: {due:?}");
}

#[test]
fn a_lock_granted_after_another_tab_refreshed_starts_a_refresh_that_is_already_due() {
    // Found by fuzzing: the other tab's tokens were themselves due, and the
    // refresh waited with no timer for the next unrelated input.
    let mut machine = logged_in(60 * SEC);
    machine.handle_timeout(T0 + 30 * SEC);
    let attempt = match effects(&mut machine).as_slice() {
        [Effect::AcquireRefreshLock { attempt }] => *attempt,
        other => panic!("expected a lock request, got {other:?}"),
    };
    let tokens = TokenSet::bearer("at2", Some("rt2"), Some(T0 + 20 * SEC));
    let refreshed = Message::Refreshed { tokens, generation: 1, received_at: T0 + 10 * SEC };
    machine.handle_message(T0 + 30 * SEC, Envelope { from: id(9), epoch: Some(id(200)), message: refreshed }).unwrap();
    machine.handle_lock_acquired(T0 + 30 * SEC, attempt, None);
    let out = effects(&mut machine);
    assert!(out.contains(&release(attempt, T0 + 30 * SEC)), "the stale grant is released");
    assert!(
        out.iter().any(|e| matches!(e, Effect::AcquireRefreshLock { attempt: next } if *next != attempt)),
        "the due refresh starts at once: {out:?}"
    );
}

/// Asks for the lock at the refresh's due time; returns the attempt.
fn ask_lock(machine: &mut Machine) -> u64 {
    let due = machine.refresh_due_at().expect("a refresh is scheduled");
    machine.handle_timeout(due);
    match effects(machine).as_slice() {
        [Effect::AcquireRefreshLock { attempt }] => *attempt,
        other => panic!("expected a lock request, got {other:?}"),
    }
}

#[test]
fn a_grant_behind_the_generation_note_sends_nothing_and_asks_for_the_tokens() {
    let mut machine = logged_in(5 * MIN);
    let attempt = ask_lock(&mut machine);
    let now = machine.now();
    let ahead = GenerationNote { epoch: id(200), started_at: T0, generation: 1 };
    machine.handle_lock_acquired(now, attempt, Some(ahead));
    let out = effects(&mut machine);
    assert_eq!(out[0], Effect::ReleaseRefreshLock { attempt, hold_until: now, note: None }, "let go at once");
    assert!(matches!(&out[1], Effect::Broadcast(Envelope { message: Message::StateRequest, .. })));
    assert_eq!(out.len(), 2, "no refresh: {out:?}");
    assert_eq!(machine.refresh_due_at(), Some(now + NOTE_RETRY_MS));
    // The new tokens arrive: adopted, and the next refresh is scheduled for them.
    let tokens = TokenSet::bearer("at2", Some("rt2"), Some(now + 5 * MIN));
    let refreshed = Message::Refreshed { tokens, generation: 1, received_at: now };
    machine.handle_message(now + 30, Envelope { from: id(9), epoch: Some(id(200)), message: refreshed }).unwrap();
    assert_eq!(machine.token_generation(), Some(1));
    assert!(machine.refresh_due_at().is_some_and(|at| at > now + MIN));
}

#[test]
fn a_note_of_this_generation_or_an_earlier_session_does_not_hold_a_refresh_back() {
    let this = GenerationNote { epoch: id(200), started_at: T0, generation: 0 };
    let earlier = [
        GenerationNote { epoch: id(201), started_at: T0 - 1, generation: 9 },
        // Started at the same moment: the epoch decides, as between two logins.
        GenerationNote { epoch: id(199), started_at: T0, generation: 9 },
    ];
    for note in [this].into_iter().chain(earlier) {
        let mut machine = logged_in(5 * MIN);
        let attempt = ask_lock(&mut machine);
        machine.handle_lock_acquired(machine.now(), attempt, Some(note));
        assert!(matches!(effects(&mut machine).as_slice(), [Effect::CallRefreshHook { .. }]), "{note:?}");
    }
}

/// A later session refreshed (the note is its own): it replaced this one in
/// every tab, so this tab's token may be rotated out and is not presented,
/// whatever the generations; the tab asks for the session instead.
#[test]
fn a_note_of_a_later_session_holds_a_refresh_back_whatever_its_generation() {
    let later = [
        GenerationNote { epoch: id(199), started_at: T0 + 1, generation: 0 },
        GenerationNote { epoch: id(201), started_at: T0, generation: 1 },
    ];
    for note in later {
        let mut machine = logged_in(5 * MIN);
        let attempt = ask_lock(&mut machine);
        let now = machine.now();
        machine.handle_lock_acquired(now, attempt, Some(note));
        let out = effects(&mut machine);
        assert_eq!(out[0], Effect::ReleaseRefreshLock { attempt, hold_until: now, note: None }, "{note:?}");
        assert!(matches!(&out[1], Effect::Broadcast(Envelope { message: Message::StateRequest, .. })));
        assert_eq!(out.len(), 2, "no refresh: {out:?}");
    }
}

#[test]
fn the_generation_note_round_trips_and_anything_else_is_no_note() {
    let note = GenerationNote { epoch: id(200), started_at: T0, generation: u64::MAX };
    assert_eq!(GenerationNote::decode(&note.encode()), Some(note));
    let hex = id(200).to_hex();
    for text in [
        format!("{hex} 3"), // the older form, without the start: no note
        format!("{hex} {T0} 3 4"),
        format!("{hex} {T0} -3"),
        format!("{hex}  3"),
        format!("{hex} {T0} 99999999999999999999"),
        format!("{hex} {T0} {}", "0".repeat(60)),
        String::new(),
    ] {
        assert_eq!(GenerationNote::decode(&text), None, "{text:?}");
    }
}

#[test]
fn tokens_that_never_come_end_the_session_after_the_wait() {
    let mut machine = logged_in(5 * MIN);
    let ahead = GenerationNote { epoch: id(200), started_at: T0, generation: 1 };
    let first = machine.refresh_due_at().expect("scheduled");
    loop {
        let attempt = ask_lock(&mut machine);
        machine.handle_lock_acquired(machine.now(), attempt, Some(ahead));
        if !machine.state().is_live() {
            break;
        }
        assert!(machine.now() < first + NOTE_WAIT_MS, "still waiting past the bound");
        effects(&mut machine);
    }
    assert_eq!(machine.now(), first + NOTE_WAIT_MS);
    assert_eq!(machine.end_reason(), Some(EndReason::RefreshFailed));
    let out = effects(&mut machine);
    assert!(!out.iter().any(|e| matches!(e, Effect::CallRefreshHook { .. })), "never presented: {out:?}");
    assert!(events(&mut machine).iter().any(|e| matches!(e, Event::RefreshFailed { code: "rotated_elsewhere", .. })));
}

#[test]
fn a_grant_during_the_idle_warning_waits_for_the_user() {
    let mut machine = logged_in(15 * MIN); // due after the idle warning starts (9 min)
    machine.handle_activity(T0 + 8 * MIN);
    let attempt = {
        machine.refresh_now(T0 + 8 * MIN + 30 * SEC);
        match effects(&mut machine).as_slice() {
            [.., Effect::AcquireRefreshLock { attempt }] => *attempt,
            other => panic!("expected a lock request, got {other:?}"),
        }
    };
    let warned = T0 + 17 * MIN + SEC;
    machine.handle_timeout(warned);
    assert_eq!(machine.state(), SessionState::Warning);
    effects(&mut machine);
    machine.handle_lock_acquired(warned, attempt, None);
    assert_eq!(effects(&mut machine), vec![release(attempt, warned)], "released, nothing sent");
    machine.stay_signed_in(warned + SEC);
    assert!(effects(&mut machine).iter().any(|e| matches!(e, Effect::AcquireRefreshLock { .. })), "asked again");
}
