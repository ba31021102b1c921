//! The plain data the core reads: JSON's data model, without JSON text.
//!
//! Options, token responses, server answers, cross-tab messages and the stored
//! session all reach the core as a [`Value`]. The browser shell builds values
//! from JS values with a bounded walker (`browser/value.rs`), after the
//! browser's own `JSON.parse` where the input is text; the core reads them and
//! builds them, and never parses or writes JSON text itself (the shipped wasm
//! holds no JSON text parser). Native tests and fuzzing make values from text
//! with the test-only reader in [`super::json`].

/// A plain data value: what `JSON.parse` yields, or a plain JS object holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number (finite, as the walker and the test parser make them).
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

/// Appends `n` in decimal (no `core::fmt`: it costs kilobytes of wasm). The
/// digits are built backwards, then pushed one by one: no UTF-8 check.
pub fn write_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        start -= 1;
        if n == 0 {
            break;
        }
    }
    for digit in digits.iter().skip(start) {
        out.push(char::from(*digit));
    }
}

/// An object under construction, members in order: protocol messages,
/// tombstones and option presets are built with it (one call per member).
#[derive(Debug, Default)]
pub struct Members(pub Vec<(String, Value)>);

impl Members {
    /// A member.
    pub fn value(&mut self, key: &str, value: Value) {
        self.0.push((key.to_owned(), value));
    }

    /// A string member.
    pub fn text(&mut self, key: &str, value: &str) {
        self.value(key, Value::String(value.to_owned()));
    }

    /// Times and counters: whole numbers, exact up to 2^53 (past that they
    /// would not read back, and are refused on receipt).
    pub fn number(&mut self, key: &str, value: u64) {
        self.value(key, Value::Number(value as f64));
    }

    /// A boolean member.
    pub fn flag(&mut self, key: &str, value: bool) {
        self.value(key, Value::Bool(value));
    }

    /// The object.
    pub fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// A member list from `(key, value)` pairs, for building objects.
pub fn object<'a>(members: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    Value::Object(members.into_iter().map(|(key, value)| (key.to_owned(), value)).collect())
}
