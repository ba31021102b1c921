//! Cross-tab mutual exclusion: the Web Locks API (`navigator.locks`).
//!
//! Token refresh must run in one tab at a time ("single flight"): the tab
//! that gets the lock refreshes and broadcasts the result; the others wait,
//! then find the fresh token. [`request`] asks for an exclusive lock by name
//! and hands the callback a [`LockGuard`]; the browser holds the lock for
//! exactly as long as the guard lives, across every tab of the origin, and
//! releases it if the tab goes away.
//!
//! # How it maps onto the API
//!
//! `navigator.locks.request(name, { signal }, callback)` calls `callback` when
//! the lock is granted and holds the lock until the promise `callback` returns
//! settles. Our callback returns a promise that only the guard resolves (on
//! drop or [`LockGuard::release`]). The binding is hand-written because
//! web-sys's `LockManager` needs `--cfg=web_sys_unstable_apis`.
//!
//! Dropping a [`LockRequest`] that has not been granted aborts it through its
//! `AbortSignal` (the resulting `AbortError` rejection is swallowed). If the
//! grant already raced ahead (the browser queued the callback before the
//! abort), the callback sees the request cancelled and releases the lock at
//! once without calling the user. The grant closure is owned by a small task
//! (`spawn_local`) that awaits the request's promise and drops the closure
//! when it settles, so nothing leaks and nothing is freed while the browser
//! can still call it.
//!
//! # Fallback
//!
//! Without `navigator.locks` (old browsers, and every page not in a secure
//! context: plain HTTP on a real host), or if the browser rejects a request
//! before granting it, requests go to an in-page FIFO queue per name, and the
//! request at the head of the queue must then also win a *lease* in
//! `localStorage` (key [`crate::core::keys::lease_key`]) before it is granted.
//! [`crate::core::lease`] decides everything: when to write, when to read back,
//! when to retry, when to renew, what it may remove, and the window that
//! remains. This file only reads, writes and sleeps, with `Date.now()` and
//! `Math.random()` as the claim's inputs. Dropping the guard removes the lease
//! if it is still ours. Without usable `localStorage` the queue alone excludes
//! within the page. Grants are always delivered asynchronously, never from
//! inside [`request`] or a guard's drop, so the caller is never re-entered.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use web_sys::AbortController;

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks`.
    type LockManager;

    /// `LockManager.request(name, options, callback)`.
    #[wasm_bindgen(method, catch, js_name = request)]
    fn request(this: &LockManager, name: &str, options: &Object, callback: &Function) -> Result<Promise, JsValue>;
}

/// Whether the browser offers the Web Locks API here (`navigator.locks`;
/// secure contexts only). Without it, [`request`] only excludes within the page.
pub fn lock_manager_available() -> bool {
    lock_manager().is_some()
}

fn lock_manager() -> Option<LockManager> {
    let get = |target: &JsValue, key: &str| super::get(target, key).ok();
    let navigator = get(&js_sys::global(), "navigator").filter(JsValue::is_object)?;
    let locks = get(&navigator, "locks").filter(JsValue::is_object)?;
    get(&locks, "request").filter(JsValue::is_function)?;
    Some(locks.unchecked_into())
}

/// Requests the exclusive lock `name`; `on_granted` receives the guard when
/// it is this request's turn. Requests for one name are granted in order.
///
/// Keep the returned [`LockRequest`] until the callback has run: dropping it
/// before the grant cancels the request (the callback never runs). Dropping
/// it after the grant changes nothing: the guard alone holds the lock.
/// `on_granted` should capture only a `Weak` reference to the session.
pub fn request(name: &str, on_granted: impl FnOnce(LockGuard) + 'static) -> LockRequest {
    match lock_manager() {
        Some(manager) => request_web(&manager, name, Box::new(on_granted)),
        None => request_in_page(name, Box::new(on_granted)),
    }
}

/// A pending (or granted) lock request. Dropping it before the grant
/// cancels the request.
#[derive(Debug)]
#[must_use = "dropping a LockRequest cancels it"]
pub struct LockRequest {
    state: Rc<RequestState>,
    abort: Option<AbortController>,
}

impl LockRequest {
    /// Whether the lock has been granted (the callback has run or is running).
    pub fn is_granted(&self) -> bool {
        self.state.phase.get() == Phase::Granted
    }
}

impl Drop for LockRequest {
    fn drop(&mut self) {
        if self.state.phase.get() != Phase::Pending {
            return;
        }
        self.state.phase.set(Phase::Cancelled);
        // Taken out of its cell, then dropped (its captures may run code).
        let callback = self.state.on_granted.take();
        drop(callback);
        if let Some(abort) = &self.abort {
            // Rejects the browser's request with an AbortError if it is still
            // queued; a no-op if the grant is already on its way.
            abort.abort();
        }
        in_page::withdraw(&self.state);
    }
}

/// Holds a lock. Dropping it (or [`LockGuard::release`]) releases the lock.
#[must_use = "the lock is released when the guard is dropped"]
pub struct LockGuard {
    name: String,
    release: Option<Release>,
}

#[derive(Debug)]
enum Release {
    /// Resolves the promise the Web Locks callback returned.
    Web(Function),
    /// Frees the name in the in-page queue.
    InPage,
    /// Removes our `localStorage` lease, then frees the in-page queue.
    Lease(Rc<lease::HeldLease>),
}

impl LockGuard {
    /// The lock's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Releases the lock (same as dropping the guard).
    pub fn release(self) {}
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        match self.release.take() {
            Some(Release::Web(resolve)) => {
                // Resolving never throws; if it did, the page going away
                // would still release the lock.
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
            Some(Release::InPage) => in_page::release(&self.name),
            Some(Release::Lease(lease)) => {
                lease.release();
                in_page::release(&self.name);
            }
            None => {}
        }
    }
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard").field("name", &self.name).field("release", &self.release).finish()
    }
}

/// The user's grant callback.
type OnGranted = Box<dyn FnOnce(LockGuard)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Pending,
    Granted,
    Cancelled,
}

/// What a request shares with the closure or queue that grants it.
struct RequestState {
    name: String,
    phase: Cell<Phase>,
    on_granted: Cell<Option<OnGranted>>,
}

impl RequestState {
    fn new(name: &str, on_granted: OnGranted) -> Rc<Self> {
        Rc::new(RequestState {
            name: name.to_owned(),
            phase: Cell::new(Phase::Pending),
            on_granted: Cell::new(Some(on_granted)),
        })
    }

    /// Hands `guard` to the user, or releases it at once if the request was
    /// cancelled meanwhile (the grant raced with the drop).
    fn grant(&self, guard: LockGuard) {
        if self.phase.get() != Phase::Pending {
            drop(guard);
            return;
        }
        self.phase.set(Phase::Granted);
        let callback = self.on_granted.take();
        match callback {
            Some(callback) => callback(guard),
            None => drop(guard),
        }
    }
}

impl fmt::Debug for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestState").field("name", &self.name).field("phase", &self.phase.get()).finish()
    }
}

fn request_web(manager: &LockManager, name: &str, on_granted: OnGranted) -> LockRequest {
    let state = RequestState::new(name, on_granted);
    let abort = AbortController::new().ok();
    let options = Object::new();
    if let Some(abort) = &abort {
        // Without a signal a dropped request still never reaches the user:
        // its grant is released at once (see `RequestState::grant`).
        let _ = super::put(&options, "signal", &abort.signal());
    }

    let granted = state.clone();
    let grant = Closure::<dyn FnMut() -> Promise>::new(move || {
        let (held, settle) = super::new_promise();
        let guard =
            LockGuard { name: granted.name.clone(), release: settle.map(|(resolve, _reject)| Release::Web(resolve)) };
        granted.grant(guard);
        held
    });

    match manager.request(name, &options, grant.as_ref().unchecked_ref()) {
        // The lease task waits for the browser's request to settle, then
        // drops the closure, and falls back to the in-page queue if it must.
        Ok(done) => lease::grant_when_won(name.to_owned(), Some((done, grant, state.clone()))),
        Err(_) => {
            drop(grant);
            in_page::enqueue(state.clone());
        }
    }
    LockRequest { state, abort }
}

/// The in-page fallback: a FIFO queue per lock name.
fn request_in_page(name: &str, on_granted: OnGranted) -> LockRequest {
    let state = RequestState::new(name, on_granted);
    in_page::enqueue(state.clone());
    LockRequest { state, abort: None }
}

mod in_page {
    //! Per-name FIFO queues for pages without the Web Locks API.

    use super::*;

    #[derive(Default)]
    struct NameQueue {
        held: bool,
        /// Oldest first.
        waiting: Vec<Rc<RequestState>>,
    }

    thread_local! {
        static QUEUES: RefCell<crate::browser::VecMap<NameQueue>> = const { RefCell::new(crate::browser::VecMap::new()) };
    }

    /// Runs `f` on the queues; `None` if they are unreachable (never, in
    /// practice: single-threaded, and no borrow is held across a call out).
    fn with_queues<R>(f: impl FnOnce(&mut crate::browser::VecMap<NameQueue>) -> R) -> Option<R> {
        QUEUES.try_with(|queues| queues.try_borrow_mut().ok().map(|mut queues| f(&mut queues))).ok().flatten()
    }

    pub(super) fn enqueue(state: Rc<RequestState>) {
        let name = state.name.clone();
        push(state);
        schedule_grant(name);
    }

    /// Queues `state` last for its name.
    pub(super) fn push(state: Rc<RequestState>) {
        with_queues(move |queues| {
            if let Some(queue) = queues.get_or_insert_with(&state.name, NameQueue::default) {
                queue.waiting.push(state);
            }
        });
    }

    /// Removes a cancelled request from its queue.
    pub(super) fn withdraw(state: &Rc<RequestState>) {
        with_queues(|queues| {
            if let Some(queue) = queues.get_mut(&state.name) {
                // Queued once at most (`enqueue` runs once per request).
                if let Some(index) = queue.waiting.iter().position(|waiting| Rc::ptr_eq(waiting, state)) {
                    queue.waiting.remove(index);
                }
            }
        });
    }

    pub(super) fn release(name: &str) {
        with_queues(|queues| {
            if let Some(queue) = queues.get_mut(name) {
                queue.held = false;
            }
        });
        schedule_grant(name.to_owned());
    }

    /// Grants the next waiter, if the lock is free, on a later microtask:
    /// the lease task chooses it ([`next`]) when it first runs (one task
    /// type for both steps).
    fn schedule_grant(name: String) {
        lease::grant_when_won(name, None);
    }

    /// The next waiter for `name`, marked as holding it, if the lock is free.
    pub(super) fn next(name: &str) -> Option<Rc<RequestState>> {
        // Choose and mark held inside the borrow; call the user after it.
        with_queues(|queues| {
            let queue = queues.get_mut(name)?;
            if queue.held {
                return None;
            }
            while !queue.waiting.is_empty() {
                let state = queue.waiting.remove(0);
                if state.phase.get() == Phase::Pending {
                    queue.held = true;
                    return Some(state);
                }
            }
            // Free and nobody waiting: drop the name.
            queues.remove(name);
            None
        })
        .flatten()
    }

    /// How many requests wait on `name`; `None` if the name is not tracked.
    #[cfg(test)]
    pub(super) fn queue_len(name: &str) -> Option<usize> {
        with_queues(|queues| queues.get(name).map(|queue| queue.waiting.len())).flatten()
    }
}

mod lease;

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use super::*;
    use crate::browser::test_util::{unique, wait_until, yield_to_browser};
    use wasm_bindgen_futures::JsFuture;
    use wasm_bindgen_test::wasm_bindgen_test;

    type Requester = fn(&str, OnGranted) -> LockRequest;

    fn web(name: &str, on_granted: OnGranted) -> LockRequest {
        assert!(lock_manager_available(), "headless Chrome on localhost has navigator.locks");
        request(name, on_granted)
    }

    fn fallback(name: &str, on_granted: OnGranted) -> LockRequest {
        request_in_page(name, on_granted)
    }

    type Slot = Rc<RefCell<Option<LockGuard>>>;

    /// A request whose guard lands in the returned slot.
    fn hold(requester: Requester, name: &str) -> (Slot, LockRequest) {
        let slot: Slot = Rc::new(RefCell::new(None));
        let s = slot.clone();
        let request = requester(name, Box::new(move |guard| *s.borrow_mut() = Some(guard)));
        (slot, request)
    }

    fn is_held(slot: &Slot) -> bool {
        slot.borrow().is_some()
    }

    /// Lets the browser run a good number of tasks: enough for a wrong grant
    /// to show up. Not a timing assumption: the assertions after it hold
    /// however long it takes.
    async fn settle() {
        for _ in 0..20 {
            yield_to_browser().await;
        }
    }

    /// Whether the browser's own lock `name` is free right now.
    async fn browser_lock_is_free(name: &str) -> bool {
        let probe = Function::new_with_args(
            "name",
            "return navigator.locks.request(name, { ifAvailable: true }, lock => lock !== null);",
        );
        let promise: Promise = probe.call1(&JsValue::NULL, &JsValue::from_str(name)).unwrap().unchecked_into();
        JsFuture::from(promise).await.unwrap().as_bool().unwrap()
    }

    async fn second_waits_for_first(requester: Requester) {
        let name = unique("serial");
        let (first, first_request) = hold(requester, &name);
        let (second, second_request) = hold(requester, &name);
        assert!(wait_until(|| is_held(&first), 10_000.0).await, "first never granted");
        assert!(first_request.is_granted());
        settle().await;
        assert!(!is_held(&second), "second granted while the first guard lives");
        assert!(!second_request.is_granted());

        let guard = first.borrow_mut().take().unwrap();
        assert_eq!(guard.name(), name);
        guard.release();
        assert!(wait_until(|| is_held(&second), 10_000.0).await, "second never granted");
        drop(second.borrow_mut().take());
    }

    async fn dropped_pending_request_never_runs(requester: Requester) {
        let name = unique("cancel");
        let (first, _first_request) = hold(requester, &name);
        let (dropped, dropped_request) = hold(requester, &name);
        let (third, _third_request) = hold(requester, &name);
        assert!(wait_until(|| is_held(&first), 10_000.0).await);
        drop(dropped_request);
        drop(first.borrow_mut().take());
        assert!(wait_until(|| is_held(&third), 10_000.0).await, "the next request never got the lock");
        assert!(!is_held(&dropped), "a dropped request's callback ran");
        drop(third.borrow_mut().take());
    }

    async fn drop_racing_the_grant_releases(requester: Requester) {
        let name = unique("race");
        // The lock is free, so the grant is already on its way when we drop.
        let (raced, raced_request) = hold(requester, &name);
        drop(raced_request);
        let (next, _next_request) = hold(requester, &name);
        assert!(wait_until(|| is_held(&next), 10_000.0).await, "the lock stayed held after the drop");
        assert!(!is_held(&raced));
        drop(next.borrow_mut().take());
    }

    #[wasm_bindgen_test]
    async fn web_second_waits_for_first() {
        second_waits_for_first(web).await;
    }

    #[wasm_bindgen_test]
    async fn web_dropped_pending_request_never_runs() {
        dropped_pending_request_never_runs(web).await;
    }

    #[wasm_bindgen_test]
    async fn web_drop_racing_the_grant_releases() {
        drop_racing_the_grant_releases(web).await;
    }

    #[wasm_bindgen_test]
    async fn web_grant_arriving_after_the_drop_is_released_at_once() {
        let name = unique("late-grant");
        let (late, mut late_request) = hold(web, &name);
        // Without its abort signal the request cannot be withdrawn: the grant
        // arrives after the drop, as when the browser had already queued it.
        late_request.abort = None;
        drop(late_request);
        let (next, _next_request) = hold(web, &name);
        assert!(wait_until(|| is_held(&next), 10_000.0).await, "the late grant kept the lock");
        assert!(!is_held(&late), "a dropped request's callback ran");
        drop(next.borrow_mut().take());
    }

    #[wasm_bindgen_test]
    async fn web_guard_holds_the_browser_lock() {
        let name = unique("browser");
        let (slot, _request) = hold(web, &name);
        assert!(wait_until(|| is_held(&slot), 10_000.0).await);
        assert!(!browser_lock_is_free(&name).await, "navigator.locks does not see the lock held");
        drop(slot.borrow_mut().take());
        // Release is a promise resolution: poll until the browser sees it.
        let mut free = false;
        for _ in 0..200 {
            if browser_lock_is_free(&name).await {
                free = true;
                break;
            }
            yield_to_browser().await;
        }
        assert!(free, "dropping the guard did not release the browser lock");
    }

    fn local_storage() -> web_sys::Storage {
        web_sys::window().unwrap().local_storage().unwrap().unwrap()
    }

    fn lease_key(name: &str) -> String {
        crate::core::keys::lease_key(name)
    }

    fn foreign_lease(name: &str, expires: f64) {
        let mut value = String::from("another-tab|");
        value.push_str(&(expires as u64).to_string());
        local_storage().set_item(&lease_key(name), &value).unwrap();
    }

    #[wasm_bindgen_test]
    async fn without_web_locks_another_tabs_lease_blocks_until_it_is_released() {
        let name = unique("lease");
        foreign_lease(&name, js_sys::Date::now() + 20_000.0);
        let (slot, _request) = hold(fallback, &name);
        for _ in 0..10 {
            gloo_timers::future::TimeoutFuture::new(30).await;
            assert!(!is_held(&slot), "granted while another tab holds the lease");
        }
        local_storage().remove_item(&lease_key(&name)).unwrap();
        assert!(wait_until(|| is_held(&slot), 10_000.0).await, "never granted after the lease was freed");
        let stored = local_storage().get_item(&lease_key(&name)).unwrap().unwrap();
        assert!(!stored.starts_with("another-tab|"), "our lease is in storage");
        drop(slot.borrow_mut().take());
        assert_eq!(local_storage().get_item(&lease_key(&name)).unwrap(), None, "released on drop");
    }

    #[wasm_bindgen_test]
    async fn an_expired_or_implausible_lease_of_a_closed_tab_is_taken_over() {
        let lease_ms = crate::core::lease::LEASE_MS as f64;
        for expires in [js_sys::Date::now() - 1.0, js_sys::Date::now() + 10.0 * lease_ms] {
            let name = unique("stale-lease");
            foreign_lease(&name, expires);
            let (slot, _request) = hold(fallback, &name);
            assert!(wait_until(|| is_held(&slot), 10_000.0).await, "a dead lease blocked the lock");
            drop(slot.borrow_mut().take());
        }
    }

    #[wasm_bindgen_test]
    async fn a_request_dropped_while_settling_its_lease_leaves_none_behind() {
        let name = unique("dropped-lease");
        let (slot, request) = hold(fallback, &name);
        yield_to_browser().await; // the lease is written, its settle time running
        drop(request);
        gloo_timers::future::TimeoutFuture::new(200).await;
        assert!(!is_held(&slot));
        assert_eq!(local_storage().get_item(&lease_key(&name)).unwrap(), None, "no lease blocks other tabs");
    }

    #[wasm_bindgen_test]
    async fn release_leaves_a_lease_another_tab_wrote_meanwhile() {
        let name = unique("taken-lease");
        let (slot, _request) = hold(fallback, &name);
        assert!(wait_until(|| is_held(&slot), 10_000.0).await);
        // As if our lease had expired under us and another tab took it.
        foreign_lease(&name, js_sys::Date::now() + 20_000.0);
        drop(slot.borrow_mut().take());
        let stored = local_storage().get_item(&lease_key(&name)).unwrap().unwrap();
        assert!(stored.starts_with("another-tab|"), "the other tab's lease was removed");
        local_storage().remove_item(&lease_key(&name)).unwrap();
    }

    #[wasm_bindgen_test]
    async fn in_page_second_waits_for_first() {
        second_waits_for_first(fallback).await;
    }

    #[wasm_bindgen_test]
    async fn in_page_dropped_pending_request_never_runs() {
        dropped_pending_request_never_runs(fallback).await;
    }

    #[wasm_bindgen_test]
    async fn in_page_drop_racing_the_grant_releases() {
        drop_racing_the_grant_releases(fallback).await;
    }

    #[wasm_bindgen_test]
    async fn in_page_grants_in_order_one_at_a_time_and_never_synchronously() {
        let name = unique("fifo");
        let granted: Rc<RefCell<Vec<(usize, LockGuard)>>> = Rc::new(RefCell::new(Vec::new()));
        let mut requests = Vec::new();
        for i in 0..5 {
            let g = granted.clone();
            requests.push(fallback(&name, Box::new(move |guard| g.borrow_mut().push((i, guard)))));
            assert!(granted.borrow().is_empty(), "granted synchronously inside request()");
        }
        let mut order = Vec::new();
        for _ in 0..5 {
            assert!(wait_until(|| !granted.borrow().is_empty(), 10_000.0).await);
            settle().await;
            assert_eq!(granted.borrow().len(), 1, "two holders at once");
            let (index, guard) = granted.borrow_mut().pop().unwrap();
            order.push(index);
            drop(guard);
            assert!(granted.borrow().is_empty(), "granted synchronously inside a guard's drop");
        }
        assert_eq!(order, [0, 1, 2, 3, 4]);
        settle().await;
        assert_eq!(in_page::queue_len(&name), None, "a free, unwanted name was not forgotten");
    }
}
