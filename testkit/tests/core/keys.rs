//! The one storage key layout: what each key is, and that a namespace's wipe
//! reaches its own data and nothing else.

use proptest::prelude::*;

use wasm_session::core::keys::*;

#[test]
fn the_default_names_match_the_documented_table() {
    let ns = "wasm-session";
    assert_eq!(data_key(ns, STORED_SESSION), "wasm-session:session", "the key earlier releases stored under");
    assert_eq!(data_prefix(ns), "wasm-session:");
    assert_eq!(refresh_lock_name(ns), "wasm-session:refresh:wasm-session", "the lock earlier releases took");
    assert_eq!(channel_key(ns), "wasm-session/channel/wasm-session");
    assert_eq!(lease_key(&refresh_lock_name(ns)), "wasm-session/lease/wasm-session%3Arefresh%3Awasm-session");
    assert_eq!(tombstones_key(ns), "wasm-session/ended/wasm-session");
}

#[test]
fn names_with_separators_are_escaped() {
    assert_eq!(escape("plain"), "plain");
    assert_eq!(escape("a:b"), "a%3Ab");
    assert_eq!(escape("a%3Ab"), "a%253Ab");
    assert_eq!(data_key("a:b", "c"), "a%3Ab:c");
    assert_ne!(data_key("a", "b:c"), data_key("a:b", "c"));
}

proptest! {
    /// The wipe of any namespace never reaches the channel key or a lease of
    /// any name, nor another namespace's data.
    #[test]
    fn a_wipe_reaches_only_its_own_namespace(ns in "[ -~]{0,20}", other in "[ -~]{0,20}", key in "[ -~]{0,10}") {
        let wipe = data_prefix(&ns);
        prop_assert!(data_key(&ns, &key).starts_with(&wipe));
        prop_assert!(!channel_key(&other).starts_with(&wipe));
        prop_assert!(!lease_key(&other).starts_with(&wipe));
        prop_assert!(!lease_key(&refresh_lock_name(&other)).starts_with(&wipe));
        prop_assert!(!tombstones_key(&other).starts_with(&wipe), "a logout's wipe never removes the tombstones");
        prop_assert!(!tombstones_key(&other).contains(':'));
        if ns != other {
            prop_assert!(!data_key(&other, &key).starts_with(&wipe));
        }
        prop_assert!(!channel_key(&other).contains(':') && !lease_key(&other).contains(':'));
    }

    #[test]
    fn different_names_never_share_a_key(a in "[%:a-c]{0,8}", b in "[%:a-c]{0,8}") {
        if a != b {
            prop_assert_ne!(escape(&a), escape(&b));
            prop_assert_ne!(channel_key(&a), channel_key(&b));
            prop_assert_ne!(lease_key(&a), lease_key(&b));
            prop_assert_ne!(tombstones_key(&a), tombstones_key(&b));
        }
    }
}
