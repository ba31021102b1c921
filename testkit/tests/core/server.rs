//! The server's word, read by purpose: session checks (when they are asked and
//! what their answers mean), refresh, keepalive and logout answers, stale and
//! unknown ids, network failures and timeouts.

use wasm_session::core::*;
use wasm_session_testkit::json;
use wasm_session_testkit::sim::*;

fn json_answer(status: u16, body: &str) -> FetchAnswer {
    FetchAnswer::Response(Response::new(status, Body::Json(json::parse(body).expect("test JSON"))))
}

fn empty_answer(status: u16) -> FetchAnswer {
    FetchAnswer::Response(Response::new(status, Body::Empty))
}

fn machine(mode: TokenMode, refresh_hook: bool) -> Machine {
    let mut machine = Machine::new(every_endpoint(mode, refresh_hook), id(1), 7);
    machine.handle_timeout(T0);
    machine
}

/// Asks the session endpoint at `now` and returns the request's id, if one went out.
fn check(machine: &mut Machine, now: u64, trigger: CheckTrigger) -> Option<u64> {
    machine.check_session(now, trigger, id(160));
    sent(&effects(machine), Purpose::SessionCheck).first().copied()
}

// ---- session checks ----

#[test]
fn waking_asks_the_session_endpoint_at_most_once_a_minute_and_resume_always() {
    let mut machine = machine(TokenMode::Cookie, false);
    assert!(check(&mut machine, T0, CheckTrigger::Wake).is_some(), "the first wake asks");
    assert!(check(&mut machine, T0 + 10 * SEC, CheckTrigger::Wake).is_none(), "throttled");
    assert!(check(&mut machine, T0 + 59 * SEC, CheckTrigger::Wake).is_none(), "throttled");
    assert!(check(&mut machine, T0 + 59 * SEC, CheckTrigger::Resume).is_some(), "an explicit resume always asks");
    assert!(check(&mut machine, T0 + 60 * SEC, CheckTrigger::Wake).is_none(), "it counts as the latest check");
    assert!(check(&mut machine, T0 + 118 * SEC, CheckTrigger::Wake).is_none());
    assert!(check(&mut machine, T0 + 119 * SEC, CheckTrigger::Wake).is_some(), "a minute after it");
    assert_eq!(SESSION_CHECK_EVERY_MS, MIN);
}

#[test]
fn without_a_session_endpoint_nothing_is_asked() {
    let mut machine = Machine::new(test_setup(test_config()), id(1), 7);
    assert!(check(&mut machine, T0, CheckTrigger::Resume).is_none());
}

#[test]
fn a_signed_in_answer_starts_the_session_with_the_fresh_epoch_and_caps_it() {
    let mut machine = machine(TokenMode::Cookie, false);
    let request = check(&mut machine, T0, CheckTrigger::Resume).expect("asked");
    let cap = T0 + 30 * MIN;
    let body = format!(r#"{{"signedIn":true,"absoluteExpiresAt":{cap}}}"#);
    machine.handle_fetch_answer(T0 + SEC, request, json_answer(200, &body));
    assert_eq!(machine.state(), SessionState::Active);
    assert_eq!(machine.epoch(), Some(id(160)));
    assert_eq!(machine.absolute_deadline(), Some(cap));
    assert!(!machine.refresh_in_flight(), "cookie mode has nothing to refresh");
}

#[test]
fn cookie_mode_signed_out_ends_the_session_as_revoked() {
    for answer in [json_answer(200, r#"{"signedIn":false}"#), empty_answer(401)] {
        let mut machine = Machine::new(every_endpoint(TokenMode::Cookie, false), id(1), 7);
        machine.login(T0, id(200), TokenSet::default());
        let request = check(&mut machine, T0 + MIN, CheckTrigger::Resume).expect("asked");
        machine.handle_fetch_answer(T0 + MIN, request, answer);
        assert_eq!(machine.end_reason(), Some(EndReason::Revoked));
        assert!(sent(&effects(&mut machine), Purpose::Logout(EndReason::Revoked)).is_empty(), "not told again");
    }
}

#[test]
fn bearer_mode_signed_out_is_verified_by_a_refresh() {
    // The refresh cookie this check carried may have been rotated a moment later
    // by another tab: the refresh endpoint decides.
    for refresh_hook in [false, true] {
        let mut machine = machine(TokenMode::Bearer, refresh_hook);
        machine.login(T0, id(200), TokenSet::bearer("at", None, Some(T0 + 60 * MIN)));
        let request = check(&mut machine, T0 + MIN, CheckTrigger::Wake).expect("asked");
        machine.handle_fetch_answer(T0 + MIN, request, json_answer(200, r#"{"signedIn":false}"#));
        assert_eq!(machine.state(), SessionState::Active, "not ended on the check's word");
        assert!(machine.refresh_in_flight(), "a refresh decides");
    }
    // With nothing to refresh with, nothing is concluded.
    let mut setup = every_endpoint(TokenMode::Bearer, false);
    setup.transport.refresh = None;
    let mut machine = Machine::new(setup, id(1), 7);
    machine.login(T0, id(200), TokenSet::bearer("at", None, None));
    let request = check(&mut machine, T0 + MIN, CheckTrigger::Resume).expect("asked");
    machine.handle_fetch_answer(T0 + MIN, request, empty_answer(401));
    assert_eq!(machine.state(), SessionState::Active);
    assert!(!machine.refresh_in_flight());
}

#[test]
fn signed_in_without_an_access_token_refreshes_at_once() {
    // Bearer mode after a reload: the server knows the session (its refresh
    // cookie), this tab holds no access token yet.
    let mut machine = machine(TokenMode::Bearer, false);
    let request = check(&mut machine, T0, CheckTrigger::Resume).expect("asked");
    machine.handle_fetch_answer(T0, request, json_answer(200, r#"{"signedIn":true}"#));
    assert_eq!(machine.state(), SessionState::Active);
    assert!(machine.refresh_in_flight());
    assert!(effects(&mut machine).iter().any(|e| matches!(e, Effect::AcquireRefreshLock { .. })));
    // Holding a token, a signed-in answer refreshes nothing.
    let mut machine = machine_logged_in_bearer();
    let request = check(&mut machine, T0 + MIN, CheckTrigger::Resume).expect("asked");
    machine.handle_fetch_answer(T0 + MIN, request, json_answer(200, r#"{"signedIn":true}"#));
    assert!(!machine.refresh_in_flight());
}

fn machine_logged_in_bearer() -> Machine {
    let mut machine = machine(TokenMode::Bearer, false);
    machine.login(T0, id(200), TokenSet::bearer("at", Some("rt"), Some(T0 + 60 * MIN)));
    effects(&mut machine);
    machine
}

#[test]
fn no_answer_to_a_session_check_concludes_nothing() {
    for answer in [FetchAnswer::Network, FetchAnswer::Timeout, empty_answer(503), empty_answer(404)] {
        let mut machine = machine(TokenMode::Cookie, false);
        machine.login(T0, id(200), TokenSet::default());
        let request = check(&mut machine, T0 + MIN, CheckTrigger::Resume).expect("asked");
        machine.handle_fetch_answer(T0 + MIN, request, answer.clone());
        assert_eq!(machine.state(), SessionState::Active, "{answer:?}");
        let mut anonymous = machine_anonymous_cookie();
        let request = check(&mut anonymous, T0, CheckTrigger::Resume).expect("asked");
        anonymous.handle_fetch_answer(T0, request, answer);
        assert_eq!(anonymous.state(), SessionState::Anonymous);
    }
}

fn machine_anonymous_cookie() -> Machine {
    machine(TokenMode::Cookie, false)
}

// ---- answers by purpose ----

#[test]
fn answers_with_unknown_or_already_answered_ids_are_ignored() {
    let mut machine = machine(TokenMode::Cookie, false);
    let request = check(&mut machine, T0, CheckTrigger::Resume).expect("asked");
    machine.handle_fetch_answer(T0, request + 1000, json_answer(200, r#"{"signedIn":true}"#));
    assert_eq!(machine.state(), SessionState::Anonymous, "an id never sent");
    machine.handle_fetch_answer(T0, request, json_answer(200, r#"{"signedIn":true}"#));
    assert_eq!(machine.state(), SessionState::Active);
    machine.logout(T0 + SEC);
    effects(&mut machine);
    machine.handle_fetch_answer(T0 + 2 * SEC, request, json_answer(200, r#"{"signedIn":true}"#));
    assert_eq!(machine.state(), SessionState::LoggedOut, "answered once only: a replay revives nothing");
    machine.handle_hook_result(T0 + 2 * SEC, request, HookResult::Resolved(None));
    assert_eq!(machine.state(), SessionState::LoggedOut);
}

/// Logs in with a token due for refresh and drives the refresh to its request.
fn refresh_request_out(machine: &mut Machine) -> (u64, Request) {
    machine.login(T0, id(200), TokenSet::bearer("at", Some("rt-1"), Some(T0 + 5 * MIN)));
    let due = machine.refresh_due_at().expect("due");
    machine.handle_timeout(due);
    let attempt = match effects(machine).as_slice() {
        [.., Effect::AcquireRefreshLock { attempt }] => *attempt,
        other => panic!("{other:?}"),
    };
    machine.handle_lock_acquired(due, attempt, None);
    match effects(machine).as_slice() {
        [Effect::Fetch { id, purpose: Purpose::Refresh, request }] => {
            assert_eq!(*id, attempt, "a refresh request's id is its attempt");
            (*id, request.clone())
        }
        other => panic!("expected the refresh request, got {other:?}"),
    }
}

#[test]
fn a_refresh_through_the_endpoint_sends_the_token_and_reads_the_answer() {
    let mut machine = machine(TokenMode::Bearer, false);
    let (id, request) = refresh_request_out(&mut machine);
    assert_eq!((request.url.as_str(), request.method.as_str()), ("/auth/refresh", "POST"));
    assert_eq!(request.body.as_deref(), Some(r#"{"refresh_token":"rt-1"}"#));
    let now = machine.now();
    let body = r#"{"access_token":"at-2","refresh_token":"rt-2","expires_in":300}"#;
    let server_date = Some(now + 3_600_000); // an hour ahead: expires_in is relative anyway
    let answer = Response { date: server_date, ..Response::new(200, Body::Json(json::parse(body).unwrap())) };
    machine.handle_fetch_answer(now, id, FetchAnswer::Response(answer));
    assert_eq!(machine.access_token(), Some("at-2"));
    assert_eq!(machine.tokens().and_then(|t| t.expires_at), Some(now + 300_000));
    let out = effects(&mut machine);
    assert!(matches!(out.first(), Some(Effect::Broadcast(Envelope { message: Message::Refreshed { .. }, .. }))));
    assert_eq!(
        out.get(1),
        Some(&Effect::ReleaseRefreshLock {
            attempt: id,
            hold_until: now + LOCK_SETTLE_MS,
            note: Some(GenerationNote { epoch: wasm_session_testkit::sim::id(200), started_at: T0, generation: 1 })
        }),
        "shared first, then released and held while the message travels"
    );
}

#[test]
fn no_answer_to_a_refresh_is_retried_with_its_code() {
    for (answer, code) in [(FetchAnswer::Network, "network"), (FetchAnswer::Timeout, "timeout")] {
        let mut machine = machine(TokenMode::Bearer, false);
        let (id, _) = refresh_request_out(&mut machine);
        let now = machine.now();
        machine.handle_fetch_answer(now, id, answer);
        assert!(machine.refresh_due_at().is_some_and(|at| at > now), "{code}: retried later");
        assert!(events(&mut machine).iter().any(|e| matches!(
            e,
            Event::RefreshFailed { code: c, definitive: false, .. } if *c == code
        )));
    }
}

#[test]
fn a_retry_after_in_either_form_is_a_floor_for_the_retry() {
    for retry_after in [
        RetryAfter { text: "120".into(), date: None },
        RetryAfter { text: "a date".into(), date: Some(T0 + 5 * MIN + 120 * SEC) },
    ] {
        let mut machine = machine(TokenMode::Bearer, false);
        let (id, _) = refresh_request_out(&mut machine);
        let now = machine.now();
        let busy = Response { retry_after: Some(retry_after), ..Response::new(503, Body::NotJson) };
        machine.handle_fetch_answer(now, id, FetchAnswer::Response(busy));
        assert!(machine.refresh_due_at().is_some_and(|at| at >= now + 120 * SEC - 30 * SEC));
    }
}

#[test]
fn the_csrf_token_is_added_by_the_shell_to_requests_that_name_it() {
    let mut setup = every_endpoint(TokenMode::Bearer, false);
    setup.transport.csrf = Some(Csrf { header: "X-CSRF".into(), source: CsrfSource::Cookie("csrf".into()) });
    let mut machine = Machine::new(setup, id(1), 7);
    let (_, mut request) = refresh_request_out(&mut machine);
    assert_eq!(request.csrf.as_ref().map(|c| &c.source), Some(&CsrfSource::Cookie("csrf".into())));
    request.set_csrf_token(Some("from-the-page"));
    assert!(request.headers.contains(&("X-CSRF".to_owned(), "from-the-page".to_owned())));
}

#[test]
fn without_an_endpoint_or_function_a_due_refresh_ends_the_session() {
    let mut setup = every_endpoint(TokenMode::Bearer, false);
    setup.transport.refresh = None;
    let mut machine = Machine::new(setup, id(1), 7);
    machine.login(T0, id(200), TokenSet::bearer("at", None, Some(T0 + 5 * MIN)));
    let due = machine.refresh_due_at().expect("due");
    machine.handle_timeout(due);
    let attempt = match effects(&mut machine).as_slice() {
        [.., Effect::AcquireRefreshLock { attempt }] => *attempt,
        other => panic!("{other:?}"),
    };
    machine.handle_lock_acquired(due, attempt, None);
    assert_eq!(machine.end_reason(), Some(EndReason::RefreshFailed), "rather than run on expired tokens");
    assert!(events(&mut machine).iter().any(|e| matches!(e, Event::RefreshFailed { definitive: true, .. })));
}

#[test]
fn keepalive_answers_are_read_as_the_servers_word_on_the_session() {
    let cases = [
        (json_answer(200, r#"{"absoluteExpiresAt":1700001000000}"#), Some(SessionState::Active), false),
        (empty_answer(401), None, false),
        (json_answer(200, r#"{"signedIn":false}"#), None, false),
        (FetchAnswer::Network, Some(SessionState::Active), true),
        (FetchAnswer::Timeout, Some(SessionState::Active), true),
        (empty_answer(503), Some(SessionState::Active), true),
    ];
    for (answer, state, owed_again) in cases {
        let mut machine = machine(TokenMode::Cookie, false);
        machine.login(T0, id(200), TokenSet::default());
        machine.handle_activity(T0 + 2 * MIN);
        let request = keepalive_sent(&mut machine, T0 + 2 * MIN).expect("a keepalive");
        machine.handle_fetch_answer(T0 + 2 * MIN, request, answer.clone());
        match state {
            Some(state) => assert_eq!(machine.state(), state, "{answer:?}"),
            None => assert_eq!(machine.end_reason(), Some(EndReason::Revoked), "{answer:?}"),
        }
        let next = machine.next_deadline().filter(|d| d.kind == TimerKind::Keepalive);
        assert_eq!(next.is_some(), owed_again, "{answer:?}: tried again at the next interval");
    }
}

#[test]
fn logout_requests_go_out_together_and_a_failure_is_reported_once() {
    let mut setup = every_endpoint(TokenMode::Bearer, false);
    setup.transport.revocation = Some(Endpoint::post("/auth/revoke"));
    for (answers, reported) in [
        ([empty_answer(200), empty_answer(204), empty_answer(200)], false),
        ([empty_answer(200), FetchAnswer::Network, empty_answer(500)], true),
        ([FetchAnswer::Timeout, FetchAnswer::Timeout, FetchAnswer::Timeout], true),
    ] {
        let mut machine = Machine::new(setup.clone(), id(1), 7);
        machine.login(T0, id(200), TokenSet::bearer("at", Some("rt"), None));
        effects(&mut machine);
        machine.logout(T0 + MIN);
        let ids = sent(&effects(&mut machine), Purpose::Logout(EndReason::User));
        assert_eq!(ids.len(), 3, "revoke the refresh token, the access token, then log out");
        events(&mut machine);
        for (id, answer) in ids.iter().zip(answers) {
            let before = events(&mut machine);
            assert!(before.is_empty(), "nothing is reported before the last answer: {before:?}");
            machine.handle_fetch_answer(T0 + MIN, *id, answer);
        }
        let errors: Vec<Event> =
            events(&mut machine).into_iter().filter(|e| matches!(e, Event::Error { .. })).collect();
        let expected = if reported { vec![Event::Error { code: ErrorCode::LogoutFailed }] } else { Vec::new() };
        assert_eq!(errors, expected);
        assert_eq!(ErrorCode::LogoutFailed.as_str(), "logout_failed");
    }
}
