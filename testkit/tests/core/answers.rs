//! Reading the endpoints' answers (`core::contract::answers`): refresh
//! answers, the app's `refresh` function's results, keepalive and session
//! answers, and whether an API answer means "revoked".

use proptest::prelude::*;
use wasm_session_testkit::encoding::jwt;
use wasm_session_testkit::json::body_from_text;

use wasm_session::core::contract::encodings::{jwt_times, MAX_EPOCH_MS};
use wasm_session::core::contract::*;
use wasm_session::core::endpoints::{Endpoint, FieldNames, TokenMode, Transport, DEFAULT_MAX_BODY_BYTES};
use wasm_session::core::refresh::{RefreshFailure, RefreshOutcome};
use wasm_session::core::tokens::{Secret, TokenSet, MAX_TOKEN_LEN};
use wasm_session_testkit::http_date::{clock_offset, parse_http_date};
use wasm_session_testkit::json;
use wasm_session_testkit::sim::T0;

const T0_DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

fn bearer() -> Transport {
    Transport { refresh: Some(Endpoint::post("/auth/refresh")), ..Transport::default() }
}

/// An answer with `body` as the shell reads it (the default 64 KiB limit), no headers.
fn text(status: u16, body: &str) -> Response {
    Response::new(status, body_from_text(body, body.len(), DEFAULT_MAX_BODY_BYTES))
}

/// A body as the shell reads it for a request to `t`'s endpoints.
fn body(t: &Transport, text: &str) -> Body {
    body_from_text(text, text.len(), t.max_body_bytes)
}

/// `Retry-After: text`, with what `Date.parse` reads in an HTTP date.
fn retry_after(text: &str) -> Option<RetryAfter> {
    Some(RetryAfter { text: text.into(), date: parse_http_date(text) })
}

fn success(outcome: RefreshOutcome) -> TokenSet {
    match outcome {
        RefreshOutcome::Success(tokens) => tokens,
        other => panic!("expected success, got {other:?}"),
    }
}

fn failure(outcome: RefreshOutcome) -> (RefreshFailure, Option<u64>) {
    match outcome {
        RefreshOutcome::Failed { failure, retry_after_ms } => (failure, retry_after_ms),
        other => panic!("expected failure, got {other:?}"),
    }
}

fn refresh_answer(t: &Transport, status: u16, text: &str) -> RefreshOutcome {
    read_refresh_response(t, &Response::new(status, body(t, text)), T0, json::parse_ok)
}

fn exposed_access(tokens: &TokenSet) -> Option<&str> {
    tokens.access_token.as_ref().map(Secret::expose)
}

#[test]
fn refresh_success_with_expires_in() {
    let tokens =
        success(refresh_answer(&bearer(), 200, r#"{"access_token":"a","refresh_token":"r","expires_in":3600}"#));
    assert_eq!(exposed_access(&tokens), Some("a"));
    assert_eq!(tokens.refresh_token.as_ref().map(Secret::expose), Some("r"));
    assert_eq!(tokens.expires_at, Some(T0 + 3_600_000));
    // expires_in is relative: the Date header does not move it.
    let response = Response {
        date: parse_http_date("Tue, 14 Nov 2023 23:13:20 GMT"),
        ..text(200, r#"{"access_token":"a","expires_in":"60"}"#)
    };
    assert_eq!(success(read_refresh_response(&bearer(), &response, T0, json::parse_ok)).expires_at, Some(T0 + 60_000));
    // No new refresh token: keep the old one (the machine does).
    assert_eq!(success(refresh_answer(&bearer(), 201, r#"{"accessToken":"a"}"#)).refresh_token, None);
}

#[test]
fn absolute_expiry_is_corrected_by_the_date_header() {
    // The server's clock is one hour ahead of ours.
    let ahead = "Tue, 14 Nov 2023 23:13:20 GMT";
    let server_now_s = T0 / 1000 + 3600;
    let body = format!(r#"{{"access_token":"a","expires_at":{}}}"#, server_now_s + 300);
    let response = Response { date: parse_http_date(ahead), ..text(200, &body) };
    assert_eq!(success(read_refresh_response(&bearer(), &response, T0, json::parse_ok)).expires_at, Some(T0 + 300_000));
    // Milliseconds work the same way.
    let body = format!(r#"{{"access_token":"a","expiresAt":{}}}"#, (server_now_s + 300) * 1000 + 5);
    let response = Response { date: parse_http_date(ahead), ..text(200, &body) };
    assert_eq!(success(read_refresh_response(&bearer(), &response, T0, json::parse_ok)).expires_at, Some(T0 + 300_005));
    // Under a second of difference is noise: not corrected.
    let body = format!(r#"{{"access_token":"a","expires_at":{}}}"#, T0 / 1000 + 300);
    let response = Response { date: Some(T0), ..text(200, &body) };
    assert_eq!(
        success(read_refresh_response(&bearer(), &response, T0 + 900, json::parse_ok)).expires_at,
        Some(T0 + 300_000)
    );
    // An unparseable Date is ignored.
    let response = Response { date: parse_http_date("yesterday"), ..text(200, &body) };
    assert_eq!(success(read_refresh_response(&bearer(), &response, T0, json::parse_ok)).expires_at, Some(T0 + 300_000));
}

#[test]
fn jwt_exp_is_the_last_resort_and_iat_corrects_without_date() {
    // Our clock is 10 minutes behind the server's: iat is 10 minutes "ahead".
    let iat = T0 / 1000 + 600;
    let token = jwt(&format!(r#"{{"sub":"u","iat":{iat},"exp":{}}}"#, iat + 900));
    let body = format!(r#"{{"access_token":"{token}"}}"#);
    assert_eq!(success(refresh_answer(&bearer(), 200, &body)).expires_at, Some(T0 + 900_000));
    // With a Date header, the header decides (here: clocks agree).
    let response = Response { date: Some(T0), ..text(200, &body) };
    assert_eq!(
        success(read_refresh_response(&bearer(), &response, T0, json::parse_ok)).expires_at,
        Some(T0 + 1_500_000)
    );
    // expires_in beats the JWT.
    let body = format!(r#"{{"access_token":"{token}","expires_in":60}}"#);
    assert_eq!(success(refresh_answer(&bearer(), 200, &body)).expires_at, Some(T0 + 60_000));
    // Not a JWT: no expiry at all, still a success.
    assert_eq!(success(refresh_answer(&bearer(), 200, r#"{"access_token":"opaque"}"#)).expires_at, None);
}

#[test]
fn configured_field_names_and_camel_case_aliases() {
    let mut t = bearer();
    t.fields = FieldNames {
        access_token: "token".into(),
        refresh_token: "refresh".into(),
        expires_in: "ttl".into(),
        expires_at: "until".into(),
        error: "code".into(),
        user: "account".into(),
    };
    let tokens = success(refresh_answer(&t, 200, r#"{"token":"a","refresh":"r","ttl":10,"access_token":"ignored"}"#));
    assert_eq!((exposed_access(&tokens), tokens.expires_at), (Some("a"), Some(T0 + 10_000)));
    // With custom names the OAuth names are not consulted.
    assert_eq!(failure(refresh_answer(&t, 200, r#"{"access_token":"a"}"#)).0, RefreshFailure::BadResponse);
    assert_eq!(failure(refresh_answer(&t, 400, r#"{"code":"invalid_grant"}"#)).0, RefreshFailure::InvalidGrant);
    // Defaults accept the camelCase twins, snake_case first.
    let tokens = success(refresh_answer(
        &bearer(),
        200,
        r#"{"accessToken":"c","access_token":"s","refreshToken":"r","expiresIn":5}"#,
    ));
    assert_eq!((exposed_access(&tokens), tokens.expires_at), (Some("s"), Some(T0 + 5_000)));
}

#[test]
fn unusable_2xx_answers_are_bad_responses() {
    let t = bearer();
    let bad = |response: Response| failure(read_refresh_response(&t, &response, T0, json::parse_ok));
    let html = Response { content_type: Some("Text/HTML; charset=utf-8".into()), ..text(200, "<html>login</html>") };
    assert_eq!(bad(html), (RefreshFailure::BadResponse, None));
    let json_as_html = Response { content_type: Some("text/html".into()), ..text(200, r#"{"access_token":"a"}"#) };
    assert_eq!(bad(json_as_html).0, RefreshFailure::BadResponse);
    for body in [
        "",
        "   ",
        "not json",
        "[]",
        r#""token""#,
        "{}",
        r#"{"access_token":""}"#,
        r#"{"access_token":null,"refresh_token":"r"}"#,
        r#"{"access_token":5}"#,
        r#"{"access_token":"a","refresh_token":[]}"#,
        r#"{"access_token":"a","expires_in":true}"#,
        r#"{"access_token":"a","expires_in":"soon"}"#,
        r#"{"access_token":"a","expires_at":{}}"#,
        r#"{"access_token":"a"} trailing"#,
    ] {
        assert_eq!(bad(text(200, body)).0, RefreshFailure::BadResponse, "{body:?}");
    }
    let long = format!(r#"{{"access_token":"{}"}}"#, "x".repeat(MAX_TOKEN_LEN + 1));
    assert_eq!(bad(text(200, &long)).0, RefreshFailure::BadResponse);
    // 200 {"error":"invalid_grant"} is treated as what it says.
    assert_eq!(bad(text(200, r#"{"error":"invalid_grant"}"#)).0, RefreshFailure::InvalidGrant);
}

#[test]
fn oversized_bodies_are_bad_even_when_cut() {
    let t = Transport { max_body_bytes: 32, ..bearer() };
    let body = r#"{"access_token":"abc"}"#;
    assert!(matches!(refresh_answer(&t, 200, body), RefreshOutcome::Success(_)));
    // The shell cut the body at 33 bytes but saw 5000.
    let cut = Response::new(200, body_from_text(body, 5000, t.max_body_bytes));
    assert_eq!(failure(read_refresh_response(&t, &cut, T0, json::parse_ok)).0, RefreshFailure::BadResponse);
    let big = format!(r#"{{"access_token":"{}"}}"#, "a".repeat(40));
    assert_eq!(failure(refresh_answer(&t, 200, &big)).0, RefreshFailure::BadResponse);
}

#[test]
fn absurd_expiries_are_dropped_not_fatal() {
    for body in [
        r#"{"access_token":"a","expires_in":-5}"#,
        r#"{"access_token":"a","expires_in":1e300}"#,
        r#"{"access_token":"a","expires_at":-1}"#,
        r#"{"access_token":"a","expires_at":1e20}"#,
        r#"{"access_token":"a","expires_at":253402300800000}"#,
    ] {
        let tokens = success(refresh_answer(&bearer(), 200, body));
        assert_eq!((exposed_access(&tokens), tokens.expires_at), (Some("a"), None), "{body}");
    }
    // An absurd expires_in falls through to a usable expires_at.
    let tokens =
        success(refresh_answer(&bearer(), 200, r#"{"access_token":"a","expires_in":-1,"expires_at":1700000060}"#));
    assert_eq!(tokens.expires_at, Some(T0 + 60_000));
    let token = jwt(r#"{"exp":-100,"iat":"yesterday"}"#);
    let tokens = success(refresh_answer(&bearer(), 200, &format!(r#"{{"access_token":"{token}"}}"#)));
    assert_eq!(tokens.expires_at, None);
    assert_eq!(success(refresh_answer(&bearer(), 200, r#"{"access_token":"a","expires_in":0}"#)).expires_at, Some(T0));
}

#[test]
fn cookie_mode_accepts_empty_refresh_answers() {
    let t = Transport { mode: TokenMode::Cookie, ..bearer() };
    assert_eq!(success(refresh_answer(&t, 204, "")), TokenSet::default());
    assert_eq!(success(refresh_answer(&t, 200, "{}")), TokenSet::default());
    assert_eq!(success(refresh_answer(&t, 200, r#"{"expires_in":60}"#)).expires_at, Some(T0 + 60_000));
    assert_eq!(failure(refresh_answer(&t, 200, "<html>")).0, RefreshFailure::BadResponse);
    assert_eq!(failure(refresh_answer(&bearer(), 204, "")).0, RefreshFailure::BadResponse, "bearer mode needs a token");
}

#[test]
fn refresh_status_table() {
    let t = bearer();
    let with_retry = |status: u16, retry: &'static str| {
        let response = Response { retry_after: retry_after(retry), ..text(status, "oops") };
        failure(read_refresh_response(&t, &response, T0, json::parse_ok))
    };
    assert_eq!(
        failure(refresh_answer(&t, 400, r#"{"error":"invalid_grant","error_description":"expired"}"#)),
        (RefreshFailure::InvalidGrant, None)
    );
    assert_eq!(failure(refresh_answer(&t, 400, r#"{"error":"invalid_request"}"#)).0, RefreshFailure::Status(400));
    assert_eq!(
        failure(refresh_answer(&t, 400, r#"{"error":{"code":"invalid_grant"}}"#)).0,
        RefreshFailure::InvalidGrant
    );
    assert_eq!(failure(refresh_answer(&t, 400, "<html>")).0, RefreshFailure::Status(400));
    assert_eq!(failure(refresh_answer(&t, 401, r#"{"error":"invalid_grant"}"#)).0, RefreshFailure::Status(401));
    assert_eq!(with_retry(403, "5"), (RefreshFailure::Status(403), None), "definitive: no retry hint");
    assert_eq!(with_retry(429, "5"), (RefreshFailure::Status(429), Some(5_000)));
    assert_eq!(with_retry(408, " 0 "), (RefreshFailure::Status(408), Some(0)));
    assert_eq!(with_retry(503, "Tue, 14 Nov 2023 22:15:20 GMT"), (RefreshFailure::Status(503), Some(120_000)));
    assert_eq!(with_retry(500, "Tue, 14 Nov 2023 22:10:00 GMT"), (RefreshFailure::Status(500), Some(0)), "past: now");
    assert_eq!(with_retry(502, "later"), (RefreshFailure::Status(502), None));
    assert_eq!(failure(refresh_answer(&t, 404, "")), (RefreshFailure::Status(404), None));
    assert_eq!(failure(refresh_answer(&t, 302, "")).0, RefreshFailure::Status(302));
    assert_eq!(failure(refresh_answer(&t, 0, "")).0, RefreshFailure::Network);
    assert!(!RefreshFailure::Status(404).is_retryable() && RefreshFailure::Status(503).is_retryable());
}

// ---- session answers ----

fn session(t: &Transport, response: Response) -> SessionAnswer {
    read_session_response(t, &response, T0)
}

fn active(idle: Option<u64>, absolute: Option<u64>, user: Option<&str>) -> SessionAnswer {
    SessionAnswer::Active {
        idle_deadline: idle,
        absolute_deadline: absolute,
        user: user.map(str::to_owned),
        remember_me: false,
    }
}

#[test]
fn session_answers_with_deadlines_and_users() {
    let t = Transport::cookie_session("/k", "/s", "/l");
    assert_eq!(session(&t, text(204, "")), active(None, None, None));
    assert_eq!(session(&t, text(200, "{}")), active(None, None, None));
    let body = format!(
        r#"{{"signedIn":true,"idleExpiresAt":{},"absoluteExpiresAt":{},"user":{{"id":42}}}}"#,
        T0 + 900_000,
        T0 / 1000 + 28_800
    );
    assert_eq!(session(&t, text(200, &body)), active(Some(T0 + 900_000), Some(T0 + 28_800_000), Some("42")));
    // The server's clock is 30 s behind: its deadlines come 30 s later on ours.
    let body = format!(
        r#"{{"authenticated":true,"idle_expires_at":"{}","absolute_expires_at":{},"user":"alice"}}"#,
        T0 / 1000 + 60,
        T0 / 1000 + 120
    );
    let behind = Response { date: parse_http_date("Tue, 14 Nov 2023 22:12:50 GMT"), ..text(200, &body) };
    assert_eq!(session(&t, behind), active(Some(T0 + 90_000), Some(T0 + 150_000), Some("alice")));
    // Absurd or mistyped deadlines read as absent; the answer still counts.
    let body = r#"{"active":true,"idleExpiresAt":-1,"absoluteExpiresAt":"tomorrow","user":{"id":"u-1","name":"A"}}"#;
    assert_eq!(session(&t, text(200, body)), active(None, None, Some("u-1")));
    let body = r#"{"idleExpiresAt":null,"user":{"name":"no id"}}"#;
    assert_eq!(session(&t, text(200, body)), active(None, None, None));
    let long_user = format!(r#"{{"user":"{}"}}"#, "u".repeat(300));
    assert_eq!(session(&t, text(200, &long_user)), active(None, None, None));
}

#[test]
fn session_status_table() {
    let t = Transport {
        revoked_statuses: vec![401, 440],
        revoked_error_codes: vec!["session_revoked".into()],
        ..Transport::cookie_session("/k", "/s", "/l")
    };
    assert_eq!(session(&t, text(200, r#"{"signedIn":false}"#)), SessionAnswer::SignedOut);
    assert_eq!(session(&t, text(200, r#"{"signed_in":false,"user":"x"}"#)), SessionAnswer::SignedOut);
    assert_eq!(session(&t, text(200, r#"{"user":null}"#)), SessionAnswer::SignedOut);
    assert_eq!(session(&t, text(200, r#"{"signedIn":"yes"}"#)), SessionAnswer::BadResponse);
    assert_eq!(session(&t, text(401, "")), SessionAnswer::Revoked);
    assert_eq!(session(&t, text(403, "<html>")), SessionAnswer::Revoked);
    assert_eq!(session(&t, text(440, "")), SessionAnswer::Revoked);
    assert_eq!(session(&t, text(409, r#"{"error":"session_revoked"}"#)), SessionAnswer::Revoked);
    assert_eq!(session(&t, text(503, r#"{"error":"session_revoked"}"#)), SessionAnswer::Revoked);
    let busy = Response { retry_after: retry_after("30"), ..text(503, "busy") };
    assert_eq!(session(&t, busy), SessionAnswer::Retryable { retry_after_ms: Some(30_000) });
    assert_eq!(session(&t, text(429, "")), SessionAnswer::Retryable { retry_after_ms: None });
    assert_eq!(session(&t, text(0, "")), SessionAnswer::Retryable { retry_after_ms: None });
    assert_eq!(session(&t, text(404, "")), SessionAnswer::BadResponse);
    assert_eq!(session(&t, text(302, "")), SessionAnswer::BadResponse);
    let html = Response { content_type: Some("text/html".into()), ..text(200, "<!doctype html>") };
    assert_eq!(session(&t, html), SessionAnswer::BadResponse);
    assert_eq!(session(&t, text(200, "OK")), SessionAnswer::BadResponse);
    assert_eq!(session(&t, text(200, "[true]")), SessionAnswer::BadResponse);
    assert_eq!(
        session(&t, Response::new(200, body_from_text("{}", 1 << 20, t.max_body_bytes))),
        SessionAnswer::BadResponse
    );
}

#[test]
fn revocation_of_api_answers() {
    let mut t = Transport::default();
    assert!(is_revoked(&t, 401, None));
    assert!(!is_revoked(&t, 403, None), "403 is a missing permission, not a dead session");
    assert!(!is_revoked(&t, 200, Some(&body(&t, r#"{"error":"session_revoked"}"#))));
    t.revoked_error_codes = vec!["session_revoked".into(), "token_revoked".into()];
    assert!(is_revoked(&t, 403, Some(&body(&t, r#"{"error":"token_revoked"}"#))));
    assert!(is_revoked(&t, 500, Some(&body(&t, r#"{"error":{"code":"session_revoked"}}"#))));
    assert!(!is_revoked(&t, 403, Some(&body(&t, r#"{"error":"forbidden"}"#))));
    assert!(!is_revoked(&t, 403, Some(&body(&t, "session_revoked"))));
    assert!(!is_revoked(&t, 403, None));
    assert!(!is_revoked(&t, 200, Some(&body(&t, r#"{"error":"session_revoked"}"#))), "a 2xx is never a revocation");
    t.fields.error = "reason".into();
    assert!(is_revoked(&t, 400, Some(&body(&t, r#"{"reason":"session_revoked"}"#))));
    t.max_body_bytes = 10;
    assert!(!is_revoked(&t, 400, Some(&body(&t, r#"{"reason":"session_revoked"}"#))), "oversized bodies are not read");
    assert!(needs_body(&t, 403) && !needs_body(&t, 401) && !needs_body(&t, 204));
    assert!(!needs_body(&Transport::default(), 403));
}

#[test]
fn retry_after_values() {
    let delay = |text: &str| RetryAfter { text: text.into(), date: parse_http_date(text) }.delay_ms(T0);
    assert_eq!(delay("120"), Some(120_000));
    assert_eq!(delay("\t7 "), Some(7_000));
    assert_eq!(delay("99999999999999999999999"), Some(u64::MAX));
    assert_eq!(delay(T0_DATE), Some(0));
    assert_eq!(delay("Tue, 14 Nov 2023 22:13:21 GMT"), Some(1_000));
    for bad in ["", " ", "-1", "1.5", "+3", "soon", "1 2"] {
        assert_eq!(delay(bad), None, "{bad:?}");
    }
    // Digits are delta-seconds whatever `Date.parse` makes of them (V8 reads "7" as a year).
    assert_eq!(RetryAfter { text: "7".into(), date: Some(T0) }.delay_ms(T0), Some(7_000));
    // A date the browser read, past or absurd.
    assert_eq!(RetryAfter { text: "x".into(), date: Some(T0 - 5) }.delay_ms(T0), Some(0));
    assert_eq!(RetryAfter { text: "x".into(), date: Some(u64::MAX) }.delay_ms(T0), None);
}

#[test]
fn the_refresh_functions_results_are_read_like_an_endpoints() {
    let t = bearer();
    let value = json::parse(r#"{"accessToken":"a","refresh_token":"r","expires_in":60}"#).unwrap();
    let tokens = success(read_hook_result(&t, &HookResult::Resolved(Some(value)), T0, json::parse_ok));
    assert_eq!((exposed_access(&tokens), tokens.expires_at), (Some("a"), Some(T0 + 60_000)));
    assert_eq!(
        success(read_hook_result(&t, &HookResult::Resolved(None), T0, json::parse_ok)),
        TokenSet::default(),
        "cookie mode"
    );
    let bad = |result: HookResult| failure(read_hook_result(&t, &result, T0, json::parse_ok));
    assert_eq!(bad(HookResult::Unreadable), (RefreshFailure::BadResponse, None));
    assert_eq!(bad(HookResult::Resolved(Some(json::parse("[1]").unwrap()))), (RefreshFailure::BadResponse, None));
    let rejected =
        |status: Option<f64>, retry: Option<f64>| bad(HookResult::Rejected { status, retry_after_ms: retry });
    assert_eq!(rejected(Some(401.0), None), (RefreshFailure::Status(401), None), "an HTTP answer: definitive");
    assert_eq!(rejected(Some(503.0), Some(2500.0)), (RefreshFailure::Status(503), Some(2500)));
    assert_eq!(rejected(None, None), (RefreshFailure::Network, None), "thrown: a network failure, retried");
    assert_eq!(rejected(Some(99.0), Some(-1.0)), (RefreshFailure::Network, None));
    assert_eq!(rejected(Some(f64::NAN), Some(f64::INFINITY)), (RefreshFailure::Network, None));
}

#[test]
fn bodies_are_judged_once_as_the_shell_reads_them() {
    assert_eq!(body_from_text(" \r\n\t", 4, 100), Body::Empty);
    assert_eq!(body_from_text("{}", 2, 100), Body::Json(json::parse("{}").unwrap()));
    assert_eq!(body_from_text("<html>", 6, 100), Body::NotJson);
    assert_eq!(body_from_text("{}", 5000, 100), Body::TooLarge, "cut by the shell, but its length is known");
    assert_eq!(body_from_text("[1, 2, 3]", 9, 8), Body::TooLarge);
    let deep = "[".repeat(40) + &"]".repeat(40);
    assert_eq!(body_from_text(&deep, deep.len(), 1000), Body::NotJson, "too deep to be an answer");
    assert_eq!(format!("{:?}", body_from_text(r#"{"access_token":"SECRET"}"#, 25, 100)), "Json(..)");
}

fn header_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        any::<String>(),
        "[A-Za-z]{3}, [0-9]{2} [A-Za-z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
        "[0-9 ]{0,25}",
    ])
}

/// Answer-shaped text: JSON fragments and the names the readers look for.
pub(super) fn hostile_body() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(
            prop_oneof![
                Just("{".to_owned()),
                Just("}".to_owned()),
                Just("[".to_owned()),
                Just(",".to_owned()),
                Just(":".to_owned()),
                Just("null".to_owned()),
                Just("true".to_owned()),
                Just("-1e400".to_owned()),
                Just("\"access_token\"".to_owned()),
                Just("\"expires_in\"".to_owned()),
                Just("\"expires_at\"".to_owned()),
                Just("\"error\"".to_owned()),
                Just("\"invalid_grant\"".to_owned()),
                Just("\"signedIn\"".to_owned()),
                Just("\"user\"".to_owned()),
                Just("\"id\"".to_owned()),
                Just("\"idleExpiresAt\"".to_owned()),
                any::<u64>().prop_map(|n| n.to_string()),
                any::<f64>().prop_map(|n| n.to_string()),
                "\"[A-Za-z0-9._=-]{0,40}\"",
            ],
            0..24
        )
        .prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn answers_never_panic(
        status in prop_oneof![any::<u16>(), 0u16..600],
        text in hostile_body(),
        body_len in any::<usize>(),
        date in prop_oneof![Just(None), any::<u64>().prop_map(Some), (0..MAX_EPOCH_MS).prop_map(Some)],
        retry in header_text(),
        content_type in header_text(),
        now in prop_oneof![any::<u64>(), Just(T0)],
        cookie in any::<bool>(),
        max_body_bytes in prop_oneof![Just(DEFAULT_MAX_BODY_BYTES), 0usize..64],
    ) {
        let t = Transport {
            mode: if cookie { TokenMode::Cookie } else { TokenMode::Bearer },
            max_body_bytes,
            revoked_error_codes: vec!["invalid_grant".into()],
            ..bearer()
        };
        let response = Response {
            status,
            date,
            retry_after: retry.clone().map(|text| RetryAfter { date: parse_http_date(&text), text }),
            content_type: content_type.clone(),
            body: body_from_text(&text, body_len, max_body_bytes),
        };
        if let RefreshOutcome::Success(tokens) = read_refresh_response(&t, &response, now, json::parse_ok) {
            prop_assert!(tokens.expires_at.is_none_or(|at| at <= MAX_EPOCH_MS));
            prop_assert!((200..300).contains(&status));
        }
        if let SessionAnswer::Active { idle_deadline, absolute_deadline, .. } = read_session_response(&t, &response, now) {
            prop_assert!(idle_deadline.is_none_or(|at| at <= MAX_EPOCH_MS));
            prop_assert!(absolute_deadline.is_none_or(|at| at <= MAX_EPOCH_MS));
        }
        let _ = is_revoked(&t, status, Some(&response.body));
        let _ = read_hook_result(&t, &HookResult::Resolved(json::parse(&text).ok()), now, json::parse_ok);
        for text in [retry.as_deref(), content_type.as_deref(), Some(text.as_str())].into_iter().flatten() {
            let _ = parse_http_date(text);
            let _ = clock_offset(text, now);
            let _ = jwt_times(text, json::parse_ok);
        }
    }

    #[test]
    fn hook_results_never_panic(
        status in prop::option::of(any::<f64>()),
        retry_after_ms in prop::option::of(any::<f64>()),
        text in hostile_body(),
        now in prop_oneof![any::<u64>(), Just(T0)],
    ) {
        let t = bearer();
        match read_hook_result(&t, &HookResult::Rejected { status, retry_after_ms }, now, json::parse_ok) {
            RefreshOutcome::Failed { failure, retry_after_ms: read } => {
                let http = status.is_some_and(|s| (100.0..1000.0).contains(&s));
                prop_assert_eq!(matches!(failure, RefreshFailure::Status(_)), http);
                prop_assert_eq!(read.is_some(), retry_after_ms.is_some_and(|ms| ms.is_finite() && ms >= 0.0));
            }
            other => prop_assert!(false, "a rejection read as {:?}", other),
        }
        let _ = read_hook_result(&t, &HookResult::Resolved(json::parse(&text).ok()), now, json::parse_ok);
    }
}
