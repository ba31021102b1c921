//! What outlives a session: the kept record of a timed-out session
//! (`core::reconstitute`, opt-in `reconstituteForMs`), and the session's id
//! in monitoring records (`core::monitor`).

use super::super::identity::Identity;
use super::super::protocol::{EndReason, Epoch};
use super::super::reconstitute::Kept;
use super::super::value::Value;
use super::super::EpochMs;
use super::types::{Effect, ErrorCode, Event};
use super::Machine;

/// This tab's part in re-constituted sessions.
#[derive(Debug, Default)]
pub(super) struct Records {
    /// The app's restore state for the live session of that epoch, and when it was set.
    restore_state: Option<(Epoch, Value, EpochMs)>,
    /// The kept record as the shell last read it from storage.
    kept: Option<Kept>,
    /// What the last sign-in restored, until the app's `started` event takes it.
    restored: Option<Value>,
}

impl Machine {
    /// The app's value to restore if this session times out and the same user
    /// signs in again (`session.setRestoreState`); `None` clears it. Ignored
    /// without `reconstituteForMs` or a live session.
    pub fn set_restore_state(&mut self, now: EpochMs, state: Option<Value>) {
        let now = self.clock(now);
        let Some(epoch) = self.epoch().filter(|_| self.config.reconstitute_for_ms.is_some()) else { return };
        self.records.restore_state = state.map(|state| (epoch, state, now));
    }

    /// The kept record as stored for every tab (read when the page starts and
    /// before `start()`). One past its window is wiped.
    pub fn handle_kept(&mut self, now: EpochMs, stored: Option<Kept>) {
        let now = self.clock(now);
        let expired = stored.as_ref().is_some_and(|kept| now >= kept.until);
        self.records.kept = stored;
        if expired {
            self.records.kept = None;
            self.effects.push(Effect::Keep(None));
        }
    }

    /// What the last sign-in restored (the `started` event's `restoredState`):
    /// taken once.
    pub fn take_restored_state(&mut self) -> Option<Value> {
        self.records.restored.take()
    }

    /// The id of the live session, or of the one that just ended, in
    /// monitoring records: its random epoch (hex), the same in every tab.
    pub fn record_session_id(&self) -> Option<String> {
        self.live().map(|live| &live.epoch).or(self.ended_epochs.last()).map(Epoch::to_hex)
    }

    // ----- internals ------------------------------------------------------

    /// A logout with no live session (the user leaves the "session expired"
    /// page): a kept record goes too.
    pub(super) fn forget_kept(&mut self) {
        if self.config.reconstitute_for_ms.is_some() {
            self.records.kept = None;
            self.effects.push(Effect::Keep(None));
        }
    }

    /// A sign-in as `identity` (before the live session, if any, is replaced):
    /// the kept record is restored if it is this user's, and consumed either
    /// way. Replacing another user's live session is reported.
    pub(super) fn sign_in_records(&mut self, now: EpochMs, identity: &Identity) {
        if self.live().is_some_and(|live| live.tokens.identity.conflicts(identity)) {
            self.events.push(Event::Error { code: ErrorCode::OtherUserSignedIn });
        }
        self.records.restored = None;
        if self.config.reconstitute_for_ms.is_none() {
            return;
        }
        if let Some(mut kept) = self.records.kept.take() {
            if now < kept.until && kept.is_for(identity) {
                // Taken out in place: the record is dropped whole, once.
                self.records.restored = Some(core::mem::replace(&mut kept.state, Value::Null));
            }
            self.effects.push(Effect::Keep(None));
        }
    }

    /// The session `epoch` of `identity` ended for `reason`: a timeout keeps
    /// the restore state this tab holds for it; any other end wipes the record.
    pub(super) fn end_records(&mut self, epoch: Epoch, reason: EndReason, identity: &Identity) {
        let Some(window) = self.config.reconstitute_for_ms else { return };
        let expiry = reason.is_expiry();
        let known = identity.user.is_some() || identity.sub.is_some();
        let kept = match self.records.restore_state.take() {
            Some((of, state, set_at)) if of == epoch && expiry && known => {
                let until = self.now.saturating_add(window);
                Some(Kept { identity: identity.clone(), state, set_at, until })
            }
            _ => None,
        };
        // A timeout without a record to keep leaves the stored one alone.
        if kept.is_some() || !expiry {
            self.effects.push(Effect::Keep(kept));
        }
    }
}
