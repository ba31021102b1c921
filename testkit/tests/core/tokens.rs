use wasm_session::core::*;
use wasm_session_testkit::json::{parse, parse_ok};
use wasm_session_testkit::sim::*;

fn read(text: &str) -> Result<TokenSet, TokenError> {
    contract::read_tokens(&FieldNames::default(), &parse(text).expect("valid JSON"), None, T0, parse_ok)
}

#[test]
fn oauth_token_response_is_read() {
    let tokens =
        read(r#"{"access_token":"a","refresh_token":"r","expires_in":3600,"token_type":"Bearer"}"#).expect("ok");
    assert_eq!(tokens.access_token.as_ref().map(Secret::expose), Some("a"));
    assert_eq!(tokens.refresh_token.as_ref().map(Secret::expose), Some("r"));
    assert_eq!(tokens.expires_at, Some(T0 + 3_600_000));
}

#[test]
fn camel_case_and_absolute_expiry_in_seconds_or_millis() {
    let seconds = read(r#"{"accessToken":"a","expiresAt":1700000600}"#).expect("ok");
    assert_eq!(seconds.expires_at, Some(1_700_000_600_000));
    let millis = read(r#"{"accessToken":"a","expiresAt":1700000600123}"#).expect("ok");
    assert_eq!(millis.expires_at, Some(1_700_000_600_123));
    let quoted = read(r#"{"access_token":"a","expires_in":"60"}"#).expect("ok");
    assert_eq!(quoted.expires_at, Some(T0 + 60_000));
}

#[test]
fn cookie_mode_response_without_tokens_is_fine() {
    assert_eq!(read("{}"), Ok(TokenSet::default()));
    assert_eq!(read(r#"{"access_token":null,"refresh_token":""}"#), Ok(TokenSet::default()));
}

#[test]
fn hostile_token_responses_are_typed_errors() {
    assert_eq!(read("[]"), Err(TokenError::NotAnObject));
    assert_eq!(read(r#"{"access_token":5}"#), Err(TokenError::BadField("access_token")));
    assert_eq!(read(r#"{"expires_in":"soon"}"#), Err(TokenError::BadField("expires_in")));
    assert_eq!(read(r#"{"expires_at":{}}"#), Err(TokenError::BadField("expires_at")));
    // Absurd expiries are dropped: the token is good, its expiry unknown. Past
    // 2^53 no cross-tab message could carry it (found by fuzzing).
    for absurd in [r#"{"expires_in":-1}"#, r#"{"expires_in":1e300}"#, r#"{"expires_at":9500000000000000}"#] {
        assert_eq!(read(absurd).map(|t| t.expires_at), Ok(None), "{absurd}");
    }
    let long = format!(r#"{{"access_token":"{}"}}"#, "x".repeat(MAX_TOKEN_LEN_FOR_TEST + 1));
    assert_eq!(read(&long), Err(TokenError::TooLong("access_token")));
}

const MAX_TOKEN_LEN_FOR_TEST: usize = wasm_session::core::tokens::MAX_TOKEN_LEN;

#[test]
fn start_and_the_refresh_function_read_answers_like_the_endpoint() {
    // responseFields apply to every token answer, and a JWT's exp is the
    // expiry when the answer gives none.
    let options = parse(r#"{"responseFields": {"accessToken": "jwt", "expiresIn": "ttl"}}"#).expect("valid JSON");
    let t = wasm_session::core::options::read(&options).expect("valid options").endpoints;
    let mapped =
        contract::read_tokens(&t.fields, &parse(r#"{"jwt":"a","ttl":60}"#).unwrap(), None, T0, parse_ok).unwrap();
    assert_eq!(mapped.access_token.as_ref().map(Secret::expose), Some("a"));
    assert_eq!(mapped.expires_at, Some(T0 + 60_000));
    let payload = "eyJleHAiOjE3MDAwMDAxMjB9"; // {"exp":1700000120}
    let jwt = ["eyJhbGciOiJIUzI1NiJ9.", payload, ".c2ln"].concat();
    let body = parse(&[r#"{"access_token":""#, jwt.as_str(), r#""}"#].concat()).unwrap();
    let from_jwt = contract::read_tokens(&FieldNames::default(), &body, None, T0, parse_ok).unwrap();
    assert_eq!(from_jwt.expires_at, Some(1_700_000_120_000));
}
