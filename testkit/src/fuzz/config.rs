//! The options object and the preset helpers, and the checks of a valid
//! configuration and of the requests it makes (shared by the other targets).

use super::*;

/// The options object, as the JS constructor reads it: bytes as JSON text →
/// a value → `options::read` (the shell builds the same value from the JS
/// object). Also the preset helpers' fragments, with the first lines of the
/// text as their URLs.
pub fn config(data: &[u8]) {
    let text = text(data);
    presets(&text);
    let Ok(value) = json::parse(&text) else { return };
    options(&value);
}

fn options(value: &Value) {
    let read = options::read(value);
    let Options { config, endpoints: transport, shell } = match read {
        Ok(read) => read,
        Err(error) => {
            assert!(error.message().ends_with(error.problem()));
            assert!(!error.field.is_empty(), "{error:?}");
            return;
        }
    };
    check_transport(&transport);
    check_config(&config);
    check_shell(&shell);
    if transport.keepalive.is_some() {
        assert!(config.keepalive_every_ms.is_some(), "a keepalive endpoint has a cadence");
    }
    let page = security::Page { protocol: "http:", hostname: "app.example", cookies: "sid=1; csrf=2" };
    let setup = security::Setup {
        config: &config,
        transport: &transport,
        storage: shell.storage,
        page,
        refresh_token_reused: true,
        remember_me: true,
    };
    let findings = security::report(&setup);
    assert!(findings.windows(2).all(|pair| pair[0].severity <= pair[1].severity), "findings most severe first");
    // A validated configuration runs: a login is active, and idles out on time.
    let setup = Setup {
        config,
        transport: transport.clone(),
        refresh_hook: false,
        storage: shell.storage,
        parse_json: parse_ok,
    };
    let mut machine = Machine::new(setup, TAB, 1);
    let mut checker = Checker::default();
    let expires = (transport.mode == TokenMode::Bearer).then_some(T0 + 5 * MIN);
    checker.step(&mut machine, |m| m.login(T0, id(2), TokenSet::bearer("at", Some("rt"), expires)));
    assert_eq!(machine.state(), SessionState::Active, "a fresh login is active");
    assert!(machine.poll_timeout().is_some(), "a live session has a deadline");
    checker.step(&mut machine, |m| m.handle_timeout(T0 + config.idle_timeout_ms));
    assert_eq!(machine.state(), SessionState::Expired, "the idle timeout ends the session");
}

fn check_config(c: &Config) {
    let positive = [
        c.idle_timeout_ms,
        c.warn_before_ms,
        c.absolute_timeout_ms,
        c.absolute_warn_before_ms,
        c.countdown_interval_ms,
        c.retry_initial_ms,
        c.retry_max_ms,
    ];
    assert!(positive.iter().all(|ms| (1..=MAX_DURATION_MS).contains(ms)), "{c:?}");
    let others = [c.activity_broadcast_interval_ms, c.refresh_before_ms, c.refresh_jitter_ms];
    assert!(others.iter().all(|ms| *ms <= MAX_DURATION_MS), "{c:?}");
    assert!(c.keepalive_every_ms.is_none_or(|ms| (1..=MAX_DURATION_MS).contains(&ms)), "{c:?}");
    assert!(c.warn_before_ms < c.idle_timeout_ms, "{c:?}");
    assert!(c.idle_timeout_ms <= c.absolute_timeout_ms, "{c:?}");
    assert!(c.absolute_warn_before_ms < c.absolute_timeout_ms, "{c:?}");
    assert!(c.retry_initial_ms <= c.retry_max_ms, "{c:?}");
    assert!(c.activity_broadcast_interval_ms <= c.warn_before_ms / 2, "{c:?}");
}

fn is_plain_name(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

fn check_shell(shell: &ShellOptions) {
    assert!(is_plain_name(&shell.channel_name), "{shell:?}");
    assert!(shell.activity_events.len() <= 16, "{shell:?}");
    assert!(shell.activity_events.iter().all(|event| is_plain_name(event)), "{shell:?}");
    assert!(shell.activity_throttle_ms <= MAX_DURATION_MS, "{shell:?}");
    assert!(matches!(shell.storage, StorageChoice::Memory | StorageChoice::Session | StorageChoice::Local));
}

fn check_transport(t: &Transport) {
    assert!((1..=MAX_TIMEOUT_MS).contains(&t.timeout_ms), "{t:?}");
    assert!((1..=MAX_BODY_LIMIT).contains(&t.max_body_bytes), "{t:?}");
    assert!(t.headers.len() <= MAX_LIST && t.body_fields.len() <= MAX_LIST, "{t:?}");
    assert!(t.revoked_statuses.len() <= MAX_LIST && t.revoked_error_codes.len() <= MAX_LIST, "{t:?}");
    assert!(t.revoked_statuses.iter().all(|status| (400..=599).contains(status)), "{t:?}");
    let endpoints =
        [(&t.refresh, false), (&t.keepalive, true), (&t.session, true), (&t.logout, false), (&t.revocation, false)];
    for (endpoint, allow_get) in endpoints {
        let Some(endpoint) = endpoint else { continue };
        assert!(is_valid_url(&endpoint.url), "{endpoint:?}");
        assert!(["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&endpoint.method.as_str()), "{endpoint:?}");
        assert!(allow_get || endpoint.method != "GET", "{endpoint:?}");
    }
    assert_eq!(t.endpoints().count(), endpoints.iter().filter(|(endpoint, _)| endpoint.is_some()).count());
    let tokens = TokenSet::bearer("access", Some("refresh"), None);
    check_requests(t, &tokens, Some("csrf-token"));
    check_requests(t, &TokenSet::default(), None);
}

/// Every request the transport builds with `tokens` is one fetch accepts.
pub(super) fn check_requests(t: &Transport, tokens: &TokenSet, csrf: Option<&str>) {
    let refresh_token = tokens.refresh_token.as_ref().map(Secret::expose);
    let with_csrf = |mut request: Request| {
        request.set_csrf_token(csrf);
        request
    };
    let refresh = contract::refresh_request(t, refresh_token).map(with_csrf);
    assert_eq!(refresh.is_some(), t.refresh.is_some());
    let keepalive = contract::keepalive_request(t).map(with_csrf);
    assert_eq!(keepalive.is_some(), t.keepalive.is_some());
    let session = contract::session_request(t).map(with_csrf);
    assert_eq!(session.is_some(), t.session.is_some());
    let logout: Vec<Request> = contract::logout_requests(t, tokens).into_iter().map(with_csrf).collect();
    assert!(logout.len() <= 3);
    assert!(logout.iter().all(|request| request.keepalive), "logout requests outlive the page");
    for request in refresh.iter().chain(&keepalive).chain(&session).chain(&logout) {
        check_request(request);
    }
    if let Some(refresh) = &refresh {
        assert!(header(refresh, "Authorization").is_none(), "the refresh request carries no access token");
    }
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.iter().find(|(have, _)| have.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}

pub(super) fn check_request(request: &Request) {
    for (index, (name, value)) in request.headers.iter().enumerate() {
        assert!(is_header_name(name), "bad header name {name:?}");
        let ok = value.chars().all(|c| !matches!(c, '\r' | '\n' | '\0') && u32::from(c) <= 0xFF);
        assert!(ok, "header {name} has a value fetch rejects");
        let duplicate = request.headers[..index].iter().any(|(other, _)| other.eq_ignore_ascii_case(name));
        assert!(!duplicate, "header {name} is set twice");
    }
    if request.method.eq_ignore_ascii_case("GET") {
        assert!(request.body.is_none(), "GET has no body");
    }
    if request.body.is_some() {
        assert!(header(request, "Content-Type").is_some(), "a body has a Content-Type");
    }
    assert!(header(request, "Accept").is_some());
}

/// The preset helpers' option fragments read back as the presets themselves.
fn presets(text: &str) {
    let mut lines = text.split('\n');
    let (first, second, third) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""), lines.next());
    let fourth = lines.next().unwrap_or("/logout");

    let read = options::read(&options::oauth2_options(first, second, third)).map(|options| options.endpoints);
    let valid = is_valid_url(first) && third.is_none_or(is_valid_url);
    assert_eq!(read.is_ok(), valid, "oauth2({first:?}, {second:?}, {third:?}): {read:?}");
    if let Ok(read) = read {
        assert_eq!(read, Transport::oauth2(first, second, third));
        check_transport(&read);
    }

    let session = third.unwrap_or("/session");
    let read = options::read(&options::cookie_session_options(first, session, fourth)).map(|options| options.endpoints);
    let valid = is_valid_url(first) && is_valid_url(session) && is_valid_url(fourth);
    assert_eq!(read.is_ok(), valid, "cookie_session({first:?}, {session:?}, {fourth:?}): {read:?}");
    if let Ok(read) = read {
        assert_eq!(read, Transport::cookie_session(first, session, fourth));
        check_transport(&read);
    }
}
