//! Plain JS values into the core's [`Value`], and back.
//!
//! [`from_js`] reads what the app hands over (the options object, a token
//! response) without `JSON.stringify`: it walks the value with an explicit stack
//! (no recursion, so a deep value cannot exhaust the wasm stack) under
//! [`Limits`] on depth, entries, values and text. Hostile shapes give a typed
//! [`ValueError`] naming the path: cycles (they nest too deeply), getters and
//! proxy traps that throw, functions, symbols, BigInts, `NaN` and infinities,
//! huge strings and arrays. A getter that never returns cannot be helped, as
//! with `JSON.stringify`.
//!
//! What is read: own enumerable string keys of objects (`Object.keys`),
//! array elements up to `length`, strings, finite numbers, booleans and `null`.
//! An `undefined` member is left out, as `JSON.stringify` would; an `undefined`
//! array element reads as `null`.
//!
//! [`to_js`] builds plain JS objects from a [`Value`] (the presets).

use js_sys::{Array, JsString, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::value::{write_u64, Value};

/// Caps on what [`from_js`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of arrays and objects (1: a flat object).
    pub max_depth: usize,
    /// Most members of one object or elements of one array.
    pub max_entries: u32,
    /// Most values in all (containers included).
    pub max_values: usize,
    /// Longest string or key, in UTF-16 code units (checked before it is copied).
    pub max_string_len: u32,
    /// Most UTF-16 code units of all strings and keys together.
    pub max_text: usize,
}

impl Limits {
    /// The options object: three levels deep (`endpoints.refresh.url`) and about
    /// forty keys, with room to spare; header values are at most 8 KiB.
    pub const OPTIONS: Limits =
        Limits { max_depth: 8, max_entries: 256, max_values: 2048, max_string_len: 16 * 1024, max_text: 128 * 1024 };
    /// A token response: what the JSON text reader accepted before (64 KiB, 32
    /// levels); a token is at most 16 KiB. Also a JWT's payload.
    pub const TOKENS: Limits =
        Limits { max_depth: 32, max_entries: 1024, max_values: 8192, max_string_len: 64 * 1024, max_text: 64 * 1024 };
    /// A cross-tab message or the stored session: one flat object of a dozen
    /// members, two tokens of at most 16 KiB each among them.
    pub const MESSAGE: Limits =
        Limits { max_depth: 1, max_entries: 32, max_values: 64, max_string_len: 16 * 1024, max_text: 48 * 1024 };
    /// An endpoint's answer, already cut at `maxBodyBytes` (at most 4 MiB) and
    /// parsed by the browser: 32 levels, and a cap on values so that a body of
    /// tiny values cannot take many times its size in wasm memory.
    pub const ANSWER: Limits = Limits {
        max_depth: 32,
        max_entries: 4096,
        max_values: 16 * 1024,
        max_string_len: 4 * 1024 * 1024,
        max_text: 4 * 1024 * 1024,
    };
}

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` of a JS string, which stays in JS (no copy into wasm).
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    pub fn parse_js(text: &JsString) -> Result<JsValue, JsValue>;
}

/// `JSON.parse` of Rust text, through the same binding as [`parse_js`] (one
/// `JSON.parse` import in the wasm); `None` when it throws.
pub fn parse_text(text: &str) -> Option<JsValue> {
    parse_js(&JsString::from(text)).ok()
}

/// JSON text read by the browser (`JSON.parse`) and walked within
/// [`Limits::TOKENS`]: the core's [`crate::core::contract::encodings::ParseJson`], which it
/// uses for JWT payloads (the wasm holds no JSON text parser of its own).
pub fn parse_json(text: &str) -> Option<Value> {
    let value = parse_text(text)?;
    from_js(&value, &Limits::TOKENS, &[]).ok()
}

/// Why a JS value is not plain data within the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueErrorKind {
    /// Nested deeper than [`Limits::max_depth`] (a cycle ends here too).
    TooDeep,
    /// An object or array with more than [`Limits::max_entries`] entries.
    TooManyEntries,
    /// More than [`Limits::max_values`] values in all.
    TooManyValues,
    /// A string longer than [`Limits::max_string_len`].
    StringTooLong,
    /// A key longer than [`Limits::max_string_len`].
    KeyTooLong,
    /// More than [`Limits::max_text`] of text in all.
    TooMuchText,
    /// `NaN`, `Infinity` or `-Infinity`.
    NotFinite,
    /// A function.
    Function,
    /// A symbol.
    Symbol,
    /// A BigInt.
    BigInt,
    /// Reading it threw: a getter, a proxy trap, a revoked proxy.
    Threw,
}

impl ValueErrorKind {
    /// A stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            ValueErrorKind::TooDeep => "too_deep",
            ValueErrorKind::TooManyEntries => "too_many_entries",
            ValueErrorKind::TooManyValues => "too_many_values",
            ValueErrorKind::StringTooLong => "string_too_long",
            ValueErrorKind::KeyTooLong => "key_too_long",
            ValueErrorKind::TooMuchText => "too_much_text",
            ValueErrorKind::NotFinite => "not_finite",
            ValueErrorKind::Function => "function",
            ValueErrorKind::Symbol => "symbol",
            ValueErrorKind::BigInt => "bigint",
            ValueErrorKind::Threw => "threw",
        }
    }

    fn problem(self) -> &'static str {
        match self {
            ValueErrorKind::TooDeep => "is nested too deeply (or refers to itself)",
            ValueErrorKind::TooManyEntries => "has too many entries",
            ValueErrorKind::TooManyValues => "holds too many values",
            ValueErrorKind::StringTooLong => "is too long",
            ValueErrorKind::KeyTooLong => "has a key that is too long",
            ValueErrorKind::TooMuchText => "holds too much text",
            ValueErrorKind::NotFinite => "must be a finite number",
            ValueErrorKind::Function => "must be plain data, not a function",
            ValueErrorKind::Symbol => "must be plain data, not a symbol",
            ValueErrorKind::BigInt => "must be plain data, not a BigInt",
            ValueErrorKind::Threw => "could not be read: a getter or proxy threw",
        }
    }
}

/// A JS value that [`from_js`] refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// Where, e.g. `endpoints.refresh` or `activityEvents[2]`; empty for the
    /// value itself. Keys are cut to 64 characters.
    pub path: String,
    /// What is wrong.
    pub kind: ValueErrorKind,
}

impl ValueError {
    /// `"<path> <problem>"`, with `root` naming the value itself when the path
    /// is empty, e.g. `"endpoints.refresh must be plain data, not a function"`.
    pub fn message(&self, root: &str) -> String {
        let mut message = String::with_capacity(64);
        message.push_str(if self.path.is_empty() { root } else { &self.path });
        message.push(' ');
        message.push_str(self.kind.problem());
        message
    }
}

#[wasm_bindgen]
extern "C" {
    /// `Array.isArray`, which throws for a revoked proxy.
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;
    /// `Object.keys`, which runs proxy traps.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    pub(crate) fn object_keys(value: &JsValue) -> Result<Array, JsValue>;
}

/// An array or object being read.
struct Frame {
    source: JsValue,
    /// The object's keys; `None` for an array.
    keys: Option<Array>,
    len: u32,
    next: u32,
    items: Vec<Value>,
    members: Vec<(String, Value)>,
    /// The key of the member being read.
    key: String,
}

impl Frame {
    fn add(&mut self, value: Value) {
        if self.keys.is_some() {
            self.members.push((std::mem::take(&mut self.key), value));
        } else {
            self.items.push(value);
        }
    }

    fn finish(self) -> Value {
        if self.keys.is_some() {
            Value::Object(self.members)
        } else {
            Value::Array(self.items)
        }
    }
}

/// What a value turned out to be.
enum Read {
    Leaf(Value),
    /// `undefined`.
    Absent,
    Open(Frame),
}

/// What has been read so far, against the limits.
struct Budget<'a> {
    limits: &'a Limits,
    values: usize,
    text: usize,
}

impl Budget<'_> {
    fn text(&mut self, length: u32) -> Result<(), ValueErrorKind> {
        if length > self.limits.max_string_len {
            return Err(ValueErrorKind::StringTooLong);
        }
        self.text = self.text.saturating_add(length as usize);
        if self.text > self.limits.max_text {
            return Err(ValueErrorKind::TooMuchText);
        }
        Ok(())
    }

    fn string(&mut self, value: &JsString) -> Result<String, ValueErrorKind> {
        self.text(super::length(value))?;
        // Lone surrogates become U+FFFD on the way into wasm.
        Ok(String::from(value))
    }

    fn read(&mut self, value: &JsValue) -> Result<Read, ValueErrorKind> {
        if value.is_undefined() {
            return Ok(Read::Absent);
        }
        self.values = self.values.saturating_add(1);
        if self.values > self.limits.max_values {
            return Err(ValueErrorKind::TooManyValues);
        }
        if value.is_null() {
            return Ok(Read::Leaf(Value::Null));
        }
        if let Some(flag) = value.as_bool() {
            return Ok(Read::Leaf(Value::Bool(flag)));
        }
        if let Some(number) = value.as_f64() {
            return if number.is_finite() {
                Ok(Read::Leaf(Value::Number(number)))
            } else {
                Err(ValueErrorKind::NotFinite)
            };
        }
        if let Some(text) = value.dyn_ref::<JsString>() {
            return Ok(Read::Leaf(Value::String(self.string(text)?)));
        }
        if value.is_function() {
            return Err(ValueErrorKind::Function);
        }
        if value.is_symbol() {
            return Err(ValueErrorKind::Symbol);
        }
        if !value.is_object() {
            // The one `typeof` left: "bigint".
            return Err(ValueErrorKind::BigInt);
        }
        let (keys, len) = if is_array(value).map_err(|_| ValueErrorKind::Threw)? {
            let length = super::get(value, "length").map_err(|_| ValueErrorKind::Threw)?;
            // A proxy may claim any length; a real array's is a whole number.
            let length = length.as_f64().filter(|n| n.fract() == 0.0 && *n >= 0.0).ok_or(ValueErrorKind::Threw)?;
            if length > f64::from(self.limits.max_entries) {
                return Err(ValueErrorKind::TooManyEntries);
            }
            (None, length as u32)
        } else {
            let keys = object_keys(value).map_err(|_| ValueErrorKind::Threw)?;
            let len = super::length(&keys);
            if len > self.limits.max_entries {
                return Err(ValueErrorKind::TooManyEntries);
            }
            (Some(keys), len)
        };
        // Grown as members are read (no capacity reserved up front: less code).
        Ok(Read::Open(Frame {
            source: value.clone(),
            keys,
            len,
            next: 0,
            items: Vec::new(),
            members: Vec::new(),
            key: String::new(),
        }))
    }
}

/// The path of the member being read: `a.b[2].c`.
fn path(stack: &[Frame]) -> String {
    let mut path = String::new();
    for frame in stack {
        if frame.keys.is_some() {
            if !path.is_empty() {
                path.push('.');
            }
            // The first 64 characters, cut at a char boundary (no `Extend<char>` code).
            let end = frame.key.char_indices().nth(64).map_or(frame.key.len(), |(index, _)| index);
            path.push_str(frame.key.get(..end).unwrap_or_default());
        } else {
            path.push('[');
            write_u64(&mut path, u64::from(frame.next.saturating_sub(1)));
            path.push(']');
        }
    }
    path
}

/// Reads `value` as plain data within `limits`. Top-level members named in
/// `skip` are left out (the caller has taken them out itself, e.g. the
/// `refresh` function of the options).
///
/// # Errors
///
/// A [`ValueError`] naming the path of the first value that is not plain data
/// or breaks a limit.
pub fn from_js(value: &JsValue, limits: &Limits, skip: &[&str]) -> Result<Value, ValueError> {
    let mut budget = Budget { limits, values: 0, text: 0 };
    let mut stack: Vec<Frame> = Vec::new();
    let fail = |stack: &[Frame], kind| Err(ValueError { path: path(stack), kind });
    match budget.read(value) {
        Ok(Read::Leaf(value)) => return Ok(value),
        Ok(Read::Absent) => return Ok(Value::Null),
        Ok(Read::Open(frame)) => stack.push(frame),
        Err(kind) => return fail(&stack, kind),
    }
    loop {
        let depth = stack.len();
        let Some(top) = stack.last_mut() else { return Ok(Value::Null) };
        if top.next >= top.len {
            let Some(done) = stack.pop() else { return Ok(Value::Null) };
            let value = done.finish();
            match stack.last_mut() {
                Some(parent) => parent.add(value),
                None => return Ok(value),
            }
            continue;
        }
        let index = top.next;
        top.next += 1;
        let child = match &top.keys {
            Some(keys) => {
                let key = keys.get(index);
                let Some(key) = key.dyn_ref::<JsString>() else { continue };
                top.key = match budget.string(key) {
                    Ok(key) => key,
                    // Named by the object that holds the key.
                    Err(kind) => {
                        let kind =
                            if kind == ValueErrorKind::StringTooLong { ValueErrorKind::KeyTooLong } else { kind };
                        return fail(stack.get(..depth - 1).unwrap_or_default(), kind);
                    }
                };
                if depth == 1 && skip.contains(&top.key.as_str()) {
                    continue;
                }
                Reflect::get(&top.source, key)
            }
            // A number key, through the one `Reflect.get` import.
            None => Reflect::get(&top.source, &JsValue::from_f64(f64::from(index))),
        };
        let read = match child {
            Ok(child) => budget.read(&child),
            Err(_) => Err(ValueErrorKind::Threw),
        };
        match read {
            Ok(Read::Leaf(value)) => top.add(value),
            Ok(Read::Absent) if top.keys.is_none() => top.add(Value::Null),
            Ok(Read::Absent) => top.key.clear(),
            Ok(Read::Open(_)) if depth >= limits.max_depth => return fail(&stack, ValueErrorKind::TooDeep),
            Ok(Read::Open(frame)) => stack.push(frame),
            Err(kind) => return fail(&stack, kind),
        }
    }
}

/// A plain JS value (objects, arrays, strings, numbers, booleans, `null`) with
/// the content of `value`, keys in order.
///
/// Recursive, unlike [`from_js`], which reads what the page hands over: every
/// `Value` written here was read by [`from_js`] within [`Limits`] (32 levels
/// at most) or built by the core (a few levels), so the depth is bounded.
pub fn to_js(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(flag) => JsValue::from_bool(*flag),
        Value::Number(number) => JsValue::from_f64(*number),
        Value::String(text) => JsValue::from_str(text),
        Value::Array(items) => {
            let array = Array::new();
            for item in items {
                array.push(&to_js(item));
            }
            array.into()
        }
        Value::Object(members) => {
            let object: JsValue = Object::new().into();
            for (key, item) in members {
                // Setting a data property on a fresh plain object cannot throw.
                let _ = super::put(&object, key, &to_js(item));
            }
            object
        }
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use wasm_bindgen_test::*;

    use super::*;

    fn eval(code: &str) -> JsValue {
        js_sys::eval(code).expect("test JS is valid")
    }

    fn read(code: &str) -> Result<Value, ValueError> {
        from_js(&eval(code), &Limits::OPTIONS, &[])
    }

    fn refused(code: &str) -> (String, ValueErrorKind) {
        let error = read(code).expect_err(code);
        (error.path, error.kind)
    }

    fn object(members: Vec<(&str, Value)>) -> Value {
        Value::Object(members.into_iter().map(|(key, value)| (key.to_owned(), value)).collect())
    }

    #[wasm_bindgen_test]
    fn plain_data_is_read_in_order() {
        let value = read("({ b: 1, a: [true, null, 'x', undefined], c: { d: -0.5 }, skipped: undefined })").unwrap();
        let expected = object(vec![
            ("b", Value::Number(1.0)),
            ("a", Value::Array(vec![Value::Bool(true), Value::Null, Value::String("x".into()), Value::Null])),
            ("c", object(vec![("d", Value::Number(-0.5))])),
        ]);
        assert_eq!(value, expected);
        assert_eq!(read("'text'").unwrap(), Value::String("text".into()));
        assert_eq!(read("undefined").unwrap(), Value::Null);
        assert_eq!(read("Object.create(null)").unwrap(), object(vec![]));
        // Inherited and non-enumerable keys are not the app's options.
        let value = read(
            "const o = Object.create({ inherited: 1 }); Object.defineProperty(o, 'hidden', { value: 2 }); o.own = 3; o",
        )
        .unwrap();
        assert_eq!(value, object(vec![("own", Value::Number(3.0))]));
    }

    #[wasm_bindgen_test]
    fn skipped_keys_are_left_out_at_the_top_only() {
        let value = from_js(&eval("({ refresh() {}, a: { refresh: 1 } })"), &Limits::OPTIONS, &["refresh"]).unwrap();
        assert_eq!(value, object(vec![("a", object(vec![("refresh", Value::Number(1.0))]))]));
    }

    #[wasm_bindgen_test]
    fn values_that_are_not_data_are_named_by_path() {
        assert_eq!(refused("({ a: { b: [1, () => 1] } })"), ("a.b[1]".into(), ValueErrorKind::Function));
        assert_eq!(refused("({ s: Symbol('x') })"), ("s".into(), ValueErrorKind::Symbol));
        assert_eq!(refused("({ n: 10n })"), ("n".into(), ValueErrorKind::BigInt));
        assert_eq!(refused("({ n: NaN })"), ("n".into(), ValueErrorKind::NotFinite));
        assert_eq!(refused("[Infinity]"), ("[0]".into(), ValueErrorKind::NotFinite));
        assert_eq!(refused("({ n: -Infinity })").1, ValueErrorKind::NotFinite);
        assert_eq!(refused("(function () {})"), (String::new(), ValueErrorKind::Function));
        let error = read("({ endpoints: { refresh: () => 1 } })").unwrap_err();
        assert_eq!(error.message("options"), "endpoints.refresh must be plain data, not a function");
        assert_eq!(read("(() => 1)").unwrap_err().message("options"), "options must be plain data, not a function");
    }

    #[wasm_bindgen_test]
    fn throwing_getters_and_proxies_are_errors_not_exceptions() {
        assert_eq!(refused("({ get a() { throw new Error('no'); } })"), ("a".into(), ValueErrorKind::Threw));
        assert_eq!(refused("new Proxy({}, { ownKeys() { throw 1; } })"), (String::new(), ValueErrorKind::Threw));
        assert_eq!(
            refused("({ p: new Proxy({ a: 1 }, { get() { throw 1; } }) })"),
            ("p.a".into(), ValueErrorKind::Threw)
        );
        assert_eq!(
            refused("const r = Proxy.revocable({}, {}); r.revoke(); ({ r: r.proxy })"),
            ("r".into(), ValueErrorKind::Threw)
        );
        assert_eq!(
            refused("new Proxy([], { get(t, k) { return k === 'length' ? 1e12 : 1; } })"),
            (String::new(), ValueErrorKind::TooManyEntries)
        );
        assert_eq!(
            refused("new Proxy([], { get(t, k) { return k === 'length' ? 'x' : 1; } })").1,
            ValueErrorKind::Threw
        );
        // A proxy that answers sensibly is read like the object it stands for.
        assert_eq!(read("new Proxy({ a: 1 }, {})").unwrap(), object(vec![("a", Value::Number(1.0))]));
    }

    #[wasm_bindgen_test]
    fn cycles_and_deep_values_stop_at_the_depth_limit() {
        let (path, kind) = refused("const o = { a: {} }; o.a.self = o; o");
        assert_eq!(kind, ValueErrorKind::TooDeep);
        assert!(path.starts_with("a.self.a.self"), "{path}");
        let deep = from_js(&eval("let v = 1; for (let i = 0; i < 100000; i++) v = [v]; v"), &Limits::TOKENS, &[]);
        assert_eq!(deep.unwrap_err().kind, ValueErrorKind::TooDeep);
        let (path, _) = refused("const a = []; a.push(a); a");
        assert!(path.starts_with("[0][0]"), "{path}");
    }

    #[wasm_bindgen_test]
    fn huge_strings_arrays_and_objects_are_refused_before_they_are_copied() {
        assert_eq!(refused("({ s: 'x'.repeat(1 << 24) })"), ("s".into(), ValueErrorKind::StringTooLong));
        assert_eq!(refused("({ a: 1, ['k'.repeat(1 << 24)]: 1 })"), (String::new(), ValueErrorKind::KeyTooLong));
        assert_eq!(refused("({ o: { ['k'.repeat(1 << 24)]: 1 } })"), ("o".into(), ValueErrorKind::KeyTooLong));
        assert_eq!(refused("({ a: new Array(2 ** 32 - 1) })"), ("a".into(), ValueErrorKind::TooManyEntries));
        assert_eq!(
            refused("Object.fromEntries(Array.from({ length: 10000 }, (_, i) => ['k' + i, i]))").1,
            ValueErrorKind::TooManyEntries
        );
        assert_eq!(
            refused("Array.from({ length: 200 }, () => Array.from({ length: 200 }, () => 0))").1,
            ValueErrorKind::TooManyValues
        );
        assert_eq!(refused("Array.from({ length: 100 }, () => 'x'.repeat(10000))").1, ValueErrorKind::TooMuchText);
        let long_key = read("({ ['k'.repeat(100)]: () => 1 })").unwrap_err();
        assert_eq!(long_key.path.len(), 64, "echoed keys are cut");
    }

    #[wasm_bindgen_test]
    fn values_round_trip_through_js() {
        let value = object(vec![
            (
                "endpoints",
                object(vec![
                    ("refresh", Value::String("/r".into())),
                    ("list", Value::Array(vec![Value::Null, Value::Bool(false)])),
                ]),
            ),
            ("n", Value::Number(2.5)),
            ("nested", Value::Array(vec![object(vec![("k", Value::String("v".into()))])])),
        ]);
        let js = to_js(&value);
        assert_eq!(
            js_sys::JSON::stringify(&js).unwrap().as_string().unwrap(),
            r#"{"endpoints":{"refresh":"/r","list":[null,false]},"n":2.5,"nested":[{"k":"v"}]}"#
        );
        assert_eq!(from_js(&js, &Limits::OPTIONS, &[]).unwrap(), value);
    }
}
