//! Carrying out the core's effects: messages, the refresh lock, requests, the
//! app's `refresh` function, storage and the shared tombstones. Each reports
//! back as an input.

use std::rc::{Rc, Weak};

use js_sys::Object;
use wasm_bindgen::prelude::*;

use super::events::{emit, error_event};
use super::{drive, tombstones, with_shell, Inner, LockSlot, STORED_SESSION_KEY};
use crate::browser::http as fetcher;
use crate::browser::idb;
use crate::browser::locks::{self, LockGuard};
use crate::browser::timers::Timer;
use crate::browser::value::{self, Limits};
use crate::browser::{csrf, spawn};
use crate::core::protocol::encode;
use crate::core::{CsrfSource, Effect, GenerationNote, HookResult, Message, Request, Secret};

/// Carries out one effect. Runs with no borrow of the machine held.
#[inline(never)]
pub(super) fn apply(inner: &Rc<Inner>, effect: Effect) {
    match effect {
        Effect::Broadcast(envelope) => {
            let message = value::to_js(&encode(&envelope));
            let posted = with_shell(inner, |shell| shell.channel.as_ref().map(|channel| channel.post(&message)));
            if let Some(Some(Err(_))) = posted {
                post_failed(inner, matches!(envelope.message, Message::Logout { .. }));
            }
        }
        Effect::AcquireRefreshLock { attempt } => {
            let weak = Rc::downgrade(inner);
            let request = locks::request(&lock_name(inner), move |guard| on_lock_granted(&weak, attempt, guard));
            // Grants always arrive in a later task (`locks::request` never
            // calls back before it returns): no guard of this attempt is stored yet.
            with_shell(inner, |shell| shell.locks.push((attempt, LockSlot::Pending(request))));
        }
        Effect::ReleaseRefreshLock { attempt, hold_until, note } => {
            // One slot per attempt at most (attempts are fresh ids), replaced in
            // place when granted. Their order does not matter: `swap_remove`.
            let held = with_shell(inner, |shell| {
                let index = shell.locks.iter().position(|(a, _)| *a == attempt)?;
                Some(shell.locks.swap_remove(index).1)
            })
            .flatten();
            // A request never granted is cancelled now (dropped here, outside
            // the borrow): replacing the settling timer would let a lock
            // released before it go early.
            let held = held.filter(|slot| matches!(slot, LockSlot::Held(_)));
            match note {
                _ if held.is_none() => {}
                Some(note) => write_note_then_settle(inner, note, held, hold_until),
                None => settle(inner, held, hold_until),
            }
        }
        Effect::Fetch { id, request, .. } => send(inner, id, request),
        Effect::CallRefreshHook { id, refresh_token } => call_refresh_hook(inner, id, refresh_token),
        Effect::Persist(stored) => {
            let Some(text) = super::json_text(&stored.0) else { return storage_failed(inner) };
            let failed = with_shell(inner, |shell| shell.store.set(STORED_SESSION_KEY, &text).is_err());
            if failed == Some(true) {
                storage_failed(inner);
            }
        }
        Effect::WipeStorage => {
            let fault = with_shell(inner, |shell| {
                shell.store.clear_namespace();
                shell.store.take_fault()
            });
            if let Some(Some(_)) = fault {
                storage_failed(inner);
            }
        }
        Effect::SaveTombstones(list) => tombstones::save(inner, &list),
        Effect::Keep(kept) => super::records::keep(inner, kept),
    }
}

/// Tells the app that web storage failed (the store now keeps state in memory).
pub(super) fn storage_failed(inner: &Rc<Inner>) {
    emit(inner, &error_event("storage_unavailable", "storage failed; state is kept in memory"));
}

/// Tells the app that a message did not reach the other tabs (a full
/// `localStorage` under the fallback channel, a closed channel). A lost
/// logout matters most: the other tabs stay signed in until their own
/// deadlines, or their next refresh or session check, end them.
fn post_failed(inner: &Rc<Inner>, logout: bool) {
    let message = if logout {
        "the logout could not be told to the other tabs; they may stay signed in"
    } else {
        "a message could not be sent to the other tabs"
    };
    emit(inner, &error_event("channel_post_failed", message));
}

fn lock_name(inner: &Inner) -> String {
    crate::core::keys::refresh_lock_name(&inner.options.channel_name)
}

/// Keeps released lock slots until `hold_until`. A previous settling timer is
/// dropped outside the borrow: that releases its guards (resolving their
/// promises is a JS call).
fn settle(inner: &Rc<Inner>, held: Option<LockSlot>, hold_until: u64) {
    let hold_ms = hold_until.saturating_sub(super::now_ms()).min(u64::from(u32::MAX));
    let timer = Timer::after(hold_ms as u32, move || drop(held));
    let previous = with_shell(inner, |shell| shell.settling.replace(timer));
    drop(previous);
}

/// Commits the generation note, then lets the held lock settle: the next
/// holder's read comes after the commit. A failed or slow write (no
/// IndexedDB) releases all the same, after the hold alone.
fn write_note_then_settle(inner: &Rc<Inner>, note: GenerationNote, held: Option<LockSlot>, hold_until: u64) {
    with_note(inner, Some(note.encode()), AfterNote::Settle(held, hold_until));
}

/// What follows the generation note's read or write.
enum AfterNote {
    /// The lock of this attempt was granted: tell the core what the note says.
    Granted(u64),
    /// The note is committed: let the held lock settle until the given time.
    Settle(Option<LockSlot>, u64),
}

/// Reads the generation note, or commits `write` as the note, then does
/// `after`: one task type for both (one state machine in the wasm).
fn with_note(inner: &Rc<Inner>, write: Option<String>, after: AfterNote) {
    let weak = Rc::downgrade(inner);
    let database = crate::core::keys::note_database(&inner.options.channel_name);
    spawn(async move {
        let text = idb::note(&database, write.as_deref()).await.ok().flatten();
        after_note(&weak, after, text);
    });
}

/// Does what follows the note's read or write: a plain fn, so the task's
/// state machine holds only what it awaits with.
#[inline(never)]
fn after_note(weak: &Weak<Inner>, after: AfterNote, text: Option<String>) {
    let Some(inner) = weak.upgrade() else { return };
    match after {
        AfterNote::Settle(held, hold_until) => settle(&inner, held, hold_until),
        AfterNote::Granted(attempt) => {
            let note = text.as_deref().and_then(GenerationNote::decode);
            // What the previous holder saved (an owed logout it told) counts now.
            let ended = tombstones::stored(&inner);
            drive(&inner, |machine, now| {
                machine.handle_tombstones(now, &ended);
                machine.handle_lock_acquired(now, attempt, note);
            });
        }
    }
}

/// The lock is ours: read the generation note, then tell the core (which
/// decides whether to refresh). No note (none, unreadable, no IndexedDB) is
/// `None`.
fn on_lock_granted(weak: &Weak<Inner>, attempt: u64, guard: LockGuard) {
    let Some(inner) = weak.upgrade() else { return };
    let stored = with_shell(&inner, |shell| match shell.locks.iter_mut().find(|(a, _)| *a == attempt) {
        Some((_, slot)) => *slot = LockSlot::Held(guard),
        None => shell.locks.push((attempt, LockSlot::Held(guard))),
    });
    if stored.is_none() {
        return;
    }
    with_note(&inner, None, AfterNote::Granted(attempt));
}

/// The CSRF token to send, read fresh from the page.
pub(super) fn csrf_token(source: &CsrfSource) -> Option<String> {
    match source {
        CsrfSource::Cookie(name) => csrf::from_cookie(name),
        CsrfSource::Meta(name) => csrf::from_meta(name),
    }
}

/// What an answer task waits for.
enum Awaited {
    /// A request the core built, sent with the page's CSRF token if it wants
    /// one (read when the effect ran: `Some` when it wants one).
    Fetch(Request, Option<Option<String>>),
    /// What the app's `refresh` function returned, as a promise.
    Hook(js_sys::Promise),
}

/// Sends request `id` (with the page's CSRF token, if it wants one) and reports
/// how it ended.
fn send(inner: &Rc<Inner>, id: u64, mut request: Request) {
    let token = request.csrf.as_ref().map(|csrf| csrf_token(&csrf.source));
    if let Some(token) = &token {
        request.set_csrf_token(token.as_deref());
    }
    answer_later(inner, id, Awaited::Fetch(request, token));
}

/// Waits for request or refresh `id` to end, and tells the core how it did:
/// one task type for both (one state machine in the wasm).
fn answer_later(inner: &Rc<Inner>, id: u64, awaited: Awaited) {
    let weak = Rc::downgrade(inner);
    spawn(async move {
        let answer = match awaited {
            Awaited::Fetch(request, token) => {
                // Told on the next turn, not while the effects are being carried out.
                if let (Some(token), Some(inner)) = (&token, weak.upgrade()) {
                    drive(&inner, |machine, now| machine.handle_csrf_token(now, &request.method, token.as_deref()));
                }
                // Awaited here, not in an `async fn` of its own: one future fewer.
                Ok(fetcher::send(&request).await)
            }
            Awaited::Hook(promise) => Err(match wasm_bindgen_futures::JsFuture::from(promise).await {
                Ok(value) => hook_value(&value),
                Err(error) => {
                    let number = |key: &str| super::get(&error, key).ok().and_then(|v| v.as_f64());
                    HookResult::Rejected { status: number("status"), retry_after_ms: number("retryAfterMs") }
                }
            }),
        };
        if let Some(inner) = weak.upgrade() {
            drive(&inner, |machine, now| match answer {
                Ok(answer) => machine.handle_fetch_answer(now, id, answer),
                Err(result) => machine.handle_hook_result(now, id, result),
            });
        }
    });
}

/// Calls the app's `refresh` option for refresh `id` and reports what it did.
fn call_refresh_hook(inner: &Rc<Inner>, id: u64, refresh_token: Option<Secret>) {
    let promise = inner.refresh_hook.as_ref().and_then(|hook| {
        let argument = Object::new();
        let token = refresh_token.as_ref().map_or(JsValue::NULL, |token| JsValue::from_str(token.expose()));
        let _ = super::put(&argument, "refreshToken", &token);
        hook.call1(&JsValue::UNDEFINED, &argument).ok().map(|value| js_sys::Promise::resolve(&value))
    });
    match promise {
        Some(promise) => answer_later(inner, id, Awaited::Hook(promise)),
        // No function, or it threw.
        None => drive(inner, |machine, now| {
            machine.handle_hook_result(now, id, HookResult::Rejected { status: None, retry_after_ms: None })
        }),
    }
}

/// What the `refresh` function resolved with, walked into a value for the
/// core (bounded, like a token response given to `start()`).
fn hook_value(resolved: &JsValue) -> HookResult {
    if resolved.is_undefined() || resolved.is_null() {
        return HookResult::Resolved(None);
    }
    match value::from_js(resolved, &Limits::TOKENS, &[]) {
        Ok(value) => HookResult::Resolved(Some(value)),
        Err(_) => HookResult::Unreadable,
    }
}
