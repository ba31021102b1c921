//! The shell's own executor for its few tasks, in place of
//! `wasm_bindgen_futures::spawn_local`.
//!
//! Every task the shell runs awaits only promises (`JsFuture`), and a promise
//! wakes its task from its own reaction job, at the top of the JS stack. So a
//! wake can poll the task at once: no queue, no `queueMicrotask` callback and
//! no JSPI check, which `spawn_local` links in. The first poll waits for a
//! resolved promise, so a task never starts inside the call that spawns it (it
//! may be spawned while effects are being carried out).
//!
//! A wake while the task is being polled (never seen with promises, allowed by
//! `Future`) polls it again once that poll returns. A wake of a task that has
//! ended does nothing.

// The waker below is an `Rc`: sound only where no waker can reach another thread.
#[cfg(target_feature = "atomics")]
compile_error!("browser::task's waker is single-threaded: build without `atomics`");

use std::cell::Cell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, RawWaker, RawWakerVTable, Waker};

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// A task: the shell boxes every one to this one type.
pub(crate) type Task = Pin<Box<dyn Future<Output = ()>>>;

/// A spawned task, shared by its wakers. `future` is `None` while it is being
/// polled and once it has ended.
struct Spawned {
    future: Cell<Option<Task>>,
    woken_while_polled: Cell<bool>,
    /// The resolved promise whose reaction polls the task first, kept until then.
    start: Cell<Option<JsFuture>>,
}

/// Runs `task` from the next microtask on, each part when what it awaits settles.
pub(crate) fn spawn(task: Task) {
    let spawned = Rc::new(Spawned {
        future: Cell::new(Some(task)),
        woken_while_polled: Cell::new(false),
        start: Cell::new(None),
    });
    // A promise already resolved wakes its waiter from the next microtask.
    let mut start = JsFuture::from(Promise::resolve(&JsValue::UNDEFINED));
    let _ = Pin::new(&mut start).poll(&mut Context::from_waker(&waker(Rc::clone(&spawned))));
    spawned.start.set(Some(start));
}

/// Polls the task until it is pending and was not woken meanwhile, or has ended.
fn poll(spawned: &Rc<Spawned>) {
    loop {
        let Some(mut future) = spawned.future.take() else {
            spawned.woken_while_polled.set(true);
            return;
        };
        spawned.woken_while_polled.set(false);
        drop(spawned.start.take());
        if future.as_mut().poll(&mut Context::from_waker(&waker(Rc::clone(spawned)))).is_ready() {
            return;
        }
        spawned.future.set(Some(future));
        if !spawned.woken_while_polled.get() {
            return;
        }
    }
}

// A waker is an `Rc<Spawned>`. `Waker` is `Send`, but this build is
// single-threaded wasm (no `atomics`): no waker ever leaves the thread.
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

fn waker(spawned: Rc<Spawned>) -> Waker {
    // SAFETY: the data pointer is an `Rc<Spawned>` the waker owns, as the
    // vtable's functions expect.
    unsafe { Waker::from_raw(RawWaker::new(Rc::into_raw(spawned).cast(), &VTABLE)) }
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: `data` came from `Rc::into_raw` in `waker` and is still owned.
    unsafe { Rc::increment_strong_count(data.cast::<Spawned>()) };
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: as above; this takes over the waker's count.
    let spawned = unsafe { Rc::from_raw(data.cast::<Spawned>()) };
    poll(&spawned);
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: as above; the waker keeps its count.
    let spawned = ManuallyDrop::new(unsafe { Rc::from_raw(data.cast::<Spawned>()) });
    poll(&spawned);
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: as above; this gives back the waker's count.
    drop(unsafe { Rc::from_raw(data.cast::<Spawned>()) });
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use super::*;
    use crate::browser::test_util::wait_until;
    use std::cell::RefCell;
    use std::task::Poll;
    use wasm_bindgen_test::wasm_bindgen_test;

    type Log = Rc<RefCell<Vec<&'static str>>>;

    /// A promise a timer resolves, and the timer (dropping it cancels).
    fn promise_resolved_later() -> (Promise, gloo_timers::callback::Timeout) {
        let (promise, settle) = crate::browser::new_promise();
        let (resolve, _) = settle.unwrap();
        (promise, gloo_timers::callback::Timeout::new(5, move || drop(resolve.call0(&JsValue::UNDEFINED))))
    }

    #[wasm_bindgen_test]
    async fn a_task_starts_after_the_call_that_spawns_it_and_runs_through_its_awaits() {
        let log: Log = Rc::default();
        let task_log = log.clone();
        spawn(Box::pin(async move {
            task_log.borrow_mut().push("started");
            let (promise, _timer) = promise_resolved_later();
            let _ = JsFuture::from(promise).await;
            task_log.borrow_mut().push("after a timer's promise");
            let _ = JsFuture::from(Promise::reject(&JsValue::NULL)).await;
            task_log.borrow_mut().push("after a rejected promise");
        }));
        log.borrow_mut().push("spawn returned");
        assert!(wait_until(|| log.borrow().len() == 4, 10_000.0).await, "the task did not finish: {:?}", log.borrow());
        assert_eq!(*log.borrow(), ["spawn returned", "started", "after a timer's promise", "after a rejected promise"]);
    }

    /// Wakes its own task during its first poll, then is ready: the executor
    /// must poll again, or it never ends. Keeps its waker, woken again at the end.
    struct WakesItselfOnce {
        polls: Rc<Cell<u32>>,
        kept: Rc<RefCell<Option<Waker>>>,
    }

    impl Future for WakesItselfOnce {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.polls.set(self.polls.get() + 1);
            *self.kept.borrow_mut() = Some(cx.waker().clone());
            if self.polls.get() == 1 {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(())
        }
    }

    #[wasm_bindgen_test]
    async fn a_task_woken_while_polled_is_polled_again_and_a_wake_after_its_end_does_nothing() {
        let polls = Rc::new(Cell::new(0));
        let kept = Rc::new(RefCell::new(None));
        spawn(Box::pin(WakesItselfOnce { polls: polls.clone(), kept: kept.clone() }));
        assert!(wait_until(|| polls.get() == 2, 10_000.0).await, "polled {} times, not 2", polls.get());
        let waker = kept.borrow_mut().take().unwrap();
        waker.wake_by_ref();
        waker.wake();
        assert_eq!(polls.get(), 2, "an ended task was polled again");
    }
}
