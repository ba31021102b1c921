//! What outlives a session (issue 14, items 4 and 5): the kept record of a
//! timed-out session, restored to the same user's next sign-in and wiped by a
//! different user, a logout or the end of its window; and the monitoring
//! records, queued without a token, a user id or a URL.

use super::site::{site_setup, Site};
use wasm_session::core::monitor::{self, Queue, MAX_QUEUED};
use wasm_session::core::reconstitute::Kept;
use wasm_session::core::*;
use wasm_session_testkit::json;
use wasm_session_testkit::sim::{MIN, SEC};

const WINDOW: u64 = 30 * MIN;
const IDLE: u64 = 10 * MIN;

fn site(tabs: usize, mode: TokenMode) -> Site {
    let mut site = Site::new(0, mode);
    for _ in 0..tabs {
        let mut setup = site_setup(mode, StorageChoice::Memory);
        setup.config.reconstitute_for_ms = Some(WINDOW);
        site.open_tab_with(setup);
    }
    site
}

fn value(text: &str) -> Value {
    json::parse(text).expect("test JSON")
}

fn set_state(site: &mut Site, tab: usize, text: &str) {
    let now = site.now;
    site.tab(tab).set_restore_state(now, Some(value(text)));
    site.pump();
}

/// `user` signs in, `tab` sets a restore state, and every tab times out.
fn expire_with_state(site: &mut Site, user: &str, tab: usize) {
    site.sign_in(0, user);
    set_state(site, tab, r#"{"route":"/orders/7","draft":"half a sentence"}"#);
    site.advance(IDLE + SEC);
    assert!(site.states().iter().all(|s| *s == SessionState::Expired), "{:?}", site.states());
    assert!(site.kept.is_some(), "the timeout kept a record");
}

#[test]
fn the_same_user_signing_in_again_gets_the_state_back_once_in_any_tab() {
    let mut site = site(2, TokenMode::Bearer);
    // The state was set in tab 1; the user signs in again in tab 0.
    expire_with_state(&mut site, "alice", 1);
    let kept = site.kept.clone().expect("kept");
    assert_eq!(kept.identity, Identity { user: Some("alice".into()), sub: Some("alice".into()) });
    assert_eq!(kept.until, site.now - SEC + WINDOW, "kept for the window from the expiry");
    site.advance(5 * MIN);
    site.sign_in(0, "alice");
    assert_eq!(site.tab(0).take_restored_state(), Some(value(r#"{"route":"/orders/7","draft":"half a sentence"}"#)));
    assert_eq!(site.tab(0).take_restored_state(), None, "taken once");
    assert_eq!(site.tab(1).take_restored_state(), None, "the other tab joins; the state is the signing-in tab's");
    assert_eq!(site.kept, None, "consumed: never restored twice");
    // A later timeout without a new state keeps nothing.
    site.advance(IDLE + SEC);
    assert_eq!(site.kept, None);
}

#[test]
fn another_user_signing_in_restores_nothing_and_wipes_the_record() {
    let mut site = site(2, TokenMode::Bearer);
    expire_with_state(&mut site, "alice", 0);
    site.sign_in(1, "bob");
    assert_eq!(site.tab(1).take_restored_state(), None);
    assert_eq!(site.kept, None, "bob's sign-in wiped alice's record");
    let now = site.now;
    site.tab(1).logout(now);
    site.pump();
    site.sign_in(1, "alice");
    assert_eq!(site.tab(1).take_restored_state(), None, "nothing left for alice either");
}

#[test]
fn a_logout_wipes_the_record_and_the_state() {
    let mut site = site(2, TokenMode::Bearer);
    // On the "session expired" page, the user logs out: the record goes.
    expire_with_state(&mut site, "alice", 0);
    let now = site.now;
    site.tab(1).logout(now);
    site.pump();
    assert_eq!(site.kept, None);
    site.sign_in(0, "alice");
    assert_eq!(site.tab(0).take_restored_state(), None);
    // A logout in a live session drops its state: a later sign-in finds nothing.
    set_state(&mut site, 1, r#""/settings""#);
    let now = site.now;
    site.tab(0).logout(now);
    site.pump();
    site.advance(IDLE + SEC);
    assert_eq!(site.kept, None);
    site.sign_in(1, "alice");
    assert_eq!(site.tab(1).take_restored_state(), None);
}

#[test]
fn the_end_of_the_window_wipes_the_record() {
    let mut site = site(1, TokenMode::Bearer);
    expire_with_state(&mut site, "alice", 0);
    site.advance(WINDOW);
    // Read when a page starts: past its window it is wiped, unused.
    let (now, kept) = (site.now, site.kept.clone());
    site.tab(0).handle_kept(now, kept);
    site.pump();
    assert_eq!(site.kept, None);
    site.sign_in(0, "alice");
    assert_eq!(site.tab(0).take_restored_state(), None);
}

#[test]
fn a_record_past_its_window_is_never_restored_even_if_still_stored() {
    let mut site = site(1, TokenMode::Bearer);
    expire_with_state(&mut site, "alice", 0);
    site.advance(WINDOW + SEC);
    site.sign_in(0, "alice");
    assert_eq!(site.tab(0).take_restored_state(), None);
    assert_eq!(site.kept, None);
}

#[test]
fn two_tabs_with_states_keep_the_one_set_last() {
    let mut site = site(2, TokenMode::Bearer);
    site.sign_in(0, "alice");
    set_state(&mut site, 1, r#""/first""#);
    site.advance(SEC);
    set_state(&mut site, 0, r#""/second""#);
    site.advance(IDLE + SEC);
    assert_eq!(site.kept.as_ref().map(|k| k.state.clone()), Some(value(r#""/second""#)));
}

#[test]
fn without_the_option_or_a_named_user_nothing_is_kept() {
    let mut plain = Site::new(1, TokenMode::Bearer);
    plain.sign_in(0, "alice");
    let now = plain.now;
    plain.tab(0).set_restore_state(now, Some(value(r#""/x""#)));
    plain.advance(IDLE + SEC);
    assert_eq!(plain.kept, None, "off by default");

    // Cookie mode, start() without the login answer: the user is not known at
    // sign-in, so a record cannot be matched; it is wiped, not restored.
    let mut site = site(1, TokenMode::Cookie);
    expire_with_state(&mut site, "alice", 0);
    let (now, epoch) = (site.now, site.fresh_epoch());
    let kept = site.kept.clone();
    site.tab(0).handle_kept(now, kept);
    site.tab(0).login(now, epoch, TokenSet::default());
    site.pump();
    assert_eq!(site.tab(0).take_restored_state(), None);
    assert_eq!(site.kept, None);
}

#[test]
fn only_a_timeout_keeps_a_record() {
    let mut site = site(2, TokenMode::Cookie);
    site.sign_in(0, "alice");
    set_state(&mut site, 1, r#""/y""#);
    // The server answers for bob: the session ends as userChanged, not a timeout.
    site.backend.user = Some("bob".to_owned());
    site.advance(2 * MIN);
    site.wake(1);
    assert_eq!(site.tab(1).end_reason(), Some(EndReason::UserChanged));
    site.advance(IDLE);
    assert_eq!(site.kept, None);
}

#[test]
fn the_stored_record_is_checked_like_a_message() {
    let kept = Kept {
        identity: Identity { user: Some("alice".into()), sub: None },
        state: value(r#"{"a":[1,2]}"#),
        set_at: 5,
        until: 10,
    };
    assert_eq!(Kept::from_value(kept.clone().into_value()), Some(kept.clone()));
    for bad in [r#"{"state":1,"setAt":1,"until":2}"#, r#"{"user":"","sub":7,"state":1}"#, "[]", "null"] {
        assert_eq!(Kept::from_value(value(bad)), None, "{bad}");
    }
    // A record without its times reads as one whose window has ended.
    let timeless = Kept::from_value(value(r#"{"user":"a","state":1,"until":-1}"#)).expect("a record");
    assert_eq!((timeless.set_at, timeless.until), (0, 0));
    let alice =
        |user: Option<&str>, sub: Option<&str>| Identity { user: user.map(Into::into), sub: sub.map(Into::into) };
    assert!(kept.is_for(&alice(Some("alice"), Some("x"))));
    assert!(!kept.is_for(&alice(Some("bob"), None)));
    assert!(!kept.is_for(&alice(None, Some("alice"))), "a sub is never compared with a user name");
    assert!(!kept.is_for(&alice(None, None)));
}

// ----- monitoring ---------------------------------------------------------

fn queue_of(site: &mut Site, tabs: usize) -> Queue {
    let mut queue = Queue::default();
    for tab in 0..tabs {
        let tab_id = site.tab(tab).tab_id().to_hex();
        let sid = site.tab(tab).record_session_id().unwrap_or_default();
        for event in site.take_events(tab) {
            if let Some(record) = monitor::record(&event, site.now, &tab_id, &sid) {
                queue.push(record);
            }
        }
    }
    queue
}

/// The words of each record after the time, tab and session ids.
fn kinds(queue: &Queue) -> Vec<String> {
    queue.records.iter().map(|r| r.split(' ').skip(3).collect::<Vec<_>>().join(" ")).collect()
}

#[test]
fn each_happening_is_recorded_once_by_the_tab_that_decided_it() {
    let mut site = Site::new(3, TokenMode::Bearer);
    site.sign_in(0, "alice");
    let queue = queue_of(&mut site, 3);
    assert_eq!(kinds(&queue), vec!["started"], "the other tabs joined: no record of theirs");
    site.advance(5 * MIN);
    let queue = queue_of(&mut site, 3);
    assert_eq!(kinds(&queue), vec!["refreshed"], "one refresh for every tab, recorded once");
    let now = site.now;
    site.tab(2).logout(now);
    site.pump();
    let queue = queue_of(&mut site, 3);
    assert_eq!(kinds(&queue), vec!["loggedOut user local"]);
    let (tab, sid) = (site.tab(2).tab_id().to_hex(), site.tab(2).record_session_id().expect("ended session"));
    assert_eq!(queue.records[0], format!("{now} {tab} {sid} loggedOut user local"));
}

#[test]
fn a_timeout_noticed_by_every_tab_is_queued_once() {
    let mut site = Site::new(2, TokenMode::Cookie);
    site.sign_in(0, "alice");
    queue_of(&mut site, 2);
    // Both tabs' timers fire at the deadline: each notices the timeout itself.
    let now = site.now + IDLE;
    site.now = now;
    site.tab(0).handle_timeout(now);
    site.tab(1).handle_timeout(now);
    site.pump();
    let queue = queue_of(&mut site, 2);
    assert_eq!(kinds(&queue), vec!["expired idle"]);
}

#[test]
fn a_second_user_signing_in_over_a_live_session_is_reported() {
    let mut site = Site::new(2, TokenMode::Bearer);
    site.sign_in(0, "alice");
    queue_of(&mut site, 2);
    site.sign_in(1, "bob");
    let events = site.take_events(1);
    assert!(events.contains(&Event::Error { code: ErrorCode::OtherUserSignedIn }), "{events:?}");
    let records: Vec<_> = events.iter().filter_map(|e| monitor::record(e, 1, "t", "s")).collect();
    assert_eq!(records, vec!["1 t s error other_user_signed_in", "1 t s started"]);
    // The same user signing in again is no anomaly.
    site.sign_in(1, "bob");
    assert!(!site.take_events(1).iter().any(|e| matches!(e, Event::Error { .. })));
}

#[test]
fn records_hold_no_token_user_or_url() {
    let mut site = Site::new(2, TokenMode::Bearer);
    site.sign_in(0, "alice-the-user");
    let token = site.tab(0).access_token().expect("token").to_owned();
    site.advance(5 * MIN);
    site.backend.reachable = false;
    site.advance(5 * MIN);
    site.backend.reachable = true;
    site.advance(IDLE);
    let queue = queue_of(&mut site, 2);
    assert!(kinds(&queue).iter().any(|k| k.starts_with("refreshFailed")), "{:?}", kinds(&queue));
    let text = queue.to_text();
    for secret in [token.as_str(), "alice", "/auth/", "?"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(Queue::from_text(&text), queue, "every record reads back: all words of the allowed characters");
}

/// The stored count of drops reads as `str::parse::<u64>` reads it: digits
/// after an optional `+`; anything else (or past `u64::MAX`) counts as none.
#[test]
fn the_stored_drop_count_is_read_strictly() {
    for (count, dropped) in [
        ("7", 7),
        ("+7", 7),
        ("007", 7),
        ("18446744073709551615", u64::MAX),
        ("18446744073709551616", 0),
        ("", 0),
        ("+", 0),
        ("++7", 0),
        ("-7", 0),
        (" 7", 0),
        ("7 ", 0),
        ("7a", 0),
    ] {
        let text = format!("wasm-session-monitor 1 {count}\n1 t s started");
        let queue = Queue::from_text(&text);
        assert_eq!((queue.dropped, queue.records.len()), (dropped, 1), "{count:?}");
        assert_eq!(count.parse::<u64>().unwrap_or(0), dropped, "{count:?} as str::parse reads it");
    }
}

#[test]
fn the_queue_drops_the_oldest_and_counts_them() {
    let mut queue = Queue::default();
    for n in 0..MAX_QUEUED as u64 + 5 {
        let record = monitor::record(&Event::Error { code: ErrorCode::LogoutFailed }, n, "t", "s").expect("record");
        queue.push(record);
    }
    assert_eq!(queue.records.len(), MAX_QUEUED);
    assert_eq!(queue.dropped, 5);
    assert_eq!(queue.records[0], "5 t s error logout_failed", "the oldest went first");
    assert!(queue.to_text().starts_with("wasm-session-monitor 1 5\n5 t s error"));
    assert_eq!(Queue::from_text(&queue.to_text()), queue, "what is stored reads back the same");
    // A refused beacon is counted, never sent again.
    let mut after = Queue::default();
    after.push("9 t s started".to_owned());
    after.refused(&queue);
    assert_eq!((after.dropped, after.records.len()), (5 + MAX_QUEUED as u64, 1));
    assert!(Queue::default().is_empty());
    assert!(!Queue { dropped: 1, records: Vec::new() }.is_empty(), "a count of drops is worth sending");
}

#[test]
fn a_stored_queue_keeps_only_lines_of_plain_words() {
    let stored = "wasm-session-monitor 1 2\n\
        1 ab cd started\n\
        2 ab cd loggedOut user local eyJhbGciOi.eyJzdWIiOi.sig\n\
        3 ab cd refreshed https://x.test/?q=1\n\
        4 ab cd error logout_failed";
    let queue = Queue::from_text(stored);
    assert_eq!(queue.dropped, 2);
    assert_eq!(queue.records, vec!["1 ab cd started", "4 ab cd error logout_failed"]);
    assert_eq!(Queue::from_text("garbage"), Queue::default());
    assert_eq!(Queue::from_text(""), Queue::default());
}

#[test]
fn the_session_id_is_the_same_in_every_tab_and_outlives_the_session_for_its_last_record() {
    let mut site = Site::new(2, TokenMode::Bearer);
    site.sign_in(0, "alice");
    let live = site.tab(0).record_session_id();
    assert_eq!(live, site.tab(1).record_session_id());
    assert_eq!(live, site.tab(0).epoch().map(|epoch| epoch.to_hex()), "the random epoch: nothing of the user");
    let now = site.now;
    site.tab(0).logout(now);
    site.pump();
    assert_eq!(site.tab(0).record_session_id(), live, "the ended session's, for its loggedOut record");
}

#[test]
fn the_options_are_read_and_checked() {
    let read = |text: &str| options::read(&value(text));
    let options = read(r#"{"reconstituteForMs":60000,"monitor":{"url":"/monitor","flushMs":5000}}"#).expect("valid");
    assert_eq!(options.config.reconstitute_for_ms, Some(60_000));
    let monitor = options.shell.monitor.expect("on");
    assert_eq!((monitor.url.as_str(), monitor.flush_ms), ("/monitor", 5_000));
    let options = read(r#"{"monitor":{"url":"https://logs.example/beacon"}}"#).expect("valid");
    assert_eq!(options.shell.monitor.map(|m| m.flush_ms), Some(10_000), "flushMs defaults to 10 s");
    assert_eq!(read("{}").expect("valid").config.reconstitute_for_ms, None, "off by default");
    for (bad, field) in [
        (r#"{"reconstituteForMs":-1}"#, "reconstituteForMs"),
        (r#"{"monitor":{"flushMs":5}}"#, "monitor.url"),
        (r#"{"monitor":{"url":"javascript:x"}}"#, "monitor.url"),
        (r#"{"monitor":{"url":"/m","flushMs":0}}"#, "monitor.flushMs"),
        (r#"{"monitor":{"url":"/m","every":1}}"#, "monitor.every"),
        (r#"{"monitor":"/m"}"#, "monitor"),
    ] {
        assert_eq!(read(bad).map(|_| ()).map_err(|e| e.field.into_owned()), Err(field.to_owned()), "{bad}");
    }
}
