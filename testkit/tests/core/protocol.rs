//! The cross-tab message format: plain values in, plain values out, every
//! field checked; token-free notices for channels that may not carry tokens.
use wasm_session::core::protocol::{decode, encode, MAX_TOKEN_LEN};
use wasm_session::core::value::object;
use wasm_session::core::*;
use wasm_session_testkit::json;
use wasm_session_testkit::json::{decode_text, encode_text};
use wasm_session_testkit::sim::*;

fn snapshot() -> Snapshot {
    Snapshot {
        started_at: T0,
        last_activity_at: T0 + 5,
        tokens: TokenSet::bearer("a\"cc\\ess", Some("réfresh"), Some(T0 + 60_000)),
        generation: 3,
        tokens_received_at: T0 + 1,
        absolute_cap: None,
        idle_cap: None,
        keepalive_at: None,
        remember_me: false,
    }
}

fn all_messages() -> Vec<Message> {
    vec![
        Message::Activity { at: T0 },
        Message::StaySignedIn { at: T0 + 1 },
        Message::Refreshed { tokens: TokenSet::bearer("x", None, None), generation: 9, received_at: T0 },
        Message::Logout { reason: EndReason::RefreshFailed },
        Message::Login(snapshot()),
        Message::StateResponse(snapshot()),
        Message::TokensChanged { generation: 4, received_at: T0 + 2 },
        Message::SessionExists {
            login: true,
            snapshot: Snapshot { tokens: TokenSet::default(), ..snapshot() },
            refresh_token_held: true,
        },
        Message::SessionExists {
            login: false,
            snapshot: Snapshot { tokens: TokenSet::default(), ..snapshot() },
            refresh_token_held: false,
        },
        Message::StateResponse(Snapshot { absolute_cap: Some(T0 + 30 * MIN), ..snapshot() }),
    ]
}

#[test]
fn every_message_kind_round_trips_as_a_value_and_as_text() {
    for message in all_messages() {
        let envelope = Envelope { from: id(3), epoch: Some(id(4)), message };
        assert_eq!(decode(&encode(&envelope)), Ok(envelope.clone()));
        assert_eq!(decode_text(&encode_text(&envelope)), Ok(envelope.clone()), "the storage fallback's form");
    }
    let request = Envelope { from: id(3), epoch: None, message: Message::StateRequest };
    assert_eq!(decode(&encode(&request)), Ok(request));
}

#[test]
fn messages_are_flat_objects_of_strings_numbers_and_flags() {
    let envelope = Envelope { from: id(3), epoch: Some(id(4)), message: Message::Login(snapshot()) };
    let value = encode(&envelope);
    let members = value.as_object().expect("an object");
    assert!(members.iter().all(|(_, v)| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))));
    assert_eq!(value.get("v"), Some(&Value::Number(1.0)));
    assert_eq!(value.get("kind").and_then(Value::as_str), Some("login"));
    assert_eq!(value.get("access").and_then(Value::as_str), Some("a\"cc\\ess"));
    assert_eq!(
        encode_text(&Envelope { from: id(3), epoch: None, message: Message::StateRequest }),
        format!(r#"{{"v":1,"kind":"stateRequest","from":"{}"}}"#, "03".repeat(16))
    );
}

#[test]
fn without_tokens_no_token_leaves_and_the_notices_say_what_happened() {
    let tokens = |message: &Message| {
        let value = encode(&Envelope { from: id(3), epoch: Some(id(4)), message: message.clone() });
        ["access", "refresh"].iter().any(|key| value.get(key).is_some())
    };
    for message in all_messages() {
        let stripped = message.clone().without_tokens();
        assert!(!tokens(&stripped), "{stripped:?} carries a token");
        match (&message, &stripped) {
            (
                Message::Refreshed { generation, received_at, .. },
                Message::TokensChanged { generation: g, received_at: r },
            ) => {
                assert_eq!((generation, received_at), (g, r));
            }
            (
                Message::Login(s) | Message::StateResponse(s),
                Message::SessionExists { login, snapshot, refresh_token_held },
            ) => {
                assert_eq!(*login, matches!(message, Message::Login(_)));
                let tokens = TokenSet { identity: s.tokens.identity.clone(), ..TokenSet::default() };
                assert_eq!(snapshot, &Snapshot { tokens, ..s.clone() }, "the times and the user travel");
                assert_eq!(*refresh_token_held, s.tokens.refresh_token.is_some());
            }
            (other, same) => assert_eq!(other, same, "messages without tokens are unchanged"),
        }
    }
    // A notice that arrives with tokens anyway (a hostile or foreign sender) keeps none.
    let from = "01".repeat(16);
    let text = format!(
        r#"{{"v":1,"kind":"sessionExists","from":"{from}","epoch":"{from}","login":true,"startedAt":1,"lastActivityAt":1,"generation":0,"receivedAt":1,"access":"smuggled","refreshHeld":false}}"#
    );
    let Ok(Envelope { message: Message::SessionExists { snapshot, .. }, .. }) = decode_text(&text) else {
        panic!("a valid notice")
    };
    assert_eq!(snapshot.tokens, TokenSet::default());
}

#[test]
fn ids_are_32_hex_digits() {
    let id = Id128([0xab; 16]);
    assert_eq!(id.to_hex(), "ab".repeat(16));
    assert_eq!(Id128::from_hex(&"AB".repeat(16)), Some(id));
    assert_eq!(Id128::from_hex("abc"), None);
    assert_eq!(Id128::from_hex(&"zz".repeat(16)), None);
    assert_eq!(Id128::from_hex(&"é".repeat(16)), None, "multi-byte text of the right length");
}

#[test]
fn unknown_versions_and_kinds_are_rejected() {
    let from = "01".repeat(16);
    let v2 = format!(r#"{{"v":2,"kind":"activity","from":"{from}","epoch":"{from}","at":1}}"#);
    assert_eq!(decode_text(&v2), Err(ProtocolError::UnknownVersion));
    let odd = format!(r#"{{"v":1,"kind":"selfDestruct","from":"{from}","epoch":"{from}"}}"#);
    assert_eq!(decode_text(&odd), Err(ProtocolError::UnknownKind));
}

#[test]
fn malformed_messages_are_rejected_with_the_field() {
    let from = "01".repeat(16);
    let cases = [
        (format!(r#"{{"v":1,"kind":"activity","from":"{from}","epoch":"{from}"}}"#), "at"),
        (format!(r#"{{"v":1,"kind":"activity","from":"{from}","epoch":"{from}","at":-1}}"#), "at"),
        (format!(r#"{{"v":1,"kind":"activity","from":"{from}","epoch":"{from}","at":1.5}}"#), "at"),
        (format!(r#"{{"v":1,"kind":"activity","from":"nope","epoch":"{from}","at":1}}"#), "from"),
        (format!(r#"{{"v":1,"kind":"activity","from":"{from}","at":1}}"#), "epoch"),
        (format!(r#"{{"v":1,"kind":"logout","from":"{from}","epoch":"{from}","reason":"bored"}}"#), "reason"),
        (
            format!(
                r#"{{"v":1,"kind":"refreshed","from":"{from}","epoch":"{from}","generation":1,"receivedAt":1,"access":7}}"#
            ),
            "access",
        ),
        (format!(r#"{{"v":1,"kind":"login","from":"{from}","epoch":"{from}","startedAt":1}}"#), "lastActivityAt"),
        (format!(r#"{{"v":1,"kind":"tokensChanged","from":"{from}","epoch":"{from}","generation":1}}"#), "receivedAt"),
        (
            format!(
                r#"{{"v":1,"kind":"sessionExists","from":"{from}","epoch":"{from}","login":1,"startedAt":1,"lastActivityAt":1,"generation":0,"receivedAt":1,"refreshHeld":false}}"#
            ),
            "login",
        ),
        (
            format!(
                r#"{{"v":1,"kind":"sessionExists","from":"{from}","epoch":"{from}","login":true,"startedAt":1,"lastActivityAt":1,"generation":0,"receivedAt":1}}"#
            ),
            "refreshHeld",
        ),
        (
            format!(
                r#"{{"v":1,"kind":"stateResponse","from":"{from}","epoch":"{from}","startedAt":1,"lastActivityAt":1,"generation":0,"receivedAt":1,"absoluteCap":"soon"}}"#
            ),
            "absoluteCap",
        ),
    ];
    for (text, field) in cases {
        assert_eq!(decode_text(&text), Err(ProtocolError::BadField(field)), "{text}");
    }
}

#[test]
fn non_json_and_non_objects_are_rejected() {
    assert_eq!(decode_text("not json"), Err(ProtocolError::Malformed));
    assert_eq!(decode_text(""), Err(ProtocolError::Malformed));
    assert_eq!(decode_text("[1,2]"), Err(ProtocolError::BadField("message")));
    assert_eq!(decode_text("{}"), Err(ProtocolError::BadField("v")));
    assert_eq!(ProtocolError::Malformed.code(), "malformed_message");
}

#[test]
fn hostile_values_are_typed_errors() {
    let from = Value::String("01".repeat(16));
    let base = |extra: Vec<(&'static str, Value)>| {
        let mut members = vec![
            ("v", Value::Number(1.0)),
            ("kind", Value::String("activity".into())),
            ("from", from.clone()),
            ("epoch", from.clone()),
        ];
        members.extend(extra);
        object(members)
    };
    assert!(decode(&base(vec![("at", Value::Number(5.0))])).is_ok());
    for (value, error) in [
        (Value::Null, ProtocolError::BadField("message")),
        (Value::Number(1.0), ProtocolError::BadField("message")),
        (Value::String("{}".into()), ProtocolError::BadField("message")),
        (Value::Array(vec![base(vec![("at", Value::Number(5.0))])]), ProtocolError::BadField("message")),
        (base(vec![("at", Value::Number(f64::NAN))]), ProtocolError::BadField("at")),
        (base(vec![("at", Value::Number(f64::INFINITY))]), ProtocolError::BadField("at")),
        (base(vec![("at", Value::Number(1e300))]), ProtocolError::BadField("at")),
        (base(vec![("at", Value::String("5".into()))]), ProtocolError::BadField("at")),
        (base(vec![("at", object([("n", Value::Number(5.0))]))]), ProtocolError::BadField("at")),
        (object([("v", Value::String("1".into()))]), ProtocolError::UnknownVersion),
        (object([("v", Value::Number(1.5))]), ProtocolError::UnknownVersion),
    ] {
        assert_eq!(decode(&value), Err(error), "{value:?}");
    }
    // Duplicate keys (possible in a value, not in a JS object): the first wins, as in JSON text.
    let twice = json::parse(&format!(
        r#"{{"v":1,"kind":"activity","from":"{0}","epoch":"{0}","at":5,"at":"x"}}"#,
        "01".repeat(16)
    ))
    .unwrap();
    assert!(decode(&twice).is_ok());
}

#[test]
fn oversized_tokens_are_rejected() {
    let from = "01".repeat(16);
    let token = "x".repeat(MAX_TOKEN_LEN + 1);
    let text = format!(
        r#"{{"v":1,"kind":"refreshed","from":"{from}","epoch":"{from}","generation":1,"receivedAt":1,"access":"{token}"}}"#
    );
    assert_eq!(decode_text(&text), Err(ProtocolError::BadField("access")));
}

#[test]
fn end_reasons_have_stable_names() {
    for reason in EndReason::ALL {
        assert_eq!(EndReason::parse(reason.as_str()), Some(reason));
    }
    assert_eq!(EndReason::OtherTab.as_str(), "otherTab");
    assert!(EndReason::Idle.is_expiry() && !EndReason::User.is_expiry());
}

#[test]
fn secrets_never_print() {
    let tokens = TokenSet::bearer("super-secret-access", Some("super-secret-refresh"), Some(1));
    let printed = format!("{tokens:?}");
    assert!(!printed.contains("super-secret"), "{printed}");
}
