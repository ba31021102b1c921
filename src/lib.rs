//! # wasm-session
//!
//! The client side of a login session, for the browser: activity tracking, an
//! idle timeout with a live countdown warning, an absolute session lifetime,
//! silent token refresh that runs once for all open tabs, and logout that
//! reaches every tab, against any backend that exposes session endpoints.
//!
//! The crate is a pure, deterministic core ([`core`]) wrapped by a thin browser
//! shell (`browser`, one file per web API) and the `#[wasm_bindgen]` facade
//! (`api`). The core takes time and randomness as inputs and answers with
//! effects, so every timing rule is tested natively with a fake clock.

#![deny(missing_docs, missing_debug_implementations)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)
)]

pub mod core;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
pub mod browser;

#[cfg(target_arch = "wasm32")]
pub use api::{cookie_session, oauth2, Session};

/// Talc instead of the default dlmalloc: a few kilobytes smaller in the wasm.
/// Single-threaded wasm only (no `atomics`), which is what we build.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
