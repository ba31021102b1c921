//! IndexedDB, for the generation note (`crate::core::note`): one database per
//! channel, one object store, one key, a string value.
//!
//! [`write`] resolves once its transaction has *committed* (`complete`), which
//! is what makes the note safe: the refresh lock is released only after that,
//! and every transaction that starts later, in any tab, sees the write. [`read`]
//! returns the stored text. Each step (opening, then the transaction) gives up
//! after [`IDB_TIMEOUT_MS`] (a browser whose IndexedDB hangs must not hold the
//! refresh lock), and both fail quietly where IndexedDB is missing, blocked
//! (some private modes, storage disabled) or broken: the caller then works
//! without a note.
//!
//! No bindings: each method is called by name through [`call`]. Event
//! handlers are the `resolve`/`reject` functions of a `Promise`, so no Rust
//! closure outlives a call, except the `upgradeneeded` handler, which a
//! [`Handlers`] guard detaches before it is dropped. Each call opens the
//! database and closes it when done ([`Database`] closes on drop).

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::timers::{settles_after, Timer};
use crate::core::keys::{NOTE_KEY, NOTE_STORE};

/// The longest one step (open, or a transaction) may take.
pub const IDB_TIMEOUT_MS: u32 = 1_000;

/// `target[method](a, b)`: each IndexedDB method is called through the
/// `Reflect.get` and `Function.call` imports the wasm has anyway, not through
/// an import (and its glue) of its own. Extra arguments are `undefined`,
/// which these methods ignore or read as absent; a throw is an `Err`.
#[inline(never)]
fn call(target: &JsValue, method: &str, a: &str, b: &JsValue) -> Result<JsValue, JsValue> {
    super::get(target, method)?.unchecked_into::<Function>().call2(target, &a.into(), b)
}

/// Why the note could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdbError {
    /// No `indexedDB` here, or it refused to open (blocked, private mode).
    Unavailable,
    /// A transaction failed or aborted (quota, I/O), or a step took longer
    /// than [`IDB_TIMEOUT_MS`].
    Failed,
}

/// Commits `text` as the note in database `name`.
///
/// # Errors
///
/// [`IdbError`] when IndexedDB is missing or blocked, or the transaction did
/// not commit in time.
pub async fn write(name: &str, text: &str) -> Result<(), IdbError> {
    note(name, Some(text)).await.map(drop)
}

/// Reads the note in database `name` (`None`: nothing stored, or not text).
///
/// # Errors
///
/// [`IdbError`] as for [`write`].
pub async fn read(name: &str) -> Result<Option<String>, IdbError> {
    note(name, None).await
}

/// Reads the note in database `name` (`None`: nothing stored, or not text),
/// or, given `text`, commits it as the note (and answers `None`). One routine
/// for both, awaiting each step in place: one state machine in the wasm, not
/// one per step and per direction.
///
/// # Errors
///
/// [`IdbError`] as for [`write`].
pub async fn note(name: &str, text: Option<&str>) -> Result<Option<String>, IdbError> {
    // Open (version 1), creating the store the first time.
    // The factory, transaction and store are not kept across the awaits.
    let factory = super::get(&js_sys::global(), "indexedDB").ok().filter(JsValue::is_object);
    let request = call(&factory.ok_or(IdbError::Unavailable)?, "open", name, &1.into());
    let request = request.map_err(|_| IdbError::Unavailable)?;
    let upgrading = request.clone();
    let upgrade = Closure::<dyn FnMut()>::new(move || {
        if let Some(database) = result(&upgrading) {
            let _ = call(&database, "createObjectStore", NOTE_STORE, &JsValue::UNDEFINED);
        }
    });
    let handlers = Handlers(request.clone());
    on(&request, "onupgradeneeded", upgrade.as_ref());
    let (opening, timer) = settled(&request, &["onsuccess", "onerror"]);
    let opened = opening.await;
    drop(timer);
    drop(handlers);
    drop(upgrade);
    opened.map_err(|_| IdbError::Unavailable)?;
    let database = result(&request).filter(JsValue::is_object).ok_or(IdbError::Unavailable)?;
    let database = Database(database);
    // Then one transaction, awaited until it has committed.
    let mode = if text.is_some() { "readwrite" } else { "readonly" };
    let failed = |_| IdbError::Failed;
    let (reading, committing, _timer) = {
        let transaction = call(&database.0, "transaction", NOTE_STORE, &mode.into()).map_err(failed)?;
        let store = call(&transaction, "objectStore", NOTE_STORE, &JsValue::UNDEFINED).map_err(failed)?;
        let reading = match text {
            Some(text) => call(&store, "put", text, &NOTE_KEY.into()).map(|_| None).map_err(failed)?,
            None => Some(call(&store, "get", NOTE_KEY, &JsValue::UNDEFINED).map_err(failed)?),
        };
        let (committing, timer) = settled(&transaction, &["oncomplete", "onerror", "onabort"]);
        (reading, committing, timer)
    };
    committing.await.map_err(|_| IdbError::Failed)?;
    Ok(reading.as_ref().and_then(result).and_then(|value| value.as_string()))
}

/// An open connection; closed on drop.
struct Database(JsValue);

impl Drop for Database {
    fn drop(&mut self) {
        super::close(&self.0);
    }
}

/// Detaches an open request's `upgradeneeded` handler on drop, before the
/// closure it calls is dropped: the browser never calls into a freed
/// closure. (Its other handlers are a promise's `resolve` and `reject`: a
/// late call settles nothing.)
struct Handlers(JsValue);

impl Drop for Handlers {
    fn drop(&mut self) {
        on(&self.0, "onupgradeneeded", &JsValue::NULL);
    }
}

/// Sets the `event` handler property (`onsuccess` …) of `target`.
fn on(target: &JsValue, event: &str, handler: &JsValue) {
    let _ = super::put(target, event, handler);
}

/// A request's `result`, if it has one.
fn result(request: &JsValue) -> Option<JsValue> {
    super::get(request, "result").ok()
}

/// A future that resolves when `target` fires the first of `events` and
/// rejects when it fires any other (they are its `onsuccess` … handlers), or
/// after [`IDB_TIMEOUT_MS`] while the returned timer lives. A plain fn, not an
/// `async fn`: one nested future fewer.
fn settled(target: &JsValue, events: &[&str]) -> (JsFuture, Option<Timer>) {
    let (done, settle) = super::new_promise();
    if let Some((resolve, reject)) = &settle {
        for (index, event) in events.iter().enumerate() {
            on(target, event, if index == 0 { resolve } else { reject });
        }
    }
    let (deadline, timer) = settles_after(IDB_TIMEOUT_MS, true);
    (JsFuture::from(Promise::race(&Array::of2(&done, &deadline))), timer)
}
