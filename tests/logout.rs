//! Logout stays a logout, in a real browser (`wasm-pack test --headless
//! --chrome`; issue 12): the tombstones shared in `localStorage`, the owed
//! logout sent again when the browser is back online, a stored session of an
//! ended session, a tab that missed the logout, and a change of user.
//!
//! Like `web.rs`, tests wait for conditions with generous bounds and never
//! assert how long something took.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wasm_session::Session;

mod common;
use common::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A cookie-session backend behind `window.fetch`. `/auth/session` answers for
/// `window.__site.user` (`null`: nobody); `/auth/logout` throws like a dropped
/// connection while `__site.down`, else answers `__site.logoutStatus` (204),
/// and a 2xx signs the user out. Every request is logged with the answer's user.
fn script_site(user: &str) {
    js(&[
        "window.__realFetch = window.__realFetch || window.fetch; \
         const site = window.__site = { user: '",
        user,
        "', down: false, logoutStatus: 204, log: [] }; \
         window.fetch = async (url, init) => { init = init || {}; \
           const entry = { url: String(url), keepalive: !!init.keepalive, user: site.user, \
                           authorization: new Headers(init.headers).get('Authorization') }; \
           site.log.push(entry); \
           if (site.down) throw new TypeError('Failed to fetch'); \
           if (url === '/auth/logout') { const status = site.logoutStatus; \
             if (status >= 200 && status < 300) site.user = null; \
             entry.status = status; return new Response(null, { status }); } \
           if (url === '/auth/session') return new Response( \
             JSON.stringify(site.user ? { signedIn: true, user: site.user } : { signedIn: false, user: null }), \
             { status: 200, headers: { 'Content-Type': 'application/json' } }); \
           return new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } }); };",
    ]
    .concat());
}

fn site_log(url: &str) -> Vec<JsValue> {
    Array::from(&js("window.__site.log")).iter().filter(|entry| field(entry, "url") == url).collect()
}

/// The cookieSession preset on the scripted site, on channel `name`, plus `extra`.
fn cookie_session(name: &JsValue, extra: &[(&str, JsValue)]) -> Session {
    let preset = wasm_session::cookie_session(
        options(&[
            ("keepaliveUrl", "/auth/keepalive".into()),
            ("sessionUrl", "/auth/session".into()),
            ("logoutUrl", "/auth/logout".into()),
        ])
        .into(),
    )
    .unwrap();
    Reflect::set(&preset, &"channelName".into(), name).unwrap();
    for (key, value) in extra {
        Reflect::set(&preset, &(*key).into(), value).unwrap();
    }
    Session::new(Some(preset.unchecked_into())).unwrap()
}

fn local_storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

fn session_storage() -> web_sys::Storage {
    web_sys::window().unwrap().session_storage().unwrap().unwrap()
}

fn tombstones_key(name: &JsValue) -> String {
    ["wasm-session/ended/", &name.as_string().unwrap()].concat()
}

/// The stored tombstones' `told` flags, in order.
fn told(name: &JsValue) -> Vec<bool> {
    let Some(text) = local_storage().get_item(&tombstones_key(name)).unwrap() else { return Vec::new() };
    let stored = js_sys::JSON::parse(&text).unwrap();
    Array::from(&Reflect::get(&stored, &"ended".into()).unwrap())
        .iter()
        .map(|entry| Reflect::get(&entry, &"told".into()).unwrap().as_bool().unwrap())
        .collect()
}

/// The stored tombstones of another tab's logout, now, of a session that
/// started now (after this page's: it had replaced it).
fn a_later_sessions_tombstone() -> String {
    let now = js_sys::Date::now().to_string();
    [
        r#"{"v":1,"ended":[{"epoch":"0123456789abcdef0123456789abcdef","reason":"user","started":"#,
        &now,
        r#","at":"#,
        &now,
        r#","until":"#,
        &(js_sys::Date::now() + 3_600_000.0).to_string(),
        r#","told":true}]}"#,
    ]
    .concat()
}

/// Another tab writes the tombstones while this page sleeps; then it wakes.
fn another_tab_writes_then_this_page_wakes(key: &str, value: &str) {
    local_storage().set_item(key, value).unwrap();
    js("window.dispatchEvent(new Event('pageshow'));");
}

#[wasm_bindgen_test]
async fn an_offline_logout_stays_logged_out_and_is_sent_again_when_back_online() {
    script_site("alice");
    let name = channel();
    let s = cookie_session(&name, &[]);
    let events = Recorder::attach(&s);
    s.start(Some(tokens(&[("user", "alice".into())]).unchecked_into())).unwrap();
    js("window.__site.down = true;");
    s.logout().unwrap();
    assert!(until(5_000, || events.find("error").is_some()).await);
    assert_eq!(field(&events.find("error").unwrap(), "code"), "logout_failed");
    assert_eq!(told(&name), vec![false], "the logout is owed, in localStorage");
    assert_eq!(js("window.__site.user").as_string().as_deref(), Some("alice"), "the server never heard");

    // Back online: the page wakes, asks the server (still "signed in") and
    // sends the logout again.
    js("window.__site.down = false; window.dispatchEvent(new Event('online'));");
    let delivered = || site_log("/auth/logout").iter().any(|e| Reflect::get(e, &"status".into()).unwrap() == 204);
    assert!(until(5_000, delivered).await, "the logout was sent again and taken");
    assert!(until(5_000, || told(&name) == vec![true]).await, "the tombstone says the server knows");
    let checks = site_log("/auth/session");
    assert!(checks.iter().any(|check| field(check, "user") == "alice"), "a check found the old session signed in");
    let resent = site_log("/auth/logout").into_iter().last().unwrap();
    assert_eq!(Reflect::get(&resent, &"keepalive".into()).unwrap().as_bool(), Some(true));
    assert!(Reflect::get(&resent, &"authorization".into()).unwrap().is_null(), "no token: they are gone");
    // Focus, visibility: still logged out.
    js("window.dispatchEvent(new Event('focus')); document.dispatchEvent(new Event('visibilitychange'));");
    sleep(100).await;
    restore_fetch();
    assert_eq!(state(&s), "loggedOut");
    assert_eq!(events.count("started"), 1, "never signed in again");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_stored_session_whose_session_ended_in_another_tab_is_refused_and_wiped() {
    script_site("alice");
    let name = channel();
    let stored_key = [name.as_string().unwrap().as_str(), ":session"].concat();
    let keeper = cookie_session(&name, &[("storage", "session".into())]);
    let other = cookie_session(&name, &[]);
    keeper.start(None).unwrap();
    assert!(until(5_000, || state(&other) == "active").await);
    assert!(session_storage().get_item(&stored_key).unwrap().is_some(), "the session is stored");
    // The keeper is discarded (its sessionStorage survives), then the other tab logs out.
    keeper.destroy();
    other.logout().unwrap();
    assert!(until(5_000, || told(&name) == vec![true]).await);
    // The discarded tab comes back (reload, Ctrl-Shift-T).
    let back = cookie_session(&name, &[("storage", "session".into())]);
    let events = Recorder::attach(&back);
    back.resume().unwrap();
    assert_eq!(state(&back), "anonymous", "the stored session of an ended session is refused");
    assert_eq!(session_storage().get_item(&stored_key).unwrap(), None, "and wiped");
    assert!(until(5_000, || !site_log("/auth/session").is_empty()).await);
    sleep(50).await;
    restore_fetch();
    assert_eq!(state(&back), "anonymous");
    assert_eq!(events.count("error"), 0, "an ended session is simply over");
    back.destroy();
    other.destroy();
}

#[wasm_bindgen_test]
async fn a_tab_that_missed_the_logout_ends_when_it_wakes_and_reads_the_tombstones() {
    let name = channel();
    let s = session(&[("channelName", name.clone())]);
    let events = Recorder::attach(&s);
    s.start(None).unwrap();
    sleep(5).await;
    // Another tab's logout, seen only in storage (this page slept through the
    // message): the end of a session that started after this one ends this one
    // too (it had replaced it).
    another_tab_writes_then_this_page_wakes(&tombstones_key(&name), &a_later_sessions_tombstone());
    assert!(until(5_000, || state(&s) == "loggedOut").await);
    let logged_out = events.find("loggedOut").unwrap();
    assert_eq!((field(&logged_out, "reason"), field(&logged_out, "origin")), ("otherTab".into(), "otherTab".into()));
    // Junk under the key changes nothing and throws nothing.
    let t = session(&[("channelName", name.clone())]);
    sleep(5).await;
    t.start(None).unwrap();
    for junk in ["not json", "[]", r#"{"v":1,"ended":[{"epoch":5}]}"#, "null"] {
        another_tab_writes_then_this_page_wakes(&tombstones_key(&name), junk);
    }
    assert_eq!(state(&t), "active");
    local_storage().remove_item(&tombstones_key(&name)).unwrap();
    s.destroy();
    t.destroy();
}

#[wasm_bindgen_test]
async fn a_session_past_its_idle_deadline_reads_the_tombstones_before_it_expires() {
    let name = channel();
    let s = session(&[
        ("channelName", name.clone()),
        ("idleTimeoutMs", num(1_200.0)),
        ("warnBeforeMs", num(1_000.0)),
        ("activityEvents", Array::new().into()),
    ]);
    let events = Recorder::attach(&s);
    s.start(None).unwrap();
    sleep(5).await;
    // Another tab's logout, written while this page was frozen: no message, and
    // no wake event before this page's timer fires past the idle deadline.
    local_storage().set_item(&tombstones_key(&name), &a_later_sessions_tombstone()).unwrap();
    assert!(until(10_000, || matches!(state(&s).as_str(), "loggedOut" | "expired")).await);
    assert_eq!(state(&s), "loggedOut", "ended as the other tab's logout, not expired here");
    assert!(events.find("expired").is_none());
    let logged_out = events.find("loggedOut").unwrap();
    assert_eq!((field(&logged_out, "reason"), field(&logged_out, "origin")), ("otherTab".into(), "otherTab".into()));
    local_storage().remove_item(&tombstones_key(&name)).unwrap();
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_session_answer_for_another_user_ends_every_tab_as_user_changed() {
    script_site("alice");
    let name = channel();
    let a = cookie_session(&name, &[]);
    let b = cookie_session(&name, &[]);
    let (a_events, b_events) = (Recorder::attach(&a), Recorder::attach(&b));
    a.start(Some(tokens(&[("user", "alice".into())]).unchecked_into())).unwrap();
    assert!(until(5_000, || state(&b) == "active").await);
    // A second login in another window: the cookie is bob's now.
    js("window.__site.user = 'bob';");
    b.resume().unwrap();
    assert!(until(5_000, || state(&a) == "loggedOut" && state(&b) == "loggedOut").await);
    restore_fetch();
    for (events, origin) in [(&b_events, "server"), (&a_events, "otherTab")] {
        let logged_out = events.find("loggedOut").unwrap();
        assert_eq!((field(&logged_out, "reason"), field(&logged_out, "origin")), ("userChanged".into(), origin.into()));
    }
    let reports = b_events.0.borrow().iter().filter(|e| field(e, "code") == "user_changed").count();
    assert_eq!(reports, 1, "reported once, by the tab that saw it");
    assert!(a_events.find("error").is_none());
    assert!(site_log("/auth/logout").is_empty(), "bob's session is left alone");
    a.destroy();
    b.destroy();
}
