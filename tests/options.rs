//! The options object and token responses as the JS API reads them
//! (`wasm-pack test --headless --chrome`): hostile JS values give a
//! `SessionError` naming the path, never an exception from inside the SDK;
//! the presets are plain objects that read back through the same reader.
#![cfg(target_arch = "wasm32")]

use js_sys::Object;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wasm_session::Session;

mod common;
use common::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The message of the `invalid_config` error `new Session(<code>)` throws.
fn config_error(code: &str) -> String {
    let options = js(&["(", code, ")"].concat());
    let error = Session::new(Some(options.unchecked_into())).err().unwrap_or_else(|| panic!("accepted: {code}"));
    assert_eq!(field(&error, "name"), "SessionError", "{code}");
    assert_eq!(field(&error, "code"), "invalid_config", "{code}");
    field(&error, "message")
}

#[wasm_bindgen_test]
fn hostile_options_are_session_errors_naming_the_path() {
    for (code, message) in [
        ("{ warnBeforeMs: NaN }", "warnBeforeMs must be a finite number"),
        ("{ idleTimeoutMs: Infinity }", "idleTimeoutMs must be a finite number"),
        ("{ endpoints: { refresh: () => 1 } }", "endpoints.refresh must be plain data, not a function"),
        ("{ channelName: Symbol('x') }", "channelName must be plain data, not a symbol"),
        ("{ idleTimeoutMs: 10n }", "idleTimeoutMs must be plain data, not a BigInt"),
        (
            "{ get idleTimeoutMs() { throw new Error('no'); } }",
            "idleTimeoutMs could not be read: a getter or proxy threw",
        ),
        ("new Proxy({}, { ownKeys() { throw 1; } })", "options could not be read: a getter or proxy threw"),
        ("(() => { const o = { endpoints: {} }; o.endpoints.o = o; return o; })()", "is nested too deeply"),
        ("{ headers: { 'X-A': 'x'.repeat(1 << 20) } }", "headers.X-A is too long"),
        ("{ idleTimeout: 5 }", "idleTimeout is not an option"),
        ("{ endpoints: { refresh: 'a b' } }", "endpoints.refresh must be a relative URL or an absolute http(s) URL"),
        ("{ endpoints: { logout: { url: 'javascript:x' } } }", "endpoints.logout.url must be a relative URL"),
        ("{ channelName: 'a b' }", "channelName must be 1 to 64 letters, digits or - _ : ."),
        ("{ headers: { 'X A': 'v' } }", "headers.X A must be a header name"),
        ("{ maxBodyBytes: 1e9 }", "maxBodyBytes must be at most 4194304 (4 MiB)"),
        ("{ refresh: 'x' }", "refresh must be a function"),
        ("{ get refresh() { throw 1; } }", "refresh could not be read"),
    ] {
        let got = config_error(code);
        assert!(got.contains(message), "{code}: {got}");
    }
    let not_object = Session::new(Some(JsValue::from_f64(5.0).unchecked_into())).expect_err("rejected");
    assert_eq!(field(&not_object, "message"), "options must be an object");
}

#[wasm_bindgen_test]
fn plain_options_with_undefined_members_and_a_refresh_function_are_read() {
    let options = js("({ channelName: 'opts-' + Math.random().toString(36).slice(2), storage: undefined, \
                      idleTimeoutMs: 600000, refresh: async () => ({ access_token: 'x' }) })");
    let session = Session::new(Some(options.unchecked_into())).expect("valid options");
    assert_eq!(state(&session), "anonymous");
    session.destroy();
}

#[wasm_bindgen_test]
fn hostile_token_responses_are_invalid_tokens_and_change_nothing() {
    let s = session(&[("channelName", channel())]);
    for code in [
        "({ access_token: 'a', get expires_in() { throw 1; } })",
        "({ access_token: 'a', expires_in: NaN })",
        "({ access_token: () => 'a' })",
        "(() => { const t = { access_token: 'a' }; t.self = t; return t; })()",
        "({ access_token: 'x'.repeat(1 << 20) })",
    ] {
        let error = s.start(Some(js(code).unchecked_into())).err().unwrap_or_else(|| panic!("accepted: {code}"));
        assert_eq!(field(&error, "code"), "invalid_tokens", "{code}");
        assert_eq!(state(&s), "anonymous", "{code}");
    }
    s.start(Some(js("({ access_token: 'at', expires_in: 3600, extra: undefined })").unchecked_into())).unwrap();
    assert_eq!(state(&s), "active");
    s.destroy();
}

#[wasm_bindgen_test]
fn start_reads_the_token_response_by_the_configured_response_fields() {
    let s = session(&[("channelName", channel()), ("responseFields", js("({ accessToken: 'token' })"))]);
    s.start(Some(js("({ token: 'at-named', expires_in: 3600 })").unchecked_into())).unwrap();
    assert_eq!(state(&s), "active");
    assert_eq!(s.access_token().as_deref(), Some("at-named"));
    s.destroy();
}

#[wasm_bindgen_test]
fn presets_are_plain_objects_in_the_documented_shape() {
    let oauth = wasm_session::oauth2(js("({ tokenUrl: '/t', clientId: 'app', revocationUrl: '/r' })")).unwrap();
    assert_eq!(
        js_sys::JSON::stringify(&oauth).unwrap().as_string().unwrap(),
        r#"{"endpoints":{"refresh":"/t","revocation":"/r"},"mode":"bearer","bodyEncoding":"form","credentials":"same-origin","bodyFields":{"client_id":"app"},"grantType":"refresh_token"}"#
    );
    let cookie =
        wasm_session::cookie_session(js("({ keepaliveUrl: '/k', sessionUrl: '/s', logoutUrl: '/l' })")).unwrap();
    assert_eq!(
        js_sys::JSON::stringify(&cookie).unwrap().as_string().unwrap(),
        r#"{"endpoints":{"keepalive":"/k","logout":"/l","session":{"url":"/s","method":"GET"}},"mode":"cookie","credentials":"include"}"#
    );
    assert_eq!(Object::get_prototype_of(&oauth), Object::get_prototype_of(&Object::new()), "a plain object");
    // A preset spread into the options reads back; a bad URL in it is named by its path.
    let bad = wasm_session::oauth2(js("({ tokenUrl: 'javascript:x', clientId: 'app' })")).unwrap();
    let error = Session::new(Some(bad.unchecked_into())).expect_err("rejected");
    assert!(
        field(&error, "message").starts_with("endpoints.refresh must be a relative URL"),
        "{}",
        field(&error, "message")
    );
}
