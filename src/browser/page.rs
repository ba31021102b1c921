//! What the page is: its address and the cookies scripts can read.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

/// A string property of `object`, or empty.
fn text(object: &JsValue, name: &str) -> String {
    super::get(object, name).ok().and_then(|value| value.as_string()).unwrap_or_default()
}

/// `window.location` (`undefined` without a window).
fn location_object() -> JsValue {
    web_sys::window().and_then(|window| super::get(&window, "location").ok()).unwrap_or(JsValue::UNDEFINED)
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
    super::document().map(|document| text(&document, "baseURI")).unwrap_or_default()
}

/// What `session.fetch(input)` requests, decided once so that what is checked
/// is what is fetched.
#[derive(Debug)]
pub enum Target {
    /// A `Request`: its `url` was fixed when it was made.
    Request(web_sys::Request),
    /// Anything else, as text, resolved against the page's base URL: the `href`.
    Url(String),
    /// Text that does not resolve, kept as the JS string it is (not copied
    /// into wasm and back): `fetch` will refuse it as well.
    Unresolved(JsValue),
}

impl Target {
    /// What to hand to `fetch`: the `Request`, or the text.
    pub fn input(&self) -> JsValue {
        match self {
            Target::Request(request) => request.into(),
            Target::Url(href) => JsValue::from_str(href),
            Target::Unresolved(text) => text.clone(),
        }
    }

    /// The `Request`, when the input was one.
    pub fn request(&self) -> Option<&web_sys::Request> {
        match self {
            Target::Request(request) => Some(request),
            Target::Url(_) | Target::Unresolved(_) => None,
        }
    }

    /// The absolute URL to check, if there is one.
    pub fn url(&self) -> Option<String> {
        match self {
            Target::Request(request) => Some(request.url()),
            Target::Url(href) => Some(href.clone()),
            Target::Unresolved(_) => None,
        }
    }
}

/// Reads `input` once, as `fetch` would: a `Request` as it is; anything else
/// through `String(input)` (so an object's own `toString` counts, not an
/// `href` it may also have), resolved with `new URL(text, document.baseURI)`.
///
/// # Errors
///
/// What `String(input)` threw (a symbol, a throwing `toString`): `fetch`
/// would reject with it too.
pub fn target(input: &JsValue) -> Result<Target, JsValue> {
    if let Some(request) = input.dyn_ref::<web_sys::Request>() {
        return Ok(Target::Request(Clone::clone(request)));
    }
    // The text as a JS string, handed to `URL` as it is.
    let mut text =
        if input.is_string() { input.clone() } else { global("String")?.call1(&JsValue::UNDEFINED, input)? };
    // A page's own `String` may return anything: only text goes on, so that
    // `URL` and `fetch` read the same input and convert nothing twice.
    if !text.is_string() {
        text = JsValue::from_str("");
    }
    Ok(match resolve(&text) {
        Some(href) => Target::Url(href),
        None => Target::Unresolved(text),
    })
}

/// The global function `name` (`String`, `URL`); `Err` if it is not one.
fn global(name: &str) -> Result<js_sys::Function, JsValue> {
    super::global_get(name)?.dyn_into()
}

/// `new URL(text, document.baseURI).href`, if it resolves; without a
/// document (Node, in an app's unit tests) only an absolute URL does.
fn resolve(text: &JsValue) -> Option<String> {
    let base = base_url();
    let arguments = match base.is_empty() {
        true => js_sys::Array::of1(text),
        false => js_sys::Array::of2(text, &JsValue::from_str(&base)),
    };
    let url = Reflect::construct(&global("URL").ok()?, &arguments).ok()?;
    super::get(&url, "href").ok()?.as_string()
}

/// `document.cookie`: only cookies without `HttpOnly` appear in it.
pub fn cookies() -> String {
    // `document.cookie` lives on HTMLDocument; read it without that binding.
    super::document().map(|document| text(&document, "cookie")).unwrap_or_default()
}
