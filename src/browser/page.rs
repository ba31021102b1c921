//! What the page is: its address and the cookies scripts can read.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

/// A string property of `object`, or empty.
fn text(object: &JsValue, name: &str) -> String {
    Reflect::get(object, &JsValue::from_str(name)).ok().and_then(|value| value.as_string()).unwrap_or_default()
}

/// `window.location` (`undefined` without a window).
fn location_object() -> JsValue {
    web_sys::window()
        .and_then(|window| Reflect::get(&window, &JsValue::from_str("location")).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

/// `location.protocol` and `location.hostname` (empty without a window).
pub fn location() -> (String, String) {
    let location = location_object();
    (text(&location, "protocol"), text(&location, "hostname"))
}

/// `location.origin`, e.g. `https://app.example` (empty without a window).
pub fn origin() -> String {
    text(&location_object(), "origin")
}

/// `document.baseURI`: what relative URLs on the page resolve against (its
/// address, or its `<base href>`); empty without a document.
pub fn base_url() -> String {
    web_sys::window()
        .and_then(|window| window.document())
        .map(|document| text(&document, "baseURI"))
        .unwrap_or_default()
}

/// The absolute URL a `fetch(input)` would request: `input` is a `Request`,
/// a `URL` or a string, relative ones resolved against the page.
pub fn request_url(input: &JsValue) -> Option<String> {
    if let Some(request) = input.dyn_ref::<web_sys::Request>() {
        return Some(request.url());
    }
    let text = match input.as_string() {
        Some(text) => text,
        None => Reflect::get(input, &JsValue::from_str("href")).ok()?.as_string()?,
    };
    web_sys::Request::new_with_str(&text).ok().map(|request| request.url())
}

/// `document.cookie`: only cookies without `HttpOnly` appear in it.
pub fn cookies() -> String {
    // `document.cookie` lives on HTMLDocument; read it without that binding.
    web_sys::window().and_then(|window| window.document()).map(|document| text(&document, "cookie")).unwrap_or_default()
}
