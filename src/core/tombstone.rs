//! Ended sessions, remembered by every tab of the browser, so that a logout
//! stays a logout.
//!
//! A session that ends in a tab (logout, expiry, revocation, change of user)
//! leaves a tombstone: its epoch, when it started, why and when it ended, when
//! the tombstone expires, and whether the server knows. There is no secret in it. The tabs
//! keep the list in `localStorage` under [`super::keys::tombstones_key`],
//! whatever the `storage` option, so that every tab, including one opened or
//! reloaded later, refuses to bring an ended session back:
//!
//! - a session that a tombstone names, or that is older than a tombstoned
//!   session, is over ([`Tombstones::ends`]), whether it comes back from
//!   storage, from a stale tab's answer or from a replayed message. "Older" is
//!   the order of the two-logins rule (start time, then epoch): an older session
//!   was replaced everywhere by the tombstoned one, though never logged out on
//!   the server, so a snapshot of it that a discarded tab kept is as over as the
//!   session that replaced it. A session that started later is a new login,
//!   even one that started while the tombstoned session was still ending;
//! - a logout the server has not acknowledged is owed ([`Tombstones::owed`]):
//!   it is sent again, and until it reaches the server no session check may
//!   start a session.
//!
//! A tombstone expires its session's lifetime after the session ended
//! (`absoluteTimeoutMs`, or `rememberMeAbsoluteMs` for a remembered session):
//! any session older than that one has passed its absolute deadline by then,
//! in the client and (when it enforces the same limit) on the server.
//!
//! What is read back from storage is as hostile as a cross-tab message:
//! [`Tombstones::from_value`] skips malformed entries, and [`Tombstones::merge`]
//! clamps each tombstone's times into the reader's past and its life to the
//! longest session lifetime, so a forged entry can neither outlive that nor end
//! sessions that start later.

use super::protocol::{EndReason, Epoch, Id128};
use super::value::{Members, Value};
use super::{EpochMs, Millis};

/// At most this many tombstones are kept (the oldest told ones go first).
pub const MAX_TOMBSTONES: usize = 16;
/// The stored format's version; another version reads as no tombstones.
const VERSION: u64 = 1;
/// At most this many stored entries are looked at.
const MAX_READ: usize = 4 * MAX_TOMBSTONES;

/// One ended session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tombstone {
    /// The session's epoch.
    pub epoch: Epoch,
    /// When it started (epoch ms).
    pub started_at: EpochMs,
    /// Why it ended.
    pub reason: EndReason,
    /// When it ended (epoch ms).
    pub ended_at: EpochMs,
    /// When the tombstone is forgotten (epoch ms).
    pub expires_at: EpochMs,
    /// The server knows the session is over: it answered the logout with a
    /// 2xx, it ended the session itself, there was nothing to tell it, or it
    /// later said nobody is signed in. `false`: a logout is owed.
    pub server_told: bool,
}

impl Tombstone {
    /// Takes in another record of the same end: the earlier end, the later
    /// expiry, told if either was. Whether this record changed.
    fn merge(&mut self, other: &Tombstone) -> bool {
        // Each field that moves says so: no copy of the record to compare.
        let mut changed = false;
        if other.started_at < self.started_at {
            self.started_at = other.started_at;
            changed = true;
        }
        if other.ended_at < self.ended_at {
            self.reason = other.reason;
            self.ended_at = other.ended_at;
            changed = true;
        }
        if other.expires_at > self.expires_at {
            self.expires_at = other.expires_at;
            changed = true;
        }
        if other.server_told && !self.server_told {
            self.server_told = true;
            changed = true;
        }
        changed
    }
}

/// The tombstones a tab knows: its own and those read from storage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tombstones(Vec<Tombstone>);

impl Tombstones {
    /// Every tombstone, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Tombstone> {
        self.0.iter()
    }

    /// The tombstone of `epoch`, if there is one.
    pub fn get(&self, epoch: Epoch) -> Option<&Tombstone> {
        self.0.iter().find(|tombstone| tombstone.epoch == epoch)
    }

    /// Whether the session `epoch`, started at `started_at`, is over at `now`:
    /// it has a tombstone, or it is older (by start time, then epoch, as two
    /// logins are ordered) than a session that has one.
    pub fn ends(&self, epoch: Epoch, started_at: EpochMs, now: EpochMs) -> bool {
        for t in &self.0 {
            if t.expires_at > now && (t.epoch == epoch || (started_at, epoch) < (t.started_at, t.epoch)) {
                return true;
            }
        }
        false
    }

    /// Whether a logout the server has not acknowledged is owed.
    pub fn owed(&self) -> bool {
        self.0.iter().any(|tombstone| !tombstone.server_told)
    }

    /// Adds one tombstone (merged with a record of the same epoch); whether the list changed.
    pub fn insert(&mut self, tombstone: Tombstone) -> bool {
        if let Some(known) = self.0.iter_mut().find(|known| known.epoch == tombstone.epoch) {
            return known.merge(&tombstone);
        }
        self.0.push(tombstone);
        if self.0.len() > MAX_TOMBSTONES {
            // The oldest told one goes; if every one is owed, the oldest.
            let mut going = (0, (true, u64::MAX));
            for (index, candidate) in self.0.iter().enumerate() {
                let key = (!candidate.server_told, candidate.ended_at);
                if key < going.1 {
                    going = (index, key);
                }
            }
            self.0.remove(going.0);
        }
        true
    }

    /// Takes every tombstone of `other` (read from storage), its times clamped:
    /// started no later than it ended, ended no later than `now`, forgotten no
    /// later than `max_life` after the end. Expired ones are left out. Whether
    /// the list changed.
    pub fn merge(&mut self, other: &Tombstones, now: EpochMs, max_life: Millis) -> bool {
        let mut changed = false;
        for tombstone in &other.0 {
            let ended_at = tombstone.ended_at.min(now);
            let started_at = tombstone.started_at.min(ended_at);
            let expires_at = tombstone.expires_at.min(ended_at.saturating_add(max_life));
            if expires_at > now {
                changed |= self.insert(Tombstone { started_at, ended_at, expires_at, ..*tombstone });
            }
        }
        changed
    }

    /// Forgets the tombstones expired at `now`; whether any was.
    pub fn expire(&mut self, now: EpochMs) -> bool {
        let mut changed = false;
        let mut index = 0;
        // A loop with `remove` (already in the wasm for `insert`), not `retain`.
        while let Some(tombstone) = self.0.get(index) {
            if tombstone.expires_at > now {
                index += 1;
            } else {
                self.0.remove(index);
                changed = true;
            }
        }
        changed
    }

    /// The server knows that session `epoch` is over; whether that is news.
    pub fn told(&mut self, epoch: Epoch) -> bool {
        let mut changed = false;
        for tombstone in &mut self.0 {
            if tombstone.epoch == epoch && !tombstone.server_told {
                tombstone.server_told = true;
                changed = true;
            }
        }
        changed
    }

    /// Nothing more is owed for the sessions that ended at or before `at`: the
    /// server acknowledged a logout sent then, said nobody is signed in, or the
    /// user signed in again. Whether that is news.
    pub fn settle(&mut self, at: EpochMs) -> bool {
        let mut changed = false;
        for tombstone in &mut self.0 {
            if !tombstone.server_told && tombstone.ended_at <= at {
                tombstone.server_told = true;
                changed = true;
            }
        }
        changed
    }

    /// The stored form: `{ v: 1, ended: [{ epoch, started, reason, at, until, told }] }`.
    pub fn to_value(&self) -> Value {
        let mut entries = Vec::with_capacity(self.0.len());
        for t in &self.0 {
            let mut entry = Members(Vec::with_capacity(6));
            entry.value("epoch", Value::String(t.epoch.to_hex()));
            entry.number("started", t.started_at);
            entry.text("reason", t.reason.as_str());
            entry.number("at", t.ended_at);
            entry.number("until", t.expires_at);
            entry.flag("told", t.server_told);
            entries.push(entry.done());
        }
        let mut stored = Members(Vec::with_capacity(2));
        stored.number("v", VERSION);
        stored.value("ended", Value::Array(entries));
        stored.done()
    }

    /// Reads the stored form. Anything malformed (another version, not an
    /// object, a bad entry) is left out: what is read is only ever more
    /// tombstones, so junk costs nothing but itself. Times are clamped by
    /// [`Tombstones::merge`], not here.
    pub fn from_value(value: &Value) -> Tombstones {
        let mut tombstones = Tombstones::default();
        if value.get("v").and_then(Value::as_u64) != Some(VERSION) {
            return tombstones;
        }
        let entries = value.get("ended").and_then(Value::as_array).unwrap_or_default();
        for entry in entries.get(..MAX_READ).unwrap_or(entries) {
            let read = || {
                Some(Tombstone {
                    epoch: entry.get("epoch")?.as_str().and_then(Id128::from_hex)?,
                    started_at: entry.get("started")?.as_u64()?,
                    reason: entry.get("reason")?.as_str().and_then(EndReason::parse)?,
                    ended_at: entry.get("at")?.as_u64()?,
                    expires_at: entry.get("until")?.as_u64()?,
                    server_told: entry.get("told")?.as_bool()?,
                })
            };
            if let Some(tombstone) = read() {
                tombstones.insert(tombstone);
            }
        }
        tombstones
    }
}
