//! One `localStorage` key that every tab of the origin reads and writes: what
//! the session must share with tabs that are not open yet (the ended
//! sessions, `core::tombstone`). It holds no secret, so it is used whatever
//! the `storage` option says. Readers read it when they need it (no `storage`
//! listener: a frozen or cached page would miss the events anyway). Without
//! usable `localStorage` the key reads as absent and writes fail; nothing
//! throws.

use wasm_bindgen::JsValue;
use web_sys::Storage;

/// A `localStorage` key shared by every tab.
#[derive(Debug)]
pub struct SharedKey {
    storage: Option<Storage>,
    key: String,
}

impl SharedKey {
    /// Opens `key` in this window's `localStorage`.
    pub fn open(key: &str) -> SharedKey {
        let storage = web_sys::window().and_then(|window| window.local_storage().ok().flatten());
        SharedKey { storage, key: key.to_owned() }
    }

    /// The value now, if there is one and it can be read.
    pub fn get(&self) -> Option<String> {
        self.storage.as_ref()?.get_item(&self.key).ok().flatten()
    }

    /// Writes `value`; `Err` is what the browser threw (`undefined` without
    /// `localStorage`).
    pub fn set(&self, value: &str) -> Result<(), JsValue> {
        let storage = self.storage.as_ref().ok_or(JsValue::UNDEFINED)?;
        storage.set_item(&self.key, value)
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use super::*;
    use crate::browser::test_util::unique;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn reads_and_writes_what_every_tab_sees() {
        let key = unique("shared");
        let shared = SharedKey::open(&key);
        assert_eq!(shared.get(), None);
        shared.set("one").unwrap();
        assert_eq!(shared.get().as_deref(), Some("one"));
        let local = web_sys::window().unwrap().local_storage().unwrap().unwrap();
        assert_eq!(local.get_item(&key).unwrap().as_deref(), Some("one"), "plain localStorage, under the key as given");
        local.set_item(&key, "two").unwrap();
        assert_eq!(SharedKey::open(&key).get().as_deref(), Some("two"));
        local.remove_item(&key).unwrap();
    }
}
