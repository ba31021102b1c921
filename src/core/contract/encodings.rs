//! The server clock and the encodings of the endpoint contract: JWT times and
//! subject, and form and JSON request bodies, as pure functions. HTTP dates are
//! read by the browser's `Date.parse`; the reader in the test kit
//! (`testkit/src/http_date.rs`) serves tests and fuzzing.
//!
//! The endpoint configuration is in [`crate::core::endpoints`], the requests to
//! send and the meaning of their answers beside this file; the state machine
//! decides when to send them.
//!
//! Server clocks are not ours. Absolute times from the server are moved onto the
//! local clock by the offset the `Date` header shows (or, without one, the access
//! token's `iat`). Cross-origin responses expose `Date` to scripts only with
//! `Access-Control-Expose-Headers: Date`.

use super::super::config::MAX_DURATION_MS;
use super::super::identity::bounded;
use super::super::text::{find_any, split_at_byte, strip_last};
use super::super::tokens::MAX_TOKEN_LEN;
use super::super::value::Value;

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
    read_jwt(token, parse).map(|(times, _)| times)
}

/// The `sub` claim of a JWT ([`read_jwt`]).
pub fn jwt_subject(token: &str, parse: ParseJson) -> Option<String> {
    read_jwt(token, parse).and_then(|(_, sub)| sub)
}

/// The times ([`jwt_times`]) and the `sub` claim of a JWT, its payload read
/// once. The subject is a string of 1 to [`super::identity::MAX_USER_LEN`]
/// bytes, else `None`; not verified either: it only tells whether a new token
/// names the same user as the old one.
pub fn read_jwt(token: &str, parse: ParseJson) -> Option<(JwtTimes, Option<String>)> {
    let claims = jwt_claims(token, parse)?;
    let sub = jwt_sub(&claims);
    Some((JwtTimes { exp: jwt_time(&claims, "exp"), iat: jwt_time(&claims, "iat") }, sub))
}

/// The time claim `name` of a JWT's `claims` ([`jwt_claims`]), in epoch ms.
pub(super) fn jwt_time(claims: &Value, name: &str) -> Option<u64> {
    let seconds = claims.get(name)?.as_f64()?;
    (seconds >= 0.0 && seconds <= MAX_EPOCH_MS as f64 / 1000.0).then_some((seconds * 1000.0) as u64)
}

/// The `sub` claim of a JWT's `claims` ([`jwt_claims`]).
pub(super) fn jwt_sub(claims: &Value) -> Option<String> {
    claims.get("sub").and_then(Value::as_str).and_then(bounded)
}

/// The payload of a JWS compact JWT, if it is a JSON object (read by `parse`).
pub(super) fn jwt_claims(token: &str, parse: ParseJson) -> Option<Value> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    // Three segments: header, payload and signature.
    let (_header, rest) = split_at_byte(token, b'.')?;
    let (payload, signature) = split_at_byte(rest, b'.')?;
    if find_any(signature, b".").is_some() {
        return None;
    }
    // The text is dropped in one place, whichever way this ends.
    let mut text = String::new();
    let claims = if base64url_into(payload, &mut text) { parse(&text) } else { None };
    claims.filter(|claims| claims.as_object().is_some())
}

/// [`base64url_into`] into a new `String` (the tests' form).
#[cfg(all(test, not(target_arch = "wasm32")))]
fn base64url_text(text: &str) -> Option<String> {
    let mut out = String::new();
    base64url_into(text, &mut out).then_some(out)
}

/// Writes into `out` (empty) the text base64url `text` encodes (without
/// padding, up to two trailing `=` tolerated), and says whether its bytes were
/// UTF-8 as `str::from_utf8` judges it (the shortest form of a scalar value: no
/// overlong forms, surrogates or values past U+10FFFF). Decoded in one pass,
/// byte by byte, rather than by the standard library's validator, which the
/// wasm would hold for this one use.
fn base64url_into(text: &str, out: &mut String) -> bool {
    let data = strip_last(strip_last(text, b'='), b'=');
    if data.as_bytes().last() == Some(&b'=') || data.len() % 4 == 1 {
        return false;
    }
    out.reserve(data.len() / 4 * 3 + 2);
    decode_base64url_utf8(data, out).is_some()
}

/// Appends the text `data` (base64url without padding) encodes to `out`;
/// `None` on a character outside the alphabet or bytes that are not UTF-8.
fn decode_base64url_utf8(data: &str, out: &mut String) -> Option<()> {
    // base64: exactly 6 bits per character, whole bytes only; `acc` keeps
    // fewer than 8 pending bits, so it never overflows.
    let (mut acc, mut bits) = (0u32, 0u32);
    // UTF-8: continuation bytes still due, the least scalar value the lead
    // byte allows (shorter forms are overlong), and the scalar value so far.
    let (mut due, mut least, mut code) = (0u32, 0u32, 0u32);
    for byte in data.bytes() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(sextet);
        bits += 6;
        if bits < 8 {
            continue;
        }
        bits -= 8;
        let byte = acc >> bits;
        acc &= (1 << bits) - 1;
        if due > 0 {
            if byte & 0xc0 != 0x80 {
                return None;
            }
            code = (code << 6) | (byte & 0x3f);
            due -= 1;
        } else {
            (due, least, code) = match byte {
                0x00..=0x7f => (0, 0, byte),
                0xc0..=0xdf => (1, 0x80, byte & 0x1f),
                0xe0..=0xef => (2, 0x800, byte & 0x0f),
                0xf0..=0xf7 => (3, 0x1_0000, byte & 0x07),
                _ => return None,
            };
        }
        if due == 0 {
            if code < least {
                return None;
            }
            out.push(char::from_u32(code)?);
        }
    }
    (due == 0).then_some(())
}

/// `application/x-www-form-urlencoded`: `name=value` pairs joined by `&`; in
/// each, unreserved characters (`A-Z a-z 0-9 - . _ ~`) are kept, spaces become
/// `+`, and every other UTF-8 byte becomes `%XX`.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        push_field(&mut out, false, name, value);
    }
    out
}

/// Appends the pair `name`, `value` to a body being written in `out`: form
/// encoded ([`form_encode`]), or as a JSON object's member when `json`
/// ([`json_encode`]; `out` holds the `{` before the first member).
pub(super) fn push_field(out: &mut String, json: bool, name: &str, value: &str) {
    if json {
        if out.len() > 1 {
            out.push(',');
        }
        write_json_string(out, name);
        out.push(':');
        write_json_string(out, value);
    } else {
        if !out.is_empty() {
            out.push('&');
        }
        encode_component(out, name);
        out.push('=');
        encode_component(out, value);
    }
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
/// shape of JSON request body the contract sends (refresh and logout bodies,
/// which `requests` writes field by field with `push_field`; this whole-body
/// form is the tests' reference). Names are written as given; the caller keeps
/// them unique.
pub fn json_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (name, value) in pairs {
        push_field(&mut out, true, name, value);
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
        // The two-character escapes: `\` and one letter.
        let letter = match c {
            '"' => '"',
            '\\' => '\\',
            '\n' => 'n',
            '\r' => 'r',
            '\t' => 't',
            '\u{8}' => 'b',
            '\u{c}' => 'f',
            c if u32::from(c) < 0x20 => {
                let byte = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX.get(byte >> 4).copied().unwrap_or(b'0')));
                out.push(char::from(HEX.get(byte & 0xf).copied().unwrap_or(b'0')));
                continue;
            }
            c => {
                out.push(c);
                continue;
            }
        };
        out.push('\\');
        out.push(letter);
    }
    out.push('"');
}

// The rest of the core's tests are in the test kit (testkit/tests/core/).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::base64url_text;

    #[test]
    fn base64url_without_padding() {
        assert_eq!(base64url_text("QQ").as_deref(), Some("A"));
        assert_eq!(base64url_text("QUI").as_deref(), Some("AB"));
        assert_eq!(base64url_text("QUJD").as_deref(), Some("ABC"));
        assert_eq!(base64url_text("QUJD=").as_deref(), Some("ABC"));
        assert_eq!(base64url_text("Q"), None);
        // Bytes that are not UTF-8: a lone continuation byte, a cut-off sequence.
        assert_eq!(base64url_text("gA"), None);
        assert_eq!(base64url_text("wg"), None);
    }
}
