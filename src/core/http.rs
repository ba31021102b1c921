//! The server clock and the encodings of the endpoint contract: JWT times and
//! subject, and form and JSON request bodies, as pure functions. HTTP dates are
//! read by the browser's `Date.parse`; the reader in `http_date.rs` serves tests
//! and fuzzing.
//!
//! The endpoint configuration is in [`super::endpoints`] (re-exported here for
//! the contract code), the requests to send and the meaning of their answers in
//! [`super::contract`]; the state machine decides when to send them.
//!
//! Server clocks are not ours. Absolute times from the server are moved onto the
//! local clock by the offset the `Date` header shows (or, without one, the access
//! token's `iat`). Cross-origin responses expose `Date` to scripts only with
//! `Access-Control-Expose-Headers: Date`.

use super::config::MAX_DURATION_MS;
pub use super::endpoints::{
    header_value_ok, is_token, is_valid_url, may_send_credential, origin_of, BodyEncoding, Credentials, Csrf,
    CsrfSource, Endpoint, FieldNames, TokenMode, Transport, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_MS,
    FORM_CONTENT_TYPE, MAX_BODY_LIMIT, MAX_LIST, MAX_TIMEOUT_MS, MAX_URL_LEN,
};
use super::identity::bounded;
use super::tokens::MAX_TOKEN_LEN;
use super::value::Value;

#[cfg(any(test, fuzzing))]
pub use super::http_date::{clock_offset, date_text, parse_http_date};

/// 9999-12-31T23:59:59.999Z: later times are absurd and read as absent.
pub const MAX_EPOCH_MS: u64 = 253_402_300_799_999;

/// The server's clock minus ours, in ms, from a server time `server` seen at
/// local time `local` (its `Date`, or a JWT's `iat`). Under a second is noise
/// (HTTP dates have whole seconds) and reads as 0; over ten years is a broken
/// clock or header, not a skew to correct, and reads as `None`.
pub fn clock_offset_ms(server: u64, local: u64) -> Option<i64> {
    let offset = i64::try_from(server).ok()?.checked_sub(i64::try_from(local).ok()?)?;
    match offset.unsigned_abs() {
        0..=999 => Some(0),
        skew if skew > MAX_DURATION_MS => None,
        _ => Some(offset),
    }
}

// ---- JWT and form encoding ----

/// The `exp` and `iat` claims of a JWT, in epoch ms (server clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JwtTimes {
    /// Expiry.
    pub exp: Option<u64>,
    /// Issue time.
    pub iat: Option<u64>,
}

/// Reads JSON text into a value: the browser's `JSON.parse` and the bounded
/// walker in the shipped shell, the test reader in native tests. The core has
/// one use for it, the JSON inside a JWT's payload, and takes it as a
/// capability so that the shipped wasm holds no JSON text parser of its own.
pub type ParseJson = fn(&str) -> Option<Value>;

/// The times in a JWT's payload: the middle of three base64url segments (padding
/// tolerated), a JSON object (read by `parse`) with numeric `exp`/`iat` in
/// seconds. A claim that is missing, not a number or absurd (negative, after
/// 9999) is `None`; a token that is not a JWS compact JWT with an object
/// payload gives `None`.
///
/// The signature is **not** checked: the server checks signatures, the client
/// only uses these times to schedule refreshes.
pub fn jwt_times(token: &str, parse: ParseJson) -> Option<JwtTimes> {
    let claims = jwt_claims(token, parse)?;
    let time = |name: &str| {
        let seconds = claims.get(name)?.as_f64()?;
        (seconds >= 0.0 && seconds <= MAX_EPOCH_MS as f64 / 1000.0).then_some((seconds * 1000.0) as u64)
    };
    Some(JwtTimes { exp: time("exp"), iat: time("iat") })
}

/// The `sub` claim of a JWT (read as [`jwt_times`] reads the times): a string
/// of 1 to [`super::identity::MAX_USER_LEN`] bytes, else `None`. Not verified
/// either: it only tells whether a new token names the same user as the old one.
pub fn jwt_subject(token: &str, parse: ParseJson) -> Option<String> {
    jwt_claims(token, parse)?.get("sub")?.as_str().and_then(bounded)
}

/// The payload of a JWS compact JWT, if it is a JSON object (read by `parse`).
fn jwt_claims(token: &str, parse: ParseJson) -> Option<Value> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let mut segments = token.split('.');
    let (_header, payload, _signature) = (segments.next()?, segments.next()?, segments.next()?);
    if segments.next().is_some() {
        return None;
    }
    let bytes = base64url_decode(payload)?;
    let claims = parse(core::str::from_utf8(&bytes).ok()?)?;
    claims.as_object()?;
    Some(claims)
}

/// base64url without padding (up to two trailing `=` tolerated).
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let data = text.trim_end_matches('=');
    if text.len() - data.len() > 2 || data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for byte in data.bytes() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        // `acc` keeps fewer than 8 pending bits, so it never overflows.
        acc = (acc << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// `application/x-www-form-urlencoded`: `name=value` pairs joined by `&`; in
/// each, unreserved characters (`A-Z a-z 0-9 - . _ ~`) are kept, spaces become
/// `+`, and every other UTF-8 byte becomes `%XX`.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (index, (name, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        encode_component(&mut out, name);
        out.push('=');
        encode_component(&mut out, value);
    }
    out
}

fn encode_component(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0')));
                out.push(char::from(HEX.get(usize::from(byte & 0xF)).copied().unwrap_or(b'0')));
            }
        }
    }
}

/// A JSON object of string members, `{"name":"value",…}`, in order: the one
/// shape of JSON request body the contract sends (refresh and logout bodies).
/// Names are written as given; the caller keeps them unique.
pub fn json_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (index, (name, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_json_string(&mut out, name);
        out.push(':');
        write_json_string(&mut out, value);
    }
    out.push('}');
    out
}

/// Writes `s` as a quoted JSON string, escaping `"`, `\` and control characters.
pub fn write_json_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let byte = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX.get(byte >> 4).copied().unwrap_or(b'0')));
                out.push(char::from(HEX.get(byte & 0xf).copied().unwrap_or(b'0')));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::super::contract::{keepalive_request, refresh_request, session_request, Request};
    use super::super::json::parse_ok;
    use super::*;
    use proptest::prelude::*;

    /// 2023-11-14T22:13:20Z.
    const T0: u64 = 1_700_000_000_000;

    fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
        request.headers.iter().find(|(have, _)| have.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// Test-side base64url encoder (no padding).
    fn b64url(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn jwt(claims: &str) -> String {
        format!("{}.{}.sig", b64url(br#"{"alg":"RS256","typ":"JWT"}"#), b64url(claims.as_bytes()))
    }

    /// Test-side form decoder: the inverse of `form_encode`.
    fn form_decode(text: &str) -> Vec<(String, String)> {
        fn component(text: &str) -> String {
            let bytes = text.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'+' => out.push(b' '),
                    b'%' => {
                        let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
                        out.push(u8::from_str_radix(hex, 16).expect("hex"));
                        i += 2;
                    }
                    b => out.push(b),
                }
                i += 1;
            }
            String::from_utf8(out).expect("utf-8")
        }
        if text.is_empty() {
            return Vec::new();
        }
        text.split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').expect("name=value");
                (component(name), component(value))
            })
            .collect()
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
        assert_eq!(base64url_decode("QQ"), Some(b"A".to_vec()));
        assert_eq!(base64url_decode("QUI"), Some(b"AB".to_vec()));
        assert_eq!(base64url_decode("QUJD"), Some(b"ABC".to_vec()));
        assert_eq!(base64url_decode("Q"), None);
        // The payload's JSON is read by the reader the core is given, and only by it.
        assert_eq!(jwt_times(&token, |_| None), None);
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
        assert_eq!(
            form_encode(&[("k", "-._~*/:?#[]@!$'()\"%")]),
            "k=-._~%2A%2F%3A%3F%23%5B%5D%40%21%24%27%28%29%22%25"
        );
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
}
