//! Redirects are never followed: a redirect answer reaches the core as
//! `FetchAnswer::Redirected` and is read by purpose; `session.fetch` asks the
//! browser not to follow one when it carries the session's credential.

use wasm_session::core::contract::fetch_credential;
use wasm_session::core::refresh::RefreshFailure;
use wasm_session::core::*;
use wasm_session_testkit::sim::*;

/// Every endpoint in `mode`, the refresh endpoint in bearer mode.
fn machine(mode: TokenMode) -> Machine {
    let mut machine = Machine::new(every_endpoint(mode, false), id(1), 7);
    machine.handle_timeout(T0);
    machine
}

#[test]
fn a_redirected_refresh_is_a_definitive_failure_and_its_token_goes_nowhere_else() {
    let mut machine = machine(TokenMode::Bearer);
    machine.login(T0, id(200), TokenSet::bearer("at-1", Some("rt-1"), Some(T0 + 5 * MIN)));
    effects(&mut machine);
    let due = machine.refresh_due_at().expect("due");
    machine.handle_timeout(due);
    let attempt = match effects(&mut machine).as_slice() {
        [.., Effect::AcquireRefreshLock { attempt }] => *attempt,
        other => panic!("{other:?}"),
    };
    machine.handle_lock_acquired(due, attempt, None);
    let out = effects(&mut machine);
    assert_eq!(sent(&out, Purpose::Refresh), [attempt]);
    machine.handle_fetch_answer(due, attempt, FetchAnswer::Redirected);
    let seen = events(&mut machine);
    assert!(
        seen.iter().any(|e| matches!(e, Event::RefreshFailed { code: "redirect", definitive: true, .. })),
        "{seen:?}"
    );
    assert_eq!(machine.end_reason(), Some(EndReason::RefreshFailed), "not retried: it would redirect again");
    let after = effects(&mut machine);
    assert!(sent(&after, Purpose::Refresh).is_empty(), "no second refresh request");
    assert!(!RefreshFailure::Redirected.is_retryable());
    assert_eq!(RefreshFailure::Redirected.code(), "redirect");
}

#[test]
fn a_redirected_keepalive_or_session_check_concludes_nothing() {
    let mut machine = machine(TokenMode::Cookie);
    machine.login(T0, id(200), TokenSet::default());
    machine.handle_activity(T0 + 2 * MIN);
    let keepalive = keepalive_sent(&mut machine, T0 + 2 * MIN).expect("a keepalive");
    machine.handle_fetch_answer(T0 + 2 * MIN, keepalive, FetchAnswer::Redirected);
    assert_eq!(machine.state(), SessionState::Active, "a redirect is not a signed-out answer");
    let next = machine.next_deadline().filter(|d| d.kind == TimerKind::Keepalive);
    assert!(next.is_some(), "tried again at the next interval");

    let mut anonymous = self::machine(TokenMode::Cookie);
    anonymous.check_session(T0, CheckTrigger::Resume, id(160));
    let check = *sent(&effects(&mut anonymous), Purpose::SessionCheck).first().expect("asked");
    anonymous.handle_fetch_answer(T0, check, FetchAnswer::Redirected);
    assert_eq!(anonymous.state(), SessionState::Anonymous, "a redirect (to a login page) signs nobody in");
}

#[test]
fn a_redirected_logout_is_reported_as_failed() {
    let mut machine = machine(TokenMode::Bearer);
    machine.login(T0, id(200), TokenSet::bearer("at", Some("rt"), None));
    effects(&mut machine);
    machine.logout(T0 + MIN);
    let ids = sent(&effects(&mut machine), Purpose::Logout(EndReason::User));
    events(&mut machine);
    for id in ids {
        machine.handle_fetch_answer(T0 + MIN, id, FetchAnswer::Redirected);
    }
    assert_eq!(events(&mut machine), [Event::Error { code: ErrorCode::LogoutFailed }]);
}

#[test]
fn session_fetch_does_not_follow_redirects_with_the_credential_unless_the_app_chose() {
    let t = Transport { csrf: None, ..Transport::default() };
    let token = Secret::new("at");
    let with_token = fetch_credential(&t, "GET", &[], false, Some(&token), None);
    assert_eq!(with_token.redirect(false), Some("manual"));
    assert_eq!(with_token.redirect(true), None, "the app's own `redirect` wins");
    // Cookies by the configured `credentials` are a credential too.
    let cookies_only = fetch_credential(&t, "GET", &[], false, None, None);
    assert_eq!(cookies_only.redirect(false), Some("manual"));
    // Nothing of the session's: nothing to protect.
    let omit = Transport { credentials: Credentials::Omit, ..Transport::default() };
    assert_eq!(fetch_credential(&omit, "GET", &[], false, None, None).redirect(false), None);
    let app_credentials = fetch_credential(&t, "GET", &[], true, None, None);
    assert_eq!(app_credentials.redirect(false), None, "the app's own cookies setting, no token");
    let app_authorization = fetch_credential(&t, "GET", &["authorization".into()], true, Some(&token), None);
    assert_eq!(app_authorization.redirect(false), None, "the app's own Authorization");
}
