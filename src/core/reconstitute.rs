//! Re-constituted sessions (opt-in `reconstituteForMs`): after a timeout the
//! session is over, but who it was for and where the app was are kept for a
//! while, so that the same user signing in again finds their place.
//!
//! The kept record ([`Kept`]) holds no secret: the session's identity (the
//! `user` of the answers and the JWT `sub`, `core::identity`), the last value
//! the app gave `session.setRestoreState()` (plain data, size-capped by the
//! shell's walker) and two times. It lives in `localStorage`
//! ([`super::keys::kept_key`]), so every tab, and a tab opened later, reads the
//! same record. The rules (in `machine/records.rs`):
//!
//! - An idle or absolute expiry keeps the record, written by each tab that
//!   holds a restore state for the session; two tabs writing keep the value
//!   set last ([`Kept::newer`]).
//! - The next sign-in (`start()`) reads it: the same identity within the
//!   window gets the state back (`started.restoredState`); any sign-in consumes
//!   it, so it is restored at most once. A different identity, or an identity
//!   the login answer does not name, restores nothing and wipes it.
//! - Any end that is not a timeout (a logout in any tab, a revocation, a
//!   change of user) wipes it.
//! - Past its window it is never used, and is wiped when read (page load,
//!   `start()`).

use super::identity::{bounded, Identity};
use super::value::{Members, Value};
use super::EpochMs;

/// What a timeout leaves behind for the next sign-in of the same user.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    /// Whom the session was for.
    pub identity: Identity,
    /// The app's last `setRestoreState` value.
    pub state: Value,
    /// When the app set it.
    pub set_at: EpochMs,
    /// The end of the window: from then on the record is dead.
    pub until: EpochMs,
}

impl Kept {
    /// The stored form: `{ user, sub, state, setAt, until }`.
    pub fn into_value(self) -> Value {
        let name = |name: Option<String>| name.map_or(Value::Null, Value::String);
        let mut m = Members(Vec::with_capacity(5));
        m.value("user", name(self.identity.user));
        m.value("sub", name(self.identity.sub));
        m.value("state", self.state);
        m.number("setAt", self.set_at);
        m.number("until", self.until);
        m.done()
    }

    /// Reads the stored form, which is as untrusted as a message: names
    /// bounded, at least one of them; a time that is not a whole number reads
    /// as 0 (a record whose window ended). `None` when it is no record.
    pub fn from_value(stored: Value) -> Option<Kept> {
        let Value::Object(mut members) = stored else { return None };
        let mut kept = Kept { identity: Identity::default(), state: Value::Null, set_at: 0, until: 0 };
        // By reference, the state swapped out (what it held, `null` or an earlier
        // `state`, goes with the members): no by-value iterator, no drop here.
        for (key, value) in &mut members {
            let name = || value.as_str().and_then(bounded);
            match key.as_str() {
                "user" => kept.identity.user = name(),
                "sub" => kept.identity.sub = name(),
                "setAt" => kept.set_at = value.as_u64().unwrap_or(0),
                "until" => kept.until = value.as_u64().unwrap_or(0),
                "state" => core::mem::swap(&mut kept.state, value),
                _ => {}
            }
        }
        (kept.identity.user.is_some() || kept.identity.sub.is_some()).then_some(kept)
    }

    /// Whether a sign-in as `identity` is the same user: a name both know is
    /// equal, and none differs.
    pub fn is_for(&self, identity: &Identity) -> bool {
        let same = |kept: &Option<String>, seen: &Option<String>| kept.is_some() && kept == seen;
        !self.identity.conflicts(identity)
            && (same(&self.identity.user, &identity.user) || same(&self.identity.sub, &identity.sub))
    }

    /// This record or the stored one, whichever the app set last: what two
    /// tabs writing at one expiry agree on.
    pub fn newer(self, stored: Option<Kept>) -> Kept {
        match stored {
            Some(stored) if stored.set_at > self.set_at => stored,
            _ => self,
        }
    }
}
