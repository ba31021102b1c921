//! How a session ends (`end`), and what keeps an ended session ended: the
//! epochs this tab saw end, the tombstones every tab shares (see
//! `core::tombstone`), and the logout that did not reach the server, sent
//! again from one tab.
//!
//! - A session that ends here leaves a tombstone, saved for every tab
//!   ([`Effect::SaveTombstones`]); what other tabs saved comes in through
//!   [`Machine::handle_tombstones`]. A live session that a tombstone ends (a
//!   tab that slept through the logout message) ends here too.
//! - A logout whose requests failed (offline, 5xx, a CSRF 403) is owed. It is
//!   sent again, without tokens (they left memory at the end), whenever the
//!   browser comes back online or the page wakes, by one tab at a time: the
//!   one holding the refresh lock. A tab granted the lock after another sent
//!   it finds the tombstone told and sends nothing.
//! - While a logout is owed, a session check that says "signed in" is the old
//!   session the server still has: an explicit `resume()` sends the logout
//!   again instead of starting a session. A session started by the app
//!   (`start()`, or another tab's login) settles what is owed: the server
//!   session is a new one by then.

use super::super::contract::logout_requests;
use super::super::identity::Identity;
use super::super::protocol::{EndReason, Epoch, Message};
use super::super::tokens::TokenSet;
use super::super::tombstone::{Tombstone, Tombstones};
use super::super::{EpochMs, Millis};
use super::live::{Live, State};
use super::types::{Effect, ErrorCode, Event, Origin, Purpose, SessionState};
use super::Machine;

/// The tokens of an owed logout sent again: none (they left memory at the end).
static NO_TOKENS: TokenSet = TokenSet {
    access_token: None,
    refresh_token: None,
    expires_at: None,
    identity: Identity { user: None, sub: None },
    remember_me: false,
    idle_deadline: None,
    absolute_deadline: None,
};

/// The re-sending of an owed logout, one tab at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Resend {
    /// Nothing under way.
    Idle,
    /// Waiting for the refresh lock, which single-flights the re-send across tabs.
    AwaitingLock { attempt: u64 },
    /// The logout request is out (lock held until it is answered).
    Out { attempt: u64, batch: u64 },
}

/// How many ended epochs are remembered, to refuse replayed logins.
const ENDED_EPOCHS_KEPT: usize = 16;

impl Machine {
    // ----- getters --------------------------------------------------------

    /// The ended sessions this tab knows of (its own, and what other tabs saved).
    pub fn tombstones(&self) -> &Tombstones {
        &self.tombstones
    }

    // ----- inputs ---------------------------------------------------------

    /// The ended sessions as stored for every tab: read when the page starts, on
    /// `resume()`, when it wakes and when the refresh lock is granted. Merged
    /// with what this tab knows (times clamped, see [`Tombstones::merge`]). A live session they end (this tab
    /// missed the other tab's logout message: frozen, discarded, asleep) ends
    /// here, as the other tab's end; the server is not told again, and the
    /// other tabs are asked for the session that followed, if any. They are
    /// read before this tab's timers fire: a tab that slept past its idle
    /// deadline would otherwise expire the session itself and tell the server,
    /// and in cookie mode that logout ends whatever session followed.
    pub fn handle_tombstones(&mut self, now: EpochMs, stored: &Tombstones) {
        let now = self.clock(now);
        self.tombstones.merge(stored, now, self.config.longest_lifetime_ms());
        self.tombstones.expire(now);
        let ended = match &self.state {
            State::Live(live) if self.tombstones.ends(live.epoch, live.started_at, now) => {
                let own = self.tombstones.get(live.epoch).map(|tombstone| tombstone.reason);
                Some(match own {
                    Some(EndReason::User) | None => EndReason::OtherTab,
                    Some(reason) => reason,
                })
            }
            _ => None,
        };
        if let Some(reason) = ended {
            self.end(reason, Origin::OtherTab);
            // A session that followed (a login after the logout, or the one that
            // replaced this) was announced while this tab slept: join it, as a
            // tab awake would have.
            self.ask_state();
        }
        self.advance(now);
    }

    /// Whether the live session's own clock ends it at `now`: its idle or
    /// absolute deadline has passed. Before any input at such a time, the shell
    /// hands over the stored tombstones ([`Machine::handle_tombstones`]):
    /// another tab may have ended the session already, with a message this page
    /// missed (frozen, in the back/forward cache), and whether a late timer, an
    /// app's `remainingMs()` or the page's wake event comes first is the
    /// browser's choice.
    pub fn ends_by_clock(&self, now: EpochMs) -> bool {
        self.ends_at().is_some_and(|at| now >= at)
    }

    // ----- internals ------------------------------------------------------

    pub(super) fn remember_ended(&mut self, epoch: &Epoch) {
        if self.ended_epochs.contains(epoch) {
            return;
        }
        if self.ended_epochs.len() >= ENDED_EPOCHS_KEPT {
            self.ended_epochs.remove(0);
        }
        self.ended_epochs.push(*epoch);
    }

    /// End the live session. Unless the end came from another tab (which has
    /// told the others, and the server), the other tabs are told, a tombstone
    /// is left for every tab, and, unless the server's own answer ended it, the
    /// server is told too. Storage is wiped before the server is called, and
    /// the tokens leave memory.
    pub(super) fn end(&mut self, reason: EndReason, origin: Origin) {
        if !matches!(self.state, State::Live(_)) {
            return;
        }
        let before = self.state();
        let State::Live(live) = core::mem::replace(&mut self.state, State::Ended { reason }) else {
            return;
        };
        self.abandon_refresh(&live);
        let decided_here = origin != Origin::OtherTab;
        if decided_here {
            self.broadcast(&live.epoch, Message::Logout { reason });
        }
        self.effects.push(Effect::WipeStorage);
        self.persisted = None;
        self.remember_ended(&live.epoch);
        self.last_end_at = Some(self.now);
        self.end_records(live.epoch, reason, &live.tokens.identity);
        if decided_here {
            let sent = !reason.is_servers_word() && self.tell_server(&live.epoch, reason, &live.tokens);
            self.bury(&live.epoch, live.started_at, reason, !sent, live.lifetime(&self.config));
        }
        let (to, event) = if reason.is_expiry() {
            (SessionState::Expired, Event::Expired { reason, origin })
        } else {
            (SessionState::LoggedOut, Event::LoggedOut { reason, origin })
        };
        self.events.push(Event::StateChange { from: before, to });
        self.events.push(event);
    }

    /// Leaves a tombstone for session `epoch` (started at `started_at`), which
    /// ended here now, and saves the list for every tab. `server_told`: nothing
    /// is owed to the server. It lasts the session's `lifetime`: a remembered
    /// session's owed logout outlives `absoluteTimeoutMs`, as the server's
    /// session does.
    pub(super) fn bury(
        &mut self,
        epoch: &Epoch,
        started_at: EpochMs,
        reason: EndReason,
        server_told: bool,
        lifetime: Millis,
    ) {
        let ended_at = self.now;
        let expires_at = ended_at.saturating_add(lifetime);
        self.tombstones.expire(ended_at);
        self.tombstones.insert(Tombstone { epoch: *epoch, started_at, reason, ended_at, expires_at, server_told });
        self.save_tombstones();
    }

    /// Begins `live` (see `begin`) and buries the live session it replaces, if
    /// any: a login here over the live session (an account switch, or the same
    /// user signing in again without a logout), or another tab's later login
    /// this tab adopts. The replaced session ended, so it leaves a tombstone
    /// (reason `UserChanged` for another user, `User` for the same one; nothing
    /// owed: the server's session is the new one). A tab that slept through the
    /// login and wakes past the old session's deadline then ends it as this
    /// end, instead of expiring it and telling the server, which in cookie mode
    /// would end the new session. Buried after the login's broadcast: a tab
    /// that reads the tombstones in between ends the old session instead of
    /// hearing of the new one. Not when the new session sorts before the old
    /// (a login in the millisecond the old one started, with a lower epoch): a
    /// tombstone also ends every older session, the new one included.
    pub(super) fn begin_replacing(&mut self, now: EpochMs, live: Live, origin: Origin, announce: bool) {
        let replaced = match &self.state {
            State::Live(old) if (old.started_at, old.epoch) < (live.started_at, live.epoch) => {
                let other_user = old.tokens.identity.conflicts(&live.tokens.identity);
                let reason = if other_user { EndReason::UserChanged } else { EndReason::User };
                Some((old.epoch, old.started_at, reason, old.lifetime(&self.config)))
            }
            _ => None,
        };
        self.begin(now, live, origin, announce);
        if let Some((epoch, started_at, reason, lifetime)) = replaced {
            self.bury(&epoch, started_at, reason, true, lifetime);
        }
    }

    /// A session that started at `started_at` has just begun here: if the app
    /// asked for a logout since (while this tab was still joining), it is the
    /// session the user asked to leave, and ends everywhere as theirs.
    pub(super) fn end_if_logout_asked(&mut self, started_at: EpochMs) {
        if self.logout_asked_at.is_some_and(|at| started_at <= at) {
            self.logout_asked_at = None;
            self.end(EndReason::User, Origin::Local);
        }
    }

    /// Saves the list for every tab. One save per input: a later one (a
    /// session begun and buried in the same input) supersedes one still queued.
    pub(super) fn save_tombstones(&mut self) {
        self.effects.retain(|effect| !matches!(effect, Effect::SaveTombstones(_)));
        self.effects.push(Effect::SaveTombstones(self.tombstones.clone()));
    }

    /// A session started at `started_at` (a login here or in another tab): the
    /// logouts owed from before are settled, the server session being a new one.
    pub(super) fn settle_owed(&mut self, started_at: EpochMs) {
        if self.tombstones.settle(started_at) {
            self.save_tombstones();
        }
    }

    /// Whether a logout is owed and could be sent: what a "signed in" answer
    /// must not override.
    pub(super) fn logout_owed(&self) -> bool {
        self.tombstones.owed()
    }

    /// Asks for the refresh lock to send an owed logout again, if one is owed,
    /// the browser is online, no session is live (a cookie logout would end it)
    /// and no re-send is under way.
    pub(super) fn resend_logout_if_owed(&mut self) {
        let idle = matches!(self.resend, Resend::Idle) && self.online && !matches!(self.state, State::Live(_));
        if !(idle && self.transport.logout.is_some() && self.tombstones.owed()) {
            return;
        }
        let attempt = self.take_id();
        self.resend = Resend::AwaitingLock { attempt };
        self.effects.push(Effect::AcquireRefreshLock { attempt });
    }

    /// The lock for `attempt` was granted: if it is the re-send's, sends the
    /// owed logout (or releases the lock when another tab told the server
    /// meanwhile). Whether the lock was the re-send's.
    pub(super) fn resend_lock_granted(&mut self, attempt: u64) -> bool {
        if !matches!(self.resend, Resend::AwaitingLock { attempt: waiting } if waiting == attempt) {
            return false;
        }
        self.resend = Resend::Idle;
        let live = matches!(self.state, State::Live(_));
        let requests = if live || !self.online || !self.tombstones.owed() {
            Vec::new()
        } else {
            logout_requests(&self.transport, &NO_TOKENS)
        };
        if requests.is_empty() {
            self.release_lock(attempt);
            return true;
        }
        let batch = self.send_logouts(requests, None, Purpose::ResendLogout);
        self.resend = Resend::Out { attempt, batch };
        true
    }

    /// Every request of logout `batch` was answered; `epoch` names the session
    /// it told of (`None`: a re-send, for every owed logout up to when it left).
    pub(super) fn logout_answered(&mut self, batch: u64, epoch: Option<&Epoch>, delivered: bool) {
        if let Resend::Out { attempt, batch: out } = self.resend {
            if out == batch {
                self.resend = Resend::Idle;
                self.release_lock(attempt);
            }
        }
        match (epoch, delivered) {
            (Some(epoch), true) => {
                if self.tombstones.told(*epoch) {
                    self.save_tombstones();
                }
            }
            (None, true) => {
                let sent_at = self.now;
                self.settle_owed(sent_at);
            }
            (Some(_), false) => self.events.push(Event::Error { code: ErrorCode::LogoutFailed }),
            // Reported when the logout first failed; it is tried again later.
            (None, false) => {}
        }
    }
}
