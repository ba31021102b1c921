//! Browser tests of the JS API (`wasm-pack test --headless --chrome`).
//!
//! Tests wait for conditions with generous upper bounds and never assert how
//! long something took, so a slow machine cannot fail them.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wasm_session::Session;

mod common;
use common::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn a_new_session_is_anonymous_with_a_random_tab_id() {
    let a = session(&[("channelName", channel())]);
    let b = session(&[("channelName", channel())]);
    assert_eq!(state(&a), "anonymous");
    assert_eq!(a.tab_id().len(), 32);
    assert_ne!(a.tab_id(), b.tab_id());
    assert_eq!(a.idle_deadline(), None);
    a.destroy();
    b.destroy();
}

#[wasm_bindgen_test]
fn config_errors_are_session_errors_with_a_code_naming_the_field() {
    let error = Session::new(Some(
        options(&[("idleTimeoutMs", num(60_000.0)), ("warnBeforeMs", num(60_000.0))]).unchecked_into(),
    ))
    .unwrap_err();
    let error: js_sys::Error = error.dyn_into().expect("a real Error");
    assert_eq!(String::from(error.name()), "SessionError");
    assert_eq!(field(&error, "code"), "invalid_config");
    assert!(String::from(error.message()).contains("warnBeforeMs"));
}

#[wasm_bindgen_test]
fn unknown_options_and_wrong_types_are_rejected() {
    let unknown = Session::new(Some(options(&[("idleTimeout", num(5.0))]).unchecked_into())).unwrap_err();
    assert_eq!(field(&unknown, "code"), "invalid_config");
    assert!(field(&unknown, "message").contains("idleTimeout"));
    let wrong = Session::new(Some(options(&[("storage", "cookies".into())]).unchecked_into())).unwrap_err();
    assert!(field(&wrong, "message").contains("storage"));
    let hook = Session::new(Some(options(&[("refresh", num(1.0))]).unchecked_into())).unwrap_err();
    assert!(field(&hook, "message").contains("refresh"));
}

#[wasm_bindgen_test]
fn invalid_tokens_are_rejected_with_a_code() {
    let s = session(&[("channelName", channel())]);
    let error = s.start(Some(tokens(&[("access_token", num(5.0))]).unchecked_into())).unwrap_err();
    assert_eq!(field(&error, "code"), "invalid_tokens");
    assert_eq!(state(&s), "anonymous");
    s.destroy();
}

#[wasm_bindgen_test]
fn start_makes_the_session_active_and_emits_events() {
    let s = session(&[("channelName", channel()), ("idleTimeoutMs", num(600_000.0))]);
    let events = Recorder::attach(&s);
    s.start(Some(tokens(&[("access_token", "at".into()), ("expires_in", num(3600.0))]).unchecked_into())).unwrap();
    assert_eq!(state(&s), "active");
    assert_eq!(s.access_token().as_deref(), Some("at"));
    assert_eq!(events.types(), vec!["stateChange", "started"]);
    let remaining = s.remaining_ms().unwrap().expect("live");
    assert!(remaining > 590_000.0 && remaining <= 600_000.0);
    let absolute = s.absolute_deadline().expect("live");
    assert!(absolute > s.idle_deadline().expect("live"));
    s.destroy();
}

#[wasm_bindgen_test]
fn unsubscribe_stops_delivery_and_is_safe_after_destroy() {
    let s = session(&[("channelName", channel())]);
    let count = Rc::new(RefCell::new(0));
    let sink = count.clone();
    let callback = Closure::<dyn FnMut(JsValue)>::new(move |_| *sink.borrow_mut() += 1);
    let off = s.on("stateChange".into(), callback.as_ref().unchecked_ref::<Function>().clone()).unwrap();
    s.start(None).unwrap();
    assert_eq!(*count.borrow(), 1);
    off.call0(&JsValue::NULL).unwrap();
    s.logout().unwrap();
    assert_eq!(*count.borrow(), 1, "no delivery after unsubscribing");
    s.destroy();
    off.call0(&JsValue::NULL).expect("calling it again after destroy does not throw");
    drop(callback);
}

#[wasm_bindgen_test]
fn a_throwing_listener_does_not_break_the_session() {
    let s = session(&[("channelName", channel())]);
    let thrower: Function = js("(() => { throw new Error('listener bug'); })").unchecked_into();
    s.on("started".into(), thrower).unwrap();
    let events = Recorder::attach(&s);
    s.start(None).unwrap();
    assert_eq!(state(&s), "active");
    assert!(events.find("started").is_some(), "later listeners still called");
    s.logout().unwrap();
    assert_eq!(state(&s), "loggedOut");
    s.destroy();
}

#[wasm_bindgen_test]
fn a_listener_may_call_back_into_the_session() {
    let s = Rc::new(session(&[("channelName", channel())]));
    let inner = s.clone();
    let callback = Closure::<dyn FnMut(JsValue)>::new(move |_| inner.logout().unwrap());
    s.on("started".into(), callback.as_ref().unchecked_ref::<Function>().clone()).unwrap();
    let events = Recorder::attach(&s);
    s.start(None).unwrap();
    assert_eq!(state(&s), "loggedOut", "logout() inside a listener took effect");
    let logged_out = events.find("loggedOut").expect("event");
    assert_eq!(field(&logged_out, "reason"), "user");
    s.destroy();
    drop(callback);
}

#[wasm_bindgen_test]
async fn logout_in_one_session_reaches_another_on_the_same_channel() {
    let name = channel();
    let a = session(&[("channelName", name.clone())]);
    let b = session(&[("channelName", name)]);
    let b_events = Recorder::attach(&b);
    a.start(None).unwrap();
    assert!(until(5_000, || state(&b) == "active").await, "b joined a's session");
    a.logout().unwrap();
    assert!(until(5_000, || state(&b) == "loggedOut").await);
    let event = b_events.find("loggedOut").expect("event");
    assert_eq!(field(&event, "reason"), "otherTab");
    assert_eq!(field(&event, "origin"), "otherTab");
    a.destroy();
    b.destroy();
}

#[wasm_bindgen_test]
async fn activity_in_one_session_moves_the_other_sessions_idle_deadline() {
    let name = channel();
    let a = session(&[("channelName", name.clone()), ("activityBroadcastIntervalMs", num(0.0))]);
    let b = session(&[("channelName", name)]);
    a.start(None).unwrap();
    assert!(until(5_000, || state(&b) == "active").await);
    let before = b.idle_deadline().expect("live");
    sleep(50).await;
    a.touch().unwrap();
    assert!(until(5_000, || b.idle_deadline().unwrap_or(0.0) > before).await);
    a.destroy();
    b.destroy();
}

#[wasm_bindgen_test]
async fn a_new_session_joins_an_existing_one_with_resume() {
    let name = channel();
    let a = session(&[("channelName", name.clone())]);
    a.start(Some(tokens(&[("access_token", "shared".into())]).unchecked_into())).unwrap();
    let b = session(&[("channelName", name)]);
    let events = Recorder::attach(&b);
    b.resume().unwrap();
    assert!(until(5_000, || state(&b) == "active").await);
    assert_eq!(b.access_token().as_deref(), Some("shared"));
    let started = events.find("started").expect("event");
    assert_eq!(field(&started, "origin"), "otherTab");
    a.destroy();
    b.destroy();
}

#[wasm_bindgen_test]
async fn warning_countdown_and_idle_expiry() {
    let s = session(&[
        ("channelName", channel()),
        ("idleTimeoutMs", num(1_200.0)),
        ("warnBeforeMs", num(1_000.0)),
        ("countdownIntervalMs", num(200.0)),
        ("activityEvents", Array::new().into()),
    ]);
    let events = Recorder::attach(&s);
    s.start(None).unwrap();
    assert!(until(10_000, || state(&s) == "expired").await);
    let warning = events.find("warning").expect("a warning came first");
    assert_eq!(field(&warning, "cause"), "idle");
    let expired = events.find("expired").expect("event");
    assert_eq!(field(&expired, "reason"), "idle");
    let types = events.types();
    let warned_at = types.iter().position(|t| t == "warning").unwrap();
    let expired_at = types.iter().position(|t| t == "expired").unwrap();
    assert!(warned_at < expired_at);
    assert!(events.count("countdown") >= 1, "countdown ticks ran: {types:?}");
    s.destroy();
}

#[wasm_bindgen_test]
async fn stay_signed_in_in_one_session_dismisses_the_others_warning() {
    let name = channel();
    let opts = |name: JsValue| {
        vec![
            ("channelName", name),
            ("idleTimeoutMs", num(30_000.0)),
            ("warnBeforeMs", num(29_700.0)),
            ("activityEvents", Array::new().into()),
        ]
    };
    let a = session(&opts(name.clone()));
    let b = session(&opts(name));
    a.start(None).unwrap();
    assert!(until(10_000, || state(&a) == "warning" && state(&b) == "warning").await);
    a.stay_signed_in().unwrap();
    assert_eq!(state(&a), "active");
    assert!(until(5_000, || state(&b) == "active").await, "b's warning was dismissed");
    a.destroy();
    b.destroy();
}

#[wasm_bindgen_test]
async fn visibility_change_after_a_passed_deadline_expires_at_once() {
    let s = session(&[
        ("channelName", channel()),
        ("idleTimeoutMs", num(300.0)),
        ("warnBeforeMs", num(100.0)),
        ("activityEvents", Array::new().into()),
    ]);
    s.start(None).unwrap();
    // Block the main thread past the deadline, as a frozen tab would be: the
    // timer cannot run, then the page "wakes" with a visibilitychange.
    let until_ms = js_sys::Date::now() + 400.0;
    while js_sys::Date::now() < until_ms {}
    assert_eq!(state(&s), "active", "no timer could run yet");
    let document = web_sys::window().unwrap().document().unwrap();
    document.dispatch_event(&web_sys::Event::new("visibilitychange").unwrap()).unwrap();
    assert_eq!(state(&s), "expired", "honoured in the same task, before any timer");
    s.destroy();
}

#[wasm_bindgen_test]
async fn dom_activity_moves_the_idle_deadline_and_is_throttled() {
    let s = session(&[("channelName", channel()), ("activityThrottleMs", num(60_000.0))]);
    let events = Recorder::attach(&s);
    s.start(None).unwrap();
    let before = s.idle_deadline().unwrap();
    sleep(30).await;
    let document = web_sys::window().unwrap().document().unwrap();
    for _ in 0..500 {
        document.dispatch_event(&web_sys::Event::new("keydown").unwrap()).unwrap();
    }
    assert!(s.idle_deadline().unwrap() > before, "keydown counted as activity");
    assert_eq!(events.count("activity"), 1, "a flood of events is throttled to one");
    s.destroy();
}

#[wasm_bindgen_test]
async fn only_one_of_two_sessions_refreshes_and_both_get_the_token() {
    js("window.__refreshCalls = 0;");
    let hook: Function = js("(async ({ refreshToken }) => { window.__refreshCalls++; \
        await new Promise(r => setTimeout(r, 50)); \
        return { access_token: 'fresh', refresh_token: 'rt2', expires_in: 3600 }; })")
    .unchecked_into();
    let name = channel();
    let opts =
        |name: JsValue| vec![("channelName", name), ("refresh", hook.clone().into()), ("refreshJitterMs", num(0.0))];
    let a = session(&opts(name.clone()));
    let b = session(&opts(name));
    let a_events = Recorder::attach(&a);
    let b_events = Recorder::attach(&b);
    a.start(Some(
        tokens(&[("access_token", "old".into()), ("refresh_token", "rt1".into()), ("expires_in", num(1.0))])
            .unchecked_into(),
    ))
    .unwrap();
    assert!(until(5_000, || state(&b) == "active").await);
    assert!(
        until(10_000, || a.access_token().as_deref() == Some("fresh") && b.access_token().as_deref() == Some("fresh"))
            .await
    );
    sleep(300).await;
    let calls = Reflect::get(&web_sys::window().unwrap(), &"__refreshCalls".into()).unwrap().as_f64();
    assert_eq!(calls, Some(1.0), "one refresh for both sessions");
    // Either tab may win the lock; the other adopts its result.
    let origin = |events: &Recorder| events.find("refreshed").map(|e| field(&e, "origin")).unwrap_or_default();
    let mut origins = [origin(&a_events), origin(&b_events)];
    origins.sort();
    assert_eq!(origins, ["local".to_owned(), "otherTab".to_owned()], "one refreshed, the other adopted");
    a.destroy();
    b.destroy();
}

#[wasm_bindgen_test]
async fn a_definitive_refresh_failure_ends_the_session_without_retrying() {
    js("window.__failCalls = 0;");
    let hook: Function = js("(async () => { window.__failCalls++; throw { status: 401 }; })").unchecked_into();
    let s = session(&[("channelName", channel()), ("refresh", hook.into())]);
    let events = Recorder::attach(&s);
    s.start(Some(tokens(&[("access_token", "a".into()), ("expires_in", num(0.2))]).unchecked_into())).unwrap();
    assert!(until(5_000, || state(&s) == "loggedOut").await);
    let failed = events.find("refreshFailed").expect("event");
    assert_eq!(field(&failed, "code"), "http_401");
    assert_eq!(field(&events.find("loggedOut").unwrap(), "reason"), "revoked", "a 401 means the server ended it");
    sleep(300).await;
    let calls = Reflect::get(&web_sys::window().unwrap(), &"__failCalls".into()).unwrap().as_f64();
    assert_eq!(calls, Some(1.0), "no loop on 401");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_malformed_channel_message_is_dropped_with_an_error_event() {
    let name = channel();
    let s = session(&[("channelName", name.clone())]);
    let events = Recorder::attach(&s);
    let poster = web_sys::BroadcastChannel::new(&name.as_string().unwrap()).unwrap();
    // Messages are objects; text (an older SDK, a foreign script) is not even looked at.
    poster.post_message(&"{\"v\":1,\"kind\":\"logout\"}".into()).unwrap();
    poster.post_message(&js("({ v: 1, kind: 'logout', from: 'nope' })")).unwrap();
    assert!(until(5_000, || events.find("error").is_some()).await);
    assert_eq!(events.count("error"), 1, "the text was ignored");
    assert_eq!(field(&events.find("error").unwrap(), "code"), "bad_field");
    assert_eq!(state(&s), "anonymous");
    poster.close();
    s.destroy();
}

#[wasm_bindgen_test]
async fn after_destroy_no_events_arrive() {
    let name = channel();
    let a = session(&[("channelName", name.clone())]);
    let b = session(&[("channelName", name), ("idleTimeoutMs", num(400.0)), ("warnBeforeMs", num(200.0))]);
    let events = Recorder::attach(&b);
    b.destroy();
    a.start(None).unwrap();
    let document = web_sys::window().unwrap().document().unwrap();
    document.dispatch_event(&web_sys::Event::new("pointerdown").unwrap()).unwrap();
    sleep(600).await;
    assert!(events.types().is_empty(), "destroyed session heard nothing: {:?}", events.types());
    assert_eq!(state(&b), "destroyed");
    a.destroy();
}

#[wasm_bindgen_test]
async fn a_destroyed_session_says_so_and_every_call_on_it_throws_destroyed() {
    let s = session(&[("channelName", channel())]);
    s.start(Some(tokens(&[("access_token", "at".into())]).unchecked_into())).unwrap();
    s.destroy();
    assert_eq!(state(&s), "destroyed");
    s.destroy(); // a second destroy() is a no-op
    assert_eq!(state(&s), "destroyed");
    assert_eq!(s.access_token(), None, "no token handed out after destroy");
    assert_eq!(s.idle_deadline(), None);
    let callback: Function = js("(() => {})").unchecked_into();
    let errors = [
        s.start(None).unwrap_err(),
        s.resume().unwrap_err(),
        s.logout().unwrap_err(),
        s.touch().unwrap_err(),
        s.stay_signed_in().unwrap_err(),
        s.remaining_ms().unwrap_err(),
        s.security_report().unwrap_err(),
        s.set_restore_state(JsValue::NULL).unwrap_err(),
        s.on("stateChange".into(), callback.clone()).unwrap_err(),
        s.on_any(callback).unwrap_err(),
        wasm_bindgen_futures::JsFuture::from(s.fetch("/api/x".into(), None)).await.unwrap_err(),
    ];
    for error in errors {
        let error: js_sys::Error = error.dyn_into().expect("a real Error");
        assert_eq!(String::from(error.name()), "SessionError");
        assert_eq!(field(&error, "code"), "destroyed");
    }
    assert_eq!(state(&s), "destroyed", "nothing brought it back");
}

#[wasm_bindgen_test]
async fn creating_and_destroying_a_thousand_sessions_leaves_nothing_behind() {
    js("(() => {
        const c = window.__leaks = { listeners: 0, timers: 0, channels: 0 };
        const add = EventTarget.prototype.addEventListener, remove = EventTarget.prototype.removeEventListener;
        EventTarget.prototype.addEventListener = function (...a) { c.listeners++; return add.apply(this, a); };
        EventTarget.prototype.removeEventListener = function (...a) { c.listeners--; return remove.apply(this, a); };
        const st = window.setTimeout, ct = window.clearTimeout; const live = new Set();
        window.setTimeout = function (f, ...r) { const id = st.call(window, (...x) => { live.delete(id); c.timers = live.size; f(...x); }, ...r); live.add(id); c.timers = live.size; return id; };
        window.clearTimeout = function (id) { live.delete(id); c.timers = live.size; return ct.call(window, id); };
        const BC = window.BroadcastChannel;
        window.BroadcastChannel = class extends BC { constructor(n) { super(n); c.channels++; } close() { c.channels--; return super.close(); } };
        window.__restoreLeaks = () => { EventTarget.prototype.addEventListener = add; EventTarget.prototype.removeEventListener = remove; window.setTimeout = st; window.clearTimeout = ct; window.BroadcastChannel = BC; };
    })()");
    for i in 0..1_000 {
        let s = session(&[("channelName", channel())]);
        if i % 2 == 0 {
            s.start(None).unwrap();
        }
        s.destroy();
    }
    let leaks = js("window.__leaks");
    js("window.__restoreLeaks()");
    let count = |k: &str| Reflect::get(&leaks, &k.into()).unwrap().as_f64().unwrap();
    assert_eq!(count("listeners"), 0.0, "every listener removed");
    assert_eq!(count("timers"), 0.0, "every timer cleared");
    assert_eq!(count("channels"), 0.0, "every channel closed");
}

#[wasm_bindgen_test]
async fn unusable_storage_degrades_to_memory_with_an_error_event() {
    // Private-mode style: the localStorage getter itself throws.
    js("window.__realLocal = Object.getOwnPropertyDescriptor(window, 'localStorage'); \
        Object.defineProperty(window, 'localStorage', { configurable: true, get() { throw new DOMException('denied', 'SecurityError'); } });");
    let created =
        Session::new(Some(options(&[("channelName", channel()), ("storage", "local".into())]).unchecked_into()));
    js("Object.defineProperty(window, 'localStorage', window.__realLocal);");
    let s = created.expect("a session even without storage");
    let events = Recorder::attach(&s);
    assert!(until(5_000, || events.find("error").is_some()).await, "the app is told");
    assert_eq!(field(&events.find("error").unwrap(), "code"), "storage_unavailable");
    s.start(None).unwrap();
    s.logout().unwrap();
    assert_eq!(state(&s), "loggedOut", "the session works on, in memory");
    s.destroy();
}

/// Installs a scripted `window.fetch` for API calls: 200 when the request
/// carries `Bearer <good>`, 401 otherwise; counts calls and records headers.
fn script_api(good: &str) {
    js(&[
        "window.__api = { calls: 0, auth: [] }; window.__realFetch = window.__realFetch || window.fetch; \
         window.fetch = async (input, init) => { window.__api.calls++; \
         const h = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined)); \
         const auth = h.get('Authorization'); window.__api.auth.push(auth); \
         return new Response(auth === 'Bearer ",
        good,
        "' ? 'ok' : 'no', { status: auth === 'Bearer ",
        good,
        "' ? 200 : 401 }); };",
    ]
    .concat());
}

fn api_stat(key: &str) -> JsValue {
    Reflect::get(&js("window.__api"), &key.into()).unwrap()
}

fn counting_refresh_hook(new_token: &str) -> Function {
    js(&[
        "window.__hookCalls = 0; (async () => { window.__hookCalls++; await new Promise(r => setTimeout(r, 30)); \
         return { access_token: '",
        new_token,
        "', expires_in: 3600 }; })",
    ]
    .concat())
    .unchecked_into()
}

async fn response_status(promise: js_sys::Promise) -> u16 {
    let response: web_sys::Response = wasm_bindgen_futures::JsFuture::from(promise).await.unwrap().dyn_into().unwrap();
    response.status()
}

#[wasm_bindgen_test]
async fn fetch_adds_the_bearer_token_and_does_not_count_as_activity() {
    script_api("t1");
    let s = session(&[("channelName", channel())]);
    s.start(Some(tokens(&[("access_token", "t1".into())]).unchecked_into())).unwrap();
    let idle_before = s.idle_deadline().unwrap();
    sleep(20).await;
    let init = options(&[("headers", options(&[("X-App", "1".into())]).into())]);
    let status = response_status(s.fetch("/api/orders".into(), Some(init))).await;
    restore_fetch();
    assert_eq!(status, 200);
    let auth = Array::from(&api_stat("auth"));
    assert_eq!(auth.get(0).as_string().as_deref(), Some("Bearer t1"));
    assert_eq!(s.idle_deadline().unwrap(), idle_before, "an API call is not user activity");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_401_storm_causes_one_refresh_and_every_call_is_retried_once() {
    script_api("fresh");
    let hook = counting_refresh_hook("fresh");
    let s = session(&[("channelName", channel()), ("refresh", hook.into())]);
    s.start(Some(tokens(&[("access_token", "stale".into()), ("expires_in", num(3600.0))]).unchecked_into())).unwrap();
    let calls: Vec<_> = (0..5).map(|_| s.fetch("/api/orders".into(), None)).collect();
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(response_status(call).await);
    }
    restore_fetch();
    assert_eq!(statuses, vec![200; 5], "every call succeeded after the refresh");
    let hook_calls = Reflect::get(&web_sys::window().unwrap(), &"__hookCalls".into()).unwrap().as_f64();
    assert_eq!(hook_calls, Some(1.0), "one refresh for the whole burst");
    assert_eq!(api_stat("calls").as_f64(), Some(10.0), "each call: one 401, one retry; no loop");
    assert_eq!(state(&s), "active");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_second_401_after_refreshing_ends_the_session_as_revoked() {
    script_api("never-valid");
    let hook = counting_refresh_hook("fresh");
    let s = session(&[("channelName", channel()), ("refresh", hook.into())]);
    let events = Recorder::attach(&s);
    s.start(Some(tokens(&[("access_token", "stale".into()), ("expires_in", num(3600.0))]).unchecked_into())).unwrap();
    let status = response_status(s.fetch("/api/orders".into(), None)).await;
    restore_fetch();
    assert_eq!(status, 401, "the app gets the server's answer");
    assert_eq!(state(&s), "loggedOut");
    assert_eq!(field(&events.find("loggedOut").unwrap(), "reason"), "revoked");
    assert_eq!(api_stat("calls").as_f64(), Some(2.0), "one retry, never a loop");
    s.destroy();
}

fn hook_calls() -> Option<f64> {
    Reflect::get(&web_sys::window().unwrap(), &"__hookCalls".into()).unwrap().as_f64()
}

#[wasm_bindgen_test]
async fn fetch_sends_the_credential_only_to_the_page_and_the_listed_api_origins() {
    script_api("at");
    let hook = counting_refresh_hook("fresh");
    let s = session(&[
        ("channelName", channel()),
        ("refresh", hook.into()),
        ("apiOrigins", Array::of1(&"https://api.example.com".into()).into()),
    ]);
    s.start(Some(tokens(&[("access_token", "at".into()), ("expires_in", num(3600.0))]).unchecked_into())).unwrap();
    let third_party = response_status(s.fetch("https://tracker.example/collect".into(), None)).await;
    let listed = response_status(s.fetch("https://api.example.com/v1/me".into(), None)).await;
    let own = response_status(s.fetch("/api/me".into(), None)).await;
    restore_fetch();
    let auth: Vec<JsValue> = Array::from(&api_stat("auth")).iter().collect();
    assert_eq!(auth[0], JsValue::NULL, "no token for a third party");
    assert_eq!(third_party, 401, "its 401 is returned as it is");
    assert_eq!(hook_calls(), Some(0.0), "and is not taken as the session's end");
    assert_eq!(auth[1].as_string().as_deref(), Some("Bearer at"));
    assert_eq!((listed, own), (200, 200));
    assert_eq!(state(&s), "active");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_401_with_nothing_to_renew_the_credential_ends_a_cookie_session_as_revoked() {
    script_api("never-valid");
    let preset = cookie_preset();
    Reflect::set(&preset, &"channelName".into(), &channel()).unwrap();
    let s = Session::new(Some(preset.unchecked_into())).unwrap();
    let events = Recorder::attach(&s);
    s.start(None).unwrap();
    let status = response_status(s.fetch("/api/orders".into(), None)).await;
    restore_fetch();
    assert_eq!(status, 401);
    assert_eq!(state(&s), "loggedOut");
    assert_eq!(field(&events.find("loggedOut").unwrap(), "reason"), "revoked");
    assert!(events.find("refreshFailed").is_none(), "no refresh was attempted");
    assert_eq!(api_stat("calls").as_f64(), Some(1.0), "no retry");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_401_while_offline_is_returned_and_the_session_stays() {
    script_api("never-valid");
    let hook = counting_refresh_hook("fresh");
    let s = session(&[("channelName", channel()), ("refresh", hook.into())]);
    s.start(Some(tokens(&[("access_token", "at".into()), ("expires_in", num(3600.0))]).unchecked_into())).unwrap();
    let window = web_sys::window().unwrap();
    window.dispatch_event(&web_sys::Event::new("offline").unwrap()).unwrap();
    let status = response_status(s.fetch("/api/orders".into(), None)).await;
    restore_fetch();
    window.dispatch_event(&web_sys::Event::new("online").unwrap()).unwrap();
    assert_eq!(status, 401);
    assert_eq!(state(&s), "active", "no refresh could start: the session is not ended on a guess");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_request_object_with_a_body_can_be_retried() {
    script_api("fresh");
    let hook = counting_refresh_hook("fresh");
    let s = session(&[("channelName", channel()), ("refresh", hook.into())]);
    s.start(Some(tokens(&[("access_token", "stale".into()), ("expires_in", num(3600.0))]).unchecked_into())).unwrap();
    let request = js("new Request('/api/orders', { method: 'POST', body: 'payload' })");
    let status = response_status(s.fetch(request, None)).await;
    restore_fetch();
    assert_eq!(status, 200);
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_401_for_the_apps_own_authorization_is_handed_back_untouched() {
    script_api("session-token");
    let hook = counting_refresh_hook("fresh");
    let s = session(&[("channelName", channel()), ("refresh", hook.into())]);
    let login = tokens(&[("access_token", "session-token".into()), ("expires_in", num(3600.0))]);
    s.start(Some(login.unchecked_into())).unwrap();
    let init = options(&[("headers", options(&[("Authorization", "Bearer the-apps-own".into())]).into())]);
    let status = response_status(s.fetch("/api/orders".into(), Some(init))).await;
    restore_fetch();
    assert_eq!(status, 401, "the app gets its answer");
    let auth = Array::from(&api_stat("auth"));
    assert_eq!(auth.get(0).as_string().as_deref(), Some("Bearer the-apps-own"), "the app's header wins");
    assert_eq!(api_stat("calls").as_f64(), Some(1.0), "no retry");
    assert_eq!(hook_calls(), Some(0.0), "no refresh");
    assert_eq!(state(&s), "active", "and the session lives on");
    s.destroy();
}

/// A scripted backend behind `window.fetch`: refresh-token rotation with reuse
/// detection, a revocation and a logout endpoint, and a keepalive. Records
/// every request (url, method, body, headers, credentials, keepalive).
fn script_backend(extra: &str) {
    js(&[
        "window.__realFetch = window.__realFetch || window.fetch; \
         const b = window.__backend = { current: 'rt1', n: 1, reused: false, log: [], refreshStatus: null }; ",
        extra,
        " window.fetch = async (url, init) => { init = init || {}; const h = new Headers(init.headers); \
           const body = typeof init.body === 'string' ? init.body : ''; \
           b.log.push({ url: String(url), method: init.method, body, credentials: init.credentials, \
                        keepalive: !!init.keepalive, csrf: h.get('X-CSRF-Token'), type: h.get('Content-Type') }); \
           if (url === '/auth/refresh' || url === '/oauth/token') { \
             if (b.refreshStatus) { const s = b.refreshStatus; b.refreshStatus = null; \
               return new Response(s === 200 ? '<html>maintenance</html>' : 'busy', \
                 { status: s, headers: { 'Retry-After': '0', 'Content-Type': 'text/html' } }); } \
             const presented = (body.match(/refresh_token[\"=:]+([a-z0-9]+)/) || [])[1]; \
             if (presented !== b.current) { b.reused = true; \
               return new Response('{\"error\":\"invalid_grant\"}', { status: 400 }); } \
             b.n++; b.current = 'rt' + b.n; \
             return new Response(JSON.stringify({ access_token: 'at' + b.n, refresh_token: b.current, expires_in: 1 }), \
               { status: 200, headers: { 'Content-Type': 'application/json' } }); } \
           if (url === '/auth/keepalive') return new Response('{}', { status: 200 }); \
           if (url === '/auth/session') return new Response(JSON.stringify(b.session || { signedIn: false }), \
             { status: 200, headers: { 'Content-Type': 'application/json' } }); \
           return new Response('', { status: 200 }); };",
    ]
    .concat());
}

/// The cookieSession preset for the scripted backend's endpoints.
fn cookie_preset() -> Object {
    wasm_session::cookie_session(
        options(&[
            ("keepaliveUrl", "/auth/keepalive".into()),
            ("sessionUrl", "/auth/session".into()),
            ("logoutUrl", "/auth/logout".into()),
        ])
        .into(),
    )
    .unwrap()
}

fn backend_log() -> Vec<JsValue> {
    Array::from(&js("window.__backend.log")).iter().collect()
}

fn backend(key: &str) -> JsValue {
    Reflect::get(&js("window.__backend"), &key.into()).unwrap()
}

#[wasm_bindgen_test]
async fn refresh_through_an_endpoint_with_rotation_handed_over_between_tabs() {
    script_backend("");
    let name = channel();
    let opts = |name: JsValue| {
        vec![
            ("channelName", name),
            ("endpoints", options(&[("refresh", "/auth/refresh".into())]).into()),
            ("refreshJitterMs", num(0.0)),
            ("retryInitialMs", num(100.0)),
        ]
    };
    let a = session(&opts(name.clone()));
    let b = session(&opts(name));
    a.start(Some(
        tokens(&[("access_token", "at1".into()), ("refresh_token", "rt1".into()), ("expires_in", num(1.0))])
            .unchecked_into(),
    ))
    .unwrap();
    assert!(until(5_000, || state(&b) == "active").await);
    // Three rotations: whichever tab refreshes must present the newest token.
    assert!(until(10_000, || backend("n").as_f64().unwrap_or(0.0) >= 4.0).await, "three refreshes happened");
    restore_fetch();
    assert_eq!(backend("reused").as_bool(), Some(false), "no tab presented a rotated-out refresh token");
    assert_eq!(state(&a), "active");
    assert_eq!(state(&b), "active");
    let latest = a.access_token().unwrap();
    assert!(
        until(2_000, || b.access_token().as_deref() == Some(latest.as_str())).await,
        "both tabs hold the newest token"
    );
    a.destroy();
    b.destroy();
}

#[wasm_bindgen_test]
async fn the_oauth2_preset_sends_a_form_encoded_refresh_grant_and_revokes_on_logout() {
    script_backend("");
    let preset = wasm_session::oauth2(
        options(&[
            ("tokenUrl", "/oauth/token".into()),
            ("clientId", "app".into()),
            ("revocationUrl", "/oauth/revoke".into()),
        ])
        .into(),
    )
    .unwrap();
    Reflect::set(&preset, &"channelName".into(), &channel()).unwrap();
    let s = Session::new(Some(preset.unchecked_into())).unwrap();
    let events = Recorder::attach(&s);
    s.start(Some(
        tokens(&[("access_token", "at1".into()), ("refresh_token", "rt1".into()), ("expires_in", num(1.0))])
            .unchecked_into(),
    ))
    .unwrap();
    assert!(until(5_000, || events.find("refreshed").is_some()).await);
    let refresh = backend_log().into_iter().find(|r| field(r, "url") == "/oauth/token").unwrap();
    assert_eq!(field(&refresh, "body"), "grant_type=refresh_token&refresh_token=rt1&client_id=app");
    assert_eq!(field(&refresh, "type"), "application/x-www-form-urlencoded");
    s.logout().unwrap();
    assert!(until(5_000, || backend_log().iter().filter(|r| field(r, "url") == "/oauth/revoke").count() == 2).await);
    restore_fetch();
    let revocations: Vec<_> = backend_log().into_iter().filter(|r| field(r, "url") == "/oauth/revoke").collect();
    assert!(field(&revocations[0], "body").contains("token_type_hint=refresh_token"), "refresh token first");
    assert!(field(&revocations[1], "body").contains("token_type_hint=access_token"));
    assert!(revocations.iter().all(|r| Reflect::get(r, &"keepalive".into()).unwrap().as_bool() == Some(true)));
    s.destroy();
}

#[wasm_bindgen_test]
async fn unusable_refresh_answers_are_typed_and_retried() {
    script_backend("b.refreshStatus = 200;"); // first answer: an HTML page with status 200
    let s = session(&[
        ("channelName", channel()),
        ("endpoints", options(&[("refresh", "/auth/refresh".into())]).into()),
        ("retryInitialMs", num(50.0)),
    ]);
    let events = Recorder::attach(&s);
    s.start(Some(
        tokens(&[("access_token", "at1".into()), ("refresh_token", "rt1".into()), ("expires_in", num(0.4))])
            .unchecked_into(),
    ))
    .unwrap();
    assert!(until(5_000, || events.find("refreshed").is_some()).await, "the retry succeeded");
    restore_fetch();
    let failed = events.find("refreshFailed").expect("the HTML page was reported");
    assert_eq!(field(&failed, "code"), "bad_response");
    assert_eq!(Reflect::get(&failed, &"definitive".into()).unwrap().as_bool(), Some(false));
    assert_eq!(state(&s), "active");
    s.destroy();
}

#[wasm_bindgen_test]
async fn logout_ends_locally_even_when_the_server_cannot_be_reached() {
    js("window.__realFetch = window.__realFetch || window.fetch; \
        window.fetch = async () => { throw new TypeError('Failed to fetch'); };");
    let name = channel();
    let opts = |name: JsValue| {
        vec![("channelName", name), ("endpoints", options(&[("logout", "/auth/logout".into())]).into())]
    };
    let a = session(&opts(name.clone()));
    let b = session(&opts(name));
    let events = Recorder::attach(&a);
    a.start(None).unwrap();
    assert!(until(5_000, || state(&b) == "active").await);
    a.logout().unwrap();
    assert_eq!(state(&a), "loggedOut", "local logout does not wait for the server");
    assert!(until(5_000, || state(&b) == "loggedOut").await, "every tab is told");
    assert!(until(5_000, || events.find("error").is_some()).await);
    restore_fetch();
    assert_eq!(field(&events.find("error").unwrap(), "code"), "logout_failed");
    a.destroy();
    b.destroy();
}

#[wasm_bindgen_test]
async fn the_cookie_session_preset_sends_keepalives_with_credentials_and_csrf() {
    script_backend("");
    js("document.cookie = 'csrf=tok123; path=/';");
    let preset = cookie_preset();
    for (key, value) in [
        ("channelName", channel()),
        ("keepaliveEveryMs", num(100.0)),
        ("csrf", options(&[("header", "X-CSRF-Token".into()), ("cookie", "csrf".into())]).into()),
    ] {
        Reflect::set(&preset, &key.into(), &value).unwrap();
    }
    let s = Session::new(Some(preset.unchecked_into())).unwrap();
    s.start(None).unwrap();
    sleep(150).await;
    s.touch().unwrap();
    assert!(until(5_000, || backend_log().iter().any(|r| field(r, "url") == "/auth/keepalive")).await);
    restore_fetch();
    js("document.cookie = 'csrf=; max-age=0; path=/';");
    let keepalive = backend_log().into_iter().find(|r| field(r, "url") == "/auth/keepalive").unwrap();
    assert_eq!(field(&keepalive, "credentials"), "include");
    assert_eq!(field(&keepalive, "csrf"), "tok123");
    assert_eq!(state(&s), "active");
    s.destroy();
}

#[wasm_bindgen_test]
fn presets_reject_missing_fields_with_a_code() {
    let error = wasm_session::oauth2(options(&[("tokenUrl", "/t".into())]).into()).unwrap_err();
    assert_eq!(field(&error, "code"), "invalid_config");
    assert!(field(&error, "message").contains("clientId"));
}

#[wasm_bindgen_test]
fn transport_options_are_checked_by_name() {
    let bad = Session::new(Some(options(&[("endpoints", options(&[("refresh", num(5.0))]).into())]).unchecked_into()))
        .unwrap_err();
    assert_eq!(field(&bad, "code"), "invalid_config");
    assert!(field(&bad, "message").contains("endpoints.refresh"), "{}", field(&bad, "message"));
}

#[wasm_bindgen_test]
async fn cookie_mode_resume_asks_the_server_and_a_later_signed_out_answer_ends_the_session() {
    let cap = js_sys::Date::now() + 3_600_000.0;
    script_backend(&["b.session = { signedIn: true, absoluteExpiresAt: ", &cap.to_string(), " };"].concat());
    let preset = cookie_preset();
    Reflect::set(&preset, &"channelName".into(), &channel()).unwrap();
    let s = Session::new(Some(preset.unchecked_into())).unwrap();
    let events = Recorder::attach(&s);
    s.resume().unwrap();
    assert!(until(5_000, || state(&s) == "active").await, "signed in from the server's answer");
    assert!((s.absolute_deadline().unwrap() - cap).abs() < 2_000.0, "the server's absolute deadline is the cap");
    js("window.__backend.session = { signedIn: false };");
    s.resume().unwrap();
    assert!(until(5_000, || state(&s) == "loggedOut").await);
    restore_fetch();
    assert_eq!(field(&events.find("loggedOut").unwrap(), "reason"), "revoked");
    let session_call = backend_log().into_iter().find(|r| field(r, "url") == "/auth/session").unwrap();
    assert_eq!(field(&session_call, "method"), "GET");
    s.destroy();
}
