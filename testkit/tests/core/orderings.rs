//! One test per dangerous ordering, each stating what must hold, against the
//! simulator's reuse-detecting server.
//!
//! The ordering at the heart of it: tab A refreshes, broadcasts the new tokens,
//! commits the generation note to IndexedDB and releases the lock; the shell
//! keeps the lock [`SHELL_LOCK_HOLD_MS`] more. Tab B, waiting for the lock,
//! must not present the rotated-out refresh token: a message later than the
//! hold reaches it after its grant, but the note it reads at the grant tells
//! it that the tokens moved on, and it waits for them (the main property:
//! no rotated-out token in any ordering, `interleavings.rs`).
//!
//! Without IndexedDB (knob `indexed_db: false`) the hold alone protects: the
//! tests marked "without IndexedDB" pin the window that remains, and that it
//! fails closed. The windows no client can close (a rotation whose answer
//! was lost) fail closed too, or recover with a server reuse grace.

use wasm_session::core::*;
use wasm_session_testkit::sim::*;

/// Two tabs with one-minute tokens: the first one due has sent its refresh
/// and the server holds it; the other waits for the lock. Returns the sim,
/// the refreshing tab and the waiting tab; the server answers by its rules
/// from here on.
fn rotation(knobs: Knobs) -> (Sim, usize, usize) {
    let mut sim = Sim::with_knobs(2, test_config(), knobs);
    sim.server.token_lifetime = MIN;
    sim.login(0, 1);
    sim.server.mode = ServerMode::Manual;
    let due = (0..2).filter_map(|t| sim.tabs[t].machine.refresh_due_at()).max().expect("scheduled");
    sim.run_until(due);
    assert_eq!(sim.server.pending.len(), 1, "one request out");
    let (first, _) = *sim.server.pending.front().expect("pending");
    let waiting = 1 - first;
    assert!(sim.tabs[waiting].machine.refresh_in_flight(), "tab {waiting} waits for the lock");
    sim.server.mode = ServerMode::Auto;
    (sim, first, waiting)
}

/// The waiting tab took the new tokens without a request of its own.
fn assert_adopted(sim: &mut Sim) {
    sim.settle();
    assert_eq!(sim.server.refresh_calls, 1, "one request for both tabs");
    assert!(!sim.server.reuse_detected);
    assert_eq!(sim.states(), vec![SessionState::Active; 2]);
    assert_eq!(sim.tab(0).token_generation(), Some(1));
    assert_eq!(sim.tab(1).token_generation(), Some(1));
    check_converged(sim);
    assert_eq!(sim.violations(), vec![]);
}

/// The fallback when a rotated-out token was presented: the server revoked
/// the family, and the session ends in every open tab without another request.
fn assert_fails_closed(sim: &mut Sim) {
    sim.settle();
    assert!(sim.server.reuse_detected);
    assert!(sim.server.families.iter().all(|f| f.ended.is_some()), "the server ended the session");
    for tab in sim.open_tabs() {
        assert_eq!(sim.tabs[tab].machine.state(), SessionState::LoggedOut, "tab {tab}");
        assert_eq!(sim.tabs[tab].machine.end_reason(), Some(EndReason::RefreshFailed), "tab {tab}");
    }
    let calls = sim.server.refresh_calls;
    sim.advance(30 * MIN);
    assert_eq!(sim.server.refresh_calls, calls, "no request after the end");
    check_failed_closed(sim);
    assert!(!sim.broken_rules().contains(&Rule::FailedClosed));
}

fn with_message_latency(ms: u64) -> Knobs {
    Knobs { message_latency: Delay::fixed(ms), ..Knobs::default() }
}

/// The same browser with IndexedDB blocked or missing: no generation note.
fn without_indexed_db(knobs: Knobs) -> Knobs {
    Knobs { indexed_db: false, ..knobs }
}

// ----- the new tokens and the lock grant ----------------------------------------

#[test]
fn new_tokens_before_the_grant_are_adopted_without_a_request() {
    let (mut sim, _, _) = rotation(with_message_latency(SHELL_LOCK_HOLD_MS - 1));
    sim.answer_refresh_by_rules();
    assert_adopted(&mut sim);
}

#[test]
fn new_tokens_and_the_grant_at_the_same_instant_message_first_are_adopted() {
    let (mut sim, _, _) = rotation(with_message_latency(SHELL_LOCK_HOLD_MS));
    sim.answer_refresh_by_rules();
    assert_adopted(&mut sim);
}

#[test]
fn new_tokens_and_the_grant_at_the_same_instant_grant_first_never_present_a_rotated_out_token() {
    let knobs = Knobs { grants_first: true, ..with_message_latency(SHELL_LOCK_HOLD_MS) };
    let (mut sim, _, _) = rotation(knobs);
    sim.answer_refresh_by_rules();
    assert_adopted(&mut sim);
}

/// The waiting tab is granted before the new tokens reach it: the note says
/// they exist, so it lets the lock go, asks for them, and adopts them when
/// they come, however late (within [`NOTE_WAIT_MS`]).
#[test]
fn new_tokens_after_the_grant_never_present_a_rotated_out_token() {
    for latency in [SHELL_LOCK_HOLD_MS + 1, 2 * SEC, NOTE_WAIT_MS - 100] {
        let (mut sim, _, waiting) = rotation(with_message_latency(latency));
        sim.answer_refresh_by_rules();
        sim.settle();
        assert_eq!(sim.tab(waiting).state(), SessionState::Active, "latency {latency}");
        assert_adopted(&mut sim);
    }
}

/// Without IndexedDB, when the grant comes first: the window is real (one
/// rotated-out token reaches the server), and the session fails closed.
#[test]
fn without_indexed_db_new_tokens_after_the_grant_present_the_rotated_out_token_and_fail_closed() {
    for knobs in [
        Knobs { grants_first: true, ..with_message_latency(SHELL_LOCK_HOLD_MS) },
        with_message_latency(SHELL_LOCK_HOLD_MS + 1),
        with_message_latency(2 * SEC),
    ] {
        let knobs = without_indexed_db(knobs);
        let (mut sim, first, waiting) = rotation(knobs);
        let rotated_at = sim.now;
        sim.answer_refresh_by_rules();
        assert_fails_closed(&mut sim);
        let stale = &sim.server.presented[1];
        assert_eq!(sim.requests[stale.request].tab, waiting);
        assert!(matches!(stale.verdict, TokenVerdict::RotatedOut { at, .. } if at == rotated_at), "{:?}", knobs);
        assert_eq!(sim.broken_rules(), vec![Rule::NoRotatedOutToken]);
        assert_eq!(sim.tabs[first].machine.end_reason(), Some(EndReason::RefreshFailed));
    }
}

/// Without IndexedDB, a longer fixed hold only moves the window: 200 ms
/// covers a message 150 ms late, not one 250 ms late.
#[test]
fn without_indexed_db_a_longer_fixed_hold_only_moves_the_window() {
    let fixed =
        |latency| without_indexed_db(Knobs { release: LockRelease::Hold(200), ..with_message_latency(latency) });
    let (mut sim, _, _) = rotation(fixed(150));
    sim.answer_refresh_by_rules();
    assert_adopted(&mut sim);
    let (mut sim, _, _) = rotation(fixed(250));
    sim.answer_refresh_by_rules();
    assert_fails_closed(&mut sim);
}

// ----- an adaptive hold, modelled in the shell (not built: see SECURITY.md) -------

/// Without IndexedDB, the holder keeps the lock until every open tab has the
/// new tokens (with acknowledgements in a real protocol), at most `cap`.
fn until_delivered(latency: u64, cap: u64) -> Knobs {
    without_indexed_db(Knobs { release: LockRelease::UntilDelivered { cap }, ..with_message_latency(latency) })
}

#[test]
fn holding_the_lock_until_every_tab_has_the_tokens_closes_the_window() {
    for latency in [0, SHELL_LOCK_HOLD_MS + 1, 1_500] {
        let (mut sim, _, _) = rotation(until_delivered(latency, 2 * SEC));
        sim.answer_refresh_by_rules();
        assert_adopted(&mut sim);
    }
}

#[test]
fn past_the_cap_of_the_adaptive_hold_the_session_fails_closed() {
    let (mut sim, _, _) = rotation(until_delivered(2 * SEC + 1, 2 * SEC));
    sim.answer_refresh_by_rules();
    assert_fails_closed(&mut sim);
}

#[test]
fn without_indexed_db_lost_new_tokens_fail_closed_with_either_hold() {
    for knobs in [without_indexed_db(Knobs::default()), until_delivered(0, 2 * SEC)] {
        let (mut sim, _, waiting) = rotation(knobs);
        sim.knobs.drop_per_mille = 1000; // the new tokens never arrive
        sim.answer_refresh_by_rules();
        sim.knobs.drop_per_mille = 0;
        assert_fails_closed(&mut sim);
        assert_eq!(sim.tabs[waiting].machine.end_reason(), Some(EndReason::RefreshFailed));
    }
}

// ----- the generation note: what the waiting tab does ------------------------------

/// The new tokens' message is lost: the tab behind the note asks the other
/// tabs for the session, and the answer brings them.
#[test]
fn lost_new_tokens_are_asked_for_by_the_tab_behind_the_note() {
    let (mut sim, _, _) = rotation(Knobs::default());
    sim.knobs.drop_per_mille = 1000;
    sim.answer_refresh_by_rules();
    sim.knobs.drop_per_mille = 0;
    assert_adopted(&mut sim);
}

/// The new tokens are gone for good (the holder closed, its message lost):
/// the tab behind the note asks again every [`NOTE_RETRY_MS`] and, after
/// [`NOTE_WAIT_MS`], ends the session without presenting its rotated-out token.
#[test]
fn tokens_that_never_come_end_the_session_after_the_wait_without_presenting_them() {
    let (mut sim, first, waiting) = rotation(Knobs::default());
    sim.knobs.drop_per_mille = 1000;
    sim.answer_refresh_by_rules();
    sim.close_tab(first);
    let behind_since = sim.now;
    sim.knobs.drop_per_mille = 0;
    sim.advance(NOTE_WAIT_MS - NOTE_RETRY_MS);
    assert_eq!(sim.tab(waiting).state(), SessionState::Active, "still waiting");
    sim.advance(NOTE_RETRY_MS);
    sim.settle();
    assert_eq!(sim.tab(waiting).state(), SessionState::LoggedOut);
    assert_eq!(sim.tab(waiting).end_reason(), Some(EndReason::RefreshFailed));
    let ended_at = sim.tabs[waiting].seen.ended.first().map(|(_, at)| *at).expect("ended");
    assert_eq!(ended_at - behind_since, NOTE_WAIT_MS);
    let events = sim.take_events(waiting);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::RefreshFailed { code: "rotated_elsewhere", definitive: true, retry_at: None, .. }
    )));
    assert_eq!(sim.server.presented.len(), 1, "the rotated-out token never reached the server");
    assert!(!sim.server.reuse_detected);
    assert_eq!(sim.violations(), vec![]);
}

/// Two sessions, one note: tab A refreshes session 1 and then logs in
/// session 2, and every message is lost, so tab B is still on session 1 at
/// generation 0, its token rotated out by A. Tab A's refresh of session 2
/// overwrites the note (IndexedDB keeps one). When B's tokens are due, the
/// note is of a later session, which replaced B's everywhere (the later login
/// wins): B must not present its token, but ask for the later session and
/// join it. (Found by `with_the_generation_note_every_invariant_holds_in_every_ordering`:
/// a note compared only within its own session let B through.)
fn a_later_session_overwrote_the_note() -> Sim {
    let mut sim = Sim::new(2);
    sim.server.token_lifetime = MIN;
    sim.login(0, 1);
    sim.knobs.drop_per_mille = 1000;
    sim.feed(0, |machine, now| {
        machine.refresh_now(now);
    });
    assert_eq!(sim.tab(0).token_generation(), Some(1), "tab A rotated session 1");
    assert_eq!(sim.tab(1).token_generation(), Some(0), "tab B never heard");
    sim.advance(SEC);
    sim.login(0, 2);
    sim.feed(0, |machine, now| {
        machine.refresh_now(now);
    });
    assert_eq!(sim.note.map(|note| (note.epoch, note.generation)), Some((id(102), 1)), "session 2's note");
    assert_eq!(sim.tab(1).epoch(), Some(id(101)), "tab B never heard of session 2");
    sim.knobs.drop_per_mille = 0;
    sim.settle();
    sim
}

#[test]
fn a_tab_of_an_earlier_session_never_presents_its_token_after_a_later_session_took_the_note() {
    let mut sim = a_later_session_overwrote_the_note();
    let due = sim.tab(1).refresh_due_at().expect("tab B's session 1 tokens are due");
    sim.run_until(due + SEC);
    sim.settle();
    assert_eq!(sim.violations(), vec![]);
    assert!(!sim.server.reuse_detected);
    assert_eq!(sim.server.refresh_calls, 2, "only tab A's two refreshes");
    assert_eq!(sim.tab(1).epoch(), Some(id(102)), "tab B joined the later session");
    assert_eq!(sim.tab(1).state(), SessionState::Active);
    assert_eq!(sim.tab(1).token_generation(), sim.tab(0).token_generation());
}

/// The other way round, as the property found it: tab C is on the later
/// session and missed its rotation (by tab A); tab B, still on the earlier
/// session (its login reaches B late), is granted next. Had B refreshed, its
/// note would have hidden the rotation from C, which would present its
/// rotated-out token; the note of the later session holds B back, and C,
/// behind it, waits for A's tokens.
#[test]
fn a_tab_of_an_earlier_session_never_overwrites_the_note_of_a_later_one() {
    let mut sim = Sim::new(3);
    sim.server.token_lifetime = MIN;
    sim.login(0, 1);
    sim.link_delay.insert((0, 1), 10 * MIN); // B hears A's login of session 2 late
    sim.login(0, 2);
    assert_eq!((sim.tab(1).epoch(), sim.tab(2).epoch()), (Some(id(101)), Some(id(102))));
    sim.link_delay.insert((0, 2), 2 * SEC); // and C hears from A late from now on
    sim.knobs.drop_per_mille = 1000;
    sim.feed(0, |machine, now| {
        machine.refresh_now(now);
    });
    sim.knobs.drop_per_mille = 0;
    assert_eq!(sim.tab(2).token_generation(), Some(0), "C missed the rotation");
    sim.feed(1, |machine, now| {
        machine.refresh_now(now);
    });
    sim.advance(SEC);
    sim.feed(2, |machine, now| {
        machine.refresh_now(now);
    });
    assert_eq!(sim.violations(), vec![]);
    assert_eq!(sim.tab(2).token_generation(), Some(0), "C waits, behind the note");
    sim.advance(2 * SEC);
    assert_eq!(sim.violations(), vec![]);
    assert!(!sim.server.reuse_detected);
    assert_eq!(sim.server.refresh_calls, 1, "only A's refresh");
    assert_eq!(sim.note.map(|note| (note.epoch, note.generation)), Some((id(102), 1)));
    assert_eq!(sim.tab(2).token_generation(), Some(1), "C took A's tokens");
}

// ----- late answers -------------------------------------------------------------

#[test]
fn a_late_answer_keeps_the_other_tab_waiting_then_it_adopts() {
    let knobs = Knobs { server_latency: Delay::fixed(8 * SEC), ..with_message_latency(20) };
    let mut sim = Sim::with_knobs(2, test_config(), knobs);
    sim.server.token_lifetime = MIN;
    sim.login(0, 1);
    sim.advance(MIN);
    assert_eq!(sim.server.refresh_calls, 1, "the second tab waited eight seconds for the lock");
    assert_eq!(sim.server.overlaps, vec![]);
    assert!(!sim.server.reuse_detected);
    sim.settle();
    check_converged(&mut sim);
    assert_eq!(sim.violations(), vec![]);
}

/// The shell gives up after `requestTimeoutMs` and the tab retries with the
/// token it has, while the server had already rotated it: a lost answer. No
/// client can recover from it; without a reuse grace at the server the
/// session fails closed.
#[test]
fn an_answer_lost_to_the_timeout_fails_closed_without_a_server_grace() {
    let (mut sim, first, _) = rotation(Knobs::default());
    sim.server.mode = ServerMode::Manual;
    sim.close_tab(1 - first);
    sim.advance(REQUEST_TIMEOUT_MS + 2 * SEC); // timed out, retried
    assert_eq!(sim.server.pending.len(), 2, "the retry is out while the server still holds the first");
    sim.server.mode = ServerMode::Auto;
    sim.answer_refresh_by_rules(); // rotates; the answer finds nobody waiting
    sim.answer_refresh_by_rules(); // the retry presents the rotated-out token
    assert_fails_closed(&mut sim);
    assert_eq!(sim.violations(), vec![], "not the SDK's doing: {:?}", sim.windows());
    assert!(matches!(sim.windows()[..], [Window::OrphanOverlap { .. }, Window::LostRotationPresented { .. }]));
}

#[test]
fn an_answer_lost_to_the_timeout_is_recovered_by_a_server_reuse_grace() {
    let (mut sim, first, _) = rotation(Knobs::default());
    sim.server.reuse_grace_ms = MIN;
    sim.server.mode = ServerMode::Manual;
    sim.close_tab(1 - first);
    sim.advance(REQUEST_TIMEOUT_MS + 2 * SEC);
    sim.server.mode = ServerMode::Auto;
    sim.answer_refresh_by_rules();
    sim.answer_refresh_by_rules();
    sim.settle();
    assert_eq!(sim.tab(first).state(), SessionState::Active);
    assert_eq!(sim.tab(first).token_generation(), Some(1));
    sim.advance(5 * MIN);
    assert!(!sim.server.reuse_detected, "later refreshes rotate as usual");
    assert_eq!(sim.violations(), vec![]);
}

// ----- tabs closing, offline, sleep ------------------------------------------------

/// The refreshing tab closes after the server rotated and before the answer
/// arrived: the browser frees its lock at once, and the waiting tab presents
/// the token the server just rotated out. A lost answer again: fails closed.
#[test]
fn a_tab_closed_after_the_server_rotated_loses_the_rotation_and_fails_closed() {
    let knobs = Knobs { answer_latency: Delay::fixed(300), ..Knobs::default() };
    let (mut sim, first, waiting) = rotation(knobs);
    sim.answer_refresh_by_rules();
    sim.advance(100);
    sim.close_tab(first);
    assert_fails_closed(&mut sim);
    assert_eq!(sim.tabs[waiting].machine.end_reason(), Some(EndReason::RefreshFailed));
    assert_eq!(sim.violations(), vec![]);
    assert!(matches!(sim.windows()[..], [Window::LostRotationPresented { .. }]));
}

/// The holder closes during its hold, before the new tokens reached the
/// other tab: the browser frees a closing tab's lock at once, so no hold the
/// holder keeps can cover this; the note, committed before, does.
fn holder_closes_during_its_hold(knobs: Knobs) -> (Sim, usize) {
    let (mut sim, first, waiting) = rotation(Knobs { message_latency: Delay::fixed(30), ..knobs });
    sim.answer_refresh_by_rules();
    sim.advance(10);
    sim.close_tab(first);
    sim.settle();
    (sim, waiting)
}

#[test]
fn without_indexed_db_the_holder_closing_during_its_hold_lets_the_rotated_out_token_through_and_fails_closed() {
    let (mut sim, waiting) = holder_closes_during_its_hold(without_indexed_db(Knobs::default()));
    assert_fails_closed(&mut sim);
    assert_eq!(sim.tabs[waiting].machine.end_reason(), Some(EndReason::RefreshFailed));
    assert!(matches!(sim.windows()[..], [Window::HolderClosedBeforeHandOver { .. }]));
}

#[test]
fn the_holder_closing_during_its_hold_never_lets_a_rotated_out_token_through() {
    let (mut sim, waiting) = holder_closes_during_its_hold(Knobs::default());
    assert!(!sim.server.reuse_detected);
    assert_eq!(sim.server.refresh_calls, 1);
    assert_eq!(sim.tab(waiting).token_generation(), Some(1));
    assert_eq!(sim.tab(waiting).state(), SessionState::Active);
    assert_eq!(sim.violations(), vec![]);
}

/// A tab opens just after a rotation: tab B, which does not have the new
/// tokens yet (and, believing itself offline, does not refresh), answers its
/// state request first; the refresher's answer comes later. The new tab's
/// tokens are due, the lock is free: without the note it presents the
/// rotated-out token; with it, it waits for the newer answer.
fn a_tab_opens_during_a_rotation(knobs: Knobs) -> (Sim, usize) {
    let mut sim = Sim::with_knobs(2, test_config(), knobs);
    sim.server.token_lifetime = MIN;
    sim.login(0, 1);
    sim.feed(1, |machine, now| machine.handle_online(now, false));
    sim.server.mode = ServerMode::Manual;
    // Due 30 to 35 s before the one-minute expiry: by 30.1 s every tab's
    // tokens are due, and tab A's request has not timed out yet.
    sim.run_until(T0 + 30 * SEC + 100);
    assert_eq!(sim.server.pending.len(), 1);
    sim.server.mode = ServerMode::Auto;
    sim.link_delay.insert((0, 1), 500); // the new tokens reach B late
    sim.link_delay.insert((0, 2), 200); // and the new tab later than B's answer
    sim.answer_refresh_by_rules();
    sim.advance(SHELL_LOCK_HOLD_MS + 10);
    let new = sim.add_tab();
    sim.settle();
    (sim, new)
}

#[test]
fn without_indexed_db_a_tab_opened_during_a_rotation_presents_the_rotated_out_token_and_fails_closed() {
    let (mut sim, new) = a_tab_opens_during_a_rotation(without_indexed_db(Knobs::default()));
    assert_eq!(sim.requests[sim.server.presented[1].request].tab, new);
    assert_fails_closed(&mut sim);
    assert_eq!(sim.broken_rules(), vec![Rule::NoRotatedOutToken]);
}

#[test]
fn a_tab_opened_during_a_rotation_never_presents_a_rotated_out_token() {
    let (mut sim, new) = a_tab_opens_during_a_rotation(Knobs::default());
    assert!(!sim.server.reuse_detected);
    assert_eq!(sim.server.refresh_calls, 1);
    assert_eq!(sim.tab(new).token_generation(), Some(1));
    assert_eq!(sim.violations(), vec![]);
}

#[test]
fn a_tab_closed_while_its_refresh_is_out_lets_the_next_tab_in_and_fails_closed_without_a_grace() {
    let (mut sim, first, _) = rotation(Knobs { server_latency: Delay::fixed(2 * SEC), ..Knobs::default() });
    sim.server.mode = ServerMode::Manual;
    sim.close_tab(first);
    assert_eq!(sim.server.pending.len(), 2, "the next tab sent while the closed tab's request is still out");
    sim.server.mode = ServerMode::Auto;
    sim.answer_refresh_by_rules();
    sim.answer_refresh_by_rules();
    assert_fails_closed(&mut sim);
    assert_eq!(sim.violations(), vec![]);
}

#[test]
fn a_tab_closed_while_waiting_for_the_lock_changes_nothing() {
    let (mut sim, first, waiting) = rotation(Knobs::default());
    sim.close_tab(waiting);
    sim.answer_refresh_by_rules();
    sim.settle();
    assert_eq!(sim.tab(first).token_generation(), Some(1));
    assert_eq!(sim.server.refresh_calls, 1);
    assert_eq!(sim.violations(), vec![]);
}

#[test]
fn offline_tabs_wait_and_one_refreshes_for_all_when_back_online() {
    let mut sim = Sim::with_knobs(3, test_config(), with_message_latency(10));
    sim.server.token_lifetime = MIN;
    sim.login(0, 1);
    sim.set_online(false);
    sim.advance(2 * MIN);
    assert_eq!(sim.server.refresh_calls, 0, "no request while offline");
    sim.activity(1);
    sim.set_online(true);
    sim.settle();
    assert_eq!(sim.server.refresh_calls, 1);
    assert_eq!(sim.states(), vec![SessionState::Active; 3]);
    check_converged(&mut sim);
    assert_eq!(sim.violations(), vec![]);
}

#[test]
fn a_sleep_past_the_token_expiry_refreshes_once_at_wake() {
    let mut sim = Sim::with_knobs(3, test_config(), with_message_latency(10));
    sim.server.token_lifetime = MIN;
    sim.login(0, 1);
    sim.settle();
    sim.sleep(5 * MIN);
    sim.settle();
    assert_eq!(sim.server.refresh_calls, 1);
    assert_eq!(sim.states(), vec![SessionState::Active; 3]);
    check_live(&mut sim);
    check_converged(&mut sim);
    assert_eq!(sim.violations(), vec![]);
}

#[test]
fn a_sleep_past_the_idle_timeout_ends_every_tab_at_wake_without_a_refresh() {
    let mut sim = Sim::with_knobs(3, test_config(), with_message_latency(10));
    sim.server.token_lifetime = MIN;
    sim.login(0, 1);
    sim.settle();
    sim.sleep(11 * MIN);
    sim.settle();
    assert_eq!(sim.server.refresh_calls, 0);
    assert_eq!(sim.states(), vec![SessionState::Expired; 3]);
    check_live(&mut sim);
    assert_eq!(sim.violations(), vec![]);
}

// ----- gaps in the machine today (issue 11) ------------------------------------------

/// Tab A's refresh is out when both tabs' idle warning starts; the server
/// answers 503; tab B, granted the lock, must not refresh for an idle user.
/// Today `handle_lock_acquired` checks only `online`.
#[test]
fn a_grant_during_the_idle_warning_sends_no_refresh() {
    let mut sim = Sim::new(2);
    sim.server.token_lifetime = 9 * MIN + 20 * SEC; // due about 8 min 45 s in
    sim.login(0, 1);
    sim.server.mode = ServerMode::Manual;
    sim.run_until(T0 + 8 * MIN + 55 * SEC);
    assert_eq!(sim.server.pending.len(), 1, "one tab sent, the other waits for the lock");
    sim.run_until(T0 + 9 * MIN + 5 * SEC);
    assert_eq!(sim.states(), vec![SessionState::Warning; 2]);
    sim.answer_refresh(RefreshOutcome::Failed { failure: RefreshFailure::Status(503), retry_after_ms: None });
    sim.settle();
    assert_eq!(sim.broken_rules(), vec![]);
}

/// Tab B logs out just after tab A's login reached it; at tab C the logout
/// (from B) overtakes the login (from A): different senders, no order.
fn a_logout_overtakes_the_login() -> Sim {
    let mut sim = Sim::new(3);
    sim.link_delay.insert((0, 2), 100);
    sim.login(0, 1);
    sim.advance(10);
    sim.feed(1, |machine, now| machine.logout(now));
    sim.settle();
    sim
}

#[test]
fn a_tab_that_heard_the_logout_never_joins_the_session() {
    let mut sim = a_logout_overtakes_the_login();
    assert_eq!(sim.tabs[2].machine.state(), SessionState::Anonymous);
    assert_eq!(sim.broken_rules(), vec![]);
    sim.advance(5 * MIN);
    assert_eq!(sim.tabs[2].machine.state(), SessionState::Anonymous, "nothing to refresh, nothing joined");
    assert_eq!(sim.broken_rules(), vec![]);
}

/// Cookie mode: tab B asks the session endpoint; the user logs out in tab A
/// before the answer ("signed in", true when the server read it) arrives.
#[test]
fn a_late_signed_in_answer_does_not_revive_a_session_that_ended() {
    let mut sim = Sim::cookie(2, test_config(), Knobs { server_latency: Delay::fixed(200), ..Knobs::default() });
    sim.login_cookie(0, 1);
    sim.check_session(1);
    sim.advance(100);
    sim.feed(0, |machine, now| machine.logout(now));
    sim.settle();
    assert_eq!(sim.states(), vec![SessionState::LoggedOut; 2]);
    assert_eq!(sim.broken_rules(), vec![]);
}

/// Cookie mode: the server told tab A (at a keepalive) that the session ends
/// in 30 minutes. Tab A closes; tab B, never told, stays live past it.
#[test]
fn a_deadline_the_server_gave_one_tab_binds_every_tab() {
    let mut config = test_config();
    config.keepalive_every_ms = Some(MIN);
    let mut sim = Sim::cookie(2, config, Knobs::default());
    sim.server.session_lifetime = Some(30 * MIN);
    sim.login_cookie(0, 1);
    for _ in 0..29 {
        sim.advance(MIN);
        sim.activity(0);
    }
    assert!(!sim.records.server_deadlines.is_empty(), "tab A heard the deadline");
    sim.close_tab(0);
    sim.advance(2 * MIN);
    check_live(&mut sim);
    assert_eq!(sim.broken_rules(), vec![]);
}
