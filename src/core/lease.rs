//! The refresh lease: cross-tab mutual exclusion through one `localStorage` key,
//! for pages without Web Locks (every page outside a secure context).
//!
//! A [`LeaseClaim`] is a small sans-IO machine. The shell reads the lease key and
//! hands the value to [`LeaseClaim::handle_read`] with the time and a random
//! number; the answer ([`LeaseStep`]) says what to write and when to read again.
//! The shell writes, sleeps and reads; every rule is here.
//!
//! # The algorithm (Fischer's timed mutual exclusion)
//!
//! A lease is `<owner>|<expires>`: a random 128-bit owner id in hex and an
//! expiry in epoch ms, [`LEASE_MS`] after it was written.
//!
//! 1. Read the key. A live lease of another owner: read again after a random
//!    50–150 ms. Free, expired, implausible (expiring more than [`LEASE_MS`]
//!    ahead) or unreadable: write our lease at once, in the same task as the read.
//! 2. Read the key again [`CONFIRM_AFTER_MS`] later. Exactly what we wrote: the
//!    lease is ours. Anything else: we lost the race; back to 1 after a pause.
//! 3. While held, rewrite the lease every [`RENEW_EVERY_MS`], so a hold longer
//!    than [`LEASE_MS`] (a slow refresh) keeps it.
//! 4. Release: remove the key if it still holds our lease.
//!
//! Why it excludes, assuming every write reaches every tab within
//! [`SETTLE_MS`]: a tab B that found the key free after A wrote at `w` read it
//! before A's write reached B, so before `w + SETTLE_MS`, and B's own write
//! reached A before `w + 2 × SETTLE_MS`. So A's read-back at `w + CONFIRM_AFTER_MS`
//! sees B's write (or a later one) and A loses, unless A's write came last, in
//! which case B's read-back sees A's. The native tests check this against a
//! simulated storage that delays and reorders writes (`testkit/tests/core/lease.rs`).
//! One read-back after a single settle time is not enough: A writes at 0, B reads
//! at 30 before A's write reached it and writes, and B's write reaches A at 45,
//! after A's read-back at 40: both would win.
//!
//! # The window that remains
//!
//! Storage is not a lock. Two tabs can both hold the lease if a write takes
//! longer than [`SETTLE_MS`] to reach another tab, or if a holder cannot renew
//! in time (a frozen or heavily throttled background tab) and its lease
//! expires under it. A holder notices the second case at its next renewal
//! ([`LeaseStep::Lost`]). Neither can be prevented here; what follows is the
//! core's token-generation check (a tab granted after another refreshed adopts
//! that result without a request) and, failing that, a reuse-detecting server,
//! which revokes the token family: the session ends in every tab.

use super::text::{digits, split_at_byte};
use super::value::write_u64;
use super::Id128;

/// How long a lease lasts unless renewed: long enough for a renewal to be late
/// by many seconds, short enough that a tab closed while holding it does not
/// stall the others for long.
pub const LEASE_MS: u64 = 30_000;
/// The longest a `localStorage` write is assumed to take to reach every other
/// tab of the origin. Exclusion rests on this bound.
pub const SETTLE_MS: u64 = 40;
/// How long after writing its lease a claim reads it back: two settle times
/// (see the module docs for why one is not enough).
pub const CONFIRM_AFTER_MS: u64 = 2 * SETTLE_MS;
/// How often a holder rewrites its lease.
pub const RENEW_EVERY_MS: u64 = 10_000;
/// The shortest pause before reading again after finding the lease taken.
pub const RETRY_MIN_MS: u64 = 50;
/// The random part of that pause: 0 to this many ms more.
pub const RETRY_SPREAD_MS: u64 = 100;

/// The first expiry with more digits than a stored lease may have (16).
const MAX_EXPIRES: u64 = 10_000_000_000_000_000;

/// Separates the owner from the expiry in a stored lease.
const SEPARATOR: u8 = b'|';

/// What the shell does next for a [`LeaseClaim`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeaseStep {
    /// Store `value` under the lease key now (in the same task as the read
    /// that led here), then read the key again at `read_at`.
    Write {
        /// The lease to store.
        value: String,
        /// When to read the key again (epoch ms).
        read_at: u64,
    },
    /// Read the key again at this time (epoch ms).
    ReadAt(u64),
    /// The lease is ours: grant the lock. While it is held, read the key again
    /// at `renew_at`.
    Granted {
        /// When to read the key again to renew (epoch ms).
        renew_at: u64,
    },
    /// Storage failed before the lease was won: cross-tab exclusion is not
    /// possible, grant with exclusion within this page only.
    InPageOnly,
    /// Our lease expired or was overwritten while held, or storage failed:
    /// exclusion is no longer guaranteed. Stop renewing; the lock stays granted
    /// until released, and the release leaves another tab's lease alone.
    Lost,
}

/// One tab's claim on one lease, from the first read to the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseClaim {
    owner: String,
    phase: Phase,
}

/// Where a claim stands. Our lease is `<owner>|<expires>`: its expiry is
/// all a phase needs to know it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not holding: the next read decides whether to write.
    Claiming,
    /// Wrote our lease expiring at `expires`; the read at `read_at` decides.
    Confirming { expires: u64, read_at: u64 },
    /// Won; `expires` is when the lease we last wrote expires.
    Held { expires: u64 },
    /// Granted in-page only, or lost while held: nothing more to do.
    Done,
}

impl LeaseClaim {
    /// A claim for the owner `owner` (random, fresh for every claim).
    pub fn new(owner: Id128) -> LeaseClaim {
        LeaseClaim { owner: owner.to_hex(), phase: Phase::Claiming }
    }

    /// Whether the lease was won and is still renewed.
    pub fn is_held(&self) -> bool {
        matches!(self.phase, Phase::Held { .. })
    }

    /// The key was read at `now` and held `stored`; `random` is any random
    /// number (it spreads the retries of competing tabs).
    pub fn handle_read(&mut self, now: u64, stored: Option<&str>, random: u32) -> LeaseStep {
        match core::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Claiming => self.claim(now, stored, random),
            Phase::Confirming { expires, read_at } if now < read_at => {
                // Read early (or the clock went back): wait, but never longer
                // than a whole confirmation from now.
                let read_at = read_at.min(now.saturating_add(CONFIRM_AFTER_MS));
                self.phase = Phase::Confirming { expires, read_at };
                LeaseStep::ReadAt(read_at)
            }
            Phase::Confirming { expires, .. } => {
                if self.is_ours(stored, expires) && is_live(expires, now) {
                    self.phase = Phase::Held { expires };
                    LeaseStep::Granted { renew_at: now.saturating_add(RENEW_EVERY_MS) }
                } else {
                    self.phase = Phase::Claiming;
                    LeaseStep::ReadAt(retry_at(now, random))
                }
            }
            Phase::Held { expires } => self.renew(now, stored, expires),
            Phase::Done => LeaseStep::Lost,
        }
    }

    /// Reading or writing the key threw (storage disabled, quota full).
    pub fn handle_storage_failure(&mut self) -> LeaseStep {
        let held = self.is_held();
        self.phase = Phase::Done;
        if held {
            LeaseStep::Lost
        } else {
            LeaseStep::InPageOnly
        }
    }

    /// On release or cancellation, with the key holding `stored`: whether to
    /// remove it. Only a lease of ours is removed, live or not; another tab's
    /// never is.
    pub fn should_remove(&self, stored: Option<&str>) -> bool {
        stored.and_then(parse).is_some_and(|lease| lease.owner == self.owner)
    }

    fn claim(&mut self, now: u64, stored: Option<&str>, random: u32) -> LeaseStep {
        let taken =
            stored.and_then(parse).is_some_and(|lease| is_live(lease.expires, now) && lease.owner != self.owner);
        if taken {
            self.phase = Phase::Claiming;
            return LeaseStep::ReadAt(retry_at(now, random));
        }
        let expires = now.saturating_add(LEASE_MS);
        let read_at = now.saturating_add(CONFIRM_AFTER_MS);
        self.phase = Phase::Confirming { expires, read_at };
        LeaseStep::Write { value: self.value(expires), read_at }
    }

    fn renew(&mut self, now: u64, stored: Option<&str>, expires: u64) -> LeaseStep {
        // Renew only a lease of ours that nobody can have seen expire: a tab that
        // saw it expired may be writing, and our write must not land after theirs.
        let safe =
            self.is_ours(stored, expires) && is_live(expires, now) && expires.saturating_sub(now) > CONFIRM_AFTER_MS;
        if !safe {
            return LeaseStep::Lost;
        }
        let expires = now.saturating_add(LEASE_MS);
        self.phase = Phase::Held { expires };
        LeaseStep::Write { value: self.value(expires), read_at: now.saturating_add(RENEW_EVERY_MS) }
    }

    /// Our lease expiring at `expires`.
    fn value(&self, expires: u64) -> String {
        let mut value = String::with_capacity(self.owner.len() + 21);
        value.push_str(&self.owner);
        value.push(char::from(SEPARATOR));
        write_u64(&mut value, expires);
        value
    }

    /// Whether `stored` is exactly our lease expiring at `expires`.
    fn is_ours(&self, stored: Option<&str>, expires: u64) -> bool {
        stored == Some(self.value(expires).as_str())
    }
}

/// The owner of the live lease in `stored`, if there is one at `now`.
pub fn live_owner(stored: &str, now: u64) -> Option<&str> {
    parse(stored).filter(|lease| is_live(lease.expires, now)).map(|lease| lease.owner)
}

/// Whether a lease expiring at `expires` is live at `now`: unexpired, and
/// not further ahead than a whole lease (a lease beyond that comes from a
/// skewed clock or a hostile writer and would stall every tab). An expiry
/// past 16 digits is no lease ([`parse`]), ours included. One body for its
/// four callers, not inlined in each.
#[inline(never)]
fn is_live(expires: u64, now: u64) -> bool {
    expires > now && expires <= now.saturating_add(LEASE_MS) && expires < MAX_EXPIRES
}

/// When to read again after finding the lease taken.
fn retry_at(now: u64, random: u32) -> u64 {
    now.saturating_add(RETRY_MIN_MS + u64::from(random) % (RETRY_SPREAD_MS + 1))
}

/// A stored lease. Storage is shared with any script of the origin: anything
/// that does not parse is treated as no lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StoredLease<'a> {
    owner: &'a str,
    expires: u64,
}

fn parse(stored: &str) -> Option<StoredLease<'_>> {
    let (owner, expires) = split_at_byte(stored, SEPARATOR)?;
    // Plain digits only; 16 digits reach far past any plausible epoch ms.
    if expires.len() > 16 {
        return None;
    }
    Some(StoredLease { owner, expires: digits(expires)? })
}
