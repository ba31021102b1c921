use super::sim::*;
use crate::core::json::parse;
use crate::core::*;

fn read(text: &str) -> Result<TokenSet, TokenError> {
    parse_token_response(&parse(text).expect("valid JSON"), T0)
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
    assert_eq!(read(r#"{"expires_in":-1}"#), Err(TokenError::BadField("expires_in")));
    assert_eq!(read(r#"{"expires_in":"soon"}"#), Err(TokenError::BadField("expires_in")));
    assert_eq!(read(r#"{"expires_in":1e300}"#), Err(TokenError::BadField("expires_in")));
    // Past 2^53 no cross-tab message could carry it (found by fuzzing).
    assert_eq!(read(r#"{"expires_at":9500000000000000}"#), Err(TokenError::BadField("expires_at")));
    let long = format!(r#"{{"access_token":"{}"}}"#, "x".repeat(MAX_TOKEN_LEN_FOR_TEST + 1));
    assert_eq!(read(&long), Err(TokenError::TooLong("access_token")));
}

const MAX_TOKEN_LEN_FOR_TEST: usize = crate::core::tokens::MAX_TOKEN_LEN;
