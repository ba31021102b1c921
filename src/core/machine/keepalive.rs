//! The keepalive, single-flight across tabs, and the server's word on the
//! session that the tabs share (its deadlines and when the last keepalive left).
//!
//! Tabs share the session cookie, so one keepalive serves them all. Every tab
//! knows when the last one left (`sent_at`: a tab that sends one says so on the
//! channel) and owes one when the user was active, in any tab, since then. A
//! tab whose keepalive is due takes the refresh lock first, and sends only if
//! it is still due once granted: the holder says it sent before it lets the
//! lock go ([`super::LOCK_SETTLE_MS`]), so the next holder finds nothing due.
//! At most one keepalive per interval leaves the browser, from whichever tab
//! was first due. A failed one is owed again by the tab that sent it only.

use super::super::contract::keepalive_request;
use super::super::protocol::{EndReason, Epoch, Snapshot};
use super::super::{EpochMs, Millis};
use super::live::State;
use super::requests::Pending;
use super::types::{Effect, KeepaliveOutcome, Origin, Purpose};
use super::Machine;

/// Where this tab's own keepalive stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// None asked for.
    Idle,
    /// Waiting for the lock for attempt `.0`.
    AwaitingLock(u64),
    /// Request `.0` is out.
    Out(u64),
}

/// Keepalive bookkeeping of a live session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Keepalive {
    /// When a tab last sent one (or the session began here: a login or join
    /// counts as contact with the server).
    pub(super) sent_at: EpochMs,
    /// This tab's last one failed: owed again, activity or not.
    pub(super) retry: bool,
    /// The user chose "stay signed in" during an idle warning here: one goes
    /// out now, whatever the interval (the server's idle timer may be what warns).
    pub(super) asap: bool,
    pub(super) step: Step,
}

impl Keepalive {
    /// When the next one may go out: one interval after the last, if the user
    /// was active since (`last_activity_at`, any tab's) or the last failed.
    pub(super) fn due(self, last_activity_at: EpochMs, interval: Millis) -> Option<EpochMs> {
        let owed = self.retry || self.asap || last_activity_at > self.sent_at;
        let wait = if self.asap { 0 } else { interval };
        (owed && matches!(self.step, Step::Idle)).then(|| self.sent_at.saturating_add(wait))
    }

    /// A tab sent one at `at`.
    pub(super) fn heard(&mut self, at: EpochMs) {
        if at > self.sent_at {
            self.sent_at = at;
            self.retry = false;
            self.asap = false;
        }
    }
}

/// What the tabs share of the server's word on a session: the earliest
/// absolute deadline (`u64::MAX`: none), the latest idle deadline and the
/// latest keepalive (0: none). Plain numbers with those sentinels keep the
/// merge a bare min/max.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Word(EpochMs, EpochMs, EpochMs);

impl Default for Word {
    fn default() -> Word {
        Word(EpochMs::MAX, 0, 0)
    }
}

impl Word {
    fn of(absolute_cap: Option<EpochMs>, idle_cap: Option<EpochMs>, keepalive_at: Option<EpochMs>) -> Word {
        Word(absolute_cap.unwrap_or(EpochMs::MAX), idle_cap.unwrap_or(0), keepalive_at.unwrap_or(0))
    }

    /// Both together (what is known once both were heard).
    fn join(self, other: Word) -> Word {
        Word(self.0.min(other.0), self.1.max(other.1), self.2.max(other.2))
    }
}

impl Machine {
    /// Keepalive bookkeeping for a session whose last contact with the server
    /// was at `sent_at`; `None` without a keepalive endpoint and interval.
    pub(super) fn fresh_keepalive(&self, sent_at: EpochMs) -> Option<Keepalive> {
        let wanted = self.transport.keepalive.is_some() && self.config.keepalive_every_ms.is_some();
        wanted.then_some(Keepalive { sent_at, retry: false, asap: false, step: Step::Idle })
    }

    /// A keepalive is due (never offline): ask for the lock first.
    pub(super) fn send_keepalive_if_due(&mut self, now: EpochMs) {
        if !self.online {
            return;
        }
        let State::Live(live) = &mut self.state else { return };
        let due = live.keepalive_due(&self.config).is_some_and(|at| now >= at);
        let Some(keepalive) = live.keepalive.as_mut().filter(|_| due) else { return };
        let attempt = super::server::next_id(&mut self.next_id);
        keepalive.step = Step::AwaitingLock(attempt);
        self.effects.push(Effect::AcquireRefreshLock { attempt });
    }

    /// The lock for `attempt` was granted: if it is the keepalive's, send it
    /// when still due (no tab sent one meanwhile), tell the tabs, and let the
    /// lock go. Whether the lock was the keepalive's.
    pub(super) fn keepalive_lock_granted(&mut self, now: EpochMs, attempt: u64) -> bool {
        let online = self.online;
        let State::Live(live) = &mut self.state else { return false };
        let last_activity_at = live.last_activity_at;
        let Some(keepalive) =
            live.keepalive.as_mut().filter(|k| matches!(k.step, Step::AwaitingLock(a) if a == attempt))
        else {
            return false;
        };
        keepalive.step = Step::Idle;
        let every = self.config.keepalive_every_ms;
        let due = every.and_then(|every| keepalive.due(last_activity_at, every)).is_some_and(|at| now >= at);
        // Built only when it goes (never to be dropped unsent).
        let request = if due && online { keepalive_request(&self.transport) } else { None };
        if let Some(request) = request {
            // Its own id: the lock's release abandons nothing of the keepalive.
            let id = super::server::next_id(&mut self.next_id);
            *keepalive = Keepalive { sent_at: now, retry: false, asap: false, step: Step::Out(id) };
            self.send(id, Pending::Keepalive, Purpose::Keepalive, request);
            self.share_word_if_new();
        }
        self.release_lock(attempt);
        true
    }

    /// Keepalive `attempt` was answered. A stale answer is ignored.
    pub(super) fn keepalive_result(&mut self, now: EpochMs, attempt: u64, outcome: KeepaliveOutcome) {
        let now = self.catch_up(now);
        let State::Live(live) = &mut self.state else { return };
        let Some(keepalive) = live.keepalive.as_mut().filter(|k| matches!(k.step, Step::Out(id) if id == attempt))
        else {
            return;
        };
        keepalive.step = Step::Idle;
        match outcome {
            KeepaliveOutcome::Alive { absolute_deadline, idle_deadline } => {
                live.take_word(now, absolute_deadline, idle_deadline)
            }
            // Owed again at the next interval, by this tab.
            KeepaliveOutcome::Failed => keepalive.retry = true,
            KeepaliveOutcome::Revoked => self.end(EndReason::Revoked, Origin::Server),
        }
        self.advance(now);
    }

    /// What the server said binds every tab: when the live session knows
    /// more than the tabs have heard (an earlier absolute deadline, a later
    /// idle deadline or keepalive), share it (an unrequested state answer,
    /// which they merge).
    pub(super) fn share_word_if_new(&mut self) {
        let Some(live) = self.live() else { return };
        let word = Word::of(live.absolute_cap, live.idle_cap, live.keepalive.map(|k| k.sent_at));
        let known = match &self.word_shared {
            Some((epoch, word)) if *epoch == live.epoch => *word,
            _ => Word::default(),
        };
        if known.join(word) != known {
            // `broadcast_live` notes it as heard.
            self.broadcast_live(false);
        }
    }

    /// Every tab heard `snapshot` of session `epoch` (sent or received).
    pub(super) fn note_word_heard(&mut self, epoch: &Epoch, snapshot: &Snapshot) {
        let known = match &self.word_shared {
            Some((of, word)) if of == epoch => *word,
            _ => Word::default(),
        };
        let heard = Word::of(snapshot.absolute_cap, snapshot.idle_cap, snapshot.keepalive_at);
        self.word_shared = Some((*epoch, known.join(heard)));
    }
}
