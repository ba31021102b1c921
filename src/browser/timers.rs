//! One-shot timers (`setTimeout`).
//!
//! The core asks for "wake me at T" (idle warning, idle expiry, refresh due,
//! countdown tick); the shell arms a [`Timer`] for the delay and feeds the
//! core the clock when it fires. A timer is only a wake-up: background tabs
//! throttle timers (to once a second, or once a minute under intensive
//! throttling) and a frozen or sleeping machine fires them late, so the core
//! always re-reads the clock when woken instead of trusting the delay.
//!
//! Delays above `i32::MAX` ms (about 24.8 days) overflow `setTimeout` and fire
//! immediately in every browser; [`Timer::after`] clamps them to `i32::MAX`,
//! which only means an early wake-up that the core answers by re-arming.

use gloo_timers::callback::Timeout;

/// The longest delay `setTimeout` honours (2^31 - 1 ms).
pub const MAX_DELAY_MS: u32 = i32::MAX as u32;

/// A promise that resolves (or, with `reject`, rejects) after `delay_ms`
/// (clamped like [`Timer::after`]), while the returned timer lives: a
/// deadline to race other promises with. Dropping the timer cancels it (the
/// promise then never settles). Built on [`Timer`], so the wasm holds one
/// `setTimeout` binding, not two.
pub fn settles_after(delay_ms: u32, reject: bool) -> (js_sys::Promise, Option<Timer>) {
    let (promise, settle) = super::new_promise();
    let timer = settle.map(|(resolve, rejecting)| {
        let settle = if reject { rejecting } else { resolve };
        Timer::after(delay_ms, move || {
            let _ = settle.call0(&wasm_bindgen::JsValue::UNDEFINED);
        })
    });
    (promise, timer)
}

/// A scheduled one-shot callback. Dropping the handle cancels it.
#[derive(Debug)]
#[must_use = "a Timer is cancelled when dropped; keep the handle for as long as it should fire"]
pub struct Timer {
    timeout: Timeout,
}

impl Timer {
    /// Calls `f` once, after `delay_ms` milliseconds (clamped to
    /// [`MAX_DELAY_MS`]), unless the returned handle is dropped first.
    pub fn after(delay_ms: u32, f: impl FnOnce() + 'static) -> Timer {
        Timer::after_boxed(delay_ms, Box::new(f))
    }

    /// One `Timeout` type for every timer: one copy of its closure glue in the wasm.
    #[inline(never)]
    fn after_boxed(delay_ms: u32, f: Box<dyn FnOnce()>) -> Timer {
        Timer { timeout: Timeout::new(delay_ms.min(MAX_DELAY_MS), f) }
    }

    /// Cancels the timer (same as dropping it). Harmless if it already fired.
    pub fn cancel(self) {
        drop(self.timeout.cancel());
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use super::*;
    use crate::browser::test_util::wait_until;
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    async fn fires() {
        let fired = Rc::new(Cell::new(false));
        let flag = fired.clone();
        let _timer = Timer::after(10, move || flag.set(true));
        assert!(wait_until(|| fired.get(), 10_000.0).await, "timer never fired");
    }

    #[wasm_bindgen_test]
    async fn dropped_or_cancelled_before_firing_never_fires() {
        let dropped_fired = Rc::new(Cell::new(false));
        let cancelled_fired = Rc::new(Cell::new(false));
        let sentinel_fired = Rc::new(Cell::new(false));
        let (d, c, s) = (dropped_fired.clone(), cancelled_fired.clone(), sentinel_fired.clone());

        drop(Timer::after(1, move || d.set(true)));
        Timer::after(1, move || c.set(true)).cancel();
        // setTimeout runs timers with a shorter or equal delay first, so once
        // the sentinel has fired the cancelled ones would have fired too.
        let _sentinel = Timer::after(20, move || s.set(true));

        assert!(wait_until(|| sentinel_fired.get(), 10_000.0).await, "sentinel never fired");
        assert!(!dropped_fired.get(), "dropped timer fired");
        assert!(!cancelled_fired.get(), "cancelled timer fired");
    }

    #[wasm_bindgen_test]
    async fn huge_delay_is_clamped_not_immediate() {
        let fired = Rc::new(Cell::new(false));
        let sentinel = Rc::new(Cell::new(false));
        let (f, s) = (fired.clone(), sentinel.clone());
        // Unclamped, u32::MAX would wrap to -1 and fire at once.
        let _long = Timer::after(u32::MAX, move || f.set(true));
        let _sentinel = Timer::after(1, move || s.set(true));
        assert!(wait_until(|| sentinel.get(), 10_000.0).await);
        assert!(!fired.get(), "a u32::MAX delay fired immediately");
    }
}
