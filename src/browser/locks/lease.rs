//! The `localStorage` lease for pages without Web Locks: this module only
//! reads, writes and sleeps; [`LeaseClaim`] decides (`core::lease`).

use super::*;
use crate::browser::spawn;
use crate::browser::timers::settles_after;
use crate::core::keys;
use crate::core::lease::{LeaseClaim, LeaseStep};
use wasm_bindgen_futures::JsFuture;
use web_sys::Storage;

/// A lease won for a granted lock, shared by its guard and the task that
/// renews it.
#[derive(Debug)]
pub(super) struct HeldLease {
    key: String,
    claim: RefCell<LeaseClaim>,
    released: Cell<bool>,
}

impl HeldLease {
    /// Removes the lease if it is still ours, and stops the renewals.
    pub(super) fn release(&self) {
        self.released.set(true);
        if let Some(storage) = storage() {
            remove_if_ours(&storage, &self.key, &self.claim);
        }
    }
}

fn storage() -> Option<Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn now_ms() -> u64 {
    let now = js_sys::Date::now();
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

fn random_u32() -> u32 {
    (js_sys::Math::random() * 4_294_967_296.0) as u32
}

fn remove_if_ours(storage: &Storage, key: &str, claim: &RefCell<LeaseClaim>) {
    let Ok(stored) = storage.get_item(key) else { return };
    let ours = claim.try_borrow().is_ok_and(|claim| claim.should_remove(stored.as_deref()));
    if ours {
        let _ = storage.remove_item(key);
    }
}

/// A Web Locks request in flight: the promise `LockManager.request`
/// returned, the grant closure it may still call, and the request.
pub(super) type WebRequest = (Promise, Closure<dyn FnMut() -> Promise>, Rc<RequestState>);

/// On a later microtask, takes the next waiter of the in-page queue for
/// `name` (if the lock is free) and grants it once it holds the lease, then
/// renews the lease until the guard is dropped. Without usable storage it
/// grants at once, excluding within the page only. A request cancelled
/// meanwhile frees the queue and any lease it wrote.
///
/// With a Web Locks request, it first waits for the browser to settle it
/// (then drops its grant closure, which the browser will never call again),
/// and goes on to the in-page queue only if the browser rejected it without a
/// grant and not by our abort (e.g. a SecurityError in an opaque origin). One
/// task type for every lock flow.
pub(super) fn grant_when_won(name: String, web: Option<WebRequest>) {
    spawn(async move {
        if let Some((done, grant, waiting)) = web {
            // A polyfill's thenable that settles inside `then` is more than
            // `JsFuture` can take: a native promise of it.
            let fulfilled = JsFuture::from(Promise::resolve(&done)).await.is_ok();
            drop(grant);
            if fulfilled || waiting.phase.get() != Phase::Pending {
                return;
            }
            in_page::push(waiting);
        }
        let Some(state) = in_page::next(&name) else { return };
        let owner = crate::browser::random::id128().map(crate::core::Id128);
        let (Some(storage), Ok(owner)) = (storage(), owner) else {
            state.grant(LockGuard { name, release: Some(Release::InPage) });
            return;
        };
        let lease = Rc::new(HeldLease {
            key: keys::lease_key(&name),
            claim: RefCell::new(LeaseClaim::new(owner)),
            released: Cell::new(false),
        });
        let mut granted = false;
        loop {
            if lease.released.get() {
                return; // the guard removed the lease
            }
            if !granted && state.phase.get() != Phase::Pending {
                // Cancelled, maybe after writing: free the lease, or the
                // other tabs would wait out its expiry.
                remove_if_ours(&storage, &lease.key, &lease.claim);
                in_page::release(&name);
                return;
            }
            // Read, decide and write in one task: the claim relies on it.
            // No borrow is held across a call into the browser.
            let stored = storage.get_item(&lease.key);
            let mut step = match (stored, lease.claim.try_borrow_mut()) {
                (Ok(stored), Ok(mut claim)) => claim.handle_read(now_ms(), stored.as_deref(), random_u32()),
                (Err(_), Ok(mut claim)) => claim.handle_storage_failure(),
                (_, Err(_)) => return,
            };
            if let LeaseStep::Write { value, read_at } = &step {
                step = match storage.set_item(&lease.key, value) {
                    Ok(()) => LeaseStep::ReadAt(*read_at),
                    Err(_) => match lease.claim.try_borrow_mut() {
                        Ok(mut claim) => claim.handle_storage_failure(),
                        Err(_) => return,
                    },
                };
            }
            let wake_at = match step {
                LeaseStep::Write { read_at, .. } | LeaseStep::ReadAt(read_at) => read_at,
                LeaseStep::Granted { renew_at } => {
                    granted = true;
                    // The user's callback runs here; no borrow is held.
                    state.grant(LockGuard { name: name.clone(), release: Some(Release::Lease(lease.clone())) });
                    renew_at
                }
                LeaseStep::InPageOnly => {
                    state.grant(LockGuard { name, release: Some(Release::InPage) });
                    return;
                }
                // Our lease expired or was taken while held: stop renewing.
                LeaseStep::Lost => return,
            };
            // Awaited in place, not through a sleep helper: one future fewer.
            let (wake, _timer) =
                settles_after(u32::try_from(wake_at.saturating_sub(now_ms())).unwrap_or(u32::MAX), false);
            let _ = JsFuture::from(wake).await;
        }
    });
}
