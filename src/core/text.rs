//! Byte-level text helpers for the ASCII syntax the core reads (URLs, hosts,
//! stored leases and notes, header values).
//!
//! Plain loops and `fn` pointers on purpose: `str::rfind`, `trim_matches`,
//! `parse` and every `bytes().all(closure)` each bring generic pattern or
//! iterator code of their own into the wasm, once per closure.

/// Whether every byte of `text` passes `check` (`true` for empty text).
pub fn all_bytes(text: &str, check: fn(u8) -> bool) -> bool {
    for byte in text.bytes() {
        if !check(byte) {
            return false;
        }
    }
    true
}

/// The index of the first byte of `text` that is one of `set`.
pub fn find_any(text: &str, set: &[u8]) -> Option<usize> {
    for (at, byte) in text.bytes().enumerate() {
        if set.contains(&byte) {
            return Some(at);
        }
    }
    None
}

/// The index of the last `byte` in `text`.
pub fn rfind_byte(text: &str, byte: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = bytes.len();
    while at > 0 {
        at -= 1;
        if bytes.get(at) == Some(&byte) {
            return Some(at);
        }
    }
    None
}

/// `text` before and after the first `byte` (which is ASCII), if there is one.
pub fn split_at_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    // The standard library's char search is in the wasm anyway (cookie and
    // log parsing use it).
    text.split_once(char::from(byte))
}

/// `text` without one trailing `byte` (ASCII), if it ends with one.
pub fn strip_last(text: &str, byte: u8) -> &str {
    match text.as_bytes().last() {
        Some(last) if *last == byte => text.get(..text.len() - 1).unwrap_or(text),
        _ => text,
    }
}

/// `text` without the leading and trailing bytes in `set` (ASCII).
pub fn trim_bytes<'t>(text: &'t str, set: &[u8]) -> &'t str {
    let bytes = text.as_bytes();
    let (mut start, mut end) = (0, bytes.len());
    while bytes.get(start).is_some_and(|b| set.contains(b)) && start < end {
        start += 1;
    }
    while end > start && bytes.get(end - 1).is_some_and(|b| set.contains(b)) {
        end -= 1;
    }
    // `..end` then `start..`: the range kinds the wasm holds anyway.
    text.get(..end).and_then(|text| text.get(start..)).unwrap_or("")
}

/// Plain decimal digits (at least one; no sign, no space) as a `u64`; `None`
/// for anything else or a value past `u64::MAX`.
pub fn digits(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for byte in text.bytes() {
        if !byte.is_ascii_digit() {
            return None;
        }
        let digit = u64::from(byte - b'0');
        // `n * 10 + digit` fits exactly when this holds (no 128-bit multiply
        // for `checked_mul` in the wasm).
        if n > (u64::MAX - digit) / 10 {
            return None;
        }
        n = n * 10 + digit;
    }
    Some(n)
}

/// A dotted IPv4 address of four decimal octets (0 to 255, at most three
/// digits each; with `leading_zeros` false, no octet but `0` starts with `0`).
pub fn is_dotted_quad(host: &str, leading_zeros: bool) -> bool {
    let mut parts = 0;
    for part in host.split('.') {
        let plain = leading_zeros || part == "0" || part.as_bytes().first() != Some(&b'0');
        if part.len() > 3 || !plain || digits(part).is_none_or(|n| n > 255) {
            return false;
        }
        parts += 1;
    }
    parts == 4
}
