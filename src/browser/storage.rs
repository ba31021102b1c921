//! Namespaced key/value storage: memory, `sessionStorage` or `localStorage`.
//!
//! The session keeps small state (tokens if the app opts in, the last
//! activity time, the tab id) where the configuration says. Web storage is
//! unreliable in ways that all surface as a throw: storage disabled by the
//! user or policy (`SecurityError` from the `window.localStorage` getter
//! itself), private modes with a zero quota, a full quota, a sandboxed iframe.
//! Any throw degrades the [`Store`] to memory for the rest of its life,
//! keeping every value it had read or written, and records one
//! [`StorageFault`] so the caller can emit an event. The session keeps
//! working; it just stops sharing or persisting that state.
//!
//! Keys follow the one layout of [`crate::core::keys`]: `<namespace>:<key>`,
//! with the namespace escaped so that no two namespaces collide. The other
//! keys of the SDK (the fallback channel's, the refresh lease's) contain no
//! `:`, so [`Store::clear_namespace`] can never remove them.

use std::fmt;

use js_sys::Object;
use wasm_bindgen::JsValue;
use web_sys::Storage;

/// Where a [`Store`] keeps its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageKind {
    /// Only in this page's memory: gone on reload, never shared.
    Memory,
    /// `sessionStorage`: survives reloads of this tab, not shared with others.
    Session,
    /// `localStorage`: persisted and shared by every tab of the origin.
    Local,
}

/// A web storage failure after which the [`Store`] runs in memory.
#[derive(Debug, Clone, PartialEq)]
pub enum StorageFault {
    /// `requested` web storage threw; the store now keeps values in memory.
    Degraded {
        /// The kind the store was opened with.
        requested: StorageKind,
        /// What the browser threw, as thrown (not turned into text: nothing
        /// shows it, and the text cost wasm); `undefined` when there was no
        /// window or storage area to throw.
        reason: JsValue,
    },
}

impl fmt::Display for StorageFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("web storage failed; keeping values in memory")
    }
}

impl std::error::Error for StorageFault {}

/// A namespaced view of one storage area that never throws.
///
/// Every fault is reported exactly once: by the `Err` of the next [`Store::set`]
/// (whose value is nonetheless kept, in memory), or by [`Store::take_fault`]
/// if that is called first.
#[derive(Debug)]
pub struct Store {
    requested: StorageKind,
    /// The web storage area in use; `None` once in memory.
    web: Option<Storage>,
    prefix: String,
    /// Values by un-prefixed key: the whole store when in memory, otherwise a
    /// mirror of what was last read or written, kept for degradation. A plain
    /// JS object read and written through the shell's one `get`/`put` pair
    /// (smaller in the wasm than a map of its own); a removed key holds
    /// `undefined`. Keys are the SDK's own (`core::keys`), never names
    /// `Object.prototype` has.
    memory: JsValue,
    fault: Option<StorageFault>,
}

impl Store {
    /// Opens the `kind` storage area under `namespace`. If the area cannot
    /// be reached, the store starts in memory with a fault to report.
    pub fn open(kind: StorageKind, namespace: &str) -> Store {
        let mut store = Store {
            requested: kind,
            web: None,
            prefix: crate::core::keys::data_prefix(namespace),
            memory: Object::new().into(),
            fault: None,
        };
        let name = match kind {
            StorageKind::Memory => return store,
            StorageKind::Session => "sessionStorage",
            StorageKind::Local => "localStorage",
        };
        // The getter read through the shell's one `get` (no getter import per
        // area); it throws where storage is disabled, and is `null` where
        // there is none.
        match web_sys::window().map(|window| super::get(&window, name)) {
            Some(Ok(area)) if area.is_object() => store.web = Some(wasm_bindgen::JsCast::unchecked_into(area)),
            Some(Ok(_)) | None => store.degrade(JsValue::UNDEFINED),
            Some(Err(err)) => store.degrade(err),
        }
        store
    }

    /// The kind in effect: [`StorageKind::Memory`] once degraded.
    pub fn kind(&self) -> StorageKind {
        if self.web.is_some() {
            self.requested
        } else {
            StorageKind::Memory
        }
    }

    /// The value under `key`, if any.
    pub fn get(&mut self, key: &str) -> Option<String> {
        if let Some(web) = &self.web {
            match web.get_item(&self.full_key(key)) {
                Ok(Some(value)) => {
                    self.remember(key, &JsValue::from_str(&value));
                    return Some(value);
                }
                Ok(None) => {
                    self.remember(key, &JsValue::UNDEFINED);
                    return None;
                }
                Err(err) => self.degrade(err),
            }
        }
        super::get(&self.memory, key).ok().and_then(|value| value.as_string())
    }

    /// Stores `value` under `key`. The value is always kept; `Err` reports a
    /// fault not yet reported (the store is now in memory).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), StorageFault> {
        if let Some(web) = &self.web {
            if let Err(err) = web.set_item(&self.full_key(key), value) {
                self.degrade(err);
            }
        }
        self.remember(key, &JsValue::from_str(value));
        match self.fault.take() {
            Some(fault) => Err(fault),
            None => Ok(()),
        }
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        if let Some(web) = &self.web {
            if let Err(err) = web.remove_item(&self.full_key(key)) {
                self.degrade(err);
            }
        }
        self.remember(key, &JsValue::UNDEFINED);
    }

    /// Removes every key of this namespace, and only those: never another
    /// namespace's, the fallback channel's or a lease (see [`crate::core::keys`]).
    pub fn clear_namespace(&mut self) {
        if let Some(web) = self.web.clone() {
            // `Object.keys` of the storage: every key, taken before any
            // removal (through the import `value` has; no `Storage.length`
            // and `Storage.key` imports).
            match super::value::object_keys(&web) {
                Ok(keys) => {
                    for index in 0..super::length(&keys) {
                        let Some(full_key) = keys.get(index).as_string() else { continue };
                        if !full_key.starts_with(&self.prefix) {
                            continue;
                        }
                        if let Err(err) = web.remove_item(&full_key) {
                            self.degrade(err);
                            break;
                        }
                    }
                }
                Err(err) => self.degrade(err),
            }
        }
        self.memory = Object::new().into();
    }

    /// The fault not yet reported, if any (see [`Store`]).
    pub fn take_fault(&mut self) -> Option<StorageFault> {
        self.fault.take()
    }

    /// Keeps `value` (a string, or `undefined` for none) in memory under `key`.
    fn remember(&self, key: &str, value: &JsValue) {
        // A fresh plain object with data properties: setting one cannot throw.
        let _ = super::put(&self.memory, key, value);
    }

    fn full_key(&self, key: &str) -> String {
        let mut full = String::with_capacity(self.prefix.len() + key.len());
        full.push_str(&self.prefix);
        full.push_str(key);
        full
    }

    /// Switches to memory for good and records the fault. Only reachable while
    /// on web storage, so a store degrades (and reports) at most once.
    fn degrade(&mut self, reason: JsValue) {
        self.web = None;
        self.fault.get_or_insert(StorageFault::Degraded { requested: self.requested, reason });
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use super::*;
    use crate::browser::test_util::unique;
    use wasm_bindgen_test::wasm_bindgen_test;

    const KINDS: [StorageKind; 3] = [StorageKind::Memory, StorageKind::Session, StorageKind::Local];

    #[wasm_bindgen_test]
    fn round_trips_for_each_kind() {
        for kind in KINDS {
            let mut store = Store::open(kind, &unique("rt"));
            assert_eq!(store.kind(), kind);
            assert_eq!(store.get("k"), None);
            store.set("k", "v1").unwrap();
            assert_eq!(store.get("k").as_deref(), Some("v1"));
            store.set("k", "v2").unwrap();
            assert_eq!(store.get("k").as_deref(), Some("v2"));
            store.remove("k");
            assert_eq!(store.get("k"), None);
            assert_eq!(store.take_fault(), None);
            assert_eq!(store.kind(), kind);
        }
    }

    #[wasm_bindgen_test]
    fn web_kinds_persist_across_stores() {
        for kind in [StorageKind::Session, StorageKind::Local] {
            let namespace = unique("persist");
            let mut writer = Store::open(kind, &namespace);
            writer.set("k", "shared").unwrap();
            let mut reader = Store::open(kind, &namespace);
            assert_eq!(reader.get("k").as_deref(), Some("shared"));
            reader.clear_namespace();
            assert_eq!(writer.get("k"), None);
        }
    }

    #[wasm_bindgen_test]
    fn namespaces_are_isolated() {
        for kind in KINDS {
            let base = unique("ns");
            // Without escaping, ("a", "b:c") and ("a:b", "c") would collide.
            let mut a = Store::open(kind, &format!("{base}a"));
            let mut ab = Store::open(kind, &format!("{base}a:b"));
            a.set("b:c", "from a").unwrap();
            ab.set("c", "from a:b").unwrap();
            assert_eq!(a.get("b:c").as_deref(), Some("from a"));
            assert_eq!(ab.get("c").as_deref(), Some("from a:b"));
            assert_eq!(a.get("c"), None);

            a.clear_namespace();
            assert_eq!(a.get("b:c"), None);
            assert_eq!(ab.get("c").as_deref(), Some("from a:b"), "clear_namespace reached another namespace");
            ab.clear_namespace();
        }
    }

    /// Makes `Storage.prototype.setItem` throw a quota error until restored.
    fn break_set_item() {
        js_sys::eval(
            "globalThis.__wsOrigSetItem = Storage.prototype.setItem; \
             Storage.prototype.setItem = function () { \
               throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); };",
        )
        .unwrap();
    }

    fn restore_set_item() {
        js_sys::eval(
            "if (globalThis.__wsOrigSetItem) { Storage.prototype.setItem = globalThis.__wsOrigSetItem; \
             delete globalThis.__wsOrigSetItem; }",
        )
        .unwrap();
    }

    #[wasm_bindgen_test]
    fn a_throwing_set_item_degrades_to_memory_and_reports_once() {
        for kind in [StorageKind::Session, StorageKind::Local] {
            let mut store = Store::open(kind, &unique("fault"));
            store.set("known", "before").unwrap();

            break_set_item();
            let first = store.set("k", "during");
            let kind_after = store.kind();
            let second = store.set("k2", "after");
            restore_set_item();

            assert!(
                matches!(&first, Err(StorageFault::Degraded { requested, reason })
                    if *requested == kind
                        && crate::browser::get(reason, "name").ok().and_then(|name| name.as_string()).as_deref()
                            == Some("QuotaExceededError")),
                "{first:?}"
            );
            assert_eq!(kind_after, StorageKind::Memory);
            assert_eq!(second, Ok(()), "the fault was reported twice");
            assert_eq!(store.take_fault(), None, "the fault was reported twice");

            // It keeps working in memory, with what it knew before.
            assert_eq!(store.get("known").as_deref(), Some("before"));
            assert_eq!(store.get("k").as_deref(), Some("during"));
            assert_eq!(store.get("k2").as_deref(), Some("after"));
            store.remove("k");
            assert_eq!(store.get("k"), None);
            assert_eq!(store.kind(), StorageKind::Memory);
            store.clear_namespace();
            assert_eq!(store.get("known"), None);
        }
    }

    #[wasm_bindgen_test]
    fn a_fault_outside_set_is_reported_by_take_fault() {
        let mut store = Store::open(StorageKind::Local, &unique("getfault"));
        js_sys::eval(
            "globalThis.__wsOrigGetItem = Storage.prototype.getItem; \
             Storage.prototype.getItem = function () { throw new DOMException('denied', 'SecurityError'); };",
        )
        .unwrap();
        let value = store.get("missing");
        js_sys::eval("Storage.prototype.getItem = globalThis.__wsOrigGetItem; delete globalThis.__wsOrigGetItem;")
            .unwrap();
        assert_eq!(value, None);
        assert_eq!(store.kind(), StorageKind::Memory);
        let fault = store.take_fault();
        assert!(matches!(&fault, Some(StorageFault::Degraded { requested: StorageKind::Local, .. })), "{fault:?}");
        assert_eq!(store.take_fault(), None);
        assert_eq!(store.set("k", "v"), Ok(()));
    }

    #[wasm_bindgen_test]
    fn clear_namespace_leaves_the_channel_key_and_leases_alone() {
        use crate::core::keys;
        let local = web_sys::window().unwrap().local_storage().unwrap().unwrap();
        // The default names, where the old layouts overlapped.
        let namespace = "wasm-session";
        let others = [keys::channel_key(namespace), keys::lease_key(&keys::refresh_lock_name(namespace))];
        for key in &others {
            local.set_item(key, "another tab's").unwrap();
        }
        let mut store = Store::open(StorageKind::Local, namespace);
        store.set(keys::STORED_SESSION, "ours").unwrap();
        assert_eq!(local.get_item(&keys::data_key(namespace, keys::STORED_SESSION)).unwrap().as_deref(), Some("ours"));
        store.clear_namespace();
        assert_eq!(store.get(keys::STORED_SESSION), None);
        for key in &others {
            assert_eq!(local.get_item(key).unwrap().as_deref(), Some("another tab's"), "{key} was wiped");
            local.remove_item(key).unwrap();
        }
    }
}
