//! The refresh lock: a FIFO lock manager shared by the tabs (Web Locks), and
//! each tab's shell bookkeeping as in src/api/effects.rs: a released lock is kept
//! until the hold ends (a newer release in the same tab lets the previous one
//! go at once), a request dropped before its grant is cancelled, and a grant
//! that finds its request cancelled is released at once.
//!
//! With the knob `generation_note`, the shell also models a proposed guard: the
//! tab that accepted new tokens commits `(epoch, generation)` to storage shared
//! by the tabs before its lock is released (IndexedDB: a committed transaction
//! is visible to every later one, and the lock orders the two); a tab granted
//! the lock reads it, and if its own generation is older it does not refresh:
//! it lets the lock go and asks again until the tokens reach it, and past the
//! wait it ends the session without presenting the stale token.

use super::sim::{Due, Fate, LockRelease, Sim};

/// How soon a tab that found itself behind the generation note asks again.
pub const NOTE_RETRY_MS: u64 = 20;

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
        if self.behind_the_note(tab, attempt) {
            return;
        }
        let locks = &mut self.tabs[tab].locks;
        locks.slots.retain(|(a, _)| *a != attempt);
        locks.slots.push((attempt, Slot::Held));
        self.feed_now(tab, |machine, now| machine.handle_lock_acquired(now, attempt));
    }

    /// The modelled guard (see the module docs): whether the grant was held
    /// back because the tab's tokens are older than the generation note.
    fn behind_the_note(&mut self, tab: usize, attempt: u64) -> bool {
        let Some(wait) = self.knobs.generation_note else { return false };
        let machine = &self.tabs[tab].machine;
        let behind = machine
            .epoch()
            .zip(machine.token_generation())
            .is_some_and(|(epoch, generation)| self.notes.get(&epoch).is_some_and(|&noted| noted > generation));
        if !behind {
            self.stale_since.remove(&(tab, attempt));
            return false;
        }
        self.free_lock(tab, attempt);
        let since = *self.stale_since.entry((tab, attempt)).or_insert(self.now);
        if self.now >= since + wait {
            // The tokens never came: end the session without presenting
            // (`handle_revoked` stands in for the machine's own rule).
            self.trace(|| format!("tab {tab} is behind the generation note: ends"));
            self.feed_now(tab, |machine, now| machine.handle_revoked(now));
        } else {
            self.schedule(self.now + NOTE_RETRY_MS, Due::AskAgain { tab, attempt });
        }
        true
    }

    /// A tab held back by the note asks for the lock again, if it still wants it.
    pub(super) fn ask_again(&mut self, tab: usize, attempt: u64) {
        let wanted = self.tabs[tab].locks.slots.iter().any(|(a, slot)| *a == attempt && *slot == Slot::Pending);
        if self.tabs[tab].alive && wanted && !self.lock_queue.contains(&(tab, attempt)) {
            self.lock_queue.push_back((tab, attempt));
            self.grant_next();
        }
    }

    pub(super) fn release(&mut self, tab: usize, attempt: u64, hold_until: u64) {
        self.trace(|| format!("tab {tab} releases the lock of attempt {attempt}"));
        let hold_until = match self.knobs.release {
            LockRelease::AsAsked => hold_until,
            LockRelease::Hold(ms) => self.now + ms,
            LockRelease::UntilDelivered { cap } => self.delivered_by(tab).min(self.now + cap),
        };
        self.lost_since_release[tab] = false;
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
        // A newer release replaces the settling timer: what it held goes now.
        let previous = std::mem::replace(&mut locks.settling, gone);
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
