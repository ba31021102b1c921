//! Identity is part of the session (issue 12, finding 4): the user a session
//! is for is read from every answer, learned, shared with the other tabs and
//! stored, and an answer for somebody else ends the session in every tab as
//! `userChanged`, reported once.

use super::site::{jwt, site_setup, Site};
use wasm_session::core::contract::encodings::jwt_subject;
use wasm_session::core::contract::{read_refresh_response, read_session_response, read_tokens};
use wasm_session::core::*;
use wasm_session_testkit::json;
use wasm_session_testkit::sim::{id, MIN, SEC, T0};

fn ended_by_user_change(site: &mut Site, saw_it: usize) {
    for tab in 0..site.tabs.len() {
        assert_eq!(site.tab(tab).end_reason(), Some(EndReason::UserChanged), "tab {tab}");
        assert_eq!(site.tab(tab).access_token(), None, "tab {tab} holds no token of either user");
        let events = site.take_events(tab);
        let origin = if tab == saw_it { Origin::Server } else { Origin::OtherTab };
        assert!(events.contains(&Event::LoggedOut { reason: EndReason::UserChanged, origin }), "tab {tab}: {events:?}");
        let reports = events.iter().filter(|e| **e == Event::Error { code: ErrorCode::UserChanged }).count();
        assert_eq!(reports, usize::from(tab == saw_it), "tab {tab}: reported once, by the tab that saw it");
    }
    assert!(
        !site.sent.iter().any(|(_, p)| matches!(p, Purpose::Logout(_))),
        "a logout would end the new user's session"
    );
    assert!(site.local_storage.iter().all(|t| t.server_told && t.reason == EndReason::UserChanged));
}

#[test]
fn a_session_check_answering_for_another_user_ends_every_tab() {
    let mut site = Site::new(3, TokenMode::Cookie);
    site.sign_in(0, "alice");
    for tab in 0..3 {
        assert_eq!(site.tab(tab).tokens().map(|t| t.identity.user.as_deref()), Some(Some("alice")), "tab {tab}");
        site.take_events(tab);
    }
    // A second login in another window, or a login CSRF: the cookie is bob's now.
    site.backend.user = Some("bob".to_owned());
    site.advance(2 * MIN);
    site.wake(1);
    ended_by_user_change(&mut site, 1);
    assert_eq!(site.backend.user.as_deref(), Some("bob"), "bob's session is left alone");
    // A wake does not start bob's session; an explicit resume does.
    site.advance(2 * MIN);
    site.wake(2);
    assert_eq!(site.tab(2).state(), SessionState::LoggedOut);
    site.resume(2);
    // No tab has a session to answer with: the server's word starts one
    // once the join window is over.
    site.advance(JOIN_WINDOW_MS);
    assert_eq!(site.states(), vec![SessionState::Active; 3]);
    assert_eq!(site.tab(0).tokens().and_then(|t| t.identity.user.clone()).as_deref(), Some("bob"));
}

#[test]
fn a_keepalive_answering_for_another_user_ends_every_tab() {
    let mut site = Site::new(2, TokenMode::Cookie);
    site.sign_in(0, "alice");
    site.take_events(0);
    site.take_events(1);
    site.backend.user = Some("bob".to_owned());
    site.advance(10 * SEC);
    let now = site.now;
    site.tab(0).handle_activity(now);
    site.pump();
    site.advance(MIN);
    assert!(site.sent.iter().any(|(_, p)| *p == Purpose::Keepalive), "a keepalive went out");
    ended_by_user_change(&mut site, 0);
}

#[test]
fn a_refresh_answering_for_another_user_ends_every_tab_and_its_tokens_are_never_taken() {
    let mut site = Site::new(3, TokenMode::Bearer);
    site.sign_in(0, "alice");
    for tab in 0..3 {
        let identity = site.tab(tab).tokens().map(|t| t.identity.clone()).expect("live");
        assert_eq!(identity, Identity { user: Some("alice".into()), sub: Some("alice".into()) }, "tab {tab}");
        site.take_events(tab);
    }
    site.backend.user = Some("bob".to_owned());
    site.advance(5 * MIN);
    assert!(site.sent.iter().any(|(_, p)| *p == Purpose::Refresh));
    let saw_it = site.sent.iter().find(|(_, p)| *p == Purpose::Refresh).map(|(tab, _)| *tab).expect("one refreshed");
    ended_by_user_change(&mut site, saw_it);
    for tab in 0..3 {
        assert!(!site.take_events(tab).iter().any(|e| matches!(e, Event::Refreshed { .. })), "tab {tab}");
    }
}

/// A bearer machine signed in with `login` (a token answer), its refresh request out.
fn refreshing(login: &str) -> (Machine, u64) {
    let setup = site_setup(TokenMode::Bearer, StorageChoice::Memory);
    let transport = setup.transport.clone();
    let mut machine = Machine::new(setup, id(1), 7);
    let tokens =
        read_tokens(&transport.fields, &json::parse(login).expect("JSON"), None, T0, json::parse_ok).expect("tokens");
    machine.login(T0, id(200), tokens);
    let due = machine.refresh_due_at().expect("due");
    machine.handle_timeout(due);
    let attempt = std::iter::from_fn(|| machine.poll_effect())
        .find_map(|e| match e {
            Effect::AcquireRefreshLock { attempt } => Some(attempt),
            _ => None,
        })
        .expect("asked for the lock");
    machine.handle_lock_acquired(due, attempt, None);
    std::iter::from_fn(|| machine.poll_effect()).for_each(drop);
    (machine, attempt)
}

fn answer(body: &str) -> FetchAnswer {
    FetchAnswer::Response(Response::new(200, Body::Json(json::parse(body).expect("JSON"))))
}

#[test]
fn the_jwt_sub_alone_or_the_user_field_alone_tells_a_change() {
    let exp = T0 / 1000 + 300;
    // Only the JWT `sub` names the user.
    let (mut machine, attempt) = refreshing(&format!(r#"{{"access_token":"{}","expires_in":300}}"#, jwt("u-1", exp)));
    machine.handle_fetch_answer(T0 + 5 * MIN, attempt, answer(&format!(r#"{{"access_token":"{}"}}"#, jwt("u-2", exp))));
    assert_eq!(machine.end_reason(), Some(EndReason::UserChanged));
    // Only the `user` field does (opaque tokens).
    let (mut machine, attempt) = refreshing(r#"{"access_token":"opaque","expires_in":300,"user":{"id":7}}"#);
    machine.handle_fetch_answer(T0 + 5 * MIN, attempt, answer(r#"{"access_token":"opaque2","user":{"id":8}}"#));
    assert_eq!(machine.end_reason(), Some(EndReason::UserChanged));
    // The same user, as an object or as text, and names the answer leaves out: no change.
    let (mut machine, attempt) = refreshing(r#"{"access_token":"opaque","expires_in":300,"user":{"id":7}}"#);
    machine.handle_fetch_answer(T0 + 5 * MIN, attempt, answer(r#"{"access_token":"opaque2","user":"7"}"#));
    assert_eq!(machine.state(), SessionState::Active);
    let (mut machine, attempt) = refreshing(r#"{"access_token":"opaque","expires_in":300,"user":"7"}"#);
    machine.handle_fetch_answer(T0 + 5 * MIN, attempt, answer(&format!(r#"{{"access_token":"{}"}}"#, jwt("x", exp))));
    assert_eq!(machine.state(), SessionState::Active, "a `sub` not known before is learned, not a change");
    let identity = machine.tokens().map(|t| t.identity.clone()).expect("live");
    assert_eq!(identity, Identity { user: Some("7".into()), sub: Some("x".into()) });
    // Exact: case matters.
    let (mut machine, attempt) = refreshing(r#"{"access_token":"opaque","expires_in":300,"user":"Alice"}"#);
    machine.handle_fetch_answer(T0 + 5 * MIN, attempt, answer(r#"{"access_token":"opaque2","user":"alice"}"#));
    assert_eq!(machine.end_reason(), Some(EndReason::UserChanged));
}

#[test]
fn a_user_learned_in_one_tab_is_shared_so_another_tab_cannot_learn_somebody_else() {
    let mut site = Site::new(2, TokenMode::Cookie);
    site.backend.user = Some("alice".to_owned());
    // start() without a login answer (cookie mode): nobody named yet.
    let (now, epoch) = (site.now, site.fresh_epoch());
    site.tab(0).login(now, epoch, TokenSet::default());
    site.pump();
    assert_eq!(site.tab(1).tokens().map(|t| t.identity.clone()), Some(Identity::default()));
    site.advance(2 * MIN);
    site.wake(0);
    for tab in 0..2 {
        let user = site.tab(tab).tokens().and_then(|t| t.identity.user.clone());
        assert_eq!(user.as_deref(), Some("alice"), "tab {tab} knows alice now");
        site.take_events(tab);
    }
    site.backend.user = Some("bob".to_owned());
    site.advance(2 * MIN);
    site.wake(1);
    ended_by_user_change(&mut site, 1);
}

#[test]
fn the_user_travels_in_messages_and_the_stored_session() {
    let mut site = Site::new(1, TokenMode::Bearer);
    let keeper = site.open_tab(StorageChoice::Session);
    site.sign_in(0, "alice");
    let stored = site.tabs[keeper].stored.clone().expect("stored");
    let text = json::to_text(&stored);
    assert!(text.contains(r#""user":"alice""#) && text.contains(r#""sub":"alice""#), "{text}");
    let mut reloaded = Machine::new(site_setup(TokenMode::Bearer, StorageChoice::Session), id(9), 1);
    reloaded.restore(site.now, &stored).expect("restores");
    let identity = reloaded.tokens().map(|t| t.identity.clone()).expect("live");
    assert_eq!(identity, Identity { user: Some("alice".into()), sub: Some("alice".into()) });

    // A `refreshed` message with another user's tokens ends the session here too.
    let epoch = reloaded.epoch().expect("live");
    let mut tokens = TokenSet::bearer("bobs", None, None);
    tokens.identity.user = Some("bob".into());
    let message = Message::Refreshed { tokens, generation: 9, received_at: site.now };
    reloaded.handle_message(site.now, Envelope { from: id(3), epoch: Some(epoch), message }).expect("taken");
    assert_eq!(reloaded.end_reason(), Some(EndReason::UserChanged));
    assert_eq!(reloaded.access_token(), None);
}

#[test]
fn user_names_on_the_wire_are_bounded() {
    let long = "u".repeat(MAX_USER_LEN_PLUS_ONE);
    for field in ["user", "sub"] {
        let text = format!(
            r#"{{"v":1,"kind":"stateResponse","from":"01010101010101010101010101010101","epoch":"02020202020202020202020202020202","startedAt":1,"lastActivityAt":1,"generation":0,"receivedAt":1,"{field}":"{long}"}}"#
        );
        let decode = |text: &str| protocol::decode(&json::parse(text).expect("JSON"));
        assert!(matches!(decode(&text), Err(ProtocolError::BadField(_))), "{field}");
        let empty = text.replace(&long, "");
        assert!(matches!(decode(&empty), Err(ProtocolError::BadField(_))), "{field} empty");
        let ok = text.replace(&long, "u");
        assert!(decode(&ok).is_ok(), "{field}");
    }
    // An answer with an over-long name names nobody (no change, nothing learned).
    let body = json::parse(&format!(r#"{{"access_token":"a","user":"{long}"}}"#)).expect("JSON");
    let tokens = read_tokens(&FieldNames::default(), &body, None, T0, json::parse_ok).expect("still tokens");
    assert_eq!(tokens.identity, Identity::default());
}

const MAX_USER_LEN_PLUS_ONE: usize = identity::MAX_USER_LEN + 1;

#[test]
fn the_jwt_subject_is_read_unverified_and_bounded() {
    let subject = |token: &str| jwt_subject(token, json::parse_ok);
    assert_eq!(subject(&jwt("alice", 1)).as_deref(), Some("alice"));
    assert_eq!(subject("opaque"), None);
    assert_eq!(subject(&jwt(&"s".repeat(identity::MAX_USER_LEN + 1), 1)), None);
    assert_eq!(subject(&jwt("", 1)), None);
    let numeric = jwt("x", 1).replace(
        &jwt("x", 1).split('.').nth(1).expect("payload").to_owned(),
        "eyJzdWIiOjQyfQ", // {"sub":42}
    );
    assert_eq!(subject(&numeric), None, "a sub must be a string");
}

#[test]
fn the_user_field_is_configurable_for_token_and_session_answers() {
    let options = json::parse(r#"{"responseFields":{"user":"account"},"endpoints":{"session":"/s"}}"#).expect("JSON");
    let transport = options::read(&options).expect("valid").endpoints;
    assert_eq!(transport.fields.user, "account");
    let body = json::parse(r#"{"access_token":"a","account":"carol","user":"ignored"}"#).expect("JSON");
    let tokens = read_tokens(&transport.fields, &body, None, T0, json::parse_ok).expect("tokens");
    assert_eq!(tokens.identity.user.as_deref(), Some("carol"));
    let session = Response::new(200, Body::Json(json::parse(r#"{"account":{"id":"carol"}}"#).expect("JSON")));
    assert!(
        matches!(read_session_response(&transport, &session, T0), SessionAnswer::Active { user: Some(u), .. } if u == "carol")
    );
    let signed_out = Response::new(200, Body::Json(json::parse(r#"{"account":null}"#).expect("JSON")));
    assert_eq!(read_session_response(&transport, &signed_out, T0), SessionAnswer::SignedOut);
    let refresh =
        Response::new(200, Body::Json(json::parse(r#"{"access_token":"b","account":"dave"}"#).expect("JSON")));
    match read_refresh_response(&transport, &refresh, T0, json::parse_ok) {
        RefreshOutcome::Success(tokens) => assert_eq!(tokens.identity.user.as_deref(), Some("dave")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_user_travels_in_the_token_free_notices_of_the_storage_fallback() {
    let mut tokens = TokenSet::bearer("secret", Some("rt"), None);
    tokens.identity = Identity { user: Some("alice".into()), sub: Some("u-1".into()) };
    let (started_at, last_activity_at, tokens_received_at) = (T0, T0, T0);
    let snapshot = Snapshot {
        started_at,
        last_activity_at,
        tokens,
        generation: 0,
        tokens_received_at,
        absolute_cap: None,
        idle_cap: None,
        keepalive_at: None,
        remember_me: false,
    };
    let notice = Message::Login(snapshot).without_tokens();
    let envelope = Envelope { from: id(3), epoch: Some(id(4)), message: notice };
    let text = json::to_text(&protocol::encode(&envelope));
    assert!(!text.contains("secret") && !text.contains("\"rt\""), "no token: {text}");
    let Ok(Envelope { message: Message::SessionExists { snapshot, .. }, .. }) =
        protocol::decode(&json::parse(&text).expect("JSON"))
    else {
        panic!("a notice")
    };
    assert_eq!(snapshot.tokens.identity, Identity { user: Some("alice".into()), sub: Some("u-1".into()) });
    assert_eq!(snapshot.tokens.access_token, None);
}
