//! wasm-session's native test kit: code that tests and fuzzing share and the
//! shipped library never holds.
//!
//! - [`fuzz`]: one fuzz target per kind of hostile input, each taking raw
//!   bytes. The cargo-fuzz crate in `fuzz/` runs them under libFuzzer; this
//!   crate's tests (`tests/fuzz.rs`) replay the corpus through them and feed
//!   them proptest-made bytes on stable.

#![deny(missing_docs)]

pub mod fuzz;
