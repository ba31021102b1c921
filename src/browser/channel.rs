//! Cross-tab messages: `BroadcastChannel`, or `storage` events as a fallback.
//!
//! Tabs of one origin tell each other about logins, logouts, refreshed
//! tokens and activity. The core encodes and decodes the messages (plain
//! objects); this file only carries them between tabs.
//!
//! [`ChannelKind::BroadcastChannel`] is used wherever `globalThis.BroadcastChannel`
//! exists. It delivers to every *other* channel object of the same name and
//! origin, including other objects in this page, never to the sender. Messages
//! travel as structured-clone objects.
//!
//! [`ChannelKind::Storage`] is the fallback for browsers without it: [`Channel::post`]
//! writes the message as JSON text (`JSON.stringify`) to the `localStorage` key
//! [`crate::core::keys::channel_key`] with a fresh nonce in front (so that
//! repeating a message still changes the value) and removes the key at once;
//! every *other document* of the origin gets a `storage` event carrying the
//! value, strips the nonce and `JSON.parse`s the rest. The document that wrote
//! never sees its own `storage` events, so unlike a `BroadcastChannel`, two
//! channels in one page do not hear each other. What this channel writes
//! reaches the disk, so the core sends no tokens over it
//! (`Machine::handle_channel_opened`).
//!
//! Anything that is not an object (a hostile or foreign script posting on the
//! same channel name, an older SDK posting text) is ignored; an object is
//! handed over as it is, for the shell to walk within limits and the core to
//! validate.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions, EventListenerPhase};
use wasm_bindgen::JsValue;
use web_sys::{BroadcastChannel, Storage, Window};

use super::Dispatch;
pub use crate::core::ChannelKind;

/// Separates the nonce from the message in the storage fallback's values.
const NONCE_SEPARATOR: char = '|';

/// Why a channel could not be opened or a message not sent.
///
/// What the browser threw is kept as it was thrown (a JS value), not turned
/// into text: nothing in the session shows it, and the text cost wasm.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelError {
    /// The requested kind does not exist here (no `BroadcastChannel`
    /// constructor, or no window / `localStorage` for the fallback).
    Unsupported(ChannelKind),
    /// The browser threw this while opening the channel (e.g. `SecurityError`
    /// from `localStorage` with storage disabled).
    Open(JsValue),
    /// The browser threw this while posting (e.g. a closed channel, a full
    /// `localStorage`); `undefined` when the message is not JSON data.
    Post(JsValue),
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChannelError::Unsupported(_) => "the channel kind is not available",
            ChannelError::Open(_) => "could not open the channel",
            ChannelError::Post(_) => "could not post on the channel",
        })
    }
}

impl std::error::Error for ChannelError {}

/// A named cross-tab channel carrying plain objects. Dropping it closes the
/// channel and removes its listener.
#[derive(Debug)]
#[must_use = "the channel is closed when dropped"]
pub struct Channel {
    sender: Sender,
    dispatch: Rc<Dispatch>,
    // Dropped after `Drop::drop` has closed the dispatcher (and the channel).
    _listener: EventListener,
}

#[derive(Debug)]
enum Sender {
    Broadcast(BroadcastChannel),
    Storage { storage: Storage, key: String, sequence: Cell<u64> },
}

impl Channel {
    /// Opens the channel `name`, over `BroadcastChannel` where the browser has
    /// it and over `localStorage` otherwise (or if creating it throws).
    ///
    /// `on_message` gets every object another tab (or, for
    /// `BroadcastChannel`, another channel object in this page) posts on the
    /// same name. It should capture only a `Weak` reference to the session.
    pub fn open(name: &str, on_message: impl FnMut(JsValue) + 'static) -> Result<Channel, ChannelError> {
        let dispatch = Dispatch::new(on_message);
        // `open_broadcast` checks that there is a `BroadcastChannel`.
        if let Ok(channel) = open_broadcast(name, &dispatch) {
            return Ok(channel);
        }
        let window = web_sys::window().ok_or(ChannelError::Unsupported(ChannelKind::Storage))?;
        open_storage(&window, name, dispatch)
    }

    /// Opens the channel of the given kind, with no fallback (tests
    /// use it to exercise the storage fallback where `BroadcastChannel` exists).
    pub fn open_with(
        name: &str,
        kind: ChannelKind,
        on_message: impl FnMut(JsValue) + 'static,
    ) -> Result<Channel, ChannelError> {
        let dispatch = Dispatch::new(on_message);
        match kind {
            ChannelKind::BroadcastChannel => open_broadcast(name, &dispatch),
            ChannelKind::Storage => {
                let window = web_sys::window().ok_or(ChannelError::Unsupported(ChannelKind::Storage))?;
                open_storage(&window, name, dispatch)
            }
        }
    }

    /// Sends `message` (a plain object) to the other tabs. Never delivered to
    /// this channel.
    pub fn post(&self, message: &JsValue) -> Result<(), ChannelError> {
        match &self.sender {
            Sender::Broadcast(channel) => channel.post_message(message).map_err(ChannelError::Post),
            Sender::Storage { storage, key, sequence } => {
                let text = js_sys::JSON::stringify(message)
                    .map_err(ChannelError::Post)?
                    .as_string()
                    .ok_or(ChannelError::Post(JsValue::UNDEFINED))?;
                storage.set_item(key, &encode(nonce(sequence), &text)).map_err(ChannelError::Post)?;
                // The write above already fired the other tabs' events; a
                // failed removal only leaves a stale value behind, which the
                // next post overwrites (the nonce makes it differ).
                let _ = storage.remove_item(key);
                Ok(())
            }
        }
    }

    /// The kind in use.
    pub fn kind(&self) -> ChannelKind {
        match self.sender {
            Sender::Broadcast(_) => ChannelKind::BroadcastChannel,
            Sender::Storage { .. } => ChannelKind::Storage,
        }
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.dispatch.close();
        if let Sender::Broadcast(channel) = &self.sender {
            super::close(channel);
        }
    }
}

/// Whether this global has a `BroadcastChannel` constructor.
pub fn broadcast_channel_available() -> bool {
    super::global_get("BroadcastChannel").is_ok_and(|ctor| ctor.is_function())
}

fn open_broadcast(name: &str, dispatch: &Rc<Dispatch>) -> Result<Channel, ChannelError> {
    if !broadcast_channel_available() {
        return Err(ChannelError::Unsupported(ChannelKind::BroadcastChannel));
    }
    let channel = BroadcastChannel::new(name).map_err(ChannelError::Open)?;
    let on_message = dispatch.clone();
    let listener = EventListener::new_with_options(&channel, "message", passive(), move |event| {
        // A `message` event of a channel is a MessageEvent: its `data`, read as
        // a property (no `instanceof` and getter bindings).
        if let Some(message) = property(event, "data").filter(is_object) {
            on_message.call(message);
        }
    });
    Ok(Channel { sender: Sender::Broadcast(channel), dispatch: dispatch.clone(), _listener: listener })
}

/// Opens the storage fallback on `window` (a parameter so tests can open one
/// inside a same-origin iframe, the only way to see `storage` events fire).
fn open_storage(window: &Window, name: &str, dispatch: Rc<Dispatch>) -> Result<Channel, ChannelError> {
    let storage =
        window.local_storage().map_err(ChannelError::Open)?.ok_or(ChannelError::Unsupported(ChannelKind::Storage))?;
    let key = crate::core::keys::channel_key(name);
    let on_message = dispatch.clone();
    // Compared as a JS value (`===`): the key of every storage event of the
    // origin is not copied into wasm.
    let wanted = JsValue::from_str(&key);
    let listener = EventListener::new_with_options(window, "storage", passive(), move |event| {
        // Property reads, not `dyn_ref` (an event from another realm fails
        // `instanceof`): `None` on a non-StorageEvent.
        if property(event, "key").is_none_or(|key| key != wanted) {
            return;
        }
        // `None` is the removal that follows every post.
        let text = property(event, "newValue").and_then(|value| value.as_string());
        let message = text.as_deref().and_then(decode).and_then(super::value::parse_text);
        if let Some(message) = message.filter(is_object) {
            on_message.call(message);
        }
    });
    Ok(Channel { sender: Sender::Storage { storage, key, sequence: Cell::new(0) }, dispatch, _listener: listener })
}

/// `target[name]`, if reading it does not throw.
fn property(target: &JsValue, name: &str) -> Option<JsValue> {
    super::get(target, name).ok()
}

/// An object (arrays included: the core refuses them), not a primitive.
fn is_object(value: &JsValue) -> bool {
    value.is_object()
}

fn passive() -> EventListenerOptions {
    // Passive: `message` and `storage` are not cancelable; we never preventDefault.
    EventListenerOptions { phase: EventListenerPhase::Bubble, passive: true }
}

/// A value unique to this post: random, plus a per-channel sequence number in
/// case the random source fails.
fn nonce(sequence: &Cell<u64>) -> String {
    let count = sequence.get().wrapping_add(1);
    sequence.set(count);
    let random = super::random::seed_u64().unwrap_or_else(|_| js_sys::Date::now().to_bits());
    let mut text = String::with_capacity(32);
    push_hex(&mut text, random);
    push_hex(&mut text, count);
    text
}

/// Appends `n` as 16 lowercase hex digits (no `format!`: it costs kilobytes of wasm).
fn push_hex(out: &mut String, n: u64) {
    for shift in (0..16).rev() {
        let digit = ((n >> (shift * 4)) & 0xf) as u32;
        out.push(char::from_digit(digit, 16).unwrap_or('0'));
    }
}

/// The storage fallback's value for `message`: the nonce, `|`, the message.
/// `nonce` must not contain `|`.
fn encode(mut nonce: String, message: &str) -> String {
    nonce.push(NONCE_SEPARATOR);
    nonce.push_str(message);
    nonce
}

/// The message inside a storage fallback value, or `None` if it has no nonce.
fn decode(value: &str) -> Option<&str> {
    value.split_once(NONCE_SEPARATOR).map(|(_nonce, message)| message)
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use super::*;
    use crate::browser::test_util::{unique, wait_until};
    use std::cell::RefCell;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;
    use web_sys::StorageEvent;

    type Log = Rc<RefCell<Vec<String>>>;

    /// Records what arrives, as JSON text.
    fn recorder() -> (Log, impl FnMut(JsValue) + 'static) {
        let log: Log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        (log, move |message: JsValue| l.borrow_mut().push(js_sys::JSON::stringify(&message).unwrap().into()))
    }

    /// The message `{ "m": text }`.
    fn msg(text: &str) -> JsValue {
        let object = js_sys::Object::new();
        crate::browser::put(&object, "m", &text.into()).unwrap();
        object.into()
    }

    /// `msg(text)` as JSON text, as the recorder logs it.
    fn logged(text: &str) -> String {
        ["{\"m\":\"", text, "\"}"].concat()
    }

    fn got(log: &Log, message: &str) -> bool {
        log.borrow().iter().any(|m| m == message)
    }

    #[wasm_bindgen_test]
    fn open_prefers_broadcast_channel() {
        assert!(broadcast_channel_available());
        let channel = Channel::open(&unique("pref"), |_| {}).unwrap();
        assert_eq!(channel.kind(), ChannelKind::BroadcastChannel);
        let fallback = Channel::open_with(&unique("pref"), ChannelKind::Storage, |_| {}).unwrap();
        assert_eq!(fallback.kind(), ChannelKind::Storage);
    }

    #[wasm_bindgen_test]
    async fn two_channels_hear_each_other_but_not_themselves() {
        let name = unique("pair");
        let (log_a, on_a) = recorder();
        let (log_b, on_b) = recorder();
        let a = Channel::open(&name, on_a).unwrap();
        let b = Channel::open(&name, on_b).unwrap();

        a.post(&msg("hello")).unwrap();
        a.post(&msg("hello")).unwrap();
        assert!(wait_until(|| log_b.borrow().len() == 2, 10_000.0).await);
        assert_eq!(*log_b.borrow(), vec![logged("hello"), logged("hello")]);

        b.post(&msg("ping")).unwrap();
        // `a` queued its own posts before `b` posted: had they been delivered
        // to `a`, they would have arrived before "ping".
        assert!(wait_until(|| got(&log_a, &logged("ping")), 10_000.0).await);
        assert_eq!(*log_a.borrow(), vec![logged("ping")]);
        assert_eq!(*log_b.borrow(), vec![logged("hello"), logged("hello")]);
    }

    #[wasm_bindgen_test]
    async fn messages_that_are_not_objects_are_ignored() {
        let name = unique("hostile");
        let (log, on_message) = recorder();
        let _channel = Channel::open(&name, on_message).unwrap();
        let raw = BroadcastChannel::new(&name).unwrap();
        raw.post_message(&JsValue::from_f64(42.0)).unwrap();
        raw.post_message(&JsValue::from_str("{\"m\":\"text\"}")).unwrap();
        raw.post_message(&JsValue::NULL).unwrap();
        raw.post_message(&msg("after")).unwrap();
        assert!(wait_until(|| got(&log, &logged("after")), 10_000.0).await);
        assert_eq!(*log.borrow(), vec![logged("after")]);
        raw.close();
    }

    #[wasm_bindgen_test]
    async fn no_delivery_after_drop() {
        let name = unique("drop");
        let (log_dropped, on_dropped) = recorder();
        let (log_sentinel, on_sentinel) = recorder();
        let sender = Channel::open(&name, |_| {}).unwrap();
        let dropped = Channel::open(&name, on_dropped).unwrap();
        let _sentinel = Channel::open(&name, on_sentinel).unwrap();
        drop(dropped);
        sender.post(&msg("late")).unwrap();
        assert!(wait_until(|| got(&log_sentinel, &logged("late")), 10_000.0).await);
        assert!(log_dropped.borrow().is_empty());
    }

    #[wasm_bindgen_test]
    fn storage_encoding_round_trips() {
        let sequence = Cell::new(0);
        for message in ["", "plain", "with|pipes|inside", "{\"json\":[1,2]}", "ünïcødé ✓"] {
            let first = encode(nonce(&sequence), message);
            let second = encode(nonce(&sequence), message);
            assert_ne!(first, second, "identical messages must produce different values");
            assert_eq!(decode(&first), Some(message));
            assert_eq!(decode(&second), Some(message));
        }
        assert_eq!(decode("no separator"), None);
    }

    /// A same-origin `about:blank` iframe: a second document sharing our
    /// `localStorage`, so `storage` events written by one reach the other.
    fn iframe_window() -> Window {
        js_sys::eval(
            "(() => { const f = document.createElement('iframe'); \
             document.body.appendChild(f); return f.contentWindow; })()",
        )
        .unwrap()
        .unchecked_into()
    }

    fn remove_iframes() {
        js_sys::eval("document.querySelectorAll('iframe').forEach(f => f.remove())").unwrap();
    }

    #[wasm_bindgen_test]
    async fn storage_fallback_delivers_across_documents() {
        let name = unique("storage");
        let key = crate::core::keys::channel_key(&name);
        let frame = iframe_window();

        // What the other document's `storage` events carry.
        let seen: Rc<RefCell<Vec<Option<String>>>> = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        let watched_key = key.clone();
        let _sentinel = EventListener::new(&frame, "storage", move |event| {
            let event: &StorageEvent = event.unchecked_ref();
            if event.key().as_deref() == Some(watched_key.as_str()) {
                s.borrow_mut().push(event.new_value());
            }
        });

        let (log_here, on_here) = recorder();
        let (log_there, on_there) = recorder();
        let here = Channel::open_with(&name, ChannelKind::Storage, on_here).unwrap();
        let there = open_storage(&frame, &name, Dispatch::new(on_there)).unwrap();

        here.post(&msg("hello")).unwrap();
        here.post(&msg("hello")).unwrap();
        // The key is written and removed at once.
        let local = web_sys::window().unwrap().local_storage().unwrap().unwrap();
        assert_eq!(local.get_item(&key).unwrap(), None);
        assert!(wait_until(|| log_there.borrow().len() == 2, 10_000.0).await);
        assert_eq!(*log_there.borrow(), vec![logged("hello"), logged("hello")]);
        assert!(wait_until(|| seen.borrow().len() == 4, 10_000.0).await);
        {
            let seen = seen.borrow();
            assert_eq!(decode(seen[0].as_deref().unwrap()), Some(logged("hello").as_str()), "JSON text");
            assert_eq!(seen[1], None);
            assert_ne!(seen[0], seen[2], "the nonce must differ between posts");
            assert_eq!(seen[3], None);
        }

        there.post(&msg("back")).unwrap();
        assert!(wait_until(|| got(&log_here, &logged("back")), 10_000.0).await);
        // Neither side heard itself.
        assert_eq!(*log_here.borrow(), vec![logged("back")]);
        assert_eq!(*log_there.borrow(), vec![logged("hello"), logged("hello")]);

        // After drop: the raw listener on the same window is the sentinel.
        // Once it has seen the removal, the write was dispatched to everyone.
        drop(there);
        here.post(&msg("unheard")).unwrap();
        assert!(wait_until(|| seen.borrow().len() == 6, 10_000.0).await);
        assert_eq!(*log_there.borrow(), vec![logged("hello"), logged("hello")]);
        remove_iframes();
    }
}
