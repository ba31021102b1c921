//! Building requests (`core::contract::requests`): the refresh, keepalive,
//! session and logout requests, the CSRF header, and the credential
//! `session.fetch` adds.

use proptest::prelude::*;
use wasm_session_testkit::encoding::form_decode;
use wasm_session_testkit::json::body_from_text;

use super::answers::hostile_body;
use wasm_session::core::contract::encodings::jwt_times;
use wasm_session::core::contract::*;
use wasm_session::core::endpoints::{BodyEncoding, Credentials, Csrf, CsrfSource, Endpoint, Transport};
use wasm_session::core::tokens::{Secret, TokenSet};
use wasm_session_testkit::json::{self, Value};
use wasm_session_testkit::sim::T0;

fn bearer() -> Transport {
    Transport { refresh: Some(Endpoint::post("/auth/refresh")), ..Transport::default() }
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.iter().find(|(have, _)| have.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}

/// `request` with the CSRF token the shell read from the page.
fn csrf(request: Option<Request>, token: Option<&str>) -> Option<Request> {
    request.map(|mut request| {
        request.set_csrf_token(token);
        request
    })
}

/// An answer with `body` as the shell reads it, for the `Debug` check.
fn text(status: u16, body: &str) -> Response {
    Response::new(status, body_from_text(body, body.len(), 1024))
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn is_header_value(value: &str) -> bool {
    value.chars().all(|c| !matches!(c, '\r' | '\n' | '\0') && u32::from(c) <= 0xFF)
}

// ---- requests ----

#[test]
fn refresh_json_body_with_custom_field_and_body_fields() {
    let mut t = bearer();
    t.refresh_token_field = "refreshToken".into();
    t.body_fields = vec![("clientId".into(), "web".into()), ("refreshToken".into(), "overwrite?".into())];
    let request = refresh_request(&t, Some("r\"1\\")).expect("request");
    assert_eq!(request.body.as_deref(), Some(r#"{"refreshToken":"r\"1\\","clientId":"web"}"#));
    assert_eq!(header(&request, "Content-Type"), Some("application/json"));
    assert_eq!(
        json::parse(request.body.as_deref().unwrap_or_default())
            .ok()
            .as_ref()
            .and_then(|v| v.get("refreshToken"))
            .and_then(Value::as_str),
        Some("r\"1\\")
    );
}

#[test]
fn refresh_without_token_or_fields_has_no_body() {
    let t = bearer();
    for token in [None, Some("")] {
        let request = refresh_request(&t, token).expect("request");
        assert_eq!(request.body, None);
        assert_eq!(header(&request, "Content-Type"), None, "no body, no Content-Type");
        assert_eq!(header(&request, "Accept"), Some("application/json"));
    }
    // With only static fields there is a body (an HttpOnly cookie carries the token).
    let t = Transport { body_fields: vec![("client_id".into(), "c".into())], encoding: BodyEncoding::Form, ..bearer() };
    assert_eq!(refresh_request(&t, None).and_then(|r| r.body).as_deref(), Some("client_id=c"));
    assert_eq!(refresh_request(&Transport::default(), Some("r")), None);
}

#[test]
fn csrf_header_goes_on_state_changing_requests_only() {
    let mut t = Transport::cookie_session("/k", "/s", "/l");
    t.refresh = Some(Endpoint::post("/r"));
    t.csrf = Some(Csrf { header: "X-XSRF-TOKEN".into(), source: CsrfSource::Cookie("XSRF-TOKEN".into()) });
    let ping = csrf(keepalive_request(&t), Some("tok")).expect("keepalive");
    assert_eq!(header(&ping, "x-xsrf-token"), Some("tok"));
    assert_eq!(header(&csrf(refresh_request(&t, None), Some("tok")).expect("refresh"), "X-XSRF-TOKEN"), Some("tok"));
    assert_eq!(header(&session_request(&t).expect("session"), "X-XSRF-TOKEN"), None, "never on GET");
    t.keepalive = Some(Endpoint::get("/k"));
    assert_eq!(header(&csrf(keepalive_request(&t), Some("tok")).expect("keepalive"), "X-XSRF-TOKEN"), None);
    for logout in logout_requests(&t, &TokenSet::default()).into_iter().filter_map(|r| csrf(Some(r), Some("tok"))) {
        assert_eq!(header(&logout, "X-XSRF-TOKEN"), Some("tok"));
    }
    // A hostile or missing cookie value is left out rather than breaking the request.
    t.keepalive = Some(Endpoint::post("/k"));
    for bad in [Some("a\r\nX-Evil: 1"), Some("€"), Some(""), None] {
        assert_eq!(header(&csrf(keepalive_request(&t), bad).expect("keepalive"), "X-XSRF-TOKEN"), None, "{bad:?}");
    }
    // No csrf configured: a token is ignored.
    t.csrf = None;
    assert_eq!(csrf(keepalive_request(&t), Some("tok")).expect("keepalive").headers.len(), 1);
}

#[test]
fn static_headers_are_added_without_clobbering_generated_ones() {
    let mut t = bearer();
    t.csrf = Some(Csrf { header: "X-CSRF-Token".into(), source: CsrfSource::Meta("csrf".into()) });
    t.headers = vec![
        ("X-Client".into(), "web".into()),
        ("content-type".into(), "text/plain".into()),
        ("Accept".into(), "application/vnd.api+json".into()),
        ("x-csrf-token".into(), "static".into()),
    ];
    let request = csrf(refresh_request(&t, Some("r")), Some("real")).expect("request");
    assert_eq!(header(&request, "Content-Type"), Some("application/json"), "must match the body");
    assert_eq!(header(&request, "X-CSRF-Token"), Some("real"));
    assert_eq!(header(&request, "Accept"), Some("application/vnd.api+json"), "static Accept wins");
    assert_eq!(header(&request, "X-Client"), Some("web"));
    assert_eq!(request.headers.len(), 4, "names are unique: {:?}", request.headers);
    // Without a CSRF token the static header stands.
    let request = refresh_request(&t, Some("r")).expect("request");
    assert_eq!(header(&request, "x-csrf-token"), Some("static"));
}

#[test]
fn missing_endpoints_give_no_requests() {
    let t = Transport::default();
    assert_eq!(csrf(keepalive_request(&t), Some("c")), None);
    assert_eq!(session_request(&t), None);
    assert!(logout_requests(&t, &TokenSet::bearer("a", Some("r"), None)).is_empty());
}

#[test]
fn logout_revokes_refresh_then_access_token_then_calls_logout() {
    let mut t = Transport::oauth2("/token", "app", Some("https://id.example/revoke"));
    t.logout = Some(Endpoint::post("/logout"));
    let tokens = TokenSet::bearer("acc", Some("ref&=1"), Some(T0));
    let requests = logout_requests(&t, &tokens);
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.keepalive && r.credentials == Credentials::SameOrigin));
    let bodies: Vec<Vec<(String, String)>> =
        requests.iter().map(|r| form_decode(r.body.as_deref().unwrap_or_default())).collect();
    let pairs =
        |items: &[(&str, &str)]| items.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect::<Vec<_>>();
    assert_eq!(requests[0].url, "https://id.example/revoke");
    assert_eq!(bodies[0], pairs(&[("token", "ref&=1"), ("token_type_hint", "refresh_token"), ("client_id", "app")]));
    assert_eq!(bodies[1], pairs(&[("token", "acc"), ("token_type_hint", "access_token"), ("client_id", "app")]));
    assert_eq!(header(&requests[0], "Content-Type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(requests[2].url, "/logout");
    assert_eq!(header(&requests[2], "Authorization"), Some("Bearer acc"));
    assert_eq!(bodies[2], pairs(&[("refresh_token", "ref&=1"), ("client_id", "app")]));
    // Revocation is form-encoded even when refresh bodies are JSON.
    t.encoding = BodyEncoding::Json;
    let requests = logout_requests(&t, &tokens);
    assert_eq!(requests[0].body.as_deref(), Some("token=ref%26%3D1&token_type_hint=refresh_token&client_id=app"));
    assert_eq!(requests[2].body.as_deref(), Some(r#"{"refresh_token":"ref&=1","client_id":"app"}"#));
}

#[test]
fn cookie_mode_logout_is_one_bare_keepalive_request() {
    let t = Transport::cookie_session("/k", "/s", "/l");
    let requests = logout_requests(&t, &TokenSet::default());
    assert_eq!(requests.len(), 1);
    let logout = &requests[0];
    assert_eq!((logout.url.as_str(), logout.method.as_str(), logout.body.clone()), ("/l", "POST", None));
    assert!(logout.keepalive);
    assert_eq!(logout.headers, [("Accept".to_owned(), "application/json".to_owned())]);
    // Only one token: only its revocation; a token unfit for a header is not sent in one.
    let t = Transport { revocation: Some(Endpoint::post("/revoke")), logout: Some(Endpoint::post("/l")), ..bearer() };
    let requests = logout_requests(&t, &TokenSet::bearer("bad\ntoken", None, None));
    assert_eq!(requests.len(), 2);
    assert_eq!(form_decode(requests[0].body.as_deref().unwrap_or_default())[0].1, "bad\ntoken");
    assert_eq!(header(&requests[1], "Authorization"), None);
    assert_eq!(requests[1].body, None);
}

#[test]
fn request_and_response_debug_hide_secrets() {
    let t = Transport::oauth2("/t", "c", Some("/revoke"));
    let tokens = TokenSet::bearer("ACCESS-SECRET", Some("REFRESH-SECRET"), None);
    let printed = format!("{:?}", logout_requests(&t, &tokens));
    assert!(!printed.contains("SECRET"), "{printed}");
    assert!(printed.contains("body_len") && printed.contains("/revoke"));
    let response = text(200, r#"{"access_token":"ACCESS-SECRET"}"#);
    assert!(!format!("{response:?}").contains("SECRET"));
}

#[test]
fn the_csrf_header_is_only_sent_where_a_request_names_it() {
    let csrf_option = Csrf { header: "X-CSRF".into(), source: CsrfSource::Meta("csrf".into()) };
    let t = Transport { csrf: Some(csrf_option.clone()), ..Transport::cookie_session("/k", "/s", "/l") };
    assert_eq!(keepalive_request(&t).and_then(|r| r.csrf), Some(csrf_option.clone()), "POST names it");
    assert_eq!(session_request(&t).and_then(|r| r.csrf), None, "GET does not");
    for method in ["POST", "put", "Patch", "DELETE"] {
        assert!(is_state_changing(method), "{method}");
        assert!(csrf_header(&csrf_option, method, Some("tok")).is_some(), "{method}");
    }
    for method in ["GET", "HEAD", "OPTIONS", "PROPFIND"] {
        assert!(!is_state_changing(method), "{method}");
        assert_eq!(csrf_header(&csrf_option, method, Some("tok")), None, "{method}");
    }
}

#[test]
fn session_fetch_adds_the_bearer_token_and_csrf_header_unless_the_app_set_them() {
    let mut t = bearer();
    t.csrf = Some(Csrf { header: "X-CSRF-Token".into(), source: CsrfSource::Cookie("csrf".into()) });
    t.credentials = Credentials::SameOrigin;
    let token = Secret::new("at");
    let names =
        |credential: &Credential| credential.headers.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>();
    let full = fetch_credential(&t, "POST", &[], false, Some(&token), Some("c1"));
    assert_eq!(names(&full), ["Authorization=Bearer at", "X-CSRF-Token=c1"]);
    assert_eq!(full.credentials, Some(Credentials::SameOrigin));
    assert!(!full.app_authorization);
    // GET: no CSRF header, as for every request the core sends (one rule).
    assert_eq!(names(&fetch_credential(&t, "GET", &[], false, Some(&token), Some("c1"))), ["Authorization=Bearer at"]);
    // OPTIONS does not change state (the old shell rule said every non-GET did).
    assert_eq!(names(&fetch_credential(&t, "OPTIONS", &[], false, None, Some("c1"))), Vec::<String>::new());
    // What the app set explicitly wins, its Authorization above all: that request is the app's.
    let app = ["authorization".to_owned(), "x-csrf-token".to_owned()];
    let own = fetch_credential(&t, "PATCH", &app, true, Some(&token), Some("c1"));
    assert!(own.headers.is_empty() && own.app_authorization);
    assert_eq!(own.credentials, None, "the app chose its credentials");
    // A token or CSRF value unfit for a header is left out (the old shell rule let fetch throw).
    let hostile = Secret::new("a\r\nX-Evil: 1");
    assert_eq!(names(&fetch_credential(&t, "DELETE", &[], false, Some(&hostile), Some("€"))), Vec::<String>::new());
    assert_eq!(names(&fetch_credential(&t, "DELETE", &[], false, None, Some(""))), Vec::<String>::new());
    // `Debug` shows names only.
    assert!(!format!("{full:?}").contains("Bearer at"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn hostile_tokens_never_panic_and_stay_in_their_field(
        access in any::<String>(),
        refresh in any::<String>(),
        csrf_token in prop::option::of(any::<String>()),
        claims in hostile_body(),
        form in any::<bool>(),
        method in prop_oneof![Just("GET".to_owned()), Just("POST".to_owned()), any::<String>()],
    ) {
        let mut t = Transport::oauth2("/token", "app", Some("/revoke"));
        t.logout = Some(Endpoint::post("/logout"));
        t.encoding = if form { BodyEncoding::Form } else { BodyEncoding::Json };
        t.csrf = Some(Csrf { header: "X-CSRF".into(), source: CsrfSource::Cookie("c".into()) });
        let request = csrf(refresh_request(&t, Some(&refresh)), csrf_token.as_deref());
        let body = request.as_ref().and_then(|r| r.body.clone()).unwrap_or_default();
        if !refresh.is_empty() {
            let sent = if form {
                form_decode(&body).into_iter().find(|(k, _)| k == "refresh_token").map(|(_, v)| v)
            } else {
                json::parse(&body).ok().and_then(|v| v.get("refresh_token").and_then(Value::as_str).map(str::to_owned))
            };
            prop_assert_eq!(sent.as_deref(), Some(refresh.as_str()));
        }
        let tokens = TokenSet::bearer(&access, Some(&refresh), None);
        for request in logout_requests(&t, &tokens).into_iter().filter_map(|r| csrf(Some(r), csrf_token.as_deref())) {
            prop_assert!(request.keepalive);
            for (name, value) in &request.headers {
                prop_assert!(is_header_name(name) && is_header_value(value), "{:?}", (name, value));
            }
        }
        let credential = fetch_credential(&t, &method, &[], false, tokens.access_token.as_ref(), csrf_token.as_deref());
        for (name, value) in &credential.headers {
            prop_assert!(is_header_name(name) && is_header_value(value), "{:?}", (name, value));
        }
        let _ = jwt_times(&access, json::parse_ok);
        let _ = jwt_times(&claims, json::parse_ok);
    }
}
