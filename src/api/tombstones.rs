//! The ended sessions every tab shares (`core::tombstone`), in `localStorage`:
//! handed to the core when the session is made, on `resume()`, when the page
//! wakes and when the refresh lock is granted (the moment an owed logout is
//! sent, or found told by another tab); written when the core says, merged
//! with what is stored so that two tabs writing at once keep each other's.
//! Ends reach the open tabs as messages; the tombstones are for the tabs that
//! were not listening, and for the re-send.

use std::rc::Rc;

use super::effects::storage_failed;
use super::{flush, json_text, now_ms, read_json, with_shell, Inner};
use crate::browser::value::Limits;
use crate::core::Tombstones;

/// Caps on the stored list read back: sixteen entries of five short members
/// take about 3 KiB; anything beyond the caps reads as no tombstones.
const LIMITS: Limits =
    Limits { max_depth: 4, max_entries: 256, max_values: 2048, max_string_len: 256, max_text: 32 * 1024 };

/// The stored text as tombstones; anything unreadable reads as none.
fn parse(text: &str) -> Tombstones {
    read_json(text, &LIMITS).map(|value| Tombstones::from_value(&value)).unwrap_or_default()
}

/// What is stored now.
pub(super) fn stored(inner: &Inner) -> Tombstones {
    let text = with_shell(inner, |shell| shell.tombstones.get()).flatten();
    text.as_deref().map(parse).unwrap_or_default()
}

/// Hands what is stored to the core.
pub(super) fn load(inner: &Rc<Inner>) {
    if inner.destroyed.get() {
        return;
    }
    hand_over(inner, now_ms());
    flush(inner);
}

/// Before an input at `now` that the session's own clock would end it at:
/// hands the core what is stored first (see `Machine::ends_by_clock`). Out
/// of line: `drive` is made once per input.
#[inline(never)]
pub(super) fn load_if_ending(inner: &Inner, now: u64) {
    if inner.machine.try_borrow().is_ok_and(|machine| machine.ends_by_clock(now)) {
        hand_over(inner, now);
    }
}

/// `load` without the flush: the caller flushes.
#[inline(never)]
fn hand_over(inner: &Inner, now: u64) {
    let stored = stored(inner);
    if let Ok(mut machine) = inner.machine.try_borrow_mut() {
        machine.handle_tombstones(now, &stored);
    }
}

/// Writes this tab's tombstones, merged with what is stored (times clamped,
/// expired ones dropped: `Tombstones::merge`). A failure is reported once.
#[inline(never)]
pub(super) fn save(inner: &Rc<Inner>, ours: &Tombstones) {
    let Ok(max_life) = inner.machine.try_borrow().map(|machine| machine.config().longest_lifetime_ms()) else {
        return;
    };
    let now = now_ms();
    let mut merged = Tombstones::default();
    merged.merge(&stored(inner), now, max_life);
    merged.merge(ours, now, max_life);
    let text = json_text(&merged.to_value());
    let written = text.and_then(|text| with_shell(inner, |shell| shell.tombstones.set(&text).is_ok()));
    if written == Some(false) {
        let first = with_shell(inner, |shell| !core::mem::replace(&mut shell.tombstones_failed, true));
        if first == Some(true) {
            storage_failed(inner);
        }
    }
}
