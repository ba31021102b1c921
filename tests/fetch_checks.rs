//! Browser tests of what `session.fetch` checks before it adds the credential:
//! the URL it checks is the URL it fetches, and a hostile CSRF cookie never
//! breaks a request.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

mod common;
use common::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A scripted `window.fetch` that records each call's URL (as `fetch` reads
/// it: a Request's `url`, anything else through `String(input)`),
/// `Authorization` and CSRF header, and answers 401 to the first call and 200
/// after.
fn script_recording_fetch() {
    script_fetch(401);
}

fn script_fetch(first_status: u16) {
    js(&format!("window.__firstStatus = {first_status};"));
    js("window.__calls = []; window.__realFetch = window.__realFetch || window.fetch; \
        window.fetch = async (input, init) => { \
          const url = input instanceof Request ? input.url : String(input); \
          const h = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined)); \
          window.__calls.push({ url, auth: h.get('Authorization'), csrf: h.get('X-CSRF-Token') }); \
          return new Response('', { status: window.__calls.length === 1 ? window.__firstStatus : 200 }); };");
}

fn calls() -> Vec<(String, Option<String>, Option<String>)> {
    Array::from(&js("window.__calls"))
        .iter()
        .map(|call| {
            let text = |key: &str| Reflect::get(&call, &key.into()).unwrap().as_string();
            (text("url").unwrap(), text("auth"), text("csrf"))
        })
        .collect()
}

fn page_url(path: &str) -> String {
    let mut url = js("location.origin").as_string().unwrap();
    url.push_str(path);
    url
}

async fn status_of(promise: js_sys::Promise) -> u16 {
    let response: web_sys::Response = wasm_bindgen_futures::JsFuture::from(promise).await.unwrap().dyn_into().unwrap();
    response.status()
}

#[wasm_bindgen_test]
async fn an_object_is_checked_and_fetched_by_what_fetch_reads_not_by_its_href() {
    script_recording_fetch();
    let s = session(&[("channelName", channel())]);
    s.start(Some(tokens(&[("access_token", "at".into())]).unchecked_into())).unwrap();
    // `fetch` reads `String(input)`: an `href` that says otherwise must not
    // earn the request a token.
    let input =
        js("({ href: location.origin + '/api/own', toString() { return 'https://tracker.example/collect'; } })");
    status_of(s.fetch(input, None)).await;
    restore_fetch();
    let calls = calls();
    assert_eq!(calls.len(), 1, "a third party's 401 is not retried");
    assert_eq!(calls[0].0, "https://tracker.example/collect");
    assert_eq!(calls[0].1, None, "no token for the third party the request really goes to");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_base_changed_while_a_request_waits_does_not_retarget_it() {
    script_recording_fetch();
    // The refresh a 401 starts moves the page's <base> to another origin
    // before the retry goes out.
    let hook: Function = js("(async () => { const b = document.createElement('base'); b.id = '__evil_base'; \
        b.href = 'https://evil.example/'; document.head.appendChild(b); \
        return { access_token: 'fresh', expires_in: 3600 }; })")
    .unchecked_into();
    let s = session(&[("channelName", channel()), ("refresh", hook.into())]);
    s.start(Some(tokens(&[("access_token", "stale".into()), ("expires_in", num(3600.0))]).unchecked_into())).unwrap();
    let status = status_of(s.fetch("api/orders?x=1".into(), None)).await;
    js("document.getElementById('__evil_base')?.remove();");
    restore_fetch();
    assert_eq!(status, 200);
    let expected = page_url("/api/orders?x=1");
    let urls: Vec<String> = calls().into_iter().map(|(url, _, _)| url).collect();
    assert_eq!(urls, [expected.clone(), expected], "the retry goes where the checked URL pointed");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_request_object_is_fetched_as_it_is() {
    script_recording_fetch();
    let s = session(&[("channelName", channel())]);
    s.start(Some(tokens(&[("access_token", "at".into())]).unchecked_into())).unwrap();
    let request = js("new Request('/api/me')");
    status_of(s.fetch(request, None)).await;
    restore_fetch();
    let calls = calls();
    assert_eq!(calls[0].0, page_url("/api/me"));
    assert_eq!(calls[0].1.as_deref(), Some("Bearer at"));
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_hostile_csrf_cookie_never_breaks_a_request_and_is_reported_once() {
    let csrf = options(&[("header", "X-CSRF-Token".into()), ("cookie", "csrf_scope".into())]);
    for hostile in ["a%0D%0AX-Evil%3A%201", "%E2%82%AC"] {
        script_fetch(200);
        // Decoded, this cookie holds CR/LF or a character beyond Latin-1: no header value.
        js(&format!("document.cookie = 'csrf_scope={hostile}; path=/';"));
        let s = session(&[("channelName", channel()), ("csrf", csrf.clone().into())]);
        let events = Recorder::attach(&s);
        s.start(Some(tokens(&[("access_token", "at".into())]).unchecked_into())).unwrap();
        let post = || options(&[("method", "POST".into()), ("body", "{}".into())]);
        let first = status_of(s.fetch("/api/orders".into(), Some(post()))).await;
        let second = status_of(s.fetch("/api/orders".into(), Some(post()))).await;
        js("document.cookie = 'csrf_scope=; max-age=0; path=/';");
        restore_fetch();
        assert_eq!((first, second), (200, 200), "{hostile}: sent, not thrown");
        for (_, auth, csrf_header) in calls() {
            assert_eq!(auth.as_deref(), Some("Bearer at"));
            assert_eq!(csrf_header, None, "{hostile}: the header is left out");
        }
        let errors: Vec<String> =
            events.0.borrow().iter().filter(|e| field(e, "type") == "error").map(|e| field(e, "code")).collect();
        assert_eq!(errors, ["csrf_token_unusable"], "{hostile}: reported once");
        s.destroy();
    }
}
