use wasm_session::core::security::{is_local_host, report, Page, Setup, Severity};
use wasm_session::core::*;
use wasm_session_testkit::sim::*;

const HTTPS: Page = Page { protocol: "https:", hostname: "app.example", cookies: "" };

fn ids(config: &Config, transport: &Transport, storage: StorageChoice, page: Page, reused: bool) -> Vec<&'static str> {
    let setup = Setup { config, transport, storage, page, refresh_token_reused: reused, remember_me: false };
    report(&setup).iter().map(|finding| finding.id).collect()
}

fn with_logout() -> Transport {
    Transport { logout: Some(Endpoint::post("/auth/logout")), ..Transport::default() }
}

#[test]
fn a_careful_setup_has_no_findings() {
    let transport = with_logout();
    assert_eq!(ids(&test_config(), &transport, StorageChoice::Memory, HTTPS, false), Vec::<&str>::new());
    let oauth = Transport::oauth2("https://id.example/token", "app", Some("https://id.example/revoke"));
    assert_eq!(ids(&test_config(), &oauth, StorageChoice::Session, HTTPS, false), Vec::<&str>::new());
}

#[test]
fn plain_http_is_reported_except_on_this_machine() {
    let transport = with_logout();
    let http = Page { protocol: "http:", hostname: "app.example", cookies: "" };
    assert_eq!(ids(&test_config(), &transport, StorageChoice::Memory, http, false), ["insecure_page"]);
    for host in ["localhost", "LOCALHOST", "app.localhost", "127.0.0.1", "127.1.2.3", "[::1]"] {
        let page = Page { protocol: "http:", hostname: host, cookies: "" };
        assert!(ids(&test_config(), &transport, StorageChoice::Memory, page, false).is_empty(), "{host}");
    }
    for host in ["127.0.0.1.evil.example", "localhost.evil.example", "128.0.0.1", "127.0.0.256", ""] {
        assert!(!is_local_host(host), "{host}");
    }
}

#[test]
fn an_absolute_http_endpoint_to_another_host_is_reported() {
    let mut transport = with_logout();
    transport.refresh = Some(Endpoint::post("http://api.example/auth/refresh"));
    let found = ids(&test_config(), &transport, StorageChoice::Memory, HTTPS, false);
    assert_eq!(found, ["insecure_endpoint"]);
    for url in
        ["/auth/refresh", "https://api.example/r", "http://localhost:8080/r", "http://[::1]:8080/r", "http://127.0.0.1"]
    {
        transport.refresh = Some(Endpoint::post(url));
        assert!(ids(&test_config(), &transport, StorageChoice::Memory, HTTPS, false).is_empty(), "{url}");
    }
    transport.refresh = Some(Endpoint::post("HTTP://localhost.evil.example/r"));
    assert_eq!(ids(&test_config(), &transport, StorageChoice::Memory, HTTPS, false), ["insecure_endpoint"]);
    // Hosts browsers refuse are judged by what precedes their last colon, as
    // the origin's text would be: `localhost` here, `:` below.
    transport.refresh = Some(Endpoint::post("http://localhost:3000:/r"));
    assert!(ids(&test_config(), &transport, StorageChoice::Memory, HTTPS, false).is_empty());
    transport.refresh = Some(Endpoint::post("http://::1:80/r"));
    assert_eq!(ids(&test_config(), &transport, StorageChoice::Memory, HTTPS, false), ["insecure_endpoint"]);
}

#[test]
fn tokens_in_local_storage_are_reported_in_bearer_mode_only() {
    let bearer = with_logout();
    assert_eq!(ids(&test_config(), &bearer, StorageChoice::Local, HTTPS, false), ["tokens_in_local_storage"]);
    let cookie = Transport::cookie_session("/k", "/s", "/l");
    assert!(ids(&test_config(), &cookie, StorageChoice::Local, HTTPS, false).is_empty());
}

#[test]
fn a_named_session_cookie_visible_to_scripts_is_reported() {
    let mut transport = Transport::cookie_session("/k", "/s", "/l");
    transport.session_cookie = Some("sid".to_owned());
    let readable = Page { cookies: "theme=dark; sid=abc123; csrf=x", ..HTTPS };
    assert_eq!(ids(&test_config(), &transport, StorageChoice::Memory, readable, false), ["session_cookie_readable"]);
    let http_only = Page { cookies: "theme=dark; sidecar=1; csrf=sid", ..HTTPS };
    assert!(ids(&test_config(), &transport, StorageChoice::Memory, http_only, false).is_empty());
}

#[test]
fn long_timeouts_are_reported_against_owasp_and_pci_guidance() {
    let config = |idle: u64, absolute: u64| {
        Config::from_input(&ConfigInput {
            idle_timeout_ms: Some(idle as f64),
            absolute_timeout_ms: Some(absolute as f64),
            ..ConfigInput::default()
        })
        .unwrap()
    };
    let transport = with_logout();
    let at_limits = config(30 * MIN, 24 * 60 * MIN);
    assert!(ids(&at_limits, &transport, StorageChoice::Memory, HTTPS, false).is_empty());
    let over = config(30 * MIN + 1, 24 * 60 * MIN + 1);
    assert_eq!(
        ids(&over, &transport, StorageChoice::Memory, HTTPS, false),
        ["idle_timeout_long", "absolute_timeout_long"]
    );
}

#[test]
fn no_logout_endpoint_is_reported() {
    assert_eq!(ids(&test_config(), &Transport::default(), StorageChoice::Memory, HTTPS, false), ["no_logout_endpoint"]);
    let revocation_only = Transport { revocation: Some(Endpoint::post("/revoke")), ..Transport::default() };
    assert!(ids(&test_config(), &revocation_only, StorageChoice::Memory, HTTPS, false).is_empty());
}

#[test]
fn findings_come_most_severe_first_with_advice() {
    let http = Page { protocol: "http:", hostname: "app.example", cookies: "" };
    let setup = Setup {
        config: &test_config(),
        transport: &Transport::default(),
        storage: StorageChoice::Local,
        page: http,
        refresh_token_reused: true,
        remember_me: false,
    };
    let findings = report(&setup);
    let found: Vec<_> = findings.iter().map(|f| (f.id, f.severity)).collect();
    assert_eq!(
        found,
        [
            ("insecure_page", Severity::High),
            ("tokens_in_local_storage", Severity::High),
            ("no_logout_endpoint", Severity::Medium),
            ("refresh_token_not_rotated", Severity::Medium),
        ]
    );
    assert!(findings.iter().all(|f| !f.message.is_empty() && f.advice.len() > 40));
    assert_eq!(Severity::High.as_str(), "high");
}

fn refresh_with(machine: &mut Machine, returned: Option<&str>) {
    let now = machine.now() + 5 * MIN;
    machine.refresh_now(now);
    let attempt = std::iter::from_fn(|| machine.poll_effect())
        .find_map(|e| match e {
            Effect::AcquireRefreshLock { attempt } => Some(attempt),
            _ => None,
        })
        .expect("a refresh starts");
    machine.handle_lock_acquired(now, attempt, None);
    let tokens = TokenSet::bearer("new-at", returned, Some(now + 10 * MIN));
    machine.handle_refresh_result(now, attempt, RefreshOutcome::Success(tokens));
}

#[test]
fn a_refresh_that_does_not_rotate_the_refresh_token_is_noticed() {
    for (returned, reused) in [(Some("rt2"), false), (Some("rt"), true), (None, true)] {
        let mut machine = Machine::new(test_setup(test_config()), id(1), 7);
        machine.login(T0, id(200), TokenSet::bearer("at", Some("rt"), Some(T0 + 10 * MIN)));
        refresh_with(&mut machine, returned);
        assert_eq!(machine.state(), SessionState::Active);
        assert_eq!(machine.refresh_token_reused(), reused, "{returned:?}");
    }
    // Cookie mode: no refresh token to rotate.
    let mut machine = Machine::new(test_setup(test_config()), id(1), 7);
    machine.login(T0, id(200), TokenSet::bearer("at", None, Some(T0 + 10 * MIN)));
    refresh_with(&mut machine, None);
    assert!(!machine.refresh_token_reused());
}
