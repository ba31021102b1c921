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

use super::protocol::{Epoch, Id128};
use super::text::{digits, split_at_byte};

/// The newest token generation of session `epoch` that a tab accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GenerationNote {
    /// The session.
    pub epoch: Epoch,
    /// How many refreshes produced its newest tokens.
    pub generation: u64,
}

/// Longest note text read (32 hex digits, a space, 20 digits).
const MAX_NOTE_LEN: usize = 64;

impl GenerationNote {
    /// The stored text: the epoch in hex, a space, the generation in decimal.
    pub fn encode(&self) -> String {
        let mut text = self.epoch.to_hex();
        text.push(' ');
        super::value::write_u64(&mut text, self.generation);
        text
    }

    /// Reads a stored note; `None` for anything else.
    pub fn decode(text: &str) -> Option<GenerationNote> {
        if text.len() > MAX_NOTE_LEN {
            return None;
        }
        let (epoch, generation) = split_at_byte(text, b' ')?;
        let epoch = Id128::from_hex(epoch)?;
        let generation = digits(generation)?;
        Some(GenerationNote { epoch, generation })
    }

    /// Whether a tab live with `epoch` at `generation` is behind this note:
    /// its refresh token was rotated out.
    pub fn is_ahead_of(&self, epoch: Epoch, generation: u64) -> bool {
        self.epoch == epoch && self.generation > generation
    }
}
