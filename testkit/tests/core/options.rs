//! The options reader (`core::options`): the whole options object read once
//! into the timing configuration, the endpoints and the shell options, on
//! friendly and hostile values.

use proptest::prelude::*;

use wasm_session::core::config::MAX_DURATION_MS;
use wasm_session::core::endpoints::{is_valid_url, may_send_credential, MAX_URL_LEN};
use wasm_session::core::options::{self, cookie_session_options, oauth2_options, Options, DEFAULT_KEEPALIVE_EVERY_MS};
use wasm_session::core::{
    BodyEncoding, ConfigError, ConfigErrorKind, Credentials, Csrf, CsrfSource, Endpoint, StorageChoice, TokenMode,
    Transport,
};
use wasm_session_testkit::json::{self, Value};

fn read(text: &str) -> Result<Options, ConfigError> {
    options::read(&json::parse(text).expect("test JSON is valid"))
}

fn endpoints(text: &str) -> Result<Transport, ConfigError> {
    read(text).map(|options| options.endpoints)
}

fn rejected(text: &str) -> (String, ConfigErrorKind) {
    let error = read(text).expect_err("should be rejected");
    (error.field.into_owned(), error.kind)
}

fn rejected_value(value: &Value) -> (String, ConfigErrorKind) {
    let error = options::read(value).expect_err("should be rejected");
    (error.field.into_owned(), error.kind)
}

fn object(members: Vec<(&str, Value)>) -> Value {
    Value::Object(members.into_iter().map(|(key, value)| (key.to_owned(), value)).collect())
}

fn one(key: &str, value: Value) -> Value {
    object(vec![(key, value)])
}

fn string(text: &str) -> Value {
    Value::String(text.to_owned())
}

// ---- the whole object ----

#[test]
fn one_reader_reads_config_endpoints_and_shell_options() {
    let options = read(
        r#"{"idleTimeoutMs":600000,"warnBeforeMs":30000,"absoluteTimeoutMs":3600000,"absoluteWarnBeforeMs":60000,
            "countdownIntervalMs":500,"activityBroadcastIntervalMs":1000,"refreshBeforeMs":20000,"refreshJitterMs":0,
            "retryInitialMs":500,"retryMaxMs":30000,"activityThrottleMs":250,"channelName":"app",
            "storage":"session","activityEvents":["keydown","click"],
            "endpoints":{"logout":"/bye"},"credentials":"omit"}"#,
    )
    .expect("valid");
    assert_eq!(options.config.idle_timeout_ms, 600_000);
    assert_eq!(options.config.retry_max_ms, 30_000);
    assert_eq!(options.config.countdown_interval_ms, 500);
    assert_eq!(options.config.refresh_jitter_ms, 0);
    assert_eq!(options.config.keepalive_every_ms, None);
    assert_eq!(options.shell.channel_name, "app");
    assert_eq!(options.shell.activity_events, ["keydown", "click"]);
    assert_eq!(options.shell.activity_throttle_ms, 250);
    assert_eq!(options.shell.storage, StorageChoice::Session);
    assert_eq!(options.endpoints.logout, Some(Endpoint::post("/bye")));
    assert_eq!(options.endpoints.credentials, Credentials::Omit);
    let defaults = read("{}").expect("defaults are valid");
    assert_eq!(defaults.endpoints, Transport::default());
    assert_eq!(defaults.config, wasm_session::core::Config::default());
    assert_eq!(defaults.shell.channel_name, wasm_session::core::scope::default_channel_name(&Transport::default(), ""));
}

#[test]
fn a_keepalive_endpoint_brings_a_default_cadence() {
    let options = read(r#"{"endpoints":{"keepalive":"/ping"}}"#).expect("valid");
    assert_eq!(options.config.keepalive_every_ms, Some(DEFAULT_KEEPALIVE_EVERY_MS));
    let options = read(r#"{"endpoints":{"keepalive":"/ping"},"keepaliveEveryMs":5000}"#).expect("valid");
    assert_eq!(options.config.keepalive_every_ms, Some(5_000));
    let options = read(r#"{"keepaliveEveryMs":5000}"#).expect("valid");
    assert_eq!(options.config.keepalive_every_ms, Some(5_000));
}

#[test]
fn unknown_options_and_wrong_types_name_the_key() {
    let unknown = read(r#"{"idleTimeout":5}"#).expect_err("typo");
    assert_eq!((unknown.field.as_ref(), unknown.kind), ("idleTimeout", ConfigErrorKind::UnknownOption));
    assert_eq!(unknown.message(), "idleTimeout is not an option");
    let wrong = read(r#"{"idleTimeoutMs":"15m"}"#).expect_err("string");
    assert_eq!((wrong.field.as_ref(), wrong.kind), ("idleTimeoutMs", ConfigErrorKind::WrongType));
    let nan = read(r#"{"warnBeforeMs":null}"#).expect_err("NaN arrives as null from JSON text");
    assert_eq!(nan.kind, ConfigErrorKind::NotFinite);
    let events = read(r#"{"activityEvents":["keydown",3]}"#).expect_err("non-string event");
    assert_eq!(events.field.as_ref(), "activityEvents");
    assert_eq!(rejected("[]"), ("options".to_owned(), ConfigErrorKind::WrongType));
    assert_eq!(rejected("null"), ("options".to_owned(), ConfigErrorKind::WrongType));
    // The rules between options are checked after the walk, by the same reader.
    assert_eq!(
        rejected(r#"{"idleTimeoutMs":60000,"warnBeforeMs":60000}"#),
        ("warnBeforeMs".to_owned(), ConfigErrorKind::WarningNotBeforeDeadline)
    );
    assert_eq!(rejected(r#"{"storage":"cookie"}"#), ("storage".to_owned(), ConfigErrorKind::UnknownChoice));
}

#[test]
fn presets_as_options_equal_the_rust_presets() {
    let read = |value: Value| options::read(&value).expect("a preset is valid options").endpoints;
    assert_eq!(
        read(oauth2_options("https://idp.example/token", "app", Some("https://idp.example/revoke"))),
        Transport::oauth2("https://idp.example/token", "app", Some("https://idp.example/revoke"))
    );
    assert_eq!(read(oauth2_options("/token", "app", None)), Transport::oauth2("/token", "app", None));
    assert_eq!(
        read(cookie_session_options("/auth/keepalive", "/auth/session", "/auth/logout")),
        Transport::cookie_session("/auth/keepalive", "/auth/session", "/auth/logout")
    );
    // A bad URL in a preset is reported like one written by hand.
    let error = options::read(&oauth2_options("javascript:alert(1)", "app", None)).expect_err("bad URL");
    assert_eq!((error.field.as_ref(), error.kind), ("endpoints.refresh", ConfigErrorKind::BadUrl));
}

// ---- the endpoint options ----

#[test]
fn the_credential_goes_only_to_the_page_origin_and_the_listed_api_origins() {
    let t = endpoints(r#"{"apiOrigins": ["https://API.example.com/", "http://localhost:9000"]}"#).unwrap();
    assert_eq!(t.api_origins, ["https://api.example.com", "http://localhost:9000"]);
    let page = "https://app.example.com";
    for url in [
        "https://app.example.com/api/orders",
        "https://APP.example.com?x",
        "https://api.example.com/v1",
        "http://localhost:9000/x",
    ] {
        assert!(may_send_credential(&t, url, page), "{url}");
    }
    for url in [
        "https://evil.example/api",
        "https://app.example.com.evil.example/",
        "https://app.example.com@evil.example/",
        "http://app.example.com/api",
        "https://api.example.com:8443/",
        "data:text/plain,hi",
        "/relative",
        "",
    ] {
        assert!(!may_send_credential(&t, url, page), "{url}");
    }
    for bad in [r#"["https://a.example/path"]"#, r#"["a.example"]"#, r#"["ftp://a.example"]"#, "[5]", r#""x""#] {
        let (field, _) = rejected(&["{\"apiOrigins\": ", bad, "}"].concat());
        assert_eq!(field, "apiOrigins", "{bad}");
    }
}

#[test]
fn defaults_match_the_contract() {
    let t = Transport::default();
    assert_eq!((t.refresh, t.keepalive, t.session, t.logout, t.revocation), (None, None, None, None, None));
    assert_eq!(t.mode, TokenMode::Bearer);
    assert_eq!(t.encoding, BodyEncoding::Json);
    assert_eq!(t.credentials, Credentials::Include);
    assert_eq!(t.timeout_ms, 10_000);
    assert_eq!(t.max_body_bytes, 65_536);
    assert_eq!(t.revoked_statuses, [401]);
    assert!(t.revoked_error_codes.is_empty() && t.headers.is_empty() && t.body_fields.is_empty());
    assert_eq!(t.refresh_token_field, "refresh_token");
    assert_eq!(t.grant_type, None);
    assert_eq!(t.csrf, None);
    let f = t.fields;
    assert_eq!(
        [f.access_token, f.refresh_token, f.expires_in, f.expires_at, f.error],
        ["access_token", "refresh_token", "expires_in", "expires_at", "error"]
    );
    assert_eq!(endpoints("{}"), Ok(Transport::default()));
}

#[test]
fn credentials_and_encodings_have_fetch_names() {
    assert_eq!(
        [Credentials::Omit, Credentials::SameOrigin, Credentials::Include].map(Credentials::as_str),
        ["omit", "same-origin", "include"]
    );
    assert_eq!(BodyEncoding::Json.content_type(), "application/json");
    assert_eq!(BodyEncoding::Form.content_type(), "application/x-www-form-urlencoded");
}

#[test]
fn full_options_object_is_read() {
    let t = endpoints(
        r#"{
        "endpoints": {"refresh": "/auth/refresh", "keepalive": {"url": "https://api.example/ping", "method": "put"},
                      "session": "/auth/me", "logout": {"url": "/auth/logout"}, "revocation": null},
        "mode": "cookie", "bodyEncoding": "form", "credentials": "same-origin", "requestTimeoutMs": 2500.9,
        "headers": {"X-Requested-With": "XMLHttpRequest"}, "bodyFields": {"client_id": "web", "audience": "api"},
        "refreshTokenField": "token", "grantType": "refresh_token",
        "responseFields": {"accessToken": "jwt", "refreshToken": "rt", "expiresIn": "ttl", "expiresAt": "exp", "error": "code"},
        "csrf": {"header": "X-XSRF-TOKEN", "cookie": "XSRF-TOKEN"},
        "maxBodyBytes": 1024, "revokedStatuses": [401, 419], "revokedErrorCodes": ["session_revoked"]
    }"#,
    )
    .expect("valid options");
    assert_eq!(t.refresh, Some(Endpoint::post("/auth/refresh")));
    assert_eq!(t.keepalive, Some(Endpoint { url: "https://api.example/ping".into(), method: "PUT".into() }));
    assert_eq!(t.session, Some(Endpoint::get("/auth/me")), "session defaults to GET");
    assert_eq!(t.logout, Some(Endpoint::post("/auth/logout")));
    assert_eq!(t.revocation, None);
    assert_eq!(
        (t.mode, t.encoding, t.credentials, t.timeout_ms),
        (TokenMode::Cookie, BodyEncoding::Form, Credentials::SameOrigin, 2500)
    );
    assert_eq!(t.headers, [("X-Requested-With".to_owned(), "XMLHttpRequest".to_owned())]);
    assert_eq!(t.body_fields.len(), 2);
    assert_eq!((t.refresh_token_field.as_str(), t.grant_type.as_deref()), ("token", Some("refresh_token")));
    assert_eq!((t.fields.access_token.as_str(), t.fields.error.as_str()), ("jwt", "code"));
    assert_eq!(t.csrf, Some(Csrf { header: "X-XSRF-TOKEN".into(), source: CsrfSource::Cookie("XSRF-TOKEN".into()) }));
    assert_eq!((t.max_body_bytes, t.revoked_statuses.as_slice()), (1024, &[401u16, 419][..]));
    assert_eq!(t.revoked_error_codes, ["session_revoked"]);
}

#[test]
fn unknown_keys_are_named_with_their_path() {
    assert_eq!(rejected(r#"{"endpoint": {}}"#), ("endpoint".into(), ConfigErrorKind::UnknownOption));
    assert_eq!(
        rejected(r#"{"endpoints": {"refesh": "/r"}}"#),
        ("endpoints.refesh".into(), ConfigErrorKind::UnknownOption)
    );
    assert_eq!(
        rejected(r#"{"endpoints": {"logout": {"url": "/l", "verb": "POST"}}}"#),
        ("endpoints.logout.verb".into(), ConfigErrorKind::UnknownOption)
    );
    assert_eq!(
        rejected(r#"{"responseFields": {"token": "t"}}"#),
        ("responseFields.token".into(), ConfigErrorKind::UnknownOption)
    );
    assert_eq!(
        rejected(r#"{"csrf": {"cookie": "c", "name": "x"}}"#),
        ("csrf.name".into(), ConfigErrorKind::UnknownOption)
    );
    let long = format!(r#"{{"{}": 1}}"#, "k".repeat(500));
    assert_eq!(rejected(&long).0.len(), 64, "echoed keys are cut");
}

#[test]
fn wrong_types_are_named() {
    for (options, field) in [
        (r#"[]"#, "options"),
        (r#"{"endpoints": "/r"}"#, "endpoints"),
        (r#"{"endpoints": {"refresh": 5}}"#, "endpoints.refresh"),
        (r#"{"endpoints": {"refresh": {"method": "POST"}}}"#, "endpoints.refresh.url"),
        (r#"{"endpoints": {"session": {"url": "/s", "method": 1}}}"#, "endpoints.session.method"),
        (r#"{"bodyEncoding": true}"#, "bodyEncoding"),
        (r#"{"requestTimeoutMs": "10s"}"#, "requestTimeoutMs"),
        (r#"{"headers": ["X-A"]}"#, "headers"),
        (r#"{"headers": {"X-A": 1}}"#, "headers.X-A"),
        (r#"{"bodyFields": {"client_id": null}}"#, "bodyFields.client_id"),
        (r#"{"revokedStatuses": 401}"#, "revokedStatuses"),
        (r#"{"revokedStatuses": ["401"]}"#, "revokedStatuses"),
        (r#"{"revokedErrorCodes": [1]}"#, "revokedErrorCodes"),
        (r#"{"responseFields": {"error": 2}}"#, "responseFields.error"),
        (r#"{"csrf": "X-CSRF"}"#, "csrf"),
    ] {
        assert_eq!(rejected(options), (field.to_owned(), ConfigErrorKind::WrongType), "{options}");
    }
}

#[test]
fn bad_choices_and_numbers() {
    assert_eq!(rejected(r#"{"bodyEncoding": "xml"}"#), ("bodyEncoding".into(), ConfigErrorKind::UnknownChoice));
    assert_eq!(rejected(r#"{"credentials": "Include"}"#), ("credentials".into(), ConfigErrorKind::UnknownChoice));
    assert_eq!(rejected(r#"{"mode": "session"}"#), ("mode".into(), ConfigErrorKind::UnknownChoice));
    assert_eq!(rejected(r#"{"requestTimeoutMs": 0}"#).1, ConfigErrorKind::NotPositive);
    assert_eq!(rejected(r#"{"requestTimeoutMs": 0.5}"#).1, ConfigErrorKind::NotPositive);
    assert_eq!(rejected(r#"{"requestTimeoutMs": -1}"#).1, ConfigErrorKind::NotPositive);
    assert_eq!(rejected(r#"{"requestTimeoutMs": 600001}"#).1, ConfigErrorKind::TimeoutTooLong);
    assert_eq!(rejected(r#"{"requestTimeoutMs": null}"#).1, ConfigErrorKind::NotFinite);
    assert_eq!(endpoints(r#"{"requestTimeoutMs": 600000}"#).map(|t| t.timeout_ms), Ok(600_000));
    assert_eq!(endpoints(r#"{"requestTimeoutMs": 1}"#).map(|t| t.timeout_ms), Ok(1));
    assert_eq!(rejected(r#"{"maxBodyBytes": 1e9}"#), ("maxBodyBytes".into(), ConfigErrorKind::BodyLimitTooLarge));
    assert_eq!(rejected(r#"{"revokedStatuses": [200]}"#).1, ConfigErrorKind::NotErrorStatus);
    assert_eq!(rejected(r#"{"revokedStatuses": [401.5]}"#).1, ConfigErrorKind::NotErrorStatus);
    assert_eq!(endpoints(r#"{"revokedStatuses": []}"#).map(|t| t.revoked_statuses), Ok(vec![]));
    assert_eq!(endpoints(r#"{"grantType": null}"#).map(|t| t.grant_type), Ok(None));
    assert_eq!(rejected(r#"{"grantType": ""}"#), ("grantType".into(), ConfigErrorKind::BadText));
    assert_eq!(rejected(r#"{"refreshTokenField": "a\nb"}"#).1, ConfigErrorKind::BadText);
    let many: Vec<String> = (0..17).map(|i| format!(r#""H{i}": "v""#)).collect();
    assert_eq!(
        rejected(&format!(r#"{{"headers": {{{}}}}}"#, many.join(","))),
        ("headers".into(), ConfigErrorKind::TooMany)
    );
    let codes: Vec<String> = (0..17).map(|i| format!(r#""c{i}""#)).collect();
    assert_eq!(rejected(&format!(r#"{{"revokedErrorCodes": [{}]}}"#, codes.join(","))).1, ConfigErrorKind::TooMany);
}

#[test]
fn urls_are_checked() {
    for good in [
        "/auth/refresh",
        "auth/refresh",
        "https://api.example/auth?x=1#f",
        "HTTP://api.example:8080/r",
        "//api.example/r",
        "../r",
        "/r?next=a:b",
        "/пути",
    ] {
        assert!(is_valid_url(good), "{good}");
    }
    let long = format!("/{}", "a".repeat(MAX_URL_LEN));
    for bad in [
        "",
        "javascript:alert(1)",
        "data:text/plain,x",
        "ftp://x/r",
        "/a b",
        "/a\tb",
        "/a\u{7f}",
        "\n/r",
        "localhost:8080/r",
        &long,
    ] {
        assert!(!is_valid_url(bad), "{bad:?}");
    }
    assert!(is_valid_url(&long[..MAX_URL_LEN]));
    assert_eq!(
        rejected(r#"{"endpoints": {"refresh": "javascript:x"}}"#),
        ("endpoints.refresh".into(), ConfigErrorKind::BadUrl)
    );
    assert_eq!(
        rejected(r#"{"endpoints": {"logout": {"url": "/a b"}}}"#),
        ("endpoints.logout.url".into(), ConfigErrorKind::BadUrl)
    );
}

#[test]
fn methods_are_checked_per_endpoint() {
    assert_eq!(
        rejected(r#"{"endpoints": {"refresh": {"url": "/r", "method": "GET"}}}"#),
        ("endpoints.refresh.method".into(), ConfigErrorKind::UnknownChoice),
        "a GET cannot carry the refresh token in a body"
    );
    assert_eq!(
        rejected(r#"{"endpoints": {"logout": {"url": "/l", "method": "get"}}}"#).1,
        ConfigErrorKind::UnknownChoice
    );
    assert_eq!(
        rejected(r#"{"endpoints": {"session": {"url": "/s", "method": "TRACE"}}}"#).1,
        ConfigErrorKind::UnknownChoice
    );
    let t = endpoints(
        r#"{"endpoints": {"session": {"url": "/s", "method": "post"}, "keepalive": {"url": "/k", "method": "Get"}}}"#,
    )
    .expect("valid");
    assert_eq!(t.session.map(|e| e.method), Some("POST".to_owned()));
    assert_eq!(t.keepalive.map(|e| e.method), Some("GET".to_owned()));
}

#[test]
fn headers_are_checked() {
    assert!(endpoints(r#"{"headers": {"X-Api-Key": "k1", "x-custom_1.!#$%&'*+^`|~": "v é"}}"#).is_ok());
    for bad in [r#"{"": "v"}"#, r#"{"X A": "v"}"#, r#"{"X:A": "v"}"#, r#"{"X(A)": "v"}"#, r#"{"Ä": "v"}"#] {
        assert_eq!(rejected(&format!(r#"{{"headers": {bad}}}"#)).1, ConfigErrorKind::BadHeaderName, "{bad}");
    }
    for bad in [r#""a\r\nSet-Cookie: x""#, r#""a\nb""#, r#""a\u0000""#, r#""€""#] {
        assert_eq!(
            rejected(&format!(r#"{{"headers": {{"X-A": {bad}}}}}"#)),
            ("headers.X-A".into(), ConfigErrorKind::BadHeaderValue),
            "{bad}"
        );
    }
}

#[test]
fn csrf_options() {
    let meta = endpoints(r#"{"csrf": {"meta": "csrf-token"}}"#).expect("valid");
    assert_eq!(meta.csrf, Some(Csrf { header: "X-CSRF-Token".into(), source: CsrfSource::Meta("csrf-token".into()) }));
    assert_eq!(endpoints(r#"{"csrf": null}"#).map(|t| t.csrf), Ok(None));
    assert_eq!(rejected(r#"{"csrf": {"header": "X-C"}}"#), ("csrf".into(), ConfigErrorKind::NeedsOneSource));
    assert_eq!(rejected(r#"{"csrf": {"cookie": "c", "meta": "m"}}"#), ("csrf".into(), ConfigErrorKind::NeedsOneSource));
    assert_eq!(
        rejected(r#"{"csrf": {"header": "X C", "cookie": "c"}}"#),
        ("csrf.header".into(), ConfigErrorKind::BadHeaderName)
    );
    assert_eq!(rejected(r#"{"csrf": {"cookie": "a=b"}}"#), ("csrf.cookie".into(), ConfigErrorKind::BadCookieName));
    assert_eq!(rejected(r#"{"csrf": {"meta": "x\"]"}}"#), ("csrf.meta".into(), ConfigErrorKind::BadName));
}

// ---- hostile values ----

/// A value of each type, for "wrong type" sweeps.
fn samples() -> [Value; 6] {
    [Value::Null, Value::Bool(true), Value::Number(1.0), string("x"), Value::Array(vec![]), object(vec![])]
}

#[test]
fn every_top_level_key_rejects_every_wrong_type_by_name() {
    const NUMBERS: [&str; 14] = [
        "idleTimeoutMs",
        "warnBeforeMs",
        "absoluteTimeoutMs",
        "absoluteWarnBeforeMs",
        "countdownIntervalMs",
        "activityBroadcastIntervalMs",
        "refreshBeforeMs",
        "refreshJitterMs",
        "retryInitialMs",
        "retryMaxMs",
        "keepaliveEveryMs",
        "activityThrottleMs",
        "requestTimeoutMs",
        "maxBodyBytes",
    ];
    const TEXTS: [&str; 7] =
        ["channelName", "storage", "mode", "bodyEncoding", "credentials", "refreshTokenField", "sessionCookie"];
    const OBJECTS: [&str; 4] = ["endpoints", "headers", "bodyFields", "responseFields"];
    const LISTS: [&str; 4] = ["activityEvents", "revokedStatuses", "revokedErrorCodes", "apiOrigins"];
    // `null` is how JSON text writes NaN, and turns `grantType` and `csrf` off.
    let nullable = ["grantType", "csrf"];
    type Fits = fn(&Value) -> bool;
    let groups: [(&[&str], Fits); 4] = [
        (&NUMBERS, |v| matches!(v, Value::Number(_) | Value::Null)),
        (&TEXTS, |v| matches!(v, Value::String(_))),
        (&OBJECTS, |v| matches!(v, Value::Object(_))),
        (&LISTS, |v| matches!(v, Value::Array(_))),
    ];
    for (keys, fits) in groups {
        for key in keys {
            for sample in samples().into_iter().filter(|sample| !fits(sample)) {
                let (field, kind) = rejected_value(&one(key, sample.clone()));
                assert_eq!((field.as_str(), kind), (*key, ConfigErrorKind::WrongType), "{key}: {sample:?}");
            }
        }
    }
    for key in nullable {
        for sample in [Value::Bool(true), Value::Number(1.0), Value::Array(vec![])] {
            assert_eq!(rejected_value(&one(key, sample)), (key.to_owned(), ConfigErrorKind::WrongType), "{key}");
        }
        assert!(options::read(&one(key, Value::Null)).is_ok(), "{key}: null turns it off");
    }
}

#[test]
fn nested_keys_reject_wrong_types_by_path() {
    type Build = fn(Value) -> Value;
    let nested: [(&str, Build); 9] = [
        ("endpoints.refresh", |v| one("endpoints", one("refresh", v))),
        ("endpoints.session.url", |v| one("endpoints", one("session", one("url", v)))),
        ("endpoints.logout.method", |v| {
            one("endpoints", one("logout", object(vec![("url", string("/l")), ("method", v)])))
        }),
        ("responseFields.accessToken", |v| one("responseFields", one("accessToken", v))),
        ("csrf.header", |v| one("csrf", object(vec![("cookie", string("c")), ("header", v)]))),
        ("csrf.cookie", |v| one("csrf", one("cookie", v))),
        ("csrf.meta", |v| one("csrf", one("meta", v))),
        ("headers.X-A", |v| one("headers", one("X-A", v))),
        ("bodyFields.client_id", |v| one("bodyFields", one("client_id", v))),
    ];
    for (path, build) in nested {
        for sample in [Value::Bool(false), Value::Number(7.0), Value::Array(vec![string("/r")])] {
            assert_eq!(
                rejected_value(&build(sample.clone())),
                (path.to_owned(), ConfigErrorKind::WrongType),
                "{sample:?}"
            );
        }
    }
    // List entries are named by their list.
    for (key, entry) in
        [("activityEvents", Value::Null), ("revokedStatuses", string("401")), ("apiOrigins", Value::Bool(true))]
    {
        assert_eq!(rejected_value(&one(key, Value::Array(vec![entry]))), (key.to_owned(), ConfigErrorKind::WrongType));
    }
}

#[test]
fn non_finite_numbers_are_rejected_wherever_a_number_goes() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for key in ["idleTimeoutMs", "refreshJitterMs", "keepaliveEveryMs", "requestTimeoutMs", "maxBodyBytes"] {
            assert_eq!(rejected_value(&one(key, Value::Number(bad))), (key.to_owned(), ConfigErrorKind::NotFinite));
        }
        let statuses = one("revokedStatuses", Value::Array(vec![Value::Number(bad)]));
        assert_eq!(rejected_value(&statuses), ("revokedStatuses".to_owned(), ConfigErrorKind::NotFinite));
    }
    let error = options::read(&one("warnBeforeMs", Value::Number(f64::NAN))).expect_err("NaN");
    assert_eq!(error.message(), "warnBeforeMs must be a finite number");
}

#[test]
fn negative_zero_and_huge_durations() {
    let number = |key: &str, n: f64| rejected_value(&one(key, Value::Number(n))).1;
    assert_eq!(number("idleTimeoutMs", -1.0), ConfigErrorKind::NotPositive);
    assert_eq!(number("idleTimeoutMs", 0.0), ConfigErrorKind::NotPositive);
    assert_eq!(number("idleTimeoutMs", 0.9), ConfigErrorKind::NotPositive, "truncated to zero");
    assert_eq!(number("refreshJitterMs", -0.5), ConfigErrorKind::Negative);
    assert_eq!(number("idleTimeoutMs", f64::MAX), ConfigErrorKind::TooLarge);
    assert_eq!(number("absoluteTimeoutMs", (MAX_DURATION_MS + 1) as f64), ConfigErrorKind::TooLarge);
    assert_eq!(number("activityThrottleMs", -1e300), ConfigErrorKind::Negative);
    assert_eq!(number("requestTimeoutMs", 1e300), ConfigErrorKind::TimeoutTooLong);
    assert_eq!(number("requestTimeoutMs", -1e300), ConfigErrorKind::NotPositive);
    assert_eq!(number("maxBodyBytes", 4.0 * 1024.0 * 1024.0 + 1.0), ConfigErrorKind::BodyLimitTooLarge);
    let zero = options::read(&one("refreshJitterMs", Value::Number(-0.0))).expect("-0 is zero");
    assert_eq!(zero.config.refresh_jitter_ms, 0);
    let max = options::read(&one("absoluteTimeoutMs", Value::Number(MAX_DURATION_MS as f64))).expect("ten years");
    assert_eq!(max.config.absolute_timeout_ms, MAX_DURATION_MS);
}

#[test]
fn bad_urls_bad_names_bad_headers_and_bad_texts_are_told_apart() {
    let cases = [
        (r#"{"endpoints":{"refresh":"/a b"}}"#, "endpoints.refresh", ConfigErrorKind::BadUrl),
        (r#"{"endpoints":{"refresh":{"url":"javascript:x"}}}"#, "endpoints.refresh.url", ConfigErrorKind::BadUrl),
        (r#"{"apiOrigins":["https://a.example/path"]}"#, "apiOrigins", ConfigErrorKind::BadOrigin),
        (r#"{"channelName":"a b"}"#, "channelName", ConfigErrorKind::BadName),
        (r#"{"activityEvents":["on click"]}"#, "activityEvents", ConfigErrorKind::BadName),
        (r#"{"csrf":{"meta":"a b"}}"#, "csrf.meta", ConfigErrorKind::BadName),
        (r#"{"headers":{"X A":"v"}}"#, "headers.X A", ConfigErrorKind::BadHeaderName),
        (r#"{"headers":{"X-A":"a\nb"}}"#, "headers.X-A", ConfigErrorKind::BadHeaderValue),
        (r#"{"csrf":{"header":"X:A","cookie":"c"}}"#, "csrf.header", ConfigErrorKind::BadHeaderName),
        (r#"{"sessionCookie":"a=b"}"#, "sessionCookie", ConfigErrorKind::BadCookieName),
        (r#"{"responseFields":{"error":""}}"#, "responseFields.error", ConfigErrorKind::BadText),
        (r#"{"bodyFields":{"":"v"}}"#, r#"bodyFields."""#, ConfigErrorKind::BadText),
    ];
    let mut messages = Vec::new();
    for (text, field, kind) in cases {
        let error = read(text).expect_err(text);
        assert_eq!((error.field.as_ref(), error.kind), (field, kind), "{text}");
        assert!(error.message().starts_with(field), "{}", error.message());
        messages.push(error.problem());
    }
    let url = read(r#"{"endpoints":{"refresh":{"url":"/a b"}}}"#).expect_err("bad URL");
    assert_eq!(
        url.message(),
        "endpoints.refresh.url must be a relative URL or an absolute http(s) URL, without spaces, at most 2048 bytes"
    );
    let name = read(r#"{"channelName":"/a b"}"#).expect_err("bad name");
    assert_eq!(name.message(), "channelName must be 1 to 64 letters, digits or - _ : .");
    messages.sort_unstable();
    messages.dedup();
    assert_eq!(messages.len(), 7, "URL, origin, name, header name, header value, cookie, text: each its own message");
}

#[test]
fn every_kind_has_its_own_message() {
    use ConfigErrorKind::*;
    let kinds = [
        NotFinite,
        NotPositive,
        Negative,
        TooLarge,
        TimeoutTooLong,
        BodyLimitTooLarge,
        NotErrorStatus,
        WarningNotBeforeDeadline,
        AbsoluteShorterThanIdle,
        RetryMaxBelowInitial,
        BroadcastSlowerThanWarning,
        BadName,
        BadText,
        BadUrl,
        BadOrigin,
        BadHeaderName,
        BadHeaderValue,
        BadCookieName,
        UnknownChoice,
        NeedsOneSource,
        TooMany,
        WrongType,
        UnknownOption,
        Duplicate,
    ];
    let mut problems: Vec<&str> = kinds.iter().map(|kind| ConfigError::new("x", *kind).problem()).collect();
    problems.sort_unstable();
    problems.dedup();
    assert_eq!(problems.len(), kinds.len());
}

#[test]
fn repeated_keys_are_rejected_at_every_level() {
    for (text, field) in [
        (r#"{"mode":"bearer","mode":"cookie"}"#, "mode"),
        (r#"{"idleTimeoutMs":60000,"idleTimeoutMs":1}"#, "idleTimeoutMs"),
        (r#"{"endpoints":{"refresh":"/a","refresh":"/b"}}"#, "endpoints.refresh"),
        (r#"{"endpoints":{"logout":{"url":"/a","url":"/b"}}}"#, "endpoints.logout.url"),
        (r#"{"responseFields":{"error":"e","error":"f"}}"#, "responseFields.error"),
        (r#"{"csrf":{"cookie":"a","cookie":"b"}}"#, "csrf.cookie"),
        (r#"{"headers":{"X-A":"1","X-A":"2"}}"#, "headers.X-A"),
        (r#"{"bodyFields":{"a":"1","a":"2"}}"#, "bodyFields.a"),
    ] {
        assert_eq!(rejected(text), (field.to_owned(), ConfigErrorKind::Duplicate), "{text}");
    }
}

#[test]
fn huge_lists_and_objects_are_refused_without_reading_them_all() {
    let many = |n: usize| Value::Array((0..n).map(|i| string(&format!("e{i}"))).collect());
    for key in ["activityEvents", "revokedErrorCodes", "apiOrigins", "revokedStatuses"] {
        assert_eq!(rejected_value(&one(key, many(100_000))), (key.to_owned(), ConfigErrorKind::TooMany));
    }
    assert!(options::read(&one("revokedErrorCodes", many(16))).is_ok(), "16 entries are fine");
    let members = |n: usize| Value::Object((0..n).map(|i| (format!("X-{i}"), string("v"))).collect());
    for key in ["headers", "bodyFields"] {
        assert_eq!(rejected_value(&one(key, members(100_000))), (key.to_owned(), ConfigErrorKind::TooMany));
    }
    // An object of many unknown keys stops at the first.
    let unknown = Value::Object((0..100_000).map(|i| (format!("k{i}"), Value::Null)).collect());
    assert_eq!(rejected_value(&unknown), ("k0".to_owned(), ConfigErrorKind::UnknownOption));
    let keys = Value::Object((0..100_000).map(|_| ("mode".to_owned(), string("bearer"))).collect());
    assert_eq!(rejected_value(&keys), ("mode".to_owned(), ConfigErrorKind::Duplicate));
}

#[test]
fn deep_values_where_flat_ones_belong_are_wrong_types() {
    let mut deep = string("/r");
    for _ in 0..1_000 {
        deep = Value::Array(vec![deep]);
    }
    for build in [|v| one("endpoints", one("refresh", v)), |v| one("idleTimeoutMs", v), |v| one("headers", one("X", v))]
    {
        assert_eq!(rejected_value(&build(deep.clone())).1, ConfigErrorKind::WrongType);
    }
}

#[test]
fn echoed_keys_are_cut_and_empty_keys_show() {
    let long = "k".repeat(500);
    let error = options::read(&one("endpoints", one(&long, Value::Null))).expect_err("unknown");
    assert_eq!(error.field.len(), "endpoints.".len() + 64);
    let error = options::read(&one("é".repeat(100).as_str(), Value::Null)).expect_err("unknown");
    assert_eq!(error.field.chars().count(), 64, "cut on characters, not bytes");
    assert_eq!(rejected(r#"{"": 1}"#), (r#""""#.to_owned(), ConfigErrorKind::UnknownOption), "an empty key shows");
}

fn any_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("endpoints".to_owned()),
        Just("refresh".to_owned()),
        Just("url".to_owned()),
        Just("method".to_owned()),
        Just("csrf".to_owned()),
        Just("cookie".to_owned()),
        Just("headers".to_owned()),
        Just("idleTimeoutMs".to_owned()),
        Just("warnBeforeMs".to_owned()),
        Just("activityEvents".to_owned()),
        Just("revokedStatuses".to_owned()),
        Just("responseFields".to_owned()),
        ".{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(Value::Number),
        prop_oneof![Just(f64::NAN), Just(-0.0), Just(401.0), Just(60_000.0)].prop_map(Value::Number),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![Just("/auth/refresh"), Just("POST"), Just("GET"), Just("X-A")].prop_map(string),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(Value::Object),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_value_is_read_or_rejected_by_path(value in any_value()) {
        match options::read(&value) {
            Ok(options) => {
                prop_assert!(options.endpoints.endpoints().all(is_valid_url));
                prop_assert!(options.config.warn_before_ms < options.config.idle_timeout_ms);
            }
            Err(error) => {
                prop_assert!(!error.field.is_empty());
                prop_assert!(error.message().ends_with(error.problem()));
            }
        }
        let wrapped = object(vec![("endpoints", object(vec![("refresh", value.clone())])), ("csrf", value.clone()), ("headers", value)]);
        let _ = options::read(&wrapped);
    }
}
