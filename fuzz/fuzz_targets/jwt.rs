//! A JWT, a JWT payload, and Date / Retry-After header values. See `wasm_session_testkit::fuzz::jwt`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wasm_session_testkit::fuzz::jwt(data));
