//! The requests the machine has out, and what their answers mean.
//!
//! Every request gets an id from the same counter as refresh attempts (a
//! refresh request's id *is* its attempt). The table below remembers why each
//! one was sent, so an answer is read by its purpose: a refresh answer as new
//! tokens, a keepalive or session answer as the server's word on the session,
//! a logout answer only as delivered or not. An answer with an id the table
//! does not hold (never asked, already answered, or abandoned) is ignored.

use super::super::contract::{
    read_hook_result, read_refresh_response, read_session_response, FetchAnswer, HookResult, Response, SessionAnswer,
};
use super::super::endpoints::TokenMode;
use super::super::protocol::Epoch;
use super::super::refresh::{RefreshFailure, RefreshOutcome};
use super::super::EpochMs;
use super::types::{CheckTrigger, KeepaliveOutcome};

/// A session check as it was asked: the epoch a "signed in" answer starts a
/// session with, why it was asked, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Check {
    pub(super) epoch: Epoch,
    pub(super) trigger: CheckTrigger,
    pub(super) sent_at: EpochMs,
}
use super::Machine;

/// At most this many requests are remembered; the oldest is forgotten first.
/// The shell answers every request (a timeout at worst), so this only bounds a
/// shell that does not.
const MAX_PENDING: usize = 64;

/// Why a request is out, with what its answer needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pending {
    /// A refresh (request or `refresh` call); its id is the attempt.
    Refresh,
    /// A keepalive; its id is in the keepalive bookkeeping.
    Keepalive,
    /// A session check, as it was asked: a signed-in answer to a `resume()`
    /// starts a session with its epoch.
    SessionCheck(Check),
    /// One of the requests sent when session `epoch` ended (`None`: an owed
    /// logout sent again); `batch` groups them; `failed`: another of the
    /// batch failed.
    Logout { batch: u64, epoch: Option<Epoch>, failed: bool },
}

/// The requests out.
#[derive(Debug, Default)]
pub(super) struct Requests {
    pending: Vec<(u64, Pending)>,
}

impl Requests {
    pub(super) fn insert(&mut self, id: u64, why: Pending) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
        }
        self.pending.push((id, why));
    }

    /// Forgets request `id` and says why it was sent, if it is out.
    pub(super) fn take(&mut self, id: u64) -> Option<Pending> {
        self.take_matching(id, None)
    }

    /// Forgets request `id` if it was sent for `why` (a refresh or a keepalive).
    pub(super) fn take_if(&mut self, id: u64, why: Pending) -> bool {
        self.take_matching(id, Some(why)).is_some()
    }

    /// Forgets request `id` if it is out (and was sent for the kind of `why`, if given).
    fn take_matching(&mut self, id: u64, why: Option<Pending>) -> Option<Pending> {
        let kind = why.map(|why| core::mem::discriminant(&why));
        let index = self
            .pending
            .iter()
            .position(|(have, sent)| *have == id && kind.is_none_or(|kind| kind == core::mem::discriminant(sent)))?;
        Some(self.pending.remove(index).1)
    }

    /// One logout request of `batch` ended, `failed` (it, or one of the
    /// batch before it); `Some(failed)` when it was the batch's last, the
    /// others are told otherwise.
    fn logout_done(&mut self, batch: u64, failed: bool) -> Option<bool> {
        let mut open = false;
        for (_, why) in &mut self.pending {
            if let Pending::Logout { batch: b, failed: other, .. } = why {
                if *b == batch {
                    *other |= failed;
                    open = true;
                }
            }
        }
        (!open).then_some(failed)
    }
}

impl Machine {
    // ----- inputs: answers ----------------------------------------------------

    /// Request `id` (from [`super::Effect::Fetch`]) ended with `answer`. Read
    /// by why it was sent; an unknown or already answered id is ignored.
    pub fn handle_fetch_answer(&mut self, now: EpochMs, id: u64, answer: FetchAnswer) {
        let now = self.clock(now);
        let Some(why) = self.requests.take(id) else { return };
        self.advance(now);
        match why {
            Pending::Refresh => {
                // One call of `refresh_result`, whatever the answer.
                let failed = |failure| RefreshOutcome::Failed { failure, retry_after_ms: None };
                let outcome = match &answer {
                    FetchAnswer::Response(response) => {
                        read_refresh_response(&self.transport, response, now, self.parse_json)
                    }
                    FetchAnswer::Network => failed(RefreshFailure::Network),
                    FetchAnswer::Timeout => failed(RefreshFailure::Timeout),
                    FetchAnswer::Redirected => failed(RefreshFailure::Redirected),
                };
                self.refresh_result(now, id, outcome);
            }
            Pending::Keepalive => {
                let outcome = match self.session_answer(&answer, now) {
                    SessionAnswer::Active { absolute_deadline, idle_deadline, user, .. } => {
                        if let Some(user) = user {
                            self.check_user(user);
                        }
                        KeepaliveOutcome::Alive { absolute_deadline, idle_deadline }
                    }
                    SessionAnswer::SignedOut | SessionAnswer::Revoked => KeepaliveOutcome::Revoked,
                    SessionAnswer::Retryable { .. } | SessionAnswer::BadResponse => KeepaliveOutcome::Failed,
                };
                self.keepalive_result(now, id, outcome);
            }
            Pending::SessionCheck(asked) => {
                let answer = self.session_answer(&answer, now);
                self.session_checked(now, asked, answer);
            }
            Pending::Logout { batch, ref epoch, failed } => {
                let delivered = matches!(&answer, FetchAnswer::Response(Response { status: 200..=299, .. }));
                if let Some(failed) = self.requests.logout_done(batch, failed || !delivered) {
                    self.logout_answered(batch, epoch.as_ref(), !failed);
                }
            }
        }
    }

    /// The app's `refresh` function, called for refresh `id`
    /// ([`super::Effect::CallRefreshHook`]), did `result`. An unknown or
    /// already answered id is ignored.
    pub fn handle_hook_result(&mut self, now: EpochMs, id: u64, result: HookResult) {
        let now = self.clock(now);
        if self.requests.take_if(id, Pending::Refresh) {
            let outcome = read_hook_result(&self.transport, &result, now, self.parse_json);
            self.refresh_result(now, id, outcome);
        }
    }

    /// Refresh attempt `attempt` ended with `outcome`, already read (what
    /// [`Machine::handle_fetch_answer`] and [`Machine::handle_hook_result`] come
    /// to; the simulator's server answers this way). A result for any attempt
    /// but the one in flight is stale and ignored (the lock is released all the same).
    pub fn handle_refresh_result(&mut self, now: EpochMs, attempt: u64, outcome: RefreshOutcome) {
        self.requests.take_if(attempt, Pending::Refresh);
        self.refresh_result(now, attempt, outcome);
    }

    /// The server answered keepalive `attempt`, already read. A stale answer is ignored.
    pub fn handle_keepalive_result(&mut self, now: EpochMs, attempt: u64, outcome: KeepaliveOutcome) {
        self.requests.take_if(attempt, Pending::Keepalive);
        self.keepalive_result(now, attempt, outcome);
    }

    // ----- internals ---------------------------------------------------------

    /// A keepalive or session answer; no answer at all (network, timeout)
    /// reads as "try again", a redirect (not followed) as unusable.
    fn session_answer(&self, answer: &FetchAnswer, now: EpochMs) -> SessionAnswer {
        match answer {
            FetchAnswer::Response(response) => read_session_response(&self.transport, response, now),
            FetchAnswer::Network | FetchAnswer::Timeout => SessionAnswer::Retryable { retry_after_ms: None },
            FetchAnswer::Redirected => SessionAnswer::BadResponse,
        }
    }

    /// What a session answer means. Signed in: join the live session (a
    /// different user ends it), or start one, on an explicit `resume()` only,
    /// and only when no logout is owed (then the "signed in" is the old
    /// session, and the logout is sent again instead); get an access token if
    /// this tab has none (bearer mode after a reload: the refresh cookie is
    /// there, the token is not). Signed out or revoked: nothing is owed to the
    /// server any more; in cookie mode a live session has ended; in bearer mode
    /// it is not proof, as the refresh cookie the check carried may have been
    /// rotated by another tab a moment later, so the refresh endpoint decides
    /// (a 401 there ends it).
    fn session_checked(&mut self, now: EpochMs, asked: Check, answer: SessionAnswer) {
        // A check sent before the live session began (the app's `start()`, or
        // another tab's login, while it was on its way) speaks of what came
        // before: it neither ends the new session nor names its user.
        if self.live().is_some_and(|live| live.started_at > asked.sent_at) {
            return;
        }
        let mut verify_by_refresh = false;
        match answer {
            SessionAnswer::Active { absolute_deadline, idle_deadline, user, remember_me } => {
                self.signed_in(now, asked, (absolute_deadline, idle_deadline), remember_me, user);
            }
            SessionAnswer::SignedOut | SessionAnswer::Revoked => {
                if !self.state().is_live() {
                    // Nobody is signed in: no logout is owed, and a "signed
                    // in" asked no later, held for the tabs, is out of date.
                    self.settle_owed(now);
                    self.joining.signed_out_since(asked.sent_at);
                }
                if self.transport.mode == TokenMode::Bearer {
                    verify_by_refresh = true;
                } else {
                    self.handle_revoked(now);
                }
            }
            SessionAnswer::Retryable { .. } | SessionAnswer::BadResponse => {}
        }
        self.refresh_for_token(now, verify_by_refresh);
    }
}
