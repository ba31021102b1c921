//! A keepalive or session answer: status and header bytes, then the body. See `wasm_session_testkit::fuzz::session_response`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wasm_session_testkit::fuzz::session_response(data));
