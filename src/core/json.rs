//! A small JSON reader and writer for hostile input.
//!
//! Server responses, cross-tab messages, stored data and JWT payloads all arrive
//! as untrusted text. `serde_json` would do, but costs tens of kilobytes of wasm;
//! this is a strict RFC 8259 parser with a size cap and a depth cap that never
//! panics, plus a writer for flat objects. Numbers are `f64`; integers up to 2^53
//! are exact, fractions and exponents are computed by hand and may be off in the
//! last bit or so (nothing here needs more).

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A finite number.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, members in document order.
    Object(Vec<(String, Value)>),
}

/// 2^53: the largest integer every `f64` below it represents exactly.
const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

impl Value {
    /// The member `key` of an object (the first, if repeated).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.iter().find(|(name, _)| name == key).map(|(_, value)| value)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) if n.is_finite() => Some(*n),
            _ => None,
        }
    }

    /// A whole number in `0..=2^53`.
    pub fn as_u64(&self) -> Option<u64> {
        let n = self.as_f64()?;
        ((0.0..=MAX_EXACT).contains(&n) && n.fract() == 0.0).then_some(n as u64)
    }

    /// A whole number in `-2^53..=2^53`.
    pub fn as_i64(&self) -> Option<i64> {
        let n = self.as_f64()?;
        (n.abs() <= MAX_EXACT && n.fract() == 0.0).then_some(n as i64)
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

    /// The members, if this is an object.
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
    /// Longest input in bytes.
    pub max_len: usize,
    /// Deepest nesting of arrays and objects.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_len: 64 * 1024, max_depth: 32 }
    }
}

/// Why text is not acceptable JSON. `at` is a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// Longer than the limit.
    TooLarge,
    /// Nested deeper than the limit.
    TooDeep,
    /// The text ended inside a value.
    UnexpectedEnd,
    /// A byte that cannot start or continue a value here.
    UnexpectedByte {
        /// Where.
        at: usize,
    },
    /// A malformed or non-finite number.
    InvalidNumber {
        /// Where the number starts.
        at: usize,
    },
    /// A bad `\` escape.
    InvalidEscape {
        /// Where.
        at: usize,
    },
    /// A raw control character or a lone surrogate in a string.
    InvalidString {
        /// Where.
        at: usize,
    },
    /// Something after the value.
    TrailingData {
        /// Where.
        at: usize,
    },
}

impl JsonError {
    /// Stable code.
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
}

impl core::fmt::Display for JsonError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("invalid JSON: ")?;
        f.write_str(self.code())
    }
}

/// Parses `text` with the default [`Limits`].
pub fn parse(text: &str) -> Result<Value, JsonError> {
    parse_with(text, Limits::default())
}

/// Parses `text`: exactly one value, optionally surrounded by white space.
pub fn parse_with(text: &str, limits: Limits) -> Result<Value, JsonError> {
    if text.len() > limits.max_len {
        return Err(JsonError::TooLarge);
    }
    let mut parser = Parser { bytes: text.as_bytes(), pos: 0, depth: 0, max_depth: limits.max_depth };
    let value = parser.value()?;
    parser.skip_space();
    if parser.pos < parser.bytes.len() {
        return Err(JsonError::TrailingData { at: parser.pos });
    }
    Ok(value)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    max_depth: usize,
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

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect_word(&mut self, word: &[u8], value: Value) -> Result<Value, JsonError> {
        let end = self.pos.checked_add(word.len()).ok_or(JsonError::UnexpectedEnd)?;
        match self.bytes.get(self.pos..end) {
            Some(found) if found == word => {
                self.pos = end;
                Ok(value)
            }
            Some(_) => Err(JsonError::UnexpectedByte { at: self.pos }),
            None => Err(JsonError::UnexpectedEnd),
        }
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        self.skip_space();
        match self.peek().ok_or(JsonError::UnexpectedEnd)? {
            b'n' => self.expect_word(b"null", Value::Null),
            b't' => self.expect_word(b"true", Value::Bool(true)),
            b'f' => self.expect_word(b"false", Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'[' => self.nested(Self::array),
            b'{' => self.nested(Self::object),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            _ => Err(JsonError::UnexpectedByte { at: self.pos }),
        }
    }

    fn nested(&mut self, inner: fn(&mut Self) -> Result<Value, JsonError>) -> Result<Value, JsonError> {
        if self.depth >= self.max_depth {
            return Err(JsonError::TooDeep);
        }
        self.depth += 1;
        let value = inner(self);
        self.depth -= 1;
        value
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_space();
            let at = self.pos;
            match self.next()? {
                b',' => continue,
                b']' => return Ok(Value::Array(items)),
                _ => return Err(JsonError::UnexpectedByte { at }),
            }
        }
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        self.pos += 1; // '{'
        let mut members = Vec::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
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
            let value = self.value()?;
            members.push((key, value));
            self.skip_space();
            let at = self.pos;
            match self.next()? {
                b',' => continue,
                b'}' => return Ok(Value::Object(members)),
                _ => return Err(JsonError::UnexpectedByte { at }),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut code = 0u32;
        for _ in 0..4 {
            let at = self.pos;
            let digit = match self.next()? {
                b @ b'0'..=b'9' => b - b'0',
                b @ b'a'..=b'f' => b - b'a' + 10,
                b @ b'A'..=b'F' => b - b'A' + 10,
                _ => return Err(JsonError::InvalidEscape { at }),
            };
            code = code * 16 + u32::from(digit);
        }
        Ok(code)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // '"'
        let mut out = String::new();
        loop {
            // Copy the run of plain bytes at once; the input is valid UTF-8 and
            // the run ends on an ASCII byte, so it is valid UTF-8 too.
            let start = self.pos;
            while let Some(byte) = self.peek() {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            let run = self.bytes.get(start..self.pos).ok_or(JsonError::UnexpectedEnd)?;
            out.push_str(core::str::from_utf8(run).map_err(|_| JsonError::InvalidString { at: start })?);
            let at = self.pos;
            match self.next()? {
                b'"' => return Ok(out),
                b'\\' => {
                    let escape_at = self.pos;
                    let c = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape(escape_at)?,
                        _ => return Err(JsonError::InvalidEscape { at: escape_at }),
                    };
                    out.push(c);
                }
                _ => return Err(JsonError::InvalidString { at }),
            }
        }
    }

    /// After `\u`: one code point, joining a surrogate pair.
    fn unicode_escape(&mut self, at: usize) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.peek() != Some(b'\\') || self.bytes.get(self.pos + 1) != Some(&b'u') {
                    return Err(JsonError::InvalidString { at });
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(JsonError::InvalidString { at });
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(JsonError::InvalidString { at }),
            code => code,
        };
        char::from_u32(code).ok_or(JsonError::InvalidString { at })
    }

    fn digits(&mut self) -> (u64, usize, usize) {
        // (first 19 significant digits as an integer, digits kept, digits dropped)
        let (mut value, mut kept, mut dropped) = (0u64, 0usize, 0usize);
        while let Some(byte @ b'0'..=b'9') = self.peek() {
            if kept < 19 {
                value = value * 10 + u64::from(byte - b'0');
                kept += 1;
            } else {
                dropped += 1;
            }
            self.pos += 1;
        }
        (value, kept, dropped)
    }

    fn number(&mut self) -> Result<f64, JsonError> {
        let start = self.pos;
        let invalid = JsonError::InvalidNumber { at: start };
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        // Integer part: "0" or a non-zero digit followed by digits.
        let (mut mantissa, kept, dropped) = match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(invalid);
                }
                (0, 0, 0)
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(invalid),
        };
        let mut exponent = i64::try_from(dropped).map_err(|_| invalid)?;
        let mut significant = kept;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let mut any = false;
            while let Some(byte @ b'0'..=b'9') = self.peek() {
                any = true;
                if significant < 19 && (mantissa > 0 || byte != b'0' || significant > 0) {
                    mantissa = mantissa * 10 + u64::from(byte - b'0');
                    significant += 1;
                    exponent -= 1;
                } else if mantissa == 0 && significant == 0 {
                    exponent -= 1; // leading zeros of a fraction
                }
                self.pos += 1;
            }
            if !any {
                return Err(invalid);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            let sign = match self.peek() {
                Some(b'-') => {
                    self.pos += 1;
                    -1
                }
                Some(b'+') => {
                    self.pos += 1;
                    1
                }
                _ => 1,
            };
            let mut power = 0i64;
            let mut any = false;
            while let Some(byte @ b'0'..=b'9') = self.peek() {
                any = true;
                power = (power * 10 + i64::from(byte - b'0')).min(100_000);
                self.pos += 1;
            }
            if !any {
                return Err(invalid);
            }
            exponent += sign * power;
        }
        let value = scale(mantissa as f64, exponent);
        if !value.is_finite() {
            return Err(invalid);
        }
        Ok(if negative { -value } else { value })
    }
}

/// `mantissa × 10^exponent`, by repeated multiplication (exact for the integers
/// and short decimals JSON carries in practice).
fn scale(mantissa: f64, exponent: i64) -> f64 {
    if mantissa == 0.0 {
        return 0.0;
    }
    let mut value = mantissa;
    let mut remaining = exponent;
    while remaining > 0 && value.is_finite() {
        let step = remaining.min(22);
        value *= pow10(step);
        remaining -= step;
    }
    while remaining < 0 && value != 0.0 {
        let step = (-remaining).min(22);
        value /= pow10(step);
        remaining += step;
    }
    value
}

fn pow10(n: i64) -> f64 {
    // 10^n for 0 <= n <= 22 is exact in f64.
    (0..n).fold(1.0, |acc, _| acc * 10.0)
}

/// Writes a quoted, escaped JSON string.
pub fn write_escaped(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                let code = c as usize;
                out.push(HEX.get(code >> 4).map_or('0', |b| char::from(*b)));
                out.push(HEX.get(code & 0xf).map_or('0', |b| char::from(*b)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes an unsigned integer in decimal.
pub fn write_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        if let Some(slot) = digits.get_mut(len) {
            *slot = b'0' + (n % 10) as u8;
        }
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for digit in digits.iter().take(len).rev() {
        out.push(char::from(*digit));
    }
}

/// Builds one JSON object, field by field.
#[derive(Debug, Clone, Default)]
pub struct ObjectWriter {
    buf: String,
}

impl ObjectWriter {
    /// An empty object.
    pub fn new() -> Self {
        ObjectWriter::default()
    }

    fn key(&mut self, key: &str) {
        self.buf.push(if self.buf.is_empty() { '{' } else { ',' });
        write_escaped(&mut self.buf, key);
        self.buf.push(':');
    }

    /// A string field.
    pub fn str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        write_escaped(&mut self.buf, value);
        self
    }

    /// An unsigned integer field.
    pub fn u64(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key);
        write_u64(&mut self.buf, value);
        self
    }

    /// A signed integer field.
    pub fn i64(&mut self, key: &str, value: i64) -> &mut Self {
        self.key(key);
        if value < 0 {
            self.buf.push('-');
        }
        write_u64(&mut self.buf, value.unsigned_abs());
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
        self.buf.push_str(&inner.finish());
        self
    }

    /// A string field, left out when `None`.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.str(key, value);
        }
        self
    }

    /// An integer field, left out when `None`.
    pub fn opt_u64(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        if let Some(value) = value {
            self.u64(key, value);
        }
        self
    }

    /// The finished object text.
    pub fn finish(mut self) -> String {
        if self.buf.is_empty() {
            self.buf.push('{');
        }
        self.buf.push('}');
        self.buf
    }
}
