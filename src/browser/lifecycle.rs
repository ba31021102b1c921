//! Page lifecycle: visibility, focus, back/forward cache, network, freezing.
//!
//! Timers are throttled or stopped while a tab is hidden, frozen or restored
//! from the back/forward cache, and refreshes fail while offline. The core
//! needs to hear about each of these moments to re-read the clock (and show
//! a countdown that jumped, or expire a session that ran out while the tab
//! slept) and to retry a refresh when the network comes back.
//!
//! Listeners are passive (none of these events is cancelable, so passive only
//! documents that we never call `preventDefault`) and run in the bubble
//! phase: on `window`, that sees the window's own `focus`, not every element
//! focus inside the page.

use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions, EventListenerPhase};
use wasm_bindgen::JsValue;
use web_sys::{Document, EventTarget};

use super::Dispatch;

/// A page-lifecycle moment the core may react to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageEvent {
    /// `visibilitychange` with `document.visibilityState == "visible"`.
    Visible,
    /// `visibilitychange` with `document.visibilityState == "hidden"`.
    Hidden,
    /// The window gained focus.
    Focus,
    /// `pageshow`: the page was shown, including a restore from the
    /// back/forward cache (timers did not run while it was cached).
    PageShow,
    /// The browser went online (`navigator.onLine` became true).
    Online,
    /// The browser went offline.
    Offline,
    /// The page was frozen (Page Lifecycle API; Chromium only): no task will
    /// run until `Resume`.
    Freeze,
    /// The page was resumed after `Freeze`.
    Resume,
    /// `pagehide`: the page is being left (navigation, close, the back/forward cache).
    PageHide,
}

impl PageEvent {
    /// Every event, in declaration order: `ALL[event as usize] == event`.
    const ALL: [PageEvent; 9] = [
        PageEvent::Visible,
        PageEvent::Hidden,
        PageEvent::Focus,
        PageEvent::PageShow,
        PageEvent::Online,
        PageEvent::Offline,
        PageEvent::Freeze,
        PageEvent::Resume,
        PageEvent::PageHide,
    ];
}

/// Listens for [`PageEvent`]s. Dropping it removes every listener.
///
/// The events travel through the same `Dispatch` type as the
/// channel's messages (as their index in [`PageEvent::ALL`]): one copy of its
/// code in the wasm, not two.
#[derive(Debug)]
#[must_use = "the listeners are removed when the PageLifecycle is dropped"]
pub struct PageLifecycle {
    dispatch: Rc<Dispatch>,
    // Dropped after `Drop::drop` has closed the dispatcher.
    _listeners: Vec<EventListener>,
}

impl PageLifecycle {
    /// Starts listening on `window` and `document`. Outside a window (a
    /// worker), there is nothing to listen to and the handle is inert.
    ///
    /// `on_event` should capture only a `Weak` reference to the session.
    pub fn new(mut on_event: impl FnMut(PageEvent) + 'static) -> PageLifecycle {
        let dispatch = Dispatch::new(move |index: JsValue| {
            let event = index.as_f64().and_then(|index| PageEvent::ALL.get(index as usize).copied());
            if let Some(event) = event {
                on_event(event);
            }
        });
        let mut listeners = Vec::new();
        if let Some(window) = web_sys::window() {
            let window_events = [
                ("focus", PageEvent::Focus),
                ("pageshow", PageEvent::PageShow),
                ("online", PageEvent::Online),
                ("offline", PageEvent::Offline),
                ("pagehide", PageEvent::PageHide),
            ];
            for (event_type, page_event) in window_events {
                listeners.push(listen(&window, event_type, &dispatch, page_event));
            }
            if let Some(document) = super::document() {
                // `Visible` stands for both: the listener reads which one.
                listeners.push(listen(&document, "visibilitychange", &dispatch, PageEvent::Visible));
                listeners.push(listen(&document, "freeze", &dispatch, PageEvent::Freeze));
                listeners.push(listen(&document, "resume", &dispatch, PageEvent::Resume));
            }
        }
        PageLifecycle { dispatch, _listeners: listeners }
    }
}

impl Drop for PageLifecycle {
    fn drop(&mut self) {
        self.dispatch.close();
    }
}

/// One listener type for every event (one copy in the wasm): `event` is what
/// it reports, except that `visibilitychange` (given as `Visible`) reports
/// `Hidden` or `Visible` by `document.visibilityState`.
fn listen(target: &EventTarget, event_type: &'static str, dispatch: &Rc<Dispatch>, event: PageEvent) -> EventListener {
    // Passive: none of these events can be cancelled; we never preventDefault.
    let options = EventListenerOptions { phase: EventListenerPhase::Bubble, passive: true };
    let dispatch = dispatch.clone();
    EventListener::new_with_options(target, event_type, options, move |_| {
        let event = match event {
            PageEvent::Visible if !is_visible() => PageEvent::Hidden,
            event => event,
        };
        dispatch.call(JsValue::from_f64(f64::from(event as u8)));
    })
}

/// Whether the page is visible now (`document.visibilityState`). True when
/// there is no document to ask.
pub fn is_visible() -> bool {
    super::document().is_none_or(|document| !is_hidden(&document))
}

/// `document.visibilityState == "hidden"`, read as a string (web-sys's
/// `VisibilityState` enum costs a table in the glue).
fn is_hidden(document: &Document) -> bool {
    // Compared as JS values (`===`): nothing copied into wasm.
    super::get(document, "visibilityState").is_ok_and(|state| state == "hidden")
}

/// Whether the browser believes it is online (`navigator.onLine`). True when
/// there is no navigator to ask: `onLine == false` is reliable, `true` is not,
/// so the safe default is to try.
pub fn is_online() -> bool {
    // Read as properties: no Navigator bindings for one boolean.
    let navigator = super::global_get("navigator").ok();
    let on_line = navigator.and_then(|navigator| super::get(&navigator, "onLine").ok());
    on_line.and_then(|value| value.as_bool()) != Some(false)
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use super::*;
    use std::cell::RefCell;
    use wasm_bindgen_test::wasm_bindgen_test;
    use web_sys::Event;

    fn recorder() -> (Rc<RefCell<Vec<PageEvent>>>, impl FnMut(PageEvent) + 'static) {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        (log, move |event| l.borrow_mut().push(event))
    }

    fn fire(target: &EventTarget, event_type: &str) {
        target.dispatch_event(&Event::new(event_type).unwrap()).unwrap();
    }

    #[wasm_bindgen_test]
    fn maps_each_event() {
        let window = web_sys::window().unwrap();
        let document = window.document().unwrap();
        let (log, on_event) = recorder();
        let _lifecycle = PageLifecycle::new(on_event);

        fire(&document, "visibilitychange");
        fire(&window, "focus");
        fire(&window, "pageshow");
        fire(&window, "online");
        fire(&window, "offline");
        fire(&document, "freeze");
        fire(&document, "resume");
        fire(&window, "pagehide");

        let visibility = if is_visible() { PageEvent::Visible } else { PageEvent::Hidden };
        assert_eq!(
            *log.borrow(),
            vec![
                visibility,
                PageEvent::Focus,
                PageEvent::PageShow,
                PageEvent::Online,
                PageEvent::Offline,
                PageEvent::Freeze,
                PageEvent::Resume,
                PageEvent::PageHide
            ]
        );
    }

    #[wasm_bindgen_test]
    fn element_focus_is_not_window_focus() {
        let document = web_sys::window().unwrap().document().unwrap();
        let (log, on_event) = recorder();
        let _lifecycle = PageLifecycle::new(on_event);
        // `focus` does not bubble: focus inside the page (here on the
        // document node) never reaches a bubble-phase listener on window.
        fire(&document, "focus");
        assert!(log.borrow().is_empty());
    }

    #[wasm_bindgen_test]
    fn dropping_removes_the_listeners() {
        let window = web_sys::window().unwrap();
        let (log, on_event) = recorder();
        let lifecycle = PageLifecycle::new(on_event);
        fire(&window, "online");
        drop(lifecycle);
        fire(&window, "online");
        fire(&window, "focus");
        fire(&window.document().unwrap(), "visibilitychange");
        assert_eq!(*log.borrow(), vec![PageEvent::Online]);
    }

    #[wasm_bindgen_test]
    fn events_raised_inside_the_callback_are_queued_in_order() {
        let window = web_sys::window().unwrap();
        let log = Rc::new(RefCell::new(Vec::new()));
        let (l, w) = (log.clone(), window.clone());
        let _lifecycle = PageLifecycle::new(move |event| {
            l.borrow_mut().push(event);
            if event == PageEvent::Online {
                // Re-enters the shell through another listener.
                fire(&w, "focus");
                l.borrow_mut().push(PageEvent::Resume);
            }
        });
        fire(&window, "online");
        assert_eq!(*log.borrow(), vec![PageEvent::Online, PageEvent::Resume, PageEvent::Focus]);
    }

    #[wasm_bindgen_test]
    fn helpers_answer() {
        // Headless Chrome is online and visible, but the helpers must only
        // agree with the browser, whatever it says.
        let window = web_sys::window().unwrap();
        assert_eq!(is_online(), window.navigator().on_line());
        let hidden = is_hidden(&window.document().unwrap());
        assert_eq!(is_visible(), !hidden);
    }
}
