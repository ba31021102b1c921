//! The machine's inner state: what exists only while a session is live, and
//! the small state enums it is made of.

use super::super::config::Config;
use super::super::protocol::{EndReason, Epoch, Snapshot};
use super::super::tokens::TokenSet;
use super::super::{EpochMs, Millis};
use super::types::WarningCause;

/// Where the refresh of the current tokens stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refresh {
    /// Nothing to refresh: no expiry known, or the token outlives the session.
    Unneeded,
    /// Refresh (or retry after `failures` failures) at `at`.
    Due { at: EpochMs, failures: u32 },
    /// Waiting for the cross-tab lock; `generation` is what we had when asking.
    AwaitingLock { attempt: u64, generation: u64, failures: u32 },
    /// The request (or the app's `refresh` call) is out; its id is the attempt.
    InFlight { attempt: u64, failures: u32 },
}

/// What the user has been shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Active,
    Warning { cause: WarningCause, deadline: EpochMs, next_tick: EpochMs },
}

/// How another session's snapshot reached this tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Adoption {
    /// Another tab signed in.
    Login,
    /// Another tab answered a state request.
    Answer,
    /// Read back from storage.
    Restore,
}

/// Cookie-mode keepalive bookkeeping: one at most per interval, and only when
/// the user was active since the last one went out (at `sent_at`; a login or a
/// join counts as contact with the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keepalive {
    /// Nothing to say: no activity since `sent_at`.
    Quiet { sent_at: EpochMs },
    /// The user was active since `sent_at`: one is owed at the next interval.
    Owed { sent_at: EpochMs },
    /// Keepalive `id` is out; no activity since it left.
    Out { id: u64, sent_at: EpochMs },
    /// Keepalive `id` is out, and the user was active since it left.
    OutOwed { id: u64, sent_at: EpochMs },
}

impl Keepalive {
    /// The user was active.
    pub(super) fn with_activity(self) -> Keepalive {
        match self {
            Keepalive::Quiet { sent_at } | Keepalive::Owed { sent_at } => Keepalive::Owed { sent_at },
            Keepalive::Out { id, sent_at } | Keepalive::OutOwed { id, sent_at } => Keepalive::OutOwed { id, sent_at },
        }
    }

    /// The keepalive that is out, if one is.
    pub(super) fn in_flight(self) -> Option<u64> {
        match self {
            Keepalive::Out { id, .. } | Keepalive::OutOwed { id, .. } => Some(id),
            Keepalive::Quiet { .. } | Keepalive::Owed { .. } => None,
        }
    }

    /// The answer came: on success only activity since it left is still owed;
    /// on failure it is owed again at the next interval.
    pub(super) fn answered(self, delivered: bool) -> Keepalive {
        match self {
            Keepalive::Out { sent_at, .. } if delivered => Keepalive::Quiet { sent_at },
            Keepalive::Out { sent_at, .. } | Keepalive::OutOwed { sent_at, .. } => Keepalive::Owed { sent_at },
            other => other,
        }
    }

    /// When the next keepalive may go out, if one is owed.
    pub(super) fn due(self, interval: Millis) -> Option<EpochMs> {
        match self {
            Keepalive::Owed { sent_at } => Some(sent_at.saturating_add(interval)),
            _ => None,
        }
    }
}

/// Everything that exists only while a session is live.
#[derive(Debug)]
pub(super) struct Live {
    pub(super) epoch: Epoch,
    pub(super) started_at: EpochMs,
    pub(super) last_activity_at: EpochMs,
    pub(super) last_broadcast_at: Option<EpochMs>,
    pub(super) tokens: TokenSet,
    pub(super) generation: u64,
    pub(super) tokens_received_at: EpochMs,
    pub(super) refresh: Refresh,
    pub(super) phase: Phase,
    /// `None` unless keepalives are configured (an endpoint and an interval).
    pub(super) keepalive: Option<Keepalive>,
    /// The server's word on when the session ends at the latest.
    pub(super) absolute_cap: Option<EpochMs>,
}

impl Live {
    pub(super) fn idle_deadline(&self, config: &Config) -> EpochMs {
        self.last_activity_at.saturating_add(config.idle_timeout_ms)
    }

    pub(super) fn absolute_deadline(&self, config: &Config) -> EpochMs {
        let own = self.started_at.saturating_add(config.absolute_timeout_ms);
        self.absolute_cap.map_or(own, |cap| own.min(cap))
    }

    /// Takes the server's absolute deadline as a cap (the earliest one wins).
    pub(super) fn cap_absolute(&mut self, cap: EpochMs) {
        self.absolute_cap = Some(self.absolute_cap.map_or(cap, |old| old.min(cap)));
    }

    /// When the next keepalive may go out, if one is wanted.
    pub(super) fn keepalive_due(&self, config: &Config) -> Option<EpochMs> {
        self.keepalive?.due(config.keepalive_every_ms?)
    }

    pub(super) fn snapshot(&self) -> Snapshot {
        Snapshot {
            started_at: self.started_at,
            last_activity_at: self.last_activity_at,
            tokens: self.tokens.clone(),
            generation: self.generation,
            tokens_received_at: self.tokens_received_at,
            absolute_cap: self.absolute_cap,
        }
    }

    /// The warning that should be showing at `now`, if any: the one whose
    /// deadline comes first among those whose warning period has begun.
    pub(super) fn due_warning(&self, config: &Config, now: EpochMs) -> Option<(WarningCause, EpochMs)> {
        let idle = self.idle_deadline(config);
        let absolute = self.absolute_deadline(config);
        let idle_warns = now >= idle.saturating_sub(config.warn_before_ms);
        let absolute_warns = now >= absolute.saturating_sub(config.absolute_warn_before_ms);
        match (idle_warns, absolute_warns) {
            (true, true) if idle < absolute => Some((WarningCause::Idle, idle)),
            (_, true) => Some((WarningCause::Absolute, absolute)),
            (true, false) => Some((WarningCause::Idle, idle)),
            (false, false) => None,
        }
    }
}

// One `State` per session, replaced rarely: boxing `Live` would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(super) enum State {
    Anonymous,
    Live(Live),
    Ended { reason: EndReason },
}

/// SplitMix64: a tiny, well-mixed PRNG for jitter. Not for secrets; the shell
/// seeds it from the platform CSPRNG.
#[derive(Debug, Clone)]
pub(super) struct Jitter(pub(super) u64);

impl Jitter {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The oldest entry of a queue. Queues here hold a handful of entries, so a
/// `Vec` is smaller in the wasm than a `VecDeque` and as fast.
pub(super) fn take_first<T>(queue: &mut Vec<T>) -> Option<T> {
    if queue.is_empty() {
        None
    } else {
        Some(queue.remove(0))
    }
}

/// The next countdown tick after `now`: ticks fall on whole intervals before the
/// deadline, so `remainingMs` reads 60000, 59000 … when the timer is on time.
pub(super) fn next_tick(deadline: EpochMs, now: EpochMs, interval: Millis) -> EpochMs {
    let remaining = deadline.saturating_sub(now);
    let interval = interval.max(1);
    let whole = remaining.saturating_sub(1) / interval * interval;
    deadline - whole
}
