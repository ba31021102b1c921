//! What a `session.fetch` answer means (`Machine::handle_api_answer`): every
//! verdict, under a fake clock, as the shell's loop asks for them.

use wasm_session::core::*;
use wasm_session_testkit::json;
use wasm_session_testkit::sim::*;

/// Logged in at T0 with a token that lasts an hour; `refresh_hook`: the app
/// can renew it.
fn machine_with(transport: Transport, refresh_hook: bool) -> Machine {
    let setup = Setup { transport, refresh_hook, ..Setup::new(test_config()) };
    let mut machine = Machine::new(setup, id(1), 7);
    machine.login(T0, id(200), TokenSet::bearer("at", Some("rt"), Some(T0 + 60 * MIN)));
    effects(&mut machine);
    events(&mut machine);
    machine
}

fn bearer() -> Machine {
    machine_with(Transport::default(), true)
}

/// What a plain request (no headers of its own) is sent with now.
fn sent(machine: &Machine) -> SentWith {
    machine.fetch_credential("GET", &[], false, None).1
}

fn judge(machine: &mut Machine, stage: FetchStage, sent: SentWith, status: u16) -> Verdict {
    let now = machine.now();
    machine.handle_api_answer(now, stage, sent, status, None)
}

/// Answers the refresh the machine started with new tokens.
fn complete_refresh(machine: &mut Machine) {
    let now = machine.now();
    let attempt = effects(machine)
        .into_iter()
        .find_map(|e| match e {
            Effect::AcquireRefreshLock { attempt } => Some(attempt),
            _ => None,
        })
        .expect("a refresh asked for the lock");
    machine.handle_lock_acquired(now, attempt, None);
    effects(machine);
    let tokens = TokenSet::bearer("at2", Some("rt2"), Some(now + 60 * MIN));
    machine.handle_refresh_result(now, attempt, RefreshOutcome::Success(tokens));
}

#[test]
fn answers_that_are_not_revoked_are_handed_back() {
    let mut machine = bearer();
    let sent = sent(&machine);
    for status in [200, 204, 302, 400, 403, 404, 500] {
        assert_eq!(judge(&mut machine, FetchStage::First, sent, status), Verdict::HandBack, "{status}");
    }
    assert!(!machine.refresh_in_flight(), "nothing was refreshed");
}

#[test]
fn a_401_for_the_newest_token_refreshes_then_retries_once_and_a_second_401_revokes() {
    let mut machine = bearer();
    let first = sent(&machine);
    assert_eq!(judge(&mut machine, FetchStage::First, first, 401), Verdict::RefreshThenRetry);
    assert!(machine.refresh_in_flight());
    // A second call's 401 while that refresh runs joins it: no second refresh.
    assert_eq!(judge(&mut machine, FetchStage::First, first, 401), Verdict::RefreshThenRetry);
    complete_refresh(&mut machine);
    assert_eq!(judge(&mut machine, FetchStage::AfterRefresh, first, 401), Verdict::RetryWithNewerToken);
    let retry = sent(&machine);
    assert_eq!(retry.generation, Some(1));
    assert_eq!(judge(&mut machine, FetchStage::Retry, retry, 200), Verdict::HandBack);
    assert_eq!(machine.state(), SessionState::Active);
    // The same again, but the retry gets a 401 too: the server ended the session.
    assert_eq!(judge(&mut machine, FetchStage::First, retry, 401), Verdict::RefreshThenRetry);
    complete_refresh(&mut machine);
    let again = sent(&machine);
    assert_eq!(judge(&mut machine, FetchStage::Retry, again, 401), Verdict::EndRevoked);
    assert_eq!(machine.end_reason(), Some(EndReason::Revoked));
    assert!(events(&mut machine).contains(&Event::LoggedOut { reason: EndReason::Revoked, origin: Origin::Server }));
}

#[test]
fn a_401_for_an_older_token_retries_with_the_newer_one_without_refreshing() {
    let mut machine = bearer();
    let old = sent(&machine);
    assert_eq!(judge(&mut machine, FetchStage::First, old, 401), Verdict::RefreshThenRetry);
    complete_refresh(&mut machine);
    // A call that left before the refresh comes back with a 401: one refresh for the burst.
    assert_eq!(judge(&mut machine, FetchStage::First, old, 401), Verdict::RetryWithNewerToken);
    assert!(!machine.refresh_in_flight());
    assert!(effects(&mut machine).iter().all(|e| !matches!(e, Effect::AcquireRefreshLock { .. })));
}

#[test]
fn a_failed_refresh_hands_the_401_back_and_the_session_decides() {
    let mut machine = bearer();
    let first = sent(&machine);
    assert_eq!(judge(&mut machine, FetchStage::First, first, 401), Verdict::RefreshThenRetry);
    let now = machine.now();
    let attempt = match effects(&mut machine).as_slice() {
        [Effect::AcquireRefreshLock { attempt }] => *attempt,
        other => panic!("{other:?}"),
    };
    machine.handle_lock_acquired(now, attempt, None);
    let outage = RefreshOutcome::Failed { failure: RefreshFailure::Network, retry_after_ms: None };
    machine.handle_refresh_result(now, attempt, outage);
    assert_eq!(judge(&mut machine, FetchStage::AfterRefresh, first, 401), Verdict::HandBack);
    assert_eq!(machine.state(), SessionState::Active, "a network blip does not end the session");
    assert!(machine.refresh_due_at().is_some(), "the refresh is retried on its own schedule");
}

#[test]
fn with_nothing_to_renew_the_credential_a_401_ends_the_session_as_revoked() {
    let cookie = Transport::cookie_session("/k", "/s", "/l");
    let mut machine = machine_with(cookie, false);
    assert!(!machine.can_refresh());
    let sent = sent(&machine);
    assert_eq!(judge(&mut machine, FetchStage::First, sent, 401), Verdict::EndRevoked);
    assert_eq!(machine.end_reason(), Some(EndReason::Revoked));
    let out = effects(&mut machine);
    assert!(!out.iter().any(|e| matches!(e, Effect::Fetch { .. } | Effect::AcquireRefreshLock { .. })), "{out:?}");
    assert!(out.iter().any(|e| matches!(
        e,
        Effect::Broadcast(Envelope { message: Message::Logout { reason: EndReason::Revoked }, .. })
    )));
}

#[test]
fn a_401_that_cannot_start_a_refresh_now_is_handed_back() {
    // Offline.
    let mut machine = bearer();
    let sent_offline = sent(&machine);
    machine.handle_online(T0 + MIN, false);
    assert_eq!(judge(&mut machine, FetchStage::First, sent_offline, 401), Verdict::HandBack);
    assert_eq!(machine.state(), SessionState::Active, "not ended on a guess");
    // Idle, in the warning: an idle user is never refreshed.
    let mut machine = bearer();
    machine.handle_timeout(T0 + 9 * MIN + SEC);
    assert_eq!(machine.state(), SessionState::Warning);
    let sent_idle = sent(&machine);
    assert_eq!(judge(&mut machine, FetchStage::First, sent_idle, 401), Verdict::HandBack);
    assert!(!machine.refresh_in_flight());
    assert_eq!(machine.state(), SessionState::Warning);
}

#[test]
fn a_request_with_the_apps_own_authorization_is_the_apps() {
    let mut machine = bearer();
    let app_headers = ["authorization".to_owned()];
    let (credential, sent) = machine.fetch_credential("GET", &app_headers, false, None);
    assert!(sent.app_authorization && credential.app_authorization);
    assert!(credential.headers.is_empty(), "the session's token is not added");
    for stage in [FetchStage::First, FetchStage::AfterRefresh, FetchStage::Retry] {
        assert_eq!(judge(&mut machine, stage, sent, 401), Verdict::HandBack, "{stage:?}");
    }
    assert!(!machine.refresh_in_flight(), "its 401 refreshes nothing");
    assert_eq!(machine.state(), SessionState::Active, "and ends nothing");
}

#[test]
fn without_a_session_a_401_is_the_apps_business() {
    let mut machine = Machine::new(test_setup(test_config()), id(1), 7);
    let sent = sent(&machine);
    assert_eq!(sent.generation, None);
    assert_eq!(judge(&mut machine, FetchStage::First, sent, 401), Verdict::HandBack);
    assert_eq!(machine.state(), SessionState::Anonymous);
}

#[test]
fn revoked_statuses_and_error_codes_are_configured() {
    let transport = Transport {
        revoked_statuses: vec![419],
        revoked_error_codes: vec!["session_revoked".into()],
        ..Transport::default()
    };
    let mut machine = machine_with(transport, true);
    let sent = sent(&machine);
    assert_eq!(judge(&mut machine, FetchStage::First, sent, 401), Verdict::HandBack, "401 is not listed");
    assert!(!machine.api_answer_needs_body(419), "a listed status decides alone");
    assert!(machine.api_answer_needs_body(403) && !machine.api_answer_needs_body(200));
    let other = Body::Json(json::parse(r#"{"error":"forbidden"}"#).unwrap());
    let now = machine.now();
    assert_eq!(machine.handle_api_answer(now, FetchStage::First, sent, 403, Some(&other)), Verdict::HandBack);
    let revoked = Body::Json(json::parse(r#"{"error":"session_revoked"}"#).unwrap());
    let verdict = machine.handle_api_answer(now, FetchStage::First, sent, 403, Some(&revoked));
    assert_eq!(verdict, Verdict::RefreshThenRetry);
    assert_eq!(judge(&mut machine, FetchStage::First, sent, 419), Verdict::RefreshThenRetry);
}

#[test]
fn the_credential_goes_to_the_page_and_the_listed_api_origins_only() {
    let transport = Transport { api_origins: vec!["https://api.example.com".into()], ..Transport::default() };
    let machine = machine_with(transport, true);
    let page = "https://app.example.com";
    assert!(machine.credential_allowed("https://app.example.com/api", page));
    assert!(machine.credential_allowed("https://api.example.com/v1", page));
    assert!(!machine.credential_allowed("https://tracker.example/collect", page));
    let (credential, sent) = machine.fetch_credential("POST", &[], false, None);
    assert_eq!(credential.headers, [("Authorization".to_owned(), "Bearer at".to_owned())]);
    assert_eq!(credential.credentials, Some(Credentials::Include));
    assert_eq!(sent, SentWith { generation: Some(0), app_authorization: false });
}

#[test]
fn an_unusable_csrf_token_is_left_out_and_reported_once() {
    let csrf = Csrf { header: "X-CSRF-Token".into(), source: CsrfSource::Cookie("csrf".into()) };
    let refresh = Some(Endpoint::post("/auth/refresh"));
    let mut machine = machine_with(Transport { csrf: Some(csrf), refresh, ..Transport::default() }, true);
    let unusable = Event::Error { code: ErrorCode::CsrfTokenUnusable };
    // Fine tokens, no token, an empty one, or a GET (which sends none): nothing to report.
    for (method, token) in [("POST", Some("c1")), ("POST", None), ("DELETE", Some("")), ("GET", Some("a\r\nb"))] {
        machine.handle_csrf_token(T0, method, token);
    }
    assert_eq!(events(&mut machine), []);
    // A tossed cookie with CR/LF, beyond Latin-1 or too long: the request goes
    // without the header, never failing, and the app hears of it once.
    let too_long = "x".repeat(8 * 1024 + 1);
    for token in ["a\r\nX-Evil: 1", "€", "nul\0", too_long.as_str()] {
        let (credential, _) = machine.fetch_credential("POST", &[], false, Some(token));
        assert_eq!(credential.headers, [("Authorization".to_owned(), "Bearer at".to_owned())], "{token:?}");
        machine.handle_csrf_token(T0, "POST", Some(token));
    }
    assert_eq!(events(&mut machine), [unusable], "once per page");
    assert_eq!(machine.state(), SessionState::Active);
    // The core's own requests leave it out by the same rule.
    let mut request = wasm_session::core::contract::refresh_request(machine.transport(), Some("rt")).expect("refresh");
    assert!(request.csrf.is_some(), "a POST wants the header");
    request.set_csrf_token(Some("a\r\nb"));
    assert!(!request.headers.iter().any(|(name, _)| name == "X-CSRF-Token"));
    // Without a csrf option the page's cookies are none of the session's business.
    let mut plain = bearer();
    plain.handle_csrf_token(T0, "POST", Some("a\r\nb"));
    assert_eq!(events(&mut plain), []);
}
