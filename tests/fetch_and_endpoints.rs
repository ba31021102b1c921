//! Browser tests of `session.fetch` (bearer token, the 401 rules, which
//! origins get the credential) and of the endpoint transport and its presets
//! (`wasm-pack test --headless --chrome`), split from `web.rs`.
//!
//! Tests wait for conditions with generous upper bounds and never assert how
//! long something took, so a slow machine cannot fail them.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wasm_session::Session;

mod common;
use common::*;

wasm_bindgen_test_configure!(run_in_browser);

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
