//! What the page is: its address and the cookies scripts can read.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// A string property of `object`, or empty.
fn text(object: &JsValue, name: &str) -> String {
    Reflect::get(object, &JsValue::from_str(name)).ok().and_then(|value| value.as_string()).unwrap_or_default()
}

/// `location.protocol` and `location.hostname` (empty without a window).
pub fn location() -> (String, String) {
    let location = web_sys::window()
        .and_then(|window| Reflect::get(&window, &JsValue::from_str("location")).ok())
        .unwrap_or(JsValue::UNDEFINED);
    (text(&location, "protocol"), text(&location, "hostname"))
}

/// `document.cookie`: only cookies without `HttpOnly` appear in it.
pub fn cookies() -> String {
    // `document.cookie` lives on HTMLDocument; read it without that binding.
    web_sys::window().and_then(|window| window.document()).map(|document| text(&document, "cookie")).unwrap_or_default()
}
