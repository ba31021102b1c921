//! wasm-session's native test kit: code that tests and fuzzing share and the
//! shipped library never holds.
//!
//! - [`encoding`]: JWTs and form bodies built and read by hand for the tests.
//! - [`fuzz`]: one fuzz target per kind of hostile input, each taking raw
//!   bytes. The cargo-fuzz crate in `fuzz/` runs them under libFuzzer; this
//!   crate's tests (`tests/core/fuzz.rs`) replay the corpus through them and feed
//!   them proptest-made bytes on stable.
//! - [`json`]: a strict JSON text reader and writer, and the text forms of
//!   bodies and cross-tab messages: the shipped library reads values (the
//!   browser parses JSON), the tests and fuzz targets start from text.
//! - [`http_date`]: HTTP dates read by hand (the shell uses `Date.parse`).
//! - [`sim`]: the multi-tab simulator (tabs, lock, network, an oracle server,
//!   the invariants), and the helpers the tests share.
//!
//! The core's tests (`tests/core/`) use these and the library's public API:
//! one copy of the library's types is in play.

#![deny(missing_docs)]

pub mod encoding;
pub mod fuzz;
pub mod http_date;
pub mod json;
pub mod sim;
