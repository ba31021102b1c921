//! Cross-tab messages and stored sessions.

use super::*;

/// A cross-tab message, as JSON text (the storage fallback's form; a
/// `BroadcastChannel` object is the same value): decoded, round-tripped
/// through the encoder as a value and as text, stripped of its tokens for a
/// channel that may not carry them, and handed to machines that are
/// anonymous, live in its epoch, live in another, and ended in its epoch. A
/// rejected message changes nothing.
pub fn message(data: &[u8]) {
    let text = text(data);
    let Ok(envelope) = decode_text(&text) else { return };
    check_envelope(&envelope);
    assert_eq!(decode(&encode(&envelope)).as_ref(), Ok(&envelope), "decode(encode(m)) == m");
    let encoded = encode_text(&envelope);
    assert_eq!(decode_text(&encoded).as_ref(), Ok(&envelope), "as text, for {encoded}");
    let stripped = Envelope { message: envelope.message.clone().without_tokens(), ..envelope.clone() };
    let value = encode(&stripped);
    assert!(value.get("access").is_none() && value.get("refresh").is_none(), "a token on the storage fallback");
    assert_eq!(decode(&value).as_ref(), Ok(&stripped), "notices round-trip");
    let now = T0 + MIN;
    let epoch = envelope.epoch.unwrap_or(id(200));
    for setup in 0..4 {
        let mut machine = Machine::new(Setup::new(small_config()), TAB, 11);
        let mut checker = Checker::default();
        checker.before(&machine);
        match setup {
            0 => machine.handle_timeout(T0),
            1 => machine.login(T0, epoch, TokenSet::bearer("at", Some("rt"), Some(T0 + 5 * MIN))),
            2 => machine.login(T0, id(201), TokenSet::bearer("at", Some("rt"), Some(T0 + 5 * MIN))),
            _ => {
                machine.login(T0, epoch, TokenSet::default());
                machine.logout(T0 + SEC);
            }
        }
        checker.after(&mut machine);
        checker.before(&machine);
        machine.handle_timeout(now);
        checker.after(&mut machine);
        let before = Observed::of(&machine);
        checker.before(&machine);
        let result = machine.handle_message(now, envelope.clone());
        if result.is_err() {
            assert_eq!(Observed::of(&machine), before, "a rejected message ({result:?}) changed the machine");
            assert!(machine.poll_effect().is_none() && machine.poll_event().is_none(), "a rejected message acted");
        }
        if envelope.from == TAB {
            assert_eq!(result, Err(wasm_session::core::protocol::ProtocolError::FromSelf));
        }
        checker.after(&mut machine);
    }
}

pub(super) fn check_envelope(envelope: &Envelope) {
    assert!(envelope.epoch.is_some() || envelope.message == Message::StateRequest, "{envelope:?}");
    let tokens = match &envelope.message {
        Message::Refreshed { tokens, .. } => tokens,
        Message::Login(snapshot) | Message::StateResponse(snapshot) => &snapshot.tokens,
        Message::SessionExists { snapshot, .. } => {
            assert_eq!(snapshot.tokens, TokenSet::default(), "a notice carries no tokens");
            return;
        }
        _ => return,
    };
    check_secret(&tokens.access_token);
    check_secret(&tokens.refresh_token);
}

/// Stored text (a session as the shell stores `stored_session()`: JSON text),
/// read as the shell reads it (text that is not JSON becomes a value that is
/// not an object) and restored on a fresh tab and on live tabs of the same and
/// another epoch. A rejected session changes nothing; a restored one is
/// stored again and restores in another tab to the same session.
pub fn stored_session(data: &[u8]) {
    let text = text(data);
    let stored = json::parse(&text).unwrap_or(Value::String(text));
    let decoded = decode(&stored);
    let now = T0 + MIN;
    let epoch = decoded.as_ref().ok().and_then(|envelope| envelope.epoch).unwrap_or(id(200));
    for setup in 0..3 {
        let mut machine = Machine::new(Setup::new(small_config()), TAB, 13);
        let mut checker = Checker::default();
        checker.before(&machine);
        match setup {
            0 => machine.handle_timeout(now),
            1 => machine.login(T0 + 10 * SEC, epoch, TokenSet::bearer("at", Some("rt"), Some(T0 + 5 * MIN))),
            _ => machine.login(T0 + 10 * SEC, id(202), TokenSet::bearer("at", None, None)),
        }
        checker.after(&mut machine);
        checker.before(&machine);
        machine.handle_timeout(now);
        checker.after(&mut machine);
        let before = Observed::of(&machine);
        let was_live = machine.state().is_live();
        checker.before(&machine);
        let result = machine.restore(now, &stored);
        match &result {
            Err(_) => {
                assert_eq!(Observed::of(&machine), before, "a rejected session ({result:?}) changed the machine");
                assert!(machine.poll_effect().is_none() && machine.poll_event().is_none(), "a rejected session acted");
            }
            Ok(()) => {
                assert!(decoded.is_ok(), "restored text that does not decode");
                if !was_live {
                    assert!(machine.state().is_live(), "a restored session is live");
                    assert_eq!(machine.epoch(), Some(epoch));
                }
                if setup == 1 && machine.epoch() == Some(epoch) {
                    // Same session: only newer parts are taken.
                    assert!(machine.token_generation() >= before.generation);
                    assert!(machine.idle_deadline() >= before.idle);
                }
            }
        }
        checker.after(&mut machine);
        if result.is_ok() {
            // Restoring the same text again is harmless.
            let before = Observed::of(&machine);
            checker.before(&machine);
            let again = machine.restore(now, &stored);
            checker.after(&mut machine);
            if machine.state().is_live() && again.is_ok() {
                let after = Observed::of(&machine);
                assert_eq!((after.epoch, after.idle, after.generation), (before.epoch, before.idle, before.generation));
            }
        }
    }
}
