//! JWTs, JWT payloads, and `Date` / `Retry-After` header values.

use super::*;

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len() / 3 * 4 + 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// The claims `jwt_times` should read from a payload, computed independently.
fn expected_claims(payload: &[u8]) -> Option<(Option<u64>, Option<u64>)> {
    let claims = json::parse(core::str::from_utf8(payload).ok()?).ok()?;
    claims.as_object()?;
    let time = |name: &str| {
        let seconds = claims.get(name)?.as_f64()?;
        (seconds >= 0.0 && seconds <= MAX_EPOCH_MS as f64 / 1000.0).then_some((seconds * 1000.0) as u64)
    };
    Some((time("exp"), time("iat")))
}

/// JWTs and header values: the bytes as a token for `jwt_times`; as a JWT
/// payload (base64url-encoded here, with and without padding); and as the text
/// of a `Date` or `Retry-After` header for `parse_http_date`,
/// `Retry-After` reading and `clock_offset`.
pub fn jwt(data: &[u8]) {
    let text = text(data);
    if let Some(times) = jwt_times(&text, parse_ok) {
        assert_eq!(text.split('.').count(), 3, "a JWT has three segments");
        assert!(times.exp.is_none_or(|at| at <= MAX_EPOCH_MS) && times.iat.is_none_or(|at| at <= MAX_EPOCH_MS));
    }
    let payload = base64url(data);
    let header = base64url(br#"{"alg":"RS256","typ":"JWT"}"#);
    let expected = expected_claims(data);
    for padding in ["", "=", "=="] {
        let token = [header.as_str(), ".", &payload, padding, ".sig"].concat();
        if token.len() > MAX_TOKEN_LEN {
            assert_eq!(jwt_times(&token, parse_ok), None, "tokens over the limit are not read");
            continue;
        }
        let times = jwt_times(&token, parse_ok).map(|times| (times.exp, times.iat));
        assert_eq!(times, expected, "jwt_times disagrees with the payload {text:?}");
    }
    for now in [T0, 0, MAX_EPOCH_MS, u64::MAX] {
        header_values(&text, now);
    }
}

fn header_values(text: &str, now: u64) {
    let date = parse_http_date(text);
    if let Some(at) = date {
        assert!(at <= MAX_EPOCH_MS, "parse_http_date({text:?}) = {at}, after 9999");
        assert_eq!(at % 1000, 0, "HTTP dates have whole seconds");
        assert_eq!(parse_http_date(&http_date::date_text::imf(at)), Some(at), "{text:?} does not round-trip");
    }
    let trimmed = text.trim_matches([' ', '\t']);
    let retry = RetryAfter { text: text.to_owned(), date }.delay_ms(now);
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = trimmed.bytes().fold(0u64, |acc, b| acc.saturating_mul(10).saturating_add(u64::from(b - b'0')));
        assert_eq!(retry, Some(seconds.saturating_mul(1000)));
    } else {
        assert_eq!(retry, date.map(|at| at.saturating_sub(now)));
    }
    if let Some(offset) = clock_offset(text, now) {
        let at = date.expect("an offset comes from a date");
        let skew = at.abs_diff(now);
        assert!(skew <= MAX_DURATION_MS, "an offset of over ten years");
        if skew < 1000 {
            assert_eq!(offset, 0);
        } else {
            assert_eq!(i128::from(offset), i128::from(at) - i128::from(now));
        }
    }
}
