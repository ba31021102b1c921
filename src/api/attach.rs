//! Attaching a session to the page: the cross-tab channel, activity and
//! lifecycle listeners, storage and the shared tombstones; each reports to the
//! core as an input.

use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;

use super::events::{emit, error_event};
use super::{drive, maybe_random_id, storage_kind, tombstones, Act, Inner, Shell};
use crate::browser::activity::ActivityListener;
use crate::browser::channel::Channel;
use crate::browser::lifecycle::{PageEvent, PageLifecycle};
use crate::browser::shared_key::SharedKey;
use crate::browser::storage::Store;
use crate::browser::timers::Timer;
use crate::browser::value::{self, Limits};
use crate::core::protocol::decode;
use crate::core::{CheckTrigger, ProtocolError};

/// Attaches the session to the page: activity, lifecycle, channel, storage.
/// The problems found meanwhile are delivered on the next task, when the app
/// has had a chance to add listeners.
#[inline(never)]
pub(super) fn attach(inner: &Rc<Inner>) {
    // A JS array: no `Vec<JsValue>` code for two entries at most.
    let problems = js_sys::Array::new();
    let options = &inner.options;
    let weak = Rc::downgrade(inner);
    let channel = match Channel::open(&options.channel_name, move |message| on_message(&weak, &message)) {
        Ok(channel) => {
            let kind = channel.kind();
            if let Ok(mut machine) = inner.machine.try_borrow_mut() {
                machine.handle_channel_opened(kind);
            }
            Some(channel)
        }
        Err(_) => {
            problems
                .push(&error_event("channel_unavailable", "no cross-tab channel: tabs will not be kept in agreement"));
            None
        }
    };
    let activity = crate::browser::document().map(|document| {
        let weak = Rc::downgrade(inner);
        ActivityListener::new(&document, &options.activity_events, options.activity_throttle_ms as f64, move || {
            if let Some(inner) = weak.upgrade() {
                super::input(&inner, Act::Touch);
            }
        })
    });
    let weak = Rc::downgrade(inner);
    let page = PageLifecycle::new(move |event| {
        if let Some(inner) = weak.upgrade() {
            // Waking up: the server may have ended the session meanwhile, and
            // another tab may have (a page in the back/forward cache or frozen
            // heard no message): the tombstones are read again.
            let waking =
                matches!(event, PageEvent::Visible | PageEvent::PageShow | PageEvent::Resume | PageEvent::Online);
            if waking {
                tombstones::load(&inner);
            }
            // Leaving or hidden (perhaps for good): send the monitoring records now.
            if matches!(event, PageEvent::Hidden | PageEvent::PageHide) {
                super::records::flush(&inner);
            }
            let epoch = if waking { maybe_random_id() } else { None };
            let act = match event {
                // A page becoming visible is the user coming back.
                PageEvent::Visible => Act::Touch,
                PageEvent::Online => Act::Online(true),
                PageEvent::Offline => Act::Online(false),
                _ => Act::Timeout,
            };
            drive(&inner, |machine, now| {
                super::feed(machine, now, act);
                if let Some(epoch) = epoch {
                    machine.check_session(now, CheckTrigger::Wake, epoch);
                }
            });
        }
    });
    let shared = SharedKey::open(&crate::core::keys::tombstones_key(&options.channel_name));
    let mut store = Store::open(storage_kind(options.storage), &options.channel_name);
    if store.take_fault().is_some() {
        problems.push(&error_event("storage_unavailable", "storage is unavailable; state is kept in memory"));
    }
    let notices = (crate::browser::length(&problems) > 0).then(|| {
        let weak = Rc::downgrade(inner);
        Timer::after(0, move || {
            if let Some(inner) = weak.upgrade() {
                for index in 0..crate::browser::length(&problems) {
                    emit(&inner, &problems.get(index));
                }
            }
        })
    });
    if let Ok(mut shell) = inner.shell.try_borrow_mut() {
        *shell = Some(Shell {
            timer: None,
            _activity: activity,
            _lifecycle: Some(page),
            channel,
            store,
            tombstones: shared,
            tombstones_failed: false,
            locks: Vec::new(),
            settling: None,
            _notices: notices,
            monitor_timer: None,
        });
    }
}

/// A message from another tab: walked within [`Limits::MESSAGE`], decoded and
/// checked by the core.
fn on_message(weak: &Weak<Inner>, message: &JsValue) {
    let Some(inner) = weak.upgrade() else { return };
    let decoded = value::from_js(message, &Limits::MESSAGE, &[])
        .map_err(|_| ProtocolError::Malformed)
        .and_then(|message| decode(&message));
    match decoded {
        Ok(envelope) => {
            let mut rejected = None;
            drive(&inner, |machine, now| rejected = machine.handle_message(now, envelope).err());
            if let Some(error) = rejected.filter(|error| !error.is_expected()) {
                emit(&inner, &error_event(error.code(), "a cross-tab message was ignored"));
            }
        }
        Err(error) => emit(&inner, &error_event(error.code(), "a malformed cross-tab message was dropped")),
    }
}
