//! One `localStorage` key that every tab of the origin reads, writes and
//! watches: what the session must share with tabs that are not open yet (the
//! ended sessions, `core::tombstone`). It holds no secret, so it is used
//! whatever the `storage` option says.
//!
//! Other documents' writes arrive as `storage` events (a document never sees
//! its own). Without usable `localStorage` the key reads as absent and writes
//! fail; nothing throws.

use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions, EventListenerPhase};
use wasm_bindgen::JsCast;
use web_sys::{Storage, StorageEvent};

use super::{describe, Dispatch};

/// A watched `localStorage` key. Dropping it removes the listener.
#[derive(Debug)]
#[must_use = "the listener is removed when the SharedKey is dropped"]
pub struct SharedKey {
    storage: Option<Storage>,
    key: String,
    dispatch: Rc<Dispatch<String>>,
    // Dropped after `Drop::drop` has closed the dispatcher.
    _listener: Option<EventListener>,
}

impl SharedKey {
    /// Opens `key`. `on_change` gets the new value whenever another document
    /// writes it (not when it is removed); it should capture only a `Weak`
    /// reference to the session.
    pub fn open(key: &str, on_change: impl FnMut(String) + 'static) -> SharedKey {
        let dispatch = Dispatch::new(on_change);
        let window = web_sys::window();
        let storage = window.as_ref().and_then(|window| window.local_storage().ok().flatten());
        let listener = window.map(|window| {
            let (dispatch, wanted) = (dispatch.clone(), key.to_owned());
            // Passive: `storage` events cannot be cancelled.
            let options = EventListenerOptions { phase: EventListenerPhase::Bubble, passive: true };
            EventListener::new_with_options(&window, "storage", options, move |event| {
                // Not `dyn_ref`: an event from another realm fails `instanceof`.
                let event: &StorageEvent = event.unchecked_ref();
                if event.key().as_deref() == Some(wanted.as_str()) {
                    if let Some(value) = event.new_value() {
                        dispatch.call(value);
                    }
                }
            })
        });
        SharedKey { storage, key: key.to_owned(), dispatch, _listener: listener }
    }

    /// The value now, if there is one and it can be read.
    pub fn get(&self) -> Option<String> {
        self.storage.as_ref()?.get_item(&self.key).ok().flatten()
    }

    /// Writes `value`; `Err` describes why it could not be written.
    pub fn set(&self, value: &str) -> Result<(), String> {
        let storage = self.storage.as_ref().ok_or_else(|| "localStorage is unavailable".to_owned())?;
        storage.set_item(&self.key, value).map_err(|err| describe(&err))
    }
}

impl Drop for SharedKey {
    fn drop(&mut self) {
        self.dispatch.close();
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use super::*;
    use crate::browser::test_util::unique;
    use std::cell::RefCell;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// What another document's write looks like here.
    fn fire(key: &str, value: Option<&str>) {
        let value = value.map_or("null".to_owned(), |v| format!("{v:?}"));
        js_sys::eval(&format!(
            "window.dispatchEvent(new StorageEvent('storage', {{ key: {key:?}, newValue: {value} }}))"
        ))
        .unwrap();
    }

    #[wasm_bindgen_test]
    fn reads_writes_and_hears_other_documents_writes_of_its_key_only() {
        let key = unique("shared");
        let heard = Rc::new(RefCell::new(Vec::new()));
        let sink = heard.clone();
        let shared = SharedKey::open(&key, move |value| sink.borrow_mut().push(value));
        assert_eq!(shared.get(), None);
        shared.set("one").unwrap();
        assert_eq!(shared.get().as_deref(), Some("one"));
        fire(&key, Some("two"));
        fire("another key", Some("x"));
        fire(&key, None);
        assert_eq!(*heard.borrow(), vec!["two".to_owned()]);
        drop(shared);
        fire(&key, Some("three"));
        assert_eq!(heard.borrow().len(), 1, "nothing after drop");
        web_sys::window().unwrap().local_storage().unwrap().unwrap().remove_item(&key).unwrap();
    }
}
