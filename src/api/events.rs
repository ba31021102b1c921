//! Events as plain JS objects, and their delivery to the app's listeners.

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{now_ms, Inner};
use crate::core::{ErrorCode, Event};

/// Delivers `event` to the listeners after the events queued before it.
pub(super) fn emit(inner: &Inner, event: &JsValue) {
    inner.queued_events.push(event);
    deliver_queued(inner);
}

/// Delivers the queued events, oldest first, each to every listener for its
/// type and every catch-all listener before the next. A listener may call into
/// the session (`remainingMs()` catches the machine up, `logout()` ends it) and
/// so raise events while one is being delivered: those wait their turn.
/// Delivered at once, a listener added later (say the warning dialog) saw a
/// tab's join as `warning`, then the `stateChange` to `active` before it, and
/// closed. A `destroy()` in a listener removes the listeners only once what
/// was raised before it has reached them. A listener that throws is reported
/// and does not stop the others.
pub(super) fn deliver_queued(inner: &Inner) {
    if inner.delivering.replace(true) {
        return;
    }
    loop {
        let next = inner.queued_events.shift();
        if next.is_undefined() {
            break;
        }
        deliver(inner, &next);
    }
    inner.delivering.set(false);
    if inner.destroyed.get() {
        inner.listeners.clear();
    }
}

fn deliver(inner: &Inner, event: &JsValue) {
    // Compared as JS values (`===`; both are strings): nothing copied into wasm.
    let kind = super::get(event, "type").unwrap_or(JsValue::UNDEFINED);
    // A snapshot: a listener may add or remove listeners.
    let listeners = js_sys::Array::from(&inner.listeners);
    // An index loop, not `Array::iter` (which keeps its own iterator code).
    for index in 0..crate::browser::length(&listeners) {
        let entry: js_sys::Array = listeners.get(index).unchecked_into();
        // `null`: a catch-all listener (`onAny`).
        let wanted = entry.get(0);
        let wanted = wanted.is_null() || wanted == kind;
        let Ok(callback) = entry.get(1).dyn_into::<Function>() else { continue };
        if wanted {
            if let Err(error) = callback.call1(&JsValue::UNDEFINED, event) {
                web_sys::console::error_2(&"wasm-session: an event listener threw".into(), &error);
            }
        }
    }
}

pub(super) fn set(object: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = super::put(object, key, &value.into());
}

fn set_time(object: &Object, key: &str, value: Option<u64>) {
    set(object, key, value.map_or(JsValue::NULL, |v| JsValue::from_f64(v as f64)));
}

/// The plain JS object for an event: `at`, `type`, then its own members.
#[inline(never)]
pub(super) fn event_object(event: &Event) -> JsValue {
    let kind = match event {
        Event::StateChange { .. } => "stateChange",
        Event::Started { .. } => "started",
        Event::Warning { .. } => "warning",
        Event::Countdown { .. } => "countdown",
        Event::Activity { .. } => "activity",
        Event::Expired { .. } => "expired",
        Event::LoggedOut { .. } => "loggedOut",
        Event::Refreshed { .. } => "refreshed",
        Event::RefreshFailed { .. } => "refreshFailed",
        Event::Error { code } => return error_event(code.as_str(), error_message(*code)),
    };
    let object = Object::new();
    set_time(&object, "at", Some(now_ms()));
    set(&object, "type", kind);
    match event {
        Event::StateChange { from, to } => {
            set(&object, "from", from.as_str());
            set(&object, "to", to.as_str());
        }
        Event::Started { origin, replaced } => {
            set(&object, "origin", origin.as_str());
            set(&object, "replaced", JsValue::from_bool(*replaced));
        }
        Event::Warning { cause, remaining_ms, deadline } | Event::Countdown { cause, remaining_ms, deadline } => {
            set(&object, "cause", cause.as_str());
            set_time(&object, "remainingMs", Some(*remaining_ms));
            set_time(&object, "deadline", Some(*deadline));
        }
        Event::Activity { origin, idle_deadline } => {
            set(&object, "origin", origin.as_str());
            set_time(&object, "idleDeadline", Some(*idle_deadline));
        }
        Event::Expired { reason, origin } | Event::LoggedOut { reason, origin } => {
            set(&object, "reason", reason.as_str());
            set(&object, "origin", origin.as_str());
        }
        Event::Refreshed { expires_at, origin } => {
            set_time(&object, "expiresAt", *expires_at);
            set(&object, "origin", origin.as_str());
        }
        Event::RefreshFailed { code, definitive, retry_at, failures } => {
            set(&object, "code", *code);
            set(&object, "definitive", JsValue::from_bool(*definitive));
            set_time(&object, "retryAt", *retry_at);
            // A number, through the one `set_time` (no `u32` conversion of its own).
            set_time(&object, "failures", Some(u64::from(*failures)));
        }
        Event::Error { .. } => {}
    }
    object.into()
}

/// What an error the core raises says to a person.
fn error_message(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::LogoutFailed => {
            "the server was not told of the logout; the session ended here all the same, and it is sent again later"
        }
        ErrorCode::UserChanged => "the server answered for another user; the session ended in every tab",
        ErrorCode::CsrfTokenUnusable => "the page's CSRF token is not a valid header value; requests go without it",
        ErrorCode::OtherUserSignedIn => "another user signed in while a session was live",
    }
}

/// An `error` event: `{ type: "error", at, code, message }`.
pub(super) fn error_event(code: &str, message: &str) -> JsValue {
    let object = Object::new();
    set(&object, "type", "error");
    set_time(&object, "at", Some(now_ms()));
    set(&object, "code", code);
    set(&object, "message", message);
    object.into()
}
