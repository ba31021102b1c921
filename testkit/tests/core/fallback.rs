//! The storage fallback channel (no `BroadcastChannel`): what it carries is
//! written to `localStorage`, so tokens stay off it unless the app keeps the
//! session there anyway; tabs share the session's life and each holds its own
//! access token.

use wasm_session::core::*;
use wasm_session_testkit::json;
use wasm_session_testkit::sim::*;

fn broadcasts(effects: &[Effect]) -> Vec<Envelope> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Broadcast(envelope) => Some(envelope.clone()),
            _ => None,
        })
        .collect()
}

/// Whether a message, as it travels, holds a token.
fn carries_a_token(envelope: &Envelope) -> bool {
    let value = protocol::encode(envelope);
    value.get("access").is_some() || value.get("refresh").is_some()
}

/// A tab on the storage fallback, with a refresh endpoint, `storage` as given.
fn tab(n: u8, storage: StorageChoice) -> Machine {
    let transport = Transport { refresh: Some(Endpoint::post("/auth/refresh")), ..Transport::default() };
    let mut machine = Machine::new(Setup { transport, storage, ..Setup::new(test_config()) }, id(n), u64::from(n));
    machine.handle_channel_opened(ChannelKind::Storage);
    machine.handle_timeout(T0);
    machine
}

#[test]
fn no_token_is_written_to_the_fallback_channel() {
    let mut a = tab(1, StorageChoice::Memory);
    assert!(!a.channel_carries_tokens());
    a.login(T0, id(200), TokenSet::bearer("at-1", Some("rt-1"), Some(T0 + 5 * MIN)));
    a.handle_message(T0 + SEC, Envelope { from: id(2), epoch: None, message: Message::StateRequest }).unwrap();
    let mut sent = broadcasts(&effects(&mut a));
    // A refresh, as the endpoint answers it.
    let due = a.refresh_due_at().expect("due");
    a.handle_timeout(due);
    let attempt = match effects(&mut a).as_slice() {
        [.., Effect::AcquireRefreshLock { attempt }] => *attempt,
        other => panic!("{other:?}"),
    };
    a.handle_lock_acquired(due, attempt, None);
    effects(&mut a);
    let fresh = TokenSet::bearer("at-2", Some("rt-2"), Some(due + 5 * MIN));
    a.handle_refresh_result(due, attempt, RefreshOutcome::Success(fresh));
    sent.extend(broadcasts(&effects(&mut a)));
    let kinds: Vec<&Message> = sent.iter().map(|e| &e.message).collect();
    assert!(matches!(
        kinds.as_slice(),
        [
            Message::SessionExists { login: true, refresh_token_held: true, .. },
            Message::SessionExists { login: false, refresh_token_held: true, .. },
            Message::TokensChanged { generation: 1, .. },
        ]
    ));
    assert!(sent.iter().all(|e| !carries_a_token(e)), "{sent:?}");
    // The session itself is unchanged here.
    assert_eq!(a.access_token(), Some("at-2"));
}

#[test]
fn only_a_broadcast_channel_carries_tokens() {
    let mut private = tab(1, StorageChoice::Memory);
    private.handle_channel_opened(ChannelKind::BroadcastChannel);
    assert!(private.channel_carries_tokens());
    private.login(T0, id(200), TokenSet::bearer("at", Some("rt"), None));
    assert!(broadcasts(&effects(&mut private)).iter().any(carries_a_token));
    // Not even with `storage: "local"`: the storage fallback never carries them.
    let mut local = tab(2, StorageChoice::Local);
    assert!(!local.channel_carries_tokens());
    local.login(T0, id(201), TokenSet::bearer("at", Some("rt"), None));
    assert!(!broadcasts(&effects(&mut local)).iter().any(carries_a_token));
    // `storage: "session"` is per tab: the fallback still carries none.
    assert!(!tab(3, StorageChoice::Session).channel_carries_tokens());
    // A machine never told carries them (the simulator, a BroadcastChannel).
    assert!(Machine::new(test_setup(test_config()), id(4), 4).channel_carries_tokens());
}

#[test]
fn hearing_that_another_tab_refreshed_forgets_a_refresh_token_that_may_have_rotated() {
    let mut b = tab(2, StorageChoice::Session);
    b.login(T0, id(200), TokenSet::bearer("at-1", Some("rt-1"), Some(T0 + 60 * MIN)));
    effects(&mut b);
    let heard = |generation| Envelope {
        from: id(1),
        epoch: Some(id(200)),
        message: Message::TokensChanged { generation, received_at: T0 },
    };
    b.handle_message(T0 + SEC, heard(0)).unwrap();
    assert_eq!(b.tokens().and_then(|t| t.refresh_token.clone()), Some(Secret::new("rt-1")), "not newer: kept");
    b.handle_message(T0 + SEC, heard(1)).unwrap();
    assert_eq!(b.tokens().and_then(|t| t.refresh_token.clone()), None, "never presented again");
    assert_eq!(b.access_token(), Some("at-1"), "the access token is still ours to use");
    assert_eq!(b.token_generation(), Some(0), "ours did not change: a 401 is not retried with it as newer");
    let foreign = Envelope {
        from: id(1),
        epoch: Some(id(99)),
        message: Message::TokensChanged { generation: 5, received_at: T0 },
    };
    assert_eq!(b.handle_message(T0 + SEC, foreign), Err(ProtocolError::WrongEpoch));
}

#[test]
fn hearing_of_a_session_joins_it_without_tokens_and_refreshes_for_its_own() {
    let snapshot = Snapshot {
        started_at: T0,
        last_activity_at: T0 + 10 * SEC,
        tokens: TokenSet::default(),
        generation: 3,
        tokens_received_at: T0,
        absolute_cap: None,
        idle_cap: None,
        keepalive_at: None,
        remember_me: false,
    };
    let notice = |refresh_token_held| Envelope {
        from: id(1),
        epoch: Some(id(200)),
        message: Message::SessionExists { login: false, snapshot: snapshot.clone(), refresh_token_held },
    };
    // The refresh token rides in a cookie: join, then refresh for an access token.
    let mut b = tab(2, StorageChoice::Memory);
    b.handle_message(T0 + 20 * SEC, notice(false)).unwrap();
    assert_eq!(b.state(), SessionState::Active);
    assert_eq!(b.epoch(), Some(id(200)));
    assert_eq!(b.idle_deadline(), Some(T0 + 10 * SEC + 10 * MIN), "the session's activity travels");
    assert_eq!(b.access_token(), None);
    assert!(b.refresh_in_flight(), "asks for a token of its own");
    // Heard again: only the activity is taken.
    let later = Envelope {
        message: Message::SessionExists {
            login: false,
            snapshot: Snapshot { last_activity_at: T0 + 30 * SEC, ..snapshot.clone() },
            refresh_token_held: false,
        },
        ..notice(false)
    };
    b.handle_message(T0 + 40 * SEC, later).unwrap();
    assert_eq!(b.idle_deadline(), Some(T0 + 30 * SEC + 10 * MIN));

    // The refresh token lives in the sender's memory: this tab could never
    // refresh, so it stays out rather than fail (and end every tab) later.
    let mut c = tab(3, StorageChoice::Memory);
    c.handle_message(T0 + 20 * SEC, notice(true)).unwrap();
    assert_eq!(c.state(), SessionState::Anonymous);
    assert!(effects(&mut c).is_empty());

    // An ended session is not revived by a notice either.
    let mut d = tab(4, StorageChoice::Memory);
    d.login(T0, id(200), TokenSet::default());
    d.logout(T0 + SEC);
    assert_eq!(d.handle_message(T0 + 20 * SEC, notice(false)), Err(ProtocolError::EndedEpoch));
    assert_eq!(d.state(), SessionState::LoggedOut);
}

#[test]
fn two_tabs_on_the_fallback_share_logout_and_activity() {
    let mut a = tab(1, StorageChoice::Memory);
    let mut b = tab(2, StorageChoice::Memory);
    let deliver = |from: &mut Machine, to: &mut Machine, now: u64| {
        for envelope in broadcasts(&effects(from)) {
            assert!(!carries_a_token(&envelope));
            let decoded = json::decode_text(&json::encode_text(&envelope)).expect("the wire form decodes");
            let _ = to.handle_message(now, decoded);
        }
    };
    a.login(T0, id(200), TokenSet::bearer("at", None, Some(T0 + 60 * MIN)));
    deliver(&mut a, &mut b, T0);
    assert_eq!(b.epoch(), Some(id(200)), "joined by the notice");
    a.handle_activity(T0 + 3 * MIN);
    deliver(&mut a, &mut b, T0 + 3 * MIN);
    assert_eq!(b.idle_deadline(), a.idle_deadline());
    a.logout(T0 + 4 * MIN);
    deliver(&mut a, &mut b, T0 + 4 * MIN);
    assert_eq!(b.state(), SessionState::LoggedOut);
    assert_eq!(b.end_reason(), Some(EndReason::OtherTab));
}
