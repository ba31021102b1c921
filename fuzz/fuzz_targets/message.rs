//! A cross-tab message. See `wasm_session_testkit::fuzz::message`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wasm_session_testkit::fuzz::message(data));
