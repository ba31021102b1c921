//! Reading the options object and the token responses the app hands over,
//! and the preset helpers `oauth2()` and `cookieSession()`.

use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{config_error, now_ms, session_error};
use crate::browser::{page, value};
use crate::core::contract;
use crate::core::endpoints::FieldNames;
use crate::core::options::{cookie_session_options, oauth2_options, Options};
use crate::core::value::Value;
use crate::core::{ConfigError, TokenSet};

/// Reads the options object: the `refresh` function is taken out, the rest is
/// walked into a value (bounded; functions and other hostile shapes refused,
/// naming the path) and read by the core's one options reader.
/// `None`: no options (`undefined` or `null`, as the constructor's glue reads them).
pub(super) fn read_options(options: Option<&JsValue>) -> Result<(Options, Option<Function>), JsValue> {
    let invalid = |message: &str| session_error(ConfigError::CODE, message);
    let (value, hook) = match options {
        None => (Value::Object(Vec::new()), None),
        Some(options) if options.is_object() => {
            let hook = super::get(options, "refresh").map_err(|_| invalid("refresh could not be read"))?;
            let hook = match hook.dyn_into::<Function>() {
                Ok(function) => Some(function),
                Err(value) if value.is_undefined() => None,
                Err(_) => return Err(invalid("refresh must be a function")),
            };
            let value = value::from_js(options, &value::Limits::OPTIONS, &["refresh"])
                .map_err(|error| invalid(&error.message("options")))?;
            (value, hook)
        }
        Some(_) => return Err(invalid("options must be an object")),
    };
    // The default channel is named after the configuration, page-relative
    // endpoints resolved against the page (`core::scope`).
    let read = crate::core::options::read_on_page(&value, &page::base_url());
    Ok((read.map_err(config_error)?, hook))
}

/// A token response from JS, walked into a value (bounded; hostile shapes
/// refused) and read like an endpoint's answer (`responseFields`, JWT `exp`).
/// `None`: no tokens (`undefined` or `null`, as `start`'s glue reads them).
// Not inlined into `start()`: measured smaller apart.
#[inline(never)]
pub(super) fn tokens_from_js(value: Option<&JsValue>, fields: &FieldNames) -> Result<TokenSet, JsValue> {
    let Some(value) = value else { return Ok(TokenSet::default()) };
    let value = value::from_js(value, &value::Limits::TOKENS, &[])
        .map_err(|e| session_error("invalid_tokens", &e.message("tokens")))?;
    contract::read_tokens(fields, &value, None, now_ms(), value::parse_json)
        .map_err(|e| session_error("invalid_tokens", e.code()))
}

/// A required string field of a preset's argument.
fn preset_field(args: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    match super::get(args, name) {
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

/// Options for a standard OAuth 2.0 token endpoint: the RFC 6749 §6 refresh
/// grant, form-encoded with `client_id`, and RFC 7009 revocation on logout when
/// `revocationUrl` is given. Spread into the options: `new Session({ ...oauth2({...}), idleTimeoutMs })`.
#[wasm_bindgen(skip_typescript)]
pub fn oauth2(args: JsValue) -> Result<Object, JsValue> {
    let token_url = required(&args, "tokenUrl")?;
    let client_id = required(&args, "clientId")?;
    let revocation_url = preset_field(&args, "revocationUrl")?;
    Ok(value::to_js(&oauth2_options(&token_url, &client_id, revocation_url.as_deref())).unchecked_into())
}

/// Options for a server-side session in an HttpOnly cookie: keepalive while the
/// user is active, the session endpoint, and logout.
#[wasm_bindgen(js_name = cookieSession, skip_typescript)]
pub fn cookie_session(args: JsValue) -> Result<Object, JsValue> {
    let keepalive_url = required(&args, "keepaliveUrl")?;
    let session_url = required(&args, "sessionUrl")?;
    let logout_url = required(&args, "logoutUrl")?;
    Ok(value::to_js(&cookie_session_options(&keepalive_url, &session_url, &logout_url)).unchecked_into())
}
