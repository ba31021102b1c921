//! Every name the SDK uses in web storage, and its cross-tab names: one layout.
//!
//! `<ns>` is the `channelName` option with `%` and `:` percent-encoded
//! ([`escape`]), so it never contains a `:`. By default the channel name is
//! derived from the configuration (`wasm-session-<16 hex>`, [`super::scope`]),
//! so every name below differs between differently configured apps on one
//! origin: they share no channel, lock, lease or stored session.
//!
//! | what | where | key or name |
//! |---|---|---|
//! | stored session (`storage: "session" \| "local"`) | `sessionStorage` / `localStorage` | `<ns>:session` |
//! | logout wipe | the same area | removes every `<ns>:…` key, and only those |
//! | cross-tab messages | `BroadcastChannel` | `channelName` |
//! | cross-tab messages without `BroadcastChannel` | `localStorage` (written, then removed at once) | `wasm-session/channel/<ns>` |
//! | refresh lock | Web Locks (`navigator.locks`) | `wasm-session:refresh:<channelName>` |
//! | refresh lease without Web Locks | `localStorage` | `wasm-session/lease/<escaped lock name>` |
//! | ended sessions (tombstones, no secrets; every `storage` choice) | `localStorage` | `wasm-session/ended/<ns>` |
//! | kept record of a timed-out session (`reconstituteForMs`; no secrets) | `localStorage` | `wasm-session/kept/<ns>` |
//! | monitoring queue (`monitor`; no secrets) | `localStorage` | `wasm-session/monitor/<ns>` |
//! | generation note (rotation guard) | IndexedDB database, store `note`, key `generation` | database `wasm-session:note:<channelName>` |
//!
//! Data keys ([`data_key`]) always contain a `:`; the channel, lease and
//! tombstone keys never do. So a namespace's wipe ([`data_prefix`]) can never
//! remove another tab's lease, the fallback channel's key or the tombstones a
//! logout has just written, whatever the names. With an
//! explicit `channelName`, the stored session and the lock name keep the keys
//! earlier releases used. The default name changed when it became derived from
//! the configuration: tabs of an earlier release (`wasm-session`) and of this
//! one do not share a session, and a session stored by an earlier release is
//! not resumed; an app that must keep them set `channelName: "wasm-session"`.
//! The app should not keep its own keys under `<ns>:`: a logout wipes them.

/// The data key of the stored session (under [`data_prefix`]).
pub const STORED_SESSION: &str = "session";

/// Percent-encodes `%` and `:`, so an escaped name never contains the `:` that
/// ends a namespace, and two names never escape to the same text.
pub fn escape(name: &str) -> String {
    let mut escaped = String::with_capacity(name.len());
    push_escaped(&mut escaped, name);
    escaped
}

fn push_escaped(out: &mut String, name: &str) {
    for c in name.chars() {
        match c {
            '%' => out.push_str("%25"),
            ':' => out.push_str("%3A"),
            c => out.push(c),
        }
    }
}

/// `prefix` followed by `name`, escaped ([`escape`]) when `escaped`.
fn prefixed(prefix: &str, name: &str, escaped: bool) -> String {
    let mut key = String::with_capacity(prefix.len() + name.len());
    key.push_str(prefix);
    if escaped {
        push_escaped(&mut key, name);
    } else {
        key.push_str(name);
    }
    key
}

/// The prefix of every data key of namespace `namespace`: `<ns>:`.
pub fn data_prefix(namespace: &str) -> String {
    let mut prefix = escape(namespace);
    prefix.push(':');
    prefix
}

/// The full storage key of data key `key` in `namespace`.
pub fn data_key(namespace: &str, key: &str) -> String {
    let mut full = data_prefix(namespace);
    full.push_str(key);
    full
}

/// The Web Lock that single-flights refresh across the tabs of channel `channel_name`.
pub fn refresh_lock_name(channel_name: &str) -> String {
    prefixed("wasm-session:refresh:", channel_name, false)
}

/// The IndexedDB database that holds the generation note of channel
/// `channel_name` (one store, [`NOTE_STORE`], one key, [`NOTE_KEY`]).
pub fn note_database(channel_name: &str) -> String {
    prefixed("wasm-session:note:", channel_name, false)
}

/// The object store of the note database.
pub const NOTE_STORE: &str = "note";

/// The key of the generation note in [`NOTE_STORE`].
pub const NOTE_KEY: &str = "generation";

/// The `localStorage` key of the storage-fallback channel `channel_name`.
pub fn channel_key(channel_name: &str) -> String {
    prefixed("wasm-session/channel/", channel_name, true)
}

/// The `localStorage` key of the lease that stands in for Web Lock `lock_name`.
pub fn lease_key(lock_name: &str) -> String {
    prefixed("wasm-session/lease/", lock_name, true)
}

/// The `localStorage` key of the ended sessions of channel `channel_name`
/// (see `core::tombstone`): never under a data prefix, so no wipe removes it.
pub fn tombstones_key(channel_name: &str) -> String {
    prefixed("wasm-session/ended/", channel_name, true)
}

/// The `localStorage` key of the kept record of channel `channel_name` (see
/// `core::reconstitute`): never under a data prefix, so a session's wipe
/// leaves it for the next sign-in.
pub fn kept_key(channel_name: &str) -> String {
    prefixed("wasm-session/kept/", channel_name, true)
}

/// The `localStorage` key of the monitoring queue of channel `channel_name`
/// (see `core::monitor`).
pub fn monitor_key(channel_name: &str) -> String {
    prefixed("wasm-session/monitor/", channel_name, true)
}
