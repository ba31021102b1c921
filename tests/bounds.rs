//! Bounds in a real browser (`wasm-pack test --headless --chrome`): bodies
//! read through a capped stream reader, redirects not followed with the
//! session's credential, cross-tab messages as objects, and a storage
//! fallback channel that carries no tokens and reports what it could not send.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wasm_session::Session;

mod common;
use common::*;

wasm_bindgen_test_configure!(run_in_browser);

fn window_number(name: &str) -> f64 {
    Reflect::get(&web_sys::window().unwrap(), &name.into()).unwrap().as_f64().unwrap_or(-1.0)
}

/// A `ReadableStream` body of `chunks` chunks of 1 KiB of spaces, no
/// Content-Length (as chunked transfer encoding), counting pulled chunks in
/// `window.__pulled`.
const STREAM: &str = "window.__pulled = 0; const stream = (chunks, first) => { let left = chunks; \
    return new ReadableStream({ pull(c) { if (left-- <= 0) { c.close(); return; } window.__pulled++; \
    c.enqueue(first && left === chunks - 1 ? new TextEncoder().encode(first) : new Uint8Array(1024).fill(0x20)); } }, \
    { highWaterMark: 0 }); };";

#[wasm_bindgen_test]
async fn a_huge_chunked_refresh_answer_is_cut_at_the_cap() {
    js(&[
        STREAM,
        "window.__realFetch = window.__realFetch || window.fetch; \
         window.fetch = async (url, init) => new Response(stream(10000), { status: 200 });",
    ]
    .concat());
    let refresh = options(&[("refresh", "/auth/refresh".into())]);
    let s = session(&[
        ("channelName", channel()),
        ("endpoints", refresh.into()),
        ("maxBodyBytes", num(4096.0)),
        ("refreshJitterMs", num(0.0)),
    ]);
    let events = Recorder::attach(&s);
    s.start(Some(tokens(&[("access_token", "at".into()), ("expires_in", num(1.0))]).unchecked_into())).unwrap();
    let failed = until(10_000, || events.find("refreshFailed").is_some()).await;
    restore_fetch();
    assert!(failed, "the refresh failed");
    assert_eq!(field(&events.find("refreshFailed").unwrap(), "code"), "bad_response", "too large");
    let pulled = window_number("__pulled");
    assert!((0.0..=6.0).contains(&pulled), "read {pulled} KiB of 10 000");
    s.destroy();
}

/// A scripted API behind `window.fetch`: records each request's `redirect`,
/// answers with `window.__answer(url)` (a Response).
fn script_api(answer: &str) {
    js(&[
        STREAM,
        "window.__realFetch = window.__realFetch || window.fetch; window.__redirects = []; ",
        "window.__answer = ",
        answer,
        "; window.fetch = async (input, init) => { window.__redirects.push(init && init.redirect); \
         return window.__answer(String(input)); };",
    ]
    .concat());
}

async fn fetched(promise: js_sys::Promise) -> web_sys::Response {
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap().dyn_into().unwrap()
}

#[wasm_bindgen_test]
async fn session_fetch_does_not_follow_redirects_with_the_credential_unless_told() {
    script_api("() => new Response('ok')");
    let s = session(&[("channelName", channel())]);
    s.start(Some(tokens(&[("access_token", "at".into())]).unchecked_into())).unwrap();
    fetched(s.fetch("/api/profile".into(), None)).await;
    fetched(s.fetch("/api/profile".into(), Some(options(&[("redirect", "follow".into())])))).await;
    fetched(s.fetch("https://elsewhere.example/x".into(), None)).await;
    let redirects: Vec<JsValue> = Array::from(&js("window.__redirects")).iter().collect();
    restore_fetch();
    assert_eq!(redirects[0].as_string().as_deref(), Some("manual"), "the credential goes nowhere else");
    assert_eq!(redirects[1].as_string().as_deref(), Some("follow"), "the app's choice");
    assert!(redirects[2].is_undefined(), "a third party's request is untouched");
    s.destroy();
}

#[wasm_bindgen_test]
async fn session_fetch_reads_error_bodies_capped_and_in_time_and_hands_back_the_response() {
    let opts = |name: JsValue| {
        vec![
            ("channelName", name),
            ("revokedErrorCodes", Array::of1(&"session_revoked".into()).into()),
            ("maxBodyBytes", num(2048.0)),
            ("requestTimeoutMs", num(300.0)),
        ]
    };
    let start = |s: &Session| s.start(Some(tokens(&[("access_token", "at".into())]).unchecked_into())).unwrap();

    // A 403 whose body never ends: decided without it once the time is up.
    script_api(
        "() => new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('{\"error\":')); } }), \
         { status: 403 })",
    );
    let s = session(&opts(channel()));
    start(&s);
    let response = fetched(s.fetch("/api/x".into(), None)).await;
    assert_eq!(response.status(), 403, "the caller gets the answer");
    assert_eq!(state(&s), "active", "no verdict from a body never read");
    s.destroy();

    // A 403 with a huge chunked body: cut at the cap, the caller's copy intact.
    script_api("() => new Response(stream(10000, '{\"error\":\"session_revoked\"'), { status: 403 })");
    let s = session(&opts(channel()));
    start(&s);
    let response = fetched(s.fetch("/api/x".into(), None)).await;
    assert_eq!(response.status(), 403);
    assert_eq!(state(&s), "active", "an oversized body is not looked at");
    let pulled = window_number("__pulled");
    assert!((0.0..=8.0).contains(&pulled), "read {pulled} KiB of 10 000");
    let reader: web_sys::ReadableStreamDefaultReader = response.body().unwrap().get_reader().unchecked_into();
    let first = wasm_bindgen_futures::JsFuture::from(reader.read()).await.unwrap();
    let bytes: js_sys::Uint8Array = Reflect::get(&first, &"value".into()).unwrap().unchecked_into();
    assert_eq!(bytes.get_index(0), b'{', "the caller reads the body from its start");
    let _ = reader.cancel();
    s.destroy();

    // A small body is read, and decides.
    script_api("() => new Response('{\"error\":\"session_revoked\"}', { status: 403 })");
    let s = session(&opts(channel()));
    start(&s);
    let response = fetched(s.fetch("/api/x".into(), None)).await;
    restore_fetch();
    assert_eq!(response.status(), 403);
    assert_eq!(state(&s), "loggedOut", "the body said revoked");
    s.destroy();
}

#[wasm_bindgen_test]
async fn messages_travel_as_objects_on_a_broadcast_channel() {
    let name = channel();
    js(&[
        "window.__heard = []; window.__ear = new BroadcastChannel('",
        &name.as_string().unwrap(),
        "'); \
          window.__ear.onmessage = (e) => window.__heard.push(e.data);",
    ]
    .concat());
    let s = session(&[("channelName", name)]);
    s.start(Some(tokens(&[("access_token", "at".into())]).unchecked_into())).unwrap();
    assert!(until(5_000, || Array::from(&js("window.__heard")).length() > 0).await);
    let heard = Array::from(&js("window.__heard")).get(0);
    js("window.__ear.close();");
    assert!(heard.is_object(), "a structured-clone object, not text");
    assert_eq!(field(&heard, "kind"), "login");
    assert_eq!(field(&heard, "access"), "at", "a BroadcastChannel stays in memory: tokens may travel");
    s.destroy();
}

/// Without `BroadcastChannel`: records every value written to a fallback
/// channel key in `window.__written`; `window.__failPosts = true` makes those
/// writes throw a quota error.
fn fallback_spy() {
    js("window.__realBC = window.BroadcastChannel; delete window.BroadcastChannel; window.__written = []; \
        window.__failPosts = false; window.__realSetItem = Storage.prototype.setItem; \
        Storage.prototype.setItem = function (key, value) { \
          if (String(key).startsWith('wasm-session/channel/')) { \
            if (window.__failPosts) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); \
            window.__written.push(String(value)); } \
          return window.__realSetItem.call(this, key, value); };");
}

fn undo_fallback_spy() {
    js("window.BroadcastChannel = window.__realBC; Storage.prototype.setItem = window.__realSetItem;");
}

#[wasm_bindgen_test]
async fn the_storage_fallback_writes_no_token_to_local_storage() {
    fallback_spy();
    let hook: Function = js("(async () => ({ access_token: 'secret-at-2', refresh_token: 'secret-rt-2', \
        expires_in: 3600 }))")
    .unchecked_into();
    let s = session(&[("channelName", channel()), ("refresh", hook.into()), ("refreshJitterMs", num(0.0))]);
    let events = Recorder::attach(&s);
    s.start(Some(
        tokens(&[
            ("access_token", "secret-at-1".into()),
            ("refresh_token", "secret-rt-1".into()),
            ("expires_in", num(1.0)),
        ])
        .unchecked_into(),
    ))
    .unwrap();
    let refreshed = until(10_000, || events.find("refreshed").is_some()).await;
    s.logout().unwrap();
    let written: Vec<String> = Array::from(&js("window.__written")).iter().filter_map(|v| v.as_string()).collect();
    undo_fallback_spy();
    assert!(refreshed, "the session refreshed");
    assert_eq!(s.access_token(), None);
    let kinds: Vec<bool> = ["sessionExists", "tokensChanged", "logout"]
        .iter()
        .map(|kind| written.iter().any(|w| w.contains(&["\"kind\":\"", kind, "\""].concat())))
        .collect();
    assert_eq!(kinds, [true, true, true], "the login, the refresh and the logout were told: {written:?}");
    assert!(written.iter().all(|w| !w.contains("secret")), "a token reached localStorage: {written:?}");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_post_the_fallback_cannot_write_is_reported_and_a_lost_logout_says_so() {
    fallback_spy();
    let s = session(&[("channelName", channel())]);
    let events = Recorder::attach(&s);
    s.start(None).unwrap();
    js("window.__failPosts = true;");
    s.logout().unwrap();
    undo_fallback_spy();
    assert_eq!(state(&s), "loggedOut", "logged out here all the same");
    let error = events.find("error").expect("reported");
    assert_eq!(field(&error, "code"), "channel_post_failed");
    assert!(field(&error, "message").contains("logout"), "{}", field(&error, "message"));
    s.destroy();
}
