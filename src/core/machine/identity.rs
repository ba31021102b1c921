//! The session's user (see `core::identity`): learned from the answers, shared
//! with the other tabs, and never silently swapped. An answer for somebody
//! else (a login CSRF on the backend, a second login in another window) ends
//! the session in every tab with reason `userChanged`, reported once as an
//! `error` event (`user_changed`) by the tab that saw it. The server is not
//! told: in cookie mode a logout would end the new user's session.

use super::super::identity::Identity;
use super::super::protocol::EndReason;
use super::live::State;
use super::types::{ErrorCode, Event, Origin};
use super::Machine;

impl Machine {
    /// A session or keepalive answer named `user` (`responseFields.user`).
    pub(super) fn check_user(&mut self, user: String) {
        let seen = Identity { user: Some(user), sub: None };
        self.check_identity(&seen, true);
    }

    /// Somebody says the live session is `seen`'s: a server answer, or another
    /// tab's snapshot. A different user ends the session everywhere; a name not
    /// known yet is learned, stored, and (with `share`) told to the other tabs.
    /// Whether the session is still live.
    pub(super) fn check_identity(&mut self, seen: &Identity, share: bool) -> bool {
        let State::Live(live) = &mut self.state else { return false };
        if live.tokens.identity.conflicts(seen) {
            self.user_changed();
            return false;
        }
        if live.tokens.identity.learn(seen) {
            // The stored copy and the other tabs lack it: write it, share it.
            self.persisted = None;
            if share {
                self.broadcast_live(false);
            }
        }
        true
    }

    /// The server answered for another user: end everywhere, and report it.
    pub(super) fn user_changed(&mut self) {
        self.end(EndReason::UserChanged, Origin::Server);
        self.events.push(Event::Error { code: ErrorCode::UserChanged });
    }
}
