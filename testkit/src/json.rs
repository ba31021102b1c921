//! JSON text, for native tests and fuzzing only: never in the shipped wasm.
//!
//! The shipped library reads values, not text: the browser parses JSON
//! (`Response.json()`, `JSON.parse`) and the shell walks the result into a
//! [`Value`]. Tests and fuzz targets still start from text, the way a server or
//! another tab produces it, so this strict, iterative, bounded reader stays
//! here for them, with a writer for the values the core builds:
//!
//! - [`parse`] / [`parse_with`]: strict RFC 8259, exactly one value with optional
//!   surrounding white space. Input is capped in length and nesting depth
//!   ([`Limits`]), the parser is iterative (no recursion at all), and it never
//!   panics: every failure is a [`JsonError`] with a byte offset where sensible.
//! - [`to_text`]: a value as compact JSON text (what `JSON.stringify` makes of it).
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

use wasm_session::core::contract::encodings::write_json_string;
use wasm_session::core::contract::Body;
use wasm_session::core::protocol::{decode, encode, Envelope, ProtocolError};
pub use wasm_session::core::value::{write_u64, Value};

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
            write!(f, " at offset {at}")?;
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

/// `parse(text).ok()`: the JSON reader the machine takes for JWT payloads
/// ([`wasm_session::core::machine::Setup::parse_json`]), as tests and fuzzing supply it.
pub fn parse_ok(text: &str) -> Option<Value> {
    parse(text).ok()
}

/// Writes `s` as a quoted JSON string, escaping `"`, `\` and control characters.
pub fn write_escaped(out: &mut String, s: &str) {
    write_json_string(out, s);
}

/// `value` as compact JSON text, members in order. Numbers are written as
/// `JSON.stringify` writes them for whole numbers up to 2^53; other numbers
/// use Rust's shortest round-trip form (tests only compare values).
pub fn to_text(value: &Value) -> String {
    let mut out = String::new();
    // An explicit stack, like the reader: what is still to be written, last first.
    enum Step<'v> {
        Value(&'v Value),
        Text(&'static str),
        Key(&'v str),
    }
    let mut todo = vec![Step::Value(value)];
    while let Some(step) = todo.pop() {
        match step {
            Step::Text(text) => out.push_str(text),
            Step::Key(key) => {
                write_escaped(&mut out, key);
                out.push(':');
            }
            Step::Value(value) => match value {
                Value::Null => out.push_str("null"),
                Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
                Value::Number(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 => {
                    if *n < 0.0 {
                        out.push('-');
                    }
                    write_u64(&mut out, n.abs() as u64);
                }
                Value::Number(n) => out.push_str(&n.to_string()),
                Value::String(text) => write_escaped(&mut out, text),
                Value::Array(items) => {
                    out.push('[');
                    todo.push(Step::Text("]"));
                    for (index, item) in items.iter().enumerate().rev() {
                        todo.push(Step::Value(item));
                        if index > 0 {
                            todo.push(Step::Text(","));
                        }
                    }
                }
                Value::Object(members) => {
                    out.push('{');
                    todo.push(Step::Text("}"));
                    for (index, (key, item)) in members.iter().enumerate().rev() {
                        todo.push(Step::Value(item));
                        todo.push(Step::Key(key));
                        if index > 0 {
                            todo.push(Step::Text(","));
                        }
                    }
                }
            },
        }
    }
    out
}

/// What the shell makes of a body read as text: `len` is its full length in
/// bytes (the text may have been cut after `max_bytes + 1`); this reader stands
/// in for `JSON.parse` and the walker's limits.
pub fn body_from_text(text: &str, len: usize, max_bytes: usize) -> Body {
    if len > max_bytes || text.len() > max_bytes {
        return Body::TooLarge;
    }
    if text.trim_matches([' ', '\t', '\r', '\n']).is_empty() {
        return Body::Empty;
    }
    match parse_with(text, Limits { max_len: max_bytes, max_depth: 32 }) {
        Ok(value) => Body::Json(value),
        Err(_) => Body::NotJson,
    }
}

/// A cross-tab message as JSON text, the form the storage fallback and the
/// stored session carry (the shell uses `JSON.stringify`).
pub fn encode_text(envelope: &Envelope) -> String {
    to_text(&encode(envelope))
}

/// Decodes a cross-tab message from JSON text (text that is not JSON is
/// [`ProtocolError::Malformed`], as in the shell).
///
/// # Errors
///
/// As [`decode`].
pub fn decode_text(text: &str) -> Result<Envelope, ProtocolError> {
    decode(&parse(text).map_err(|_| ProtocolError::Malformed)?)
}
