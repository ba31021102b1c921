//! The knobs of the simulated browser and network: every delay, order and
//! loss the simulator can produce, and the lock protections it can model.

use super::REQUEST_TIMEOUT_MS;

/// A delay drawn uniformly from `min..=max` ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delay {
    /// Shortest delay, ms.
    pub min: u64,
    /// Longest delay, ms.
    pub max: u64,
}

impl Delay {
    /// No delay at all.
    pub const NONE: Delay = Delay { min: 0, max: 0 };

    /// Exactly `ms`.
    pub fn fixed(ms: u64) -> Delay {
        Delay { min: ms, max: ms }
    }

    /// Anywhere from `min` to `max` (either order).
    pub fn between(min: u64, max: u64) -> Delay {
        Delay { min: min.min(max), max: min.max(max) }
    }
}

/// How long a released refresh lock stays held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockRelease {
    /// As the effect asks: today the shell's [`super::SHELL_LOCK_HOLD_MS`].
    AsAsked,
    /// This many ms after the release, whatever was asked.
    Hold(u64),
    /// An adaptive hold, modelled (not built): until every open tab has handled the
    /// messages the holder posted before releasing (a lost one never is), at
    /// most `cap` ms.
    UntilDelivered {
        /// The longest hold, ms.
        cap: u64,
    },
}

/// The simulated browser's and network's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Knobs {
    /// Cross-tab message latency, drawn per message and receiver.
    pub message_latency: Delay,
    /// Whether a message may overtake an earlier one between the same two tabs
    /// (`BroadcastChannel` keeps their order; the storage fallback may not).
    pub reorder: bool,
    /// Chance, per mille, that a message is lost for one receiver.
    pub drop_per_mille: u64,
    /// How long a released refresh lock stays held.
    pub release: LockRelease,
    /// From the lock being free to its grant reaching the next tab.
    pub grant_latency: Delay,
    /// At the same instant, a lock grant is handled before a message.
    pub grants_first: bool,
    /// From a request leaving a tab to the server processing it.
    pub server_latency: Delay,
    /// From the server's answer to the tab.
    pub answer_latency: Delay,
    /// The shell gives up on a request after this long (the server may not).
    pub request_timeout: u64,
    /// IndexedDB works, so the generation note is written and read (see
    /// `lock.rs`); `false`: blocked (some private modes), missing or failing,
    /// and the shell hands the machine no note.
    pub indexed_db: bool,
    /// Seed of the draws.
    pub seed: u64,
}

impl Default for Knobs {
    /// A healthy browser: instant messages in order, the machine's lock hold,
    /// IndexedDB, instant answers.
    fn default() -> Knobs {
        Knobs {
            message_latency: Delay::NONE,
            reorder: false,
            drop_per_mille: 0,
            release: LockRelease::AsAsked,
            grant_latency: Delay::NONE,
            grants_first: false,
            server_latency: Delay::NONE,
            answer_latency: Delay::NONE,
            request_timeout: REQUEST_TIMEOUT_MS,
            indexed_db: true,
            seed: 0x5eed,
        }
    }
}
