//! Server answers: refresh responses, session-check responses and API answers,
//! read alone and fed to machines.

use super::*;

/// Statuses worth hitting often; a selector byte from 0xE0 up reads any u16.
pub(super) const STATUSES: [u16; 16] = [200, 201, 204, 0, 400, 401, 403, 404, 408, 429, 500, 503, 302, 419, 299, 599];

/// One server answer, owned.
#[derive(Debug)]
struct Answer {
    status: u16,
    date: Option<String>,
    retry_after: Option<String>,
    content_type: Option<String>,
    body: String,
    body_len: usize,
    now: u64,
}

impl Answer {
    /// Layout: status selector, flags, `now` (4 bytes: seconds after T0; 8 bytes
    /// of raw epoch ms with flag 0x20), extra body length (2 bytes, flag 0x08),
    /// then text: one line per header present (Date 0x01, Retry-After 0x02,
    /// Content-Type 0x04; flag 0x10 makes the content type `text/html` without
    /// using a line), and the rest is the body.
    fn read(data: &[u8]) -> Answer {
        let mut input = Input::new(data);
        let selector = input.byte();
        let flags = input.byte();
        let status = if selector >= 0xE0 { input.u16() } else { STATUSES[usize::from(selector) % STATUSES.len()] };
        let now = if flags & 0x20 != 0 { input.u64() } else { T0 + u64::from(input.u32()) * SEC };
        let extra = if flags & 0x08 != 0 { usize::from(input.u16()) } else { 0 };
        let text = text(input.rest());
        let mut rest = text.as_str();
        let mut line = |present: bool| {
            if !present {
                return None;
            }
            let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
            rest = after;
            Some(line.to_owned())
        };
        let date = line(flags & 0x01 != 0);
        let retry_after = line(flags & 0x02 != 0);
        let mut content_type = line(flags & 0x04 != 0);
        if flags & 0x10 != 0 {
            content_type = Some("text/html; charset=utf-8".to_owned());
        }
        let body = rest.to_owned();
        let body_len = body.len() + extra;
        Answer { status, date, retry_after, content_type, body, body_len, now }
    }

    /// The answer as the shell hands it over to a request with `max_body`:
    /// the dates as `Date.parse` reads a valid HTTP date, the body judged.
    fn response(&self, max_body: usize) -> Response {
        Response {
            status: self.status,
            date: self.date.as_deref().and_then(parse_http_date),
            retry_after: self
                .retry_after
                .as_ref()
                .map(|text| RetryAfter { date: parse_http_date(text), text: text.clone() }),
            content_type: self.content_type.clone(),
            body: body_from_text(&self.body, self.body_len, max_body),
        }
    }

    fn too_large(&self, max_body: usize) -> bool {
        self.body_len > max_body || self.body.len() > max_body
    }
}

/// The transports every answer is read with: bearer defaults, the two presets,
/// and one with renamed fields, revoked codes and a small body limit.
fn transports() -> [Transport; 4] {
    let custom = json::parse(
        r#"{"endpoints":{"refresh":"/auth/refresh","session":"/auth/session","keepalive":"/auth/ping"},
            "responseFields":{"accessToken":"token","refreshToken":"renew","expiresIn":"ttl","expiresAt":"until","error":"err"},
            "revokedStatuses":[401,419],"revokedErrorCodes":["session_revoked","invalid_token"],"maxBodyBytes":512}"#,
    )
    .expect("JSON");
    [
        Transport { refresh: Some(Endpoint::post("/auth/refresh")), ..Transport::default() },
        Transport::oauth2("https://id.example/token", "spa", Some("https://id.example/revoke")),
        Transport::cookie_session("/auth/keepalive", "/auth/session", "/auth/logout"),
        options::read(&custom).expect("valid options").endpoints,
    ]
}

pub(super) fn check_secret(secret: &Option<Secret>) {
    if let Some(secret) = secret {
        let len = secret.expose().len();
        assert!((1..=MAX_TOKEN_LEN).contains(&len), "token of {len} bytes");
    }
}

/// A refresh answer: first bytes choose status and headers, the rest is the
/// body (see `Answer::read`). Read with every transport, and fed to machines
/// whose refresh is in flight: as read, and through the refresh endpoint.
pub fn refresh_response(data: &[u8]) {
    let answer = Answer::read(data);
    let (status, now) = (answer.status, answer.now);
    for t in transports() {
        let response = answer.response(t.max_body_bytes);
        let outcome = read_refresh_response(&t, &response, now, parse_ok);
        assert_eq!(outcome, read_refresh_response(&t, &response, now, parse_ok), "reading is deterministic");
        match &outcome {
            RefreshOutcome::Success(tokens) => {
                assert!((200..=299).contains(&status), "success from status {status}");
                assert!(!answer.too_large(t.max_body_bytes), "success from an oversized body");
                check_secret(&tokens.access_token);
                check_secret(&tokens.refresh_token);
                if t.mode == TokenMode::Bearer {
                    assert!(tokens.access_token.is_some(), "bearer success without an access token");
                }
                assert!(tokens.expires_at.is_none_or(|at| at <= MAX_EPOCH_MS), "absurd expiry {tokens:?}");
                // Hostile tokens still make requests fetch accepts.
                check_requests(&t, tokens, Some(&answer.body));
            }
            RefreshOutcome::Failed { failure, retry_after_ms } => {
                match failure {
                    RefreshFailure::Network => assert_eq!(status, 0),
                    RefreshFailure::Status(failed) => {
                        assert_eq!(*failed, status);
                        assert!(!(200..=299).contains(&status) && status != 0);
                    }
                    RefreshFailure::InvalidGrant => assert!(status == 400 || (200..=299).contains(&status)),
                    RefreshFailure::BadResponse => assert!((200..=299).contains(&status)),
                    RefreshFailure::Timeout => panic!("a response is never a timeout"),
                    RefreshFailure::Redirected => panic!("a response is never a redirect"),
                    other => panic!("a failure the fuzz target does not know: {other:?}"),
                }
                if retry_after_ms.is_some() {
                    assert!(matches!(status, 408 | 429 | 500..=599) && answer.retry_after.is_some());
                }
            }
        }
        // Real clocks read below 2^53 ms (JS `Date.now()`).
        let now = now.min(MAX_EPOCH_MS);
        refresh_in_machine(now, Setup { refresh_hook: true, ..Setup::new(small_config()) }, |m, id| {
            m.handle_refresh_result(now, id, outcome)
        });
        let endpoint = Setup { transport: t.clone(), ..Setup::new(small_config()) };
        refresh_in_machine(now, endpoint, |m, id| m.handle_fetch_answer(now, id, FetchAnswer::Response(response)));
    }
    token_response(&answer);
}

/// The token reader for `start()` and the JS refresh hook's results, on the
/// same body.
fn token_response(answer: &Answer) {
    let Ok(value) = json::parse(&answer.body) else { return };
    // Real clocks read below 2^53 ms (JS `Date.now()`).
    let now = answer.now.min(MAX_EPOCH_MS);
    let t = Transport { max_body_bytes: MAX_BODY_LIMIT, ..Transport::default() };
    let Ok(tokens) = contract::read_tokens(&t.fields, &value, None, now, parse_ok) else { return };
    check_secret(&tokens.access_token);
    check_secret(&tokens.refresh_token);
    assert!(tokens.expires_at.is_none_or(|at| at <= MAX_EPOCH_MS), "an expiry no message could carry");
    // An endpoint's answer with the same body reads the same tokens.
    let response = Response::new(200, Body::Json(value.clone()));
    if let RefreshOutcome::Success(read) = read_refresh_response(&t, &response, now, parse_ok) {
        assert_eq!(read, tokens, "the endpoint and the hook read the same body differently");
    }
    // The JS refresh hook's result is a refresh success.
    let result = contract::HookResult::Resolved(Some(value));
    assert_eq!(contract::read_hook_result(&t, &result, now, parse_ok), RefreshOutcome::Success(tokens));
    let hook = Setup { refresh_hook: true, ..Setup::new(small_config()) };
    refresh_in_machine(now, hook, |m, id| m.handle_hook_result(now, id, result));
}

/// Logs in, starts a refresh, and answers it with `answer`.
fn refresh_in_machine(now: u64, setup: Setup, answer: impl FnOnce(&mut Machine, u64)) {
    let mut machine = Machine::new(setup, TAB, 5);
    let mut checker = Checker::default();
    let start = now.saturating_sub(MIN);
    let tokens = TokenSet::bearer("at", Some("rt"), Some(start.saturating_add(2 * MIN)));
    checker.step(&mut machine, |m| m.login(start, id(3), tokens));
    checker.step(&mut machine, |m| m.refresh_now(now));
    if let Some(attempt) = checker.pending_locks.first().copied() {
        checker.step(&mut machine, |m| m.handle_lock_acquired(now, attempt, None));
    }
    if let Some(attempt) = checker.outstanding {
        checker.step(&mut machine, |m| answer(m, attempt));
    }
}

/// A keepalive or session answer (same layout as `refresh_response`), read
/// with every transport, checked against `is_revoked`/`needs_body`, and fed to
/// machines as the answer to a keepalive and to a session check.
pub fn session_response(data: &[u8]) {
    let answer = Answer::read(data);
    let (status, now) = (answer.status, answer.now);
    for t in transports() {
        let response = answer.response(t.max_body_bytes);
        let read = read_session_response(&t, &response, now);
        assert_eq!(read, read_session_response(&t, &response, now), "reading is deterministic");
        let revoked_status = matches!(status, 401 | 403) || t.revoked_statuses.contains(&status);
        let retryable = matches!(status, 0 | 408 | 429 | 500..=599);
        match &read {
            SessionAnswer::Revoked => {
                assert!(revoked_status || (status >= 400 && !t.revoked_error_codes.is_empty()), "{status}")
            }
            SessionAnswer::Retryable { retry_after_ms } => {
                assert!(retryable && !revoked_status, "retryable from {status}");
                assert!(retry_after_ms.is_none() || answer.retry_after.is_some());
            }
            SessionAnswer::Active { idle_deadline, absolute_deadline, user, .. } => {
                assert!((200..=299).contains(&status), "active from {status}");
                assert!(!answer.too_large(t.max_body_bytes), "active from an oversized body");
                assert!(idle_deadline.is_none_or(|at| at <= MAX_EPOCH_MS));
                assert!(absolute_deadline.is_none_or(|at| at <= MAX_EPOCH_MS));
                if let Some(user) = user {
                    assert!((1..=256).contains(&user.len()), "user id of {} bytes", user.len());
                }
            }
            SessionAnswer::SignedOut => assert!((200..=299).contains(&status), "signed out from {status}"),
            SessionAnswer::BadResponse => assert!(!retryable && !revoked_status, "bad response from {status}"),
        }
        if revoked_status {
            assert_eq!(read, SessionAnswer::Revoked);
        }
        // The shell reads API bodies only when `needs_body` says they matter.
        let with_body = is_revoked(&t, status, Some(&response.body));
        if !needs_body(&t, status) {
            assert_eq!(with_body, is_revoked(&t, status, None), "needs_body said the body does not matter");
        }
        if answer.too_large(t.max_body_bytes) {
            assert_eq!(with_body, is_revoked(&t, status, None), "oversized bodies are not read");
        }
        if status < 400 {
            assert_eq!(with_body, t.revoked_statuses.contains(&status));
        }
        session_in_machine(now.min(MAX_EPOCH_MS), &t, &response);
        api_answer_in_machine(now.min(MAX_EPOCH_MS), &t, &response);
    }
}

/// `t` with keepalive and session endpoints, so both requests go out.
fn with_session_endpoints(t: &Transport) -> Transport {
    Transport {
        keepalive: t.keepalive.clone().or_else(|| Some(Endpoint::post("/keepalive"))),
        session: t.session.clone().or_else(|| Some(Endpoint::get("/session"))),
        ..t.clone()
    }
}

fn session_in_machine(now: u64, t: &Transport, response: &Response) {
    let transport = with_session_endpoints(t);
    // Keepalive: a session whose user was active since the last ping.
    let setup = Setup { transport: transport.clone(), ..Setup::new(small_config()) };
    let mut machine = Machine::new(setup.clone(), TAB, 6);
    let mut checker = Checker::default();
    let start = now.saturating_sub(3 * SEC);
    checker.step(&mut machine, |m| m.login(start, id(4), TokenSet::default()));
    checker.step(&mut machine, |m| m.handle_activity(start.saturating_add(SEC)));
    checker.step(&mut machine, |m| m.handle_timeout(now));
    if let Some(attempt) = checker.keepalive {
        checker.step(&mut machine, |m| m.handle_fetch_answer(now, attempt, FetchAnswer::Response(response.clone())));
    }
    // Session check: on a fresh tab (which starts the session) and a live one,
    // with and without a `refresh` function.
    for (live, refresh_hook) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut machine = Machine::new(Setup { refresh_hook, ..setup.clone() }, TAB, 7);
        let mut checker = Checker::default();
        if live {
            checker.step(&mut machine, |m| m.login(now, id(5), TokenSet::default()));
        }
        checker.step(&mut machine, |m| m.check_session(now, CheckTrigger::Resume, id(5)));
        let Some(check) = checker.session_check.take() else { panic!("resume always asks") };
        checker.step(&mut machine, |m| m.handle_fetch_answer(now, check, FetchAnswer::Response(response.clone())));
        let read = read_session_response(&transport, response, now);
        if matches!(read, SessionAnswer::Active { .. }) && machine.state().is_live() {
            assert_eq!(machine.epoch(), Some(id(5)));
        }
        let cookie = transport.mode == TokenMode::Cookie;
        if matches!(read, SessionAnswer::SignedOut | SessionAnswer::Revoked) && live {
            // Signed out ends a cookie session; in bearer mode it is verified by a refresh.
            assert_eq!(machine.state().is_live(), !cookie, "{read:?} in {:?} mode", transport.mode);
            assert_eq!(machine.refresh_in_flight(), !cookie && machine.can_refresh());
        }
    }
}

/// An API answer to `session.fetch`, judged at every stage; at most one retry.
fn api_answer_in_machine(now: u64, t: &Transport, response: &Response) {
    for refresh_hook in [false, true] {
        let mut machine =
            Machine::new(Setup { transport: t.clone(), refresh_hook, ..Setup::new(small_config()) }, TAB, 8);
        let mut checker = Checker::default();
        let tokens = TokenSet::bearer("at", Some("rt"), Some(now.saturating_add(5 * MIN)));
        checker.step(&mut machine, |m| m.login(now.saturating_sub(SEC), id(6), tokens));
        let (_, sent) = machine.fetch_credential("GET", &[], false, None);
        let body = machine.api_answer_needs_body(response.status).then_some(&response.body);
        let first =
            checker.step(&mut machine, |m| m.handle_api_answer(now, FetchStage::First, sent, response.status, body));
        let revoked = is_revoked(t, response.status, Some(&response.body));
        match first {
            Verdict::HandBack => assert!(!revoked, "a fresh, online session refreshes or ends"),
            Verdict::EndRevoked => {
                assert!(revoked && !machine.can_refresh());
                assert_eq!(machine.end_reason(), Some(EndReason::Revoked));
            }
            Verdict::RefreshThenRetry => assert!(revoked && machine.refresh_in_flight()),
            Verdict::RetryWithNewerToken => panic!("nothing newer than the token just sent"),
        }
        let app = SentWith { app_authorization: true, ..sent };
        let own =
            checker.step(&mut machine, |m| m.handle_api_answer(now, FetchStage::Retry, app, response.status, body));
        assert_eq!(own, Verdict::HandBack, "the app's own Authorization is the app's");
        let retry =
            checker.step(&mut machine, |m| m.handle_api_answer(now, FetchStage::Retry, sent, response.status, body));
        assert!(matches!(retry, Verdict::HandBack | Verdict::EndRevoked), "never a second retry");
    }
}

// ---- cross-tab messages and stored sessions ----
