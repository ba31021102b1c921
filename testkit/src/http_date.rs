//! HTTP dates read by hand, for native tests and fuzzing only.
//!
//! The shipped shell reads `Date` and `Retry-After` with the browser's
//! `Date.parse` and hands the core epoch milliseconds. Tests and the fuzz
//! targets start from header text, so they read it here, the way `Date.parse`
//! reads the three forms RFC 9110 allows.

use wasm_session::core::contract::encodings::{clock_offset_ms, MAX_EPOCH_MS};

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

/// HTTP dates from epoch ms: the inverse of [`parse_http_date`], for the tests
/// and the fuzz targets' round trips.
#[allow(clippy::indexing_slicing)] // test and fuzz code only
pub mod date_text {
    use super::{DAYS, MONTHS};

    /// `(year, month 1-12, day, hour, minute, second, weekday Mon=0)` of whole
    /// seconds (H. Hinnant's `civil_from_days`).
    pub fn civil(ms: u64) -> (i64, usize, i64, i64, i64, i64, usize) {
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
    pub fn imf(ms: u64) -> String {
        let (y, m, d, hh, mm, ss, wd) = civil(ms);
        format!("{}, {d:02} {} {y:04} {hh:02}:{mm:02}:{ss:02} GMT", DAYS[wd], MONTHS[m - 1])
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2023-11-14T22:13:20Z.
    const T0: u64 = 1_700_000_000_000;
    const T0_DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

    fn rfc850(ms: u64) -> String {
        let (y, m, d, hh, mm, ss, wd) = date_text::civil(ms);
        format!("{}, {d:02}-{}-{:02} {hh:02}:{mm:02}:{ss:02} GMT", LONG_DAYS[wd], MONTHS[m - 1], y % 100)
    }

    fn asctime(ms: u64) -> String {
        let (y, m, d, hh, mm, ss, wd) = date_text::civil(ms);
        format!("{} {} {d:>2} {hh:02}:{mm:02}:{ss:02} {y:04}", DAYS[wd], MONTHS[m - 1])
    }

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

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

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
    }
}
