//! The options object as JSON text (and the preset helpers' URLs). See `wasm_session_testkit::fuzz::config`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wasm_session_testkit::fuzz::config(data));
