//! User-activity detection for the idle timeout.
//!
//! The idle timer restarts whenever the user does something. Activity events
//! arrive at hundreds per second (pointer moves, wheel, scroll), and even an
//! empty listener costs the browser about a microsecond per event before any
//! of our code runs. So the cheapest listener is the one not attached: once
//! an event is reported, every listener is *removed*, and a timer puts them
//! back when the throttle window ends. Within a window the page has no
//! listener of ours at all; the first event after it is reported. Activity is
//! thus reported at most once per `throttle_ms`, and none is missed after the
//! window (an event inside it would have been dropped by the throttle anyway).
//!
//! The window's end comes from the clock, not from the timer: a timer in a
//! hidden, frozen or sleeping page fires late (or, on some systems, early in
//! wall time), so when it fires the listeners go back only if `Date.now()`
//! says the window has passed, else the timer is armed for the rest. A clock
//! set back re-attaches at once rather than muting activity until it catches
//! up. A page coming back into view is reported as activity by the lifecycle
//! listener (see `api/attach.rs`), so a late timer costs nothing there.
//!
//! Listeners are registered in the capture phase on the given target (usually
//! `window` or `document`), so events that do not bubble (`scroll` on an inner
//! element) and events whose propagation the page stops are still seen. They
//! are passive: they never call `preventDefault`, and a passive listener lets
//! the browser scroll and zoom without waiting for us.
//!
//! Pointer and mouse *moves* with zero distance from the last position seen
//! are ignored (and leave the listeners attached): browsers synthesise such
//! moves when content scrolls or re-lays out under a still cursor, and they
//! are not user activity. Synthetic (`isTrusted == false`) events count: a
//! script on the page is already trusted with the session.

use std::cell::Cell;
use std::rc::{Rc, Weak};

use gloo_events::{EventListener, EventListenerOptions, EventListenerPhase};
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget, MouseEvent};

use super::timers::Timer;

/// The events that count as user activity unless the caller chooses others.
pub const DEFAULT_EVENTS: &[&str] = &crate::core::config::DEFAULT_ACTIVITY_EVENTS;

/// Listens for user activity on a target, throttled. Dropping it removes
/// every listener and cancels the re-attach timer.
#[must_use = "the listeners are removed when the ActivityListener is dropped"]
pub struct ActivityListener {
    shared: Rc<Shared>,
}

impl std::fmt::Debug for ActivityListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActivityListener").finish_non_exhaustive()
    }
}

struct Shared {
    target: EventTarget,
    events: Vec<String>,
    throttle_ms: f64,
    /// `Date.now()` of the last report; `-inf` before the first.
    last_report: Cell<f64>,
    /// `clientX`/`clientY` of the last move event examined.
    last_position: Cell<Option<(i32, i32)>>,
    /// One listener per event type while attached; empty within a window.
    /// `Cell`s (only ever swapped whole): no borrow to track.
    listeners: Cell<Vec<EventListener>>,
    /// Puts the listeners back when the window ends; `None` while attached.
    reattach: Cell<Option<Timer>>,
    /// Set by `Drop`: nothing is attached or armed after it.
    closed: Cell<bool>,
    /// The caller's callback; taken out while it runs (see [`Shared::report`]).
    on_activity: Cell<Option<Box<dyn FnMut()>>>,
}

impl Shared {
    /// Runs for the first event after each window (and for zero-distance moves).
    fn on_event(self: &Rc<Self>, event: &Event, is_move: bool) {
        if is_move {
            if let Some(mouse) = event.dyn_ref::<MouseEvent>() {
                let position = (mouse.client_x(), mouse.client_y());
                if self.last_position.replace(Some(position)) == Some(position) {
                    return;
                }
            }
        }
        // No throttle check: within a window no listener is attached, and
        // the listeners go before the callback runs, so a nested dispatch
        // from inside it finds none either.
        self.last_report.set(js_sys::Date::now());
        if self.throttle_ms > 0.0 {
            self.detach();
            self.arm(self.throttle_ms);
        }
        self.report();
    }

    /// Calls the callback with no borrow held: it is taken out for the call,
    /// and put back unless the listener was dropped meanwhile. A report from
    /// inside the call (an activity event the callback dispatches, possible
    /// only unthrottled) finds no callback and is dropped: the running report
    /// is for the same moment. A queue, as `Dispatch` keeps for other event
    /// streams, would add code for nothing here.
    fn report(&self) {
        let Some(mut on_activity) = self.on_activity.take() else { return };
        on_activity();
        if !self.closed.get() {
            self.on_activity.set(Some(on_activity));
        }
    }

    /// Whether `now` falls inside the window opened by the last report. A
    /// negative elapsed time means the wall clock was set back: not inside.
    fn in_window(&self, now: f64) -> bool {
        let elapsed = now - self.last_report.get();
        elapsed >= 0.0 && elapsed < self.throttle_ms
    }

    /// The timer fired: re-attach if the clock says the window is over, else
    /// wait for the rest of it.
    fn on_window_end(self: &Rc<Self>) {
        if self.closed.get() {
            return;
        }
        let now = js_sys::Date::now();
        if self.in_window(now) {
            let left = self.throttle_ms - (now - self.last_report.get());
            self.arm(left);
        } else {
            drop(self.reattach.take());
            self.attach();
        }
    }

    fn arm(self: &Rc<Self>, delay_ms: f64) {
        let weak = Rc::downgrade(self);
        // `as` saturates: NaN becomes 0, huge values u32::MAX (then clamped).
        let timer = Timer::after(delay_ms.ceil() as u32, move || {
            if let Some(shared) = weak.upgrade() {
                shared.on_window_end();
            }
        });
        // The old timer is dropped after the swap: dropping it calls into JS.
        drop(self.reattach.replace(Some(timer)));
    }

    fn attach(self: &Rc<Self>) {
        // Capture: see non-bubbling and propagation-stopped events too.
        // Passive: we never call preventDefault, so scrolling is never blocked.
        let options = EventListenerOptions { phase: EventListenerPhase::Capture, passive: true };
        // Plain loops here and in `new`: no iterator-adapter code per collect.
        let mut listeners = Vec::with_capacity(self.events.len());
        for event_type in &self.events {
            let is_move = event_type.ends_with("move");
            let weak: Weak<Shared> = Rc::downgrade(self);
            listeners.push(EventListener::new_with_options(&self.target, event_type.clone(), options, move |event| {
                if let Some(shared) = weak.upgrade() {
                    shared.on_event(event, is_move);
                }
            }));
        }
        drop(self.listeners.replace(listeners));
    }

    fn detach(&self) {
        // Taken out first and dropped after the swap: each drop calls
        // `removeEventListener`. The listener running now is freed by
        // wasm-bindgen once it returns.
        drop(self.listeners.take());
    }
}

impl ActivityListener {
    /// Listens on `target` for each of `events` (see [`DEFAULT_EVENTS`]) and
    /// calls `on_activity` at most once per `throttle_ms` milliseconds (every
    /// event when `throttle_ms` is 0 or less).
    ///
    /// `on_activity` should capture only a `Weak` reference to the session;
    /// it may drop this listener from inside the call.
    pub fn new(
        target: &EventTarget,
        events: &[impl AsRef<str>],
        throttle_ms: f64,
        on_activity: impl FnMut() + 'static,
    ) -> ActivityListener {
        let mut owned_events = Vec::with_capacity(events.len());
        for event_type in events {
            owned_events.push(event_type.as_ref().to_owned());
        }
        let shared = Rc::new(Shared {
            target: target.clone(),
            events: owned_events,
            throttle_ms,
            last_report: Cell::new(f64::NEG_INFINITY),
            last_position: Cell::new(None),
            listeners: Cell::new(Vec::new()),
            reattach: Cell::new(None),
            closed: Cell::new(false),
            on_activity: Cell::new(Some(Box::new(on_activity))),
        });
        shared.attach();
        ActivityListener { shared }
    }
}

impl Drop for ActivityListener {
    fn drop(&mut self) {
        // Stop delivery first, so an event dispatched while the listeners are
        // being removed never reaches the callback.
        self.shared.closed.set(true);
        drop(self.shared.on_activity.take());
        drop(self.shared.reattach.take());
        self.shared.detach();
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use super::*;
    use crate::browser::test_util::wait_until;
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

    /// A fresh target that counts its live listeners (type, capture,
    /// function), read with [`live`].
    fn counting_target() -> EventTarget {
        js_sys::Function::new_no_args(
            "const t = new EventTarget(); const live = new Set();
             const key = (type, f, o) => [type, typeof o === 'boolean' ? o : !!(o && o.capture), f];
             const find = (k) => [...live].find((e) => e[0] === k[0] && e[1] === k[1] && e[2] === k[2]);
             t.addEventListener = function (type, f, o) { if (!find(key(type, f, o))) live.add(key(type, f, o)); return EventTarget.prototype.addEventListener.call(this, type, f, o); };
             t.removeEventListener = function (type, f, o) { const e = find(key(type, f, o)); if (e) live.delete(e); return EventTarget.prototype.removeEventListener.call(this, type, f, o); };
             t.live = () => live.size;
             return t;",
        )
        .call0(&JsValue::NULL)
        .unwrap()
        .unchecked_into()
    }

    /// How many listeners `target` (from [`counting_target`]) has attached.
    fn live(target: &EventTarget) -> u32 {
        let live: js_sys::Function = js_sys::Reflect::get(target, &"live".into()).unwrap().unchecked_into();
        live.call0(target).unwrap().as_f64().unwrap() as u32
    }

    /// Resolves once a timer armed now for `delay_ms` has fired: timers armed
    /// earlier for less have fired by then.
    async fn after_a_timer_of(delay_ms: u32) {
        let fired = Rc::new(Cell::new(false));
        let flag = fired.clone();
        let _timer = Timer::after(delay_ms, move || flag.set(true));
        assert!(wait_until(|| fired.get(), 10_000.0).await, "timer never fired");
    }

    #[wasm_bindgen_test]
    fn a_flood_within_the_window_calls_back_once_with_nothing_attached() {
        let target = counting_target();
        let (count, on_activity) = counter();
        // An hour-long window: the flood is inside it however slow the machine.
        let _listener = ActivityListener::new(&target, DEFAULT_EVENTS, 3_600_000.0, on_activity);
        assert_eq!(live(&target), DEFAULT_EVENTS.len() as u32, "one listener per event type");
        let event = Event::new("keydown").unwrap();
        for x in 0..1_000 {
            target.dispatch_event(&event).unwrap();
            target.dispatch_event(&pointer_move(x, 2)).unwrap();
        }
        assert_eq!(count.get(), 1);
        assert_eq!(live(&target), 0, "a listener stayed attached within the window");
    }

    #[wasm_bindgen_test]
    async fn the_first_event_after_the_window_is_reported() {
        let target = counting_target();
        let (count, on_activity) = counter();
        let _listener = ActivityListener::new(&target, DEFAULT_EVENTS, 20.0, on_activity);
        for round in 1..=3 {
            // Read before the report, so the window's end is at least 20 ms after it.
            let before_report = js_sys::Date::now();
            dispatch(&target, "keydown");
            assert_eq!(count.get(), round);
            dispatch(&target, "keydown");
            assert_eq!(count.get(), round, "a second report within the window");
            assert!(
                wait_until(|| live(&target) == DEFAULT_EVENTS.len() as u32, 10_000.0).await,
                "the listeners never came back"
            );
            // The window's end is read from the clock, not from the timer alone.
            assert!(js_sys::Date::now() - before_report >= 20.0, "re-attached inside the window");
        }
        dispatch(&target, "wheel");
        assert_eq!(count.get(), 4);
    }

    /// Makes `Date.now()` return `at` (the page's clock, as the listener
    /// reads it) until [`restore_clock`].
    fn set_clock(at: f64) {
        js_sys::Function::new_with_args(
            "at",
            "if (!window.__realNow) window.__realNow = Date.now; Date.now = () => at;",
        )
        .call1(&JsValue::NULL, &at.into())
        .unwrap();
    }

    fn restore_clock() {
        js_sys::Function::new_no_args(
            "if (window.__realNow) { Date.now = window.__realNow; delete window.__realNow; }",
        )
        .call0(&JsValue::NULL)
        .unwrap();
    }

    #[wasm_bindgen_test]
    async fn the_window_ends_by_the_clock_not_by_the_timer() {
        let target = counting_target();
        let (count, on_activity) = counter();
        let _listener = ActivityListener::new(&target, DEFAULT_EVENTS, 20.0, on_activity);
        let reported = js_sys::Date::now();
        set_clock(reported);
        dispatch(&target, "keydown");
        // The clock stands still: the 20-ms timer fires (more than once) but
        // the window has not passed by the clock, so nothing comes back.
        after_a_timer_of(80).await;
        let live_while_frozen = live(&target);
        restore_clock();
        assert_eq!(live_while_frozen, 0, "re-attached by the timer alone");
        assert!(wait_until(|| live(&target) == DEFAULT_EVENTS.len() as u32, 10_000.0).await);
        dispatch(&target, "keydown");
        assert_eq!(count.get(), 2);
    }

    #[wasm_bindgen_test]
    async fn a_clock_set_back_ends_the_window() {
        let target = counting_target();
        let (count, on_activity) = counter();
        // The wall clock goes back a day within the window: waiting until it
        // reads the window's end again would mute activity for a day, so the
        // timer's wake-up re-attaches.
        let _listener = ActivityListener::new(&target, DEFAULT_EVENTS, 50.0, on_activity);
        let now = js_sys::Date::now();
        dispatch(&target, "keydown");
        set_clock(now - 86_400_000.0);
        let back = wait_until(|| live(&target) == DEFAULT_EVENTS.len() as u32, 10_000.0).await;
        dispatch(&target, "keydown");
        restore_clock();
        assert!(back, "the listeners never came back");
        assert_eq!(count.get(), 2);
    }

    #[wasm_bindgen_test]
    async fn reports_again_after_the_window() {
        let target = target();
        let (count, on_activity) = counter();
        let _listener = ActivityListener::new(&target, &["keydown"], 20.0, on_activity);
        dispatch(&target, "keydown");
        let start = js_sys::Date::now();
        // Wait until the window has certainly passed, measured by the same
        // clock, and the re-attach timer with it.
        assert!(wait_until(|| js_sys::Date::now() - start > 40.0, 10_000.0).await);
        after_a_timer_of(25).await;
        dispatch(&target, "keydown");
        assert_eq!(count.get(), 2);
    }

    #[wasm_bindgen_test]
    async fn nothing_is_attached_after_drop_even_within_a_window() {
        let (attached, within) = (counting_target(), counting_target());
        let (count, on_activity) = counter();
        let (_, on_other) = counter();
        let listener = ActivityListener::new(&attached, DEFAULT_EVENTS, 20.0, on_activity);
        let other = ActivityListener::new(&within, DEFAULT_EVENTS, 20.0, on_other);
        dispatch(&within, "keydown");
        assert_eq!(live(&within), 0);
        drop(listener);
        drop(other);
        assert_eq!(live(&attached), 0, "listeners left after drop");
        // The re-attach timer (20 ms) has had its chance once a later one fired.
        after_a_timer_of(60).await;
        assert_eq!(live(&within), 0, "the re-attach timer outlived the drop");
        assert_eq!(live(&attached), 0);
        dispatch(&attached, "keydown");
        assert_eq!(count.get(), 0);
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
    fn an_event_the_callback_dispatches_is_absorbed() {
        let target = target();
        let count = Rc::new(Cell::new(0));
        let (c, t) = (count.clone(), target.clone());
        // Unthrottled, so the listeners stay while the callback runs.
        let _listener = ActivityListener::new(&target, &["keydown", "pointerdown"], 0.0, move || {
            c.set(c.get() + 1);
            dispatch(&t, "pointerdown");
        });
        dispatch(&target, "keydown");
        assert_eq!(count.get(), 1, "the nested report is the same moment");
        dispatch(&target, "keydown");
        assert_eq!(count.get(), 2, "the callback was put back");
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
        // Unthrottled (listeners stay) and throttled (they were just removed).
        for throttle_ms in [0.0, 3_600_000.0] {
            let target = counting_target();
            let slot: Rc<RefCell<Option<ActivityListener>>> = Rc::new(RefCell::new(None));
            let count = Rc::new(Cell::new(0));
            let (weak_slot, c) = (Rc::downgrade(&slot), count.clone());
            let listener = ActivityListener::new(&target, &["keydown"], throttle_ms, move || {
                c.set(c.get() + 1);
                let taken = weak_slot.upgrade().and_then(|slot| slot.borrow_mut().take());
                drop(taken);
            });
            *slot.borrow_mut() = Some(listener);
            dispatch(&target, "keydown");
            dispatch(&target, "keydown");
            assert_eq!(count.get(), 1);
            assert!(slot.borrow().is_none());
            assert_eq!(live(&target), 0);
        }
    }
}
