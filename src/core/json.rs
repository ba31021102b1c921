//! A small, strict JSON reader and writer for hostile input.
//!
//! Server responses, cross-tab messages, stored data and JWT payloads all arrive
//! as untrusted text. `serde_json` would parse them, but it costs tens of
//! kilobytes of wasm (and float parsing and formatting alone pull in a lot of
//! code), so this module does the little the crate needs by hand:
//!
//! - [`parse`] / [`parse_with`]: strict RFC 8259, exactly one value with optional
//!   surrounding white space. Input is capped in length and nesting depth
//!   ([`Limits`]), the parser is iterative (no recursion at all), and it never
//!   panics: every failure is a [`JsonError`] with a byte offset where sensible.
//! - [`ObjectWriter`], [`write_escaped`], [`write_u64`]: a writer for the flat
//!   objects the crate sends, with no formatting machinery.
//!
//! Numbers are `f64`. Integers up to 2^53 are read exactly, and every integer
//! below 2^64 is correctly rounded. Fractions and exponents are
//! scaled by hand with exact powers of ten: decimals of up to 15 significant
//! digits with exponents within ±22 (the usual `0.5`, `12.75`, `1e3`) come out
//! correctly rounded; anything else may be off by a few units in the last place,
//! and digits past the 19th or 20th are truncated. Only finite numbers are
//! accepted: an exponent that overflows is [`JsonError::InvalidNumber`], one that
//! underflows reads as zero.

use core::fmt;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number (always finite when it comes from [`parse`]).
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object: its members in document order, duplicates kept.
    Object(Vec<(String, Value)>),
}

/// 2^53: every integer up to here is exactly representable as `f64`.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

impl Value {
    /// The member `key` of an object (the first one, if the key repeats);
    /// `None` for a missing key or a value that is not an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.iter().find(|(name, _)| name == key).map(|(_, value)| value)
    }

    /// The text, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The number, if this is a finite number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) if n.is_finite() => Some(*n),
            _ => None,
        }
    }

    /// The number, if it is a whole number in `0..=2^53`.
    ///
    /// Every such `f64` is exact, but note that the text `9007199254740993`
    /// (2^53 + 1) is read as 2^53, the nearest `f64`.
    pub fn as_u64(&self) -> Option<u64> {
        let n = self.as_f64()?;
        // `-0.0 >= 0.0`, so negative zero reads as 0.
        if (0.0..=MAX_EXACT).contains(&n) && n.fract() == 0.0 {
            Some(n as u64)
        } else {
            None
        }
    }

    /// The number, if it is a whole number in `-2^53..=2^53`.
    pub fn as_i64(&self) -> Option<i64> {
        let n = self.as_f64()?;
        if n.abs() <= MAX_EXACT && n.fract() == 0.0 {
            Some(n as i64)
        } else {
            None
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members in document order, if this is an object.
    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(members) => Some(members),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// Caps on what [`parse_with`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest accepted input, in bytes.
    pub max_len: usize,
    /// Deepest accepted nesting of arrays and objects (0: scalars only).
    pub max_depth: usize,
}

impl Default for Limits {
    /// 64 KiB and 32 levels.
    fn default() -> Self {
        Limits { max_len: 64 * 1024, max_depth: 32 }
    }
}

/// Why a text is not acceptable JSON. Every `at` is a byte offset into the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// The input is longer than [`Limits::max_len`].
    TooLarge,
    /// Arrays and objects nest deeper than [`Limits::max_depth`].
    TooDeep,
    /// The input ended inside a value (or held no value at all).
    UnexpectedEnd,
    /// A byte that cannot start or continue a value here.
    UnexpectedByte {
        /// Offset of the byte (for a misspelt `true`/`false`/`null`, of its start).
        at: usize,
    },
    /// A malformed number, or one too large to be finite.
    InvalidNumber {
        /// Offset where the number starts.
        at: usize,
    },
    /// A bad escape sequence in a string.
    InvalidEscape {
        /// Offset of the bad byte after the `\` (or inside `\uXXXX`).
        at: usize,
    },
    /// A raw control character or a lone UTF-16 surrogate in a string.
    InvalidString {
        /// Offset of the control character, or of the `u` of the surrogate escape.
        at: usize,
    },
    /// Something other than white space after the value.
    TrailingData {
        /// Offset of the first such byte.
        at: usize,
    },
}

impl JsonError {
    /// A stable snake_case code, for logs and error reports.
    pub fn code(&self) -> &'static str {
        match self {
            JsonError::TooLarge => "too_large",
            JsonError::TooDeep => "too_deep",
            JsonError::UnexpectedEnd => "unexpected_end",
            JsonError::UnexpectedByte { .. } => "unexpected_byte",
            JsonError::InvalidNumber { .. } => "invalid_number",
            JsonError::InvalidEscape { .. } => "invalid_escape",
            JsonError::InvalidString { .. } => "invalid_string",
            JsonError::TrailingData { .. } => "trailing_data",
        }
    }

    /// The byte offset the error points at, for the variants that have one.
    pub fn at(&self) -> Option<usize> {
        match *self {
            JsonError::TooLarge | JsonError::TooDeep | JsonError::UnexpectedEnd => None,
            JsonError::UnexpectedByte { at }
            | JsonError::InvalidNumber { at }
            | JsonError::InvalidEscape { at }
            | JsonError::InvalidString { at }
            | JsonError::TrailingData { at } => Some(at),
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonError::TooLarge => "JSON input too large",
            JsonError::TooDeep => "JSON nested too deeply",
            JsonError::UnexpectedEnd => "JSON input ended unexpectedly",
            JsonError::UnexpectedByte { .. } => "unexpected byte in JSON",
            JsonError::InvalidNumber { .. } => "invalid number in JSON",
            JsonError::InvalidEscape { .. } => "invalid escape in JSON string",
            JsonError::InvalidString { .. } => "invalid character in JSON string",
            JsonError::TrailingData { .. } => "trailing data after JSON value",
        })?;
        if let Some(at) = self.at() {
            let mut digits = [0u8; 20];
            f.write_str(" at offset ")?;
            f.write_str(decimal(at as u64, &mut digits))?;
        }
        Ok(())
    }
}

impl std::error::Error for JsonError {}

/// Parses `text` with the default [`Limits`].
///
/// # Errors
///
/// Any [`JsonError`]: see [`parse_with`].
pub fn parse(text: &str) -> Result<Value, JsonError> {
    parse_with(text, Limits::default())
}

/// Parses `text`: exactly one JSON value, optionally surrounded by white space.
///
/// # Errors
///
/// [`JsonError::TooLarge`] before looking at the text if it is longer than
/// `limits.max_len` bytes, [`JsonError::TooDeep`] past `limits.max_depth`
/// nested arrays and objects, and the other variants for text that is not
/// strict RFC 8259 JSON.
pub fn parse_with(text: &str, limits: Limits) -> Result<Value, JsonError> {
    if text.len() > limits.max_len {
        return Err(JsonError::TooLarge);
    }
    let mut parser = Parser { text, bytes: text.as_bytes(), pos: 0 };
    let value = parser.document(limits.max_depth)?;
    parser.skip_space();
    if parser.pos < parser.bytes.len() {
        return Err(JsonError::TrailingData { at: parser.pos });
    }
    Ok(value)
}

/// An array or object still open while its members are read.
enum Frame {
    Array(Vec<Value>),
    /// Members so far, and the key of the member whose value is being read.
    Object(Vec<(String, Value)>, String),
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Result<u8, JsonError> {
        let byte = self.peek().ok_or(JsonError::UnexpectedEnd)?;
        self.pos += 1;
        Ok(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn digit(&mut self) -> Option<u8> {
        match self.peek() {
            Some(byte @ b'0'..=b'9') => {
                self.pos += 1;
                Some(byte - b'0')
            }
            _ => None,
        }
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// One value, containers included, with an explicit stack instead of recursion.
    fn document(&mut self, max_depth: usize) -> Result<Value, JsonError> {
        let mut stack: Vec<Frame> = Vec::new();
        'value: loop {
            self.skip_space();
            let at = self.pos;
            let mut value = match self.peek().ok_or(JsonError::UnexpectedEnd)? {
                open @ (b'[' | b'{') => {
                    if stack.len() >= max_depth {
                        return Err(JsonError::TooDeep);
                    }
                    self.pos += 1;
                    self.skip_space();
                    if open == b'[' {
                        if self.eat(b']') {
                            Value::Array(Vec::new())
                        } else {
                            stack.push(Frame::Array(Vec::new()));
                            continue 'value;
                        }
                    } else if self.eat(b'}') {
                        Value::Object(Vec::new())
                    } else {
                        let key = self.key()?;
                        stack.push(Frame::Object(Vec::new(), key));
                        continue 'value;
                    }
                }
                b'"' => Value::String(self.string()?),
                b'-' | b'0'..=b'9' => Value::Number(self.number()?),
                b't' => self.literal(b"true", Value::Bool(true))?,
                b'f' => self.literal(b"false", Value::Bool(false))?,
                b'n' => self.literal(b"null", Value::Null)?,
                _ => return Err(JsonError::UnexpectedByte { at }),
            };
            // Hand the finished value to the innermost open container; when that
            // closes too, it becomes the finished value for the next one out.
            loop {
                let Some(frame) = stack.pop() else {
                    return Ok(value);
                };
                self.skip_space();
                let at = self.pos;
                let byte = self.next()?;
                value = match (frame, byte) {
                    (Frame::Array(mut items), b',') => {
                        items.push(value);
                        stack.push(Frame::Array(items));
                        continue 'value;
                    }
                    (Frame::Array(mut items), b']') => {
                        items.push(value);
                        Value::Array(items)
                    }
                    (Frame::Object(mut members, key), b',') => {
                        members.push((key, value));
                        let key = self.key()?;
                        stack.push(Frame::Object(members, key));
                        continue 'value;
                    }
                    (Frame::Object(mut members, key), b'}') => {
                        members.push((key, value));
                        Value::Object(members)
                    }
                    _ => return Err(JsonError::UnexpectedByte { at }),
                };
            }
        }
    }

    /// `"key" :` of an object member.
    fn key(&mut self) -> Result<String, JsonError> {
        self.skip_space();
        match self.peek() {
            Some(b'"') => {}
            Some(_) => return Err(JsonError::UnexpectedByte { at: self.pos }),
            None => return Err(JsonError::UnexpectedEnd),
        }
        let key = self.string()?;
        self.skip_space();
        let at = self.pos;
        if self.next()? != b':' {
            return Err(JsonError::UnexpectedByte { at });
        }
        Ok(key)
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, JsonError> {
        let at = self.pos;
        for &expected in word {
            match self.peek() {
                Some(byte) if byte == expected => self.pos += 1,
                Some(_) => return Err(JsonError::UnexpectedByte { at }),
                None => return Err(JsonError::UnexpectedEnd),
            }
        }
        Ok(value)
    }

    /// A string; `self.pos` is at its opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy the run of plain bytes in one go. It starts and ends next to
            // ASCII bytes, so it lies on char boundaries of the (valid UTF-8) text.
            let start = self.pos;
            while let Some(byte) = self.peek() {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(start..self.pos).ok_or(JsonError::InvalidString { at: start })?);
            let at = self.pos;
            match self.next()? {
                b'"' => return Ok(out),
                b'\\' => out.push(self.escape()?),
                _ => return Err(JsonError::InvalidString { at }),
            }
        }
    }

    /// The escape after a `\`.
    fn escape(&mut self) -> Result<char, JsonError> {
        let at = self.pos;
        Ok(match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(at),
            _ => return Err(JsonError::InvalidEscape { at }),
        })
    }

    /// After `\u` (whose `u` is at `at`): one code point, joining a surrogate pair.
    fn unicode_escape(&mut self, at: usize) -> Result<char, JsonError> {
        let lone = JsonError::InvalidString { at };
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                let rest = self.bytes.get(self.pos..).unwrap_or_default();
                if !rest.starts_with(b"\\u") {
                    return Err(if b"\\".starts_with(rest) { JsonError::UnexpectedEnd } else { lone });
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(lone);
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(lone),
            code => code,
        };
        char::from_u32(code).ok_or(lone)
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut code = 0u32;
        for _ in 0..4 {
            let at = self.pos;
            let digit = match self.next()? {
                byte @ b'0'..=b'9' => byte - b'0',
                byte @ b'a'..=b'f' => byte - b'a' + 10,
                byte @ b'A'..=b'F' => byte - b'A' + 10,
                _ => return Err(JsonError::InvalidEscape { at }),
            };
            code = (code << 4) | u32::from(digit);
        }
        Ok(code)
    }

    /// A number; `self.pos` is at its `-` or first digit.
    fn number(&mut self) -> Result<f64, JsonError> {
        let invalid = JsonError::InvalidNumber { at: self.pos };
        let negative = self.eat(b'-');
        let mut digits = Digits { mantissa: 0, exp10: 0, truncated: false };
        match self.digit() {
            Some(0) => {
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(invalid); // leading zero
                }
            }
            Some(first) => {
                digits.push(first, false);
                while let Some(d) = self.digit() {
                    digits.push(d, false);
                }
            }
            None => return Err(invalid),
        }
        if self.eat(b'.') {
            let mut any = false;
            while let Some(d) = self.digit() {
                digits.push(d, true);
                any = true;
            }
            if !any {
                return Err(invalid);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            let negative_power = self.eat(b'-');
            if !negative_power {
                self.eat(b'+');
            }
            let mut power = 0i64;
            let mut any = false;
            while let Some(d) = self.digit() {
                // Saturate: anything this large is out of range either way.
                power = power.saturating_mul(10).saturating_add(i64::from(d)).min(1_000_000);
                any = true;
            }
            if !any {
                return Err(invalid);
            }
            digits.exp10 =
                if negative_power { digits.exp10.saturating_sub(power) } else { digits.exp10.saturating_add(power) };
        }
        let magnitude = scale(digits.mantissa, digits.exp10);
        if !magnitude.is_finite() {
            return Err(invalid);
        }
        Ok(if negative { -magnitude } else { magnitude })
    }
}

/// The significant digits of a number read so far: `mantissa × 10^exp10`.
struct Digits {
    mantissa: u64,
    exp10: i64,
    /// Set once a digit did not fit: every later digit is dropped too.
    truncated: bool,
}

impl Digits {
    fn push(&mut self, digit: u8, fraction: bool) {
        let next = if self.truncated {
            None
        } else {
            self.mantissa.checked_mul(10).and_then(|m| m.checked_add(u64::from(digit)))
        };
        match next {
            Some(mantissa) => {
                self.mantissa = mantissa;
                if fraction {
                    self.exp10 = self.exp10.saturating_sub(1);
                }
            }
            None => {
                self.truncated = true;
                if !fraction {
                    self.exp10 = self.exp10.saturating_add(1);
                }
            }
        }
    }
}

/// 10^0 ..= 10^22: exactly representable in `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// 10^(22k) for k = 0 ..= 14, each correctly rounded.
const POW10_22K: [f64; 15] =
    [1e0, 1e22, 1e44, 1e66, 1e88, 1e110, 1e132, 1e154, 1e176, 1e198, 1e220, 1e242, 1e264, 1e286, 1e308];

/// `mantissa × 10^exp10` in `f64`. Correctly rounded when the mantissa is at most
/// 2^53 and `|exp10| <= 22` (one exact conversion, one rounding); otherwise a
/// few roundings in a row, ordered so that overflow or underflow happens only at
/// the last step.
fn scale(mantissa: u64, exp10: i64) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    // A mantissa is below 10^20, so out here the result is certainly infinite
    // (above 10^330) or certainly rounds to zero (below 10^-330).
    if exp10 > 330 {
        return f64::INFINITY;
    }
    if exp10 < -350 {
        return 0.0;
    }
    let negative = exp10 < 0;
    let power = exp10.unsigned_abs();
    let small = POW10.get((power % 22) as usize).copied().unwrap_or(1.0);
    let mut big = power / 22;
    let apply = |value: f64, factor: f64| if negative { value / factor } else { value * factor };
    let mut value = apply(mantissa as f64, small);
    while big > 0 {
        let step = big.min(14);
        value = apply(value, POW10_22K.get(step as usize).copied().unwrap_or(1.0));
        big -= step;
    }
    value
}

/// Writes `s` as a quoted JSON string, escaping `"`, `\` and control characters.
pub fn write_escaped(out: &mut String, s: &str) {
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
                out.push_str("\\u00");
                out.push(char::from_digit(u32::from(c) >> 4, 16).unwrap_or('0'));
                out.push(char::from_digit(u32::from(c) & 0xf, 16).unwrap_or('0'));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes `n` in decimal.
pub fn write_u64(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    out.push_str(decimal(n, &mut digits));
}

/// Writes `n` in decimal, with a `-` when negative.
fn write_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    write_u64(out, n.unsigned_abs());
}

/// `n` in decimal, built at the end of `buf` (20 bytes hold `u64::MAX`).
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut start = buf.len();
    for slot in buf.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        start -= 1;
        if n == 0 {
            break;
        }
    }
    buf.get(start..).and_then(|digits| core::str::from_utf8(digits).ok()).unwrap_or("0")
}

/// Writer for one JSON object, built field by field, with no allocation beyond
/// its `String`. Keys are written as given: the caller keeps them unique.
///
/// ```text
/// let mut w = ObjectWriter::new();
/// w.str("kind", "logout").u64("at", 1_700_000_000_000);
/// assert_eq!(w.finish(), r#"{"kind":"logout","at":1700000000000}"#);
/// ```
#[derive(Debug, Clone)]
pub struct ObjectWriter {
    buf: String,
    first: bool,
}

impl Default for ObjectWriter {
    fn default() -> Self {
        ObjectWriter::new()
    }
}

impl ObjectWriter {
    /// An empty object.
    pub fn new() -> Self {
        ObjectWriter { buf: String::from("{"), first: true }
    }

    fn key(&mut self, key: &str) {
        if self.first {
            self.first = false;
        } else {
            self.buf.push(',');
        }
        write_escaped(&mut self.buf, key);
        self.buf.push(':');
    }

    /// A string field.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        write_escaped(&mut self.buf, value);
        self
    }

    /// An unsigned integer field (only values up to 2^53 read back exactly).
    pub fn u64(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key);
        write_u64(&mut self.buf, value);
        self
    }

    /// A signed integer field (only values within ±2^53 read back exactly).
    pub fn i64(&mut self, key: &str, value: i64) -> &mut Self {
        self.key(key);
        write_i64(&mut self.buf, value);
        self
    }

    /// A boolean field.
    pub fn bool(&mut self, key: &str, value: bool) -> &mut Self {
        self.key(key);
        self.buf.push_str(if value { "true" } else { "false" });
        self
    }

    /// A `null` field.
    pub fn null(&mut self, key: &str) -> &mut Self {
        self.key(key);
        self.buf.push_str("null");
        self
    }

    /// A nested object field.
    pub fn object(&mut self, key: &str, inner: ObjectWriter) -> &mut Self {
        self.key(key);
        self.buf.push_str(&inner.buf);
        self.buf.push('}');
        self
    }

    /// A string field, left out when `None`.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.str(key, value);
        }
        self
    }

    /// An unsigned integer field, left out when `None`.
    pub fn opt_u64(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        if let Some(value) = value {
            self.u64(key, value);
        }
        self
    }

    /// The finished object text.
    pub fn finish(mut self) -> String {
        self.buf.push('}');
        self.buf
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn num(text: &str) -> f64 {
        match parse(text) {
            Ok(Value::Number(n)) => n,
            other => panic!("{text:?} should be a number, got {other:?}"),
        }
    }

    fn err(text: &str) -> JsonError {
        match parse(text) {
            Err(e) => e,
            Ok(v) => panic!("{text:?} should be rejected, got {v:?}"),
        }
    }

    fn obj(members: &[(&str, Value)]) -> Value {
        Value::Object(members.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect())
    }

    #[test]
    fn scalars_parse() {
        assert_eq!(parse("null"), Ok(Value::Null));
        assert_eq!(parse("true"), Ok(Value::Bool(true)));
        assert_eq!(parse("false"), Ok(Value::Bool(false)));
        assert_eq!(parse("\"hi\""), Ok(Value::String("hi".into())));
        assert_eq!(parse("\"\""), Ok(Value::String(String::new())));
        assert_eq!(parse("0"), Ok(Value::Number(0.0)));
        assert_eq!(parse("-12"), Ok(Value::Number(-12.0)));
        assert_eq!(parse("1.5e2"), Ok(Value::Number(150.0)));
        assert_eq!(parse("\"é😀 ünïcödé\""), Ok(Value::String("é😀 ünïcödé".into())));
    }

    #[test]
    fn arrays_and_objects_parse_in_order() {
        assert_eq!(parse("[]"), Ok(Value::Array(vec![])));
        assert_eq!(parse("{}"), Ok(Value::Object(vec![])));
        assert_eq!(
            parse(r#"[1,"a",[null,[]],{"k":false}]"#),
            Ok(Value::Array(vec![
                Value::Number(1.0),
                Value::String("a".into()),
                Value::Array(vec![Value::Null, Value::Array(vec![])]),
                obj(&[("k", Value::Bool(false))]),
            ]))
        );
        let value = parse(r#"{"z":1,"a":{"b":[true]},"m":{}}"#).expect("valid");
        let keys: Vec<&str> = value.as_object().expect("object").iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["z", "a", "m"]);
        assert_eq!(value.get("a").and_then(|a| a.get("b")), Some(&Value::Array(vec![Value::Bool(true)])));
    }

    #[test]
    fn accessors_match_only_their_kind() {
        let value = parse(r#"{"n":null,"t":true,"i":-12,"x":2.5,"s":"hi","a":[1],"o":{}}"#).expect("valid");
        assert!(value.get("n").is_some_and(Value::is_null));
        assert_eq!(value.get("t").and_then(Value::as_bool), Some(true));
        assert_eq!(value.get("i").and_then(Value::as_i64), Some(-12));
        assert_eq!(value.get("x").and_then(Value::as_f64), Some(2.5));
        assert_eq!(value.get("s").and_then(Value::as_str), Some("hi"));
        assert_eq!(value.get("a").and_then(Value::as_array).map(<[Value]>::len), Some(1));
        assert_eq!(value.get("o").and_then(Value::as_object).map(<[(String, Value)]>::len), Some(0));
        assert_eq!(value.get("missing"), None);
        let s = Value::String("1".into());
        assert_eq!(
            (s.as_f64(), s.as_u64(), s.as_bool(), s.as_array().is_none(), s.is_null()),
            (None, None, None, true, false)
        );
        assert_eq!(Value::Number(1.0).as_str(), None);
        assert_eq!(Value::Bool(true).as_u64(), None);
        assert_eq!(Value::Array(vec![]).get("a"), None);
        assert_eq!(Value::Null.as_object(), None);
        assert_eq!(Value::Number(f64::NAN).as_f64(), None);
        assert_eq!(Value::Number(f64::INFINITY).as_u64(), None);
    }

    #[test]
    fn duplicate_keys_are_kept_and_first_wins() {
        let value = parse(r#"{"a":1,"b":0,"a":2}"#).expect("valid");
        assert_eq!(value.get("a").and_then(Value::as_u64), Some(1));
        assert_eq!(value.as_object().map(<[(String, Value)]>::len), Some(3));
    }

    #[test]
    fn simple_escapes() {
        assert_eq!(parse(r#""a\"b\\c\/d\b\f\n\r\t""#), Ok(Value::String("a\"b\\c/d\u{8}\u{c}\n\r\t".into())));
    }

    #[test]
    fn unicode_escapes_and_surrogate_pairs() {
        assert_eq!(parse(r#""\u0000""#), Ok(Value::String("\0".into())));
        assert_eq!(parse(r#""\u00e9\u00E9\u20AC""#), Ok(Value::String("éé€".into())));
        assert_eq!(parse(r#""\ud83d\ude00x""#), Ok(Value::String("😀x".into())));
        assert_eq!(parse(r#""\uDBFF\uDFFF""#), Ok(Value::String("\u{10FFFF}".into())));
        assert_eq!(parse(r#""\uFFFF""#), Ok(Value::String("\u{FFFF}".into())));
    }

    #[test]
    fn lone_surrogates_are_invalid_strings() {
        assert_eq!(err(r#""\ud83d""#), JsonError::InvalidString { at: 2 });
        assert_eq!(err(r#""\ude00""#), JsonError::InvalidString { at: 2 });
        assert_eq!(err(r#""ab\ud83dx""#), JsonError::InvalidString { at: 4 });
        assert_eq!(err(r#""\ud83d\n""#), JsonError::InvalidString { at: 2 });
        assert_eq!(err(r#""\ud83d\ud83d""#), JsonError::InvalidString { at: 2 });
        assert_eq!(err(r#""\ud83d\u0041""#), JsonError::InvalidString { at: 2 });
        assert_eq!(err(r#""\ud83d\ude0z""#), JsonError::InvalidEscape { at: 12 });
        assert_eq!(err(r#""\ud83d"#), JsonError::UnexpectedEnd);
        assert_eq!(err(r#""\ud83d\"#), JsonError::UnexpectedEnd);
        assert_eq!(err(r#""\ud83d\u"#), JsonError::UnexpectedEnd);
    }

    #[test]
    fn control_characters_are_invalid_strings() {
        assert_eq!(err("\"a\u{1}b\""), JsonError::InvalidString { at: 2 });
        assert_eq!(err("\"line\nbreak\""), JsonError::InvalidString { at: 5 });
        assert_eq!(err("\"\t\""), JsonError::InvalidString { at: 1 });
        assert_eq!(err("\"\u{1f}\""), JsonError::InvalidString { at: 1 });
        assert_eq!(err("{\"k\u{0}\":1}"), JsonError::InvalidString { at: 3 });
        // DEL and C1 controls are not control characters to JSON.
        assert_eq!(parse("\"\u{7f}\u{85}\""), Ok(Value::String("\u{7f}\u{85}".into())));
    }

    #[test]
    fn invalid_escapes() {
        assert_eq!(err(r#""\x""#), JsonError::InvalidEscape { at: 2 });
        assert_eq!(err(r#""ab\U0041""#), JsonError::InvalidEscape { at: 4 });
        assert_eq!(err(r#""\u12g4""#), JsonError::InvalidEscape { at: 5 });
        assert_eq!(err(r#""\u12""#), JsonError::InvalidEscape { at: 5 });
        assert_eq!(err(r#""\'""#), JsonError::InvalidEscape { at: 2 });
        assert_eq!(err("\"\\\u{e9}\""), JsonError::InvalidEscape { at: 2 });
    }

    #[test]
    fn unexpected_end() {
        for text in [
            "", "   ", "[", "[1", "[1,", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "\"abc", "\"ab\\", "tru", "nul",
            "\"\\u00",
        ] {
            assert_eq!(parse(text), Err(JsonError::UnexpectedEnd), "{text:?}");
        }
    }

    #[test]
    fn unexpected_byte_positions() {
        assert_eq!(err("[1 2]"), JsonError::UnexpectedByte { at: 3 });
        assert_eq!(err("{\"a\" 1}"), JsonError::UnexpectedByte { at: 5 });
        assert_eq!(err("{a:1}"), JsonError::UnexpectedByte { at: 1 });
        assert_eq!(err("[1,]"), JsonError::UnexpectedByte { at: 3 });
        assert_eq!(err("{\"a\":1,}"), JsonError::UnexpectedByte { at: 7 });
        assert_eq!(err("[,1]"), JsonError::UnexpectedByte { at: 1 });
        assert_eq!(err("{\"a\":1]"), JsonError::UnexpectedByte { at: 6 });
        assert_eq!(err("[1}"), JsonError::UnexpectedByte { at: 2 });
        assert_eq!(err("trUe"), JsonError::UnexpectedByte { at: 0 });
        assert_eq!(err("[tr]"), JsonError::UnexpectedByte { at: 1 });
        assert_eq!(err("'a'"), JsonError::UnexpectedByte { at: 0 });
        assert_eq!(err("// c\n1"), JsonError::UnexpectedByte { at: 0 });
        assert_eq!(err("[1 /* c */]"), JsonError::UnexpectedByte { at: 3 });
        assert_eq!(err("NaN"), JsonError::UnexpectedByte { at: 0 });
        assert_eq!(err("Infinity"), JsonError::UnexpectedByte { at: 0 });
        assert_eq!(err("\u{feff}1"), JsonError::UnexpectedByte { at: 0 }, "no BOM");
    }

    #[test]
    fn invalid_numbers() {
        for (text, at) in [
            ("01", 0),
            ("-01", 0),
            ("00", 0),
            ("1.", 0),
            ("-", 0),
            ("--1", 0),
            ("-a", 0),
            ("1e", 0),
            ("1e+", 0),
            ("1E-", 0),
            ("1.e3", 0),
            ("1e400", 0),
            ("-1e400", 0),
            ("[2, 1e309]", 4),
            ("1e99999999999999999999999", 0),
            ("-Infinity", 0),
        ] {
            assert_eq!(parse(text), Err(JsonError::InvalidNumber { at }), "{text:?}");
        }
        assert_eq!(err(".5"), JsonError::UnexpectedByte { at: 0 });
        assert_eq!(err("+1"), JsonError::UnexpectedByte { at: 0 });
        assert_eq!(err("0x10"), JsonError::TrailingData { at: 1 });
        let long = "9".repeat(400);
        assert_eq!(parse(&long), Err(JsonError::InvalidNumber { at: 0 }), "10^400 is not finite");
    }

    #[test]
    fn trailing_data() {
        assert_eq!(err("{} x"), JsonError::TrailingData { at: 3 });
        assert_eq!(err("1 2"), JsonError::TrailingData { at: 2 });
        assert_eq!(err("[]]"), JsonError::TrailingData { at: 2 });
        assert_eq!(err("truex"), JsonError::TrailingData { at: 4 });
        assert_eq!(err("\"a\"\"b\""), JsonError::TrailingData { at: 3 });
        assert_eq!(err("1\0"), JsonError::TrailingData { at: 1 });
    }

    #[test]
    fn whitespace_is_the_four_json_kinds_only() {
        assert_eq!(parse(" \t\r\n[ 1 ,\n\t{ \"a\" :\r\n2 } ] \n"), parse("[1,{\"a\":2}]"));
        assert_eq!(parse("\n\"x\"\t"), Ok(Value::String("x".into())));
        assert_eq!(err("\u{c}1"), JsonError::UnexpectedByte { at: 0 });
        assert_eq!(err("\u{a0}1"), JsonError::UnexpectedByte { at: 0 });
        assert_eq!(err("1\u{b}"), JsonError::TrailingData { at: 1 });
    }

    #[test]
    fn depth_limit() {
        let nest = |n: usize| "[".repeat(n) + &"]".repeat(n);
        assert!(parse(&nest(32)).is_ok());
        assert_eq!(parse(&nest(33)), Err(JsonError::TooDeep));
        let objects = |n: usize| "{\"a\":".repeat(n) + "1" + &"}".repeat(n);
        assert!(parse(&objects(32)).is_ok());
        assert_eq!(parse(&objects(33)), Err(JsonError::TooDeep));
        let limits = Limits { max_len: 100, max_depth: 1 };
        assert_eq!(parse_with("[[1]]", limits), Err(JsonError::TooDeep));
        assert_eq!(parse_with("[{}]", limits), Err(JsonError::TooDeep));
        assert!(parse_with("[1,[]", Limits { max_depth: 2, ..limits }).is_err());
        assert_eq!(parse_with("[1,2]", limits), Ok(Value::Array(vec![Value::Number(1.0), Value::Number(2.0)])));
        let scalars_only = Limits { max_len: 100, max_depth: 0 };
        assert_eq!(parse_with("7", scalars_only), Ok(Value::Number(7.0)));
        assert_eq!(parse_with("[]", scalars_only), Err(JsonError::TooDeep));
        // A hostile document far deeper than the limit fails fast, without recursion.
        assert_eq!(parse(&"[".repeat(60_000)), Err(JsonError::TooDeep));
        let unlimited = Limits { max_len: usize::MAX, max_depth: usize::MAX };
        // The parser itself does not recurse (dropping the `Value` does, once per level).
        assert!(parse_with(&nest(3_000), unlimited).is_ok());
    }

    #[test]
    fn length_limit_comes_first() {
        let limits = Limits { max_len: 8, max_depth: 32 };
        assert!(parse_with("\"123456\"", limits).is_ok());
        assert_eq!(parse_with("\"1234567\"", limits), Err(JsonError::TooLarge));
        assert_eq!(parse_with("[[[[[[[[[[", limits), Err(JsonError::TooLarge), "checked before any parsing");
        let big = "\"".to_owned() + &"x".repeat(64 * 1024 - 2) + "\"";
        assert!(parse(&big).is_ok());
        assert_eq!(parse(&(big + " ")), Err(JsonError::TooLarge));
        assert_eq!(Limits::default(), Limits { max_len: 65_536, max_depth: 32 });
    }

    #[test]
    fn integers_are_exact_up_to_2_pow_53() {
        let max = 1u64 << 53;
        assert_eq!(parse("9007199254740992").ok().and_then(|v| v.as_u64()), Some(max));
        assert_eq!(parse("9007199254740991").ok().and_then(|v| v.as_u64()), Some(max - 1));
        // 2^53 + 1 has no f64 of its own: it rounds (to even) onto 2^53 and so
        // cannot be told apart from it. From 2^53 + 2 on, as_u64 refuses.
        assert_eq!(num("9007199254740993"), 9_007_199_254_740_992.0);
        assert_eq!(parse("9007199254740994").ok().and_then(|v| v.as_u64()), None);
        assert_eq!(parse("-9007199254740992").ok().and_then(|v| v.as_i64()), Some(-(max as i64)));
        assert_eq!(parse("-9007199254740994").ok().and_then(|v| v.as_i64()), None);
        assert_eq!(parse("1700000000123").ok().and_then(|v| v.as_u64()), Some(1_700_000_000_123));
        assert_eq!(parse("-1").ok().and_then(|v| v.as_u64()), None);
        assert_eq!(parse("-1").ok().and_then(|v| v.as_i64()), Some(-1));
        assert_eq!(parse("2.5").ok().and_then(|v| v.as_u64()), None);
        assert_eq!(parse("2.5").ok().and_then(|v| v.as_i64()), None);
        assert_eq!(parse("1E3").ok().and_then(|v| v.as_u64()), Some(1000));
        assert_eq!(parse("2.0").ok().and_then(|v| v.as_u64()), Some(2));
        assert_eq!(parse("1e-0").ok().and_then(|v| v.as_u64()), Some(1));
        assert_eq!(parse("0.5e1").ok().and_then(|v| v.as_u64()), Some(5));
        // Beyond u64 the integer is still read, only rounded.
        assert_eq!(num("18446744073709551615"), 18_446_744_073_709_551_615.0);
        assert_eq!(num("123456789012345678901234567890"), 1.2345678901234568e29);
        assert_eq!(num("1000000000000000000000000000000"), 1e30);
    }

    #[test]
    fn decimals_and_exponents() {
        for (text, expected) in [
            ("0.05", 0.05),
            ("12e-1", 1.2),
            ("3.25159", 3.25159),
            ("-0.000001", -0.000001),
            ("1e-7", 1e-7),
            ("6.02214076e23", 6.02214076e23),
            ("1.7976931348623157e308", f64::MAX),
            ("2.2250738585072014e-308", f64::MIN_POSITIVE),
            ("0.1", 0.1),
            ("123.456e+2", 12345.6),
            ("1.000000000000000000000000001", 1.0),
        ] {
            let got = num(text);
            let ulps = (got.to_bits() as i64 - expected.to_bits() as i64).abs();
            assert!(ulps <= 2, "{text}: got {got:e}, want {expected:e}");
        }
        assert_eq!(num("0.1"), 0.1, "short decimals are correctly rounded");
        assert_eq!(num("1e-400"), 0.0, "underflow reads as zero");
        assert!(num("5e-324") > 0.0, "smallest subnormal survives");
    }

    #[test]
    fn negative_zero() {
        let n = num("-0");
        assert!(n == 0.0 && n.is_sign_negative());
        assert_eq!(Value::Number(n).as_u64(), Some(0));
        assert_eq!(Value::Number(n).as_i64(), Some(0));
        assert_eq!(num("-0.0e5"), 0.0);
    }

    #[test]
    fn errors_have_stable_codes_and_messages() {
        let all = [
            JsonError::TooLarge,
            JsonError::TooDeep,
            JsonError::UnexpectedEnd,
            JsonError::UnexpectedByte { at: 3 },
            JsonError::InvalidNumber { at: 40 },
            JsonError::InvalidEscape { at: 0 },
            JsonError::InvalidString { at: 12345 },
            JsonError::TrailingData { at: 7 },
        ];
        let codes: Vec<&str> = all.iter().map(JsonError::code).collect();
        assert_eq!(
            codes,
            [
                "too_large",
                "too_deep",
                "unexpected_end",
                "unexpected_byte",
                "invalid_number",
                "invalid_escape",
                "invalid_string",
                "trailing_data"
            ]
        );
        assert_eq!(JsonError::TooLarge.to_string(), "JSON input too large");
        assert_eq!(JsonError::UnexpectedByte { at: 3 }.to_string(), "unexpected byte in JSON at offset 3");
        assert_eq!(
            JsonError::InvalidString { at: 12345 }.to_string(),
            "invalid character in JSON string at offset 12345"
        );
        assert_eq!(JsonError::InvalidEscape { at: 0 }.to_string(), "invalid escape in JSON string at offset 0");
        assert_eq!(JsonError::TrailingData { at: 7 }.at(), Some(7));
        assert_eq!(JsonError::TooDeep.at(), None);
        for e in all {
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn writer_escapes_exactly() {
        let mut out = String::new();
        write_escaped(&mut out, "a\"b\\c\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}/é😀");
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f\u{7f}/é😀\"");
        let mut w = ObjectWriter::new();
        w.str("k", "v").u64("n", 0).i64("m", -5).bool("b", false).null("z");
        assert_eq!(w.finish(), r#"{"k":"v","n":0,"m":-5,"b":false,"z":null}"#);
        assert_eq!(ObjectWriter::new().finish(), "{}");
        assert_eq!(ObjectWriter::default().finish(), "{}");
        let mut outer = ObjectWriter::new();
        outer.object("e", ObjectWriter::new()).object("f", ObjectWriter::new());
        assert_eq!(outer.finish(), r#"{"e":{},"f":{}}"#);
    }

    #[test]
    fn write_u64_and_i64_edges() {
        for (n, text) in
            [(0, "0"), (7, "7"), (10, "10"), (1 << 53, "9007199254740992"), (u64::MAX, "18446744073709551615")]
        {
            let mut out = String::from("x");
            write_u64(&mut out, n);
            assert_eq!(out, format!("x{text}"));
        }
        let mut w = ObjectWriter::new();
        w.i64("min", i64::MIN).i64("max", i64::MAX).i64("zero", 0);
        assert_eq!(w.finish(), r#"{"min":-9223372036854775808,"max":9223372036854775807,"zero":0}"#);
    }

    #[test]
    fn writer_output_parses_back() {
        let tricky = "q\"b\\s/\n\r\t\u{0}\u{1}\u{1f}é中😀\u{10FFFF}";
        let mut inner = ObjectWriter::new();
        inner.bool("yes", true).null("nothing").str(tricky, "key too");
        let mut w = ObjectWriter::new();
        w.str("s", tricky).u64("big", 1 << 53).i64("neg", -(1 << 53)).u64("ts", 1_700_000_000_123);
        w.opt_str("skip", None).opt_u64("skip2", None).opt_str("keep", Some("")).opt_u64("n", Some(3));
        w.object("inner", inner);
        let value = parse(&w.finish()).expect("writer output is valid JSON");
        assert_eq!(
            value,
            obj(&[
                ("s", Value::String(tricky.into())),
                ("big", Value::Number(9_007_199_254_740_992.0)),
                ("neg", Value::Number(-9_007_199_254_740_992.0)),
                ("ts", Value::Number(1_700_000_000_123.0)),
                ("keep", Value::String(String::new())),
                ("n", Value::Number(3.0)),
                (
                    "inner",
                    obj(&[
                        ("yes", Value::Bool(true)),
                        ("nothing", Value::Null),
                        (tricky, Value::String("key too".into()))
                    ])
                ),
            ])
        );
    }

    // ---- property tests ----

    /// Test-only serializer for any `Value` (numbers via std formatting).
    fn to_json(value: &Value, out: &mut String) {
        match value {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&n.to_string()),
            Value::String(s) => write_escaped(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" , ");
                    }
                    to_json(item, out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push_str("{ ");
                for (i, (key, item)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_escaped(out, key);
                    out.push_str(":\n");
                    to_json(item, out);
                }
                out.push_str("\t}");
            }
        }
    }

    fn any_text() -> impl Strategy<Value = String> {
        prop::collection::vec(any::<char>(), 0..12).prop_map(String::from_iter)
    }

    /// Numbers whose shortest decimal form this parser reads exactly: integers
    /// within ±2^53 and short binary fractions.
    fn exact_number() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-(1i64 << 53)..=(1i64 << 53)).prop_map(|n| n as f64),
            (-(1i64 << 32)..(1i64 << 32), 0u32..5).prop_map(|(n, k)| n as f64 / f64::from(1u32 << k)),
        ]
    }

    fn any_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            exact_number().prop_map(Value::Number),
            any_text().prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any_text(), inner), 0..6).prop_map(Value::Object),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_strings_never_panic(text in any::<String>()) {
            let _ = parse(&text);
            let _ = parse_with(&text, Limits { max_len: usize::MAX, max_depth: 2 });
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn json_shaped_noise_never_panics(parts in prop::collection::vec(prop_oneof![
            Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"), Just("\""), Just("\\"),
            Just("\\u"), Just("d83d"), Just("\\ude00"), Just("0"), Just("1"), Just("-"), Just("."),
            Just("e"), Just("+"), Just("null"), Just("tr"), Just(" "), Just("\n"), Just("\u{1}"), Just("é"),
        ], 0..80)) {
            let text = parts.concat();
            let _ = parse(&text);
            let _ = parse_with(&text, Limits { max_len: 40, max_depth: 3 });
        }

        #[test]
        fn values_round_trip(value in any_value()) {
            let mut text = String::new();
            to_json(&value, &mut text);
            prop_assert_eq!(parse_with(&text, Limits { max_len: usize::MAX, max_depth: 32 }), Ok(value.clone()));
            // Every strict prefix of a container is incomplete, never a panic.
            if matches!(value, Value::Array(_) | Value::Object(_)) {
                for (cut, _) in text.char_indices().skip(1) {
                    prop_assert!(parse(text.get(..cut).unwrap_or_default()).is_err());
                }
            }
        }

        #[test]
        fn object_writer_round_trips(fields in prop::collection::vec((any_text(), any_text(), 0u64..=(1u64 << 53), -(1i64 << 53)..=(1i64 << 53), any::<bool>()), 0..8)) {
            let mut w = ObjectWriter::new();
            let mut expected = Vec::new();
            for (key, text, n, i, b) in &fields {
                w.str(key, text).u64(key, *n).i64(key, *i).bool(key, *b).opt_u64(key, None);
                expected.push((key.clone(), Value::String(text.clone())));
                expected.push((key.clone(), Value::Number(*n as f64)));
                expected.push((key.clone(), Value::Number(*i as f64)));
                expected.push((key.clone(), Value::Bool(*b)));
            }
            let parsed = parse_with(&w.finish(), Limits { max_len: usize::MAX, max_depth: 1 });
            prop_assert_eq!(parsed, Ok(Value::Object(expected)));
        }

        #[test]
        fn strings_round_trip(text in any::<String>()) {
            let mut out = String::new();
            write_escaped(&mut out, &text);
            prop_assert_eq!(parse_with(&out, Limits { max_len: usize::MAX, max_depth: 0 }), Ok(Value::String(text)));
        }

        #[test]
        fn u64_round_trips(n in 0u64..=(1u64 << 53)) {
            let mut out = String::new();
            write_u64(&mut out, n);
            prop_assert_eq!(out.clone(), n.to_string());
            prop_assert_eq!(parse(&out).ok().and_then(|v| v.as_u64()), Some(n));
            let mut w = ObjectWriter::new();
            w.i64("v", -(n as i64));
            prop_assert_eq!(parse(&w.finish()).ok().and_then(|v| v.get("v").and_then(Value::as_i64)), Some(-(n as i64)));
        }

        #[test]
        fn floats_read_within_a_few_ulps(x in any::<f64>().prop_filter("normal", |x| x.is_normal())) {
            for text in [format!("{x:e}"), format!("{x}"), format!("{:.3e}", x)] {
                let expected: f64 = text.parse().unwrap_or(f64::NAN);
                let got = num(&text);
                let ulps = (got.to_bits() as i64 - expected.to_bits() as i64).unsigned_abs();
                prop_assert!(ulps <= 4, "{}: got {:e}, want {:e} ({} ulps)", text, got, expected, ulps);
            }
        }
    }
}
