//! A tab that resumes asks the other tabs for their session and the server
//! whether the user is signed in, both at once. The tabs' answer must win:
//! a session started from the server's "signed in" is a new one (its own
//! epoch, started now), which the other tabs take as a later login, so
//! opening a tab would restart the session and push its absolute deadline
//! back. So a "signed in" that comes first, to a tab with no session, is held
//! until [`JOIN_WINDOW_MS`] after the tabs were asked: a session heard from a
//! tab in that time is joined, and the held answer then speaks of it (the
//! server's deadlines as caps, its user checked), as if it had come second;
//! otherwise the answer starts the session, as it would have at once. A
//! logout here ends the session the answer spoke of (it is taken, then
//! ended, and the server told); another tab's logout heard while it is held,
//! the server's "signed out" to a later check, or a login here drops it. A
//! logout before any answer came ends the session the answers then speak of
//! (`Machine::end_if_logout_asked`).

use super::super::protocol::Epoch;
use super::super::{EpochMs, Millis};
use super::requests::Check;
use super::types::CheckTrigger;
use super::Machine;

/// How long after asking the other tabs a tab with no session waits for
/// their answer before a "signed in" from the server starts one. The window
/// runs from the question, so the server's round trip is counted in it and a
/// lone tab waits at most this long, on every page load of a cookie session:
/// the window is kept short for that. A `BroadcastChannel` (every browser we
/// support) answers in a few milliseconds, and in tens under load; the
/// storage fallback goes through a `storage` event in every tab, which a busy
/// browser can delay past the window, and then the two sessions converge on
/// the later login as before (`tabs.rs`).
pub const JOIN_WINDOW_MS: Millis = 200;

/// Asking the other tabs, and a "signed in" held while they may answer.
#[derive(Debug, Default)]
pub(super) struct Joining {
    /// When the other tabs were last asked for their session.
    asked_at: Option<EpochMs>,
    /// The held answer: as [`Machine::signed_in`] takes it, and until when.
    held: Option<Held>,
}

#[derive(Debug)]
struct Held {
    until: EpochMs,
    asked: Check,
    deadlines: (Option<EpochMs>, Option<EpochMs>),
    remember_me: bool,
    user: Option<String>,
}

impl Joining {
    /// The other tabs were asked for their session at `now`. Asking again
    /// while an answer is held does not move its window: `resume()` called
    /// over and over must not hold the server's word for ever.
    pub(super) fn asked(&mut self, now: EpochMs) {
        if self.held.is_none() {
            self.asked_at = Some(now);
        }
    }

    /// Drops a held answer (a logout, or a login here).
    pub(super) fn drop_held(&mut self) {
        self.held = None;
    }

    /// The server said "signed out" to a check sent at `sent_at`: a held
    /// answer to a check sent no later is out of date.
    pub(super) fn signed_out_since(&mut self, sent_at: EpochMs) {
        if self.held.as_ref().is_some_and(|held| held.asked.sent_at <= sent_at) {
            self.held = None;
        }
    }

    /// When the held answer is due, if one is held.
    pub(super) fn held_until(&self) -> Option<EpochMs> {
        self.held.as_ref().map(|held| held.until)
    }
}

impl Machine {
    /// Holds a "signed in" that would start a session, if the other tabs were
    /// asked less than [`JOIN_WINDOW_MS`] before `now`; `user` is handed back
    /// when it is not held.
    pub(super) fn hold_for_tabs(
        &mut self,
        now: EpochMs,
        asked: Check,
        deadlines: (Option<EpochMs>, Option<EpochMs>),
        remember_me: bool,
        user: Option<String>,
    ) -> Result<(), Option<String>> {
        let until = self.joining.asked_at.map_or(0, |at| at.saturating_add(JOIN_WINDOW_MS));
        if now >= until {
            return Err(user);
        }
        self.joining.held = Some(Held { until, asked, deadlines, remember_me, user });
        Ok(())
    }

    /// A session began here: a held answer is dropped, or, when the session
    /// was joined (`joined`: from another tab or storage) and had started
    /// when the server was asked, taken as the server's word on it. A session
    /// that began after the question (a login in another tab) is not the one
    /// the server spoke of: its deadlines and user are not that answer's.
    pub(super) fn held_meets_session(&mut self, now: EpochMs, joined: bool) {
        let Some(held) = self.joining.held.take() else { return };
        if joined && self.live().is_some_and(|live| live.started_at <= held.asked.sent_at) {
            self.take_held(now, held);
        }
    }

    /// A logout here while an answer is held: the server's session is the one
    /// being logged out of, so the answer is taken at once (the session starts,
    /// as it did before there was a window) for the logout to end it and tell
    /// the server, rather than dropped with the server's session left alive.
    pub(super) fn close_join_window(&mut self, now: EpochMs) {
        self.joining.asked_at = None;
        if let Some(held) = self.joining.held.take() {
            self.take_held(now, held);
        }
    }

    /// The join window ended with no session heard: the held answer is taken
    /// now, by the rules it would have met at once (a logout since revives
    /// nothing, an owed logout is sent again instead).
    ///
    /// A window that ended long ago (the page was frozen or asleep through
    /// it) leaves an answer that may speak of a session ended meanwhile in a
    /// tab whose message this one missed: the server is asked again instead.
    pub(super) fn end_join_window(&mut self, now: EpochMs) {
        if self.joining.held.as_ref().is_none_or(|held| now < held.until) {
            return;
        }
        let Some(held) = self.joining.held.take() else { return };
        if now > held.until.saturating_add(JOIN_WINDOW_MS) {
            self.ask_server(now, CheckTrigger::Resume, held.asked.epoch);
        } else {
            self.take_held(now, held);
        }
    }

    fn take_held(&mut self, now: EpochMs, held: Held) {
        let Held { asked, deadlines, remember_me, user, .. } = held;
        self.signed_in(now, asked, deadlines, remember_me, user);
        // As `session_checked` does after a "signed in": a token of our own.
        self.refresh_for_token(now, false);
    }

    /// The epoch a held "signed in" would start a session with, if one is held.
    pub fn held_epoch(&self) -> Option<Epoch> {
        self.joining.held.as_ref().map(|held| held.asked.epoch)
    }
}
