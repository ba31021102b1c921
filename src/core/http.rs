//! The endpoints and how to talk to them: the [`Transport`] configuration
//! (endpoints, modes, headers, field names, CSRF source), read from the
//! options; the server clock; and the encodings (HTTP dates, JWT times, form
//! bodies).
//!
//! The SDK talks to any backend through at most five endpoints: `refresh` (a new
//! access token), `keepalive` (extend a server-side idle timer), `session` (read
//! the current session), `logout` and an optional RFC 7009 `revocation`
//! endpoint. The requests sent to them and the meaning of their answers are in
//! [`super::contract`]; the state machine decides when to send them.
//!
//! Servers are hostile: bodies, headers and tokens may be anything, and nothing
//! here panics. A malformed answer becomes a typed failure; an absurd value that
//! is not needed (an expiry in the year 30000) is dropped rather than failing an
//! otherwise usable answer.
//!
//! Server clocks are not ours. Absolute times from the server are moved onto the
//! local clock by the offset the `Date` header shows (or, without one, the access
//! token's `iat`). Cross-origin responses expose `Date` to scripts only with
//! `Access-Control-Expose-Headers: Date`.

use std::borrow::Cow;

use super::config::{ConfigError, ConfigErrorKind, MAX_DURATION_MS};
use super::json::{self, ObjectWriter, Value};
use super::tokens::MAX_TOKEN_LEN;

/// Default request timeout: 10 s.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Longest accepted `requestTimeoutMs`: 10 min. Anything longer is a unit mistake.
pub const MAX_TIMEOUT_MS: u64 = 600_000;
/// Default cap on a response body: 64 KiB, plenty for any token or session answer.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest accepted `maxBodyBytes`: 4 MiB.
pub const MAX_BODY_LIMIT: usize = 4 * 1024 * 1024;
/// Longest accepted endpoint URL, in bytes.
pub const MAX_URL_LEN: usize = 2048;
/// Most entries in `headers`, `bodyFields`, `revokedStatuses` and `revokedErrorCodes`
/// (the limit [`ConfigErrorKind::TooMany`] reports).
pub const MAX_LIST: usize = 16;
/// 9999-12-31T23:59:59.999Z: later times are absurd and read as absent.
pub const MAX_EPOCH_MS: u64 = 253_402_300_799_999;

/// Longest accepted field name, body field, error code or grant type.
const MAX_NAME_LEN: usize = 256;
/// Longest accepted header value (static headers, CSRF token, `Authorization`).
const MAX_HEADER_VALUE_LEN: usize = 8 * 1024;

/// The top-level option keys [`Transport`] reads from the options object.
/// `ConfigInput::from_json` must leave these to [`Transport::from_options`].
pub const TRANSPORT_KEYS: [&str; 16] = [
    "endpoints",
    "mode",
    "bodyEncoding",
    "credentials",
    "requestTimeoutMs",
    "headers",
    "bodyFields",
    "refreshTokenField",
    "grantType",
    "responseFields",
    "csrf",
    "maxBodyBytes",
    "revokedStatuses",
    "revokedErrorCodes",
    "sessionCookie",
    "apiOrigins",
];

/// Whether `key` is one of the [`TRANSPORT_KEYS`].
pub fn is_transport_key(key: &str) -> bool {
    TRANSPORT_KEYS.contains(&key)
}

/// How request bodies are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyEncoding {
    /// `application/json` (the default).
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`, as OAuth 2.0 token endpoints require.
    Form,
}

impl BodyEncoding {
    /// The `Content-Type` of a body in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            BodyEncoding::Json => "application/json",
            BodyEncoding::Form => FORM_CONTENT_TYPE,
        }
    }
}

const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// fetch's `credentials` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Credentials {
    /// Never send cookies.
    Omit,
    /// Cookies for same-origin requests only.
    SameOrigin,
    /// Cookies everywhere (the default: cookie sessions and HttpOnly refresh
    /// cookies on an API origin need it).
    #[default]
    Include,
}

impl Credentials {
    /// The value fetch takes: `"omit"`, `"same-origin"` or `"include"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Credentials::Omit => "omit",
            Credentials::SameOrigin => "same-origin",
            Credentials::Include => "include",
        }
    }
}

/// Where the access token lives, which decides what a refresh answer must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenMode {
    /// The client holds the access token: a refresh answer without one is unusable.
    #[default]
    Bearer,
    /// The session rides in cookies: an empty 2xx refresh answer is a success.
    Cookie,
}

/// One endpoint: where and with which method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Absolute (`http`/`https`) or relative URL.
    pub url: String,
    /// Upper-case HTTP method.
    pub method: String,
}

impl Endpoint {
    /// A `POST` endpoint.
    pub fn post(url: &str) -> Endpoint {
        Endpoint { url: url.to_owned(), method: "POST".to_owned() }
    }

    /// A `GET` endpoint.
    pub fn get(url: &str) -> Endpoint {
        Endpoint { url: url.to_owned(), method: "GET".to_owned() }
    }
}

/// Where the shell reads the anti-CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsrfSource {
    /// A double-submit cookie of this name (must not be HttpOnly).
    Cookie(String),
    /// The `content` of `<meta name="...">`.
    Meta(String),
}

/// The anti-CSRF header: its name and where its value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csrf {
    /// Header name, e.g. `X-CSRF-Token`.
    pub header: String,
    /// Where the value comes from.
    pub source: CsrfSource,
}

/// Names of the fields in refresh answers. The defaults are the OAuth 2.0 names;
/// with a default name, its camelCase twin (`accessToken` …) is accepted too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldNames {
    /// Default `access_token`.
    pub access_token: String,
    /// Default `refresh_token`.
    pub refresh_token: String,
    /// Lifetime in seconds; default `expires_in`.
    pub expires_in: String,
    /// Epoch seconds or milliseconds; default `expires_at`.
    pub expires_at: String,
    /// Error code (a string, or an object with a string `code`); default `error`.
    pub error: String,
}

impl Default for FieldNames {
    fn default() -> Self {
        FieldNames {
            access_token: "access_token".to_owned(),
            refresh_token: "refresh_token".to_owned(),
            expires_in: "expires_in".to_owned(),
            expires_at: "expires_at".to_owned(),
            error: "error".to_owned(),
        }
    }
}

/// Everything the SDK needs to know about the backend's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    /// New access token (bearer mode).
    pub refresh: Option<Endpoint>,
    /// Extends a server-side idle timer (cookie mode).
    pub keepalive: Option<Endpoint>,
    /// Reads the current session (default `GET`).
    pub session: Option<Endpoint>,
    /// Ends the session on the server.
    pub logout: Option<Endpoint>,
    /// RFC 7009 token revocation.
    pub revocation: Option<Endpoint>,
    /// Bearer (default) or cookie.
    pub mode: TokenMode,
    /// Encoding of refresh and logout bodies (revocation is always form-encoded).
    pub encoding: BodyEncoding,
    /// fetch `credentials` on every request.
    pub credentials: Credentials,
    /// Per-request timeout; default [`DEFAULT_TIMEOUT_MS`].
    pub timeout_ms: u64,
    /// Extra static headers on every request.
    pub headers: Vec<(String, String)>,
    /// Extra static body fields (e.g. `client_id`) on refresh, revocation, and a
    /// logout that carries a refresh token.
    pub body_fields: Vec<(String, String)>,
    /// Request body field for the refresh token; default `refresh_token`.
    pub refresh_token_field: String,
    /// `grant_type` sent on refresh (`Some("refresh_token")` in the OAuth 2.0 preset).
    pub grant_type: Option<String>,
    /// Response field names.
    pub fields: FieldNames,
    /// The anti-CSRF header, if the backend wants one.
    pub csrf: Option<Csrf>,
    /// Larger response bodies are unusable; default [`DEFAULT_MAX_BODY_BYTES`].
    pub max_body_bytes: usize,
    /// API statuses that mean "session revoked" for `session.fetch`; default `[401]`.
    pub revoked_statuses: Vec<u16>,
    /// JSON `error` codes of 4xx/5xx answers that also mean revoked.
    pub revoked_error_codes: Vec<String>,
    /// The name of the server's session cookie, so the security report can
    /// tell whether scripts can read it (it must be HttpOnly).
    pub session_cookie: Option<String>,
    /// Origins besides the page's own that `session.fetch` sends the
    /// credential to (lower-case `scheme://host[:port]`).
    pub api_origins: Vec<String>,
}

impl Default for Transport {
    fn default() -> Self {
        Transport {
            refresh: None,
            keepalive: None,
            session: None,
            logout: None,
            revocation: None,
            mode: TokenMode::Bearer,
            encoding: BodyEncoding::Json,
            credentials: Credentials::Include,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            headers: Vec::new(),
            body_fields: Vec::new(),
            refresh_token_field: "refresh_token".to_owned(),
            grant_type: None,
            fields: FieldNames::default(),
            csrf: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            revoked_statuses: vec![401],
            revoked_error_codes: Vec::new(),
            session_cookie: None,
            api_origins: Vec::new(),
        }
    }
}

// ---- reading the options ----

const fn error(field: &'static str, kind: ConfigErrorKind) -> ConfigError {
    ConfigError { field: Cow::Borrowed(field), kind }
}

/// An error about `prefix.key`, where `key` is the app's text (cut to 64 chars).
fn keyed(prefix: &str, key: &str, kind: ConfigErrorKind) -> ConfigError {
    let mut field = String::with_capacity(prefix.len().saturating_add(65));
    if !prefix.is_empty() {
        field.push_str(prefix);
        field.push('.');
    }
    field.extend(key.chars().take(64));
    ConfigError { field: Cow::Owned(field), kind }
}

fn members<'v>(field: &'static str, value: &'v Value) -> Result<&'v [(String, Value)], ConfigError> {
    value.as_object().ok_or(error(field, ConfigErrorKind::WrongType))
}

fn string<'v>(field: &'static str, value: &'v Value) -> Result<&'v str, ConfigError> {
    value.as_str().ok_or(error(field, ConfigErrorKind::WrongType))
}

/// A number option; `null` is what `JSON.stringify` makes of `NaN` and `Infinity`.
fn number(field: &'static str, value: &Value) -> Result<f64, ConfigError> {
    match value {
        Value::Number(n) if n.is_finite() => Ok(*n),
        Value::Number(_) | Value::Null => Err(error(field, ConfigErrorKind::NotFinite)),
        _ => Err(error(field, ConfigErrorKind::WrongType)),
    }
}

/// A whole number in `1..=max`; fractions are truncated, as in config.rs.
fn bounded(field: &'static str, value: &Value, max: u64) -> Result<u64, ConfigError> {
    let n = number(field, value)?;
    if n < 1.0 {
        return Err(error(field, ConfigErrorKind::NotPositive));
    }
    if n > max as f64 {
        return Err(error(field, ConfigErrorKind::TooLarge));
    }
    Ok(n.trunc() as u64)
}

/// A name-like text (field names, codes): 1..=256 bytes, no control characters.
fn plain(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_NAME_LEN && !text.chars().any(char::is_control)
}

fn plain_text(field: &'static str, value: &Value) -> Result<String, ConfigError> {
    let text = string(field, value)?;
    if plain(text) {
        Ok(text.to_owned())
    } else {
        Err(error(field, ConfigErrorKind::BadText))
    }
}

/// An RFC 7230 `token`: what header names, methods and cookie names are made of.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_NAME_LEN
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A header value fetch accepts: no CR, LF or NUL, and Latin-1 only (the Headers
/// API takes a ByteString and throws on anything wider).
pub(crate) fn header_value_ok(text: &str) -> bool {
    text.len() <= MAX_HEADER_VALUE_LEN && text.chars().all(|c| !matches!(c, '\r' | '\n' | '\0') && u32::from(c) <= 0xFF)
}

/// Non-empty, bounded, no spaces or control characters, and `http`/`https` when
/// a scheme is given (so no `javascript:` or `data:`). Relative URLs are fine.
pub fn is_valid_url(url: &str) -> bool {
    if url.is_empty() || url.len() > MAX_URL_LEN || url.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return false;
    }
    match scheme(url) {
        Some(scheme) => scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"),
        None => true,
    }
}

/// The origin (`scheme://host[:port]`, lower-case) of an absolute `http(s)` URL.
pub fn origin_of(url: &str) -> Option<String> {
    let scheme = scheme(url)?;
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return None;
    }
    let rest = url.get(scheme.len() + 1..)?.strip_prefix("//")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') || !is_valid_url(url) {
        return None;
    }
    Some([scheme, "://", authority].concat().to_ascii_lowercase())
}

/// Whether `session.fetch` may send the session's credential (bearer token,
/// CSRF header) with a request to the absolute `url` from a page of
/// `page_origin`: only to the page's own origin and the configured `apiOrigins`,
/// never to a third party the app happens to call.
pub fn may_send_credential(t: &Transport, url: &str, page_origin: &str) -> bool {
    match origin_of(url) {
        Some(origin) => origin == page_origin.to_ascii_lowercase() || t.api_origins.contains(&origin),
        None => false,
    }
}

/// The scheme, if the URL starts with one (`ALPHA *(ALPHA / DIGIT / "+" / "-" / ".") ":"`).
fn scheme(url: &str) -> Option<&str> {
    let end = url.find([':', '/', '?', '#'])?;
    if url.as_bytes().get(end) != Some(&b':') {
        return None;
    }
    let scheme = url.get(..end)?;
    let mut bytes = scheme.bytes();
    let first = bytes.next()?;
    let valid =
        first.is_ascii_alphabetic() && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    valid.then_some(scheme)
}

/// Option paths of one endpoint, so errors can name them without formatting.
struct EndpointKeys {
    path: &'static str,
    url: &'static str,
    method: &'static str,
    default_method: &'static str,
    /// GET sends no body, so endpoints that carry secrets or bodies may not use it.
    allow_get: bool,
}

const REFRESH_KEYS: EndpointKeys = EndpointKeys {
    path: "endpoints.refresh",
    url: "endpoints.refresh.url",
    method: "endpoints.refresh.method",
    default_method: "POST",
    allow_get: false,
};
const KEEPALIVE_KEYS: EndpointKeys = EndpointKeys {
    path: "endpoints.keepalive",
    url: "endpoints.keepalive.url",
    method: "endpoints.keepalive.method",
    default_method: "POST",
    allow_get: true,
};
const SESSION_KEYS: EndpointKeys = EndpointKeys {
    path: "endpoints.session",
    url: "endpoints.session.url",
    method: "endpoints.session.method",
    default_method: "GET",
    allow_get: true,
};
const LOGOUT_KEYS: EndpointKeys = EndpointKeys {
    path: "endpoints.logout",
    url: "endpoints.logout.url",
    method: "endpoints.logout.method",
    default_method: "POST",
    allow_get: false,
};
const REVOCATION_KEYS: EndpointKeys = EndpointKeys {
    path: "endpoints.revocation",
    url: "endpoints.revocation.url",
    method: "endpoints.revocation.method",
    default_method: "POST",
    allow_get: false,
};

fn endpoint(keys: &EndpointKeys, value: &Value) -> Result<Option<Endpoint>, ConfigError> {
    let (url, method) = match value {
        Value::Null => return Ok(None),
        Value::String(url) => (url.as_str(), keys.default_method),
        Value::Object(fields) => {
            let mut url = None;
            let mut method = keys.default_method;
            for (key, field) in fields {
                match key.as_str() {
                    "url" => url = Some(string(keys.url, field)?),
                    "method" => method = string(keys.method, field)?,
                    unknown => return Err(keyed(keys.path, unknown, ConfigErrorKind::UnknownOption)),
                }
            }
            (url.ok_or(error(keys.url, ConfigErrorKind::WrongType))?, method)
        }
        _ => return Err(error(keys.path, ConfigErrorKind::WrongType)),
    };
    if !is_valid_url(url) {
        return Err(error(
            if matches!(value, Value::String(_)) { keys.path } else { keys.url },
            ConfigErrorKind::BadText,
        ));
    }
    let method = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(method))
        .filter(|known| keys.allow_get || *known != "GET")
        .ok_or(error(keys.method, ConfigErrorKind::UnknownChoice))?;
    Ok(Some(Endpoint { url: url.to_owned(), method: method.to_owned() }))
}

fn endpoints(transport: &mut Transport, value: &Value) -> Result<(), ConfigError> {
    for (key, value) in members("endpoints", value)? {
        match key.as_str() {
            "refresh" => transport.refresh = endpoint(&REFRESH_KEYS, value)?,
            "keepalive" => transport.keepalive = endpoint(&KEEPALIVE_KEYS, value)?,
            "session" => transport.session = endpoint(&SESSION_KEYS, value)?,
            "logout" => transport.logout = endpoint(&LOGOUT_KEYS, value)?,
            "revocation" => transport.revocation = endpoint(&REVOCATION_KEYS, value)?,
            unknown => return Err(keyed("endpoints", unknown, ConfigErrorKind::UnknownOption)),
        }
    }
    Ok(())
}

/// `{name: value}` pairs in document order, at most [`MAX_LIST`]; `check` says
/// whether a name and a value are acceptable.
fn pairs(
    field: &'static str,
    value: &Value,
    check: fn(&str, &str) -> (bool, bool),
) -> Result<Vec<(String, String)>, ConfigError> {
    let entries = members(field, value)?;
    if entries.len() > MAX_LIST {
        return Err(error(field, ConfigErrorKind::TooMany));
    }
    let mut out = Vec::with_capacity(entries.len());
    for (name, item) in entries {
        let text = item.as_str().ok_or_else(|| keyed(field, name, ConfigErrorKind::WrongType))?;
        let (name_ok, value_ok) = check(name, text);
        if !name_ok || !value_ok {
            return Err(keyed(field, name, ConfigErrorKind::BadText));
        }
        out.push((name.clone(), text.to_owned()));
    }
    Ok(out)
}

fn field_names(fields: &mut FieldNames, value: &Value) -> Result<(), ConfigError> {
    for (key, value) in members("responseFields", value)? {
        match key.as_str() {
            "accessToken" => fields.access_token = plain_text("responseFields.accessToken", value)?,
            "refreshToken" => fields.refresh_token = plain_text("responseFields.refreshToken", value)?,
            "expiresIn" => fields.expires_in = plain_text("responseFields.expiresIn", value)?,
            "expiresAt" => fields.expires_at = plain_text("responseFields.expiresAt", value)?,
            "error" => fields.error = plain_text("responseFields.error", value)?,
            unknown => return Err(keyed("responseFields", unknown, ConfigErrorKind::UnknownOption)),
        }
    }
    Ok(())
}

fn csrf(value: &Value) -> Result<Option<Csrf>, ConfigError> {
    if value.is_null() {
        return Ok(None);
    }
    let mut header = "X-CSRF-Token";
    let mut source = None;
    for (key, value) in members("csrf", value)? {
        let next = match key.as_str() {
            "header" => {
                header = string("csrf.header", value)?;
                if !is_token(header) {
                    return Err(error("csrf.header", ConfigErrorKind::BadText));
                }
                continue;
            }
            // Cookie names are RFC 6265 tokens.
            "cookie" => match string("csrf.cookie", value)? {
                name if is_token(name) => CsrfSource::Cookie(name.to_owned()),
                _ => return Err(error("csrf.cookie", ConfigErrorKind::BadText)),
            },
            // Kept to plain characters so the shell may look it up by name safely.
            "meta" => match string("csrf.meta", value)? {
                name if !name.is_empty()
                    && name.len() <= 64
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')) =>
                {
                    CsrfSource::Meta(name.to_owned())
                }
                _ => return Err(error("csrf.meta", ConfigErrorKind::BadText)),
            },
            unknown => return Err(keyed("csrf", unknown, ConfigErrorKind::UnknownOption)),
        };
        if source.replace(next).is_some() {
            // Both a cookie and a meta tag: which one wins would be a guess.
            return Err(error("csrf", ConfigErrorKind::UnknownChoice));
        }
    }
    let source = source.ok_or(error("csrf", ConfigErrorKind::UnknownChoice))?;
    Ok(Some(Csrf { header: header.to_owned(), source }))
}

/// A JSON array option of at most [`MAX_LIST`] entries, each read by `read`.
fn list<T>(
    field: &'static str,
    value: &Value,
    read: impl Fn(&Value) -> Result<T, ConfigError>,
) -> Result<Vec<T>, ConfigError> {
    let items = value.as_array().ok_or(error(field, ConfigErrorKind::WrongType))?;
    if items.len() > MAX_LIST {
        return Err(error(field, ConfigErrorKind::TooMany));
    }
    items.iter().map(read).collect()
}

fn origins(value: &Value) -> Result<Vec<String>, ConfigError> {
    const FIELD: &str = "apiOrigins";
    list(FIELD, value, |item| {
        let text = item.as_str().ok_or(error(FIELD, ConfigErrorKind::WrongType))?;
        let text = text.strip_suffix('/').unwrap_or(text);
        // An origin only: a path would suggest a prefix match that is not made.
        match origin_of(text) {
            Some(origin) if origin.len() == text.len() => Ok(origin),
            _ => Err(error(FIELD, ConfigErrorKind::BadText)),
        }
    })
}

fn statuses(value: &Value) -> Result<Vec<u16>, ConfigError> {
    const FIELD: &str = "revokedStatuses";
    list(FIELD, value, |item| {
        let n = number(FIELD, item)?;
        // Only error statuses can mean "revoked": a 2xx is an answer.
        if (400.0..=599.0).contains(&n) && n.fract() == 0.0 {
            Ok(n as u16)
        } else {
            Err(error(FIELD, ConfigErrorKind::UnknownChoice))
        }
    })
}

fn codes(value: &Value) -> Result<Vec<String>, ConfigError> {
    list("revokedErrorCodes", value, |item| plain_text("revokedErrorCodes", item))
}

impl Transport {
    /// Reads the transport options, given as their own object (JSON from
    /// `JSON.stringify`). Shape:
    ///
    /// ```text
    /// { endpoints: { refresh: "/auth/refresh" | { url, method }, keepalive, session, logout, revocation },
    ///   mode: "bearer" | "cookie", bodyEncoding: "json" | "form",
    ///   credentials: "omit" | "same-origin" | "include", requestTimeoutMs,
    ///   headers: { name: value }, bodyFields: { name: value }, refreshTokenField, grantType,
    ///   responseFields: { accessToken, refreshToken, expiresIn, expiresAt, error },
    ///   csrf: { header: "X-CSRF-Token", cookie: "csrf" } | { header, meta: "csrf-token" },
    ///   maxBodyBytes, revokedStatuses: [401], revokedErrorCodes: ["session_revoked"] }
    /// ```
    ///
    /// Every key is optional; `null` turns an endpoint, `grantType` or `csrf` off.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the key (dotted for nested keys, e.g.
    /// `endpoints.refresh.url`): `UnknownOption` for a key that is not an option,
    /// `WrongType`, `UnknownChoice` for a bad enum value, method or status (or a
    /// `csrf` with both or neither of `cookie`/`meta`), `BadText` for a bad URL,
    /// header, name or code, `NotPositive`/`TooLarge`/`NotFinite` for numbers out
    /// of range, `TooMany` for more than [`MAX_LIST`] entries.
    pub fn from_json(value: &Value) -> Result<Transport, ConfigError> {
        let all = members("options", value)?;
        if let Some((key, _)) = all.iter().find(|(key, _)| !is_transport_key(key)) {
            return Err(keyed("", key, ConfigErrorKind::UnknownOption));
        }
        Transport::read(all.iter())
    }

    /// Reads the [`TRANSPORT_KEYS`] of the whole options object and ignores the
    /// rest (which `ConfigInput::from_json` checks).
    ///
    /// # Errors
    ///
    /// As [`Transport::from_json`], except that other keys are not errors.
    pub fn from_options(options: &Value) -> Result<Transport, ConfigError> {
        Transport::read(members("options", options)?.iter().filter(|(key, _)| is_transport_key(key)))
    }

    fn read<'v>(options: impl Iterator<Item = &'v (String, Value)>) -> Result<Transport, ConfigError> {
        let mut t = Transport::default();
        for (key, value) in options {
            match key.as_str() {
                "endpoints" => endpoints(&mut t, value)?,
                "mode" => {
                    t.mode = match string("mode", value)? {
                        "bearer" => TokenMode::Bearer,
                        "cookie" => TokenMode::Cookie,
                        _ => return Err(error("mode", ConfigErrorKind::UnknownChoice)),
                    }
                }
                "bodyEncoding" => {
                    t.encoding = match string("bodyEncoding", value)? {
                        "json" => BodyEncoding::Json,
                        "form" => BodyEncoding::Form,
                        _ => return Err(error("bodyEncoding", ConfigErrorKind::UnknownChoice)),
                    }
                }
                "credentials" => {
                    t.credentials = match string("credentials", value)? {
                        "omit" => Credentials::Omit,
                        "same-origin" => Credentials::SameOrigin,
                        "include" => Credentials::Include,
                        _ => return Err(error("credentials", ConfigErrorKind::UnknownChoice)),
                    }
                }
                "requestTimeoutMs" => t.timeout_ms = bounded("requestTimeoutMs", value, MAX_TIMEOUT_MS)?,
                "maxBodyBytes" => {
                    let limit = bounded("maxBodyBytes", value, MAX_BODY_LIMIT as u64)?;
                    t.max_body_bytes = usize::try_from(limit).unwrap_or(MAX_BODY_LIMIT);
                }
                "headers" => t.headers = pairs("headers", value, |name, text| (is_token(name), header_value_ok(text)))?,
                "bodyFields" => t.body_fields = pairs("bodyFields", value, |name, _| (plain(name), true))?,
                "refreshTokenField" => t.refresh_token_field = plain_text("refreshTokenField", value)?,
                "grantType" => {
                    t.grant_type = if value.is_null() { None } else { Some(plain_text("grantType", value)?) }
                }
                "responseFields" => field_names(&mut t.fields, value)?,
                "csrf" => t.csrf = csrf(value)?,
                "revokedStatuses" => t.revoked_statuses = statuses(value)?,
                "revokedErrorCodes" => t.revoked_error_codes = codes(value)?,
                "apiOrigins" => t.api_origins = origins(value)?,
                "sessionCookie" => {
                    let name = string("sessionCookie", value)?;
                    if !is_token(name) {
                        return Err(error("sessionCookie", ConfigErrorKind::BadText));
                    }
                    t.session_cookie = Some(name.to_owned());
                }
                unknown => return Err(keyed("", unknown, ConfigErrorKind::UnknownOption)),
            }
        }
        Ok(t)
    }

    /// The URLs of every configured endpoint.
    pub fn endpoints(&self) -> impl Iterator<Item = &str> {
        [&self.refresh, &self.keepalive, &self.session, &self.logout, &self.revocation]
            .into_iter()
            .filter_map(|endpoint| endpoint.as_ref().map(|endpoint| endpoint.url.as_str()))
    }

    /// Preset for a standard OAuth 2.0 token endpoint: the RFC 6749 §6 refresh
    /// grant, form-encoded, with `client_id` in the body, credentials
    /// `same-origin` (an authorization server on another origin needs no cookies),
    /// and RFC 7009 revocation at logout when `revocation_url` is given.
    pub fn oauth2(token_url: &str, client_id: &str, revocation_url: Option<&str>) -> Transport {
        Transport {
            refresh: Some(Endpoint::post(token_url)),
            revocation: revocation_url.map(Endpoint::post),
            mode: TokenMode::Bearer,
            encoding: BodyEncoding::Form,
            credentials: Credentials::SameOrigin,
            body_fields: vec![("client_id".to_owned(), client_id.to_owned())],
            grant_type: Some("refresh_token".to_owned()),
            ..Transport::default()
        }
    }

    /// Preset for a server-side session in an HttpOnly cookie: keepalive `POST`,
    /// session `GET`, logout `POST`, credentials `include`, no refresh.
    pub fn cookie_session(keepalive_url: &str, session_url: &str, logout_url: &str) -> Transport {
        Transport {
            keepalive: Some(Endpoint::post(keepalive_url)),
            session: Some(Endpoint::get(session_url)),
            logout: Some(Endpoint::post(logout_url)),
            mode: TokenMode::Cookie,
            credentials: Credentials::Include,
            ..Transport::default()
        }
    }
}

// ---- presets as options objects ----

/// The [`Transport::oauth2`] preset as an options fragment (JSON text) for the JS
/// `oauth2({ tokenUrl, clientId, revocationUrl })` helper: apps spread it into
/// their options, so presets and hand-written options go through one parser.
pub fn oauth2_options(token_url: &str, client_id: &str, revocation_url: Option<&str>) -> String {
    let mut endpoints = ObjectWriter::new();
    endpoints.str("refresh", token_url).opt_str("revocation", revocation_url);
    let mut body_fields = ObjectWriter::new();
    body_fields.str("client_id", client_id);
    let mut options = ObjectWriter::new();
    options
        .object("endpoints", endpoints)
        .str("mode", "bearer")
        .str("bodyEncoding", "form")
        .str("credentials", "same-origin")
        .object("bodyFields", body_fields)
        .str("grantType", "refresh_token");
    options.finish()
}

/// The [`Transport::cookie_session`] preset as an options fragment (JSON text).
pub fn cookie_session_options(keepalive_url: &str, session_url: &str, logout_url: &str) -> String {
    let mut endpoints = ObjectWriter::new();
    endpoints.str("keepalive", keepalive_url).str("logout", logout_url);
    let mut session = ObjectWriter::new();
    session.str("url", session_url).str("method", "GET");
    endpoints.object("session", session);
    let mut options = ObjectWriter::new();
    options.object("endpoints", endpoints).str("mode", "cookie").str("credentials", "include");
    options.finish()
}

// ---- header values ----

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// An HTTP-date as epoch ms: the IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`,
/// or the obsolete RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` (years 70–99 are
/// 19xx, 00–69 20xx) and asctime `Sun Nov  6 08:49:37 1994` forms (RFC 9110
/// §5.6.7). Names are matched ignoring case; the weekday must be a weekday name
/// but is not checked against the date. Dates before 1970 or after 9999, and
/// impossible ones (Feb 30), are `None`.
pub fn parse_http_date(text: &str) -> Option<u64> {
    let text = text.trim_matches([' ', '\t']);
    if text.len() > 40 {
        return None;
    }
    // The leap second 9999-12-31T23:59:60Z would land one past the last date.
    imf_fixdate(text).or_else(|| rfc850_date(text)).or_else(|| asctime_date(text)).filter(|ms| *ms <= MAX_EPOCH_MS)
}

/// Exactly `len` ASCII digits (or `1..=len` when `loose`), as a number.
fn digits(text: &str, len: usize, loose: bool) -> Option<u32> {
    let ok = if loose { (1..=len).contains(&text.len()) } else { text.len() == len };
    if !ok || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0, |acc, b| acc * 10 + u32::from(b - b'0')))
}

fn one_of(text: &str, names: &[&str]) -> Option<u32> {
    let index = names.iter().position(|name| name.eq_ignore_ascii_case(text))?;
    u32::try_from(index).ok()
}

fn month(text: &str) -> Option<u32> {
    one_of(text, &MONTHS).map(|index| index + 1)
}

/// `hh:mm:ss`.
fn time_of_day(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split(':');
    let hour = digits(parts.next()?, 2, false)?;
    let minute = digits(parts.next()?, 2, false)?;
    let second = digits(parts.next()?, 2, false)?;
    parts.next().is_none().then_some((hour, minute, second))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
fn imf_fixdate(text: &str) -> Option<u64> {
    let mut parts = text.split(' ');
    one_of(parts.next()?.strip_suffix(',')?, &DAYS)?;
    let day = digits(parts.next()?, 2, false)?;
    let month = month(parts.next()?)?;
    let year = digits(parts.next()?, 4, false)?;
    let time = time_of_day(parts.next()?)?;
    (parts.next()? == "GMT" && parts.next().is_none()).then_some(())?;
    epoch(year, month, day, time)
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`
fn rfc850_date(text: &str) -> Option<u64> {
    let mut parts = text.split(' ');
    one_of(parts.next()?.strip_suffix(',')?, &LONG_DAYS)?;
    let mut date = parts.next()?.split('-');
    let day = digits(date.next()?, 2, false)?;
    let month = month(date.next()?)?;
    let short_year = digits(date.next()?, 2, false)?;
    date.next().is_none().then_some(())?;
    let time = time_of_day(parts.next()?)?;
    (parts.next()? == "GMT" && parts.next().is_none()).then_some(())?;
    let year = if short_year >= 70 { 1900 + short_year } else { 2000 + short_year };
    epoch(year, month, day, time)
}

/// `Sun Nov  6 08:49:37 1994` (the day is space-padded).
fn asctime_date(text: &str) -> Option<u64> {
    let mut parts = text.split(' ').filter(|part| !part.is_empty());
    one_of(parts.next()?, &DAYS)?;
    let month = month(parts.next()?)?;
    let day = digits(parts.next()?, 2, true)?;
    let time = time_of_day(parts.next()?)?;
    let year = digits(parts.next()?, 4, false)?;
    parts.next().is_none().then_some(())?;
    epoch(year, month, day, time)
}

fn is_leap(year: u32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Epoch ms of a UTC date and time, after checking every field's range.
fn epoch(year: u32, month: u32, day: u32, (hour, minute, second): (u32, u32, u32)) -> Option<u64> {
    let month_days = match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    // Second 60 is a leap second; it reads as the next minute's first.
    let valid =
        (1970..=9999).contains(&year) && (1..=month_days).contains(&day) && hour < 24 && minute < 60 && second <= 60;
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + u64::from(hour * 3600 + minute * 60 + second);
    Some(seconds * 1000)
}

/// Days since 1970-01-01 (H. Hinnant's `days_from_civil`), for years 1970..=9999.
fn days_from_civil(year: u32, month: u32, day: u32) -> u64 {
    let year = u64::from(if month <= 2 { year - 1 } else { year });
    let era = year / 400;
    let year_of_era = year - era * 400;
    let month = u64::from(month);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + u64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719_468 is the day number of 1970-01-01 in this calendar.
    (era * 146_097 + day_of_era).saturating_sub(719_468)
}

/// The server's clock minus ours, in ms, from a `Date` header read at `now`.
/// Under a second reads as 0 (the header has whole seconds); `None` for a header
/// that does not parse or shows a skew over ten years (broken, not skewed).
pub fn clock_offset(date_header: &str, now: u64) -> Option<i64> {
    clock_offset_ms(parse_http_date(date_header)?, now)
}

/// The server's clock minus ours, in ms, from a server time `server` seen at
/// local time `local` (its `Date`, or a JWT's `iat`). Under a second is noise
/// (HTTP dates have whole seconds) and reads as 0; over ten years is a broken
/// clock or header, not a skew to correct, and reads as `None`.
pub fn clock_offset_ms(server: u64, local: u64) -> Option<i64> {
    let offset = i64::try_from(server).ok()?.checked_sub(i64::try_from(local).ok()?)?;
    match offset.unsigned_abs() {
        0..=999 => Some(0),
        skew if skew > MAX_DURATION_MS => None,
        _ => Some(offset),
    }
}

// ---- JWT and form encoding ----

/// The `exp` and `iat` claims of a JWT, in epoch ms (server clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JwtTimes {
    /// Expiry.
    pub exp: Option<u64>,
    /// Issue time.
    pub iat: Option<u64>,
}

/// The times in a JWT's payload: the middle of three base64url segments (padding
/// tolerated), a JSON object with numeric `exp`/`iat` in seconds. A claim that
/// is missing, not a number or absurd (negative, after 9999) is `None`; a token
/// that is not a JWS compact JWT with an object payload gives `None`.
///
/// The signature is **not** checked: the server checks signatures, the client
/// only uses these times to schedule refreshes.
pub fn jwt_times(token: &str) -> Option<JwtTimes> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let mut segments = token.split('.');
    let (_header, payload, _signature) = (segments.next()?, segments.next()?, segments.next()?);
    if segments.next().is_some() {
        return None;
    }
    let bytes = base64url_decode(payload)?;
    let claims = json::parse(core::str::from_utf8(&bytes).ok()?).ok()?;
    claims.as_object()?;
    let time = |name: &str| {
        let seconds = claims.get(name)?.as_f64()?;
        (seconds >= 0.0 && seconds <= MAX_EPOCH_MS as f64 / 1000.0).then_some((seconds * 1000.0) as u64)
    };
    Some(JwtTimes { exp: time("exp"), iat: time("iat") })
}

/// base64url without padding (up to two trailing `=` tolerated).
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let data = text.trim_end_matches('=');
    if text.len() - data.len() > 2 || data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for byte in data.bytes() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        // `acc` keeps fewer than 8 pending bits, so it never overflows.
        acc = (acc << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// `application/x-www-form-urlencoded`: `name=value` pairs joined by `&`; in
/// each, unreserved characters (`A-Z a-z 0-9 - . _ ~`) are kept, spaces become
/// `+`, and every other UTF-8 byte becomes `%XX`.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (index, (name, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        encode_component(&mut out, name);
        out.push('=');
        encode_component(&mut out, value);
    }
    out
}

fn encode_component(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0')));
                out.push(char::from(HEX.get(usize::from(byte & 0xF)).copied().unwrap_or(b'0')));
            }
        }
    }
}

/// HTTP dates from epoch ms: the inverse of [`parse_http_date`], for the tests
/// and the fuzz targets' round trips.
#[cfg(any(test, fuzzing))]
#[allow(clippy::indexing_slicing)] // test and fuzz code only
pub(crate) mod date_text {
    use super::{DAYS, MONTHS};

    /// `(year, month 1-12, day, hour, minute, second, weekday Mon=0)` of whole
    /// seconds (H. Hinnant's `civil_from_days`).
    pub(crate) fn civil(ms: u64) -> (i64, usize, i64, i64, i64, i64, usize) {
        let secs = (ms / 1000) as i64;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let weekday = ((days + 3).rem_euclid(7)) as usize; // 1970-01-01 was a Thursday (Mon = 0)
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month as usize, day, rem / 3600, rem / 60 % 60, rem % 60, weekday)
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`.
    pub(crate) fn imf(ms: u64) -> String {
        let (y, m, d, hh, mm, ss, wd) = civil(ms);
        format!("{}, {d:02} {} {y:04} {hh:02}:{mm:02}:{ss:02} GMT", DAYS[wd], MONTHS[m - 1])
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::super::contract::{keepalive_request, refresh_request, session_request, Request};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_credential_goes_only_to_the_page_origin_and_the_listed_api_origins() {
        let t = config(r#"{"apiOrigins": ["https://API.example.com/", "http://localhost:9000"]}"#).unwrap();
        assert_eq!(t.api_origins, ["https://api.example.com", "http://localhost:9000"]);
        let page = "https://app.example.com";
        for url in [
            "https://app.example.com/api/orders",
            "https://APP.example.com?x",
            "https://api.example.com/v1",
            "http://localhost:9000/x",
        ] {
            assert!(may_send_credential(&t, url, page), "{url}");
        }
        for url in [
            "https://evil.example/api",
            "https://app.example.com.evil.example/",
            "https://app.example.com@evil.example/",
            "http://app.example.com/api",
            "https://api.example.com:8443/",
            "data:text/plain,hi",
            "/relative",
            "",
        ] {
            assert!(!may_send_credential(&t, url, page), "{url}");
        }
        for bad in [r#"["https://a.example/path"]"#, r#"["a.example"]"#, r#"["ftp://a.example"]"#, "[5]", r#""x""#] {
            let (field, _) = config_error(&["{\"apiOrigins\": ", bad, "}"].concat());
            assert_eq!(field, "apiOrigins", "{bad}");
        }
    }

    /// 2023-11-14T22:13:20Z.
    const T0: u64 = 1_700_000_000_000;
    const T0_DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

    fn value(text: &str) -> Value {
        json::parse(text).expect("test JSON is valid")
    }

    fn config(text: &str) -> Result<Transport, ConfigError> {
        Transport::from_json(&value(text))
    }

    fn config_error(text: &str) -> (String, ConfigErrorKind) {
        let e = config(text).expect_err("should be rejected");
        (e.field.into_owned(), e.kind)
    }

    fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
        request.headers.iter().find(|(have, _)| have.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// Test-side base64url encoder (no padding).
    fn b64url(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn jwt(claims: &str) -> String {
        format!("{}.{}.sig", b64url(br#"{"alg":"RS256","typ":"JWT"}"#), b64url(claims.as_bytes()))
    }

    /// Test-side form decoder: the inverse of `form_encode`.
    fn form_decode(text: &str) -> Vec<(String, String)> {
        fn component(text: &str) -> String {
            let bytes = text.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                match bytes[i] {
                    b'+' => out.push(b' '),
                    b'%' => {
                        let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
                        out.push(u8::from_str_radix(hex, 16).expect("hex"));
                        i += 2;
                    }
                    b => out.push(b),
                }
                i += 1;
            }
            String::from_utf8(out).expect("utf-8")
        }
        if text.is_empty() {
            return Vec::new();
        }
        text.split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').expect("name=value");
                (component(name), component(value))
            })
            .collect()
    }

    fn rfc850(ms: u64) -> String {
        let (y, m, d, hh, mm, ss, wd) = date_text::civil(ms);
        format!("{}, {d:02}-{}-{:02} {hh:02}:{mm:02}:{ss:02} GMT", LONG_DAYS[wd], MONTHS[m - 1], y % 100)
    }

    fn asctime(ms: u64) -> String {
        let (y, m, d, hh, mm, ss, wd) = date_text::civil(ms);
        format!("{} {} {d:>2} {hh:02}:{mm:02}:{ss:02} {y:04}", DAYS[wd], MONTHS[m - 1])
    }

    // ---- defaults and presets ----

    #[test]
    fn defaults_match_the_contract() {
        let t = Transport::default();
        assert_eq!((t.refresh, t.keepalive, t.session, t.logout, t.revocation), (None, None, None, None, None));
        assert_eq!(t.mode, TokenMode::Bearer);
        assert_eq!(t.encoding, BodyEncoding::Json);
        assert_eq!(t.credentials, Credentials::Include);
        assert_eq!(t.timeout_ms, 10_000);
        assert_eq!(t.max_body_bytes, 65_536);
        assert_eq!(t.revoked_statuses, [401]);
        assert!(t.revoked_error_codes.is_empty() && t.headers.is_empty() && t.body_fields.is_empty());
        assert_eq!(t.refresh_token_field, "refresh_token");
        assert_eq!(t.grant_type, None);
        assert_eq!(t.csrf, None);
        let f = t.fields;
        assert_eq!(
            [f.access_token, f.refresh_token, f.expires_in, f.expires_at, f.error],
            ["access_token", "refresh_token", "expires_in", "expires_at", "error"]
        );
        assert_eq!(config("{}"), Ok(Transport::default()));
    }

    #[test]
    fn credentials_and_encodings_have_fetch_names() {
        assert_eq!(
            [Credentials::Omit, Credentials::SameOrigin, Credentials::Include].map(Credentials::as_str),
            ["omit", "same-origin", "include"]
        );
        assert_eq!(BodyEncoding::Json.content_type(), "application/json");
        assert_eq!(BodyEncoding::Form.content_type(), "application/x-www-form-urlencoded");
    }

    #[test]
    fn oauth2_preset_sends_the_rfc_6749_refresh_grant() {
        let t = Transport::oauth2("https://id.example/token", "spa-client", Some("https://id.example/revoke"));
        assert_eq!(t.credentials, Credentials::SameOrigin);
        let request = refresh_request(&t, Some("rt 1/+=")).expect("refresh endpoint");
        assert_eq!((request.url.as_str(), request.method.as_str()), ("https://id.example/token", "POST"));
        assert_eq!(
            request.body.as_deref(),
            Some("grant_type=refresh_token&refresh_token=rt+1%2F%2B%3D&client_id=spa-client")
        );
        assert_eq!(header(&request, "content-type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(header(&request, "accept"), Some("application/json"));
        assert_eq!(request.credentials, Credentials::SameOrigin);
        assert!(!request.keepalive);
        assert_eq!(request.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(Transport::oauth2("/t", "c", None).revocation, None);
    }

    #[test]
    fn cookie_session_preset() {
        let t = Transport::cookie_session("/s/ping", "/s/me", "/s/logout");
        assert_eq!(t.keepalive, Some(Endpoint::post("/s/ping")));
        assert_eq!(t.session, Some(Endpoint::get("/s/me")));
        assert_eq!(t.logout, Some(Endpoint::post("/s/logout")));
        assert_eq!((t.refresh.clone(), t.mode, t.credentials), (None, TokenMode::Cookie, Credentials::Include));
        assert_eq!(refresh_request(&t, Some("x")), None);
        let ping = keepalive_request(&t).expect("keepalive");
        assert_eq!((ping.method.as_str(), ping.body.clone(), ping.credentials), ("POST", None, Credentials::Include));
        assert_eq!(header(&ping, "content-type"), None);
        let me = session_request(&t).expect("session");
        assert_eq!((me.method.as_str(), me.body), ("GET", None));
    }

    // ---- options ----

    #[test]
    fn full_options_object_is_read() {
        let t = config(
            r#"{
            "endpoints": {"refresh": "/auth/refresh", "keepalive": {"url": "https://api.example/ping", "method": "put"},
                          "session": "/auth/me", "logout": {"url": "/auth/logout"}, "revocation": null},
            "mode": "cookie", "bodyEncoding": "form", "credentials": "same-origin", "requestTimeoutMs": 2500.9,
            "headers": {"X-Requested-With": "XMLHttpRequest"}, "bodyFields": {"client_id": "web", "audience": "api"},
            "refreshTokenField": "token", "grantType": "refresh_token",
            "responseFields": {"accessToken": "jwt", "refreshToken": "rt", "expiresIn": "ttl", "expiresAt": "exp", "error": "code"},
            "csrf": {"header": "X-XSRF-TOKEN", "cookie": "XSRF-TOKEN"},
            "maxBodyBytes": 1024, "revokedStatuses": [401, 419], "revokedErrorCodes": ["session_revoked"]
        }"#,
        )
        .expect("valid options");
        assert_eq!(t.refresh, Some(Endpoint::post("/auth/refresh")));
        assert_eq!(t.keepalive, Some(Endpoint { url: "https://api.example/ping".into(), method: "PUT".into() }));
        assert_eq!(t.session, Some(Endpoint::get("/auth/me")), "session defaults to GET");
        assert_eq!(t.logout, Some(Endpoint::post("/auth/logout")));
        assert_eq!(t.revocation, None);
        assert_eq!(
            (t.mode, t.encoding, t.credentials, t.timeout_ms),
            (TokenMode::Cookie, BodyEncoding::Form, Credentials::SameOrigin, 2500)
        );
        assert_eq!(t.headers, [("X-Requested-With".to_owned(), "XMLHttpRequest".to_owned())]);
        assert_eq!(t.body_fields.len(), 2);
        assert_eq!((t.refresh_token_field.as_str(), t.grant_type.as_deref()), ("token", Some("refresh_token")));
        assert_eq!((t.fields.access_token.as_str(), t.fields.error.as_str()), ("jwt", "code"));
        assert_eq!(
            t.csrf,
            Some(Csrf { header: "X-XSRF-TOKEN".into(), source: CsrfSource::Cookie("XSRF-TOKEN".into()) })
        );
        assert_eq!((t.max_body_bytes, t.revoked_statuses.as_slice()), (1024, &[401u16, 419][..]));
        assert_eq!(t.revoked_error_codes, ["session_revoked"]);
    }

    #[test]
    fn unknown_keys_are_named_with_their_path() {
        assert_eq!(config_error(r#"{"endpoint": {}}"#), ("endpoint".into(), ConfigErrorKind::UnknownOption));
        assert_eq!(
            config_error(r#"{"endpoints": {"refesh": "/r"}}"#),
            ("endpoints.refesh".into(), ConfigErrorKind::UnknownOption)
        );
        assert_eq!(
            config_error(r#"{"endpoints": {"logout": {"url": "/l", "verb": "POST"}}}"#),
            ("endpoints.logout.verb".into(), ConfigErrorKind::UnknownOption)
        );
        assert_eq!(
            config_error(r#"{"responseFields": {"token": "t"}}"#),
            ("responseFields.token".into(), ConfigErrorKind::UnknownOption)
        );
        assert_eq!(
            config_error(r#"{"csrf": {"cookie": "c", "name": "x"}}"#),
            ("csrf.name".into(), ConfigErrorKind::UnknownOption)
        );
        let long = format!(r#"{{"{}": 1}}"#, "k".repeat(500));
        assert_eq!(config_error(&long).0.len(), 64, "echoed keys are cut");
    }

    #[test]
    fn wrong_types_are_named() {
        for (options, field) in [
            (r#"[]"#, "options"),
            (r#"{"endpoints": "/r"}"#, "endpoints"),
            (r#"{"endpoints": {"refresh": 5}}"#, "endpoints.refresh"),
            (r#"{"endpoints": {"refresh": {"method": "POST"}}}"#, "endpoints.refresh.url"),
            (r#"{"endpoints": {"session": {"url": "/s", "method": 1}}}"#, "endpoints.session.method"),
            (r#"{"bodyEncoding": true}"#, "bodyEncoding"),
            (r#"{"requestTimeoutMs": "10s"}"#, "requestTimeoutMs"),
            (r#"{"headers": ["X-A"]}"#, "headers"),
            (r#"{"headers": {"X-A": 1}}"#, "headers.X-A"),
            (r#"{"bodyFields": {"client_id": null}}"#, "bodyFields.client_id"),
            (r#"{"revokedStatuses": 401}"#, "revokedStatuses"),
            (r#"{"revokedStatuses": ["401"]}"#, "revokedStatuses"),
            (r#"{"revokedErrorCodes": [1]}"#, "revokedErrorCodes"),
            (r#"{"responseFields": {"error": 2}}"#, "responseFields.error"),
            (r#"{"csrf": "X-CSRF"}"#, "csrf"),
        ] {
            assert_eq!(config_error(options), (field.to_owned(), ConfigErrorKind::WrongType), "{options}");
        }
    }

    #[test]
    fn bad_choices_and_numbers() {
        assert_eq!(config_error(r#"{"bodyEncoding": "xml"}"#), ("bodyEncoding".into(), ConfigErrorKind::UnknownChoice));
        assert_eq!(
            config_error(r#"{"credentials": "Include"}"#),
            ("credentials".into(), ConfigErrorKind::UnknownChoice)
        );
        assert_eq!(config_error(r#"{"mode": "session"}"#), ("mode".into(), ConfigErrorKind::UnknownChoice));
        assert_eq!(config_error(r#"{"requestTimeoutMs": 0}"#).1, ConfigErrorKind::NotPositive);
        assert_eq!(config_error(r#"{"requestTimeoutMs": 0.5}"#).1, ConfigErrorKind::NotPositive);
        assert_eq!(config_error(r#"{"requestTimeoutMs": -1}"#).1, ConfigErrorKind::NotPositive);
        assert_eq!(config_error(r#"{"requestTimeoutMs": 600001}"#).1, ConfigErrorKind::TooLarge);
        assert_eq!(config_error(r#"{"requestTimeoutMs": null}"#).1, ConfigErrorKind::NotFinite);
        assert_eq!(config(r#"{"requestTimeoutMs": 600000}"#).map(|t| t.timeout_ms), Ok(600_000));
        assert_eq!(config(r#"{"requestTimeoutMs": 1}"#).map(|t| t.timeout_ms), Ok(1));
        assert_eq!(config_error(r#"{"maxBodyBytes": 1e9}"#), ("maxBodyBytes".into(), ConfigErrorKind::TooLarge));
        assert_eq!(config_error(r#"{"revokedStatuses": [200]}"#).1, ConfigErrorKind::UnknownChoice);
        assert_eq!(config_error(r#"{"revokedStatuses": [401.5]}"#).1, ConfigErrorKind::UnknownChoice);
        assert_eq!(config(r#"{"revokedStatuses": []}"#).map(|t| t.revoked_statuses), Ok(vec![]));
        assert_eq!(config(r#"{"grantType": null}"#).map(|t| t.grant_type), Ok(None));
        assert_eq!(config_error(r#"{"grantType": ""}"#), ("grantType".into(), ConfigErrorKind::BadText));
        assert_eq!(config_error(r#"{"refreshTokenField": "a\nb"}"#).1, ConfigErrorKind::BadText);
        let many: Vec<String> = (0..17).map(|i| format!(r#""H{i}": "v""#)).collect();
        assert_eq!(
            config_error(&format!(r#"{{"headers": {{{}}}}}"#, many.join(","))),
            ("headers".into(), ConfigErrorKind::TooMany)
        );
        let codes: Vec<String> = (0..17).map(|i| format!(r#""c{i}""#)).collect();
        assert_eq!(
            config_error(&format!(r#"{{"revokedErrorCodes": [{}]}}"#, codes.join(","))).1,
            ConfigErrorKind::TooMany
        );
    }

    #[test]
    fn urls_are_checked() {
        for good in [
            "/auth/refresh",
            "auth/refresh",
            "https://api.example/auth?x=1#f",
            "HTTP://api.example:8080/r",
            "//api.example/r",
            "../r",
            "/r?next=a:b",
            "/пути",
        ] {
            assert!(is_valid_url(good), "{good}");
        }
        let long = format!("/{}", "a".repeat(MAX_URL_LEN));
        for bad in [
            "",
            "javascript:alert(1)",
            "data:text/plain,x",
            "ftp://x/r",
            "/a b",
            "/a\tb",
            "/a\u{7f}",
            "\n/r",
            "localhost:8080/r",
            &long,
        ] {
            assert!(!is_valid_url(bad), "{bad:?}");
        }
        assert!(is_valid_url(&long[..MAX_URL_LEN]));
        assert_eq!(
            config_error(r#"{"endpoints": {"refresh": "javascript:x"}}"#),
            ("endpoints.refresh".into(), ConfigErrorKind::BadText)
        );
        assert_eq!(
            config_error(r#"{"endpoints": {"logout": {"url": "/a b"}}}"#),
            ("endpoints.logout.url".into(), ConfigErrorKind::BadText)
        );
    }

    #[test]
    fn methods_are_checked_per_endpoint() {
        assert_eq!(
            config_error(r#"{"endpoints": {"refresh": {"url": "/r", "method": "GET"}}}"#),
            ("endpoints.refresh.method".into(), ConfigErrorKind::UnknownChoice),
            "a GET cannot carry the refresh token in a body"
        );
        assert_eq!(
            config_error(r#"{"endpoints": {"logout": {"url": "/l", "method": "get"}}}"#).1,
            ConfigErrorKind::UnknownChoice
        );
        assert_eq!(
            config_error(r#"{"endpoints": {"session": {"url": "/s", "method": "TRACE"}}}"#).1,
            ConfigErrorKind::UnknownChoice
        );
        let t = config(r#"{"endpoints": {"session": {"url": "/s", "method": "post"}, "keepalive": {"url": "/k", "method": "Get"}}}"#)
            .expect("valid");
        assert_eq!(t.session.map(|e| e.method), Some("POST".to_owned()));
        assert_eq!(t.keepalive.map(|e| e.method), Some("GET".to_owned()));
    }

    #[test]
    fn headers_are_checked() {
        assert!(config(r#"{"headers": {"X-Api-Key": "k1", "x-custom_1.!#$%&'*+^`|~": "v é"}}"#).is_ok());
        for bad in [r#"{"": "v"}"#, r#"{"X A": "v"}"#, r#"{"X:A": "v"}"#, r#"{"X(A)": "v"}"#, r#"{"Ä": "v"}"#] {
            assert_eq!(config_error(&format!(r#"{{"headers": {bad}}}"#)).1, ConfigErrorKind::BadText, "{bad}");
        }
        for bad in [r#""a\r\nSet-Cookie: x""#, r#""a\nb""#, r#""a\u0000""#, r#""€""#] {
            assert_eq!(
                config_error(&format!(r#"{{"headers": {{"X-A": {bad}}}}}"#)),
                ("headers.X-A".into(), ConfigErrorKind::BadText),
                "{bad}"
            );
        }
    }

    #[test]
    fn csrf_options() {
        let meta = config(r#"{"csrf": {"meta": "csrf-token"}}"#).expect("valid");
        assert_eq!(
            meta.csrf,
            Some(Csrf { header: "X-CSRF-Token".into(), source: CsrfSource::Meta("csrf-token".into()) })
        );
        assert_eq!(config(r#"{"csrf": null}"#).map(|t| t.csrf), Ok(None));
        assert_eq!(config_error(r#"{"csrf": {"header": "X-C"}}"#), ("csrf".into(), ConfigErrorKind::UnknownChoice));
        assert_eq!(
            config_error(r#"{"csrf": {"cookie": "c", "meta": "m"}}"#),
            ("csrf".into(), ConfigErrorKind::UnknownChoice)
        );
        assert_eq!(
            config_error(r#"{"csrf": {"header": "X C", "cookie": "c"}}"#),
            ("csrf.header".into(), ConfigErrorKind::BadText)
        );
        assert_eq!(config_error(r#"{"csrf": {"cookie": "a=b"}}"#), ("csrf.cookie".into(), ConfigErrorKind::BadText));
        assert_eq!(config_error(r#"{"csrf": {"meta": "x\"]"}}"#), ("csrf.meta".into(), ConfigErrorKind::BadText));
    }

    #[test]
    fn from_options_reads_only_transport_keys() {
        let options = value(
            r#"{"idleTimeoutMs": 60000, "storage": "local", "endpoints": {"logout": "/bye"}, "credentials": "omit"}"#,
        );
        let t = Transport::from_options(&options).expect("valid");
        assert_eq!((t.logout, t.credentials), (Some(Endpoint::post("/bye")), Credentials::Omit));
        assert_eq!(Transport::from_json(&options).map_err(|e| e.field), Err(Cow::Borrowed("idleTimeoutMs")));
        assert!(is_transport_key("endpoints") && !is_transport_key("idleTimeoutMs"));
        let bad = value(r#"{"idleTimeoutMs": 1, "endpoints": {"refresh": 1}}"#);
        assert_eq!(Transport::from_options(&bad).map_err(|e| e.kind), Err(ConfigErrorKind::WrongType));
    }

    // ---- header values, JWT, form ----

    #[test]
    fn http_dates_in_all_three_forms() {
        let rfc_example = 784_111_777_000;
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(rfc_example));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(rfc_example));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(rfc_example));
        assert_eq!(parse_http_date("sun, 06 NOV 1994 08:49:37 GMT"), Some(rfc_example), "names ignore case");
        assert_eq!(parse_http_date(T0_DATE), Some(T0));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"), Some(MAX_EPOCH_MS - 999));
        assert_eq!(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT"), Some(1_709_164_800_000));
        assert_eq!(
            parse_http_date("Wednesday, 01-Jan-25 00:00:00 GMT"),
            parse_http_date("Wed, 01 Jan 2025 00:00:00 GMT")
        );
        assert_eq!(parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT"), parse_http_date("Sun, 01 Jan 2017 00:00:00 GMT"));
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 GMT x",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nox 1994 08:49:37 GMT",
            "Fri, 30 Feb 2024 00:00:00 GMT",
            "Thu, 29 Feb 2023 00:00:00 GMT",
            "Sun, 31 Apr 2024 00:00:00 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Wed, 31 Dec 1969 23:59:59 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37:00 GMT",
            "Sun, 06 Nov +994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 94",
            "1700000000",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn clock_offsets() {
        assert_eq!(clock_offset(T0_DATE, T0), Some(0));
        assert_eq!(clock_offset(T0_DATE, T0 + 999), Some(0), "HTTP dates have whole seconds");
        assert_eq!(clock_offset(T0_DATE, T0 - 999), Some(0));
        assert_eq!(clock_offset(T0_DATE, T0 + 1_500), Some(-1_500));
        assert_eq!(clock_offset("Tue, 14 Nov 2023 23:13:20 GMT", T0), Some(3_600_000));
        assert_eq!(clock_offset("Thu, 01 Jan 1970 00:00:00 GMT", T0), None, "a broken header, not a skew");
        assert_eq!(clock_offset("garbage", T0), None);
        assert_eq!(clock_offset(T0_DATE, u64::MAX), None);
    }

    #[test]
    fn jwt_times_are_read_without_checking_signatures() {
        let token = jwt(r#"{"sub":"u","iat":1700000000,"exp":1700000900.5}"#);
        assert_eq!(jwt_times(&token), Some(JwtTimes { exp: Some(1_700_000_900_500), iat: Some(T0) }));
        // Padding is tolerated; the standard alphabet is not.
        let payload = b64url(br#"{"exp":1}"#);
        let padded = format!("h.{payload}{}.s", "=".repeat((4 - payload.len() % 4) % 4));
        assert_eq!(jwt_times(&padded), Some(JwtTimes { exp: Some(1_000), iat: None }));
        assert_eq!(jwt_times("h.eyJleHAiOjF9+/.s"), None);
        assert_eq!(jwt_times(&format!("h.{payload}===.s")), None);
        assert_eq!(jwt_times(&jwt(r#"{"exp":"1700000000","iat":-5}"#)), Some(JwtTimes::default()));
        assert_eq!(jwt_times(&jwt(r#"{"exp":1e300}"#)), Some(JwtTimes::default()));
        for bad in [
            "",
            "opaque",
            "a.b",
            "a.b.c.d.e",
            "..",
            &jwt("[1]"),
            &jwt("not json"),
            &format!("h.{}.s", b64url(&[0xff, 0xfe])),
        ] {
            assert_eq!(jwt_times(bad), None, "{bad:?}");
        }
        assert_eq!(base64url_decode("QQ"), Some(b"A".to_vec()));
        assert_eq!(base64url_decode("QUI"), Some(b"AB".to_vec()));
        assert_eq!(base64url_decode("QUJD"), Some(b"ABC".to_vec()));
        assert_eq!(base64url_decode("Q"), None);
    }

    #[test]
    fn form_encoding_vectors() {
        assert_eq!(form_encode(&[]), "");
        assert_eq!(form_encode(&[("a", "")]), "a=");
        assert_eq!(form_encode(&[("a b", "c+d&e=f")]), "a+b=c%2Bd%26e%3Df");
        assert_eq!(
            form_encode(&[("k", "-._~*/:?#[]@!$'()\"%")]),
            "k=-._~%2A%2F%3A%3F%23%5B%5D%40%21%24%27%28%29%22%25"
        );
        assert_eq!(form_encode(&[("é", "😀\n")]), "%C3%A9=%F0%9F%98%80%0A");
        assert_eq!(form_encode(&[("x", "1"), ("y", "2")]), "x=1&y=2");
    }

    // ---- properties ----

    fn hostile_body() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            prop::collection::vec(
                prop_oneof![
                    Just("{".to_owned()),
                    Just("}".to_owned()),
                    Just("[".to_owned()),
                    Just(",".to_owned()),
                    Just(":".to_owned()),
                    Just("null".to_owned()),
                    Just("true".to_owned()),
                    Just("-1e400".to_owned()),
                    Just("\"access_token\"".to_owned()),
                    Just("\"expires_in\"".to_owned()),
                    Just("\"expires_at\"".to_owned()),
                    Just("\"error\"".to_owned()),
                    Just("\"invalid_grant\"".to_owned()),
                    Just("\"signedIn\"".to_owned()),
                    Just("\"user\"".to_owned()),
                    Just("\"id\"".to_owned()),
                    Just("\"idleExpiresAt\"".to_owned()),
                    any::<u64>().prop_map(|n| n.to_string()),
                    any::<f64>().prop_map(|n| n.to_string()),
                    "\"[A-Za-z0-9._=-]{0,40}\"",
                ],
                0..24
            )
            .prop_map(|parts| parts.concat()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn options_never_panic(text in hostile_body()) {
            if let Ok(options) = json::parse(&text) {
                let _ = Transport::from_json(&options);
                let _ = Transport::from_options(&options);
            }
            let nested = format!(r#"{{"endpoints":{{"refresh":{text}}},"csrf":{text},"headers":{text},"responseFields":{text}}}"#);
            if let Ok(options) = json::parse(&nested) {
                let _ = Transport::from_json(&options);
            }
        }

        #[test]
        fn form_encoding_round_trips(pairs in prop::collection::vec((any::<String>(), any::<String>()), 0..6)) {
            let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let encoded = form_encode(&borrowed);
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+%&=".contains(&b)));
            prop_assert_eq!(form_decode(&encoded), pairs);
        }

        #[test]
        fn http_dates_round_trip(seconds in 0u64..=MAX_EPOCH_MS / 1000) {
            let ms = seconds * 1000;
            prop_assert_eq!(parse_http_date(&date_text::imf(ms)), Some(ms), "{}", date_text::imf(ms));
            prop_assert_eq!(parse_http_date(&asctime(ms)), Some(ms), "{}", asctime(ms));
            let (year, ..) = date_text::civil(ms);
            if (1970..2070).contains(&year) {
                prop_assert_eq!(parse_http_date(&rfc850(ms)), Some(ms), "{}", rfc850(ms));
            }
            prop_assert_eq!(clock_offset(&date_text::imf(ms), ms + 400), Some(0));
        }

        #[test]
        fn jwt_round_trips(exp in 0u64..=MAX_EPOCH_MS / 1000, iat in 0u64..=MAX_EPOCH_MS / 1000, pad in 0usize..3) {
            let payload = b64url(format!(r#"{{"exp":{exp},"iat":{iat}}}"#).as_bytes());
            let token = format!("hdr.{payload}{}.sig", "=".repeat(pad.min((4 - payload.len() % 4) % 4)));
            prop_assert_eq!(jwt_times(&token), Some(JwtTimes { exp: Some(exp * 1000), iat: Some(iat * 1000) }));
        }
    }
}
