//! The server's side of a live session: session checks (when to ask and
//! what the answer means), and telling the server that a session ended
//! (keepalives are in `keepalive.rs`).

use super::super::contract::{logout_requests, session_request, Request};
use super::super::protocol::{EndReason, Epoch};
use super::super::tokens::TokenSet;
use super::super::{EpochMs, Millis};
use super::live::State;
use super::requests::{Check, Pending};
use super::types::{CheckTrigger, Effect, Origin, Purpose, SessionCheck};
use super::Machine;

/// How often a waking page may ask the session endpoint (an explicit
/// `resume()` always may).
pub const SESSION_CHECK_EVERY_MS: Millis = 60_000;

impl Machine {
    // ----- commands ----------------------------------------------------------

    /// Ask the server's `session` endpoint whether the user is signed in, if
    /// there is one: always on [`CheckTrigger::Resume`], at most once per
    /// [`SESSION_CHECK_EVERY_MS`] on [`CheckTrigger::Wake`] (the page may end
    /// up waking often). On [`CheckTrigger::Resume`] only, `epoch` (128 random
    /// bits) starts the session when the answer is "signed in", none is live
    /// and no logout is owed. An owed logout is sent again first.
    pub fn check_session(&mut self, now: EpochMs, trigger: CheckTrigger, epoch: Epoch) {
        let now = self.catch_up(now);
        let recent = self.last_session_check.is_some_and(|at| now.saturating_sub(at) < SESSION_CHECK_EVERY_MS);
        if trigger == CheckTrigger::Wake && recent {
            return;
        }
        self.ask_server(now, trigger, epoch);
    }

    /// Sends the session check (an owed logout first).
    pub(super) fn ask_server(&mut self, now: EpochMs, trigger: CheckTrigger, epoch: Epoch) {
        self.last_session_check = Some(now);
        self.resend_logout_if_owed();
        let Some(request) = session_request(&self.transport) else { return };
        let id = self.take_id();
        self.send(id, Pending::SessionCheck(Check { epoch, trigger, sent_at: now }), Purpose::SessionCheck, request);
    }

    // ----- inputs: the server's word ------------------------------------------

    /// The server's `session` endpoint answered an explicit check (see
    /// [`Machine::handle_fetch_answer`] for how an answer becomes a check).
    /// Signed in: join the session, or start one with `epoch` unless a logout
    /// is owed (then the logout is sent again instead), and take the server's
    /// absolute deadline as a cap. Signed out: a live session ends everywhere
    /// as `revoked`.
    pub fn handle_session_check(&mut self, now: EpochMs, epoch: Epoch, check: SessionCheck) {
        let now = self.catch_up(now);
        match check {
            SessionCheck::SignedIn { absolute_deadline, idle_deadline, remember_me } => {
                let asked = Check { epoch, trigger: CheckTrigger::Resume, sent_at: now };
                self.signed_in(now, asked, (absolute_deadline, idle_deadline), remember_me, None);
            }
            // Ends a live session only.
            SessionCheck::SignedOut => {
                self.joining.signed_out_since(now);
                self.end(EndReason::Revoked, Origin::Server);
            }
            SessionCheck::Unknown => {}
        }
        self.advance(now);
    }

    /// The server said the session is no longer valid (e.g. a 401 on an API call
    /// after a refresh, or a revoked keepalive): end it everywhere.
    pub fn handle_revoked(&mut self, now: EpochMs) {
        self.catch_up(now);
        // Ends a live session only.
        self.end(EndReason::Revoked, Origin::Server);
    }

    // ----- internals ---------------------------------------------------------

    /// The server says `user` (if it named one) is signed in, with its
    /// `(absolute, idle)` deadlines and `remember_me` (what a
    /// [`SessionCheck::SignedIn`] holds). A live session takes the server's
    /// deadlines where they are earlier, and ends if `user` is somebody
    /// else. Without one, only an explicit check ([`CheckTrigger::Resume`])
    /// starts a session; not one asked before a session ended here (its
    /// answer speaks of that session), not while a logout is owed (the
    /// server's session is the one the user logged out of: the logout goes
    /// again), and not while another tab may yet answer with the live
    /// session (the answer is held: `joining.rs`).
    pub(super) fn signed_in(
        &mut self,
        now: EpochMs,
        asked: Check,
        (absolute_deadline, idle_deadline): (Option<EpochMs>, Option<EpochMs>),
        remember_me: bool,
        user: Option<String>,
    ) {
        if let State::Live(_) = self.state {
            if let Some(user) = user {
                self.check_user(user);
            }
        } else if asked.trigger == CheckTrigger::Resume && self.logout_asked_at.is_some_and(|at| at >= asked.sent_at) {
            // The app asked for a logout while this answer was on its way: the
            // session it speaks of is the one to leave. It is taken, so that
            // its end reaches the other tabs and the server.
            let mut tokens = TokenSet { remember_me, ..TokenSet::default() };
            tokens.identity.user = user;
            self.login(now, asked.epoch, tokens);
            self.end(EndReason::User, Origin::Local);
            return;
        } else if asked.trigger == CheckTrigger::Wake || self.last_end_at.is_some_and(|at| at >= asked.sent_at) {
            // Waking never signs anybody in, and a late answer revives nothing:
            // after a logout only the app may sign the user in.
            return;
        } else if self.logout_owed() {
            self.resend_logout_if_owed();
            return;
        } else {
            // Another tab's session, if one may yet be heard, is joined instead.
            let deadlines = (absolute_deadline, idle_deadline);
            let Err(user) = self.hold_for_tabs(now, asked, deadlines, remember_me, user) else { return };
            let mut tokens = TokenSet { remember_me, ..TokenSet::default() };
            tokens.identity.user = user;
            self.login(now, asked.epoch, tokens);
        }
        if let State::Live(live) = &mut self.state {
            live.take_word(now, absolute_deadline, idle_deadline);
        }
        // The server's cap may already have passed (found by fuzzing).
        self.advance(now);
    }

    /// Tells the server that session `epoch` ended: revocation, then logout,
    /// sent together; each outlives the page. A failure is reported, and the
    /// logout owed (`ended.rs`), never undone. Whether any request went out.
    pub(super) fn tell_server(&mut self, epoch: &Epoch, reason: EndReason, tokens: &TokenSet) -> bool {
        let requests = logout_requests(&self.transport, tokens);
        let sent = !requests.is_empty();
        self.send_logouts(requests, Some(epoch), Purpose::Logout(reason));
        sent
    }

    /// Sends `requests` as one logout batch, telling of session `epoch`
    /// (`None`: an owed logout sent again). The batch's id.
    pub(super) fn send_logouts(&mut self, requests: Vec<Request>, epoch: Option<&Epoch>, purpose: Purpose) -> u64 {
        let batch = self.take_id();
        for request in requests {
            let id = self.take_id();
            self.send(id, Pending::Logout { batch, epoch: epoch.copied(), failed: false }, purpose, request);
        }
        batch
    }

    /// Sends `request` as request `id`, remembering why.
    pub(super) fn send(&mut self, id: u64, why: Pending, purpose: Purpose, request: Request) {
        self.requests.insert(id, why);
        self.effects.push(Effect::Fetch { id, purpose, request });
    }

    /// A fresh request id.
    pub(super) fn take_id(&mut self) -> u64 {
        next_id(&mut self.next_id)
    }
}

/// Takes the id `counter` holds and moves it on: [`Machine::take_id`], for a
/// caller that holds a borrow of another field.
pub(super) fn next_id(counter: &mut u64) -> u64 {
    let id = *counter;
    *counter = id.wrapping_add(1);
    id
}
