//! `session.fetch`: sends the app's request with the session's credential and
//! does what the core says each answer means ([`crate::core::Verdict`]). No
//! rule lives here: which requests get the credential, what it is, and what a
//! 401 means are decided in `core::machine::app_fetch`.

use std::rc::{Rc, Weak};

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::effects::csrf_token;
use super::{destroyed, drive, get, put, Inner};
use crate::browser::http::{call_fetch, read_capped};
use crate::browser::page::{self, Target};
use crate::browser::timers::settles_after;
use crate::core::{Body, Credential, FetchStage, SentWith, Verdict};

/// What the core needs of an API answer: its status, and its body when the
/// core asked for it.
struct ApiAnswer {
    status: u16,
    body: Option<Body>,
}

/// Its error, or its value: `?` for the labeled block in [`authenticated_fetch`].
macro_rules! or_break {
    ($label:lifetime, $result:expr) => {
        match $result {
            Ok(value) => value,
            Err(error) => break $label Err(error),
        }
    };
}

/// See [`super::Session::fetch`]: settles its promise with `resolve` or
/// `reject`. One loop with one request site, in one future: each future
/// nested in another is a state machine and its drop glue in the wasm.
pub(super) async fn authenticated_fetch(weak: Weak<Inner>, input: JsValue, init: JsValue, settle: [Function; 2]) {
    let outcome: Result<JsValue, JsValue> = 'fetch: {
        // Read once: the URL checked is the URL fetched, whatever a `<base>` change
        // or the input's own `toString` would make of it later.
        let target = or_break!('fetch, page::target(&input));
        if !credential_allowed(&weak, &target) {
            // A third party: no token, no CSRF header, and its 401 is not ours.
            let promise = or_break!('fetch, call_fetch(&target.input(), &init));
            let fetched = or_break!('fetch, JsFuture::from(promise).await);
            break 'fetch fetched.dyn_into::<web_sys::Response>().map(Into::into);
        }
        let mut response = JsValue::UNDEFINED;
        let mut sent = SentWith { generation: None, app_authorization: false };
        let mut answer = ApiAnswer { status: 0, body: None };
        let (mut stage, mut send) = (FetchStage::First, true);
        // The core answers the first answer, the same answer after a refresh, and
        // one retry: three questions at most. The bound keeps a bug from looping.
        for round in 0..4 {
            // Every attempt, and every answer judged again after a refresh, waits
            // until no refresh is in flight.
            if let Some(waiting) = refresh_gate(&weak) {
                let _ = JsFuture::from(waiting).await;
            }
            if send {
                let (promise, with) = or_break!('fetch, send_once(&weak, &target, &init));
                let fetched = or_break!('fetch, JsFuture::from(promise).await);
                let fetched: web_sys::Response = or_break!('fetch, fetched.dyn_into());
                // The status, and the body when the core needs it: read from a
                // copy (the caller gets the response untouched) through the
                // capped reader, for at most `requestTimeoutMs`. A body that is
                // too large, too slow or broken is not read (`None`), and the
                // core decides without it.
                let status = fetched.status();
                let mut body = None;
                if let Some((max_body, timeout_ms)) = body_wanted(&weak, status) {
                    if let Ok(copy) =
                        crate::browser::clone_js(&fetched).map(JsValue::unchecked_into::<web_sys::Response>)
                    {
                        let (give_up, _timer) = settles_after(u32::try_from(timeout_ms).unwrap_or(u32::MAX), false);
                        body = read_capped(&copy, max_body, Some(&give_up)).await;
                    }
                }
                answer = ApiAnswer { status, body };
                (response, sent) = (fetched.into(), with);
            }
            if round == 3 {
                break;
            }
            match judge(&weak, stage, sent, &answer) {
                Verdict::HandBack | Verdict::EndRevoked => break,
                Verdict::RefreshThenRetry => (stage, send) = (FetchStage::AfterRefresh, false),
                Verdict::RetryWithNewerToken => (stage, send) = (FetchStage::Retry, true),
            }
        }
        Ok(response)
    };
    let [resolve, reject] = settle;
    let (callback, value) = match outcome {
        Ok(response) => (resolve, response),
        Err(error) => (reject, error),
    };
    let _ = callback.call1(&JsValue::UNDEFINED, &value);
}

/// Whether `session.fetch(input)` may carry the credential (the core decides).
fn credential_allowed(weak: &Weak<Inner>, target: &Target) -> bool {
    let (Some(url), origin) = (target.url(), page::origin()) else { return false };
    let Some(inner) = weak.upgrade() else { return false };
    let allowed = inner.machine.try_borrow().map(|machine| machine.credential_allowed(&url, &origin));
    allowed.unwrap_or(false)
}

/// What the core says about an answer.
fn judge(weak: &Weak<Inner>, stage: FetchStage, sent: SentWith, answer: &ApiAnswer) -> Verdict {
    let Some(inner) = weak.upgrade() else { return Verdict::HandBack };
    let mut verdict = Verdict::HandBack;
    drive(&inner, |machine, now| {
        verdict = machine.handle_api_answer(now, stage, sent, answer.status, answer.body.as_ref());
    });
    verdict
}

/// The body cap and time limit for reading an answer with `status`, if the
/// core needs its body.
fn body_wanted(weak: &Weak<Inner>, status: u16) -> Option<(usize, u64)> {
    let inner = weak.upgrade()?;
    let machine = inner.machine.try_borrow().ok()?;
    let transport = machine.transport();
    machine.api_answer_needs_body(status).then_some((transport.max_body_bytes, transport.timeout_ms))
}

/// One attempt, once no refresh is in flight: the app's request with the
/// credential of the moment, sent; also what it was sent with.
fn send_once(weak: &Weak<Inner>, target: &Target, init: &JsValue) -> Result<(js_sys::Promise, SentWith), JsValue> {
    // The caller's objects are not changed: a copy of `init`, a new Headers.
    // Any object (`typeof`, not `instanceof`: another realm's or a null-prototype init counts).
    let source = if init.is_object() { init.clone().unchecked_into() } else { Object::new() };
    let merged = Object::assign(&Object::new(), &source);
    let base = match get(&merged, "headers") {
        Ok(headers) if !headers.is_undefined() => headers,
        _ => target.request().map_or(JsValue::UNDEFINED, |r| crate::browser::headers(r).into()),
    };
    // `new Headers(init)` accepts a Headers, a record or a list of pairs.
    let constructor: Function = get(&js_sys::global(), "Headers")?.dyn_into()?;
    // Made by the `Headers` constructor: no `instanceof` check (and binding)
    // needed. Its second argument is ignored; `of2` is an import the wasm has already.
    let headers: web_sys::Headers =
        Reflect::construct(&constructor, &js_sys::Array::of2(&base, &JsValue::UNDEFINED))?.unchecked_into();
    let method = match get(&merged, "method").ok().and_then(|m| m.as_string()) {
        Some(method) => method,
        None => target.request().map_or_else(|| String::from("GET"), |r| r.method()),
    };
    let app_headers = header_names(&headers);
    let app_sets = |key: &str| get(&merged, key).is_ok_and(|v| !v.is_undefined());
    let (app_credentials, app_redirect) = (app_sets("credentials"), app_sets("redirect"));
    let (credential, sent) = credential(weak, &method, &app_headers, app_credentials)?;
    for (name, value) in &credential.headers {
        headers.set(name, value)?;
    }
    put(&merged, "headers", &headers)?;
    if let Some(credentials) = credential.credentials {
        put(&merged, "credentials", &credentials.as_str().into())?;
    }
    // No redirect takes the session's credential elsewhere, unless the app chose.
    if let Some(redirect) = credential.redirect(app_redirect) {
        put(&merged, "redirect", &redirect.into())?;
    }
    // A Request's body can be read once: send a copy so a retry can send another.
    // Its URL is the one checked; any other input is sent as the checked `href`.
    let input = match target.request() {
        Some(request) => crate::browser::clone_js(request)?,
        None => target.input(),
    };
    Ok((call_fetch(&input, &merged)?, sent))
}

/// The credential the core adds, with the page's CSRF token read now.
fn credential(
    weak: &Weak<Inner>,
    method: &str,
    app_headers: &[String],
    app_credentials: bool,
) -> Result<(Credential, SentWith), JsValue> {
    let inner = weak.upgrade().ok_or_else(destroyed)?;
    let source = inner.machine.try_borrow().ok().and_then(|m| m.transport().csrf.as_ref().map(|c| c.source.clone()));
    let token = source.as_ref().and_then(csrf_token);
    if source.is_some() {
        drive(&inner, |machine, now| machine.handle_csrf_token(now, method, token.as_deref()));
    }
    let machine = inner.machine.try_borrow().map_err(|_| destroyed())?;
    Ok(machine.fetch_credential(method, app_headers, app_credentials, token.as_deref()))
}

/// The names of the headers the app set (lower-case, as `Headers` keeps them).
fn header_names(headers: &web_sys::Headers) -> Vec<String> {
    // `Array.from` over its entries: `[name, value]` pairs.
    let entries = js_sys::Array::from(headers);
    let mut names = Vec::new();
    for index in 0..crate::browser::length(&entries) {
        // Each entry is an array the iterator made: read in place, not copied.
        if let Some(name) = entries.get(index).unchecked_into::<js_sys::Array>().get(0).as_string() {
            names.push(name);
        }
    }
    names
}

/// Resolves the promise `fetch` calls wait on for a refresh, once none is in
/// flight (done, failed, or the session ended).
pub(super) fn open_refresh_gate_when_idle(inner: &Rc<Inner>) {
    if !inner.machine.try_borrow().map(|m| m.refresh_in_flight()).unwrap_or(false) {
        open_refresh_gate(inner);
    }
}

/// Lets every `fetch` call waiting for a refresh go on.
pub(super) fn open_refresh_gate(inner: &Inner) {
    if let Some((_promise, resolve)) = inner.refresh_gate.take() {
        let _ = resolve.call0(&JsValue::UNDEFINED);
    }
}

/// While a refresh is in flight: a promise that resolves once none is (one
/// promise shared by every call waiting).
fn refresh_gate(weak: &Weak<Inner>) -> Option<js_sys::Promise> {
    let inner = weak.upgrade()?;
    if !inner.machine.try_borrow().map(|m| m.refresh_in_flight()).unwrap_or(false) {
        return None;
    }
    let gate = inner.refresh_gate.take().or_else(|| {
        let (promise, settle) = crate::browser::new_promise();
        settle.map(|(resolve, _reject)| (promise, resolve))
    });
    let promise = gate.as_ref().map(|(promise, _)| promise.clone());
    inner.refresh_gate.set(gate);
    promise
}
