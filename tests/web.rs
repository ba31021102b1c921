//! Browser tests of the JS API (`wasm-pack test --headless --chrome`).
//!
//! Tests wait for conditions with generous upper bounds and never assert how
//! long something took, so a slow machine cannot fail them.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Reflect};
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
fn an_event_type_that_is_not_a_string_is_a_type_error() {
    let s = session(&[("channelName", channel())]);
    let callback: Function = js("(() => {})").unchecked_into();
    for kind in [JsValue::UNDEFINED, JsValue::NULL, JsValue::from_f64(1.0)] {
        let error = s.on(kind, callback.clone()).unwrap_err();
        assert!(error.is_instance_of::<js_sys::TypeError>(), "a TypeError, not a listener that never fires");
    }
    s.destroy();
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
    // The logout's events wait until `started` has reached every listener.
    assert_eq!(events.types(), vec!["stateChange", "started", "stateChange", "loggedOut"]);
    s.destroy();
    drop(callback);
}

#[wasm_bindgen_test]
fn a_destroy_in_a_listener_still_delivers_the_events_raised_before_it() {
    let s = Rc::new(session(&[("channelName", channel())]));
    let inner = s.clone();
    let callback = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        inner.logout().unwrap();
        inner.destroy();
    });
    s.on("started".into(), callback.as_ref().unchecked_ref::<Function>().clone()).unwrap();
    let later = Recorder::attach(&s);
    s.start(None).unwrap();
    // The dialog and the React store learn the session ended, though it is destroyed.
    assert_eq!(later.types(), vec!["stateChange", "started", "stateChange", "loggedOut"]);
    assert_eq!(state(&s), "destroyed");
    drop(callback);
}

#[wasm_bindgen_test]
fn a_destroy_in_a_listener_still_delivers_the_rest_of_the_same_change() {
    let s = Rc::new(session(&[("channelName", channel())]));
    let inner = s.clone();
    // One input raises `stateChange` and `started`; the first listener destroys at the first.
    let callback = Closure::<dyn FnMut(JsValue)>::new(move |_| inner.destroy());
    s.on("stateChange".into(), callback.as_ref().unchecked_ref::<Function>().clone()).unwrap();
    let later = Recorder::attach(&s);
    s.start(None).unwrap();
    assert_eq!(later.types(), vec!["stateChange", "started"]);
    assert_eq!(state(&s), "destroyed");
    drop(callback);
}

#[wasm_bindgen_test]
fn every_listener_sees_events_in_order_when_one_calls_into_the_session() {
    let s = Rc::new(session(&[("channelName", channel())]));
    // As an app renders on each event: `remainingMs()` catches the machine up,
    // which used to deliver the events still queued before this one finished.
    let inner = s.clone();
    let render = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        inner.remaining_ms().unwrap();
    });
    s.on_any(render.as_ref().unchecked_ref::<Function>().clone()).unwrap();
    let later = Recorder::attach(&s);
    s.start(None).unwrap();
    assert_eq!(later.types(), vec!["stateChange", "started"]);
    let change = later.find("stateChange").expect("event");
    assert_eq!(field(&change, "to"), "active");
    s.destroy();
    drop(render);
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
    let document = web_sys::window().unwrap().document().unwrap();
    for i in 0..1_000 {
        let s = session(&[("channelName", channel())]);
        if i % 2 == 0 {
            s.start(None).unwrap();
        }
        if i % 4 == 0 {
            // Reported activity: the listeners are off and a timer will put them back.
            document.dispatch_event(&web_sys::Event::new("pointerdown").unwrap()).unwrap();
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
