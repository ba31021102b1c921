//! The options reader: the app's options object, read once.
//!
//! [`read`] walks the options object (a [`Value`] the shell built from the JS
//! object) with one table of keys, [`OPTIONS`], and produces everything the
//! options configure: the timing [`Config`], the endpoint configuration
//! ([`Transport`]) and the [`ShellOptions`]. Nested objects (`endpoints`,
//! `csrf`, `responseFields` …) have small tables of their own, walked by the same
//! code. Every problem is a [`ConfigError`] naming the option's path
//! (`endpoints.refresh.url`) and its kind; nothing here panics, whatever the value.
//!
//! The presets ([`oauth2_options`], [`cookie_session_options`]) are options
//! fragments built here as values, so they go through the same reader as
//! hand-written options.

use std::borrow::Cow;

use super::config::{is_name, Config, ConfigError, ConfigErrorKind, ConfigInput, ShellOptions};
use super::endpoints::{
    self, header_value_ok, is_token, is_valid_url, BodyEncoding, Credentials, Csrf, CsrfSource, Endpoint, FieldNames,
    TokenMode, Transport, MAX_BODY_LIMIT, MAX_LIST, MAX_NAME_LEN, MAX_TIMEOUT_MS,
};
use super::scope;
use super::value::Value;

/// With a keepalive endpoint and no `keepaliveEveryMs`: one keepalive a minute at most.
pub const DEFAULT_KEEPALIVE_EVERY_MS: u64 = 60_000;

/// Keys the app wrote are cut to this many characters in error messages.
const MAX_ECHOED_KEY: usize = 64;

/// Everything the options object configures, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Timeouts, warnings, refresh timing.
    pub config: Config,
    /// The backend's endpoints and how to talk to them.
    pub endpoints: Transport,
    /// What the browser shell needs: channel name, activity events, storage.
    pub shell: ShellOptions,
}

/// Reads the whole options object.
///
/// Shape (every key optional; see `docs/CONTRACT.md` and `src/api.d.ts`):
///
/// ```text
/// { idleTimeoutMs, warnBeforeMs, absoluteTimeoutMs, absoluteWarnBeforeMs, countdownIntervalMs,
///   activityBroadcastIntervalMs, refreshBeforeMs, refreshJitterMs, retryInitialMs, retryMaxMs,
///   keepaliveEveryMs, rememberMeAbsoluteMs, rememberMeIdleTimeoutMs, activityThrottleMs, channelName,
///   storage, activityEvents: [..],
///   endpoints: { refresh: "/auth/refresh" | { url, method }, keepalive, session, logout, revocation },
///   mode: "bearer" | "cookie", bodyEncoding: "json" | "form",
///   credentials: "omit" | "same-origin" | "include", requestTimeoutMs,
///   headers: { name: value }, bodyFields: { name: value }, refreshTokenField, grantType,
///   responseFields: { accessToken, refreshToken, expiresIn, expiresAt, error, user },
///   csrf: { header: "X-CSRF-Token", cookie: "csrf" } | { header, meta: "csrf-token" },
///   maxBodyBytes, revokedStatuses: [401], revokedErrorCodes: ["session_revoked"],
///   sessionCookie, apiOrigins: ["https://api.example.com"], reconstituteForMs,
///   monitor: { url, flushMs } }
/// ```
///
/// `null` turns an endpoint, `grantType` or `csrf` off. With a keepalive
/// endpoint, `keepaliveEveryMs` defaults to [`DEFAULT_KEEPALIVE_EVERY_MS`].
/// Without `channelName`, the channel is named after the configuration
/// ([`scope::default_channel_name`]; here with no page, so page-relative
/// endpoint URLs are taken as written: the shell uses [`read_on_page`]).
///
/// # Errors
///
/// The first problem met, as a [`ConfigError`] whose `field` is the path of the
/// option (dotted for nested keys): unknown and repeated keys, wrong types,
/// values out of range or not what their field holds, then the rules between
/// the timing options.
pub fn read(options: &Value) -> Result<Options, ConfigError> {
    read_on_page(options, "")
}

/// [`read`] on a page whose base URL (`document.baseURI`) is `base_url`: the
/// default `channelName` is derived from the configuration, with page-relative
/// endpoint URLs resolved against it ([`scope::default_channel_name`]).
///
/// # Errors
///
/// As [`read`].
pub fn read_on_page(options: &Value, base_url: &str) -> Result<Options, ConfigError> {
    let mut draft = Draft { input: ConfigInput::default(), endpoints: Transport::default() };
    walk(Path::ROOT, options, &OPTIONS, &mut draft)?;
    let Draft { mut input, endpoints } = draft;
    if endpoints.keepalive.is_some() && input.keepalive_every_ms.is_none() {
        input.keepalive_every_ms = Some(DEFAULT_KEEPALIVE_EVERY_MS as f64);
    }
    if input.channel_name.is_none() {
        input.channel_name = Some(scope::default_channel_name(&endpoints, base_url));
    }
    let config = Config::from_input(&input)?;
    let shell = ShellOptions::from_input(&input)?;
    Ok(Options { config, endpoints, shell })
}

/// What [`read`] fills in while it walks.
struct Draft {
    input: ConfigInput,
    endpoints: Transport,
}

// ---- paths ----

/// Where a value sits in the options object: a chain of keys, for messages only.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    key: &'a str,
}

impl<'a> Path<'a> {
    /// The options object itself, named `options` in messages.
    const ROOT: Path<'static> = Path { parent: None, key: "options" };

    fn child(&'a self, key: &'a str) -> Path<'a> {
        Path { parent: Some(self), key }
    }

    /// `endpoints.refresh.url`; the root's name only for the root itself.
    fn text(&self) -> String {
        let mut keys = Vec::with_capacity(4);
        let mut at = Some(self);
        while let Some(path) = at {
            if path.parent.is_some() || keys.is_empty() {
                keys.push(path.key);
            }
            at = path.parent;
        }
        let mut text = String::with_capacity(64);
        for (index, key) in keys.iter().rev().enumerate() {
            if index > 0 {
                text.push('.');
            }
            if key.is_empty() {
                text.push_str("\"\""); // so that an empty key still shows
            }
            text.extend(key.chars().take(MAX_ECHOED_KEY));
        }
        text
    }

    fn error(&self, kind: ConfigErrorKind) -> ConfigError {
        ConfigError::new(Cow::Owned(self.text()), kind)
    }
}

// ---- the tables ----

/// Reads one option's value into the target, or names what is wrong with it.
type Reader<T> = for<'p, 'v> fn(&mut T, Path<'p>, &'v Value) -> Result<(), ConfigError>;

/// One key of an options table and how to read its value.
type Key<T> = (&'static str, Reader<T>);

/// Every top-level option.
const OPTIONS: [Key<Draft>; 35] = [
    ("idleTimeoutMs", |d, p, v| set(&mut d.input.idle_timeout_ms, number(p, v))),
    ("warnBeforeMs", |d, p, v| set(&mut d.input.warn_before_ms, number(p, v))),
    ("absoluteTimeoutMs", |d, p, v| set(&mut d.input.absolute_timeout_ms, number(p, v))),
    ("absoluteWarnBeforeMs", |d, p, v| set(&mut d.input.absolute_warn_before_ms, number(p, v))),
    ("countdownIntervalMs", |d, p, v| set(&mut d.input.countdown_interval_ms, number(p, v))),
    ("activityBroadcastIntervalMs", |d, p, v| set(&mut d.input.activity_broadcast_interval_ms, number(p, v))),
    ("refreshBeforeMs", |d, p, v| set(&mut d.input.refresh_before_ms, number(p, v))),
    ("refreshJitterMs", |d, p, v| set(&mut d.input.refresh_jitter_ms, number(p, v))),
    ("retryInitialMs", |d, p, v| set(&mut d.input.retry_initial_ms, number(p, v))),
    ("retryMaxMs", |d, p, v| set(&mut d.input.retry_max_ms, number(p, v))),
    ("keepaliveEveryMs", |d, p, v| set(&mut d.input.keepalive_every_ms, number(p, v))),
    ("rememberMeAbsoluteMs", |d, p, v| set(&mut d.input.remember_me_absolute_ms, number(p, v))),
    ("rememberMeIdleTimeoutMs", |d, p, v| set(&mut d.input.remember_me_idle_timeout_ms, number(p, v))),
    ("activityThrottleMs", |d, p, v| set(&mut d.input.activity_throttle_ms, number(p, v))),
    ("channelName", |d, p, v| set(&mut d.input.channel_name, text(p, v).map(str::to_owned))),
    ("storage", |d, p, v| set(&mut d.input.storage, text(p, v).map(str::to_owned))),
    ("activityEvents", |d, p, v| {
        let events = list(p, v)?.iter().map(|item| text(p, item).map(str::to_owned)).collect();
        set(&mut d.input.activity_events, events)
    }),
    ("endpoints", |d, p, v| walk(p, v, &ENDPOINTS, &mut d.endpoints)),
    ("mode", |d, p, v| {
        assign(&mut d.endpoints.mode, choice(p, v, &[("bearer", TokenMode::Bearer), ("cookie", TokenMode::Cookie)]))
    }),
    ("bodyEncoding", |d, p, v| {
        assign(&mut d.endpoints.encoding, choice(p, v, &[("json", BodyEncoding::Json), ("form", BodyEncoding::Form)]))
    }),
    ("credentials", |d, p, v| {
        let choices =
            [("omit", Credentials::Omit), ("same-origin", Credentials::SameOrigin), ("include", Credentials::Include)];
        assign(&mut d.endpoints.credentials, choice(p, v, &choices))
    }),
    ("requestTimeoutMs", |d, p, v| {
        assign(&mut d.endpoints.timeout_ms, whole(p, v, MAX_TIMEOUT_MS, ConfigErrorKind::TimeoutTooLong))
    }),
    ("maxBodyBytes", |d, p, v| {
        let limit = whole(p, v, MAX_BODY_LIMIT as u64, ConfigErrorKind::BodyLimitTooLarge)?;
        d.endpoints.max_body_bytes = usize::try_from(limit).unwrap_or(MAX_BODY_LIMIT);
        Ok(())
    }),
    ("headers", |d, p, v| assign(&mut d.endpoints.headers, pairs(p, v, header_problem))),
    ("bodyFields", |d, p, v| {
        assign(
            &mut d.endpoints.body_fields,
            pairs(p, v, |name, _| (!is_text(name)).then_some(ConfigErrorKind::BadText)),
        )
    }),
    ("refreshTokenField", |d, p, v| assign(&mut d.endpoints.refresh_token_field, plain_text(p, v))),
    ("grantType", |d, p, v| {
        assign(&mut d.endpoints.grant_type, if v.is_null() { Ok(None) } else { plain_text(p, v).map(Some) })
    }),
    ("responseFields", |d, p, v| walk(p, v, &RESPONSE_FIELDS, &mut d.endpoints.fields)),
    ("csrf", |d, p, v| assign(&mut d.endpoints.csrf, csrf(p, v))),
    ("revokedStatuses", |d, p, v| {
        assign(&mut d.endpoints.revoked_statuses, list(p, v)?.iter().map(|item| error_status(p, item)).collect())
    }),
    ("revokedErrorCodes", |d, p, v| {
        assign(&mut d.endpoints.revoked_error_codes, list(p, v)?.iter().map(|item| plain_text(p, item)).collect())
    }),
    ("sessionCookie", |d, p, v| set(&mut d.endpoints.session_cookie, cookie_name(p, v))),
    ("apiOrigins", |d, p, v| {
        assign(&mut d.endpoints.api_origins, list(p, v)?.iter().map(|item| api_origin(p, item)).collect())
    }),
    ("reconstituteForMs", |d, p, v| set(&mut d.input.reconstitute_for_ms, number(p, v))),
    ("monitor", |d, p, v| {
        walk(p, v, &MONITOR, d)?;
        d.input.monitor_url.as_ref().map(|_| ()).ok_or_else(|| p.child("url").error(ConfigErrorKind::WrongType))
    }),
];

/// `monitor: { url, flushMs }` (`core::monitor`).
const MONITOR: [Key<Draft>; 2] = [
    ("url", |d, p, v| set(&mut d.input.monitor_url, url(p, v))),
    ("flushMs", |d, p, v| set(&mut d.input.monitor_flush_ms, number(p, v))),
];

/// `endpoints`: each a URL string, `{ url, method }` or `null`. `GET` sends no
/// body, so the endpoints that carry a token or a body may not use it.
const ENDPOINTS: [Key<Transport>; 5] = [
    ("refresh", |t, p, v| assign(&mut t.refresh, endpoint(p, v, "POST", false))),
    ("keepalive", |t, p, v| assign(&mut t.keepalive, endpoint(p, v, "POST", true))),
    ("session", |t, p, v| assign(&mut t.session, endpoint(p, v, "GET", true))),
    ("logout", |t, p, v| assign(&mut t.logout, endpoint(p, v, "POST", false))),
    ("revocation", |t, p, v| assign(&mut t.revocation, endpoint(p, v, "POST", false))),
];

/// `{ url, method }` of one endpoint, checked once both are known.
#[derive(Default)]
struct EndpointDraft {
    url: Option<String>,
    method: Option<String>,
}

const ENDPOINT: [Key<EndpointDraft>; 2] = [
    ("url", |e, p, v| set(&mut e.url, url(p, v))),
    ("method", |e, p, v| set(&mut e.method, text(p, v).map(str::to_owned))),
];

const RESPONSE_FIELDS: [Key<FieldNames>; 6] = [
    ("accessToken", |f, p, v| assign(&mut f.access_token, plain_text(p, v))),
    ("refreshToken", |f, p, v| assign(&mut f.refresh_token, plain_text(p, v))),
    ("expiresIn", |f, p, v| assign(&mut f.expires_in, plain_text(p, v))),
    ("expiresAt", |f, p, v| assign(&mut f.expires_at, plain_text(p, v))),
    ("error", |f, p, v| assign(&mut f.error, plain_text(p, v))),
    ("user", |f, p, v| assign(&mut f.user, plain_text(p, v))),
];

#[derive(Default)]
struct CsrfDraft {
    header: Option<String>,
    source: Vec<CsrfSource>,
}

const CSRF: [Key<CsrfDraft>; 3] = [
    ("header", |c, p, v| {
        let name = text(p, v)?;
        if !is_token(name) {
            return Err(p.error(ConfigErrorKind::BadHeaderName));
        }
        c.header = Some(name.to_owned());
        Ok(())
    }),
    // Cookie names are RFC 6265 tokens.
    ("cookie", |c, p, v| {
        c.source.push(CsrfSource::Cookie(cookie_name(p, v)?));
        Ok(())
    }),
    // Kept to plain characters so the shell may look it up by name safely.
    ("meta", |c, p, v| {
        let name = text(p, v)?;
        if !is_name(name) {
            return Err(p.error(ConfigErrorKind::BadName));
        }
        c.source.push(CsrfSource::Meta(name.to_owned()));
        Ok(())
    }),
];

/// Walks the object `value` with `table`: each member is read by its key's
/// reader. Unknown and repeated keys are errors naming their path.
fn walk<T>(path: Path<'_>, value: &Value, table: &[Key<T>], target: &mut T) -> Result<(), ConfigError> {
    let members = value.as_object().ok_or_else(|| path.error(ConfigErrorKind::WrongType))?;
    // One bit per table entry: every table has fewer than 64 keys.
    let mut seen = 0u64;
    for (key, value) in members {
        let at = path.child(key);
        let Some((index, (_, read))) = table.iter().enumerate().find(|(_, (name, _))| name == key) else {
            return Err(at.error(ConfigErrorKind::UnknownOption));
        };
        let bit = 1u64.checked_shl(index as u32).unwrap_or(0);
        if seen & bit != 0 {
            return Err(at.error(ConfigErrorKind::Duplicate));
        }
        seen |= bit;
        read(target, at, value)?;
    }
    Ok(())
}

const _: () = assert!(OPTIONS.len() < 64, "walk() keeps one bit per key");

/// Stores a read value in an optional field.
fn set<T>(field: &mut Option<T>, value: Result<T, ConfigError>) -> Result<(), ConfigError> {
    *field = Some(value?);
    Ok(())
}

/// Stores a read value in a field.
fn assign<T>(field: &mut T, value: Result<T, ConfigError>) -> Result<(), ConfigError> {
    *field = value?;
    Ok(())
}

// ---- values ----

fn text<'v>(path: Path<'_>, value: &'v Value) -> Result<&'v str, ConfigError> {
    value.as_str().ok_or_else(|| path.error(ConfigErrorKind::WrongType))
}

/// The one number reader. `null` is reported as not finite: it is what JSON
/// makes of `NaN` and `Infinity`.
fn number(path: Path<'_>, value: &Value) -> Result<f64, ConfigError> {
    match value {
        Value::Number(n) if n.is_finite() => Ok(*n),
        Value::Number(_) | Value::Null => Err(path.error(ConfigErrorKind::NotFinite)),
        _ => Err(path.error(ConfigErrorKind::WrongType)),
    }
}

/// A whole number in `1..=max`; fractions are truncated, as for durations.
fn whole(path: Path<'_>, value: &Value, max: u64, too_large: ConfigErrorKind) -> Result<u64, ConfigError> {
    let n = number(path, value)?;
    if n < 1.0 {
        return Err(path.error(ConfigErrorKind::NotPositive));
    }
    if n > max as f64 {
        return Err(path.error(too_large));
    }
    Ok(n.trunc() as u64)
}

/// One of `choices`, by its exact name.
fn choice<T: Copy>(path: Path<'_>, value: &Value, choices: &[(&str, T)]) -> Result<T, ConfigError> {
    let name = text(path, value)?;
    choices
        .iter()
        .find(|(choice, _)| *choice == name)
        .map(|(_, chosen)| *chosen)
        .ok_or_else(|| path.error(ConfigErrorKind::UnknownChoice))
}

/// A text that names something on the server (field names, codes, grant types):
/// 1 to 256 bytes, no control characters.
fn is_text(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_NAME_LEN && !text.chars().any(char::is_control)
}

fn plain_text(path: Path<'_>, value: &Value) -> Result<String, ConfigError> {
    let found = text(path, value)?;
    if is_text(found) {
        Ok(found.to_owned())
    } else {
        Err(path.error(ConfigErrorKind::BadText))
    }
}

fn cookie_name(path: Path<'_>, value: &Value) -> Result<String, ConfigError> {
    let name = text(path, value)?;
    if is_token(name) {
        Ok(name.to_owned())
    } else {
        Err(path.error(ConfigErrorKind::BadCookieName))
    }
}

fn url(path: Path<'_>, value: &Value) -> Result<String, ConfigError> {
    let url = text(path, value)?;
    if is_valid_url(url) {
        Ok(url.to_owned())
    } else {
        Err(path.error(ConfigErrorKind::BadUrl))
    }
}

/// An array of at most [`MAX_LIST`] entries.
fn list<'v>(path: Path<'_>, value: &'v Value) -> Result<&'v [Value], ConfigError> {
    let items = value.as_array().ok_or_else(|| path.error(ConfigErrorKind::WrongType))?;
    if items.len() > MAX_LIST {
        return Err(path.error(ConfigErrorKind::TooMany));
    }
    Ok(items)
}

/// What is wrong with a static header, if anything.
fn header_problem(name: &str, value: &str) -> Option<ConfigErrorKind> {
    if !is_token(name) {
        Some(ConfigErrorKind::BadHeaderName)
    } else if !header_value_ok(value) {
        Some(ConfigErrorKind::BadHeaderValue)
    } else {
        None
    }
}

/// `{ name: value }` text pairs in document order, at most [`MAX_LIST`];
/// `problem` says what, if anything, is wrong with a pair.
fn pairs(
    path: Path<'_>,
    value: &Value,
    problem: fn(&str, &str) -> Option<ConfigErrorKind>,
) -> Result<Vec<(String, String)>, ConfigError> {
    let members = value.as_object().ok_or_else(|| path.error(ConfigErrorKind::WrongType))?;
    if members.len() > MAX_LIST {
        return Err(path.error(ConfigErrorKind::TooMany));
    }
    let mut out: Vec<(String, String)> = Vec::with_capacity(members.len());
    for (name, item) in members {
        let at = path.child(name);
        let text = text(at, item)?;
        if let Some(kind) = problem(name, text) {
            return Err(at.error(kind));
        }
        if out.iter().any(|(seen, _)| seen == name) {
            return Err(at.error(ConfigErrorKind::Duplicate));
        }
        out.push((name.clone(), text.to_owned()));
    }
    Ok(out)
}

/// One endpoint; `null` turns it off.
fn endpoint(
    path: Path<'_>,
    value: &Value,
    default_method: &str,
    allow_get: bool,
) -> Result<Option<Endpoint>, ConfigError> {
    let (url, method) = match value {
        Value::Null => return Ok(None),
        Value::String(_) => (url(path, value)?, None),
        Value::Object(_) => {
            let mut draft = EndpointDraft::default();
            walk(path, value, &ENDPOINT, &mut draft)?;
            let url = draft.url.ok_or_else(|| path.child("url").error(ConfigErrorKind::WrongType))?;
            (url, draft.method)
        }
        _ => return Err(path.error(ConfigErrorKind::WrongType)),
    };
    let asked = method.as_deref().unwrap_or(default_method);
    let method = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(asked))
        .filter(|known| allow_get || *known != "GET")
        .ok_or_else(|| path.child("method").error(ConfigErrorKind::UnknownChoice))?;
    Ok(Some(Endpoint { url, method: method.to_owned() }))
}

fn csrf(path: Path<'_>, value: &Value) -> Result<Option<Csrf>, ConfigError> {
    if value.is_null() {
        return Ok(None);
    }
    let mut draft = CsrfDraft::default();
    walk(path, value, &CSRF, &mut draft)?;
    // Both a cookie and a meta tag: which one wins would be a guess.
    let Some(source) = draft.source.pop().filter(|_| draft.source.is_empty()) else {
        return Err(path.error(ConfigErrorKind::NeedsOneSource));
    };
    Ok(Some(Csrf { header: draft.header.unwrap_or_else(|| "X-CSRF-Token".to_owned()), source }))
}

/// Only error statuses can mean "revoked": a 2xx is an answer.
fn error_status(path: Path<'_>, value: &Value) -> Result<u16, ConfigError> {
    let n = number(path, value)?;
    if (400.0..=599.0).contains(&n) && n.fract() == 0.0 {
        Ok(n as u16)
    } else {
        Err(path.error(ConfigErrorKind::NotErrorStatus))
    }
}

/// An origin only, normalised as the URL parser writes it (`https://api.x:443`
/// is `https://api.x`), so that it matches: a path would suggest a prefix
/// match that is not made.
fn api_origin(path: Path<'_>, value: &Value) -> Result<String, ConfigError> {
    endpoints::api_origin(text(path, value)?).ok_or_else(|| path.error(ConfigErrorKind::BadOrigin))
}

// ---- presets ----

fn object(members: Vec<(&str, Value)>) -> Value {
    Value::Object(members.into_iter().map(|(key, value)| (key.to_owned(), value)).collect())
}

fn string(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// The [`Transport::oauth2`] preset as an options fragment, for the JS
/// `oauth2({ tokenUrl, clientId, revocationUrl })` helper: apps spread it into
/// their options, so presets and hand-written options go through one reader.
pub fn oauth2_options(token_url: &str, client_id: &str, revocation_url: Option<&str>) -> Value {
    let mut endpoints = vec![("refresh", string(token_url))];
    if let Some(revocation_url) = revocation_url {
        endpoints.push(("revocation", string(revocation_url)));
    }
    object(vec![
        ("endpoints", object(endpoints)),
        ("mode", string("bearer")),
        ("bodyEncoding", string("form")),
        ("credentials", string("same-origin")),
        ("bodyFields", object(vec![("client_id", string(client_id))])),
        ("grantType", string("refresh_token")),
    ])
}

/// The [`Transport::cookie_session`] preset as an options fragment.
pub fn cookie_session_options(keepalive_url: &str, session_url: &str, logout_url: &str) -> Value {
    let session = object(vec![("url", string(session_url)), ("method", string("GET"))]);
    object(vec![
        (
            "endpoints",
            object(vec![("keepalive", string(keepalive_url)), ("logout", string(logout_url)), ("session", session)]),
        ),
        ("mode", string("cookie")),
        ("credentials", string("include")),
    ])
}
