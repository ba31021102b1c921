//! The server clock and encodings: presets, JWT times, form and JSON bodies.

use proptest::prelude::*;
use wasm_session::core::contract::encodings::*;
use wasm_session::core::contract::{keepalive_request, refresh_request, session_request, Request};
use wasm_session::core::endpoints::*;
use wasm_session::core::Value;
use wasm_session_testkit::encoding::{b64url, form_decode, jwt};
use wasm_session_testkit::json::parse_ok;

/// 2023-11-14T22:13:20Z.
const T0: u64 = 1_700_000_000_000;

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.iter().find(|(have, _)| have.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}

// ---- defaults and presets ----

#[test]
fn oauth2_preset_sends_the_rfc_6749_refresh_grant() {
    let t = Transport::oauth2("https://id.example/token", "spa-client", Some("https://id.example/revoke"));
    assert_eq!(t.credentials, Credentials::SameOrigin);
    let request = refresh_request(&t, Some("rt 1/+=")).expect("refresh endpoint");
    assert_eq!((request.url.as_str(), request.method.as_str()), ("https://id.example/token", "POST"));
    assert_eq!(
        request.body.as_deref(),
        Some("grant_type=refresh_token&refresh_token=rt+1%2F%2B%3D&client_id=spa-client")
    );
    assert_eq!(header(&request, "content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(header(&request, "accept"), Some("application/json"));
    assert_eq!(request.credentials, Credentials::SameOrigin);
    assert!(!request.keepalive);
    assert_eq!(request.timeout_ms, DEFAULT_TIMEOUT_MS);
    assert_eq!(Transport::oauth2("/t", "c", None).revocation, None);
}

#[test]
fn cookie_session_preset() {
    let t = Transport::cookie_session("/s/ping", "/s/me", "/s/logout");
    assert_eq!(t.keepalive, Some(Endpoint::post("/s/ping")));
    assert_eq!(t.session, Some(Endpoint::get("/s/me")));
    assert_eq!(t.logout, Some(Endpoint::post("/s/logout")));
    assert_eq!((t.refresh.clone(), t.mode, t.credentials), (None, TokenMode::Cookie, Credentials::Include));
    assert_eq!(refresh_request(&t, Some("x")), None);
    let ping = keepalive_request(&t).expect("keepalive");
    assert_eq!((ping.method.as_str(), ping.body.clone(), ping.credentials), ("POST", None, Credentials::Include));
    assert_eq!(header(&ping, "content-type"), None);
    let me = session_request(&t).expect("session");
    assert_eq!((me.method.as_str(), me.body), ("GET", None));
}

// ---- options ----

// ---- header values, JWT, form ----

#[test]
fn jwt_times_are_read_without_checking_signatures() {
    let token = jwt(r#"{"sub":"u","iat":1700000000,"exp":1700000900.5}"#);
    assert_eq!(jwt_times(&token, parse_ok), Some(JwtTimes { exp: Some(1_700_000_900_500), iat: Some(T0) }));
    // Padding is tolerated; the standard alphabet is not.
    let payload = b64url(br#"{"exp":1}"#);
    let padded = format!("h.{payload}{}.s", "=".repeat((4 - payload.len() % 4) % 4));
    assert_eq!(jwt_times(&padded, parse_ok), Some(JwtTimes { exp: Some(1_000), iat: None }));
    assert_eq!(jwt_times("h.eyJleHAiOjF9+/.s", parse_ok), None);
    assert_eq!(jwt_times(&format!("h.{payload}===.s"), parse_ok), None);
    assert_eq!(jwt_times(&jwt(r#"{"exp":"1700000000","iat":-5}"#), parse_ok), Some(JwtTimes::default()));
    assert_eq!(jwt_times(&jwt(r#"{"exp":1e300}"#), parse_ok), Some(JwtTimes::default()));
    for bad in [
        "",
        "opaque",
        "a.b",
        "a.b.c.d.e",
        "..",
        &jwt("[1]"),
        &jwt("not json"),
        &format!("h.{}.s", b64url(&[0xff, 0xfe])),
    ] {
        assert_eq!(jwt_times(bad, parse_ok), None, "{bad:?}");
    }
    // The payload's JSON is read by the reader the core is given, and only by it.
    assert_eq!(jwt_times(&token, |_| None), None);
}

/// The payload must be UTF-8 as `str::from_utf8` judges it: every scalar
/// value in its shortest form is read; overlong forms, surrogates, values past
/// U+10FFFF, stray or missing continuation bytes are not.
#[test]
fn jwt_payloads_are_strict_utf8() {
    let payload = |bytes: &[u8]| format!("h.{}.s", b64url(bytes));
    let wrapped = |inner: &[u8]| [br#"{"exp":1,"n":""#.as_slice(), inner, br#""}"#.as_slice()].concat();
    for good in ['é', '€', '😀', '\u{7f}', '\u{80}', '\u{7ff}', '\u{800}', '\u{ffff}', '\u{10000}', '\u{10ffff}'] {
        let token = payload(&wrapped(good.to_string().as_bytes()));
        assert_eq!(jwt_times(&token, parse_ok), Some(JwtTimes { exp: Some(1_000), iat: None }), "{good:?}");
    }
    for bad in [
        &[0xc0, 0xaf][..],         // overlong '/'
        &[0xe0, 0x80, 0xaf],       // overlong '/'
        &[0xf0, 0x80, 0x80, 0xaf], // overlong '/'
        &[0xed, 0xa0, 0x80],       // a surrogate
        &[0xf4, 0x90, 0x80, 0x80], // U+110000
        &[0xf8, 0x88, 0x80, 0x80, 0x80],
        &[0x80],
        &[0xc3],
        &[0xe2, 0x82],
        &[0xc3, 0x28],
    ] {
        assert_eq!(jwt_times(&payload(&wrapped(bad)), parse_ok), None, "{bad:x?}");
    }
}

#[test]
fn json_bodies_escape_exactly() {
    assert_eq!(json_encode(&[]), "{}");
    assert_eq!(json_encode(&[("a", "1"), ("b", "")]), r#"{"a":"1","b":""}"#);
    let mut out = String::new();
    write_json_string(&mut out, "a\"b\\c\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}/é😀");
    assert_eq!(out, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f\u{7f}/é😀\"");
}

#[test]
fn form_encoding_vectors() {
    assert_eq!(form_encode(&[]), "");
    assert_eq!(form_encode(&[("a", "")]), "a=");
    assert_eq!(form_encode(&[("a b", "c+d&e=f")]), "a+b=c%2Bd%26e%3Df");
    assert_eq!(form_encode(&[("k", "-._~*/:?#[]@!$'()\"%")]), "k=-._~%2A%2F%3A%3F%23%5B%5D%40%21%24%27%28%29%22%25");
    assert_eq!(form_encode(&[("é", "😀\n")]), "%C3%A9=%F0%9F%98%80%0A");
    assert_eq!(form_encode(&[("x", "1"), ("y", "2")]), "x=1&y=2");
}

// ---- properties ----

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn form_encoding_round_trips(pairs in prop::collection::vec((any::<String>(), any::<String>()), 0..6)) {
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let encoded = form_encode(&borrowed);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+%&=".contains(&b)));
        prop_assert_eq!(form_decode(&encoded), pairs);
    }

    #[test]
    fn json_bodies_round_trip(pairs in prop::collection::vec((any::<String>(), any::<String>()), 0..6)) {
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let expected = Value::Object(pairs.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect());
        prop_assert_eq!(parse_ok(&json_encode(&borrowed)), Some(expected));
    }

    #[test]
    fn jwt_round_trips(exp in 0u64..=MAX_EPOCH_MS / 1000, iat in 0u64..=MAX_EPOCH_MS / 1000, pad in 0usize..3) {
        let payload = b64url(format!(r#"{{"exp":{exp},"iat":{iat}}}"#).as_bytes());
        let token = format!("hdr.{payload}{}.sig", "=".repeat(pad.min((4 - payload.len() % 4) % 4)));
        prop_assert_eq!(jwt_times(&token, parse_ok), Some(JwtTimes { exp: Some(exp * 1000), iat: Some(iat * 1000) }));
    }
}
