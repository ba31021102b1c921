//! `Debug` never prints a secret: not the tokens, not the bodies and headers
//! that carry them, not the stored session text. Every value that holds one is
//! formatted here, from a machine driven through login, refresh and logout.

use wasm_session::core::contract::{logout_requests, refresh_request};
use wasm_session::core::*;
use wasm_session_testkit::json;
use wasm_session_testkit::sim::*;

const ACCESS: &str = "SECRET-ACCESS-TOKEN";
const REFRESH: &str = "SECRET-REFRESH-TOKEN";
const FRESH: &str = "SECRET-FRESH-ACCESS";
const CSRF_TOKEN: &str = "SECRET-CSRF";

fn assert_redacted(what: &str, text: &str) {
    for secret in [ACCESS, REFRESH, FRESH, CSRF_TOKEN] {
        assert!(!text.contains(secret), "{what} prints {secret}: {text}");
    }
}

fn transport() -> Transport {
    Transport {
        refresh: Some(Endpoint::post("/auth/refresh")),
        logout: Some(Endpoint::post("/auth/logout")),
        revocation: Some(Endpoint::post("/auth/revoke")),
        csrf: Some(Csrf { header: "X-CSRF-Token".into(), source: CsrfSource::Cookie("csrf".into()) }),
        ..Transport::default()
    }
}

#[test]
fn requests_credentials_answers_and_hook_results_print_no_secret() {
    let t = transport();
    let tokens = TokenSet::bearer(ACCESS, Some(REFRESH), Some(T0 + 10 * MIN));
    let mut refresh = refresh_request(&t, Some(REFRESH)).expect("refresh request");
    refresh.set_csrf_token(Some(CSRF_TOKEN));
    assert!(refresh.body.as_deref().is_some_and(|body| body.contains(REFRESH)), "the body does carry it");
    assert_redacted("Request", &format!("{refresh:?}"));
    for request in logout_requests(&t, &tokens) {
        assert_redacted("logout Request", &format!("{request:?}"));
    }
    let credential = contract::fetch_credential(&t, "POST", &[], false, tokens.access_token.as_ref(), Some(CSRF_TOKEN));
    assert_redacted("Credential", &format!("{credential:?}"));
    let answer = json::parse(&format!(r#"{{"access_token":"{FRESH}","refresh_token":"{REFRESH}"}}"#)).unwrap();
    let response = Response::new(200, Body::Json(answer.clone()));
    assert_redacted("FetchAnswer", &format!("{:?}", FetchAnswer::Response(response)));
    assert_redacted("HookResult", &format!("{:?}", HookResult::Resolved(Some(answer))));
    assert_redacted("TokenSet", &format!("{tokens:?}"));
}

#[test]
fn the_machine_its_effects_events_and_messages_print_no_secret() {
    let setup = Setup { transport: transport(), storage: StorageChoice::Session, ..Setup::new(test_config()) };
    let mut machine = Machine::new(setup, id(1), 7);
    let mut printed = Vec::new();
    // Prints everything that came out; says which refresh attempt asked for the lock.
    let drain = |machine: &mut Machine, printed: &mut Vec<String>| {
        let effects: Vec<Effect> = std::iter::from_fn(|| machine.poll_effect()).collect();
        printed.extend(effects.iter().map(|effect| format!("{effect:?}")));
        printed.extend(std::iter::from_fn(|| machine.poll_event()).map(|event| format!("{event:?}")));
        printed.push(format!("{machine:?}"));
        effects.iter().find_map(|effect| match effect {
            Effect::AcquireRefreshLock { attempt } => Some(*attempt),
            _ => None,
        })
    };
    machine.login(T0, id(200), TokenSet::bearer(ACCESS, Some(REFRESH), Some(T0 + 10 * MIN)));
    drain(&mut machine, &mut printed);
    assert!(printed.iter().any(|text| text.starts_with("Persist")), "the stored session went out: {printed:?}");
    machine.handle_message(T0 + SEC, machine_state_request()).unwrap();
    machine.refresh_now(T0 + 2 * SEC);
    let attempt = drain(&mut machine, &mut printed).expect("a refresh is under way");
    machine.handle_lock_acquired(T0 + 2 * SEC, attempt, None);
    drain(&mut machine, &mut printed);
    let fresh = TokenSet::bearer(FRESH, Some("rotated"), Some(T0 + 20 * MIN));
    machine.handle_refresh_result(T0 + 3 * SEC, attempt, RefreshOutcome::Success(fresh));
    drain(&mut machine, &mut printed);
    machine.logout(T0 + 4 * SEC);
    drain(&mut machine, &mut printed);
    for text in &printed {
        assert_redacted("machine output", text);
    }
    assert!(printed.iter().any(|text| text.contains("Secret(..)")), "tokens are there, as Secret(..)");
}

fn machine_state_request() -> Envelope {
    Envelope { from: id(9), epoch: None, message: Message::StateRequest }
}
