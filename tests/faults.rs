//! Faults in a real browser (`wasm-pack test --headless --chrome`): a scripted
//! backend behind `window.fetch` that fails on cue, broken web storage,
//! missing browser APIs, clock jumps and skew, replayed messages.
//!
//! Each test proves what the session does under one fault of issue 7 §2;
//! `SECURITY.md` lists where every fault is tested (here, in the core's
//! native tests, or end to end). Like `web.rs`, tests wait for conditions
//! with generous bounds and never assert how long something took.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wasm_session::browser::idb;
use wasm_session::core::{keys, GenerationNote, Id128};
use wasm_session::Session;

mod common;
use common::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A refresh endpoint at `/auth/refresh` behind `window.fetch` that rotates
/// tokens (flagging reuse) and first plays the scripted `answers`, one per
/// request: `"hang"` (never answers, honours the abort signal), `"network"`
/// (throws like a dropped connection), or `{ status, body, headers }`.
/// Successful answers last `window.__faults.expiresIn` seconds (default 3600)
/// and are served with `window.__faults.type` (default JSON).
fn scripted_refresh(answers: &str) {
    js(&[
        "window.__realFetch = window.__realFetch || window.fetch; \
         const f = window.__faults = { answers: ",
        answers,
        ", calls: [], n: 1, current: 'rt1', reused: false, expiresIn: 3600, type: 'application/json', \
           dateOffsetMs: null, absolute: false }; \
         window.fetch = (url, init) => { init = init || {}; const body = typeof init.body === 'string' ? init.body : ''; \
           if (String(url) !== '/auth/refresh') return Promise.resolve(new Response('{}', { status: 200 })); \
           f.calls.push(Date.now()); const a = f.answers.shift(); \
           if (a === 'hang') return new Promise((_, reject) => init.signal && init.signal.addEventListener('abort', \
             () => reject(new DOMException('aborted', 'AbortError')))); \
           if (a === 'network') return Promise.reject(new TypeError('Failed to fetch')); \
           if (a) return Promise.resolve(new Response(a.body, { status: a.status, headers: a.headers || {} })); \
           const presented = (body.match(/refresh_token[\"=:]+([a-z0-9]+)/) || [])[1]; \
           if (presented !== f.current) { f.reused = true; \
             return Promise.resolve(new Response('{\"error\":\"invalid_grant\"}', { status: 400 })); } \
           f.n++; f.current = 'rt' + f.n; \
           const serverNow = Date.now() + (f.dateOffsetMs || 0); \
           const answer = { access_token: 'at' + f.n, refresh_token: f.current }; \
           if (f.absolute) answer.expires_at = Math.floor(serverNow / 1000) + f.expiresIn; \
           else answer.expires_in = f.expiresIn; \
           const headers = { 'Content-Type': f.type }; \
           if (f.dateOffsetMs !== null) headers['Date'] = new Date(serverNow).toUTCString(); \
           return Promise.resolve(new Response(JSON.stringify(answer), { status: 200, headers })); };",
    ]
    .concat());
}

fn faults(key: &str) -> JsValue {
    Reflect::get(&js("window.__faults"), &key.into()).unwrap()
}

fn refresh_calls() -> usize {
    Array::from(&faults("calls")).length() as usize
}

/// Options for a session refreshing through the scripted endpoint.
fn refreshing(name: JsValue, extra: &[(&'static str, JsValue)]) -> Vec<(&'static str, JsValue)> {
    let mut pairs: Vec<(&'static str, JsValue)> = vec![
        ("channelName", name),
        ("endpoints", options(&[("refresh", "/auth/refresh".into())]).into()),
        ("retryInitialMs", num(50.0)),
        ("refreshJitterMs", num(0.0)),
    ];
    pairs.extend(extra.iter().cloned());
    pairs
}

/// Starts `s` with tokens that need a refresh at once (expire in 0.4 s).
fn start_expiring(s: &Session) {
    s.start(Some(
        tokens(&[("access_token", "at1".into()), ("refresh_token", "rt1".into()), ("expires_in", num(0.4))])
            .unchecked_into(),
    ))
    .unwrap();
}

fn failure_codes(events: &Recorder) -> Vec<String> {
    events.0.borrow().iter().filter(|e| field(e, "type") == "refreshFailed").map(|e| field(e, "code")).collect()
}

fn number(object: &JsValue, name: &str) -> f64 {
    Reflect::get(object, &name.into()).unwrap().as_f64().unwrap_or(f64::NAN)
}

#[wasm_bindgen_test]
async fn server_5xx_is_retried_no_sooner_than_its_retry_after() {
    scripted_refresh("[{ status: 503, body: 'busy', headers: { 'Retry-After': '1' } }]");
    let s = session(&refreshing(channel(), &[]));
    let events = Recorder::attach(&s);
    start_expiring(&s);
    assert!(until(10_000, || events.find("refreshed").is_some()).await, "the retry succeeded");
    restore_fetch();
    let failed = events.find("refreshFailed").unwrap();
    assert_eq!(field(&failed, "code"), "http_5xx");
    assert_eq!(Reflect::get(&failed, &"definitive".into()).unwrap().as_bool(), Some(false));
    // `at` is stamped when the event is emitted, a moment after the core
    // computed `retryAt` from the answer's arrival: allow for that moment.
    assert!(number(&failed, "retryAt") - number(&failed, "at") >= 950.0, "Retry-After is a floor");
    let calls: Vec<f64> = Array::from(&faults("calls")).iter().filter_map(|t| t.as_f64()).collect();
    assert_eq!(calls.len(), 2);
    assert!(calls[1] - calls[0] >= 950.0, "the retry waited for Retry-After");
    assert_eq!(state(&s), "active");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_request_that_never_answers_times_out_and_is_retried() {
    scripted_refresh("['hang']");
    let s = session(&refreshing(channel(), &[("requestTimeoutMs", num(300.0))]));
    let events = Recorder::attach(&s);
    start_expiring(&s);
    assert!(until(10_000, || events.find("refreshed").is_some()).await, "the retry succeeded");
    restore_fetch();
    assert_eq!(failure_codes(&events), ["timeout"]);
    assert_eq!(s.access_token().as_deref(), Some("at2"));
    s.destroy();
}

#[wasm_bindgen_test]
async fn network_down_is_retried_with_backoff_until_it_is_back() {
    scripted_refresh("['network', 'network']");
    let s = session(&refreshing(channel(), &[]));
    let events = Recorder::attach(&s);
    start_expiring(&s);
    assert!(until(10_000, || events.find("refreshed").is_some()).await);
    restore_fetch();
    assert_eq!(failure_codes(&events), ["network", "network"]);
    let failures: Vec<f64> = events
        .0
        .borrow()
        .iter()
        .filter(|e| field(e, "type") == "refreshFailed")
        .map(|e| number(e, "failures"))
        .collect();
    assert_eq!(failures, [1.0, 2.0], "consecutive failures are counted for the backoff");
    assert_eq!(state(&s), "active");
    s.destroy();
}

#[wasm_bindgen_test]
async fn html_error_pages_and_wrong_content_types_are_judged_by_the_body() {
    scripted_refresh(
        "[{ status: 502, body: '<html><body>Bad gateway</body></html>', headers: { 'Content-Type': 'text/html' } }, \
          { status: 200, body: '<!doctype html><title>Sign in</title>', headers: { 'Content-Type': 'application/json' } }]",
    );
    // The real token answer then comes as text/plain: a JSON body is accepted
    // whatever the content type says, and nothing else is.
    js("window.__faults.type = 'text/plain';");
    let s = session(&refreshing(channel(), &[]));
    let events = Recorder::attach(&s);
    start_expiring(&s);
    assert!(until(10_000, || events.find("refreshed").is_some()).await);
    restore_fetch();
    assert_eq!(failure_codes(&events), ["http_5xx", "bad_response"]);
    assert_eq!(s.access_token().as_deref(), Some("at2"));
    s.destroy();
}

#[wasm_bindgen_test]
async fn malformed_and_oversized_bodies_are_typed_failures_and_retried() {
    scripted_refresh(
        "[{ status: 200, body: '{\"access_token\":' }, \
          { status: 200, body: JSON.stringify({ access_token: 'x'.repeat(10000), expires_in: 60 }) }, \
          { status: 200, body: '{\"access_token\": 5, \"expires_in\": \"soon\"}' }, \
          { status: 200, body: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' }]",
    );
    let s = session(&refreshing(channel(), &[("maxBodyBytes", num(4096.0))]));
    let events = Recorder::attach(&s);
    start_expiring(&s);
    assert!(until(10_000, || events.find("refreshed").is_some()).await);
    restore_fetch();
    assert_eq!(failure_codes(&events), ["bad_response"; 4]);
    assert_eq!(s.access_token().as_deref(), Some("at2"), "no part of a bad answer was taken");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_server_clock_an_hour_off_either_way_does_not_move_token_expiry() {
    for offset in [3_600_000.0, -3_600_000.0] {
        scripted_refresh("[]");
        js(&["window.__faults.dateOffsetMs = ", &offset.to_string(), "; window.__faults.absolute = true;"].concat());
        js("window.__faults.expiresIn = 120;");
        let s = session(&refreshing(channel(), &[]));
        let events = Recorder::attach(&s);
        start_expiring(&s);
        assert!(until(10_000, || events.find("refreshed").is_some()).await);
        sleep(300).await;
        restore_fetch();
        let refreshed = events.find("refreshed").unwrap();
        // The server said "expires at my time + 120 s": on our clock that is
        // 120 s after the answer, not 120 s ± 1 h. (Date has 1 s resolution.)
        let lifetime = number(&refreshed, "expiresAt") - number(&refreshed, "at");
        assert!((115_000.0..=121_000.0).contains(&lifetime), "offset {offset}: lifetime {lifetime}");
        assert_eq!(refresh_calls(), 1, "offset {offset}: no refresh storm from a token that looks expired");
        s.destroy();
    }
}

#[wasm_bindgen_test]
async fn offline_online_flapping_sends_no_refresh_while_offline_and_one_when_back() {
    scripted_refresh("[]");
    let s = session(&refreshing(channel(), &[]));
    let events = Recorder::attach(&s);
    let window = web_sys::window().unwrap();
    let flip = |kind: &str| window.dispatch_event(&web_sys::Event::new(kind).unwrap()).unwrap();
    flip("offline");
    start_expiring(&s);
    for _ in 0..10 {
        sleep(60).await;
        flip("online");
        flip("offline");
    }
    sleep(600).await; // well past the token's expiry, still offline
    assert_eq!(refresh_calls(), 0, "nothing is sent while offline");
    assert_eq!(state(&s), "active", "an offline session is not ended");
    flip("online");
    assert!(until(10_000, || events.find("refreshed").is_some()).await, "refreshes once back online");
    sleep(300).await;
    restore_fetch();
    assert_eq!(refresh_calls(), 1, "one refresh, however often the network flapped");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_clock_jump_past_both_deadlines_ends_the_session_once_as_idle() {
    let s = session(&[("channelName", channel()), ("idleTimeoutMs", num(600_000.0))]);
    let events = Recorder::attach(&s);
    s.start(None).unwrap();
    // The laptop slept for three hours: Date.now jumps, then the page wakes.
    js("window.__realNow = Date.now; const jump = 3 * 3600 * 1000; Date.now = () => window.__realNow() + jump;");
    let window = web_sys::window().unwrap();
    window.dispatch_event(&web_sys::Event::new("pageshow").unwrap()).unwrap();
    let document = window.document().unwrap();
    document.dispatch_event(&web_sys::Event::new("visibilitychange").unwrap()).unwrap();
    let ended = state(&s);
    js("Date.now = window.__realNow;");
    assert_eq!(ended, "expired");
    assert_eq!(events.count("expired"), 1, "one transition, not a replay of missed ticks");
    assert_eq!(field(&events.find("expired").unwrap(), "reason"), "idle", "the earlier deadline is named");
    assert_eq!(events.count("countdown"), 0, "no stale countdown after the fact");
    s.destroy();
}

/// Replaces `Storage.prototype[method]` with one that throws `name`.
fn break_storage(method: &str, name: &str) {
    js(&[
        "window.__realStorage = window.__realStorage || { getItem: Storage.prototype.getItem, \
           setItem: Storage.prototype.setItem, removeItem: Storage.prototype.removeItem }; \
         Storage.prototype.",
        method,
        " = function () { throw new DOMException('broken', '",
        name,
        "'); };",
    ]
    .concat());
}

fn mend_storage() {
    js("if (window.__realStorage) Object.assign(Storage.prototype, window.__realStorage);");
}

#[wasm_bindgen_test]
async fn storage_throwing_on_write_keeps_the_session_working_in_memory() {
    let s = session(&[("channelName", channel()), ("storage", "local".into())]);
    let events = Recorder::attach(&s);
    break_storage("setItem", "QuotaExceededError");
    s.start(None).unwrap();
    s.touch().unwrap();
    mend_storage();
    assert!(until(5_000, || events.find("error").is_some()).await, "the app is told");
    assert_eq!(field(&events.find("error").unwrap(), "code"), "storage_unavailable");
    assert_eq!(state(&s), "active");
    s.logout().unwrap();
    assert_eq!(state(&s), "loggedOut");
    sleep(50).await;
    assert_eq!(events.count("error"), 1, "told once");
    s.destroy();
}

#[wasm_bindgen_test]
async fn storage_throwing_on_read_at_resume_is_survived() {
    let name = channel();
    let first = session(&[("channelName", name.clone()), ("storage", "session".into())]);
    first.start(None).unwrap();
    first.destroy(); // like a reload: the stored session stays
    let s = session(&[("channelName", name), ("storage", "session".into())]);
    let events = Recorder::attach(&s);
    break_storage("getItem", "SecurityError");
    s.resume().unwrap();
    mend_storage();
    assert!(until(5_000, || events.find("error").is_some()).await);
    assert_eq!(field(&events.find("error").unwrap(), "code"), "storage_unavailable");
    assert_eq!(state(&s), "anonymous", "nothing could be read, nothing was made up");
    s.start(None).unwrap();
    assert_eq!(state(&s), "active", "the session works on in memory");
    s.destroy();
}

#[wasm_bindgen_test]
async fn a_reload_resumes_the_stored_session_and_logout_wipes_it() {
    let name = channel();
    let key = [name.as_string().unwrap().as_str(), ":session"].concat();
    let opts = |name: JsValue| vec![("channelName", name), ("storage", "session".into())];
    let before = session(&opts(name.clone()));
    before
        .start(Some(tokens(&[("access_token", "kept".into()), ("expires_in", num(3600.0))]).unchecked_into()))
        .unwrap();
    let idle_deadline = before.idle_deadline();
    before.destroy();
    let after = session(&opts(name.clone()));
    after.resume().unwrap();
    assert_eq!(state(&after), "active", "resumed from sessionStorage without a network call");
    assert_eq!(after.access_token().as_deref(), Some("kept"));
    assert_eq!(after.idle_deadline(), idle_deadline, "a reload does not count as activity");
    after.logout().unwrap();
    let session_storage = web_sys::window().unwrap().session_storage().unwrap().unwrap();
    assert_eq!(session_storage.get_item(&key).unwrap(), None, "logout wiped the stored session");
    after.destroy();
}

#[wasm_bindgen_test]
async fn a_tampered_stored_session_is_discarded_with_an_error_event() {
    let name = channel();
    let key = [name.as_string().unwrap().as_str(), ":session"].concat();
    let session_storage = web_sys::window().unwrap().session_storage().unwrap().unwrap();
    for junk in
        ["{\"v\":1,\"kind\":\"stateResponse\",\"from\":\"zz\"}", "\u{0}\u{ffff}", "{\"v\":1,\"kind\":\"logout\""]
    {
        session_storage.set_item(&key, junk).unwrap();
        let s = session(&[("channelName", name.clone()), ("storage", "session".into())]);
        let events = Recorder::attach(&s);
        s.resume().unwrap();
        assert_eq!(state(&s), "anonymous", "{junk}");
        assert!(until(5_000, || events.find("error").is_some()).await, "{junk}");
        assert_eq!(session_storage.get_item(&key).unwrap(), None, "{junk}: removed");
        s.destroy();
    }
}

#[wasm_bindgen_test]
async fn without_broadcast_channel_the_storage_fallback_is_used_silently() {
    js("window.__realBC = window.BroadcastChannel; delete window.BroadcastChannel;");
    let created = Session::new(Some(options(&[("channelName", channel())]).unchecked_into()));
    js("window.BroadcastChannel = window.__realBC;");
    let s = created.expect("a session without BroadcastChannel");
    let events = Recorder::attach(&s);
    s.start(None).unwrap();
    sleep(100).await;
    assert_eq!(events.count("error"), 0, "the storage-event fallback needs no warning");
    s.logout().unwrap();
    assert_eq!(state(&s), "loggedOut");
    s.destroy();
}

/// Hides `navigator.locks`, as in an insecure context; `show_web_locks` undoes it.
fn hide_web_locks() {
    js("window.__realLocks = Object.getOwnPropertyDescriptor(Navigator.prototype, 'locks'); \
        Object.defineProperty(Navigator.prototype, 'locks', { configurable: true, get: () => undefined });");
    assert!(js("navigator.locks === undefined").as_bool().unwrap());
}

fn show_web_locks() {
    js("Object.defineProperty(Navigator.prototype, 'locks', window.__realLocks);");
}

#[wasm_bindgen_test]
async fn without_web_locks_two_sessions_still_rotate_one_at_a_time() {
    scripted_refresh("[]");
    js("window.__faults.expiresIn = 1;");
    hide_web_locks();
    let name = channel();
    let a = session(&refreshing(name.clone(), &[]));
    let b = session(&refreshing(name, &[]));
    start_expiring(&a);
    let joined = until(5_000, || state(&b) == "active").await;
    let rotated = until(15_000, || refresh_calls() >= 4).await;
    show_web_locks();
    restore_fetch();
    assert!(joined && rotated, "four rotations");
    assert_eq!(faults("reused").as_bool(), Some(false), "no session presented a rotated-out refresh token");
    assert_eq!(state(&a), "active");
    assert_eq!(state(&b), "active");
    a.destroy();
    b.destroy();
}

#[wasm_bindgen_test]
async fn a_tab_gone_while_holding_the_refresh_lock_lets_the_other_refresh() {
    js("window.__aCalls = 0; window.__bCalls = 0;");
    let hangs: Function = js("(() => { window.__aCalls++; return new Promise(() => {}); })").unchecked_into();
    let answers: Function = js("(async () => { window.__bCalls++; \
        return { access_token: 'from-b', refresh_token: 'rt2', expires_in: 3600 }; })")
    .unchecked_into();
    let calls = |name: &str| Reflect::get(&web_sys::window().unwrap(), &name.into()).unwrap().as_f64();
    let name = channel();
    let a = session(&[("channelName", name.clone()), ("refresh", hangs.into()), ("refreshJitterMs", num(0.0))]);
    start_expiring(&a);
    assert!(until(5_000, || calls("__aCalls") == Some(1.0)).await, "tab A holds the lock, its refresh hangs");
    let b = session(&[("channelName", name), ("refresh", answers.into()), ("refreshJitterMs", num(0.0))]);
    b.resume().unwrap();
    assert!(until(5_000, || state(&b) == "active").await, "tab B joined");
    sleep(300).await;
    assert_eq!(calls("__bCalls"), Some(0.0), "tab B waits for the lock");
    // Tab A goes away: destroy drops its guard, as closing the tab makes the
    // browser release its locks (tests/e2e/faults.test.mjs closes a real tab).
    a.destroy();
    assert!(until(10_000, || b.access_token().as_deref() == Some("from-b")).await, "tab B refreshed");
    assert_eq!(calls("__bCalls"), Some(1.0));
    assert_eq!(state(&b), "active");
    b.destroy();
}

#[wasm_bindgen_test]
async fn the_later_of_two_logins_as_different_users_wins_and_the_earlier_session_is_told() {
    let name = channel();
    let alice = session(&[("channelName", name.clone())]);
    let bob = session(&[("channelName", name)]);
    let alice_events = Recorder::attach(&alice);
    alice.start(Some(tokens(&[("access_token", "alice-token".into())]).unchecked_into())).unwrap();
    assert!(until(5_000, || bob.access_token().as_deref() == Some("alice-token")).await);
    sleep(5).await; // a later login: its start time is later
    bob.start(Some(tokens(&[("access_token", "bob-token".into())]).unchecked_into())).unwrap();
    assert!(until(5_000, || alice.access_token().as_deref() == Some("bob-token")).await, "the later login wins");
    let told: Vec<JsValue> =
        alice_events.0.borrow().iter().filter(|e| field(e, "type") == "started").cloned().collect();
    assert_eq!(told.len(), 2, "alice's session started, then was replaced");
    let replaced = &told[1];
    assert_eq!(field(replaced, "origin"), "otherTab");
    assert_eq!(Reflect::get(replaced, &"replaced".into()).unwrap().as_bool(), Some(true));
    assert_eq!(state(&alice), "active");
    alice.destroy();
    bob.destroy();
}

#[wasm_bindgen_test]
async fn a_login_message_replayed_after_logout_is_ignored() {
    let name = channel();
    let channel_name = name.as_string().unwrap();
    // A same-origin eavesdropper records the login message…
    js(&[
        "window.__heard = []; window.__ear = new BroadcastChannel('",
        &channel_name,
        "'); window.__ear.onmessage = (e) => window.__heard.push(e.data);",
    ]
    .concat());
    let a = session(&[("channelName", name.clone())]);
    let b = session(&[("channelName", name)]);
    let b_events = Recorder::attach(&b);
    a.start(Some(tokens(&[("access_token", "secret".into())]).unchecked_into())).unwrap();
    assert!(until(5_000, || state(&b) == "active").await);
    a.logout().unwrap();
    assert!(until(5_000, || state(&b) == "loggedOut").await);
    // …and replays it after the logout, then sends a broken message, which
    // arrives after the replay (one sender's messages keep their order).
    let logins = js("window.__heard.filter((m) => m.kind === 'login').length");
    assert!(logins.as_f64().unwrap_or(0.0) >= 1.0, "the login was heard, to replay");
    js("{ const c = new BroadcastChannel(window.__ear.name); \
          window.__heard.filter((m) => m.kind === 'login').forEach((m) => c.postMessage(m)); \
          c.postMessage({ v: 1, kind: 'logout', from: 'nope' }); }");
    assert!(until(5_000, || b_events.find("error").is_some()).await);
    let errors = b_events
        .0
        .borrow()
        .iter()
        .filter(|e| field(e, "type") == "error")
        .map(|e| field(e, "code"))
        .collect::<Vec<_>>();
    // The replay is the tail of an ended session: dropped without an event
    // (tabs racing a logout send such messages too); the broken one is told.
    assert_eq!(errors, ["bad_field"]);
    assert_eq!(state(&b), "loggedOut", "the ended session stays ended");
    assert_eq!(b.access_token(), None);
    assert_eq!(b_events.count("started"), 1, "the replay started nothing");
    js("window.__ear.close();");
    a.destroy();
    b.destroy();
}

#[wasm_bindgen_test]
fn security_report_names_weak_settings() {
    let ids = |s: &Session| -> Vec<String> { s.security_report().unwrap().iter().map(|f| field(&f, "id")).collect() };
    let careful =
        session(&[("channelName", channel()), ("endpoints", options(&[("logout", "/auth/logout".into())]).into())]);
    // wasm-pack serves tests from 127.0.0.1 over http: a local page is fine.
    assert_eq!(ids(&careful), Vec::<String>::new());
    js("document.cookie = 'sid_test=abc; path=/';");
    let weak = session(&[
        ("channelName", channel()),
        ("storage", "local".into()),
        ("idleTimeoutMs", num(3_600_000.0)),
        ("sessionCookie", "sid_test".into()),
        ("endpoints", options(&[("refresh", "http://auth.example.com/refresh".into())]).into()),
    ]);
    let report = weak.security_report().unwrap();
    let found = ids(&weak);
    js("document.cookie = 'sid_test=; path=/; max-age=0';");
    assert_eq!(
        found,
        [
            "insecure_endpoint",
            "tokens_in_local_storage",
            "session_cookie_readable",
            "idle_timeout_long",
            "no_logout_endpoint"
        ]
    );
    for finding in report.iter() {
        assert!(["high", "medium", "low"].contains(&field(&finding, "severity").as_str()));
        assert!(!field(&finding, "advice").is_empty() && !field(&finding, "message").is_empty());
    }
    careful.destroy();
    weak.destroy();
}

// ----- the generation note (IndexedDB) ----------------------------------------

async fn note_in(database: &str) -> Option<GenerationNote> {
    idb::read(database).await.ok().flatten().as_deref().and_then(GenerationNote::decode)
}

#[wasm_bindgen_test]
async fn the_generation_note_round_trips_through_indexed_db() {
    let database = keys::note_database(&channel().as_string().unwrap());
    assert_eq!(idb::read(&database).await, Ok(None), "nothing stored yet");
    let note = GenerationNote { epoch: Id128([7; 16]), started_at: 1_700_000_000_000, generation: 3 };
    idb::write(&database, &note.encode()).await.unwrap();
    assert_eq!(note_in(&database).await, Some(note));
    let newer = GenerationNote { generation: 4, ..note };
    idb::write(&database, &newer.encode()).await.unwrap();
    assert_eq!(note_in(&database).await, Some(newer), "one note, overwritten");
}

#[wasm_bindgen_test]
async fn a_refresh_commits_the_note_of_the_new_generation() {
    scripted_refresh("[]");
    let name = channel();
    let s = session(&refreshing(name.clone(), &[]));
    let events = Recorder::attach(&s);
    start_expiring(&s);
    assert!(until(10_000, || events.find("refreshed").is_some()).await, "refreshed");
    restore_fetch();
    let database = keys::note_database(&name.as_string().unwrap());
    // The write commits before the lock goes, a moment after the event.
    let mut note = None;
    for _ in 0..100 {
        note = note_in(&database).await;
        if note.is_some() {
            break;
        }
        sleep(20).await;
    }
    assert_eq!(note.map(|n| n.generation), Some(1));
    s.destroy();
}

/// Without IndexedDB (blocked in some private modes): no note is written or
/// read, and refresh works as before (the lock is still let go: refreshes
/// follow one another).
#[wasm_bindgen_test]
async fn without_indexed_db_the_note_fails_quietly_and_refreshes_go_on() {
    js("window.__idb = Object.getOwnPropertyDescriptor(window, 'indexedDB'); \
        Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });");
    assert_eq!(idb::write("wasm-session-test:none", "x").await, Err(idb::IdbError::Unavailable));
    assert_eq!(idb::read("wasm-session-test:none").await, Err(idb::IdbError::Unavailable));
    scripted_refresh("[]");
    js("window.__faults.expiresIn = 0.4;");
    let s = session(&refreshing(channel(), &[]));
    start_expiring(&s);
    let refreshed = until(10_000, || refresh_calls() >= 3).await;
    restore_fetch();
    js("Object.defineProperty(window, 'indexedDB', window.__idb);");
    assert!(refreshed, "three refreshes in a row: the lock was let go each time");
    assert!(!faults("reused").as_bool().unwrap_or(true), "no rotated-out token presented");
    assert_eq!(state(&s), "active");
    s.destroy();
}
