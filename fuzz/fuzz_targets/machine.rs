//! A sequence of inputs to the state machine. See `wasm_session_testkit::fuzz::machine`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wasm_session_testkit::fuzz::machine(data));
