//! Origins as the URL parser writes them: `apiOrigins` entries are normalised
//! so that they match what `session.fetch` checks (the browser's `href`), and
//! entries the browser would rewrite are refused instead of never matching.

use wasm_session::core::endpoints::{api_origin, may_send_credential, origin_of};
use wasm_session::core::options;
use wasm_session::core::security::{report, Page, Setup};
use wasm_session::core::{ConfigErrorKind, StorageChoice, Transport};
use wasm_session_testkit::json;

use wasm_session_testkit::sim::test_config;

fn read_api_origins(list: &str) -> Result<Vec<String>, ConfigErrorKind> {
    let text = ["{\"apiOrigins\":", list, "}"].concat();
    match options::read(&json::parse(&text).expect("test JSON")) {
        Ok(options) => Ok(options.endpoints.api_origins),
        Err(error) => Err(error.kind),
    }
}

#[test]
fn default_ports_case_and_a_trailing_slash_are_normalised_away() {
    let cases = [
        ("https://api.x:443", "https://api.x"),
        ("https://api.x:443/", "https://api.x"),
        ("HTTPS://API.X", "https://api.x"),
        ("http://api.x:80", "http://api.x"),
        ("https://api.x:0443", "https://api.x"),
        ("https://api.x:", "https://api.x"),
        ("https://api.x:8443", "https://api.x:8443"),
        ("https://api.x:08443/", "https://api.x:8443"),
        ("http://api.x:443", "http://api.x:443"),
        ("https://api.x:80", "https://api.x:80"),
        ("https://[::1]:443", "https://[::1]"),
        ("https://[2001:DB8::1]:8443", "https://[2001:db8::1]:8443"),
        ("https://10.0.0.1", "https://10.0.0.1"),
        ("https://my_host.internal", "https://my_host.internal"),
    ];
    for (given, expected) in cases {
        assert_eq!(api_origin(given).as_deref(), Some(expected), "{given}");
    }
    let read = read_api_origins(r#"["https://api.x:443", "HTTP://LOCALHOST:80/"]"#);
    assert_eq!(read, Ok(vec!["https://api.x".to_owned(), "http://localhost".to_owned()]));
}

#[test]
fn a_normalised_entry_matches_what_the_browser_resolves() {
    let transport = Transport { api_origins: vec![api_origin("https://api.x:443").unwrap()], ..Transport::default() };
    // `new URL(...).href` drops the default port: this is what session.fetch checks.
    assert!(may_send_credential(&transport, "https://api.x/v1/me", "https://app.x"));
    assert!(may_send_credential(&transport, "https://api.x:443/v1/me", "https://app.x"));
    assert!(!may_send_credential(&transport, "https://api.x:8443/v1/me", "https://app.x"));
    assert!(!may_send_credential(&transport, "http://api.x/v1/me", "https://app.x"));
    assert!(may_send_credential(&transport, "https://app.x:443/orders", "https://app.x"), "the page itself");
}

#[test]
fn entries_the_browser_would_rewrite_or_that_are_no_origin_are_refused() {
    for bad in [
        "https://api.x/path",
        "https://api.x?q",
        "https://api.x#f",
        "https://api.x\\evil",
        "https://user@api.x",
        "https://api.x:65536",
        "https://api.x:-1",
        "https://api.x:44a",
        "https://bücher.example",
        "https://api%2ex",
        "https://0x7f.1",
        "https://127.000.0.1",
        "https://10.1",
        "https://.api.x",
        "https://[zz::1]",
        "https://",
        "api.x",
        "ftp://api.x",
        "//api.x",
    ] {
        assert_eq!(api_origin(bad), None, "{bad}");
        let mut text = String::from("[");
        json::write_escaped(&mut text, bad);
        text.push(']');
        assert_eq!(read_api_origins(&text), Err(ConfigErrorKind::BadOrigin), "{bad}");
    }
}

#[test]
fn origin_of_drops_default_ports_for_every_check() {
    assert_eq!(origin_of("https://API.x:443/a?b#c").as_deref(), Some("https://api.x"));
    assert_eq!(origin_of("http://api.x:80").as_deref(), Some("http://api.x"));
    assert_eq!(origin_of("http://api.x:8080/").as_deref(), Some("http://api.x:8080"));
    assert_eq!(origin_of("https://api.x:99999/"), None);
    assert_eq!(origin_of("/relative"), None);
}

#[test]
fn plain_http_api_origins_are_reported() {
    let ids = |origins: &[&str]| {
        let transport = Transport {
            api_origins: origins.iter().map(|o| api_origin(o).unwrap()).collect(),
            logout: Some(wasm_session::core::Endpoint::post("/auth/logout")),
            ..Transport::default()
        };
        let page = Page { protocol: "https:", hostname: "app.example", cookies: "" };
        let setup = Setup {
            config: &test_config(),
            transport: &transport,
            storage: StorageChoice::Memory,
            page,
            refresh_token_reused: false,
            remember_me: false,
        };
        report(&setup).iter().map(|finding| finding.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(&["https://api.example", "http://api.example"]), ["insecure_api_origin"]);
    assert_eq!(ids(&["HTTP://API.EXAMPLE:8080"]), ["insecure_api_origin"]);
    for local in ["http://localhost:9000", "http://127.0.0.1", "http://[::1]:8080", "http://dev.localhost"] {
        assert!(ids(&[local]).is_empty(), "{local}: this machine");
    }
    assert!(ids(&["https://api.example"]).is_empty());
}
