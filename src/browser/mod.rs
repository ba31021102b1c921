//! The browser shell: one small file per web API, each an RAII handle in the
//! style of `gloo`.
//!
//! The session state machine in `core` is pure: it takes time, randomness and
//! events as inputs and answers with effects. This module is the only place
//! that touches the browser, and it is kept deliberately thin so that almost
//! no logic lives where it can only be tested in a browser.
//!
//! # Files
//!
//! - [`timers`]: [`timers::Timer`], a one-shot `setTimeout`; drop cancels.
//! - [`activity`]: [`activity::ActivityListener`], throttled capture-phase
//!   listeners for user activity (pointer, keyboard, wheel, touch by default).
//! - [`lifecycle`]: [`lifecycle::PageLifecycle`], page visibility, focus,
//!   `pageshow`, online/offline, freeze/resume.
//! - [`channel`]: [`channel::Channel`], cross-tab string messages over
//!   `BroadcastChannel`, with a `localStorage` `storage`-event fallback.
//! - [`locks`]: [`locks::request`], cross-tab mutual exclusion through the Web
//!   Locks API, with an in-page FIFO plus the core's `localStorage` lease as
//!   the fallback.
//! - [`storage`]: [`storage::Store`], namespaced memory / session / local
//!   storage that degrades to memory when web storage throws. Every key the
//!   shell uses comes from `core::keys`, the one documented layout.
//! - [`shared_key`]: [`shared_key::SharedKey`], one `localStorage` key every tab
//!   reads and writes: the ended sessions.
//! - [`random`]: CSPRNG bytes, ids and seeds (`crypto.getRandomValues`).
//! - [`http`]: [`http::send`], `fetch` with a timeout and a body-size cap.
//! - [`idb`]: the generation note in IndexedDB: [`idb::write`] resolves once
//!   committed, [`idb::read`]; both bounded in time, quiet without IndexedDB.
//! - [`csrf`]: the page's CSRF token, from a double-submit cookie or a `<meta>`.
//! - [`page`]: the page's `location` and its script-readable cookies.
//! - [`beacon`]: [`beacon::send`], `navigator.sendBeacon` (monitoring records).
//! - `task`: the executor of the shell's tasks (each awaits only promises).
//! - [`value`]: plain JS values into the core's `Value` (bounded, iterative) and back.
//!
//! # Rules
//!
//! - One browser API per file; every file is small and documented.
//! - A handle owns its closures. Dropping it removes listeners, cancels
//!   timers, closes channels and aborts requests. Handles are `#[must_use]`.
//!   No `forget()`, `Closure::forget` or `into_js_value` in library code.
//! - Closures stored here capture nothing that keeps a session alive: callers
//!   pass closures that capture a `Weak` to their session.
//! - No panics: every JS call that can throw returns a `Result` or degrades;
//!   no `unwrap` of a `JsValue`.
//! - Never hold a `RefCell` borrow across a call into JS or into a user
//!   callback, which may re-enter: copy out, drop the borrow, then call.
//!   `Dispatch` (below) is the one place that calls user callbacks for event
//!   streams; it queues events that arrive while the callback runs. (Activity
//!   calls its own callback the same way but drops a nested report instead of
//!   queueing it: it is for the same moment.)
//! - Listeners are `passive` unless they must call `preventDefault`.
//! - Tests live next to the code, run in headless Chrome, and wait for events
//!   or conditions (with generous upper bounds), never for durations.

pub mod activity;
pub mod beacon;
pub mod channel;
pub mod csrf;
pub mod http;
pub mod idb;
pub mod lifecycle;
pub mod locks;
pub mod page;
pub mod random;
pub mod shared_key;
pub mod storage;
mod task;
pub mod timers;
pub mod value;

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::rc::Rc;

use wasm_bindgen::JsValue;

/// Calls a user callback for a stream of events without ever holding a
/// `RefCell` borrow while the callback runs.
///
/// The callback is taken out of its cell for the duration of the call. An
/// event that arrives while it is out (the callback re-entered the shell, for
/// example by focusing an element or dispatching an event) is queued and
/// delivered, in order, by the outer call once the callback returns. After
/// [`Dispatch::close`] nothing more is delivered, even from the queue.
///
/// Events are JS values (the channel's messages; the page lifecycle sends
/// its events' indices), queued in a JS array: one copy of this code in the
/// wasm, and no `Vec` code for a queue that holds a few entries at most.
///
/// Note: wasm-bindgen itself refuses to re-enter the *same* `FnMut` closure
/// (it throws "closure invoked recursively"); the browser reports that error
/// and drops the nested event. Re-entry through a *different* listener is what
/// the queue handles.
pub(crate) struct Dispatch {
    /// `None` while the callback runs, and after `close`.
    callback: Cell<Option<Callback>>,
    /// Events not delivered yet, oldest first; emptied once delivered.
    pending: js_sys::Array,
    closed: Cell<bool>,
}

/// A user callback for a stream of events.
type Callback = Box<dyn FnMut(JsValue)>;

impl Dispatch {
    /// Wraps `callback`.
    pub(crate) fn new(callback: impl FnMut(JsValue) + 'static) -> Rc<Self> {
        Self::new_boxed(Box::new(callback))
    }

    /// One copy of the constructor for every callback type.
    #[inline(never)]
    fn new_boxed(callback: Callback) -> Rc<Self> {
        Rc::new(Self { callback: Cell::new(Some(callback)), pending: js_sys::Array::new(), closed: Cell::new(false) })
    }

    /// Delivers `event` now, or queues it if the callback is already running.
    pub(crate) fn call(&self, event: JsValue) {
        if self.closed.get() {
            return;
        }
        self.pending.push(&event);
        // `None`: the callback is running further up the stack, and that call
        // delivers this event once it returns.
        let Some(mut callback) = self.callback.take() else { return };
        let mut next = 0;
        while next < length(&self.pending) && !self.closed.get() {
            let event = self.pending.get(next);
            next += 1;
            callback(event);
        }
        self.clear_pending();
        if self.closed.get() {
            drop(callback);
        } else {
            self.callback.set(Some(callback));
        }
    }

    /// Stops all further delivery and drops the callback (or lets the running
    /// call drop it when it returns).
    pub(crate) fn close(&self) {
        self.closed.set(true);
        // Dropped at once, outside any borrow: the closure's captures may run code on drop.
        drop(self.callback.take());
        self.clear_pending();
    }

    fn clear_pending(&self) {
        // `length = 0` empties a JS array; it cannot throw on a plain array.
        let _ = put(&self.pending, "length", &JsValue::from_f64(0.0));
    }
}

impl fmt::Debug for Dispatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatch").field("closed", &self.closed.get()).finish_non_exhaustive()
    }
}

/// Runs `task` from the next microtask on ([`task`]). Every task the shell starts
/// goes through here as one boxed type, so the executor's code is in the
/// wasm once, not once per `async` block.
pub(crate) fn spawn(task: impl Future<Output = ()> + 'static) {
    spawn_boxed(Box::pin(task));
}

#[inline(never)]
fn spawn_boxed(task: task::Task) {
    task::spawn(task);
}

/// A new pending promise and its `resolve` and `reject` functions (as
/// `Promise.withResolvers()`): every promise the shell makes comes from this
/// one `Promise::new` call, one copy of its glue in the wasm. The functions
/// are always there (the constructor calls its executor at once); `None`
/// only says so to the type system.
pub(crate) fn new_promise() -> (js_sys::Promise, Option<(js_sys::Function, js_sys::Function)>) {
    let mut settle = None;
    let promise = js_sys::Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    (promise, settle)
}

/// A map for a handful of string keys: a `Vec` searched linearly. The std maps
/// cost 7–11 KB of wasm each; these maps hold a few entries.
#[derive(Debug, Clone)]
pub(crate) struct VecMap<V>(Vec<(String, V)>);

impl<V> VecMap<V> {
    pub(crate) const fn new() -> Self {
        VecMap(Vec::new())
    }

    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn remove(&mut self, key: &str) {
        // Keys are unique (`get_or_insert_with` adds a key only when missing), and
        // order does not matter.
        if let Some(index) = self.0.iter().position(|(k, _)| k == key) {
            self.0.swap_remove(index);
        }
    }

    /// The value under `key`, inserted with `make` first if missing (always
    /// `Some`; an `Option` only to avoid indexing).
    pub(crate) fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> V) -> Option<&mut V> {
        if self.get(key).is_none() {
            self.0.push((key.to_owned(), make()));
        }
        self.get_mut(key)
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// Any JS value with a numeric `length` (array, typed array, string,
    /// `HTMLCollection`): one import for all of them, not one per type.
    type WithLength;
    #[wasm_bindgen(method, getter, js_name = length)]
    fn length(this: &WithLength) -> u32;

    /// A JS object with a method or property several web types share
    /// (`Request`/`Response`, `IDBDatabase`/`BroadcastChannel`): one import each.
    type Shared;
    #[wasm_bindgen(method, catch, js_name = clone)]
    fn clone_js(this: &Shared) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn headers(this: &Shared) -> web_sys::Headers;
    #[wasm_bindgen(method)]
    fn close(this: &Shared);
}

/// `value.clone()` of a `Request` or `Response` (throws if its body was used).
pub fn clone_js(value: &JsValue) -> Result<JsValue, JsValue> {
    wasm_bindgen::JsCast::unchecked_ref::<Shared>(value).clone_js()
}

/// `value.headers` of a `Request` or `Response`.
pub fn headers(value: &JsValue) -> web_sys::Headers {
    wasm_bindgen::JsCast::unchecked_ref::<Shared>(value).headers()
}

/// `value.close()` of an `IDBDatabase` or `BroadcastChannel`.
pub fn close(value: &JsValue) {
    wasm_bindgen::JsCast::unchecked_ref::<Shared>(value).close()
}

/// The page's `document`, through [`get`] (no `Window.document` import);
/// `None` outside a page.
pub(crate) fn document() -> Option<web_sys::Document> {
    let document = global_get("document").ok().filter(JsValue::is_object)?;
    Some(wasm_bindgen::JsCast::unchecked_into(document))
}

/// `value.length` (see [`WithLength`]).
pub fn length(value: &JsValue) -> u32 {
    wasm_bindgen::JsCast::unchecked_ref::<WithLength>(value).length()
}

/// `target[key]`, for the whole crate (shell and api). Not inlined: one copy
/// of the key's conversion and drop instead of one per call site.
#[inline(never)]
pub fn get(target: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    js_sys::Reflect::get(target, &JsValue::from_str(key))
}

/// `globalThis[key]`, for the shell: one copy of the global's lookup instead
/// of one per call site.
#[inline(never)]
pub(crate) fn global_get(key: &str) -> Result<JsValue, JsValue> {
    get(&js_sys::global(), key)
}

/// `target[key] = value` (see [`get`]).
#[inline(never)]
pub fn put(target: &JsValue, key: &str, value: &JsValue) -> Result<bool, JsValue> {
    js_sys::Reflect::set(target, &JsValue::from_str(key), value)
}

/// Helpers shared by the in-file browser tests.
#[cfg(all(test, target_arch = "wasm32"))]
pub(crate) mod test_util {
    /// Polls `condition` every few milliseconds until it holds or `max_ms`
    /// have passed; returns whether it held. The bound is generous on purpose:
    /// tests assert the condition, never how long it took.
    pub(crate) async fn wait_until(mut condition: impl FnMut() -> bool, max_ms: f64) -> bool {
        let start = js_sys::Date::now();
        loop {
            if condition() {
                return true;
            }
            if js_sys::Date::now() - start > max_ms {
                return condition();
            }
            gloo_timers::future::TimeoutFuture::new(5).await;
        }
    }

    /// Lets pending tasks and microtasks run (a `setTimeout(0)` round trip).
    pub(crate) async fn yield_to_browser() {
        gloo_timers::future::TimeoutFuture::new(0).await;
    }

    /// A name no other test (or earlier run) uses, for locks and channels.
    pub(crate) fn unique(prefix: &str) -> String {
        format!("{prefix}-{}-{}", js_sys::Date::now(), js_sys::Math::random())
    }
}
