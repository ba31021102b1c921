//! A stored session, restored after a reload. See `wasm_session_testkit::fuzz::stored_session`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wasm_session_testkit::fuzz::stored_session(data));
