//! A tab that resumes asks the other tabs and the server at once: whichever
//! answers first, a live session of another tab is joined, never restarted
//! (`src/core/machine/joining.rs`).

use super::site::{site_setup, Site};
use wasm_session::core::protocol::{ChannelKind, EndReason, Envelope, Message};
use wasm_session::core::*;
use wasm_session_testkit::json;
use wasm_session_testkit::sim::{effects, events, id, sent, test_config, Delay, Knobs, Sim, MIN, SEC};

const T: u64 = 1_700_000_000_000;

/// A lone tab with no session that, at `at`, asks the other tabs and the
/// server (the check would start a session with epoch 50).
fn resuming_machine(at: u64) -> Machine {
    resuming(Machine::new(site_setup(TokenMode::Cookie, StorageChoice::Memory), id(1), 7), at)
}

fn resuming(mut machine: Machine, at: u64) -> Machine {
    machine.request_state(at);
    machine.check_session(at, CheckTrigger::Resume, id(50));
    machine
}

/// The id of the session check the machine sent.
fn session_check_id(machine: &mut Machine) -> u64 {
    let check = effects(machine).into_iter().find_map(|effect| match effect {
        Effect::Fetch { id, purpose: Purpose::SessionCheck, .. } => Some(id),
        _ => None,
    });
    check.expect("a session check")
}

/// The server answers check `check` with "alice is signed in".
fn answer_signed_in(machine: &mut Machine, at: u64, check: u64) {
    answer(machine, at, check, r#"{"signedIn":true,"user":"alice"}"#);
}

fn answer(machine: &mut Machine, at: u64, check: u64, body: &str) {
    let body = json::parse(body).expect("JSON");
    machine.handle_fetch_answer(at, check, FetchAnswer::Response(Response::new(200, Body::Json(body))));
}

fn started(events: &[Event]) -> usize {
    events.iter().filter(|e| matches!(e, Event::Started { .. })).count()
}

/// Tab 0 has had a session for a while; tab 1 resumes. The site answers a
/// request as it is sent, so the server's "signed in" reaches tab 1 before
/// tab 0's state answer, on `channel` in every tab.
fn resume_beside_a_live_tab(channel: ChannelKind) {
    let mut site = Site::new(2, TokenMode::Cookie);
    for tab in 0..2 {
        site.tab(tab).handle_channel_opened(channel);
    }
    site.sign_in(0, "alice");
    site.close(1);
    let (epoch, absolute) = (site.tab(0).epoch(), site.tab(0).absolute_deadline());
    site.advance(5 * MIN);
    site.take_events(0);
    let joining = site.open_tab(StorageChoice::Memory);
    site.tab(joining).handle_channel_opened(channel);
    site.resume(joining);
    assert!(site.sent.contains(&(joining, Purpose::SessionCheck)), "the server was asked");
    site.advance(JOIN_WINDOW_MS + SEC);

    assert_eq!(site.tab(joining).epoch(), epoch, "the new tab joined the live session");
    assert_eq!(site.tab(joining).absolute_deadline(), absolute);
    let events = site.take_events(0);
    assert_eq!(started(&events), 0, "the live tab saw no new session: {events:?}");
    assert_eq!(site.tab(0).epoch(), epoch);
    assert_eq!(site.tab(0).absolute_deadline(), absolute, "opening a tab never extends the session");
    let events = site.take_events(joining);
    assert_eq!(started(&events), 1, "one session, joined: {events:?}");
    assert!(events.contains(&Event::Started { origin: Origin::OtherTab, replaced: false }));
    assert_eq!(site.tab(joining).tokens().and_then(|t| t.identity.user.as_deref()), Some("alice"));
}

#[test]
fn a_resuming_tab_joins_the_live_session_when_the_server_answers_first() {
    resume_beside_a_live_tab(ChannelKind::BroadcastChannel);
}

#[test]
fn a_resuming_tab_joins_the_live_session_over_the_storage_fallback_too() {
    resume_beside_a_live_tab(ChannelKind::Storage);
}

/// The same race with real delays: the other tab's answer takes 160 ms to come
/// back (a busy browser), the server 20 ms.
#[test]
fn a_late_state_answer_inside_the_window_is_still_joined() {
    let knobs = Knobs { message_latency: Delay::fixed(80), server_latency: Delay::fixed(20), ..Knobs::default() };
    let mut sim = Sim::cookie(1, wasm_session_testkit::sim::test_config(), knobs);
    sim.login_cookie(0, 1);
    sim.advance(5 * MIN);
    let (epoch, absolute) = (sim.tab(0).epoch(), sim.tab(0).absolute_deadline());
    sim.take_events(0);
    let joining = sim.add_tab();
    sim.check_session(joining);
    sim.advance(100);
    assert!(sim.tab(joining).held_epoch().is_some(), "the server answered first: its word is held");
    sim.advance(2 * SEC);
    assert_eq!(sim.tab(joining).epoch(), epoch);
    assert_eq!(sim.tab(0).epoch(), epoch);
    assert_eq!(sim.tab(0).absolute_deadline(), absolute);
    assert_eq!(started(&sim.take_events(0)), 0);
    assert_eq!(started(&sim.take_events(joining)), 1);
}

/// A lone tab: the server's "signed in" starts the session when the window
/// ends, not before, and not later.
#[test]
fn a_lone_tab_starts_the_session_when_the_join_window_ends() {
    let mut site = Site::new(1, TokenMode::Cookie);
    site.backend.user = Some("alice".to_owned());
    let asked_at = site.now;
    site.resume(0);
    assert_eq!(site.tab(0).state(), SessionState::Anonymous, "the other tabs may still answer");
    let deadline = site.tab(0).next_deadline();
    assert_eq!(deadline, Some(Deadline { at: asked_at + JOIN_WINDOW_MS, kind: TimerKind::JoinWindow }));
    site.advance(JOIN_WINDOW_MS - 1);
    assert_eq!(site.tab(0).state(), SessionState::Anonymous);
    site.advance(1);
    assert_eq!(site.tab(0).state(), SessionState::Active);
    let lifetime = site.tab(0).config().absolute_timeout_ms;
    assert_eq!(site.tab(0).absolute_deadline(), Some(asked_at + JOIN_WINDOW_MS + lifetime));
    assert_eq!(site.tab(0).tokens().and_then(|t| t.identity.user.as_deref()), Some("alice"));
}

/// The window runs from the question to the tabs: an answer that comes after
/// it starts the session at once.
#[test]
fn a_slow_server_answer_starts_the_session_at_once() {
    let (mut machine, t) = (resuming_machine(T), T);
    let signed_in = SessionCheck::SignedIn { absolute_deadline: None, idle_deadline: None, remember_me: false };
    machine.handle_session_check(t + JOIN_WINDOW_MS, id(50), signed_in);
    assert_eq!(machine.epoch(), Some(id(50)));
}

fn held_then(act: impl FnOnce(&mut Site)) -> Site {
    let mut site = Site::new(1, TokenMode::Cookie);
    site.backend.user = Some("alice".to_owned());
    site.resume(0);
    assert_eq!(site.tab(0).next_deadline().map(|d| d.kind), Some(TimerKind::JoinWindow));
    site.advance(JOIN_WINDOW_MS / 2);
    act(&mut site);
    site.advance(JOIN_WINDOW_MS + SEC);
    site
}

/// A logout in the window logs out of the session the server spoke of: the
/// server is told, and the next `resume()` signs nobody in.
#[test]
fn a_logout_in_the_join_window_ends_the_servers_session() {
    let mut site = held_then(|site| {
        let now = site.now;
        site.tab(0).logout(now);
    });
    assert_eq!(site.tab(0).state(), SessionState::LoggedOut);
    let events = site.take_events(0);
    assert!(events.contains(&Event::LoggedOut { reason: EndReason::User, origin: Origin::Local }), "{events:?}");
    assert_eq!(site.backend.logouts, 1, "the server was told");
    assert_eq!(site.backend.user, None);
    assert_eq!(site.tab(0).next_deadline(), None);
    site.resume(0);
    site.advance(JOIN_WINDOW_MS + SEC);
    assert!(!site.tab(0).state().is_live(), "nothing to resume");
}

/// A login in another tab after this tab asked the server: the server's
/// answer spoke of an older session, so it is neither that login's user nor
/// its deadlines (it would end a fresh login as another user's, or cut it
/// short at the old session's cap).
#[test]
fn a_session_begun_after_the_question_is_joined_without_the_held_answer() {
    let cap = 10 * MIN;
    let (mut machine, t) = (resuming_machine(T), T);
    let check = session_check_id(&mut machine);
    let held = format!(r#"{{"signedIn":true,"user":"alice","absoluteExpiresAt":{}}}"#, t + cap);
    answer(&mut machine, t + 20, check, &held);
    assert_eq!(machine.held_epoch(), Some(id(50)));
    let mut tokens = TokenSet::default();
    tokens.identity.user = Some("bob".to_owned());
    let fresh = Snapshot {
        started_at: t + 40,
        last_activity_at: t + 40,
        tokens,
        generation: 0,
        tokens_received_at: t + 40,
        absolute_cap: None,
        idle_cap: None,
        keepalive_at: None,
        remember_me: false,
    };
    let login = Envelope { from: id(9), epoch: Some(id(60)), message: Message::Login(fresh) };
    assert_eq!(machine.handle_message(t + 50, login), Ok(()));
    assert_eq!(machine.held_epoch(), None, "dropped");
    machine.handle_timeout(t + 50 + JOIN_WINDOW_MS);
    assert_eq!(machine.epoch(), Some(id(60)));
    assert_eq!(machine.state(), SessionState::Active);
    let absolute = machine.absolute_deadline().expect("live");
    assert!(absolute > t + cap, "the fresh login keeps its own lifetime, not the old session's cap");
    let mut events = Vec::new();
    while let Some(event) = machine.poll_event() {
        events.push(event);
    }
    assert!(!events.iter().any(|e| matches!(e, Event::Error { .. })), "no user_changed: {events:?}");
}

/// `resume()` called again and again does not push the window back: the
/// server's word is taken when the first window ends.
#[test]
fn resuming_again_does_not_hold_the_answer_for_ever() {
    let mut site = Site::new(1, TokenMode::Cookie);
    site.backend.user = Some("alice".to_owned());
    for _ in 0..4 {
        site.resume(0);
        site.advance(JOIN_WINDOW_MS * 3 / 4);
    }
    assert!(site.tab(0).state().is_live(), "started when the first window ended");
    assert_eq!(started(&site.take_events(0)), 1);
}

/// The typed answer (`handle_session_check`) drops a held "signed in" too.
#[test]
fn a_signed_out_check_drops_the_held_answer() {
    let (mut machine, t) = (resuming_machine(T), T);
    let signed_in = SessionCheck::SignedIn { absolute_deadline: None, idle_deadline: None, remember_me: false };
    machine.handle_session_check(t + 20, id(50), signed_in);
    assert_eq!(machine.held_epoch(), Some(id(50)));
    machine.handle_session_check(t + 40, id(51), SessionCheck::SignedOut);
    machine.handle_timeout(t + JOIN_WINDOW_MS + 1);
    assert!(!machine.state().is_live());
}

#[test]
fn another_tabs_logout_in_the_join_window_drops_the_held_answer() {
    let mut site = held_then(|site| {
        let now = site.now;
        let message = Message::Logout { reason: EndReason::User };
        let envelope = Envelope { from: id(9), epoch: Some(id(90)), message };
        assert_eq!(site.tab(0).handle_message(now, envelope), Err(ProtocolError::NotJoined));
    });
    assert!(!site.tab(0).state().is_live(), "the answer spoke of the session that ended");
    assert_eq!(started(&site.take_events(0)), 0);
}

#[test]
fn a_start_in_the_join_window_drops_the_held_answer() {
    let mut site = held_then(|site| site.sign_in(0, "alice"));
    let events = site.take_events(0);
    assert_eq!(started(&events), 1, "start()'s session only: {events:?}");
    assert_eq!(site.tab(0).epoch(), Some(id(202)), "the epoch start() drew, not the check's");
}

/// `start()` after the window ended, before its timer fired (a throttled
/// tab): one session, the one `start()` asked for.
#[test]
fn a_start_after_the_window_before_its_timer_starts_one_session() {
    let (mut machine, t) = (resuming_machine(T), T);
    let check = session_check_id(&mut machine);
    answer_signed_in(&mut machine, t + 20, check);
    assert_eq!(machine.held_epoch(), Some(id(50)));
    machine.login(t + JOIN_WINDOW_MS + 50, id(70), TokenSet::default());
    let mut events = Vec::new();
    while let Some(event) = machine.poll_event() {
        events.push(event);
    }
    assert_eq!(started(&events), 1, "{events:?}");
    assert_eq!(machine.epoch(), Some(id(70)));
}

/// A `logout()` while the check is still on its way: its "signed in" speaks
/// of what the user left, and signs nobody in.
/// A logout before the server answers: the session its "signed in" speaks
/// of is the one the user asked to leave, so the server is told (or the next
/// `resume()` would sign the user in again).
#[test]
fn a_logout_before_the_answer_comes_keeps_the_tab_signed_out_and_tells_the_server() {
    let (mut machine, t) = (resuming_machine(T), T);
    let check = session_check_id(&mut machine);
    machine.logout(t + 10);
    answer_signed_in(&mut machine, t + 20, check);
    let told = sent(&effects(&mut machine), Purpose::Logout(EndReason::User));
    assert_eq!(told.len(), 1, "the server was told");
    machine.handle_timeout(t + JOIN_WINDOW_MS + SEC);
    assert_eq!(machine.state(), SessionState::LoggedOut);
    let events = events(&mut machine);
    assert!(events.contains(&Event::LoggedOut { reason: EndReason::User, origin: Origin::Local }), "{events:?}");
}

/// A `logout()` after the session ended here (the app's button still shown)
/// leaves nothing new: a "signed in" to a check sent before that session
/// revives nothing, and no second logout goes to the server.
#[test]
fn a_logout_after_an_end_here_takes_up_no_late_answer() {
    let (mut machine, t) = (resuming_machine(T), T);
    let check = session_check_id(&mut machine);
    machine.login(t + 10, id(70), TokenSet::default());
    machine.logout(t + 20);
    effects(&mut machine);
    events(&mut machine);
    machine.logout(t + 30);
    answer_signed_in(&mut machine, t + 40, check);
    assert!(sent(&effects(&mut machine), Purpose::Logout(EndReason::User)).is_empty(), "told once, at the end");
    assert_eq!(started(&events(&mut machine)), 0);
    assert_eq!(machine.state(), SessionState::LoggedOut);
}

/// A logout asked before any answer came (a `/logout` page that calls
/// `logout()` as it loads, beside an open tab): the session the other tab
/// then answers with is the one the user asked to leave. It ends in every
/// tab and the server is told, whichever answers first, instead of being
/// joined.
#[test]
fn a_logout_before_the_tabs_answer_ends_the_session_they_answer_with() {
    for (message_ms, server_ms) in [(80, 300), (80, 20)] {
        let knobs = Knobs {
            message_latency: Delay::fixed(message_ms),
            server_latency: Delay::fixed(server_ms),
            ..Knobs::default()
        };
        let mut sim = Sim::cookie(1, test_config(), knobs);
        sim.login_cookie(0, 1);
        sim.advance(5 * MIN);
        let joining = sim.add_tab();
        sim.check_session(joining);
        sim.feed(joining, |machine, now| machine.logout(now));
        sim.advance(2 * SEC);
        let seen = format!("server {server_ms} ms: {:?}", sim.take_events(joining));
        assert_eq!(sim.states(), vec![SessionState::LoggedOut; 2], "{seen}");
        assert_eq!(sim.server.logout_calls, vec![EndReason::User], "{seen}");
        assert!(sim.tab(joining).epoch() != sim.tab(0).epoch() || !sim.tab(0).state().is_live());
        sim.check_session(joining);
        sim.advance(2 * SEC);
        assert!(!sim.tab(joining).state().is_live(), "nothing to resume: {seen}");
    }
}

/// A session check sent before `start()` (a page that resumes, then
/// completes a sign-in) and answered after it, "signed out" or for the user
/// before: the answer speaks of what came before, and the fresh session
/// stays, with no `userChanged`.
#[test]
fn a_check_sent_before_start_says_nothing_of_the_new_session() {
    for body in [r#"{"signedIn":false,"user":null}"#, r#"{"signedIn":true,"user":"alice"}"#] {
        let (mut machine, t) = (resuming_machine(T), T);
        let check = session_check_id(&mut machine);
        let mut tokens = TokenSet::default();
        tokens.identity.user = Some("bob".to_owned());
        machine.login(t + 10, id(70), tokens);
        answer(&mut machine, t + 30, check, body);
        machine.handle_timeout(t + JOIN_WINDOW_MS + SEC);
        assert_eq!((machine.state(), machine.epoch()), (SessionState::Active, Some(id(70))), "{body}");
        let events = events(&mut machine);
        let ends = events.iter().filter(|e| matches!(e, Event::Error { .. } | Event::LoggedOut { .. })).count();
        assert_eq!(ends, 0, "{body}: {events:?}");
    }
}

/// A page frozen or asleep through the window: the held answer may speak of
/// a session another tab ended meanwhile (its message missed), so the server
/// is asked again, and its new answer is what counts.
#[test]
fn a_window_slept_through_asks_the_server_again() {
    let (mut machine, t) = (resuming_machine(T), T);
    let check = session_check_id(&mut machine);
    answer_signed_in(&mut machine, t + 20, check);
    machine.handle_timeout(t + 10 * MIN);
    assert!(!machine.state().is_live(), "the old answer started nothing");
    let again = session_check_id(&mut machine);
    assert_ne!(again, check, "a new check went out");
    answer_signed_in(&mut machine, t + 10 * MIN + 30, again);
    assert_eq!(machine.state(), SessionState::Active, "the fresh answer signs in");
    assert_eq!(machine.epoch(), Some(id(50)));
}

#[test]
fn a_later_signed_out_drops_the_held_answer() {
    let mut site = held_then(|site| {
        site.backend.user = None;
        site.resume(0);
    });
    assert!(!site.tab(0).state().is_live(), "the server's later word wins");
    assert_eq!(started(&site.take_events(0)), 0);
}

/// A logout owed to the server, heard in the window: when it ends, the
/// logout is sent again instead of a session starting.
#[test]
fn a_held_answer_defers_to_a_logout_owed_meanwhile() {
    let mut elsewhere = Site::new(1, TokenMode::Cookie);
    elsewhere.sign_in(0, "alice");
    elsewhere.backend.logout_status = 500;
    let now = elsewhere.now;
    elsewhere.tab(0).logout(now);
    elsewhere.pump();
    let owed = elsewhere.local_storage;
    assert!(owed.iter().any(|tombstone| !tombstone.server_told));

    let mut site = held_then(|site| {
        site.local_storage = owed;
        let now = site.now;
        site.tabs[0].machine.handle_tombstones(now, &site.local_storage);
    });
    assert!(!site.tab(0).state().is_live());
    assert_eq!(site.backend.resent, 1, "the owed logout went again");
    assert_eq!(site.backend.user, None);
}

/// A check asked before a session ended here speaks of that session: it is
/// not held, and nothing starts when the window would have ended.
#[test]
fn an_answer_asked_before_a_logout_revives_nothing() {
    let t = T;
    let mut machine = Machine::new(site_setup(TokenMode::Cookie, StorageChoice::Memory), id(1), 7);
    machine.login(t, id(40), TokenSet::default());
    let mut machine = resuming(machine, t + 10);
    let check = session_check_id(&mut machine);
    machine.logout(t + 20);
    answer_signed_in(&mut machine, t + 30, check);
    assert_eq!(machine.next_deadline(), None, "nothing held");
    machine.handle_timeout(t + 10 + JOIN_WINDOW_MS);
    assert_eq!(machine.state(), SessionState::LoggedOut);
}

/// Another tab's logout heard before the server's answer to an earlier check:
/// that answer spoke of the session that ended, and starts nothing.
#[test]
fn an_answer_to_a_check_sent_before_another_tabs_logout_revives_nothing() {
    let (mut machine, t) = (resuming_machine(T), T);
    let check = session_check_id(&mut machine);
    let logout = Envelope { from: id(9), epoch: Some(id(90)), message: Message::Logout { reason: EndReason::User } };
    assert_eq!(machine.handle_message(t + 10, logout), Err(ProtocolError::NotJoined));
    answer_signed_in(&mut machine, t + 20, check);
    assert_eq!(machine.held_epoch(), None, "not held");
    machine.handle_timeout(t + JOIN_WINDOW_MS + SEC);
    assert!(!machine.state().is_live(), "the ended session is not revived");
}

#[test]
fn a_tab_with_no_session_hears_the_words_of_another_quietly() {
    // A joining tab hears the live session's refresh or activity before the
    // answer it asked for (seen in real Chromium): not damage, no error event.
    let mut machine = resuming_machine(T);
    for message in [Message::Activity { at: T }, Message::StaySignedIn { at: T }] {
        let envelope = Envelope { from: id(9), epoch: Some(id(90)), message };
        let rejected = machine.handle_message(T + 10, envelope).unwrap_err();
        assert_eq!(rejected, ProtocolError::NotJoined);
        assert!(rejected.is_expected(), "the shell drops it without an error event");
    }
    assert_eq!(machine.state(), SessionState::Anonymous);
    // A tab with a session of its own still reports another session's words.
    machine.login(T + 20, id(91), TokenSet::default());
    let stranger = Envelope { from: id(9), epoch: Some(id(90)), message: Message::Activity { at: T + 20 } };
    let rejected = machine.handle_message(T + 30, stranger).unwrap_err();
    assert_eq!(rejected, ProtocolError::WrongEpoch);
    assert!(!rejected.is_expected());
}
