//! Reading the options object and the token responses the app hands over,
//! and the preset helpers `oauth2()` and `cookieSession()`.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{config_error, now_ms, session_error};
use crate::core::http::{self, Transport};
use crate::core::{contract, json};
use crate::core::{ConfigError, ConfigInput, TokenSet};

/// Reads the options object: the `refresh` function, and the plain data, which
/// goes through `JSON.stringify` into the core's hostile-input parser (so the
/// core checks every key and type, and no serde code ships in the wasm).
pub(super) fn read_options(options: &JsValue) -> Result<(ConfigInput, Transport, Option<Function>), JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok((ConfigInput::default(), Transport::default(), None));
    }
    if !options.is_object() {
        return Err(session_error(ConfigError::CODE, "options must be an object"));
    }
    let copy = Object::assign(&Object::new(), options.unchecked_ref());
    let hook = Reflect::get(&copy, &"refresh".into()).unwrap_or(JsValue::UNDEFINED);
    let _ = Reflect::delete_property(&copy, &"refresh".into());
    let hook = match hook.dyn_into::<Function>() {
        Ok(function) => Some(function),
        Err(value) if value.is_undefined() => None,
        Err(_) => return Err(session_error(ConfigError::CODE, "refresh must be a function")),
    };
    let text = js_sys::JSON::stringify(&copy)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| session_error(ConfigError::CODE, "options must be plain data"))?;
    let value = json::parse(&text).map_err(|_| session_error(ConfigError::CODE, "options must be plain data"))?;
    let mut input = ConfigInput::from_json(&value).map_err(config_error)?;
    let transport = Transport::from_options(&value).map_err(config_error)?;
    if transport.keepalive.is_some() && input.keepalive_every_ms.is_none() {
        input.keepalive_every_ms = Some(60_000.0); // documented default with a keepalive endpoint
    }
    Ok((input, transport, hook))
}

/// A token response from JS, read like an endpoint's answer (`responseFields`,
/// JWT `exp`) by the core's hostile-input parser.
pub(super) fn tokens_from_js(value: &JsValue, transport: &Transport) -> Result<TokenSet, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(TokenSet::default());
    }
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| session_error("invalid_tokens", "tokens must be a plain object"))?;
    let parsed = json::parse(&text).map_err(|e| session_error("invalid_tokens", e.code()))?;
    contract::read_tokens(transport, &parsed, None, now_ms()).map_err(|e| session_error("invalid_tokens", e.code()))
}

/// A required string field of a preset's argument.
fn preset_field(args: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    match Reflect::get(args, &name.into()) {
        Ok(value) if value.is_undefined() || value.is_null() => Ok(None),
        Ok(value) => value.as_string().map(Some).ok_or_else(|| {
            let mut message = String::from(name);
            message.push_str(" must be a string");
            session_error(ConfigError::CODE, &message)
        }),
        Err(_) => Ok(None),
    }
}

fn required(args: &JsValue, name: &str) -> Result<String, JsValue> {
    preset_field(args, name)?.ok_or_else(|| {
        let mut message = String::from(name);
        message.push_str(" is required");
        session_error(ConfigError::CODE, &message)
    })
}

fn options_fragment(text: &str) -> Result<Object, JsValue> {
    js_sys::JSON::parse(text)?.dyn_into::<Object>()
}

/// Options for a standard OAuth 2.0 token endpoint: the RFC 6749 §6 refresh
/// grant, form-encoded with `client_id`, and RFC 7009 revocation on logout when
/// `revocationUrl` is given. Spread into the options: `new Session({ ...oauth2({...}), idleTimeoutMs })`.
#[wasm_bindgen(skip_typescript)]
pub fn oauth2(args: JsValue) -> Result<Object, JsValue> {
    let token_url = required(&args, "tokenUrl")?;
    let client_id = required(&args, "clientId")?;
    let revocation_url = preset_field(&args, "revocationUrl")?;
    options_fragment(&http::oauth2_options(&token_url, &client_id, revocation_url.as_deref()))
}

/// Options for a server-side session in an HttpOnly cookie: keepalive while the
/// user is active, the session endpoint, and logout.
#[wasm_bindgen(js_name = cookieSession, skip_typescript)]
pub fn cookie_session(args: JsValue) -> Result<Object, JsValue> {
    let keepalive_url = required(&args, "keepaliveUrl")?;
    let session_url = required(&args, "sessionUrl")?;
    let logout_url = required(&args, "logoutUrl")?;
    options_fragment(&http::cookie_session_options(&keepalive_url, &session_url, &logout_url))
}
