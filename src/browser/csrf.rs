//! The CSRF token a page exposes: a double-submit cookie or a `<meta>` tag.
//!
//! Read fresh for every state-changing request, since servers rotate it.

/// The value of cookie `name` from `document.cookie`, if present.
pub fn from_cookie(name: &str) -> Option<String> {
    for pair in super::page::cookies().split(';') {
        if let Some((key, value)) = pair.trim().split_once('=') {
            if key == name {
                return Some(decode_cookie_value(value));
            }
        }
    }
    None
}

/// The `content` of `<meta name="{name}">`, if present.
pub fn from_meta(name: &str) -> Option<String> {
    let document = super::document()?;
    let metas = document.get_elements_by_tag_name("meta");
    // A plain loop: no iterator-adapter code for one search.
    for index in 0..super::length(&metas) {
        // `metas[index]` through `Reflect.get` (no `HTMLCollection.item` import).
        let index = wasm_bindgen::JsValue::from_f64(f64::from(index));
        // Only elements are read: a call on anything else would throw through the wasm.
        let Some(meta) = js_sys::Reflect::get(&metas, &index).ok().filter(wasm_bindgen::JsValue::is_object) else {
            continue;
        };
        let meta: &web_sys::Element = wasm_bindgen::JsCast::unchecked_ref(&meta);
        if meta.get_attribute("name").as_deref() == Some(name) {
            return meta.get_attribute("content");
        }
    }
    None
}

/// Cookie values are often percent-encoded; decode when it is valid, else keep as is.
fn decode_cookie_value(value: &str) -> String {
    js_sys::decode_uri_component(value).ok().and_then(|v| v.as_string()).unwrap_or_else(|| value.to_owned())
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use wasm_bindgen_test::*;

    use super::*;

    #[wasm_bindgen_test]
    fn reads_a_cookie_among_others_and_decodes_it() {
        js_sys::eval("document.cookie = 'other=1; path=/'; document.cookie = 'csrf_t=a%2Bb; path=/';").unwrap();
        assert_eq!(from_cookie("csrf_t").as_deref(), Some("a+b"));
        assert_eq!(from_cookie("missing"), None);
        js_sys::eval("document.cookie = 'csrf_t=; max-age=0; path=/'; document.cookie = 'other=; max-age=0; path=/';")
            .unwrap();
    }

    #[wasm_bindgen_test]
    fn reads_a_meta_tag() {
        js_sys::eval(
            "const m = document.createElement('meta'); m.name = 'csrf-token'; m.content = 'tok'; \
             m.id = '__csrf_test'; document.head.appendChild(m);",
        )
        .unwrap();
        assert_eq!(from_meta("csrf-token").as_deref(), Some("tok"));
        assert_eq!(from_meta("nope"), None);
        js_sys::eval("document.getElementById('__csrf_test').remove();").unwrap();
    }
}
