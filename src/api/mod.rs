//! The JavaScript API: the `Session` class and its typed options and events.
//!
//! Glue, and no session rule: every method feeds one input to the core
//! ([`drive`]: read the clock, call the machine), then [`flush`]es: carries out
//! the core's effects (`effects.rs`), hands its events to the listeners
//! (`events.rs`), re-arms the one timer. The page's events (`attach.rs`) and the
//! answers to the requests the core asked for come back as inputs the same way. `session.fetch` is a small loop that
//! asks the core what each answer means (`fetch.rs`). No `RefCell` borrow is
//! held while a listener or any other user code runs, so a listener may call
//! back into the session.

mod attach;
mod effects;
mod events;
mod fetch;
mod options;
mod records;
mod tombstones;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::browser::activity::ActivityListener;
use crate::browser::channel::Channel;
use crate::browser::lifecycle::{self, PageLifecycle};
use crate::browser::locks::{LockGuard, LockRequest};
use crate::browser::shared_key::SharedKey;
use crate::browser::storage::{StorageKind, Store};
use crate::browser::timers::Timer;
use crate::browser::{new_promise, page, random, spawn, value};
use crate::core::options::Options;
use crate::core::security;
use crate::core::value::Value;
use crate::core::{
    CheckTrigger, ConfigError, FieldNames, Id128, Machine, ProtocolError, Setup, ShellOptions, StorageChoice,
};
use events::{emit, error_event, event_object, set};
pub use options::{cookie_session, oauth2};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("../api.d.ts");

#[wasm_bindgen]
extern "C" {
    /// The options object (`SessionOptions` in TypeScript).
    #[wasm_bindgen(typescript_type = "SessionOptions")]
    pub type SessionOptionsJs;
    /// A token response (`TokenResponse` in TypeScript).
    #[wasm_bindgen(typescript_type = "TokenResponse | undefined")]
    pub type TokenResponseJs;
    /// The session state name (`SessionState` in TypeScript).
    #[wasm_bindgen(typescript_type = "SessionState")]
    pub type SessionStateJs;
}

/// The storage key of the stored session (`storage: "session" | "local"`).
const STORED_SESSION_KEY: &str = crate::core::keys::STORED_SESSION;

/// The longest a single timer is armed for: far below `setTimeout`'s 2^31 − 1 ms
/// limit (beyond which it fires at once), and a periodic re-check for free.
const MAX_TIMER_MS: u64 = 3_600_000;

/// `target[key]` and `target[key] = value`: the shell's one non-inlined pair.
use crate::browser::{get, put};

/// A value as JSON text (`JSON.stringify`); `None` if it throws. One copy for
/// every store the session writes.
#[inline(never)]
fn json_text(stored: &Value) -> Option<String> {
    js_sys::JSON::stringify(&value::to_js(stored)).ok().and_then(|text| text.as_string())
}

/// Stored JSON text parsed by the browser and walked like a message within
/// `limits`; `None` when it is not usable.
#[inline(never)]
fn read_json(text: &str, limits: &value::Limits) -> Option<Value> {
    value::from_js(&value::parse_text(text)?, limits, &[]).ok()
}

/// The error of every method called after `destroy()`.
fn destroyed() -> JsValue {
    session_error("destroyed", "the session was destroyed")
}

/// A `SessionError`: a real `Error` with a stable `code`.
fn session_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // `error.name = …` through the one `Reflect.set` import.
    let _ = put(&error, "name", &"SessionError".into());
    let _ = put(&error, "code", &code.into());
    error.into()
}

fn config_error(error: ConfigError) -> JsValue {
    session_error(ConfigError::CODE, &error.message())
}

fn now_ms() -> u64 {
    let now = js_sys::Date::now();
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

/// The lock for one refresh attempt: asked for, or held.
enum LockSlot {
    Pending(#[allow(dead_code)] LockRequest),
    Held(#[allow(dead_code)] LockGuard),
}

/// Everything the session holds in the browser; dropping it detaches the
/// session from the page (listeners, timer, channel, locks).
struct Shell {
    timer: Option<Timer>,
    _activity: Option<ActivityListener>,
    _lifecycle: Option<PageLifecycle>,
    channel: Option<Channel>,
    store: Store,
    /// The ended sessions every tab shares (`localStorage`, no secrets).
    tombstones: SharedKey,
    /// Writing them failed once already (reported then).
    tombstones_failed: bool,
    locks: Vec<(u64, LockSlot)>,
    /// Holds released lock guards until the core's `hold_until`; dropping it
    /// (a newer release of a held lock, or destroy) releases them at once.
    settling: Option<Timer>,
    /// Delivers problems found while attaching (no channel, storage unusable)
    /// on the next task, when the app has had a chance to add listeners.
    _notices: Option<Timer>,
    /// Sends the monitoring queue when it fires (`records.rs`).
    monitor_timer: Option<Timer>,
}

pub(super) struct Inner {
    machine: RefCell<Machine>,
    options: ShellOptions,
    shell: RefCell<Option<Shell>>,
    /// Entries `[type | null, callback]`; a JS `Set`, so that the unsubscribe
    /// function is plain `Set.prototype.delete` bound to the entry: nothing to
    /// own, callable even after `destroy()`.
    listeners: js_sys::Set,
    /// Events waiting for the listeners (`events::deliver_queued`), oldest
    /// first, and whether one is being delivered now.
    queued_events: js_sys::Array,
    delivering: Cell<bool>,
    refresh_hook: Option<Function>,
    /// While a refresh is in flight and a `session.fetch` call waits for it: the
    /// promise they all await, and its `resolve`.
    refresh_gate: Cell<Option<(js_sys::Promise, Function)>>,
    /// `destroy()` was called: nothing reaches the machine any more.
    destroyed: Cell<bool>,
    /// The session itself, until `destroy()`: a page that keeps no reference
    /// to its `Session` (garbage collected, so freed) must not lose the idle
    /// timeout and the cross-tab logout with it, as a timer keeps what it calls.
    running: Cell<Option<Rc<Inner>>>,
}

/// A login session in this tab, kept in agreement with the other tabs.
#[wasm_bindgen]
pub struct Session {
    inner: Rc<Inner>,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Session")
    }
}

/// Feeds one input to the core at the current time, then flushes.
fn drive(inner: &Rc<Inner>, input: impl FnOnce(&mut Machine, u64)) {
    if inner.destroyed.get() {
        return;
    }
    let now = now_ms();
    tombstones::load_if_ending(inner, now);
    match inner.machine.try_borrow_mut() {
        Ok(mut machine) => input(&mut machine, now),
        Err(_) => return,
    }
    flush(inner);
}

/// Carries out effects, emits events, re-arms the timer. No borrow of the
/// machine is held while effects or listeners run.
///
/// The steps it takes are `#[inline(never)]`: inlined into one function they
/// made a larger wasm (more locals, and every arm's spills).
fn flush(inner: &Rc<Inner>) {
    loop {
        let effect = match inner.machine.try_borrow_mut() {
            Ok(mut machine) => machine.poll_effect(),
            Err(_) => None,
        };
        let Some(effect) = effect else { break };
        effects::apply(inner, effect);
    }
    loop {
        let event = match inner.machine.try_borrow_mut() {
            Ok(mut machine) => machine.poll_event(),
            Err(_) => None,
        };
        let Some(event) = event else { break };
        let object = event_object(&event);
        records::on_event(inner, &event, &object);
        // All of them queued before any is delivered: a listener may `destroy()`.
        inner.queued_events.push(&object);
    }
    events::deliver_queued(inner);
    arm_timer(inner);
    fetch::open_refresh_gate_when_idle(inner);
}

/// Resumes the session kept in storage, if any. Stored data is checked like a
/// cross-tab message; an unusable or expired entry is removed.
fn restore_session(inner: &Rc<Inner>) {
    if inner.options.storage == StorageChoice::Memory {
        return;
    }
    let read = with_shell(inner, |shell| (shell.store.get(STORED_SESSION_KEY), shell.store.take_fault()));
    let Some((stored, fault)) = read else { return };
    if fault.is_some() {
        effects::storage_failed(inner);
    }
    let Some(text) = stored else { return };
    // Stored as JSON text: parsed by the browser, walked like a message.
    let stored = read_json(&text, &value::Limits::MESSAGE);
    let mut rejected = Some(ProtocolError::Malformed);
    if let Some(stored) = stored {
        drive(inner, |machine, now| rejected = machine.restore(now, &stored).err());
    }
    let Some(error) = rejected else { return };
    with_shell(inner, |shell| shell.store.remove(STORED_SESSION_KEY));
    // An ended or expired session is simply over; anything else is damage worth telling.
    if !error.is_expected() {
        emit(inner, &error_event(error.code(), "an unusable stored session was discarded"));
    }
}

#[inline(never)]
fn arm_timer(inner: &Rc<Inner>) {
    let Ok(machine) = inner.machine.try_borrow() else { return };
    let next = machine.poll_timeout();
    drop(machine);
    let timer = next.map(|at| {
        let delay = at.saturating_sub(now_ms()).min(MAX_TIMER_MS);
        let weak = Rc::downgrade(inner);
        Timer::after(delay as u32, move || {
            if let Some(inner) = weak.upgrade() {
                input(&inner, Act::Timeout);
            }
        })
    });
    let old = match inner.shell.try_borrow_mut() {
        Ok(mut shell) => match shell.as_mut() {
            Some(shell) => core::mem::replace(&mut shell.timer, timer),
            None => None,
        },
        Err(_) => None,
    };
    drop(old);
}

fn with_shell<R>(inner: &Inner, f: impl FnOnce(&mut Shell) -> R) -> Option<R> {
    let mut shell = inner.shell.try_borrow_mut().ok()?;
    shell.as_mut().map(f)
}

/// The `responseFields` a token response is read by, copied out of the
/// machine so that no borrow is held while JS runs.
fn token_fields(inner: &Inner) -> FieldNames {
    inner.machine.try_borrow().map(|machine| machine.transport().fields.clone()).unwrap_or_default()
}

fn storage_kind(choice: StorageChoice) -> StorageKind {
    match choice {
        StorageChoice::Memory => StorageKind::Memory,
        StorageChoice::Session => StorageKind::Session,
        StorageChoice::Local => StorageKind::Local,
    }
}

fn random_id() -> Result<Id128, JsValue> {
    random::id128().map(Id128).map_err(no_crypto)
}

/// A random id, or `None` without a random source (no error built to be dropped).
fn maybe_random_id() -> Option<Id128> {
    random::id128().ok().map(Id128)
}

fn no_crypto<E>(_: E) -> JsValue {
    session_error("no_crypto", "crypto.getRandomValues is unavailable")
}

#[wasm_bindgen]
impl Session {
    /// Creates a session from an options object (see `SessionOptions`). Throws a
    /// `SessionError` with `code: "invalid_config"` naming the bad field.
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<SessionOptionsJs>) -> Result<Session, JsValue> {
        let options: Option<JsValue> = options.map(Into::into);
        let (Options { config, endpoints: transport, shell: shell_options }, refresh_hook) =
            options::read_options(options.as_ref())?;
        let tab_id = random_id()?;
        let seed = random::seed_u64().map_err(no_crypto)?;
        let storage = shell_options.storage;
        let setup =
            Setup { config, transport, refresh_hook: refresh_hook.is_some(), storage, parse_json: value::parse_json };
        let inner = Rc::new(Inner {
            machine: RefCell::new(Machine::new(setup, tab_id, seed)),
            options: shell_options,
            shell: RefCell::new(None),
            listeners: js_sys::Set::new(&JsValue::UNDEFINED),
            queued_events: js_sys::Array::new(),
            delivering: Cell::new(false),
            refresh_hook,
            refresh_gate: Cell::new(None),
            destroyed: Cell::new(false),
            running: Cell::new(None),
        });
        inner.running.set(Some(Rc::clone(&inner)));
        attach::attach(&inner);
        // Before anything can start or restore a session: what ended, ended.
        tombstones::load(&inner);
        records::load_kept(&inner);
        let online = lifecycle::is_online();
        input(&inner, Act::Online(online));
        Ok(Session { inner })
    }

    /// Starts a session with the login response (`access_token`, `refresh_token`,
    /// `expires_in` …; nothing in cookie mode). Every other tab joins it.
    pub fn start(&self, tokens: Option<TokenResponseJs>) -> Result<(), JsValue> {
        self.live()?;
        let tokens: Option<JsValue> = tokens.map(Into::into);
        let tokens = options::tokens_from_js(tokens.as_ref(), &token_fields(&self.inner))?;
        let epoch = random_id()?;
        records::load_kept(&self.inner);
        drive(&self.inner, |machine, now| machine.login(now, epoch, tokens));
        Ok(())
    }

    /// Joins the session of another open tab, if there is one (no network
    /// call); in cookie mode also asks the `session` endpoint. Another tab's
    /// session is joined whichever answers first: a "signed in" starts a
    /// session only when no tab has answered within 200 ms of asking. Never
    /// brings back a session that ended in any tab of the browser; while a
    /// logout the server was not told of is owed, a "signed in" answer is that
    /// old session and the logout is sent again instead.
    pub fn resume(&self) -> Result<(), JsValue> {
        self.live()?;
        tombstones::load(&self.inner);
        restore_session(&self.inner);
        let epoch = maybe_random_id();
        drive(&self.inner, |machine, now| {
            machine.request_state(now);
            if let Some(epoch) = epoch {
                machine.check_session(now, CheckTrigger::Resume, epoch);
            }
        });
        Ok(())
    }

    /// "Stay signed in": dismisses the idle warning in every tab (in cookie
    /// mode it sends a keepalive at once: the server's idle timer may be what warns).
    #[wasm_bindgen(js_name = staySignedIn)]
    pub fn stay_signed_in(&self) -> Result<(), JsValue> {
        self.act(Act::StaySignedIn)
    }

    /// Counts as user activity (for activity the DOM listeners cannot see).
    pub fn touch(&self) -> Result<(), JsValue> {
        self.act(Act::Touch)
    }

    /// Logs out in every tab. If the server cannot be told (offline, 5xx, a
    /// CSRF 403), the logout is remembered for every tab (no secrets) and sent
    /// again when the browser is back online; nothing but `start()` signs the
    /// user in again meanwhile.
    pub fn logout(&self) -> Result<(), JsValue> {
        self.act(Act::Logout)
    }

    /// Detaches from the page: every listener, timer, channel and lock it made is
    /// removed. Afterwards `state` reads `"destroyed"` and every other method
    /// throws a `SessionError` with code `"destroyed"`; a second `destroy()`
    /// does nothing. Until then the session runs, whether or not the page
    /// keeps a reference to it.
    pub fn destroy(&self) {
        if self.inner.destroyed.replace(true) {
            return;
        }
        drop(self.inner.running.take());
        let shell = self.inner.shell.try_borrow_mut().ok().and_then(|mut shell| shell.take());
        drop(shell);
        // Inside a listener: once the events raised before have reached them.
        if !self.inner.delivering.get() {
            self.inner.listeners.clear();
        }
        // Pending fetch calls stop waiting; they return what they have.
        fetch::open_refresh_gate(&self.inner);
    }

    /// `"anonymous" | "active" | "warning" | "expired" | "loggedOut"`, and
    /// `"destroyed"` after `destroy()`.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> SessionStateJs {
        let state = match self.inner.machine.try_borrow() {
            _ if self.inner.destroyed.get() => "destroyed",
            Ok(machine) => machine.state().as_str(),
            Err(_) => "anonymous",
        };
        JsValue::from_str(state).unchecked_into()
    }

    /// Milliseconds until the session ends (idle or absolute), or `undefined`
    /// without a live session.
    #[wasm_bindgen(js_name = remainingMs)]
    pub fn remaining_ms(&self) -> Result<Option<f64>, JsValue> {
        self.act(Act::Timeout)?;
        Ok(self.inner.machine.try_borrow().ok().and_then(|machine| machine.remaining_ms()).map(|ms| ms as f64))
    }

    /// When the session ends without activity (epoch ms), or `undefined`.
    #[wasm_bindgen(getter, js_name = idleDeadline)]
    pub fn idle_deadline(&self) -> Option<f64> {
        self.alive()?.machine.try_borrow().ok()?.idle_deadline().map(|ms| ms as f64)
    }

    /// When the session ends whatever happens (epoch ms), or `undefined`.
    #[wasm_bindgen(getter, js_name = absoluteDeadline)]
    pub fn absolute_deadline(&self) -> Option<f64> {
        self.alive()?.machine.try_borrow().ok()?.absolute_deadline().map(|ms| ms as f64)
    }

    /// This tab's random id (32 hex digits).
    #[wasm_bindgen(getter, js_name = tabId)]
    pub fn tab_id(&self) -> String {
        self.inner.machine.try_borrow().map(|m| m.tab_id().to_hex()).unwrap_or_default()
    }

    /// The current access token, for requests the app makes itself.
    // The JS string itself, or `undefined`: no `Option<String>` glue
    // (`access_token` below is the same for Rust callers).
    #[wasm_bindgen(getter, js_name = accessToken, unchecked_return_type = "string | undefined")]
    pub fn access_token_js(&self) -> JsValue {
        let machine = self.alive().and_then(|inner| inner.machine.try_borrow().ok());
        machine.as_ref().and_then(|machine| machine.access_token()).map_or(JsValue::UNDEFINED, JsValue::from_str)
    }

    /// `fetch` with the session's credential. Waits while a refresh is in
    /// flight; on a 401 refreshes once (one refresh for all tabs and all
    /// concurrent calls) and retries once; a second 401 ends the session
    /// everywhere with reason `revoked`. A request that sets its own
    /// `Authorization` is the app's: its 401 is returned untouched. Never
    /// loops, and does not count as user activity.
    // `init` as the JS value it is: no `Option<Object>` glue (`fetch` below is
    // the same for Rust callers).
    #[wasm_bindgen(js_name = fetch, skip_typescript)]
    pub fn fetch_js(&self, input: JsValue, init: JsValue) -> js_sys::Promise {
        if let Err(error) = self.live() {
            return js_sys::Promise::reject(&error);
        }
        let weak = Rc::downgrade(&self.inner);
        // As an `Option` would read it: `null` is no init.
        let init = if init.is_null() { JsValue::UNDEFINED } else { init };
        // Not `future_to_promise`: through the shell's one `spawn` (smaller wasm).
        let (promise, settle) = new_promise();
        if let Some((resolve, reject)) = settle {
            spawn(fetch::authenticated_fetch(weak, input, init, [resolve, reject]));
        }
        promise
    }

    /// Weak settings the session can see: an array of `{ id, severity, message,
    /// advice }`, most severe first. Advisory; see SECURITY.md for each check.
    #[wasm_bindgen(js_name = securityReport, skip_typescript)]
    pub fn security_report(&self) -> Result<js_sys::Array, JsValue> {
        self.live()?;
        let (protocol, hostname) = page::location();
        let cookies = page::cookies();
        let findings = match self.inner.machine.try_borrow() {
            Ok(machine) => security::report(&security::Setup {
                config: machine.config(),
                transport: machine.transport(),
                storage: self.inner.options.storage,
                page: security::Page { protocol: &protocol, hostname: &hostname, cookies: &cookies },
                refresh_token_reused: machine.refresh_token_reused(),
                remember_me: machine.remember_me(),
            }),
            Err(_) => Vec::new(),
        };
        // A loop with `push`, not `collect` (no `Extend for Array` code).
        let report = js_sys::Array::new();
        for finding in &findings {
            let object = Object::new();
            set(&object, "id", finding.id);
            set(&object, "severity", finding.severity.as_str());
            set(&object, "message", finding.message);
            set(&object, "advice", finding.advice);
            report.push(&object);
        }
        Ok(report)
    }

    /// Listens to one event type; returns the function that stops listening.
    /// A `TypeError` when `kind` is not a string.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, kind: JsValue, callback: Function) -> Result<Function, JsValue> {
        // Kept as the JS string it is (compared with `===` in `emit`). Anything
        // else is a mistake (a misspelt constant is `undefined`): say so.
        if !kind.is_string() {
            return Err(js_sys::TypeError::new("the event type must be a string").into());
        }
        self.add_listener(&kind, callback)
    }

    /// Listens to every event; returns the function that stops listening.
    #[wasm_bindgen(js_name = onAny, skip_typescript)]
    pub fn on_any(&self, callback: Function) -> Result<Function, JsValue> {
        self.add_listener(&JsValue::NULL, callback)
    }
}

/// What [`input`] feeds to the core.
#[derive(Clone, Copy)]
pub(super) enum Act {
    StaySignedIn,
    Touch,
    Logout,
    Timeout,
    Online(bool),
}

/// The input-only calls (methods, the timer, activity): one copy of `drive`.
#[inline(never)]
pub(super) fn input(inner: &Rc<Inner>, act: Act) {
    drive(inner, |machine, now| feed(machine, now, act));
}

/// Feeds `act` to the machine (see [`input`]).
#[inline(never)]
pub(super) fn feed(machine: &mut Machine, now: u64, act: Act) {
    match act {
        Act::StaySignedIn => machine.stay_signed_in(now),
        Act::Touch => machine.handle_activity(now),
        Act::Logout => machine.logout(now),
        Act::Timeout => machine.handle_timeout(now),
        Act::Online(online) => machine.handle_online(now, online),
    }
}

impl Session {
    /// The body the input-only methods share: one copy of `live()` and `drive`.
    fn act(&self, act: Act) -> Result<(), JsValue> {
        input(self.live()?, act);
        Ok(())
    }

    /// `fetch` with the session's credential (`fetch` in JS).
    pub fn fetch(&self, input: JsValue, init: Option<Object>) -> js_sys::Promise {
        self.fetch_js(input, init.map_or(JsValue::UNDEFINED, Into::into))
    }

    /// The current access token (`accessToken` in JS).
    pub fn access_token(&self) -> Option<String> {
        self.alive()?.machine.try_borrow().ok()?.access_token().map(str::to_owned)
    }

    /// The session, unless `destroy()` was called; for the getters, which
    /// answer nothing then (no error built to be dropped).
    fn alive(&self) -> Option<&Rc<Inner>> {
        (!self.inner.destroyed.get()).then_some(&self.inner)
    }

    /// The session, unless `destroy()` was called.
    pub(super) fn live(&self) -> Result<&Rc<Inner>, JsValue> {
        if self.inner.destroyed.get() {
            return Err(destroyed());
        }
        Ok(&self.inner)
    }

    /// `kind`: the event type, or `null` for every event.
    fn add_listener(&self, kind: &JsValue, callback: Function) -> Result<Function, JsValue> {
        self.live()?;
        let entry = js_sys::Array::of2(kind, &callback);
        self.inner.listeners.add(&entry);
        let delete: Function = get(&self.inner.listeners, "delete").unwrap_or(JsValue::UNDEFINED).unchecked_into();
        Ok(delete.bind1(&self.inner.listeners, &JsValue::from(entry)).unchecked_into())
    }
}
