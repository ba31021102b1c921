//! The test-only JSON text reader and writer (`wasm_session_testkit::json`): what the tests
//! and fuzz targets build their values from.

use proptest::prelude::*;
use wasm_session_testkit::json::*;

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
    for text in
        ["", "   ", "[", "[1", "[1,", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "\"abc", "\"ab\\", "tru", "nul", "\"\\u00"]
    {
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
    assert_eq!(JsonError::InvalidString { at: 12345 }.to_string(), "invalid character in JSON string at offset 12345");
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
    let value = obj(&[
        ("k", Value::String("v".into())),
        ("n", Value::Number(0.0)),
        ("m", Value::Number(-5.0)),
        ("b", Value::Bool(false)),
        ("z", Value::Null),
        ("e", obj(&[])),
        ("a", Value::Array(vec![Value::Array(vec![]), Value::Number(1.5)])),
    ]);
    assert_eq!(to_text(&value), r#"{"k":"v","n":0,"m":-5,"b":false,"z":null,"e":{},"a":[[],1.5]}"#);
}

#[test]
fn write_u64_edges() {
    for (n, text) in [(0, "0"), (7, "7"), (10, "10"), (1 << 53, "9007199254740992"), (u64::MAX, "18446744073709551615")]
    {
        let mut out = String::from("x");
        write_u64(&mut out, n);
        assert_eq!(out, format!("x{text}"));
    }
}

#[test]
fn writer_output_parses_back() {
    let tricky = "q\"b\\s/\n\r\t\u{0}\u{1}\u{1f}é中😀\u{10FFFF}";
    let value = obj(&[
        ("s", Value::String(tricky.into())),
        ("big", Value::Number(9_007_199_254_740_992.0)),
        ("neg", Value::Number(-9_007_199_254_740_992.0)),
        ("ts", Value::Number(1_700_000_000_123.0)),
        ("keep", Value::String(String::new())),
        (
            "inner",
            obj(&[("yes", Value::Bool(true)), ("nothing", Value::Null), (tricky, Value::String("key too".into()))]),
        ),
    ]);
    assert_eq!(parse(&to_text(&value)), Ok(value));
}

// ---- property tests ----

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
        let text = to_text(&value);
        prop_assert_eq!(parse_with(&text, Limits { max_len: usize::MAX, max_depth: 32 }), Ok(value.clone()));
        // Every strict prefix of a container is incomplete, never a panic.
        if matches!(value, Value::Array(_) | Value::Object(_)) {
            for (cut, _) in text.char_indices().skip(1) {
                prop_assert!(parse(text.get(..cut).unwrap_or_default()).is_err());
            }
        }
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
        let negative = to_text(&Value::Number(-(n as f64)));
        prop_assert_eq!(parse(&negative).ok().and_then(|v| v.as_i64()), Some(-(n as i64)));
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
