use super::sim::*;
use crate::core::protocol::{decode, encode, MAX_TOKEN_LEN};
use crate::core::*;

fn snapshot() -> Snapshot {
    Snapshot {
        started_at: T0,
        last_activity_at: T0 + 5,
        tokens: TokenSet::bearer("a\"cc\\ess", Some("réfresh"), Some(T0 + 60_000)),
        generation: 3,
        tokens_received_at: T0 + 1,
        absolute_cap: None,
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
        Message::StateResponse(Snapshot { absolute_cap: Some(T0 + 30 * MIN), ..snapshot() }),
    ]
}

#[test]
fn every_message_kind_round_trips() {
    for message in all_messages() {
        let envelope = Envelope { from: id(3), epoch: Some(id(4)), message };
        assert_eq!(decode(&encode(&envelope)), Ok(envelope.clone()));
    }
    let request = Envelope { from: id(3), epoch: None, message: Message::StateRequest };
    assert_eq!(decode(&encode(&request)), Ok(request));
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
    assert_eq!(decode(&v2), Err(ProtocolError::UnknownVersion));
    let odd = format!(r#"{{"v":1,"kind":"selfDestruct","from":"{from}","epoch":"{from}"}}"#);
    assert_eq!(decode(&odd), Err(ProtocolError::UnknownKind));
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
        (
            format!(
                r#"{{"v":1,"kind":"stateResponse","from":"{from}","epoch":"{from}","startedAt":1,"lastActivityAt":1,"generation":0,"receivedAt":1,"absoluteCap":"soon"}}"#
            ),
            "absoluteCap",
        ),
    ];
    for (text, field) in cases {
        assert_eq!(decode(&text), Err(ProtocolError::BadField(field)), "{text}");
    }
}

#[test]
fn non_json_and_non_objects_are_rejected() {
    assert!(matches!(decode("not json"), Err(ProtocolError::Malformed(_))));
    assert!(matches!(decode(""), Err(ProtocolError::Malformed(_))));
    assert_eq!(decode("[1,2]"), Err(ProtocolError::BadField("message")));
    assert_eq!(decode("{}"), Err(ProtocolError::BadField("v")));
}

#[test]
fn oversized_tokens_are_rejected() {
    let from = "01".repeat(16);
    let token = "x".repeat(MAX_TOKEN_LEN + 1);
    let text = format!(
        r#"{{"v":1,"kind":"refreshed","from":"{from}","epoch":"{from}","generation":1,"receivedAt":1,"access":"{token}"}}"#
    );
    assert_eq!(decode(&text), Err(ProtocolError::BadField("access")));
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
