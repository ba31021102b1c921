use proptest::prelude::*;

use crate::core::json::*;

#[test]
fn every_value_kind_parses() {
    let value =
        parse(r#" {"n":null,"t":true,"f":false,"i":-12,"x":1.5e2,"s":"hi","a":[1,[2]],"o":{}} "#).expect("valid");
    assert!(value.get("n").expect("n").is_null());
    assert_eq!(value.get("t").and_then(Value::as_bool), Some(true));
    assert_eq!(value.get("f").and_then(Value::as_bool), Some(false));
    assert_eq!(value.get("i").and_then(Value::as_i64), Some(-12));
    assert_eq!(value.get("x").and_then(Value::as_f64), Some(150.0));
    assert_eq!(value.get("s").and_then(Value::as_str), Some("hi"));
    assert_eq!(value.get("a").and_then(Value::as_array).map(<[Value]>::len), Some(2));
    assert_eq!(value.get("o").and_then(Value::as_object).map(<[(String, Value)]>::len), Some(0));
    assert_eq!(value.get("missing"), None);
}

#[test]
fn escapes_and_surrogate_pairs() {
    let value = parse(r#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00\u0000""#).expect("valid");
    assert_eq!(value.as_str(), Some("a\"b\\c/d\u{8}\u{c}\n\r\té😀\u{0}"));
    assert_eq!(parse(r#""\ud83d""#), Err(JsonError::InvalidString { at: 2 }));
    assert_eq!(parse(r#""\ude00""#), Err(JsonError::InvalidString { at: 2 }));
    assert_eq!(parse(r#""\x""#), Err(JsonError::InvalidEscape { at: 2 }));
    assert_eq!(parse(r#""\u12g4""#), Err(JsonError::InvalidEscape { at: 5 }));
    assert_eq!(parse("\"a\u{1}b\""), Err(JsonError::InvalidString { at: 2 }));
}

#[test]
fn numbers_are_strict_and_integers_exact() {
    assert_eq!(parse("9007199254740992").ok().and_then(|v| v.as_u64()), Some(1 << 53));
    assert_eq!(parse("9007199254740994").ok().and_then(|v| v.as_u64()), None, "above 2^53");
    assert_eq!(parse("1700000000123").ok().and_then(|v| v.as_u64()), Some(1_700_000_000_123));
    assert_eq!(parse("-1").ok().and_then(|v| v.as_u64()), None);
    assert_eq!(parse("2.5").ok().and_then(|v| v.as_u64()), None);
    assert_eq!(parse("0.05").ok().and_then(|v| v.as_f64()), Some(0.05));
    assert_eq!(parse("1E3").ok().and_then(|v| v.as_u64()), Some(1000));
    assert_eq!(parse("12e-1").ok().and_then(|v| v.as_f64()), Some(1.2));
    assert_eq!(parse("-0").ok().and_then(|v| v.as_i64()), Some(0));
    for bad in ["01", "1.", ".5", "-", "1e", "1e+", "+1", "0x10", "1e400", "NaN", "Infinity"] {
        assert!(parse(bad).is_err(), "{bad} must be rejected");
    }
    assert_eq!(parse("01"), Err(JsonError::InvalidNumber { at: 0 }));
}

#[test]
fn structure_errors_have_positions() {
    assert_eq!(parse(""), Err(JsonError::UnexpectedEnd));
    assert_eq!(parse("[1,2"), Err(JsonError::UnexpectedEnd));
    assert_eq!(parse("[1 2]"), Err(JsonError::UnexpectedByte { at: 3 }));
    assert_eq!(parse("{\"a\" 1}"), Err(JsonError::UnexpectedByte { at: 5 }));
    assert_eq!(parse("{a:1}"), Err(JsonError::UnexpectedByte { at: 1 }));
    assert_eq!(parse("[1,]"), Err(JsonError::UnexpectedByte { at: 3 }));
    assert_eq!(parse("{} x"), Err(JsonError::TrailingData { at: 3 }));
    assert_eq!(parse("tru"), Err(JsonError::UnexpectedEnd));
    assert_eq!(parse("trUe"), Err(JsonError::UnexpectedByte { at: 0 }));
    assert_eq!(parse("// comment\n1"), Err(JsonError::UnexpectedByte { at: 0 }));
}

#[test]
fn size_and_depth_are_capped() {
    let deep = "[".repeat(33) + &"]".repeat(33);
    assert_eq!(parse(&deep), Err(JsonError::TooDeep));
    let ok = "[".repeat(32) + &"]".repeat(32);
    assert!(parse(&ok).is_ok());
    let big = format!("\"{}\"", "x".repeat(64 * 1024));
    assert_eq!(parse(&big), Err(JsonError::TooLarge));
    let limits = Limits { max_len: 10, max_depth: 1 };
    assert_eq!(parse_with("[[1]]", limits), Err(JsonError::TooDeep));
    assert_eq!(JsonError::TooDeep.code(), "too_deep");
}

#[test]
fn duplicate_keys_first_wins() {
    let value = parse(r#"{"a":1,"a":2}"#).expect("valid");
    assert_eq!(value.get("a").and_then(Value::as_u64), Some(1));
}

#[test]
fn writer_output_parses_back() {
    let mut inner = ObjectWriter::new();
    inner.bool("yes", true).null("nothing");
    let mut w = ObjectWriter::new();
    w.str("s", "q\"b\\s\n\u{1}é😀").u64("big", u64::from(u32::MAX) * 1000).i64("neg", -42);
    w.opt_str("skip", None).opt_u64("skip2", None).opt_str("keep", Some("k")).object("inner", inner);
    let text = w.finish();
    let value = parse(&text).expect("writer output is valid JSON");
    assert_eq!(value.get("s").and_then(Value::as_str), Some("q\"b\\s\n\u{1}é😀"));
    assert_eq!(value.get("big").and_then(Value::as_u64), Some(u64::from(u32::MAX) * 1000));
    assert_eq!(value.get("neg").and_then(Value::as_i64), Some(-42));
    assert_eq!(value.get("skip"), None);
    assert_eq!(value.get("keep").and_then(Value::as_str), Some("k"));
    assert_eq!(value.get("inner").and_then(|v| v.get("yes")).and_then(Value::as_bool), Some(true));
    assert_eq!(ObjectWriter::new().finish(), "{}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn json_shaped_noise_never_panics(parts in prop::collection::vec(prop_oneof![
        Just("{"), Just("}"), Just("["), Just("]"), Just(","), Just(":"), Just("\""), Just("\\u"),
        Just("1"), Just("-"), Just("."), Just("e"), Just("null"), Just("tr"), Just(" "), Just("\\"),
    ], 0..60)) {
        let _ = parse(&parts.concat());
    }

    #[test]
    fn strings_round_trip(text in "\\PC{0,100}") {
        let mut out = String::new();
        write_escaped(&mut out, &text);
        prop_assert_eq!(parse(&out), Ok(Value::String(text)));
    }

    #[test]
    fn integers_round_trip(n in 0u64..=(1u64 << 53)) {
        let mut out = String::new();
        write_u64(&mut out, n);
        prop_assert_eq!(parse(&out).ok().and_then(|v| v.as_u64()), Some(n));
    }
}
