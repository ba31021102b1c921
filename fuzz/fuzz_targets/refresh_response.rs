//! A refresh answer: status and header bytes, then the body. See `wasm_session_testkit::fuzz::refresh_response`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wasm_session_testkit::fuzz::refresh_response(data));
