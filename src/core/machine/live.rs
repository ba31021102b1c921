//! The machine's inner state: what exists only while a session is live, and
//! the small state enums it is made of.

use super::super::config::{Config, MAX_DURATION_MS};
use super::super::protocol::{EndReason, Epoch, Snapshot};
use super::super::tokens::{Secret, TokenSet};
use super::super::{EpochMs, Millis};
use super::keepalive::Keepalive;
use super::types::WarningCause;
use super::Machine;

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
    /// The server's word on when its idle timer runs out (the latest heard).
    pub(super) idle_cap: Option<EpochMs>,
    /// Remember me: the session outlives the browser, on its own lifetimes.
    pub(super) remember_me: bool,
}

impl Live {
    /// Ours (a remembered session's own policy, which may be none), or the
    /// server's when it is earlier.
    pub(super) fn idle_deadline(&self, config: &Config) -> EpochMs {
        let timeout = match self.remember_me {
            // No idle timeout: far past any absolute deadline.
            true => config.remember_me_idle_timeout_ms.unwrap_or(2 * MAX_DURATION_MS),
            false => config.idle_timeout_ms,
        };
        let own = self.last_activity_at.saturating_add(timeout);
        self.idle_cap.map_or(own, |cap| own.min(cap))
    }

    /// How long the session may last at most: the remembered lifetime for a
    /// remembered session.
    pub(super) fn lifetime(&self, config: &Config) -> Millis {
        if self.remember_me {
            config.remember_me_absolute_ms
        } else {
            config.absolute_timeout_ms
        }
    }

    pub(super) fn absolute_deadline(&self, config: &Config) -> EpochMs {
        let own = self.started_at.saturating_add(self.lifetime(config));
        self.absolute_cap.map_or(own, |cap| own.min(cap))
    }

    /// Takes the server's absolute deadline as a cap (the earliest one wins).
    pub(super) fn cap_absolute(&mut self, cap: EpochMs) {
        self.absolute_cap = Some(self.absolute_cap.map_or(cap, |old| old.min(cap)));
    }

    /// Takes the server's deadlines (local epoch ms) from an answer at `now`:
    /// the earliest absolute one, and the latest idle one (each answer moves
    /// it on). An idle deadline already past is skew, not the server's word:
    /// the same answer says the session is alive.
    pub(super) fn take_word(&mut self, now: EpochMs, absolute: Option<EpochMs>, idle: Option<EpochMs>) {
        if let Some(cap) = absolute {
            self.cap_absolute(cap);
        }
        if let Some(cap) = idle.filter(|&at| at > now) {
            self.idle_cap = Some(self.idle_cap.map_or(cap, |old| old.max(cap)));
        }
    }

    /// Takes newer tokens of this session, of `generation`, received at
    /// `received_at`: the user stays the one known, with what they add of
    /// it (they do not conflict). The refresh token they replace is returned.
    /// Swapped in place (`tokens` is left holding the old ones): no copies of the set.
    pub(super) fn take_tokens(
        &mut self,
        tokens: &mut TokenSet,
        generation: u64,
        received_at: EpochMs,
    ) -> Option<Secret> {
        core::mem::swap(&mut self.tokens, tokens);
        core::mem::swap(&mut self.tokens.identity, &mut tokens.identity);
        self.tokens.identity.learn(&tokens.identity);
        self.generation = generation;
        self.tokens_received_at = received_at;
        tokens.refresh_token.take()
    }

    /// Takes another tab's newer tokens ([`Live::take_tokens`]); a refresh
    /// not yet under way here is scheduled for them instead.
    pub(super) fn take_newer_tokens(
        &mut self,
        tokens: &mut TokenSet,
        generation: u64,
        received_at: EpochMs,
        config: &Config,
        jitter: &mut Jitter,
    ) {
        self.take_tokens(tokens, generation, received_at);
        if let Refresh::Due { .. } | Refresh::Unneeded = self.refresh {
            self.refresh = Machine::schedule(config, jitter, self);
        }
    }

    /// When the next keepalive may go out, if one is wanted.
    pub(super) fn keepalive_due(&self, config: &Config) -> Option<EpochMs> {
        self.keepalive?.due(self.last_activity_at, config.keepalive_every_ms?)
    }

    pub(super) fn snapshot(&self) -> Snapshot {
        Snapshot {
            started_at: self.started_at,
            last_activity_at: self.last_activity_at,
            tokens: self.tokens.clone(),
            generation: self.generation,
            tokens_received_at: self.tokens_received_at,
            absolute_cap: self.absolute_cap,
            idle_cap: self.idle_cap,
            keepalive_at: self.keepalive.map(|k| k.sent_at),
            remember_me: self.remember_me,
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
