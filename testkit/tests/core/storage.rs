//! The stored session (`storage: "session" | "local"`): written while live,
//! resumed after a reload, and as untrusted as a cross-tab message.
use wasm_session::core::*;
use wasm_session_testkit::json;
use wasm_session_testkit::sim::*;

fn logged_in() -> Machine {
    let mut machine = Machine::new(test_setup(test_config()), id(1), 7);
    machine.login(T0, id(200), TokenSet::bearer("at", Some("rt"), Some(T0 + 60 * MIN)));
    machine
}

#[test]
fn a_reloaded_page_resumes_the_stored_session_with_its_deadlines() {
    let mut before = logged_in();
    before.handle_activity(T0 + 3 * MIN);
    let stored = before.stored_session().expect("a live session is stored");
    let mut after = Machine::new(test_setup(test_config()), id(2), 9);
    after.restore(T0 + 4 * MIN, &stored).unwrap();
    assert_eq!(after.state(), SessionState::Active);
    assert_eq!(after.epoch(), Some(id(200)));
    assert_eq!(after.access_token(), Some("at"));
    assert_eq!(after.idle_deadline(), before.idle_deadline(), "idle time counts from the last activity");
    assert_eq!(after.absolute_deadline(), Some(T0 + 120 * MIN), "a reload never extends the absolute timeout");
    assert!(events(&mut after).contains(&Event::Started { origin: Origin::Local, replaced: false }));
}

#[test]
fn the_stored_version_changes_with_activity_and_tokens_only() {
    let mut machine = Machine::new(test_setup(test_config()), id(1), 7);
    assert_eq!(machine.storage_version(), None);
    assert_eq!(machine.stored_session(), None);
    machine.login(T0, id(200), TokenSet::bearer("at", Some("rt"), None));
    let first = machine.storage_version();
    machine.handle_timeout(T0 + SEC);
    assert_eq!(machine.storage_version(), first, "time passing alone writes nothing");
    machine.handle_activity(T0 + 2 * SEC);
    assert_ne!(machine.storage_version(), first);
    machine.logout(T0 + 3 * SEC);
    assert_eq!(machine.storage_version(), None, "an ended session is not stored");
}

#[test]
fn an_expired_ended_or_unusable_stored_session_is_rejected() {
    let stored = logged_in().stored_session().unwrap();
    let mut late = Machine::new(test_setup(test_config()), id(2), 9);
    assert_eq!(late.restore(T0 + 11 * MIN, &stored), Err(ProtocolError::StaleSnapshot), "idle time passed");
    assert_eq!(late.state(), SessionState::Anonymous);

    let mut ended = logged_in();
    ended.logout(T0 + SEC);
    assert_eq!(ended.restore(T0 + 2 * SEC, &stored), Err(ProtocolError::EndedEpoch));
    assert_eq!(ended.state(), SessionState::LoggedOut);

    let mut fresh = Machine::new(test_setup(test_config()), id(2), 9);
    let half = match &stored {
        Value::Object(members) => Value::Object(members[..members.len() / 2].to_vec()),
        _ => panic!("stored as an object"),
    };
    for junk in ["null", "{}", "[1]", "{\"v\":1,\"kind\":\"logout\"}", &json::to_text(&half)] {
        assert!(fresh.restore(T0, &json::parse(junk).unwrap()).is_err(), "{junk}");
    }
    let logout = r#"{"v":1,"kind":"logout","from":"01010101010101010101010101010101","epoch":"c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8c8","reason":"user"}"#;
    assert!(fresh.restore(T0, &json::parse(logout).unwrap()).is_err(), "only a session snapshot restores");
    assert_eq!(fresh.state(), SessionState::Anonymous);
}

#[test]
fn a_stored_session_older_than_the_live_one_does_not_replace_it() {
    let stored = logged_in().stored_session().unwrap();
    let mut machine = Machine::new(test_setup(test_config()), id(2), 9);
    machine.login(T0 + MIN, id(201), TokenSet::bearer("newer", None, None));
    machine.restore(T0 + 2 * MIN, &stored).unwrap();
    assert_eq!(machine.epoch(), Some(id(201)));
    assert_eq!(machine.access_token(), Some("newer"));
}

fn persisted(effects: &[Effect]) -> Vec<&Value> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Persist(stored) => Some(&stored.0),
            _ => None,
        })
        .collect()
}

#[test]
fn the_machine_persists_the_live_session_when_it_changes_and_wipes_it_at_the_end() {
    let setup = Setup { storage: StorageChoice::Session, ..test_setup(test_config()) };
    let mut machine = Machine::new(setup, id(1), 7);
    machine.login(T0, id(200), TokenSet::bearer("at", Some("rt"), None));
    let out = effects(&mut machine);
    assert_eq!(persisted(&out), [&machine.stored_session().expect("live")], "written after the login");
    assert!(matches!(out.last(), Some(Effect::Persist(_))), "after the other effects");
    machine.handle_timeout(T0 + SEC);
    assert!(persisted(&effects(&mut machine)).is_empty(), "time passing alone writes nothing");
    machine.handle_activity(T0 + 2 * SEC);
    let out = effects(&mut machine);
    assert_eq!(persisted(&out).len(), 1, "activity moves the idle deadline a reload must keep");
    let mut reloaded = Machine::new(test_setup(test_config()), id(2), 9);
    reloaded.restore(T0 + 3 * SEC, persisted(&out)[0]).expect("what is persisted restores");
    assert_eq!(reloaded.idle_deadline(), machine.idle_deadline());
    machine.logout(T0 + 4 * SEC);
    let out = effects(&mut machine);
    assert!(out.contains(&Effect::WipeStorage));
    assert!(persisted(&out).is_empty(), "an ended session is not written");
    machine.login(T0 + 5 * SEC, id(201), TokenSet::default());
    assert_eq!(persisted(&effects(&mut machine)).len(), 1, "a new session is written again");
}

#[test]
fn with_memory_storage_nothing_is_persisted() {
    let mut machine = logged_in();
    machine.handle_activity(T0 + MIN);
    let out = effects(&mut machine);
    assert!(persisted(&out).is_empty(), "{out:?}");
    machine.logout(T0 + 2 * MIN);
    assert!(effects(&mut machine).contains(&Effect::WipeStorage), "wiping is harmless and always asked");
}
