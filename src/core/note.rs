//! The generation note: the rotation guard's record in storage the tabs share.
//!
//! A tab that accepted rotated tokens writes `(epoch, generation)` to
//! IndexedDB, and the write commits before its refresh lock is released; the
//! next holder reads the note when granted. Commit → release → grant → read is
//! a happens-before chain (a committed IndexedDB transaction is visible to
//! every later one, in every tab), which the broadcast of the new tokens is
//! not: a holder whose generation is behind the note knows that its refresh
//! token was rotated out, and does not present it (see
//! [`super::machine::NOTE_WAIT_MS`]). The note is read as hostile input: an
//! unreadable one is no note.
//!
//! IndexedDB keeps one note for every session, so it also says when its
//! session started: a note of a later session (the later login wins in every
//! tab) holds back a holder of an earlier one too. Otherwise a later
//! session's refresh would overwrite the note that guards a tab still on the
//! earlier session (it missed the login and the rotation), which would then
//! present its rotated-out token. A holder refreshes only when the note is of
//! its own session and generation or of an earlier session, so the notes
//! written only ever move forward.

use super::protocol::{Epoch, Id128};
use super::text::{digits, split_at_byte};
use super::EpochMs;

/// The newest token generation of session `epoch` that a tab accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GenerationNote {
    /// The session.
    pub epoch: Epoch,
    /// When the session started (its login), which orders it among sessions
    /// as a login does.
    pub started_at: EpochMs,
    /// How many refreshes produced its newest tokens.
    pub generation: u64,
}

/// Longest note text read (32 hex digits and two numbers of up to 20 digits).
const MAX_NOTE_LEN: usize = 80;

impl GenerationNote {
    /// The stored text: the epoch in hex, the start and the generation in
    /// decimal, separated by spaces.
    pub fn encode(&self) -> String {
        let mut text = self.epoch.to_hex();
        text.push(' ');
        super::value::write_u64(&mut text, self.started_at);
        text.push(' ');
        super::value::write_u64(&mut text, self.generation);
        text
    }

    /// Reads a stored note; `None` for anything else (a note of the older
    /// two-field form included: no note, as if IndexedDB failed).
    pub fn decode(text: &str) -> Option<GenerationNote> {
        if text.len() > MAX_NOTE_LEN {
            return None;
        }
        let (epoch, rest) = split_at_byte(text, b' ')?;
        let (started_at, generation) = split_at_byte(rest, b' ')?;
        let epoch = Id128::from_hex(epoch)?;
        let started_at = digits(started_at)?;
        let generation = digits(generation)?;
        Some(GenerationNote { epoch, started_at, generation })
    }

    /// Whether a tab live with `epoch` (started at `started_at`) at
    /// `generation` is behind this note: its refresh token was rotated out,
    /// or its session was replaced by a later one that refreshed.
    pub fn is_ahead_of(&self, epoch: Epoch, started_at: EpochMs, generation: u64) -> bool {
        if self.epoch == epoch {
            self.generation > generation
        } else {
            (self.started_at, self.epoch) > (started_at, epoch)
        }
    }
}
