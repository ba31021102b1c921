//! The server clock and the encodings of the endpoint contract: HTTP dates,
//! JWT times and subject, and form bodies, as pure functions.
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
use super::json;
use super::tokens::MAX_TOKEN_LEN;

/// 9999-12-31T23:59:59.999Z: later times are absurd and read as absent.
pub const MAX_EPOCH_MS: u64 = 253_402_300_799_999;

// ---- header values ----

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// An HTTP-date as epoch ms: the IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`,
/// or the obsolete RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` (years 70–99 are
/// 19xx, 00–69 20xx) and asctime `Sun Nov  6 08:49:37 1994` forms (RFC 9110
/// §5.6.7). Names are matched ignoring case; the weekday must be a weekday name
/// but is not checked against the date. Dates before 1970 or after 9999, and
/// impossible ones (Feb 30), are `None`.
pub fn parse_http_date(text: &str) -> Option<u64> {
    let text = text.trim_matches([' ', '\t']);
    if text.len() > 40 {
        return None;
    }
    // The leap second 9999-12-31T23:59:60Z would land one past the last date.
    imf_fixdate(text).or_else(|| rfc850_date(text)).or_else(|| asctime_date(text)).filter(|ms| *ms <= MAX_EPOCH_MS)
}

/// Exactly `len` ASCII digits (or `1..=len` when `loose`), as a number.
fn digits(text: &str, len: usize, loose: bool) -> Option<u32> {
    let ok = if loose { (1..=len).contains(&text.len()) } else { text.len() == len };
    if !ok || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0, |acc, b| acc * 10 + u32::from(b - b'0')))
}

fn one_of(text: &str, names: &[&str]) -> Option<u32> {
    let index = names.iter().position(|name| name.eq_ignore_ascii_case(text))?;
    u32::try_from(index).ok()
}

fn month(text: &str) -> Option<u32> {
    one_of(text, &MONTHS).map(|index| index + 1)
}

/// `hh:mm:ss`.
fn time_of_day(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split(':');
    let hour = digits(parts.next()?, 2, false)?;
    let minute = digits(parts.next()?, 2, false)?;
    let second = digits(parts.next()?, 2, false)?;
    parts.next().is_none().then_some((hour, minute, second))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
fn imf_fixdate(text: &str) -> Option<u64> {
    let mut parts = text.split(' ');
    one_of(parts.next()?.strip_suffix(',')?, &DAYS)?;
    let day = digits(parts.next()?, 2, false)?;
    let month = month(parts.next()?)?;
    let year = digits(parts.next()?, 4, false)?;
    let time = time_of_day(parts.next()?)?;
    (parts.next()? == "GMT" && parts.next().is_none()).then_some(())?;
    epoch(year, month, day, time)
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`
fn rfc850_date(text: &str) -> Option<u64> {
    let mut parts = text.split(' ');
    one_of(parts.next()?.strip_suffix(',')?, &LONG_DAYS)?;
    let mut date = parts.next()?.split('-');
    let day = digits(date.next()?, 2, false)?;
    let month = month(date.next()?)?;
    let short_year = digits(date.next()?, 2, false)?;
    date.next().is_none().then_some(())?;
    let time = time_of_day(parts.next()?)?;
    (parts.next()? == "GMT" && parts.next().is_none()).then_some(())?;
    let year = if short_year >= 70 { 1900 + short_year } else { 2000 + short_year };
    epoch(year, month, day, time)
}

/// `Sun Nov  6 08:49:37 1994` (the day is space-padded).
fn asctime_date(text: &str) -> Option<u64> {
    let mut parts = text.split(' ').filter(|part| !part.is_empty());
    one_of(parts.next()?, &DAYS)?;
    let month = month(parts.next()?)?;
    let day = digits(parts.next()?, 2, true)?;
    let time = time_of_day(parts.next()?)?;
    let year = digits(parts.next()?, 4, false)?;
    parts.next().is_none().then_some(())?;
    epoch(year, month, day, time)
}

fn is_leap(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Epoch ms of a UTC date and time, after checking every field's range.
fn epoch(year: u32, month: u32, day: u32, (hour, minute, second): (u32, u32, u32)) -> Option<u64> {
    let month_days = match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    // Second 60 is a leap second; it reads as the next minute's first.
    let valid =
        (1970..=9999).contains(&year) && (1..=month_days).contains(&day) && hour < 24 && minute < 60 && second <= 60;
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + u64::from(hour * 3600 + minute * 60 + second);
    Some(seconds * 1000)
}

/// Days since 1970-01-01 (H. Hinnant's `days_from_civil`), for years 1970..=9999.
fn days_from_civil(year: u32, month: u32, day: u32) -> u64 {
    let year = u64::from(if month <= 2 { year - 1 } else { year });
    let era = year / 400;
    let year_of_era = year - era * 400;
    let month = u64::from(month);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + u64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719_468 is the day number of 1970-01-01 in this calendar.
    (era * 146_097 + day_of_era).saturating_sub(719_468)
}

/// The server's clock minus ours, in ms, from a `Date` header read at `now`.
/// Under a second reads as 0 (the header has whole seconds); `None` for a header
/// that does not parse or shows a skew over ten years (broken, not skewed).
pub fn clock_offset(date_header: &str, now: u64) -> Option<i64> {
    clock_offset_ms(parse_http_date(date_header)?, now)
}

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

/// The times in a JWT's payload: the middle of three base64url segments (padding
/// tolerated), a JSON object with numeric `exp`/`iat` in seconds. A claim that
/// is missing, not a number or absurd (negative, after 9999) is `None`; a token
/// that is not a JWS compact JWT with an object payload gives `None`.
///
/// The signature is **not** checked: the server checks signatures, the client
/// only uses these times to schedule refreshes.
pub fn jwt_times(token: &str) -> Option<JwtTimes> {
    let claims = jwt_claims(token)?;
    let time = |name: &str| {
        let seconds = claims.get(name)?.as_f64()?;
        (seconds >= 0.0 && seconds <= MAX_EPOCH_MS as f64 / 1000.0).then_some((seconds * 1000.0) as u64)
    };
    Some(JwtTimes { exp: time("exp"), iat: time("iat") })
}

/// The `sub` claim of a JWT (read as [`jwt_times`] reads the times): a string
/// of 1 to [`super::identity::MAX_USER_LEN`] bytes, else `None`. Not verified either: it only
/// tells whether a new token names the same user as the old one.
pub fn jwt_subject(token: &str) -> Option<String> {
    jwt_claims(token)?.get("sub")?.as_str().and_then(bounded)
}

/// The payload of a JWS compact JWT, if it is a JSON object.
fn jwt_claims(token: &str) -> Option<json::Value> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let mut segments = token.split('.');
    let (_header, payload, _signature) = (segments.next()?, segments.next()?, segments.next()?);
    if segments.next().is_some() {
        return None;
    }
    let bytes = base64url_decode(payload)?;
    let claims = json::parse(core::str::from_utf8(&bytes).ok()?).ok()?;
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

/// HTTP dates from epoch ms: the inverse of [`parse_http_date`], for the tests
/// and the fuzz targets' round trips.
#[cfg(any(test, fuzzing))]
#[allow(clippy::indexing_slicing)] // test and fuzz code only
pub(crate) mod date_text {
    use super::{DAYS, MONTHS};

    /// `(year, month 1-12, day, hour, minute, second, weekday Mon=0)` of whole
    /// seconds (H. Hinnant's `civil_from_days`).
    pub(crate) fn civil(ms: u64) -> (i64, usize, i64, i64, i64, i64, usize) {
        let secs = (ms / 1000) as i64;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let weekday = ((days + 3).rem_euclid(7)) as usize; // 1970-01-01 was a Thursday (Mon = 0)
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month as usize, day, rem / 3600, rem / 60 % 60, rem % 60, weekday)
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`.
    pub(crate) fn imf(ms: u64) -> String {
        let (y, m, d, hh, mm, ss, wd) = civil(ms);
        format!("{}, {d:02} {} {y:04} {hh:02}:{mm:02}:{ss:02} GMT", DAYS[wd], MONTHS[m - 1])
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::super::contract::{keepalive_request, refresh_request, session_request, Request};
    use super::*;
    use proptest::prelude::*;

    /// 2023-11-14T22:13:20Z.
    const T0: u64 = 1_700_000_000_000;
    const T0_DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

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

    fn rfc850(ms: u64) -> String {
        let (y, m, d, hh, mm, ss, wd) = date_text::civil(ms);
        format!("{}, {d:02}-{}-{:02} {hh:02}:{mm:02}:{ss:02} GMT", LONG_DAYS[wd], MONTHS[m - 1], y % 100)
    }

    fn asctime(ms: u64) -> String {
        let (y, m, d, hh, mm, ss, wd) = date_text::civil(ms);
        format!("{} {} {d:>2} {hh:02}:{mm:02}:{ss:02} {y:04}", DAYS[wd], MONTHS[m - 1])
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
    fn http_dates_in_all_three_forms() {
        let rfc_example = 784_111_777_000;
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(rfc_example));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(rfc_example));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(rfc_example));
        assert_eq!(parse_http_date("sun, 06 NOV 1994 08:49:37 GMT"), Some(rfc_example), "names ignore case");
        assert_eq!(parse_http_date(T0_DATE), Some(T0));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"), Some(MAX_EPOCH_MS - 999));
        assert_eq!(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT"), Some(1_709_164_800_000));
        assert_eq!(
            parse_http_date("Wednesday, 01-Jan-25 00:00:00 GMT"),
            parse_http_date("Wed, 01 Jan 2025 00:00:00 GMT")
        );
        assert_eq!(parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT"), parse_http_date("Sun, 01 Jan 2017 00:00:00 GMT"));
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 GMT x",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nox 1994 08:49:37 GMT",
            "Fri, 30 Feb 2024 00:00:00 GMT",
            "Thu, 29 Feb 2023 00:00:00 GMT",
            "Sun, 31 Apr 2024 00:00:00 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37:00 GMT",
            "Sun, 06 Nov +994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 94",
            "1700000000",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn clock_offsets() {
        assert_eq!(clock_offset(T0_DATE, T0), Some(0));
        assert_eq!(clock_offset(T0_DATE, T0 + 999), Some(0), "HTTP dates have whole seconds");
        assert_eq!(clock_offset(T0_DATE, T0 - 999), Some(0));
        assert_eq!(clock_offset(T0_DATE, T0 + 1_500), Some(-1_500));
        assert_eq!(clock_offset("Tue, 14 Nov 2023 23:13:20 GMT", T0), Some(3_600_000));
        assert_eq!(clock_offset("Thu, 01 Jan 1970 00:00:00 GMT", T0), None, "a broken header, not a skew");
        assert_eq!(clock_offset("garbage", T0), None);
        assert_eq!(clock_offset(T0_DATE, u64::MAX), None);
    }

    #[test]
    fn jwt_times_are_read_without_checking_signatures() {
        let token = jwt(r#"{"sub":"u","iat":1700000000,"exp":1700000900.5}"#);
        assert_eq!(jwt_times(&token), Some(JwtTimes { exp: Some(1_700_000_900_500), iat: Some(T0) }));
        // Padding is tolerated; the standard alphabet is not.
        let payload = b64url(br#"{"exp":1}"#);
        let padded = format!("h.{payload}{}.s", "=".repeat((4 - payload.len() % 4) % 4));
        assert_eq!(jwt_times(&padded), Some(JwtTimes { exp: Some(1_000), iat: None }));
        assert_eq!(jwt_times("h.eyJleHAiOjF9+/.s"), None);
        assert_eq!(jwt_times(&format!("h.{payload}===.s")), None);
        assert_eq!(jwt_times(&jwt(r#"{"exp":"1700000000","iat":-5}"#)), Some(JwtTimes::default()));
        assert_eq!(jwt_times(&jwt(r#"{"exp":1e300}"#)), Some(JwtTimes::default()));
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
            assert_eq!(jwt_times(bad), None, "{bad:?}");
        }
        assert_eq!(base64url_decode("QQ"), Some(b"A".to_vec()));
        assert_eq!(base64url_decode("QUI"), Some(b"AB".to_vec()));
        assert_eq!(base64url_decode("QUJD"), Some(b"ABC".to_vec()));
        assert_eq!(base64url_decode("Q"), None);
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
        fn http_dates_round_trip(seconds in 0u64..=MAX_EPOCH_MS / 1000) {
            let ms = seconds * 1000;
            prop_assert_eq!(parse_http_date(&date_text::imf(ms)), Some(ms), "{}", date_text::imf(ms));
            prop_assert_eq!(parse_http_date(&asctime(ms)), Some(ms), "{}", asctime(ms));
            let (year, ..) = date_text::civil(ms);
            if (1970..2070).contains(&year) {
                prop_assert_eq!(parse_http_date(&rfc850(ms)), Some(ms), "{}", rfc850(ms));
            }
            prop_assert_eq!(clock_offset(&date_text::imf(ms), ms + 400), Some(0));
        }

        #[test]
        fn jwt_round_trips(exp in 0u64..=MAX_EPOCH_MS / 1000, iat in 0u64..=MAX_EPOCH_MS / 1000, pad in 0usize..3) {
            let payload = b64url(format!(r#"{{"exp":{exp},"iat":{iat}}}"#).as_bytes());
            let token = format!("hdr.{payload}{}.sig", "=".repeat(pad.min((4 - payload.len() % 4) % 4)));
            prop_assert_eq!(jwt_times(&token), Some(JwtTimes { exp: Some(exp * 1000), iat: Some(iat * 1000) }));
        }
    }
}
