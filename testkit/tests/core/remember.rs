//! Issue 14, item 3: remember me. The session outlives the browser on its own
//! lifetimes; the flag travels with the session (tabs, the stored session),
//! in refresh requests, and in the security report.

use wasm_session::core::contract::{read_session_response, read_tokens, session_refresh_request};
use wasm_session::core::security::{self, Page};
use wasm_session::core::*;
use wasm_session_testkit::json::parse;
use wasm_session_testkit::sim::*;

const DAY: u64 = 24 * 60 * MIN;

fn remembered() -> TokenSet {
    TokenSet { remember_me: true, ..TokenSet::default() }
}

fn config(idle: Option<u64>) -> Config {
    Config::from_input(&ConfigInput {
        idle_timeout_ms: Some((10 * MIN) as f64),
        warn_before_ms: Some((60 * SEC) as f64),
        absolute_timeout_ms: Some((120 * MIN) as f64),
        remember_me_absolute_ms: Some((7 * DAY) as f64),
        remember_me_idle_timeout_ms: idle.map(|ms| ms as f64),
        ..ConfigInput::default()
    })
    .expect("valid")
}

#[test]
fn a_remembered_session_has_its_own_lifetime_and_by_default_no_idle_timeout() {
    let mut machine = Machine::new(test_setup(config(None)), id(1), 3);
    machine.login(T0, id(150), remembered());
    assert!(machine.remember_me());
    assert_eq!(machine.absolute_deadline(), Some(T0 + 7 * DAY));
    machine.handle_timeout(T0 + 3 * DAY);
    assert_eq!(machine.state(), SessionState::Active, "days without activity: no idle timeout");
    machine.handle_timeout(T0 + 7 * DAY);
    assert_eq!(machine.end_reason(), Some(EndReason::Absolute));

    let mut plain = Machine::new(test_setup(config(None)), id(1), 3);
    plain.login(T0, id(150), TokenSet::default());
    assert!(!plain.remember_me());
    assert_eq!(plain.absolute_deadline(), Some(T0 + 120 * MIN), "without it, the usual lifetimes");
    plain.handle_timeout(T0 + 10 * MIN);
    assert_eq!(plain.end_reason(), Some(EndReason::Idle));
}

#[test]
fn a_remembered_session_can_have_its_own_idle_timeout() {
    let mut machine = Machine::new(test_setup(config(Some(DAY))), id(1), 3);
    machine.login(T0, id(150), remembered());
    assert_eq!(machine.idle_deadline(), Some(T0 + DAY));
    machine.handle_timeout(T0 + DAY - 60 * SEC);
    assert_eq!(machine.warning().map(|(cause, _)| cause), Some(WarningCause::Idle));
    machine.handle_timeout(T0 + DAY);
    assert_eq!(machine.end_reason(), Some(EndReason::Idle));
}

#[test]
fn every_tab_and_a_reload_know_the_session_is_remembered() {
    let mut sim = Sim::with_config(2, config(None));
    let now = sim.now;
    sim.tab(0).login(now, id(150), remembered());
    sim.pump();
    assert!(sim.tabs.iter().all(|t| t.machine.remember_me()), "the other tab joins it as remembered");
    assert_eq!(sim.tab(1).absolute_deadline(), Some(now + 7 * DAY));
    let stored = sim.tab(0).stored_session().expect("live");
    let mut reloaded = Machine::new(test_setup(config(None)), id(9), 1);
    reloaded.restore(now + DAY, &stored).expect("a day later, it restores");
    assert!(reloaded.remember_me());
    assert_eq!(reloaded.absolute_deadline(), Some(now + 7 * DAY));
}

#[test]
fn after_a_restart_the_servers_remembered_session_comes_back_remembered() {
    let mut machine = Machine::new(sim_setup(config(None), true), id(1), 3);
    machine.check_session(T0, CheckTrigger::Resume, id(160));
    let check = *sent(&effects(&mut machine), Purpose::SessionCheck).first().expect("asked");
    let body = parse(r#"{"signedIn":true,"user":"alice","rememberMe":true,"absoluteExpiresAt":1700086400000}"#);
    let answer = FetchAnswer::Response(Response::new(200, Body::Json(body.expect("json"))));
    machine.handle_fetch_answer(T0, check, answer);
    assert_eq!(machine.state(), SessionState::Active);
    assert!(machine.remember_me());
    assert_eq!(machine.absolute_deadline(), Some(1_700_086_400_000), "the server's deadline, earlier than ours");
}

#[test]
fn the_login_answer_and_session_answers_name_it() {
    let transport = Transport::default();
    for (text, on) in [
        (r#"{"access_token":"a","rememberMe":true}"#, true),
        (r#"{"access_token":"a","remember_me":true}"#, true),
        (r#"{"access_token":"a","rememberMe":"yes"}"#, false),
        (r#"{"access_token":"a"}"#, false),
    ] {
        let tokens = read_tokens(&transport.fields, &parse(text).expect("json"), None, T0, |_| None).expect("tokens");
        assert_eq!(tokens.remember_me, on, "{text}");
    }
    let answer = Response::new(200, Body::Json(parse(r#"{"signedIn":true,"remember_me":true}"#).expect("json")));
    assert!(matches!(read_session_response(&transport, &answer, T0), SessionAnswer::Active { remember_me: true, .. }));
}

#[test]
fn refresh_requests_of_a_remembered_session_carry_the_choice() {
    let transport = Transport { refresh: Some(Endpoint::post("/auth/refresh")), ..Transport::default() };
    let body = |remember| session_refresh_request(&transport, Some("rt"), remember).and_then(|r| r.body);
    assert_eq!(body(true).as_deref(), Some(r#"{"refresh_token":"rt","remember_me":"true"}"#));
    assert_eq!(body(false).as_deref(), Some(r#"{"refresh_token":"rt"}"#));

    let mut machine = Machine::new(sim_setup(config(None), false), id(1), 3);
    let tokens = TokenSet { remember_me: true, ..TokenSet::bearer("at", Some("rt"), Some(T0 + 5 * MIN)) };
    machine.login(T0, id(150), tokens);
    assert!(machine.refresh_now(T0 + MIN));
    let mut requests = Vec::new();
    while let Some(effect) = machine.poll_effect() {
        match effect {
            Effect::AcquireRefreshLock { attempt } => machine.handle_lock_acquired(T0 + MIN, attempt, None),
            Effect::Fetch { purpose: Purpose::Refresh, request, .. } => requests.push(request),
            _ => {}
        }
    }
    let body = requests.first().and_then(|r| r.body.clone()).expect("a refresh request");
    assert!(body.contains(r#""remember_me":"true""#), "{body}");
}

#[test]
fn the_security_report_states_the_trade_off_when_it_is_on() {
    let config = config(None);
    let transport = Transport::default();
    let report = |remember_me| {
        security::report(&security::Setup {
            config: &config,
            transport: &transport,
            storage: StorageChoice::Memory,
            page: Page { protocol: "https:", hostname: "app.example", cookies: "" },
            refresh_token_reused: false,
            remember_me,
        })
    };
    assert!(report(true).iter().any(|f| f.id == "remember_me" && f.message.contains("outlives the browser")));
    assert!(!report(false).iter().any(|f| f.id == "remember_me"));
}

#[test]
fn its_options_are_checked() {
    let input = |idle: f64| ConfigInput { remember_me_idle_timeout_ms: Some(idle), ..ConfigInput::default() };
    let error = Config::from_input(&input(30_000.0)).expect_err("at or under warnBeforeMs");
    assert_eq!(error.kind, ConfigErrorKind::WarningNotBeforeDeadline);
    assert_eq!(Config::from_input(&input(3_600_000.0)).map(|c| c.remember_me_idle_timeout_ms), Ok(Some(3_600_000)));
    assert_eq!(Config::default().remember_me_absolute_ms, Config::DEFAULT_REMEMBER_ME_ABSOLUTE_MS);
    let bad = ConfigInput { remember_me_absolute_ms: Some(-1.0), ..ConfigInput::default() };
    assert!(Config::from_input(&bad).is_err());
}

/// A remembered session's owed logout lasts as long as the session could: the
/// server keeps it for `rememberMeAbsoluteMs`, so a browser reopened the next
/// day (past `absoluteTimeoutMs`) must still send the logout, not sign the
/// user back in. Other tombstones keep to `absoluteTimeoutMs`.
#[test]
fn an_owed_logout_of_a_remembered_session_outlives_the_absolute_timeout() {
    for (tokens, kept_a_day) in [(remembered(), true), (TokenSet::default(), false)] {
        let mut machine = Machine::new(test_setup(config(None)), id(1), 3);
        machine.login(T0, id(150), tokens);
        machine.handle_online(T0, false);
        machine.logout(T0 + MIN);
        let saved = effects(&mut machine)
            .into_iter()
            .filter_map(|effect| match effect {
                Effect::SaveTombstones(tombstones) => Some(tombstones),
                _ => None,
            })
            .next_back()
            .expect("saved");
        assert!(saved.owed(), "offline: owed");
        // The browser is reopened a day later.
        let mut reopened = Machine::new(test_setup(config(None)), id(2), 4);
        reopened.handle_tombstones(T0 + DAY, &saved);
        assert_eq!(reopened.tombstones().owed(), kept_a_day, "remembered: {kept_a_day}");
    }
}
