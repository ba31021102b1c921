//! Logout is final until the user signs in again (issue 12, findings 1 and 2):
//! each way a logout can fail to reach the server, tabs that slept through it,
//! stored sessions and messages of ended sessions, and the tombstones that
//! carry it all between tabs.

use super::site::{site_setup, Site};
use wasm_session::core::*;
use wasm_session_testkit::json;
use wasm_session_testkit::sim::{id, MIN, SEC, T0};

fn owed(site: &Site) -> bool {
    site.local_storage.iter().any(|tombstone| !tombstone.server_told)
}

fn resends(site: &Site) -> Vec<usize> {
    site.sent.iter().filter(|(_, purpose)| *purpose == Purpose::ResendLogout).map(|(tab, _)| *tab).collect()
}

/// Three tabs signed in as alice in cookie mode.
fn signed_in(tabs: usize) -> Site {
    let mut site = Site::new(tabs, TokenMode::Cookie);
    site.sign_in(0, "alice");
    assert_eq!(site.states(), vec![SessionState::Active; tabs]);
    for tab in 0..tabs {
        site.take_events(tab);
    }
    site
}

/// The user logs out in tab 0, and everything it causes is carried out.
fn log_out_in_tab_0(site: &mut Site) {
    let now = site.now;
    site.tab(0).logout(now);
    site.pump();
}

fn logged_out_everywhere(site: &Site) {
    for (index, tab) in site.tabs.iter().enumerate().filter(|(_, t)| t.alive) {
        assert_eq!(tab.machine.state(), SessionState::LoggedOut, "tab {index}");
    }
}

#[test]
fn an_offline_logout_stays_logged_out_and_is_sent_again_once_from_one_tab_when_back_online() {
    let mut site = signed_in(3);
    site.set_online(false);
    let now = site.now;
    log_out_in_tab_0(&mut site);
    logged_out_everywhere(&site);
    assert!(site.take_events(0).contains(&Event::Error { code: ErrorCode::LogoutFailed }));
    assert_eq!(site.backend.user.as_deref(), Some("alice"), "the server never heard of it");
    assert!(owed(&site), "a tombstone says the logout is owed");
    let stored = site.local_storage.iter().next().copied().expect("a tombstone");
    assert_eq!((stored.reason, stored.ended_at, stored.expires_at), (EndReason::User, now, now + 120 * MIN));

    // Back online: every tab wakes and asks the server, which still says
    // "signed in"; nobody signs in again, and one tab sends the logout again.
    site.advance(5 * SEC);
    site.set_online(true);
    logged_out_everywhere(&site);
    assert_eq!(resends(&site).len(), 1, "sent again exactly once, from one tab: {:?}", site.sent);
    assert_eq!(site.backend.user, None, "the server session has ended");
    assert!(!owed(&site), "the tombstone says the server knows");
    for tab in 0..3 {
        assert!(!site.tab(tab).tombstones().iter().any(|t| !t.server_told), "tab {tab} knows it too");
    }

    // Focus later, and an explicit resume: still logged out, nothing sent again.
    site.advance(2 * MIN);
    site.wake(1);
    site.resume(2);
    logged_out_everywhere(&site);
    assert_eq!(resends(&site).len(), 1);
}

#[test]
fn a_logout_answered_with_a_5xx_or_a_csrf_403_is_owed_until_the_server_takes_it() {
    for status in [503, 500, 403] {
        let mut site = signed_in(2);
        site.backend.logout_status = status;
        let now = site.now;
        site.tab(1).logout(now);
        site.pump();
        assert!(site.take_events(1).contains(&Event::Error { code: ErrorCode::LogoutFailed }), "{status}");
        assert!(owed(&site), "{status}");

        // The page wakes a minute later: the server still says "signed in" and
        // the logout fails again; nobody is signed in, and it stays owed.
        site.advance(MIN);
        site.wake(0);
        logged_out_everywhere(&site);
        assert_eq!(resends(&site), vec![0], "{status}: sent again when the page woke");
        assert!(owed(&site), "{status}");
        assert!(!site.take_events(0).iter().any(|e| matches!(e, Event::Error { .. })), "reported once only");

        // An explicit resume says "signed in" too: the logout goes again instead.
        site.resume(1);
        logged_out_everywhere(&site);
        assert_eq!(resends(&site).len(), 2, "{status}");

        // The server is fixed: the next wake sends it and it is taken.
        site.backend.logout_status = 200;
        site.advance(MIN);
        site.wake(0);
        assert_eq!(site.backend.user, None, "{status}");
        assert!(!owed(&site), "{status}");
        logged_out_everywhere(&site);
    }
}

#[test]
fn a_tab_reloaded_after_the_logout_refuses_its_stored_session_and_sends_the_owed_logout() {
    let mut site = Site::new(1, TokenMode::Cookie);
    let stored_tab = site.open_tab(StorageChoice::Session);
    site.sign_in(0, "alice");
    let stored = site.tabs[stored_tab].stored.clone().expect("the session tab stored the session");
    // The tab is discarded (or closed, to be reopened with Ctrl-Shift-T): it
    // misses the logout, and its sessionStorage survives.
    site.close(stored_tab);
    site.set_online(false);
    site.advance(10 * SEC);
    log_out_in_tab_0(&mut site);
    assert!(owed(&site));

    // It comes back, online again.
    site.backend.reachable = true;
    let reloaded = site.open_tab(StorageChoice::Session);
    let now = site.now;
    assert_eq!(site.tab(reloaded).restore(now, &stored), Err(ProtocolError::EndedEpoch), "refused (and wiped)");
    assert_eq!(site.tab(reloaded).state(), SessionState::Anonymous);
    assert_eq!(resends(&site), vec![reloaded], "coming up online, it sent the owed logout");
    assert_eq!(site.backend.user, None);
    site.resume(reloaded);
    assert_eq!(site.tab(reloaded).state(), SessionState::Anonymous, "the server says nobody is signed in");

    // A later tab that asks the others for their session joins nothing.
    let late = site.open_tab(StorageChoice::Memory);
    site.resume(late);
    assert_eq!(site.tab(late).state(), SessionState::Anonymous);
}

#[test]
fn a_reloaded_tab_that_finds_the_logout_owed_and_the_server_signed_in_sends_it_instead_of_signing_in() {
    let mut site = signed_in(1);
    site.backend.logout_status = 502;
    log_out_in_tab_0(&mut site);
    site.close(0);
    // The page is reloaded while the server still fails: it cannot send it, and
    // resume() finds the server signed in.
    let reloaded = site.open_tab(StorageChoice::Memory);
    site.advance(SEC);
    site.resume(reloaded);
    assert_eq!(site.tab(reloaded).state(), SessionState::Anonymous, "the old session is not taken up");
    assert!(owed(&site));
    site.backend.logout_status = 204;
    site.resume(reloaded);
    assert_eq!(site.backend.user, None);
    assert!(!owed(&site));
}

#[test]
fn a_wake_check_never_starts_a_session_but_resume_after_a_fresh_login_does() {
    let mut site = signed_in(2);
    log_out_in_tab_0(&mut site);
    assert!(!owed(&site), "the server took it");
    // The user signs in again through the site's own login form (no start()).
    site.backend.user = Some("alice".to_owned());
    site.advance(2 * MIN);
    site.wake(0);
    site.wake(1);
    logged_out_everywhere(&site);
    // The app asks: the server's session is a new one, so it is taken up.
    site.resume(1);
    // No tab has a session to answer with: the server's word starts one
    // once the join window is over.
    site.advance(JOIN_WINDOW_MS);
    assert_eq!(site.states(), vec![SessionState::Active; 2], "resume() starts it, and the other tab joins");

    // Never logged in at all: waking signs nobody in either.
    let mut fresh = Site::new(1, TokenMode::Cookie);
    fresh.backend.user = Some("alice".to_owned());
    fresh.wake(0);
    assert_eq!(fresh.tab(0).state(), SessionState::Anonymous);
    fresh.resume(0);
    fresh.advance(JOIN_WINDOW_MS);
    assert_eq!(fresh.tab(0).state(), SessionState::Active);
}

#[test]
fn start_settles_an_owed_logout_so_it_is_never_sent_over_the_new_session() {
    let mut site = signed_in(2);
    site.set_online(false);
    log_out_in_tab_0(&mut site);
    assert!(owed(&site));
    site.advance(SEC);
    site.set_online(true);
    // It went out again and was taken; now offline again, and the next logout is owed.
    site.set_online(false);
    site.backend.user = Some("alice".to_owned());
    site.sign_in(1, "alice");
    let now = site.now;
    site.tab(1).logout(now);
    site.pump();
    assert!(owed(&site));
    // The user signs in again before the network comes back: start() settles it.
    site.advance(SEC);
    site.sign_in(0, "alice");
    assert!(!owed(&site), "start() settled it for every tab");
    let before = resends(&site).len();
    site.set_online(true);
    assert_eq!(resends(&site).len(), before, "no logout over the new session");
    assert_eq!(site.states(), vec![SessionState::Active; 2]);
    assert_eq!(site.backend.user.as_deref(), Some("alice"));
}

#[test]
fn a_tab_that_slept_through_the_logout_ends_when_it_reads_the_tombstones() {
    let mut site = signed_in(2);
    let envelope_count = site.sent.len();
    // Tab 1 is frozen: it misses the message.
    site.tabs[1].alive = false;
    log_out_in_tab_0(&mut site);
    site.tabs[1].alive = true;
    assert_eq!(site.tab(1).state(), SessionState::Active, "it missed everything");
    site.advance(SEC);
    let (now, stored) = (site.now, site.local_storage.clone());
    site.tab(1).handle_tombstones(now, &stored);
    site.pump();
    assert_eq!(site.tab(1).state(), SessionState::LoggedOut);
    assert!(site.take_events(1).contains(&Event::LoggedOut { reason: EndReason::OtherTab, origin: Origin::OtherTab }));
    let logouts = site.sent[envelope_count..].iter().filter(|(_, p)| matches!(p, Purpose::Logout(_))).count();
    assert_eq!(logouts, 1, "only the tab that logged out told the server");
}

/// Tab 1 sleeps (frozen) through tab 0's logout, a new login and twelve
/// minutes of use, past its own idle deadline. Returns the new session's epoch
/// and the logouts sent so far.
fn asleep_past_its_deadline_through_a_logout_and_a_new_login() -> (Site, Epoch, usize) {
    let mut site = signed_in(2);
    site.tabs[1].alive = false;
    log_out_in_tab_0(&mut site);
    site.advance(SEC);
    site.sign_in(0, "alice");
    let next = site.tab(0).epoch().expect("signed in again");
    let logouts = active_in_tab_0_while_tab_1_sleeps_past_its_deadline(&mut site);
    (site, next, logouts)
}

/// Tab 1 ended its session as `reason` said, from another tab (no expiry of
/// its own), then joined session `next`.
fn ended_then_joined(site: &mut Site, next: Epoch, reason: EndReason) {
    site.pump();
    let events = site.take_events(1);
    assert!(!events.iter().any(|e| matches!(e, Event::Expired { .. })), "{events:?}");
    let ended = events.iter().position(|e| *e == Event::LoggedOut { reason, origin: Origin::OtherTab });
    let joined = events.iter().position(|e| matches!(e, Event::Started { origin: Origin::OtherTab, .. }));
    assert!(matches!((ended, joined), (Some(e), Some(j)) if e < j), "{events:?}");
    assert_eq!(site.tab(1).epoch(), Some(next));
    assert_eq!(site.tab(1).state(), SessionState::Active);
}

/// Twelve minutes of activity in tab 0 (past tab 1's idle deadline), then tab
/// 1 is back, its events so far dropped; the logouts sent until then.
fn active_in_tab_0_while_tab_1_sleeps_past_its_deadline(site: &mut Site) -> usize {
    for _ in 0..12 {
        site.advance(MIN);
        let now = site.now;
        site.tab(0).handle_activity(now);
        site.pump();
    }
    let logouts = logouts_sent(site);
    site.tabs[1].alive = true;
    site.take_events(1);
    logouts
}

fn logouts_sent(site: &Site) -> usize {
    site.sent.iter().filter(|(_, p)| matches!(p, Purpose::Logout(_))).count()
}

/// The old session ended in another tab, which told the server: tab 1 ends as
/// that end, then joins the session that followed, as a tab awake would have.
/// Had it expired the session itself it would tell the server again, and in
/// cookie mode that logout ends the session that followed.
fn ended_as_the_tombstone_says(site: &mut Site, next: Epoch, logouts: usize) {
    ended_then_joined(site, next, EndReason::OtherTab);
    assert_eq!(logouts_sent(site), logouts, "no logout sent over the next session");
    assert_eq!(site.tab(0).epoch(), Some(next));
    assert_eq!(site.tab(0).state(), SessionState::Active);
    assert_eq!(site.backend.user.as_deref(), Some("alice"));
}

#[test]
fn a_tab_woken_past_its_idle_deadline_ends_as_the_tombstone_says_and_spares_the_next_session() {
    let (mut site, next, logouts) = asleep_past_its_deadline_through_a_logout_and_a_new_login();
    // The wake event comes first: the tombstones are read before the timers fire.
    site.wake(1);
    ended_as_the_tombstone_says(&mut site, next, logouts);
}

#[test]
fn a_late_timer_past_the_idle_deadline_reads_the_tombstones_before_it_expires_the_session() {
    let (mut site, next, logouts) = asleep_past_its_deadline_through_a_logout_and_a_new_login();
    let now = site.now;
    assert!(site.tab(1).ends_by_clock(now), "its own clock ends it");
    assert!(!site.tab(0).ends_by_clock(now), "the session in use goes on");
    // No wake event first (the browser's choice): the timer fires late.
    site.advance(1);
    ended_as_the_tombstone_says(&mut site, next, logouts);
}

/// A login over the live session in tab 0 (as `user`: another user, or the
/// same one again, with no logout) while tab 1 sleeps past the old session's
/// idle deadline. Returns the new session and the logouts sent so far.
fn asleep_past_its_deadline_through_a_login_over_the_session(user: &str) -> (Site, Epoch, usize) {
    let mut site = signed_in(2);
    let old = site.tab(0).epoch().expect("live");
    site.tabs[1].alive = false;
    site.advance(SEC);
    site.sign_in(0, user);
    let next = site.tab(0).epoch().expect("signed in again");
    assert_ne!(next, old);
    // The replaced session ended here: its tombstone owes the server nothing.
    let tombstone = *site.tab(0).tombstones().get(old).expect("a tombstone for the replaced session");
    let reason = if user == "alice" { EndReason::User } else { EndReason::UserChanged };
    assert_eq!((tombstone.reason, tombstone.server_told), (reason, true));
    assert!(!site.tab(0).tombstones().owed());
    let logouts = active_in_tab_0_while_tab_1_sleeps_past_its_deadline(&mut site);
    let now = site.now;
    assert!(site.tab(1).ends_by_clock(now), "its own clock ends the old session");
    (site, next, logouts)
}

#[test]
fn a_tab_that_slept_through_a_login_over_its_session_ends_it_as_replaced_and_spares_the_new_one() {
    for (user, reason) in [("bob", EndReason::UserChanged), ("alice", EndReason::OtherTab)] {
        for wake_event_first in [true, false] {
            let (mut site, next, logouts) = asleep_past_its_deadline_through_a_login_over_the_session(user);
            if wake_event_first {
                site.wake(1);
            } else {
                site.advance(1); // a late timer first
            }
            ended_then_joined(&mut site, next, reason);
            assert_eq!(logouts_sent(&site), logouts, "{user}: no logout sent over the new session");
            assert_eq!(site.backend.user.as_deref(), Some(user));
            assert_eq!(site.tab(0).epoch(), Some(next));
        }
    }
}

#[test]
fn a_login_in_a_tab_that_never_joined_is_buried_over_by_the_tabs_that_adopt_it() {
    // The tab that signs in had no session (it never joined): the awake tabs
    // that adopt the login over theirs bury it, for the tab that slept.
    let mut site = signed_in(2);
    let old = site.tab(0).epoch().expect("live");
    let fresh = site.open_tab(StorageChoice::Memory);
    assert_eq!(site.tab(fresh).state(), SessionState::Anonymous);
    site.tabs[1].alive = false;
    site.advance(SEC);
    site.sign_in(fresh, "bob");
    let next = site.tab(fresh).epoch().expect("bob signed in");
    assert_eq!(site.tab(0).epoch(), Some(next), "tab 0 adopted the login");
    let tombstone = *site.tab(0).tombstones().get(old).expect("tab 0 buried the session it replaced");
    assert_eq!((tombstone.reason, tombstone.server_told), (EndReason::UserChanged, true));
    let logouts = active_in_tab_0_while_tab_1_sleeps_past_its_deadline(&mut site);
    site.wake(1);
    ended_then_joined(&mut site, next, EndReason::UserChanged);
    assert_eq!(logouts_sent(&site), logouts, "no logout sent over bob's session");
    assert_eq!(site.backend.user.as_deref(), Some("bob"));
}

#[test]
fn a_login_in_the_millisecond_the_replaced_session_started_never_buries_itself() {
    // Two logins in one millisecond (`start()` twice in a tick, or fake timers
    // that freeze `Date`), the second with the lower epoch: a tombstone for the
    // first would also end every older session, the second included.
    for (first, second) in [(id(250), id(1)), (id(1), id(250))] {
        let mut tab = Machine::new(site_setup(TokenMode::Cookie, StorageChoice::Session), id(90), 1);
        tab.login(T0, first, TokenSet::default());
        tab.login(T0, second, TokenSet::default());
        let ends_the_new_one = tab.tombstones().ends(second, T0, T0 + SEC);
        assert!(!ends_the_new_one, "the tombstones end the session that replaced {first:?}");
        let stored = tab.tombstones().clone();
        tab.handle_tombstones(T0 + SEC, &stored);
        assert_eq!((tab.state(), tab.epoch()), (SessionState::Active, Some(second)));
    }
}

#[test]
fn the_login_is_told_before_the_replaced_session_is_buried() {
    // A tab that reads the tombstones between the two would end the replaced
    // session (a logout event) instead of hearing of the login.
    let mut tab = Machine::new(site_setup(TokenMode::Cookie, StorageChoice::Session), id(90), 1);
    tab.login(T0, id(200), TokenSet::default());
    while tab.poll_effect().is_some() {}
    tab.login(T0 + SEC, id(201), TokenSet::default());
    let mut effects = Vec::new();
    while let Some(effect) = tab.poll_effect() {
        effects.push(effect);
    }
    let told = effects.iter().position(|e| matches!(e, Effect::Broadcast(Envelope { message: Message::Login(_), .. })));
    let buried = effects.iter().position(|e| matches!(e, Effect::SaveTombstones(t) if t.get(id(200)).is_some()));
    assert!(matches!((told, buried), (Some(t), Some(b)) if t < b), "{effects:?}");
}

#[test]
fn an_ended_session_never_lives_again_through_a_message_or_a_restore() {
    let mut site = Site::new(1, TokenMode::Cookie);
    let keeper = site.open_tab(StorageChoice::Session);
    site.sign_in(0, "alice");
    let stored = site.tabs[keeper].stored.clone().expect("stored");
    let epoch = site.tab(0).epoch().expect("live");
    let snapshot = match decode_stored(&stored) {
        Message::StateResponse(snapshot) => snapshot,
        other => panic!("{other:?}"),
    };
    site.advance(MIN);
    log_out_in_tab_0(&mut site);

    // A new page: it knows the tombstones from storage only.
    let mut page = Machine::new(site_setup(TokenMode::Cookie, StorageChoice::Session), id(90), 1);
    let now = site.now + SEC;
    page.handle_tombstones(now, &site.local_storage);
    for message in [Message::StateResponse(snapshot.clone()), Message::Login(snapshot.clone())] {
        let envelope = Envelope { from: id(91), epoch: Some(epoch), message };
        assert_eq!(page.handle_message(now, envelope), Err(ProtocolError::EndedEpoch));
    }
    assert_eq!(page.restore(now, &stored), Err(ProtocolError::EndedEpoch));
    // An older session of another epoch (replaced by the ended one, never
    // logged out on the server) is over too.
    let older_snapshot = Snapshot { started_at: snapshot.started_at - 1, ..snapshot.clone() };
    let older = Envelope { from: id(91), epoch: Some(id(250)), message: Message::StateResponse(older_snapshot) };
    assert_eq!(page.handle_message(now, older), Err(ProtocolError::EndedEpoch));
    assert_eq!(page.state(), SessionState::Anonymous);

    // A session that started after the ended one is a new login, and is joined:
    // even one that started before the end (the two crossed), as every tab does.
    let crossed = snapshot.started_at + 1;
    let fresh = Snapshot { started_at: crossed, last_activity_at: crossed, generation: 0, ..snapshot };
    let login = Envelope { from: id(91), epoch: Some(id(78)), message: Message::Login(fresh) };
    assert_eq!(page.handle_message(now, login), Ok(()));
    assert_eq!(page.state(), SessionState::Active);
}

#[test]
fn words_of_a_session_that_ended_here_are_its_tail_not_damage() {
    // Tab 1 spoke before it heard tab 0's logout: its words cross the logout
    // (over the storage fallback, an answer to a joining tab can too).
    let mut site = Site::new(1, TokenMode::Cookie);
    let keeper = site.open_tab(StorageChoice::Session);
    site.sign_in(0, "alice");
    let epoch = site.tab(0).epoch().expect("live");
    let snapshot = match decode_stored(&site.tabs[keeper].stored.clone().expect("stored")) {
        Message::StateResponse(snapshot) => snapshot,
        other => panic!("{other:?}"),
    };
    let now = site.now + SEC;
    site.tab(0).logout(now);
    site.pump();
    site.take_events(0);
    let late = [
        Message::Activity { at: now },
        Message::StaySignedIn { at: now },
        Message::Logout { reason: EndReason::Idle },
        Message::StateResponse(snapshot.clone()),
        Message::Login(snapshot),
    ];
    for message in late {
        let envelope = Envelope { from: id(2), epoch: Some(epoch), message };
        let rejected = site.tab(0).handle_message(now + 1, envelope).unwrap_err();
        assert_eq!(rejected, ProtocolError::EndedEpoch);
        assert!(rejected.is_expected(), "the shell drops it without an error event");
    }
    assert_eq!(site.tab(0).state(), SessionState::LoggedOut);
    assert_eq!(site.take_events(0), vec![], "nothing happened");
    // Words of a session this tab never knew are still told apart.
    let stranger = Envelope { from: id(2), epoch: Some(id(200)), message: Message::Activity { at: now } };
    let rejected = site.tab(0).handle_message(now + 1, stranger).unwrap_err();
    assert_eq!(rejected, ProtocolError::WrongEpoch);
    assert!(!rejected.is_expected());
}

fn decode_stored(stored: &Value) -> Message {
    protocol::decode(stored).expect("stored sessions decode").message
}

#[test]
fn a_login_that_crosses_an_end_in_flight_is_kept_everywhere() {
    let mut site = signed_in(2);
    site.advance(MIN);
    // Tab 1 signs in again (switching accounts) a moment before tab 0, not yet
    // told, logs the old session out; the two messages cross.
    let (now, epoch) = (site.now, site.fresh_epoch());
    site.tab(1).login(now, epoch, TokenSet::default());
    site.tab(0).logout(now + 10);
    site.now = now + 10;
    site.pump();
    assert_eq!(site.states(), vec![SessionState::Active; 2], "the newer session wins, as two logins do");
    assert_eq!((site.tab(0).epoch(), site.tab(1).epoch()), (Some(epoch), Some(epoch)));
    // The tombstone names the old session only.
    let tombstoned = site.local_storage.iter().next().map(|t| t.epoch).expect("the old session's tombstone");
    assert_ne!(tombstoned, epoch);
}

#[test]
fn expiry_leaves_a_tombstone_too_and_it_expires_after_the_absolute_timeout() {
    let mut site = signed_in(1);
    site.set_online(false);
    site.advance(11 * MIN);
    assert_eq!(site.tab(0).end_reason(), Some(EndReason::Idle));
    let tombstone = *site.local_storage.iter().next().expect("a tombstone");
    assert_eq!(tombstone.reason, EndReason::Idle);
    assert!(!tombstone.server_told, "offline: the logout is owed");
    let mut page = Machine::new(site_setup(TokenMode::Cookie, StorageChoice::Memory), id(90), 1);
    page.handle_tombstones(tombstone.expires_at - 1, &site.local_storage);
    assert_eq!(page.tombstones().iter().count(), 1);
    page.handle_timeout(tombstone.expires_at);
    page.handle_tombstones(tombstone.expires_at, &site.local_storage);
    assert_eq!(page.tombstones().iter().count(), 0, "forgotten after the absolute timeout");
}

#[test]
fn a_revoked_or_changed_user_session_owes_the_server_nothing() {
    let mut site = signed_in(1);
    site.backend.user = None;
    site.advance(MIN);
    site.resume(0);
    assert_eq!(site.tab(0).end_reason(), Some(EndReason::Revoked));
    assert!(!owed(&site));
    assert!(!site.sent.iter().any(|(_, p)| matches!(p, Purpose::Logout(_))), "the server ended it itself");
}

#[test]
fn a_signed_out_answer_settles_an_owed_logout() {
    let mut site = signed_in(1);
    site.backend.logout_status = 500;
    log_out_in_tab_0(&mut site);
    assert!(owed(&site));
    // The server's session ended anyway (its own timeout): nothing left to tell.
    site.backend.user = None;
    site.backend.logout_status = 500;
    site.advance(MIN);
    site.wake(0);
    assert!(!owed(&site));
}

// ---- the tombstones themselves ----

fn tombstone(n: u8, ended_at: u64, told: bool) -> Tombstone {
    let (epoch, started_at, reason, expires_at) = (id(n), ended_at - MIN, EndReason::User, ended_at + 60 * MIN);
    Tombstone { epoch, started_at, reason, ended_at, expires_at, server_told: told }
}

#[test]
fn tombstones_round_trip_through_their_stored_form() {
    let mut list = Tombstones::default();
    list.insert(tombstone(1, T0, false));
    list.insert(Tombstone { reason: EndReason::UserChanged, ..tombstone(2, T0 + SEC, true) });
    assert_eq!(Tombstones::from_value(&list.to_value()), list);
    let text = r#"{"v":1,"ended":[{"epoch":"01010101010101010101010101010101","started":1699999940000,"reason":"user","at":1700000000000,"until":1700003600000,"told":false}]}"#;
    let read = Tombstones::from_value(&json::parse(text).expect("JSON"));
    assert_eq!(read, {
        let mut one = Tombstones::default();
        one.insert(tombstone(1, T0, false));
        one
    });
}

#[test]
fn hostile_stored_tombstones_are_skipped_or_clamped() {
    for junk in
        ["null", "[]", "{}", r#"{"v":2,"ended":[]}"#, r#"{"v":1,"ended":{}}"#, r#"{"v":1,"ended":[1,"x",null]}"#]
    {
        assert_eq!(Tombstones::from_value(&json::parse(junk).expect("JSON")), Tombstones::default(), "{junk}");
    }
    let bad_entries = r#"{"v":1,"ended":[
        {"epoch":"zz","started":0,"reason":"user","at":1,"until":2,"told":true},
        {"epoch":"01010101010101010101010101010101","started":0,"reason":"bored","at":1,"until":2,"told":true},
        {"epoch":"01010101010101010101010101010101","started":0,"reason":"user","at":-1,"until":2,"told":true},
        {"epoch":"01010101010101010101010101010101","started":0,"reason":"user","at":1,"until":2,"told":"yes"},
        {"epoch":"01010101010101010101010101010101","reason":"user","at":1,"until":2,"told":true},
        {"epoch":"02020202020202020202020202020202","started":0,"reason":"idle","at":1,"until":2,"told":true}]}"#;
    let read = Tombstones::from_value(&json::parse(bad_entries).expect("JSON"));
    assert_eq!(read.iter().map(|t| t.epoch).collect::<Vec<_>>(), vec![id(2)], "only the good entry");

    // From the future, forever: clamped to now and to the absolute timeout.
    let mut forged = Tombstones::default();
    let far = u64::MAX;
    forged.insert(Tombstone { started_at: far, ended_at: far, expires_at: far, ..tombstone(3, MIN, true) });
    let mut known = Tombstones::default();
    assert!(known.merge(&forged, T0, 120 * MIN));
    let clamped = *known.iter().next().expect("kept");
    assert_eq!((clamped.started_at, clamped.ended_at, clamped.expires_at), (T0, T0, T0 + 120 * MIN));
    assert!(!known.ends(id(9), T0 + 1, T0 + 1), "a session starting later is not ended by it");
    assert!(known.ends(id(9), T0 - 1, T0), "an older one is");
    assert!(!known.ends(id(9), T0 - 1, T0 + 120 * MIN), "not once it has expired");
}

#[test]
fn tombstones_merge_by_epoch_told_wins_and_at_most_sixteen_are_kept_owed_ones_last() {
    let mut list = Tombstones::default();
    assert!(list.insert(tombstone(1, T0, false)));
    assert!(!list.insert(tombstone(1, T0, false)), "the same record changes nothing");
    assert!(list.insert(tombstone(1, T0 + SEC, true)), "told by another tab");
    let merged = *list.get(id(1)).expect("kept");
    assert_eq!((merged.ended_at, merged.server_told), (T0, true), "the earlier end, told");
    assert!(!list.insert(tombstone(1, T0, false)), "a stale copy does not make it owed again");

    let mut many = Tombstones::default();
    many.insert(tombstone(100, T0, false));
    for n in 1..=20 {
        many.insert(tombstone(n, T0 + u64::from(n), true));
    }
    assert_eq!(many.iter().count(), tombstone::MAX_TOMBSTONES);
    assert!(many.get(id(100)).is_some(), "the owed one is kept over newer told ones");
    assert!(many.get(id(20)).is_some() && many.get(id(1)).is_none(), "the oldest told ones went");
}

#[test]
fn a_signed_in_answer_whose_cap_has_passed_leaves_no_live_session() {
    // Found by fuzzing: the server's absolute deadline may already be over.
    let mut machine = Machine::new(site_setup(TokenMode::Cookie, StorageChoice::Memory), id(1), 7);
    machine.handle_timeout(T0);
    machine.check_session(T0, CheckTrigger::Resume, id(160));
    let request = std::iter::from_fn(|| machine.poll_effect())
        .find_map(|e| match e {
            Effect::Fetch { id, purpose: Purpose::SessionCheck, .. } => Some(id),
            _ => None,
        })
        .expect("asked");
    let body = format!(r#"{{"signedIn":true,"absoluteExpiresAt":{}}}"#, T0 - MIN);
    let answer = FetchAnswer::Response(Response::new(200, Body::Json(json::parse(&body).expect("JSON"))));
    machine.handle_fetch_answer(T0 + SEC, request, answer);
    assert_eq!(machine.end_reason(), Some(EndReason::Absolute));
}
