//! The JavaScript API: the `Session` class and its typed options and events.
//!
//! Every method follows one pattern ([`drive`]): read the clock, feed one input to
//! the core, carry out its effects, hand its events to the listeners, re-arm the
//! one timer. No `RefCell` borrow is held while a listener or any other user
//! code runs, so a listener may call back into the session.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::browser::activity::ActivityListener;
use crate::browser::channel::Channel;
use crate::browser::csrf;
use crate::browser::http::{self as fetcher, HttpError, HttpRequest, HttpResponse};
use crate::browser::lifecycle::{self, PageEvent, PageLifecycle};
use crate::browser::locks::{self, LockGuard, LockRequest};
use crate::browser::storage::{StorageKind, Store};
use crate::browser::timers::Timer;
use crate::browser::{page, random, value};
use crate::core::http::{self, CsrfSource, SessionAnswer, TokenMode, Transport};
use crate::core::json::Value;
use crate::core::options::{cookie_session_options, oauth2_options, Options};
use crate::core::protocol::{decode, encode};
use crate::core::security;
use crate::core::{
    ConfigError, Effect, Event, Id128, KeepaliveOutcome, Machine, ProtocolError, RefreshFailure, RefreshOutcome,
    SessionCheck, ShellOptions, StorageChoice, TokenSet,
};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = include_str!("api.d.ts");

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

/// How long a refresh lock is kept after its release is asked for. The new tokens
/// are broadcast just before; the lock release and the message travel different
/// paths, so this keeps the next holder from checking before the tokens arrived.
const LOCK_SETTLE_MS: u32 = 50;

/// The storage key of the stored session (`storage: "session" | "local"`).
const STORED_SESSION_KEY: &str = crate::core::keys::STORED_SESSION;

/// The longest a single timer is armed for: far below `setTimeout`'s 2^31 − 1 ms
/// limit (beyond which it fires at once), and a periodic re-check for free.
const MAX_TIMER_MS: u64 = 3_600_000;

/// A `SessionError`: a real `Error` with a stable `code`.
fn session_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("SessionError");
    let _ = Reflect::set(&error, &"code".into(), &code.into());
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
    locks: Vec<(u64, LockSlot)>,
    /// Holds released lock guards for [`LOCK_SETTLE_MS`]; dropping it (a newer
    /// release, or destroy) releases them at once.
    settling: Option<Timer>,
    /// Delivers problems found while attaching (no channel, storage unusable)
    /// on the next task, when the app has had a chance to add listeners.
    notices: Option<Timer>,
}

struct Inner {
    machine: RefCell<Machine>,
    options: ShellOptions,
    shell: RefCell<Option<Shell>>,
    /// Entries `[type | null, callback]`; a JS `Set`, so that the unsubscribe
    /// function is plain `Set.prototype.delete` bound to the entry: nothing to
    /// own, callable even after `destroy()`.
    listeners: js_sys::Set,
    refresh_hook: Option<Function>,
    /// The backend's endpoints and how to talk to them.
    transport: Transport,
    /// When the session endpoint was last asked (epoch ms; 0: never).
    last_session_check: Cell<u64>,
    /// `resolve` functions of `session.fetch` calls waiting for a refresh.
    refresh_waiters: RefCell<Vec<Function>>,
    /// What was last written to storage ([`Machine::storage_version`]).
    stored_version: Cell<Option<(Id128, u64, u64)>>,
}

impl Inner {
    /// Whether anything can renew the credential: a `refresh` function or endpoint.
    fn can_refresh(&self) -> bool {
        self.refresh_hook.is_some() || self.transport.refresh.is_some()
    }
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
    let now = now_ms();
    match inner.machine.try_borrow_mut() {
        Ok(mut machine) => input(&mut machine, now),
        Err(_) => return,
    }
    flush(inner);
}

/// Carries out effects, emits events, re-arms the timer. No borrow of the
/// machine is held while effects or listeners run.
fn flush(inner: &Rc<Inner>) {
    loop {
        let effect = match inner.machine.try_borrow_mut() {
            Ok(mut machine) => machine.poll_effect(),
            Err(_) => None,
        };
        let Some(effect) = effect else { break };
        apply(inner, effect);
    }
    loop {
        let event = match inner.machine.try_borrow_mut() {
            Ok(mut machine) => machine.poll_event(),
            Err(_) => None,
        };
        let Some(event) = event else { break };
        emit(inner, &event_object(&event));
    }
    store_session(inner);
    arm_timer(inner);
    wake_refresh_waiters(inner);
}

/// Writes the live session to storage when it changed (login, new tokens,
/// activity), if the app chose `storage: "session"` or `"local"`; ending the
/// session wipes it (`Effect::WipeStorage`).
fn store_session(inner: &Rc<Inner>) {
    if inner.options.storage == StorageChoice::Memory {
        return;
    }
    let Ok(machine) = inner.machine.try_borrow() else { return };
    let version = machine.storage_version();
    if version.is_none() || version == inner.stored_version.get() {
        return;
    }
    inner.stored_version.set(version);
    let Some(text) = machine.stored_session() else { return };
    drop(machine);
    let failed = with_shell(inner, |shell| shell.store.set(STORED_SESSION_KEY, &text).is_err());
    if failed == Some(true) {
        storage_failed(inner);
    }
}

/// Tells the app that web storage failed (the store now keeps state in memory).
fn storage_failed(inner: &Rc<Inner>) {
    emit(inner, &error_event("storage_unavailable", "storage failed; state is kept in memory"));
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
        storage_failed(inner);
    }
    let Some(text) = stored else { return };
    let mut rejected = None;
    drive(inner, |machine, now| rejected = machine.restore(now, &text).err());
    let Some(error) = rejected else { return };
    with_shell(inner, |shell| shell.store.remove(STORED_SESSION_KEY));
    // An ended or expired session is simply over; anything else is damage worth telling.
    if !matches!(error, ProtocolError::StaleSnapshot | ProtocolError::EndedEpoch) {
        emit(inner, &error_event(error.code(), "an unusable stored session was discarded"));
    }
}

/// Resolves the promises of `fetch` calls waiting for a refresh, once none is
/// in flight (done, failed, or the session ended).
fn wake_refresh_waiters(inner: &Rc<Inner>) {
    let in_flight = inner.machine.try_borrow().map(|m| m.refresh_in_flight()).unwrap_or(false);
    if in_flight {
        return;
    }
    let waiters = inner.refresh_waiters.try_borrow_mut().map(|mut w| core::mem::take(&mut *w)).unwrap_or_default();
    for resolve in waiters {
        let _ = resolve.call0(&JsValue::UNDEFINED);
    }
}

/// Waits until no refresh is in flight.
async fn refresh_settled(weak: &Weak<Inner>) {
    let Some(inner) = weak.upgrade() else { return };
    if !inner.machine.try_borrow().map(|m| m.refresh_in_flight()).unwrap_or(false) {
        return;
    }
    let mut resolver = None;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| resolver = Some(resolve));
    if let (Some(resolve), Ok(mut waiters)) = (resolver, inner.refresh_waiters.try_borrow_mut()) {
        waiters.push(resolve);
    }
    drop(inner);
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// How `session.fetch` presents the session: bearer token, credentials mode,
/// and the CSRF header for state-changing requests.
struct Credential {
    access_token: Option<String>,
    credentials: &'static str,
    csrf: Option<(String, String)>,
}

/// The request's `init` with the credential added. The caller's objects are
/// not changed, and what the caller set explicitly wins.
fn with_credential(input: &JsValue, init: &JsValue, credential: &Credential) -> Result<JsValue, JsValue> {
    let merged = Object::assign(&Object::new(), &init.clone().dyn_into::<Object>().unwrap_or_default());
    let base = match Reflect::get(&merged, &"headers".into()) {
        Ok(headers) if !headers.is_undefined() => headers,
        _ => input.dyn_ref::<web_sys::Request>().map_or(JsValue::UNDEFINED, |r| r.headers().into()),
    };
    // `new Headers(init)` accepts a Headers, a record or a list of pairs.
    let constructor: Function = Reflect::get(&js_sys::global(), &"Headers".into())?.dyn_into()?;
    let headers: web_sys::Headers = Reflect::construct(&constructor, &js_sys::Array::of1(&base))?.dyn_into()?;
    if let Some(token) = &credential.access_token {
        if !headers.has("Authorization")? {
            headers.set("Authorization", &(String::from("Bearer ") + token))?;
        }
    }
    let method = match Reflect::get(&merged, &"method".into()).ok().and_then(|m| m.as_string()) {
        Some(method) => method,
        None => input.dyn_ref::<web_sys::Request>().map_or_else(|| String::from("GET"), |r| r.method()),
    };
    if let Some((header, token)) = &credential.csrf {
        let safe = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
        if !safe && !headers.has(header)? {
            headers.set(header, token)?;
        }
    }
    Reflect::set(&merged, &"headers".into(), &headers)?;
    if Reflect::get(&merged, &"credentials".into()).map_or(true, |c| c.is_undefined()) {
        Reflect::set(&merged, &"credentials".into(), &credential.credentials.into())?;
    }
    Ok(merged.into())
}

/// One attempt: the credential of the moment, the token generation it was sent with.
async fn send_once(
    weak: &Weak<Inner>,
    input: &JsValue,
    init: &JsValue,
) -> Result<(web_sys::Response, Option<u64>), JsValue> {
    let inner = weak.upgrade().ok_or_else(|| session_error("destroyed", "the session was destroyed"))?;
    let (access_token, generation) = match inner.machine.try_borrow() {
        Ok(machine) => (machine.access_token().map(str::to_owned), machine.token_generation()),
        Err(_) => (None, None),
    };
    let csrf = inner.transport.csrf.as_ref().and_then(|c| Some((c.header.clone(), csrf_token(&inner.transport)?)));
    let credential = Credential { access_token, credentials: inner.transport.credentials.as_str(), csrf };
    drop(inner);
    let init = with_credential(input, init, &credential)?;
    // A Request's body can be read once: send a copy so a retry can send another.
    let input = match input.dyn_ref::<web_sys::Request>() {
        Some(request) => request.clone()?.into(),
        None => input.clone(),
    };
    Ok((plain_fetch(&input, &init).await?, generation))
}

/// The page's `fetch(input, init)`, looked up at call time (apps and tests may
/// wrap it).
async fn plain_fetch(input: &JsValue, init: &JsValue) -> Result<web_sys::Response, JsValue> {
    let window = web_sys::window().ok_or_else(|| session_error("no_window", "fetch needs a window"))?;
    let fetch: Function = Reflect::get(&window, &"fetch".into())?.dyn_into()?;
    let promise: js_sys::Promise = fetch.call2(&window, input, init)?.dyn_into()?;
    wasm_bindgen_futures::JsFuture::from(promise).await?.dyn_into()
}

/// Whether `session.fetch(input)` goes to the page's origin or a configured
/// `apiOrigins` entry: only those get the credential.
fn credential_allowed(weak: &Weak<Inner>, input: &JsValue) -> bool {
    let Some(inner) = weak.upgrade() else { return false };
    page::request_url(input).is_some_and(|url| http::may_send_credential(&inner.transport, &url, &page::origin()))
}

/// Whether an API answer says the session is no longer honoured (by default a
/// 401; configurable by status and JSON error code). Reads a copy of the body
/// only when an error code could decide it.
async fn says_revoked(weak: &Weak<Inner>, response: &web_sys::Response) -> bool {
    let Some(inner) = weak.upgrade() else { return false };
    let transport = inner.transport.clone();
    drop(inner);
    let status = response.status();
    if !http::needs_body(&transport, status) {
        return http::is_revoked(&transport, status, None);
    }
    let body = match response.clone().and_then(|copy| copy.text()) {
        Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    http::is_revoked(&transport, status, body.as_deref())
}

/// `session.fetch`: see [`Session::fetch`].
async fn authenticated_fetch(weak: Weak<Inner>, input: JsValue, init: JsValue) -> Result<JsValue, JsValue> {
    if !credential_allowed(&weak, &input) {
        // A third party: no token, no CSRF header, and its 401 is not ours.
        return plain_fetch(&input, &init).await.map(Into::into);
    }
    refresh_settled(&weak).await;
    let (response, sent_with) = send_once(&weak, &input, &init).await?;
    if !says_revoked(&weak, &response).await {
        return Ok(response.into());
    }
    let Some(inner) = weak.upgrade() else { return Ok(response.into()) };
    let current = inner.machine.try_borrow().ok().and_then(|m| m.token_generation());
    if current.is_none() {
        return Ok(response.into()); // no session: the 401 is the app's business
    }
    if current == sent_with {
        // The token we sent is the newest we have: refresh once (single-flight
        // across tabs). A 401 for an older token just retries with the new one,
        // so a burst of 401s costs one refresh.
        if !inner.can_refresh() {
            // Nothing can renew the credential (cookie mode): the server has
            // ended the session.
            drive(&inner, |machine, now| machine.handle_revoked(now));
            return Ok(response.into());
        }
        let mut started = false;
        drive(&inner, |machine, now| started = machine.refresh_now(now));
        if !started {
            // Offline, or the user is idle (an idle user is never refreshed):
            // the app gets the 401; the session's own timers decide the rest.
            return Ok(response.into());
        }
    }
    drop(inner);
    refresh_settled(&weak).await;
    let Some(inner) = weak.upgrade() else { return Ok(response.into()) };
    let refreshed =
        inner.machine.try_borrow().ok().and_then(|m| m.token_generation()).is_some_and(|g| Some(g) != sent_with);
    if !refreshed {
        return Ok(response.into()); // the refresh failed: the session has ended or will
    }
    drop(inner);
    let (retry, _) = send_once(&weak, &input, &init).await?;
    if says_revoked(&weak, &retry).await {
        if let Some(inner) = weak.upgrade() {
            drive(&inner, |machine, now| machine.handle_revoked(now));
        }
    }
    Ok(retry.into())
}

fn arm_timer(inner: &Rc<Inner>) {
    let Ok(machine) = inner.machine.try_borrow() else { return };
    let next = machine.poll_timeout();
    drop(machine);
    let timer = next.map(|at| {
        let delay = at.saturating_sub(now_ms()).min(MAX_TIMER_MS);
        let weak = Rc::downgrade(inner);
        Timer::after(delay as u32, move || {
            if let Some(inner) = weak.upgrade() {
                drive(&inner, |machine, now| machine.handle_timeout(now));
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

fn lock_name(inner: &Inner) -> String {
    crate::core::keys::refresh_lock_name(&inner.options.channel_name)
}

fn apply(inner: &Rc<Inner>, effect: Effect) {
    match effect {
        Effect::Broadcast(envelope) => {
            let text = encode(&envelope);
            with_shell(inner, |shell| shell.channel.as_ref().map(|channel| channel.post(&text)));
        }
        Effect::AcquireRefreshLock { attempt } => {
            let weak = Rc::downgrade(inner);
            let request = locks::request(&lock_name(inner), move |guard| on_lock_granted(&weak, attempt, guard));
            // Grants always arrive in a later task; the check only guards against
            // a grant that stored its guard first.
            with_shell(inner, |shell| {
                if !shell.locks.iter().any(|(a, _)| *a == attempt) {
                    shell.locks.push((attempt, LockSlot::Pending(request)));
                }
            });
        }
        Effect::ReleaseRefreshLock { attempt } => {
            let released = with_shell(inner, |shell| {
                let (gone, kept): (Vec<_>, Vec<_>) =
                    core::mem::take(&mut shell.locks).into_iter().partition(|(a, _)| *a == attempt);
                shell.locks = kept;
                gone
            });
            let held: Vec<LockSlot> = released.unwrap_or_default().into_iter().map(|(_, slot)| slot).collect();
            let timer = Timer::after(LOCK_SETTLE_MS, move || drop(held));
            // A previous settling timer is dropped outside the borrow: that releases
            // its guards (resolving their promises is a JS call).
            let previous = with_shell(inner, |shell| shell.settling.replace(timer));
            drop(previous);
        }
        Effect::SendRefresh { attempt, refresh_token } => {
            let token = refresh_token.as_ref().map(|t| t.expose().to_owned());
            send_refresh(inner, attempt, token);
        }
        Effect::SendKeepalive { attempt } => send_keepalive(inner, attempt),
        Effect::CallLogout { tokens, .. } => call_logout(inner, &tokens),
        Effect::WipeStorage => {
            let fault = with_shell(inner, |shell| {
                shell.store.clear_namespace();
                shell.store.take_fault()
            });
            if let Some(Some(_)) = fault {
                storage_failed(inner);
            }
        }
    }
}

fn on_lock_granted(weak: &Weak<Inner>, attempt: u64, guard: LockGuard) {
    let Some(inner) = weak.upgrade() else { return };
    let stored = with_shell(&inner, |shell| {
        shell.locks.retain(|(a, _)| *a != attempt);
        shell.locks.push((attempt, LockSlot::Held(guard)));
    });
    if stored.is_some() {
        drive(&inner, |machine, now| machine.handle_lock_acquired(now, attempt));
    }
}

/// Calls the app's `refresh` option and reports the outcome to the core.
fn send_refresh(inner: &Rc<Inner>, attempt: u64, refresh_token: Option<String>) {
    let weak = Rc::downgrade(inner);
    let report = move |outcome: RefreshOutcome| {
        if let Some(inner) = weak.upgrade() {
            drive(&inner, |machine, now| machine.handle_refresh_result(now, attempt, outcome));
        }
    };
    let Some(hook) = inner.refresh_hook.clone() else {
        let csrf = csrf_token(&inner.transport);
        match http::refresh_request(&inner.transport, refresh_token.as_deref(), csrf.as_deref()) {
            Some(request) => {
                let transport = inner.transport.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let outcome = match perform(&request, transport.max_body_bytes).await {
                        Ok(response) => http::read_refresh_response(&transport, &core_response(&response), now_ms()),
                        Err(HttpError::Timeout) => {
                            RefreshOutcome::Failed { failure: RefreshFailure::Timeout, retry_after_ms: None }
                        }
                        Err(HttpError::Network) => {
                            RefreshOutcome::Failed { failure: RefreshFailure::Network, retry_after_ms: None }
                        }
                    };
                    report(outcome);
                });
            }
            // Tokens that expire but no way to refresh them: the session ends
            // when they would (reason refreshFailed), rather than run on expired.
            None => report(RefreshOutcome::Failed { failure: RefreshFailure::Status(0), retry_after_ms: None }),
        }
        return;
    };
    let argument = Object::new();
    let token = refresh_token.map_or(JsValue::NULL, |t| JsValue::from_str(&t));
    let _ = Reflect::set(&argument, &"refreshToken".into(), &token);
    let promise = match hook.call1(&JsValue::UNDEFINED, &argument) {
        Ok(value) => js_sys::Promise::resolve(&value),
        Err(_) => {
            report(RefreshOutcome::Failed { failure: RefreshFailure::Network, retry_after_ms: None });
            return;
        }
    };
    let transport = inner.transport.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let result = wasm_bindgen_futures::JsFuture::from(promise).await;
        report(refresh_outcome(result, &transport));
    });
}

/// The CSRF token to send, read fresh from the page.
fn csrf_token(transport: &Transport) -> Option<String> {
    match &transport.csrf.as_ref()?.source {
        CsrfSource::Cookie(name) => csrf::from_cookie(name),
        CsrfSource::Meta(name) => csrf::from_meta(name),
    }
}

/// Sends one request the core built.
async fn perform(request: &http::Request, max_body: usize) -> Result<HttpResponse, HttpError> {
    let request = HttpRequest {
        url: &request.url,
        method: &request.method,
        headers: &request.headers,
        body: request.body.as_deref(),
        credentials: request.credentials.as_str(),
        keepalive: request.keepalive,
        timeout_ms: u32::try_from(request.timeout_ms).unwrap_or(u32::MAX),
    };
    fetcher::send(request, max_body).await
}

/// The core's view of a response.
fn core_response(response: &HttpResponse) -> http::Response<'_> {
    http::Response {
        status: response.status,
        date: response.date.as_deref(),
        retry_after: response.retry_after.as_deref(),
        content_type: response.content_type.as_deref(),
        body: &response.body,
        body_len: response.body_len,
    }
}

/// Sends a keepalive or session request and reads the answer; no answer at
/// all (network, timeout) reads as "try again".
async fn session_answer(request: &http::Request, transport: &Transport) -> SessionAnswer {
    match perform(request, transport.max_body_bytes).await {
        Ok(response) => http::read_session_response(transport, &core_response(&response), now_ms()),
        Err(_) => SessionAnswer::Retryable { retry_after_ms: None },
    }
}

/// How often waking the page may ask the session endpoint.
const SESSION_CHECK_EVERY_MS: u64 = 60_000;

/// Asks the `session` endpoint whether the user is signed in (cookie mode), and
/// tells the core. `force` skips the once-a-minute limit (explicit `resume()`).
fn check_session(inner: &Rc<Inner>, force: bool) {
    let Some(request) = http::session_request(&inner.transport) else { return };
    let now = now_ms();
    if !force && now.saturating_sub(inner.last_session_check.get()) < SESSION_CHECK_EVERY_MS {
        return;
    }
    inner.last_session_check.set(now);
    let Ok(epoch) = random_id() else { return };
    let transport = inner.transport.clone();
    let weak = Rc::downgrade(inner);
    wasm_bindgen_futures::spawn_local(async move {
        let mut verify_by_refresh = false;
        let check = match session_answer(&request, &transport).await {
            SessionAnswer::Active { absolute_deadline, .. } => SessionCheck::SignedIn { absolute_deadline },
            // Bearer mode: the refresh cookie this check carried may have been
            // rotated by another tab a moment later, so "signed out" is not
            // proof; the refresh endpoint decides (a 401 there ends the session).
            SessionAnswer::SignedOut | SessionAnswer::Revoked if transport.mode == TokenMode::Bearer => {
                verify_by_refresh = true;
                SessionCheck::Unknown
            }
            SessionAnswer::SignedOut | SessionAnswer::Revoked => SessionCheck::SignedOut,
            SessionAnswer::Retryable { .. } | SessionAnswer::BadResponse => SessionCheck::Unknown,
        };
        if let Some(inner) = weak.upgrade() {
            // Bearer mode after a reload: the server knows the session (refresh
            // cookie) but this tab holds no access token yet: get one now.
            let refresh = inner.can_refresh();
            drive(&inner, |machine, now| {
                machine.handle_session_check(now, epoch, check);
                let needs_token = machine.access_token().is_none() || verify_by_refresh;
                if refresh && machine.state().is_live() && needs_token {
                    machine.refresh_now(now);
                }
            });
        }
    });
}

/// Cookie mode: tells the server the user is active, and reports its answer.
fn send_keepalive(inner: &Rc<Inner>, attempt: u64) {
    let csrf = csrf_token(&inner.transport);
    let Some(request) = http::keepalive_request(&inner.transport, csrf.as_deref()) else { return };
    let transport = inner.transport.clone();
    let weak = Rc::downgrade(inner);
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = match session_answer(&request, &transport).await {
            SessionAnswer::Active { absolute_deadline, .. } => KeepaliveOutcome::Alive { absolute_deadline },
            SessionAnswer::SignedOut | SessionAnswer::Revoked => KeepaliveOutcome::Revoked,
            SessionAnswer::Retryable { .. } | SessionAnswer::BadResponse => KeepaliveOutcome::Failed,
        };
        if let Some(inner) = weak.upgrade() {
            drive(&inner, |machine, now| machine.handle_keepalive_result(now, attempt, outcome));
        }
    });
}

/// Tells the server the session ended: revocation, then logout, each with
/// `keepalive` so it survives the page. The session has already ended here;
/// a failure is reported as an `error` event, never undone.
fn call_logout(inner: &Rc<Inner>, tokens: &TokenSet) {
    let csrf = csrf_token(&inner.transport);
    let requests = http::logout_requests(&inner.transport, tokens, csrf.as_deref());
    if requests.is_empty() {
        return;
    }
    let max_body = inner.transport.max_body_bytes;
    // All requests leave at once (in order, on the same turn): a page that
    // navigates away on `loggedOut` must not strand the later ones behind the
    // first one's answer. `keepalive` carries each past the unload.
    let outstanding = Rc::new(Cell::new((requests.len(), false)));
    for request in requests {
        let (outstanding, weak) = (outstanding.clone(), Rc::downgrade(inner));
        wasm_bindgen_futures::spawn_local(async move {
            let ok = matches!(perform(&request, max_body).await, Ok(response) if (200..300).contains(&response.status));
            let (left, failed) = outstanding.get();
            let (left, failed) = (left.saturating_sub(1), failed || !ok);
            outstanding.set((left, failed));
            if let (0, true, Some(inner)) = (left, failed, weak.upgrade()) {
                let message = "the server was not told of the logout; the session ended here all the same";
                emit(&inner, &error_event("logout_failed", message));
            }
        });
    }
}

/// Reads what the `refresh` option resolved to (a token response) or rejected
/// with (`{ status }` for an HTTP answer, anything else for a network failure).
fn refresh_outcome(result: Result<JsValue, JsValue>, transport: &Transport) -> RefreshOutcome {
    match result {
        Ok(value) => match tokens_from_js(&value, transport) {
            Ok(tokens) => RefreshOutcome::Success(tokens),
            Err(_) => RefreshOutcome::Failed { failure: RefreshFailure::BadResponse, retry_after_ms: None },
        },
        Err(error) => {
            let status = Reflect::get(&error, &"status".into()).ok().and_then(|s| s.as_f64());
            let failure = match status {
                Some(status) if (100.0..1000.0).contains(&status) => RefreshFailure::Status(status as u16),
                _ => RefreshFailure::Network,
            };
            let retry_after_ms = Reflect::get(&error, &"retryAfterMs".into())
                .ok()
                .and_then(|v| v.as_f64())
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(|v| v as u64);
            RefreshOutcome::Failed { failure, retry_after_ms }
        }
    }
}

/// A token response from JS, walked into a value (bounded; hostile shapes
/// refused) and read like an endpoint's answer (`responseFields`, JWT `exp`).
fn tokens_from_js(value: &JsValue, transport: &Transport) -> Result<TokenSet, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(TokenSet::default());
    }
    let value = value::from_js(value, &value::Limits::TOKENS, &[])
        .map_err(|e| session_error("invalid_tokens", &e.message("tokens")))?;
    http::read_tokens(transport, &value, None, now_ms()).map_err(|e| session_error("invalid_tokens", e.code()))
}

fn emit(inner: &Rc<Inner>, event: &JsValue) {
    let kind = Reflect::get(event, &"type".into()).ok().and_then(|k| k.as_string()).unwrap_or_default();
    // A snapshot: a listener may add or remove listeners.
    let entries = js_sys::Array::from(&inner.listeners);
    for entry in entries.iter() {
        let entry: js_sys::Array = entry.unchecked_into();
        let wanted = entry.get(0).as_string().is_none_or(|k| k == kind);
        let Ok(callback) = entry.get(1).dyn_into::<Function>() else { continue };
        if wanted {
            if let Err(error) = callback.call1(&JsValue::UNDEFINED, event) {
                web_sys::console::error_2(&"wasm-session: an event listener threw".into(), &error);
            }
        }
    }
}

fn set(object: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(object, &key.into(), &value.into());
}

fn set_time(object: &Object, key: &str, value: Option<u64>) {
    set(object, key, value.map_or(JsValue::NULL, |v| JsValue::from_f64(v as f64)));
}

/// The plain JS object for an event, `type` first.
fn event_object(event: &Event) -> JsValue {
    let object = Object::new();
    set_time(&object, "at", Some(now_ms()));
    match event {
        Event::StateChange { from, to } => {
            set(&object, "type", "stateChange");
            set(&object, "from", from.as_str());
            set(&object, "to", to.as_str());
        }
        Event::Started { origin, replaced } => {
            set(&object, "type", "started");
            set(&object, "origin", origin.as_str());
            set(&object, "replaced", *replaced);
        }
        Event::Warning { cause, remaining_ms, deadline } | Event::Countdown { cause, remaining_ms, deadline } => {
            let kind = if matches!(event, Event::Warning { .. }) { "warning" } else { "countdown" };
            set(&object, "type", kind);
            set(&object, "cause", cause.as_str());
            set_time(&object, "remainingMs", Some(*remaining_ms));
            set_time(&object, "deadline", Some(*deadline));
        }
        Event::Activity { origin, idle_deadline } => {
            set(&object, "type", "activity");
            set(&object, "origin", origin.as_str());
            set_time(&object, "idleDeadline", Some(*idle_deadline));
        }
        Event::Expired { reason, origin } | Event::LoggedOut { reason, origin } => {
            let kind = if matches!(event, Event::Expired { .. }) { "expired" } else { "loggedOut" };
            set(&object, "type", kind);
            set(&object, "reason", reason.as_str());
            set(&object, "origin", origin.as_str());
        }
        Event::Refreshed { expires_at, origin } => {
            set(&object, "type", "refreshed");
            set_time(&object, "expiresAt", *expires_at);
            set(&object, "origin", origin.as_str());
        }
        Event::RefreshFailed { code, definitive, retry_at, failures } => {
            set(&object, "type", "refreshFailed");
            set(&object, "code", *code);
            set(&object, "definitive", *definitive);
            set_time(&object, "retryAt", *retry_at);
            set(&object, "failures", *failures);
        }
    }
    object.into()
}

fn error_event(code: &str, message: &str) -> JsValue {
    let object = Object::new();
    set(&object, "type", "error");
    set_time(&object, "at", Some(now_ms()));
    set(&object, "code", code);
    set(&object, "message", message);
    object.into()
}

/// Reads the options object: the `refresh` function is taken out, the rest is
/// walked into a value (bounded; functions and other hostile shapes refused,
/// naming the path) and read by the core's one options reader.
fn read_options(options: &JsValue) -> Result<(Options, Option<Function>), JsValue> {
    let invalid = |message: &str| session_error(ConfigError::CODE, message);
    let (value, hook) = if options.is_undefined() || options.is_null() {
        (Value::Object(Vec::new()), None)
    } else if options.is_object() {
        let hook = Reflect::get(options, &"refresh".into()).map_err(|_| invalid("refresh could not be read"))?;
        let hook = match hook.dyn_into::<Function>() {
            Ok(function) => Some(function),
            Err(value) if value.is_undefined() => None,
            Err(_) => return Err(invalid("refresh must be a function")),
        };
        let value = value::from_js(options, &value::Limits::OPTIONS, &["refresh"])
            .map_err(|error| invalid(&error.message("options")))?;
        (value, hook)
    } else {
        return Err(invalid("options must be an object"));
    };
    Ok((crate::core::options::read(&value).map_err(config_error)?, hook))
}

fn storage_kind(choice: StorageChoice) -> StorageKind {
    match choice {
        StorageChoice::Memory => StorageKind::Memory,
        StorageChoice::Session => StorageKind::Session,
        StorageChoice::Local => StorageKind::Local,
    }
}

fn random_id() -> Result<Id128, JsValue> {
    random::id128().map(Id128).map_err(|_| session_error("no_crypto", "crypto.getRandomValues is unavailable"))
}

/// Attaches the session to the page: activity, lifecycle, channel, storage.
fn attach(inner: &Rc<Inner>) -> Vec<JsValue> {
    let mut problems = Vec::new();
    let options = &inner.options;
    let weak = Rc::downgrade(inner);
    let channel = match Channel::open(&options.channel_name, move |text| on_message(&weak, &text)) {
        Ok(channel) => Some(channel),
        Err(_) => {
            problems
                .push(error_event("channel_unavailable", "no cross-tab channel: tabs will not be kept in agreement"));
            None
        }
    };
    let activity = web_sys::window().and_then(|w| w.document()).map(|document| {
        let weak = Rc::downgrade(inner);
        let events: Vec<&str> = options.activity_events.iter().map(String::as_str).collect();
        ActivityListener::new(&document, &events, options.activity_throttle_ms as f64, move || {
            if let Some(inner) = weak.upgrade() {
                drive(&inner, |machine, now| machine.handle_activity(now));
            }
        })
    });
    let weak = Rc::downgrade(inner);
    let page = PageLifecycle::new(move |event| {
        if let Some(inner) = weak.upgrade() {
            drive(&inner, |machine, now| match event {
                // A page becoming visible is the user coming back.
                PageEvent::Visible => machine.handle_activity(now),
                PageEvent::Online => machine.handle_online(now, true),
                PageEvent::Offline => machine.handle_online(now, false),
                _ => machine.handle_timeout(now),
            });
            // Waking up: the server may have ended the session meanwhile.
            if matches!(event, PageEvent::Visible | PageEvent::PageShow | PageEvent::Resume | PageEvent::Online) {
                check_session(&inner, false);
            }
        }
    });
    let mut store = Store::open(storage_kind(options.storage), &options.channel_name);
    if store.take_fault().is_some() {
        problems.push(error_event("storage_unavailable", "storage is unavailable; state is kept in memory"));
    }
    if let Ok(mut shell) = inner.shell.try_borrow_mut() {
        *shell = Some(Shell {
            timer: None,
            _activity: activity,
            _lifecycle: Some(page),
            channel,
            store,
            locks: Vec::new(),
            settling: None,
            notices: None,
        });
    }
    problems
}

fn on_message(weak: &Weak<Inner>, text: &str) {
    let Some(inner) = weak.upgrade() else { return };
    match decode(text) {
        Ok(envelope) => {
            let mut rejected = None;
            drive(&inner, |machine, now| rejected = machine.handle_message(now, envelope).err());
            if let Some(error) = rejected {
                emit(&inner, &error_event(error.code(), "a cross-tab message was ignored"));
            }
        }
        Err(error) => emit(&inner, &error_event(error.code(), "a malformed cross-tab message was dropped")),
    }
}

#[wasm_bindgen]
impl Session {
    /// Creates a session from an options object (see `SessionOptions`). Throws a
    /// `SessionError` with `code: "invalid_config"` naming the bad field.
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<SessionOptionsJs>) -> Result<Session, JsValue> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let (Options { config, endpoints: transport, shell: shell_options }, refresh_hook) = read_options(&options)?;
        let tab_id = random_id()?;
        let seed =
            random::seed_u64().map_err(|_| session_error("no_crypto", "crypto.getRandomValues is unavailable"))?;
        let inner = Rc::new(Inner {
            machine: RefCell::new(Machine::new(config, tab_id, seed)),
            options: shell_options,
            shell: RefCell::new(None),
            listeners: js_sys::Set::new(&JsValue::UNDEFINED),
            refresh_hook,
            transport,
            last_session_check: Cell::new(0),
            refresh_waiters: RefCell::new(Vec::new()),
            stored_version: Cell::new(None),
        });
        let problems = attach(&inner);
        if !problems.is_empty() {
            let weak = Rc::downgrade(&inner);
            let timer = Timer::after(0, move || {
                if let Some(inner) = weak.upgrade() {
                    for problem in &problems {
                        emit(&inner, problem);
                    }
                }
            });
            with_shell(&inner, |shell| shell.notices = Some(timer));
        }
        let online = lifecycle::is_online();
        drive(&inner, |machine, now| machine.handle_online(now, online));
        Ok(Session { inner })
    }

    /// Starts a session with the login response (`access_token`, `refresh_token`,
    /// `expires_in` …; nothing in cookie mode). Every other tab joins it.
    pub fn start(&self, tokens: Option<TokenResponseJs>) -> Result<(), JsValue> {
        let tokens = tokens_from_js(&tokens.map_or(JsValue::UNDEFINED, Into::into), &self.inner.transport)?;
        let epoch = random_id()?;
        drive(&self.inner, |machine, now| machine.login(now, epoch, tokens));
        Ok(())
    }

    /// Joins the session of another open tab, if there is one (no network
    /// call); in cookie mode also asks the `session` endpoint.
    pub fn resume(&self) {
        restore_session(&self.inner);
        drive(&self.inner, |machine, now| machine.request_state(now));
        check_session(&self.inner, true);
    }

    /// "Stay signed in": dismisses the idle warning in every tab.
    #[wasm_bindgen(js_name = staySignedIn)]
    pub fn stay_signed_in(&self) {
        drive(&self.inner, |machine, now| machine.stay_signed_in(now));
    }

    /// Counts as user activity (for activity the DOM listeners cannot see).
    pub fn touch(&self) {
        drive(&self.inner, |machine, now| machine.handle_activity(now));
    }

    /// Logs out in every tab.
    pub fn logout(&self) {
        drive(&self.inner, |machine, now| machine.logout(now));
    }

    /// Detaches from the page: every listener, timer, channel and lock it made is
    /// removed. The session cannot be used afterwards.
    pub fn destroy(&self) {
        let shell = self.inner.shell.try_borrow_mut().ok().and_then(|mut shell| shell.take());
        drop(shell);
        self.inner.listeners.clear();
        // Pending fetch calls stop waiting; they return what they have.
        let waiters =
            self.inner.refresh_waiters.try_borrow_mut().map(|mut w| core::mem::take(&mut *w)).unwrap_or_default();
        for resolve in waiters {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }

    /// `"anonymous" | "active" | "warning" | "expired" | "loggedOut"`.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> SessionStateJs {
        let state = self.inner.machine.try_borrow().map(|m| m.state().as_str()).unwrap_or("anonymous");
        JsValue::from_str(state).unchecked_into()
    }

    /// Milliseconds until the session ends (idle or absolute), or `null`.
    #[wasm_bindgen(js_name = remainingMs)]
    pub fn remaining_ms(&self) -> Option<f64> {
        drive(&self.inner, |machine, now| machine.handle_timeout(now));
        self.inner.machine.try_borrow().ok()?.remaining_ms().map(|ms| ms as f64)
    }

    /// When the session ends without activity (epoch ms), or `null`.
    #[wasm_bindgen(getter, js_name = idleDeadline)]
    pub fn idle_deadline(&self) -> Option<f64> {
        self.inner.machine.try_borrow().ok()?.idle_deadline().map(|ms| ms as f64)
    }

    /// When the session ends whatever happens (epoch ms), or `null`.
    #[wasm_bindgen(getter, js_name = absoluteDeadline)]
    pub fn absolute_deadline(&self) -> Option<f64> {
        self.inner.machine.try_borrow().ok()?.absolute_deadline().map(|ms| ms as f64)
    }

    /// This tab's random id (32 hex digits).
    #[wasm_bindgen(getter, js_name = tabId)]
    pub fn tab_id(&self) -> String {
        self.inner.machine.try_borrow().map(|m| m.tab_id().to_hex()).unwrap_or_default()
    }

    /// The current access token, for requests the app makes itself.
    #[wasm_bindgen(getter, js_name = accessToken)]
    pub fn access_token(&self) -> Option<String> {
        self.inner.machine.try_borrow().ok()?.access_token().map(str::to_owned)
    }

    /// `fetch` with the session's credential. Waits while a refresh is in
    /// flight; on a 401 refreshes once (one refresh for all tabs and all
    /// concurrent calls) and retries once; a second 401 ends the session
    /// everywhere with reason `revoked`. Never loops, and does not count as
    /// user activity.
    #[wasm_bindgen(skip_typescript)]
    pub fn fetch(&self, input: JsValue, init: Option<Object>) -> js_sys::Promise {
        let weak = Rc::downgrade(&self.inner);
        let init: JsValue = init.map_or(JsValue::UNDEFINED, Into::into);
        wasm_bindgen_futures::future_to_promise(authenticated_fetch(weak, input, init))
    }

    /// Weak settings the session can see: an array of `{ id, severity, message,
    /// advice }`, most severe first. Advisory; see SECURITY.md for each check.
    #[wasm_bindgen(js_name = securityReport, skip_typescript)]
    pub fn security_report(&self) -> js_sys::Array {
        let (protocol, hostname) = page::location();
        let cookies = page::cookies();
        let findings = match self.inner.machine.try_borrow() {
            Ok(machine) => security::report(&security::Setup {
                config: machine.config(),
                transport: &self.inner.transport,
                storage: self.inner.options.storage,
                page: security::Page { protocol: &protocol, hostname: &hostname, cookies: &cookies },
                refresh_token_reused: machine.refresh_token_reused(),
            }),
            Err(_) => Vec::new(),
        };
        findings
            .into_iter()
            .map(|finding| {
                let object = Object::new();
                set(&object, "id", finding.id);
                set(&object, "severity", finding.severity.as_str());
                set(&object, "message", finding.message);
                set(&object, "advice", finding.advice);
                JsValue::from(object)
            })
            .collect()
    }

    /// Listens to one event type; returns the function that stops listening.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, kind: String, callback: Function) -> Function {
        self.add_listener(Some(kind), callback)
    }

    /// Listens to every event; returns the function that stops listening.
    #[wasm_bindgen(js_name = onAny, skip_typescript)]
    pub fn on_any(&self, callback: Function) -> Function {
        self.add_listener(None, callback)
    }
}

impl Session {
    fn add_listener(&self, kind: Option<String>, callback: Function) -> Function {
        let entry = js_sys::Array::of2(&kind.map_or(JsValue::NULL, JsValue::from), &callback);
        self.inner.listeners.add(&entry);
        let delete: Function =
            Reflect::get(&self.inner.listeners, &"delete".into()).unwrap_or(JsValue::UNDEFINED).unchecked_into();
        delete.bind1(&self.inner.listeners, &JsValue::from(entry)).unchecked_into()
    }
}

/// A required string field of a preset's argument.
fn preset_field(args: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    match Reflect::get(args, &name.into()) {
        Ok(value) if value.is_undefined() || value.is_null() => Ok(None),
        Ok(value) => value.as_string().map(Some).ok_or_else(|| {
            let mut message = String::from(name);
            message.push_str(" must be a string");
            session_error(ConfigError::CODE, &message)
        }),
        Err(_) => Ok(None),
    }
}

fn required(args: &JsValue, name: &str) -> Result<String, JsValue> {
    preset_field(args, name)?.ok_or_else(|| {
        let mut message = String::from(name);
        message.push_str(" is required");
        session_error(ConfigError::CODE, &message)
    })
}

/// Options for a standard OAuth 2.0 token endpoint: the RFC 6749 §6 refresh
/// grant, form-encoded with `client_id`, and RFC 7009 revocation on logout when
/// `revocationUrl` is given. Spread into the options: `new Session({ ...oauth2({...}), idleTimeoutMs })`.
#[wasm_bindgen(skip_typescript)]
pub fn oauth2(args: JsValue) -> Result<Object, JsValue> {
    let token_url = required(&args, "tokenUrl")?;
    let client_id = required(&args, "clientId")?;
    let revocation_url = preset_field(&args, "revocationUrl")?;
    Ok(value::to_js(&oauth2_options(&token_url, &client_id, revocation_url.as_deref())).unchecked_into())
}

/// Options for a server-side session in an HttpOnly cookie: keepalive while the
/// user is active, the session endpoint, and logout.
#[wasm_bindgen(js_name = cookieSession, skip_typescript)]
pub fn cookie_session(args: JsValue) -> Result<Object, JsValue> {
    let keepalive_url = required(&args, "keepaliveUrl")?;
    let session_url = required(&args, "sessionUrl")?;
    let logout_url = required(&args, "logoutUrl")?;
    Ok(value::to_js(&cookie_session_options(&keepalive_url, &session_url, &logout_url)).unchecked_into())
}
