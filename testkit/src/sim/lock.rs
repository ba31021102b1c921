//! The refresh lock: a FIFO lock manager shared by the tabs (Web Locks), and
//! each tab's shell bookkeeping as in src/api/effects.rs: a released lock is kept
//! until the hold ends (a newer release of a held lock in the same tab lets the
//! previous one go at once), a request released or dropped before its grant is
//! cancelled at once, and a grant that finds its request cancelled is released
//! at once.
//!
//! The generation note, as the shell keeps it (src/api/effects.rs): a release
//! that carries a note, of a lock the tab holds, commits the note to IndexedDB
//! before the lock goes (here at once: the lock is let go after the commit in
//! the real shell too, so its latency only delays the next grant); a grant
//! reads the note and hands it to the machine, which decides. With the knob
//! `indexed_db` off, nothing is written and no note is read.

use super::{Due, Fate, LockRelease, Sim};
use wasm_session::core::GenerationNote;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    Pending,
    Held,
}

/// The shell's lock bookkeeping in one tab (`Shell::locks` and `Shell::settling`).
#[derive(Debug, Default)]
pub(super) struct ShellLocks {
    pub(super) slots: Vec<(u64, Slot)>,
    pub(super) settling: Vec<(u64, Slot)>,
    pub(super) settling_timer: u64,
}

impl Sim {
    pub(super) fn ask_lock(&mut self, tab: usize, attempt: u64) {
        let locks = &mut self.tabs[tab].locks;
        if !locks.slots.iter().any(|(a, _)| *a == attempt) {
            locks.slots.push((attempt, Slot::Pending));
            self.lock_queue.push_back((tab, attempt));
            self.grant_next();
        }
    }

    pub(super) fn grant_next(&mut self) {
        if self.lock_holder.is_none() {
            if let Some((tab, attempt)) = self.lock_queue.pop_front() {
                self.lock_holder = Some((tab, attempt));
                let at = self.now + self.draw(self.knobs.grant_latency);
                self.schedule(at, Due::Grant { tab, attempt });
            }
        }
    }

    fn free_lock(&mut self, tab: usize, attempt: u64) {
        self.lock_queue.retain(|entry| *entry != (tab, attempt));
        if self.lock_holder == Some((tab, attempt)) {
            self.lock_holder = None;
            self.grant_next();
        }
    }

    /// The shell drops a slot: a held lock is released, a pending request
    /// cancelled (a grant already on its way is released when it arrives).
    pub(super) fn drop_slot(&mut self, tab: usize, attempt: u64, slot: Slot) {
        match slot {
            Slot::Held => self.free_lock(tab, attempt),
            Slot::Pending => self.lock_queue.retain(|entry| *entry != (tab, attempt)),
        }
    }

    pub(super) fn granted(&mut self, tab: usize, attempt: u64) {
        if !self.tabs[tab].alive {
            return;
        }
        let locks = &mut self.tabs[tab].locks;
        let asked = locks.slots.iter().chain(&locks.settling).any(|(a, slot)| *a == attempt && *slot == Slot::Pending);
        if !asked {
            // Cancelled while the grant was on its way: released at once.
            self.free_lock(tab, attempt);
            return;
        }
        let locks = &mut self.tabs[tab].locks;
        locks.slots.retain(|(a, _)| *a != attempt);
        locks.slots.push((attempt, Slot::Held));
        let note = if self.knobs.indexed_db { self.note } else { None };
        self.feed_now(tab, |machine, now| machine.handle_lock_acquired(now, attempt, note));
    }

    pub(super) fn release(&mut self, tab: usize, attempt: u64, hold_until: u64, note: Option<GenerationNote>) {
        self.trace(|| format!("tab {tab} releases the lock of attempt {attempt} (note {note:?})"));
        let held = self.tabs[tab].locks.slots.contains(&(attempt, Slot::Held));
        if let Some(note) = note.filter(|_| held && self.knobs.indexed_db) {
            self.note = Some(note);
        }
        let hold_until = match self.knobs.release {
            LockRelease::AsAsked => hold_until,
            LockRelease::Hold(ms) => self.now + ms,
            LockRelease::UntilDelivered { cap } => self.delivered_by(tab).min(self.now + cap),
        };
        // The machine abandons this attempt's request, if any.
        for request in &mut self.requests {
            if request.tab == tab && request.attempt == attempt && request.fate == Fate::Out {
                request.fate = Fate::Released;
            }
        }
        let locks = &mut self.tabs[tab].locks;
        let (gone, kept): (Vec<_>, Vec<_>) =
            std::mem::take(&mut locks.slots).into_iter().partition(|(a, _)| *a == attempt);
        locks.slots = kept;
        // A request never granted is cancelled now, and leaves the hold of a
        // lock released before it alone.
        let (granted, pending): (Vec<_>, Vec<_>) = gone.into_iter().partition(|(_, slot)| *slot == Slot::Held);
        for (attempt, slot) in pending {
            self.drop_slot(tab, attempt, slot);
        }
        if granted.is_empty() {
            return;
        }
        self.lost_since_release[tab] = false;
        // A newer release of a held lock replaces the settling timer: what
        // it held goes now.
        let locks = &mut self.tabs[tab].locks;
        let previous = std::mem::replace(&mut locks.settling, granted);
        locks.settling_timer += 1;
        let timer = locks.settling_timer;
        for (attempt, slot) in previous {
            self.drop_slot(tab, attempt, slot);
        }
        self.schedule(hold_until, Due::SettleEnd { tab, timer });
    }

    /// When every open tab will have handled what `tab` posted so far (never,
    /// if a message to one was lost).
    fn delivered_by(&self, tab: usize) -> u64 {
        if self.lost_since_release[tab] {
            return u64::MAX;
        }
        let last = self.agenda.iter().filter_map(|(key, due)| match due {
            Due::Message { from, .. } if *from == tab => Some(key.0),
            _ => None,
        });
        last.max().unwrap_or(self.now)
    }

    pub(super) fn settled(&mut self, tab: usize, timer: u64) {
        let locks = &mut self.tabs[tab].locks;
        if locks.settling_timer == timer {
            for (attempt, slot) in std::mem::take(&mut locks.settling) {
                self.drop_slot(tab, attempt, slot);
            }
        }
    }
}
