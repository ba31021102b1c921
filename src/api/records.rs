//! What outlives a session, in the browser: the kept record of a timed-out
//! session (`core::reconstitute`) in `localStorage`, the app's restore state,
//! `started.restoredState`; and the monitoring queue (`core::monitor`), shared
//! by every tab in `localStorage` and sent with `navigator.sendBeacon` by
//! whichever tab flushes first.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::events::set;
use super::{drive, now_ms, session_error, with_shell, Inner, Session};
use crate::browser::beacon;
use crate::browser::shared_key::SharedKey;
use crate::browser::timers::Timer;
use crate::browser::value::{self, Limits};
use crate::core::keys::{kept_key, monitor_key};
use crate::core::monitor::{self, Queue};
use crate::core::reconstitute::Kept;
use crate::core::value::Value;
use crate::core::{Event, Origin};

/// The app's restore state: plain data, at most 4 KiB of text in all.
const STATE: Limits = Limits { max_depth: 8, max_entries: 64, max_values: 256, max_string_len: 2048, max_text: 4096 };
/// The kept record: the state, two names of at most 256 bytes, two times.
const KEPT: Limits = Limits { max_depth: 9, max_entries: 64, max_values: 264, max_string_len: 2048, max_text: 5120 };

#[wasm_bindgen]
impl Session {
    /// Keeps `value` (plain data, at most 4 KiB of text; `null` clears it) to
    /// give back as `started.restoredState` if this session times out and the
    /// same user signs in again within `reconstituteForMs`.
    #[wasm_bindgen(js_name = setRestoreState, skip_typescript)]
    pub fn set_restore_state(&self, state: JsValue) -> Result<(), JsValue> {
        let inner = self.live()?;
        let state = if state.is_undefined() || state.is_null() {
            None
        } else {
            let read = value::from_js(&state, &STATE, &[]);
            Some(read.map_err(|error| session_error("invalid_restore_state", &error.message("state")))?)
        };
        drive(inner, |machine, now| machine.set_restore_state(now, state));
        Ok(())
    }
}

fn read(key: &SharedKey, limits: &Limits) -> Option<Value> {
    super::read_json(&key.get()?, limits)
}

fn write(key: &SharedKey, stored: &Value) -> bool {
    super::json_text(stored).is_some_and(|text| key.set(&text).is_ok())
}

fn kept_store(inner: &Inner) -> SharedKey {
    SharedKey::open(&kept_key(&inner.options.channel_name))
}

/// Hands the kept record, as stored for every tab, to the core (at start and
/// before `start()`).
pub(super) fn load_kept(inner: &Rc<Inner>) {
    let reconstitute = inner.machine.try_borrow().is_ok_and(|machine| machine.config().reconstitute_for_ms.is_some());
    if reconstitute {
        let kept = read(&kept_store(inner), &KEPT).and_then(Kept::from_value);
        drive(inner, |machine, now| machine.handle_kept(now, kept));
    }
}

/// Writes the kept record, keeping a stored one the app set later; `None` wipes it.
#[inline(never)]
pub(super) fn keep(inner: &Inner, kept: Option<Kept>) {
    let store = kept_store(inner);
    match kept {
        Some(kept) => {
            let stored = read(&store, &KEPT).and_then(Kept::from_value);
            write(&store, &kept.newer(stored).into_value());
        }
        None => {
            let _ = store.set("");
        }
    }
}

/// Before `event` reaches the listeners: a sign-in here carries what it
/// restored, and the event is queued as a monitoring record if this tab
/// decided it.
#[inline(never)]
pub(super) fn on_event(inner: &Rc<Inner>, event: &Event, object: &JsValue) {
    let Ok(mut machine) = inner.machine.try_borrow_mut() else { return };
    let restored = if matches!(event, Event::Started { origin: Origin::Local, .. }) {
        machine.take_restored_state()
    } else {
        None
    };
    let record = inner.options.monitor.as_ref().and_then(|_| {
        let sid = machine.record_session_id().unwrap_or_default();
        monitor::record(event, now_ms(), &machine.tab_id().to_hex(), &sid)
    });
    drop(machine);
    if let Some(state) = restored {
        set(object.unchecked_ref(), "restoredState", value::to_js(&state));
    }
    let (Some(record), Some(options)) = (record, &inner.options.monitor) else { return };
    let store = monitor_store(inner);
    let mut queue = stored_queue(&store);
    queue.push(record);
    let _ = store.set(&queue.to_text());
    if with_shell(inner, |shell| shell.monitor_timer.is_none()) == Some(true) {
        let weak = Rc::downgrade(inner);
        let timer = Timer::after(u32::try_from(options.flush_ms).unwrap_or(u32::MAX), move || {
            if let Some(inner) = weak.upgrade() {
                flush(&inner);
            }
        });
        with_shell(inner, |shell| shell.monitor_timer = Some(timer));
    }
}

fn monitor_store(inner: &Inner) -> SharedKey {
    SharedKey::open(&monitor_key(&inner.options.channel_name))
}

fn stored_queue(store: &SharedKey) -> Queue {
    store.get().map(|text| Queue::from_text(&text)).unwrap_or_default()
}

/// Sends every tab's queued records in one beacon (the flush timer, or the
/// page being hidden or left). A beacon the browser refuses is not retried:
/// its records are counted as dropped.
pub(super) fn flush(inner: &Rc<Inner>) {
    let timer = with_shell(inner, |shell| shell.monitor_timer.take());
    drop(timer);
    let Some(options) = &inner.options.monitor else { return };
    let store = monitor_store(inner);
    let batch = stored_queue(&store);
    if batch.is_empty() {
        return;
    }
    // Taken: the other tabs find the queue empty.
    let _ = store.set("");
    if !beacon::send(&options.url, &batch.to_text()) {
        let mut queue = stored_queue(&store);
        queue.refused(&batch);
        let _ = store.set(&queue.to_text());
    }
}
