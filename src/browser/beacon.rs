//! `navigator.sendBeacon`: a small POST that the browser delivers even while
//! the page goes away, with no answer to wait for.

/// Queues `body` (sent as `text/plain`, so no CORS preflight) for `url`.
/// Whether the browser took it: `false` when it refused (too large, over its
/// quota, a bad URL) or there is no navigator.
pub fn send(url: &str, body: &str) -> bool {
    // `navigator` through the shell's one `Reflect.get` (no getter import);
    // without one, or without `sendBeacon`, the call throws: `false`.
    let navigator = super::global_get("navigator").unwrap_or(wasm_bindgen::JsValue::UNDEFINED);
    let navigator: &web_sys::Navigator = wasm_bindgen::JsCast::unchecked_ref(&navigator);
    navigator.send_beacon_with_opt_str(url, Some(body)).unwrap_or(false)
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn the_browser_takes_a_small_beacon_and_refuses_a_bad_url() {
        assert!(send("/beacon-test", "{\"v\":1}"));
        assert!(!send("http://[", "{}"), "a URL the browser cannot parse");
    }
}
