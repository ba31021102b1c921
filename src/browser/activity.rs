//! User-activity detection for the idle timeout.
//!
//! The idle timer restarts whenever the user does something. Activity events
//! arrive at hundreds per second (pointer moves, wheel, scroll), so this file
//! throttles them *in the shell*, before anything crosses into the core: after
//! one report, further events within `throttle_ms` cost one `Date.now()` read
//! and a comparison, with no allocation.
//!
//! Listeners are registered in the capture phase on the given target (usually
//! `window` or `document`), so events that do not bubble (`scroll` on an inner
//! element) and events whose propagation the page stops are still seen. They
//! are passive: they never call `preventDefault`, and a passive listener lets
//! the browser scroll and zoom without waiting for us.
//!
//! Pointer and mouse *moves* with zero distance from the last position seen
//! are ignored: browsers synthesise such moves when content scrolls or
//! re-lays out under a still cursor, and they are not user activity. Synthetic
//! (`isTrusted == false`) events count: a script on the page is already
//! trusted with the session.

use std::cell::Cell;
use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions, EventListenerPhase};
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget, MouseEvent};

use super::Dispatch;

/// The events that count as user activity unless the caller chooses others.
pub const DEFAULT_EVENTS: &[&str] = &crate::core::config::DEFAULT_ACTIVITY_EVENTS;

/// Listens for user activity on a target, throttled. Dropping it removes
/// every listener.
#[derive(Debug)]
#[must_use = "the listeners are removed when the ActivityListener is dropped"]
pub struct ActivityListener {
    shared: Rc<Shared>,
    // Dropped after `Drop::drop` has closed the dispatcher.
    _listeners: Vec<EventListener>,
}

#[derive(Debug)]
struct Shared {
    throttle_ms: f64,
    /// `Date.now()` of the last report; `-inf` before the first.
    last_report: Cell<f64>,
    /// `clientX`/`clientY` of the last move event examined.
    last_position: Cell<Option<(i32, i32)>>,
    dispatch: Rc<Dispatch<()>>,
}

impl Shared {
    /// The hot path: runs for every activity event.
    fn on_event(&self, event: &Event, is_move: bool) {
        let now = js_sys::Date::now();
        let elapsed = now - self.last_report.get();
        // A negative `elapsed` means the wall clock was set back: report
        // rather than stay muted until the clock catches up.
        if elapsed >= 0.0 && elapsed < self.throttle_ms {
            return;
        }
        if is_move {
            if let Some(mouse) = event.dyn_ref::<MouseEvent>() {
                let position = (mouse.client_x(), mouse.client_y());
                if self.last_position.replace(Some(position)) == Some(position) {
                    return;
                }
            }
        }
        self.last_report.set(now);
        self.dispatch.call(());
    }
}

impl ActivityListener {
    /// Listens on `target` for each of `events` (see [`DEFAULT_EVENTS`]) and
    /// calls `on_activity` at most once per `throttle_ms` milliseconds.
    ///
    /// `on_activity` should capture only a `Weak` reference to the session;
    /// it may drop this listener from inside the call.
    pub fn new(
        target: &EventTarget,
        events: &[&str],
        throttle_ms: f64,
        on_activity: impl FnMut() + 'static,
    ) -> ActivityListener {
        let mut on_activity = on_activity;
        let shared = Rc::new(Shared {
            throttle_ms,
            last_report: Cell::new(f64::NEG_INFINITY),
            last_position: Cell::new(None),
            dispatch: Dispatch::new(move |()| on_activity()),
        });
        // Capture: see non-bubbling and propagation-stopped events too.
        // Passive: we never call preventDefault, so scrolling is never blocked.
        let options = EventListenerOptions { phase: EventListenerPhase::Capture, passive: true };
        let listeners = events
            .iter()
            .map(|&event_type| {
                let is_move = event_type.ends_with("move");
                let shared = shared.clone();
                EventListener::new_with_options(target, event_type.to_owned(), options, move |event| {
                    shared.on_event(event, is_move)
                })
            })
            .collect();
        ActivityListener { shared, _listeners: listeners }
    }
}

impl Drop for ActivityListener {
    fn drop(&mut self) {
        // Stop delivery first, so an event dispatched while the listeners are
        // being removed (or a queued one) never reaches the callback.
        self.shared.dispatch.close();
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use super::*;
    use std::cell::RefCell;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// A fresh, detached target so tests never see each other's events.
    fn target() -> EventTarget {
        EventTarget::new().unwrap()
    }

    fn counter() -> (Rc<Cell<u32>>, impl FnMut() + 'static) {
        let count = Rc::new(Cell::new(0));
        let c = count.clone();
        (count, move || c.set(c.get() + 1))
    }

    fn dispatch(target: &EventTarget, event_type: &str) {
        target.dispatch_event(&Event::new(event_type).unwrap()).unwrap();
    }

    fn pointer_move(x: i32, y: i32) -> Event {
        let make = js_sys::Function::new_with_args(
            "x, y",
            "return new PointerEvent('pointermove', { clientX: x, clientY: y, bubbles: true });",
        );
        make.call2(&JsValue::NULL, &x.into(), &y.into()).unwrap().unchecked_into()
    }

    #[wasm_bindgen_test]
    fn each_event_type_calls_back() {
        let target = target();
        let (count, on_activity) = counter();
        let _listener = ActivityListener::new(&target, DEFAULT_EVENTS, 0.0, on_activity);
        for event_type in DEFAULT_EVENTS {
            dispatch(&target, event_type);
        }
        assert_eq!(count.get(), DEFAULT_EVENTS.len() as u32);
        dispatch(&target, "click");
        assert_eq!(count.get(), DEFAULT_EVENTS.len() as u32, "an unlisted event counted");
    }

    #[wasm_bindgen_test]
    fn listens_in_capture_phase_on_window() {
        let window = web_sys::window().unwrap();
        let (count, on_activity) = counter();
        let _listener = ActivityListener::new(&window, &["keydown"], 0.0, on_activity);
        // A non-bubbling event (the default for `new Event`) on the document
        // still passes through the window's capture phase.
        let document = window.document().unwrap();
        document.dispatch_event(&Event::new("keydown").unwrap()).unwrap();
        assert_eq!(count.get(), 1);
    }

    #[wasm_bindgen_test]
    fn a_flood_within_the_window_calls_back_once() {
        let target = target();
        let (count, on_activity) = counter();
        // An hour-long window: the flood is inside it however slow the machine.
        let _listener = ActivityListener::new(&target, DEFAULT_EVENTS, 3_600_000.0, on_activity);
        let event = Event::new("keydown").unwrap();
        for _ in 0..1_000 {
            target.dispatch_event(&event).unwrap();
        }
        assert_eq!(count.get(), 1);
    }

    #[wasm_bindgen_test]
    async fn reports_again_after_the_window() {
        let target = target();
        let (count, on_activity) = counter();
        let _listener = ActivityListener::new(&target, &["keydown"], 20.0, on_activity);
        dispatch(&target, "keydown");
        let start = js_sys::Date::now();
        // Wait until the window has certainly passed, measured by the same clock.
        assert!(crate::browser::test_util::wait_until(|| js_sys::Date::now() - start > 40.0, 10_000.0).await);
        dispatch(&target, "keydown");
        assert_eq!(count.get(), 2);
    }

    #[wasm_bindgen_test]
    fn zero_distance_moves_are_ignored() {
        let target = target();
        let (count, on_activity) = counter();
        let _listener = ActivityListener::new(&target, DEFAULT_EVENTS, 0.0, on_activity);
        target.dispatch_event(&pointer_move(10, 20)).unwrap();
        assert_eq!(count.get(), 1);
        target.dispatch_event(&pointer_move(10, 20)).unwrap();
        assert_eq!(count.get(), 1, "a zero-distance move counted");
        target.dispatch_event(&pointer_move(11, 20)).unwrap();
        assert_eq!(count.get(), 2);
        // Other events are never filtered by position.
        dispatch(&target, "keydown");
        assert_eq!(count.get(), 3);
    }

    #[wasm_bindgen_test]
    fn dropping_removes_the_listeners() {
        let target = target();
        let (count, on_activity) = counter();
        let listener = ActivityListener::new(&target, DEFAULT_EVENTS, 0.0, on_activity);
        dispatch(&target, "pointerdown");
        assert_eq!(count.get(), 1);
        drop(listener);
        for event_type in DEFAULT_EVENTS {
            dispatch(&target, event_type);
        }
        assert_eq!(count.get(), 1);
    }

    #[wasm_bindgen_test]
    fn the_callback_may_drop_its_own_listener() {
        let target = target();
        let slot: Rc<RefCell<Option<ActivityListener>>> = Rc::new(RefCell::new(None));
        let count = Rc::new(Cell::new(0));
        let (weak_slot, c) = (Rc::downgrade(&slot), count.clone());
        let listener = ActivityListener::new(&target, &["keydown"], 0.0, move || {
            c.set(c.get() + 1);
            let taken = weak_slot.upgrade().and_then(|slot| slot.borrow_mut().take());
            drop(taken);
        });
        *slot.borrow_mut() = Some(listener);
        dispatch(&target, "keydown");
        dispatch(&target, "keydown");
        assert_eq!(count.get(), 1);
        assert!(slot.borrow().is_none());
    }
}
