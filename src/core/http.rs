//! The endpoint contract: what to send to the session endpoints and how to read
//! their answers, with no network in sight.
//!
//! The SDK talks to any backend through at most five endpoints: `refresh` (a new
//! access token), `keepalive` (extend a server-side idle timer), `session` (read
//! the current session), `logout` and an optional RFC 7009 `revocation`
//! endpoint. Everything that decides *what* goes over the wire lives here, as
//! pure functions, so that every rule is tested natively: request building
//! ([`refresh_request`], [`keepalive_request`], [`session_request`],
//! [`logout_requests`]) and answer reading ([`read_refresh_response`],
//! [`read_session_response`], [`is_revoked`]). The browser shell only performs
//! `fetch` and hands back the status, a few headers and the body text.
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

use super::config::MAX_DURATION_MS;
pub use super::endpoints::{
    header_value_ok, is_token, is_valid_url, may_send_credential, origin_of, BodyEncoding, Credentials, Csrf,
    CsrfSource, Endpoint, FieldNames, TokenMode, Transport, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_MS,
    FORM_CONTENT_TYPE, MAX_BODY_LIMIT, MAX_LIST, MAX_TIMEOUT_MS, MAX_URL_LEN,
};
use super::json::{self, Limits, ObjectWriter, Value};
use super::refresh::{RefreshFailure, RefreshOutcome};
use super::tokens::{loose_number, Secret, TokenError, TokenSet, MAX_TOKEN_LEN};

/// 9999-12-31T23:59:59.999Z: later times are absurd and read as absent.
pub const MAX_EPOCH_MS: u64 = 253_402_300_799_999;

/// Longest `user` id kept from a session answer.
const MAX_USER_LEN: usize = 256;
/// Below this an epoch time is seconds, at or above milliseconds (as in tokens.rs);
/// 10^11 s is the year 5138.
const SECONDS_OR_MILLIS: f64 = 1e11;
/// The nesting we accept in server answers; real ones are flat.
const MAX_DEPTH: usize = 32;

// ---- building requests ----

/// One request for the shell to `fetch`. `Debug` shows header names and the body
/// length only: bodies and headers may carry tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The endpoint URL, as configured.
    pub url: String,
    /// Upper-case method.
    pub method: String,
    /// Headers in the order to set them; names are unique (case-insensitively).
    pub headers: Vec<(String, String)>,
    /// The body, if any (never for `GET`).
    pub body: Option<String>,
    /// fetch `credentials`.
    pub credentials: Credentials,
    /// fetch `keepalive`: the request outlives the page (logout on unload).
    pub keepalive: bool,
    /// Abort after this long.
    pub timeout_ms: u64,
}

impl core::fmt::Debug for Request {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Request")
            .field("url", &self.url)
            .field("method", &self.method)
            .field("headers", &names)
            .field("body_len", &self.body.as_ref().map(String::len))
            .field("credentials", &self.credentials)
            .field("keepalive", &self.keepalive)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// POST, PUT, PATCH and DELETE change state: they carry the CSRF header.
fn is_state_changing(method: &str) -> bool {
    ["POST", "PUT", "PATCH", "DELETE"].iter().any(|m| m.eq_ignore_ascii_case(method))
}

fn has_body(method: &str) -> bool {
    !method.eq_ignore_ascii_case("GET") && !method.eq_ignore_ascii_case("HEAD")
}

/// A body of `fields` (name, value) in `encoding`; `None` when there are none.
fn encode_body(encoding: BodyEncoding, fields: &[(&str, &str)]) -> Option<String> {
    if fields.is_empty() {
        return None;
    }
    Some(match encoding {
        BodyEncoding::Form => form_encode(fields),
        BodyEncoding::Json => {
            let mut writer = ObjectWriter::new();
            for (name, value) in fields {
                writer.str(name, value);
            }
            writer.finish()
        }
    })
}

/// `first` followed by the static body fields whose names `first` does not use
/// (the generated field wins, so `bodyFields` cannot overwrite the token).
fn with_body_fields<'a>(t: &'a Transport, mut first: Vec<(&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
    for (name, value) in &t.body_fields {
        if !first.iter().any(|(taken, _)| taken == name) {
            first.push((name, value));
        }
    }
    first
}

/// What a request carries besides the static parts.
struct Parts<'a> {
    body: Option<String>,
    content_type: &'static str,
    csrf_token: Option<&'a str>,
    authorization: Option<&'a str>,
    keepalive: bool,
}

fn request(t: &Transport, endpoint: &Endpoint, parts: Parts<'_>) -> Request {
    let body = parts.body.filter(|_| has_body(&endpoint.method));
    let mut headers: Vec<(String, String)> = Vec::with_capacity(t.headers.len().saturating_add(4));
    let mut set = |name: &str, value: &str| {
        if !headers.iter().any(|(have, _)| have.eq_ignore_ascii_case(name)) {
            headers.push((name.to_owned(), value.to_owned()));
        }
    };
    // Generated headers first: Content-Type must match the body, and the CSRF
    // header must hold the real token, whatever the static headers say.
    if body.is_some() {
        set("Content-Type", parts.content_type);
    }
    if let (Some(csrf), Some(token)) = (&t.csrf, parts.csrf_token) {
        // A hostile cookie must not break the request (fetch throws on a bad value).
        if is_state_changing(&endpoint.method) && !token.is_empty() && header_value_ok(token) {
            set(&csrf.header, token);
        }
    }
    if let Some(token) = parts.authorization.filter(|token| !token.is_empty() && header_value_ok(token)) {
        let mut value = String::with_capacity(token.len().saturating_add(7));
        value.push_str("Bearer ");
        value.push_str(token);
        set("Authorization", &value);
    }
    // Static headers may override Accept (e.g. a vendor media type).
    for (name, value) in &t.headers {
        set(name, value);
    }
    set("Accept", "application/json");
    Request {
        url: endpoint.url.clone(),
        method: endpoint.method.clone(),
        headers,
        body,
        credentials: t.credentials,
        keepalive: parts.keepalive,
        timeout_ms: t.timeout_ms,
    }
}

/// The refresh request; `None` without a refresh endpoint.
///
/// The body holds `grant_type` (when configured), the refresh token under
/// `refresh_token_field` (when the client holds one; with an HttpOnly cookie it
/// is `None`) and the static body fields, JSON or form-encoded, with a matching
/// `Content-Type`. With none of these there is no body at all. `csrf_token` is
/// the value the shell read from the configured cookie or meta tag; it is sent
/// as the configured header on POST/PUT/PATCH/DELETE, never on GET.
pub fn refresh_request(t: &Transport, refresh_token: Option<&str>, csrf_token: Option<&str>) -> Option<Request> {
    let endpoint = t.refresh.as_ref()?;
    let mut fields = Vec::with_capacity(t.body_fields.len().saturating_add(2));
    if let Some(grant) = &t.grant_type {
        fields.push(("grant_type", grant.as_str()));
    }
    if let Some(token) = refresh_token.filter(|token| !token.is_empty()) {
        fields.push((t.refresh_token_field.as_str(), token));
    }
    let fields = with_body_fields(t, fields);
    let parts = Parts {
        body: encode_body(t.encoding, &fields),
        content_type: t.encoding.content_type(),
        csrf_token,
        authorization: None,
        keepalive: false,
    };
    Some(request(t, endpoint, parts))
}

/// The keepalive ping (no body); `None` without a keepalive endpoint.
pub fn keepalive_request(t: &Transport, csrf_token: Option<&str>) -> Option<Request> {
    let endpoint = t.keepalive.as_ref()?;
    let parts = Parts { body: None, content_type: "", csrf_token, authorization: None, keepalive: false };
    Some(request(t, endpoint, parts))
}

/// The session read (no body, no CSRF header on GET); `None` without a session endpoint.
pub fn session_request(t: &Transport) -> Option<Request> {
    let endpoint = t.session.as_ref()?;
    let parts = Parts { body: None, content_type: "", csrf_token: None, authorization: None, keepalive: false };
    Some(request(t, endpoint, parts))
}

/// A token worth sending: present and not empty.
fn exposed(secret: &Option<Secret>) -> Option<&str> {
    secret.as_ref().map(Secret::expose).filter(|token| !token.is_empty())
}

/// Everything to send when a session ends, in order: RFC 7009 revocation of the
/// refresh token, then of the access token (form body `token=...&
/// token_type_hint=refresh_token|access_token` plus the static body fields), then
/// the logout endpoint. Every request has `keepalive: true`, so it survives
/// page unload.
///
/// The logout request carries `Authorization: Bearer <access token>` when there
/// is one (so a bearer backend knows which session ends) and, when the client
/// holds a refresh token, a body with it under `refresh_token_field` plus the
/// static body fields (a Keycloak-style logout). In cookie mode it has neither.
pub fn logout_requests(t: &Transport, tokens: &TokenSet, csrf_token: Option<&str>) -> Vec<Request> {
    let mut out = Vec::with_capacity(3);
    let refresh_token = exposed(&tokens.refresh_token);
    let access_token = exposed(&tokens.access_token);
    if let Some(endpoint) = &t.revocation {
        for (token, hint) in [(refresh_token, "refresh_token"), (access_token, "access_token")] {
            let Some(token) = token else { continue };
            let fields = with_body_fields(t, vec![("token", token), ("token_type_hint", hint)]);
            // RFC 7009 §2.1: always form-encoded, whatever the refresh body uses.
            let parts = Parts {
                body: Some(form_encode(&fields)),
                content_type: FORM_CONTENT_TYPE,
                csrf_token,
                authorization: None,
                keepalive: true,
            };
            out.push(request(t, endpoint, parts));
        }
    }
    if let Some(endpoint) = &t.logout {
        let body = refresh_token.and_then(|token| {
            encode_body(t.encoding, &with_body_fields(t, vec![(t.refresh_token_field.as_str(), token)]))
        });
        let parts = Parts {
            body,
            content_type: t.encoding.content_type(),
            csrf_token,
            authorization: access_token,
            keepalive: true,
        };
        out.push(request(t, endpoint, parts));
    }
    out
}

// ---- reading answers ----

/// What the shell hands back after a fetch. `body` may have been cut at
/// `max_body_bytes + 1` by the shell; `body_len` is the length it saw, so a body
/// that was too large is still recognised. `Debug` shows the body length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    /// HTTP status; 0 for an opaque response.
    pub status: u16,
    /// The `Date` header, if exposed.
    pub date: Option<&'a str>,
    /// The `Retry-After` header, if exposed.
    pub retry_after: Option<&'a str>,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The body text (perhaps cut).
    pub body: &'a str,
    /// The full body length the shell saw, in bytes.
    pub body_len: usize,
}

impl<'a> Response<'a> {
    /// A response with only a status and a body (no headers).
    pub fn new(status: u16, body: &'a str) -> Response<'a> {
        Response { status, date: None, retry_after: None, content_type: None, body, body_len: body.len() }
    }
}

impl core::fmt::Debug for Response<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("date", &self.date)
            .field("retry_after", &self.retry_after)
            .field("content_type", &self.content_type)
            .field("body_len", &self.body_len)
            .finish()
    }
}

/// A response body, judged.
enum Body {
    /// Nothing but white space (a 204, or an empty 200).
    Empty,
    Json(Value),
    /// Too large, HTML, or not JSON.
    Unusable,
}

fn too_large(t: &Transport, response: &Response) -> bool {
    response.body_len > t.max_body_bytes || response.body.len() > t.max_body_bytes
}

fn parse_json(t: &Transport, text: &str) -> Option<Value> {
    json::parse_with(text, Limits { max_len: t.max_body_bytes, max_depth: MAX_DEPTH }).ok()
}

fn read_body(t: &Transport, response: &Response) -> Body {
    if too_large(t, response) {
        return Body::Unusable;
    }
    if response.body.trim_matches([' ', '\t', '\r', '\n']).is_empty() {
        return Body::Empty;
    }
    // A login page after a redirect, or a proxy's error page.
    let html = response
        .content_type
        .is_some_and(|ct| ct.trim_start().get(..9).is_some_and(|start| start.eq_ignore_ascii_case("text/html")));
    if html {
        return Body::Unusable;
    }
    parse_json(t, response.body).map_or(Body::Unusable, Body::Json)
}

/// The member `name`, or when `name` is the default, its camelCase `alias`;
/// `null` counts as absent.
fn lookup<'v>(body: &'v Value, name: &str, default: &str, alias: &str) -> Option<&'v Value> {
    let found = body.get(name).filter(|v| !v.is_null());
    if found.is_none() && name == default {
        body.get(alias).filter(|v| !v.is_null())
    } else {
        found
    }
}

/// The error code: `error` as a string, or as an object with a string `code`.
fn error_code<'v>(body: &'v Value, fields: &FieldNames) -> Option<&'v str> {
    let field = body.get(&fields.error)?;
    field.as_str().or_else(|| field.get("code").and_then(Value::as_str))
}

/// A token member (absent, `null` and `""` are no token), named `label` in errors.
fn token_field(value: Option<&Value>, label: &'static str) -> Result<Option<Secret>, TokenError> {
    match value.map(Value::as_str) {
        None | Some(Some("")) => Ok(None),
        Some(Some(text)) if text.len() <= MAX_TOKEN_LEN => Ok(Some(Secret::new(text))),
        Some(Some(_)) => Err(TokenError::TooLong(label)),
        Some(None) => Err(TokenError::BadField(label)),
    }
}

/// A number member (a number, or a string of digits) read by `convert`.
/// Absent is fine and so is an absurd value (`convert` drops it: the token is
/// still good, only its expiry is unknown); another type is an error naming
/// `label`.
fn number_field(
    value: Option<&Value>,
    label: &'static str,
    convert: impl FnOnce(f64) -> Option<u64>,
) -> Result<Option<u64>, TokenError> {
    match value.map(loose_number) {
        None => Ok(None),
        Some(Some(number)) => Ok(convert(number)),
        Some(None) => Err(TokenError::BadField(label)),
    }
}

/// Epoch seconds (below 10^11) or milliseconds, as ms; absurd values are `None`.
fn epoch_ms(at: f64) -> Option<u64> {
    if !at.is_finite() || at < 0.0 {
        return None;
    }
    let ms = if at < SECONDS_OR_MILLIS { at * 1000.0 } else { at };
    (ms <= MAX_EPOCH_MS as f64).then_some(ms as u64)
}

/// `now` plus a lifetime in seconds; absurd lifetimes are `None`.
fn after_seconds(now: u64, seconds: f64) -> Option<u64> {
    if !seconds.is_finite() || seconds < 0.0 || seconds > MAX_EPOCH_MS as f64 / 1000.0 {
        return None;
    }
    now.checked_add((seconds * 1000.0) as u64).filter(|at| *at <= MAX_EPOCH_MS)
}

/// A server time moved onto the local clock.
fn to_local(server_ms: u64, offset: i64) -> Option<u64> {
    let local = i64::try_from(server_ms).ok()?.checked_sub(offset)?;
    u64::try_from(local).ok().filter(|ms| *ms <= MAX_EPOCH_MS)
}

/// Server minus local; under a second is noise (HTTP dates have whole seconds),
/// over ten years a broken clock or header, not a skew to correct.
fn offset_between(server: u64, local: u64) -> Option<i64> {
    let offset = i64::try_from(server).ok()?.checked_sub(i64::try_from(local).ok()?)?;
    match offset.unsigned_abs() {
        0..=999 => Some(0),
        skew if skew > MAX_DURATION_MS => None,
        _ => Some(offset),
    }
}

fn failed(failure: RefreshFailure, retry_after_ms: Option<u64>) -> RefreshOutcome {
    RefreshOutcome::Failed { failure, retry_after_ms }
}

fn retry_after(response: &Response, now: u64) -> Option<u64> {
    response.retry_after.and_then(|value| parse_retry_after(value, now))
}

/// Reads a refresh answer.
///
/// | status | outcome |
/// |---|---|
/// | 2xx, JSON object with a usable access token | `Success` |
/// | 2xx, empty body or JSON object, cookie mode | `Success` (tokens and expiry if given) |
/// | 2xx otherwise: not JSON, HTML, too large, wrong types, no access token (bearer mode) | `Failed { BadResponse }` (`InvalidGrant` if its `error` says so) |
/// | 400 with JSON `error` `invalid_grant` | `Failed { InvalidGrant }` |
/// | other 400, 401, 403, and any other status | `Failed { Status }` |
/// | 408, 429, 5xx | `Failed { Status }` with `retry_after_ms` from `Retry-After` |
/// | 0 (opaque) | `Failed { Network }` |
///
/// The expiry comes from `expires_in` (seconds from `now`), else `expires_at`
/// (epoch seconds or ms), else the access token's JWT `exp`. The absolute ones
/// are server times, moved onto the local clock by the `Date` header's offset
/// (or the JWT `iat`'s without a usable `Date`). An absurd expiry (negative,
/// after 9999) is dropped: the tokens are still used, with no known expiry.
pub fn read_refresh_response(t: &Transport, response: &Response, now: u64) -> RefreshOutcome {
    match response.status {
        200..=299 => match refresh_tokens(t, response, now) {
            Ok(tokens) => RefreshOutcome::Success(tokens),
            Err(failure) => failed(failure, None),
        },
        0 => failed(RefreshFailure::Network, None),
        400 => {
            let body = if too_large(t, response) { None } else { parse_json(t, response.body) };
            let invalid_grant = body.as_ref().and_then(|body| error_code(body, &t.fields)) == Some("invalid_grant");
            failed(if invalid_grant { RefreshFailure::InvalidGrant } else { RefreshFailure::Status(400) }, None)
        }
        status @ (408 | 429 | 500..=599) => failed(RefreshFailure::Status(status), retry_after(response, now)),
        status => failed(RefreshFailure::Status(status), None),
    }
}

fn refresh_tokens(t: &Transport, response: &Response, now: u64) -> Result<TokenSet, RefreshFailure> {
    let body = match read_body(t, response) {
        Body::Empty if t.mode == TokenMode::Cookie => return Ok(TokenSet::default()),
        Body::Json(body) if body.as_object().is_some() => body,
        Body::Empty | Body::Json(_) | Body::Unusable => return Err(RefreshFailure::BadResponse),
    };
    let tokens = read_tokens(t, &body, response.date, now).map_err(|_| RefreshFailure::BadResponse)?;
    if tokens.access_token.is_none() && t.mode == TokenMode::Bearer {
        // Some servers answer 200 {"error": "invalid_grant"}.
        let invalid_grant = error_code(&body, &t.fields) == Some("invalid_grant");
        return Err(if invalid_grant { RefreshFailure::InvalidGrant } else { RefreshFailure::BadResponse });
    }
    Ok(tokens)
}

/// Reads a token answer: a refresh endpoint's, what the app's `refresh`
/// function resolved with, or the login answer given to `start()`. Members are
/// named by `responseFields` (the OAuth 2.0 names by default, camelCase
/// accepted). The expiry is `expires_in` seconds from `now`, else `expires_at`
/// (epoch seconds or ms on the server's clock, moved onto ours by the `Date`
/// header's offset or the JWT's `iat`), else the access token's JWT `exp`.
/// A token may be missing (cookie mode, a refresh token in a cookie).
///
/// # Errors
///
/// [`TokenError`] for a body that is not an object, a member of the wrong type
/// or a token over [`MAX_TOKEN_LEN`] (errors name the member by its default
/// name). An absurd expiry (negative, past 9999) is dropped, not an error.
pub fn read_tokens(t: &Transport, body: &Value, date: Option<&str>, now: u64) -> Result<TokenSet, TokenError> {
    if body.as_object().is_none() {
        return Err(TokenError::NotAnObject);
    }
    let names = &t.fields;
    let access_token = token_field(lookup(body, &names.access_token, "access_token", "accessToken"), "access_token")?;
    let refresh_token =
        token_field(lookup(body, &names.refresh_token, "refresh_token", "refreshToken"), "refresh_token")?;
    let expires_in = lookup(body, &names.expires_in, "expires_in", "expiresIn");
    let expires_in = number_field(expires_in, "expires_in", |seconds| after_seconds(now, seconds))?;
    let expires_at = number_field(lookup(body, &names.expires_at, "expires_at", "expiresAt"), "expires_at", epoch_ms)?;
    let jwt = access_token.as_ref().and_then(|token| jwt_times(token.expose())).unwrap_or_default();
    let offset = date
        .and_then(|date| clock_offset(date, now))
        .or_else(|| jwt.iat.and_then(|iat| offset_between(iat, now)))
        .unwrap_or(0);
    let expires_at = expires_in
        .or_else(|| expires_at.and_then(|at| to_local(at, offset)))
        .or_else(|| jwt.exp.and_then(|exp| to_local(exp, offset)));
    Ok(TokenSet { access_token, refresh_token, expires_at })
}

/// What a keepalive or session answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionAnswer {
    /// Signed in, with the server's deadlines (local epoch ms) when it gave them.
    Active {
        /// When the server-side idle timer runs out.
        idle_deadline: Option<u64>,
        /// When the session ends whatever the user does.
        absolute_deadline: Option<u64>,
        /// The user's id, when the answer names one.
        user: Option<String>,
    },
    /// The server knows no session (`signedIn: false`, or `user: null`).
    SignedOut,
    /// The server no longer honours the session (401/403, a revoked status or error code).
    Revoked,
    /// Try again later: network trouble, 408, 429 or 5xx.
    Retryable {
        /// The server's `Retry-After`, in ms from now.
        retry_after_ms: Option<u64>,
    },
    /// An answer the SDK cannot use (not JSON, HTML, too large, wrong types, other statuses).
    BadResponse,
}

/// Reads a keepalive or session answer.
///
/// | status | answer |
/// |---|---|
/// | 401, 403, a `revokedStatuses` entry, or 4xx/5xx with a `revokedErrorCodes` error | `Revoked` |
/// | 0 (opaque), 408, 429, 5xx | `Retryable` (with `Retry-After`) |
/// | 2xx, empty body | `Active` with no deadlines |
/// | 2xx, JSON object: `signedIn`/`signed_in`/`authenticated`/`active` false, or no flag and `user: null` | `SignedOut` |
/// | 2xx, JSON object otherwise | `Active` |
/// | anything else (HTML, not JSON, a non-boolean flag, 3xx, other 4xx) | `BadResponse` |
///
/// Deadlines come from `idleExpiresAt`/`idle_expires_at` and
/// `absoluteExpiresAt`/`absolute_expires_at` (epoch seconds or ms, or quoted
/// digits), moved onto the local clock by the `Date` header's offset; anything
/// else there (absurd numbers, wrong types) reads as absent. `user` is a string
/// or an object with a string or whole-number `id`.
pub fn read_session_response(t: &Transport, response: &Response, now: u64) -> SessionAnswer {
    let status = response.status;
    if matches!(status, 401 | 403) || is_revoked(t, status, (!too_large(t, response)).then_some(response.body)) {
        return SessionAnswer::Revoked;
    }
    match status {
        0 | 408 | 429 | 500..=599 => return SessionAnswer::Retryable { retry_after_ms: retry_after(response, now) },
        200..=299 => {}
        _ => return SessionAnswer::BadResponse,
    }
    let body = match read_body(t, response) {
        Body::Empty => return SessionAnswer::Active { idle_deadline: None, absolute_deadline: None, user: None },
        Body::Json(body) if body.as_object().is_some() => body,
        Body::Json(_) | Body::Unusable => return SessionAnswer::BadResponse,
    };
    let flag = ["signedIn", "signed_in", "authenticated", "active"]
        .iter()
        .find_map(|name| body.get(name).filter(|v| !v.is_null()));
    let signed_in = match flag.map(Value::as_bool) {
        Some(Some(signed_in)) => signed_in,
        Some(None) => return SessionAnswer::BadResponse,
        None => !body.get("user").is_some_and(Value::is_null),
    };
    if !signed_in {
        return SessionAnswer::SignedOut;
    }
    let offset = response.date.and_then(|date| clock_offset(date, now)).unwrap_or(0);
    let deadline = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|name| body.get(name).filter(|v| !v.is_null()))
            .and_then(loose_number)
            .and_then(epoch_ms)
            .and_then(|at| to_local(at, offset))
    };
    SessionAnswer::Active {
        idle_deadline: deadline(["idleExpiresAt", "idle_expires_at"]),
        absolute_deadline: deadline(["absoluteExpiresAt", "absolute_expires_at"]),
        user: body.get("user").and_then(user_id),
    }
}

/// A user id: a string, or an object's `id` (string or whole number).
fn user_id(user: &Value) -> Option<String> {
    let id = if user.as_object().is_some() { user.get("id")? } else { user };
    if let Some(n) = id.as_u64() {
        let mut text = String::new();
        json::write_u64(&mut text, n);
        return Some(text);
    }
    id.as_str().filter(|text| !text.is_empty() && text.len() <= MAX_USER_LEN).map(str::to_owned)
}

/// For `session.fetch`: does this API answer mean the session was revoked?
///
/// Yes when `status` is one of `revoked_statuses`, or when it is 4xx/5xx and
/// `body` is a JSON object whose error field (`FieldNames::error`, a string or
/// `{code}`) is one of `revoked_error_codes`. A 2xx never is, so the shell needs
/// the body only when [`needs_body`] says so. Bodies over `max_body_bytes` are
/// not read.
pub fn is_revoked(t: &Transport, status: u16, body: Option<&str>) -> bool {
    if t.revoked_statuses.contains(&status) {
        return true;
    }
    if status < 400 || t.revoked_error_codes.is_empty() {
        return false;
    }
    let Some(body) = body.filter(|body| body.len() <= t.max_body_bytes) else { return false };
    parse_json(t, body)
        .and_then(|value| error_code(&value, &t.fields).map(|code| t.revoked_error_codes.iter().any(|c| c == code)))
        .unwrap_or(false)
}

/// Whether [`is_revoked`] would look at the body of an answer with `status`, so
/// the shell clones and reads response bodies only when that matters.
pub fn needs_body(t: &Transport, status: u16) -> bool {
    status >= 400 && !t.revoked_error_codes.is_empty() && !t.revoked_statuses.contains(&status)
}

// ---- header values ----

/// `Retry-After` as milliseconds from `now`: delta-seconds, or an HTTP-date
/// (a date in the past gives 0). Large values saturate; the refresh backoff caps
/// them (`MAX_RETRY_AFTER_MS`).
pub fn parse_retry_after(value: &str, now: u64) -> Option<u64> {
    let value = value.trim_matches([' ', '\t']);
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.bytes().fold(0u64, |acc, b| acc.saturating_mul(10).saturating_add(u64::from(b - b'0')));
        return Some(seconds.saturating_mul(1000));
    }
    parse_http_date(value).map(|at| at.saturating_sub(now))
}

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
    offset_between(parse_http_date(date_header)?, now)
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
    use super::*;
    use proptest::prelude::*;

    /// 2023-11-14T22:13:20Z.
    const T0: u64 = 1_700_000_000_000;
    const T0_DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

    fn value(text: &str) -> Value {
        json::parse(text).expect("test JSON is valid")
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

    fn bearer() -> Transport {
        Transport { refresh: Some(Endpoint::post("/auth/refresh")), ..Transport::default() }
    }

    fn success(outcome: RefreshOutcome) -> TokenSet {
        match outcome {
            RefreshOutcome::Success(tokens) => tokens,
            other => panic!("expected success, got {other:?}"),
        }
    }

    fn failure(outcome: RefreshOutcome) -> (RefreshFailure, Option<u64>) {
        match outcome {
            RefreshOutcome::Failed { failure, retry_after_ms } => (failure, retry_after_ms),
            other => panic!("expected failure, got {other:?}"),
        }
    }

    fn refresh_answer(t: &Transport, status: u16, body: &str) -> RefreshOutcome {
        read_refresh_response(t, &Response::new(status, body), T0)
    }

    fn exposed_access(tokens: &TokenSet) -> Option<&str> {
        tokens.access_token.as_ref().map(Secret::expose)
    }

    // ---- defaults and presets ----

    #[test]
    fn oauth2_preset_sends_the_rfc_6749_refresh_grant() {
        let t = Transport::oauth2("https://id.example/token", "spa-client", Some("https://id.example/revoke"));
        assert_eq!(t.credentials, Credentials::SameOrigin);
        let request = refresh_request(&t, Some("rt 1/+="), None).expect("refresh endpoint");
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
        assert_eq!(refresh_request(&t, Some("x"), None), None);
        let ping = keepalive_request(&t, None).expect("keepalive");
        assert_eq!((ping.method.as_str(), ping.body.clone(), ping.credentials), ("POST", None, Credentials::Include));
        assert_eq!(header(&ping, "content-type"), None);
        let me = session_request(&t).expect("session");
        assert_eq!((me.method.as_str(), me.body), ("GET", None));
    }

    // ---- requests ----

    #[test]
    fn refresh_json_body_with_custom_field_and_body_fields() {
        let mut t = bearer();
        t.refresh_token_field = "refreshToken".into();
        t.body_fields = vec![("clientId".into(), "web".into()), ("refreshToken".into(), "overwrite?".into())];
        let request = refresh_request(&t, Some("r\"1\\"), None).expect("request");
        assert_eq!(request.body.as_deref(), Some(r#"{"refreshToken":"r\"1\\","clientId":"web"}"#));
        assert_eq!(header(&request, "Content-Type"), Some("application/json"));
        assert_eq!(
            value(request.body.as_deref().unwrap_or_default()).get("refreshToken").and_then(Value::as_str),
            Some("r\"1\\")
        );
    }

    #[test]
    fn refresh_without_token_or_fields_has_no_body() {
        let t = bearer();
        for token in [None, Some("")] {
            let request = refresh_request(&t, token, None).expect("request");
            assert_eq!(request.body, None);
            assert_eq!(header(&request, "Content-Type"), None, "no body, no Content-Type");
            assert_eq!(header(&request, "Accept"), Some("application/json"));
        }
        // With only static fields there is a body (an HttpOnly cookie carries the token).
        let t =
            Transport { body_fields: vec![("client_id".into(), "c".into())], encoding: BodyEncoding::Form, ..bearer() };
        assert_eq!(refresh_request(&t, None, None).and_then(|r| r.body).as_deref(), Some("client_id=c"));
        assert_eq!(refresh_request(&Transport::default(), Some("r"), None), None);
    }

    #[test]
    fn csrf_header_goes_on_state_changing_requests_only() {
        let mut t = Transport::cookie_session("/k", "/s", "/l");
        t.refresh = Some(Endpoint::post("/r"));
        t.csrf = Some(Csrf { header: "X-XSRF-TOKEN".into(), source: CsrfSource::Cookie("XSRF-TOKEN".into()) });
        let ping = keepalive_request(&t, Some("tok")).expect("keepalive");
        assert_eq!(header(&ping, "x-xsrf-token"), Some("tok"));
        assert_eq!(header(&refresh_request(&t, None, Some("tok")).expect("refresh"), "X-XSRF-TOKEN"), Some("tok"));
        assert_eq!(header(&session_request(&t).expect("session"), "X-XSRF-TOKEN"), None, "never on GET");
        t.keepalive = Some(Endpoint::get("/k"));
        assert_eq!(header(&keepalive_request(&t, Some("tok")).expect("keepalive"), "X-XSRF-TOKEN"), None);
        for logout in logout_requests(&t, &TokenSet::default(), Some("tok")) {
            assert_eq!(header(&logout, "X-XSRF-TOKEN"), Some("tok"));
        }
        // A hostile or missing cookie value is left out rather than breaking the request.
        t.keepalive = Some(Endpoint::post("/k"));
        for bad in [Some("a\r\nX-Evil: 1"), Some("€"), Some(""), None] {
            assert_eq!(header(&keepalive_request(&t, bad).expect("keepalive"), "X-XSRF-TOKEN"), None, "{bad:?}");
        }
        // No csrf configured: a token is ignored.
        t.csrf = None;
        assert_eq!(keepalive_request(&t, Some("tok")).expect("keepalive").headers.len(), 1);
    }

    #[test]
    fn static_headers_are_added_without_clobbering_generated_ones() {
        let mut t = bearer();
        t.csrf = Some(Csrf { header: "X-CSRF-Token".into(), source: CsrfSource::Meta("csrf".into()) });
        t.headers = vec![
            ("X-Client".into(), "web".into()),
            ("content-type".into(), "text/plain".into()),
            ("Accept".into(), "application/vnd.api+json".into()),
            ("x-csrf-token".into(), "static".into()),
        ];
        let request = refresh_request(&t, Some("r"), Some("real")).expect("request");
        assert_eq!(header(&request, "Content-Type"), Some("application/json"), "must match the body");
        assert_eq!(header(&request, "X-CSRF-Token"), Some("real"));
        assert_eq!(header(&request, "Accept"), Some("application/vnd.api+json"), "static Accept wins");
        assert_eq!(header(&request, "X-Client"), Some("web"));
        assert_eq!(request.headers.len(), 4, "names are unique: {:?}", request.headers);
        // Without a CSRF token the static header stands.
        let request = refresh_request(&t, Some("r"), None).expect("request");
        assert_eq!(header(&request, "x-csrf-token"), Some("static"));
    }

    #[test]
    fn missing_endpoints_give_no_requests() {
        let t = Transport::default();
        assert_eq!(keepalive_request(&t, Some("c")), None);
        assert_eq!(session_request(&t), None);
        assert!(logout_requests(&t, &TokenSet::bearer("a", Some("r"), None), None).is_empty());
    }

    #[test]
    fn logout_revokes_refresh_then_access_token_then_calls_logout() {
        let mut t = Transport::oauth2("/token", "app", Some("https://id.example/revoke"));
        t.logout = Some(Endpoint::post("/logout"));
        let tokens = TokenSet::bearer("acc", Some("ref&=1"), Some(T0));
        let requests = logout_requests(&t, &tokens, None);
        assert_eq!(requests.len(), 3);
        assert!(requests.iter().all(|r| r.keepalive && r.credentials == Credentials::SameOrigin));
        let bodies: Vec<Vec<(String, String)>> =
            requests.iter().map(|r| form_decode(r.body.as_deref().unwrap_or_default())).collect();
        let pairs =
            |items: &[(&str, &str)]| items.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect::<Vec<_>>();
        assert_eq!(requests[0].url, "https://id.example/revoke");
        assert_eq!(
            bodies[0],
            pairs(&[("token", "ref&=1"), ("token_type_hint", "refresh_token"), ("client_id", "app")])
        );
        assert_eq!(bodies[1], pairs(&[("token", "acc"), ("token_type_hint", "access_token"), ("client_id", "app")]));
        assert_eq!(header(&requests[0], "Content-Type"), Some(FORM_CONTENT_TYPE));
        assert_eq!(requests[2].url, "/logout");
        assert_eq!(header(&requests[2], "Authorization"), Some("Bearer acc"));
        assert_eq!(bodies[2], pairs(&[("refresh_token", "ref&=1"), ("client_id", "app")]));
        // Revocation is form-encoded even when refresh bodies are JSON.
        t.encoding = BodyEncoding::Json;
        let requests = logout_requests(&t, &tokens, None);
        assert_eq!(requests[0].body.as_deref(), Some("token=ref%26%3D1&token_type_hint=refresh_token&client_id=app"));
        assert_eq!(requests[2].body.as_deref(), Some(r#"{"refresh_token":"ref&=1","client_id":"app"}"#));
    }

    #[test]
    fn cookie_mode_logout_is_one_bare_keepalive_request() {
        let t = Transport::cookie_session("/k", "/s", "/l");
        let requests = logout_requests(&t, &TokenSet::default(), None);
        assert_eq!(requests.len(), 1);
        let logout = &requests[0];
        assert_eq!((logout.url.as_str(), logout.method.as_str(), logout.body.clone()), ("/l", "POST", None));
        assert!(logout.keepalive);
        assert_eq!(logout.headers, [("Accept".to_owned(), "application/json".to_owned())]);
        // Only one token: only its revocation; a token unfit for a header is not sent in one.
        let t =
            Transport { revocation: Some(Endpoint::post("/revoke")), logout: Some(Endpoint::post("/l")), ..bearer() };
        let requests = logout_requests(&t, &TokenSet::bearer("bad\ntoken", None, None), None);
        assert_eq!(requests.len(), 2);
        assert_eq!(form_decode(requests[0].body.as_deref().unwrap_or_default())[0].1, "bad\ntoken");
        assert_eq!(header(&requests[1], "Authorization"), None);
        assert_eq!(requests[1].body, None);
    }

    #[test]
    fn request_and_response_debug_hide_secrets() {
        let t = Transport::oauth2("/t", "c", Some("/revoke"));
        let tokens = TokenSet::bearer("ACCESS-SECRET", Some("REFRESH-SECRET"), None);
        let printed = format!("{:?}", logout_requests(&t, &tokens, None));
        assert!(!printed.contains("SECRET"), "{printed}");
        assert!(printed.contains("body_len") && printed.contains("/revoke"));
        let response = Response::new(200, r#"{"access_token":"ACCESS-SECRET"}"#);
        assert!(!format!("{response:?}").contains("SECRET"));
    }

    // ---- refresh answers ----

    #[test]
    fn refresh_success_with_expires_in() {
        let tokens =
            success(refresh_answer(&bearer(), 200, r#"{"access_token":"a","refresh_token":"r","expires_in":3600}"#));
        assert_eq!(exposed_access(&tokens), Some("a"));
        assert_eq!(tokens.refresh_token.as_ref().map(Secret::expose), Some("r"));
        assert_eq!(tokens.expires_at, Some(T0 + 3_600_000));
        // expires_in is relative: the Date header does not move it.
        let response = Response {
            date: Some("Tue, 14 Nov 2023 23:13:20 GMT"),
            ..Response::new(200, r#"{"access_token":"a","expires_in":"60"}"#)
        };
        assert_eq!(success(read_refresh_response(&bearer(), &response, T0)).expires_at, Some(T0 + 60_000));
        // No new refresh token: keep the old one (the machine does).
        assert_eq!(success(refresh_answer(&bearer(), 201, r#"{"accessToken":"a"}"#)).refresh_token, None);
    }

    #[test]
    fn absolute_expiry_is_corrected_by_the_date_header() {
        // The server's clock is one hour ahead of ours.
        let ahead = "Tue, 14 Nov 2023 23:13:20 GMT";
        let server_now_s = T0 / 1000 + 3600;
        let body = format!(r#"{{"access_token":"a","expires_at":{}}}"#, server_now_s + 300);
        let response = Response { date: Some(ahead), ..Response::new(200, &body) };
        assert_eq!(success(read_refresh_response(&bearer(), &response, T0)).expires_at, Some(T0 + 300_000));
        // Milliseconds work the same way.
        let body = format!(r#"{{"access_token":"a","expiresAt":{}}}"#, (server_now_s + 300) * 1000 + 5);
        let response = Response { date: Some(ahead), ..Response::new(200, &body) };
        assert_eq!(success(read_refresh_response(&bearer(), &response, T0)).expires_at, Some(T0 + 300_005));
        // Under a second of difference is noise: not corrected.
        let body = format!(r#"{{"access_token":"a","expires_at":{}}}"#, T0 / 1000 + 300);
        let response = Response { date: Some(T0_DATE), ..Response::new(200, &body) };
        assert_eq!(success(read_refresh_response(&bearer(), &response, T0 + 900)).expires_at, Some(T0 + 300_000));
        // An unparseable Date is ignored.
        let response = Response { date: Some("yesterday"), ..Response::new(200, &body) };
        assert_eq!(success(read_refresh_response(&bearer(), &response, T0)).expires_at, Some(T0 + 300_000));
    }

    #[test]
    fn jwt_exp_is_the_last_resort_and_iat_corrects_without_date() {
        // Our clock is 10 minutes behind the server's: iat is 10 minutes "ahead".
        let iat = T0 / 1000 + 600;
        let token = jwt(&format!(r#"{{"sub":"u","iat":{iat},"exp":{}}}"#, iat + 900));
        let body = format!(r#"{{"access_token":"{token}"}}"#);
        assert_eq!(success(refresh_answer(&bearer(), 200, &body)).expires_at, Some(T0 + 900_000));
        // With a Date header, the header decides (here: clocks agree).
        let response = Response { date: Some(T0_DATE), ..Response::new(200, &body) };
        assert_eq!(success(read_refresh_response(&bearer(), &response, T0)).expires_at, Some(T0 + 1_500_000));
        // expires_in beats the JWT.
        let body = format!(r#"{{"access_token":"{token}","expires_in":60}}"#);
        assert_eq!(success(refresh_answer(&bearer(), 200, &body)).expires_at, Some(T0 + 60_000));
        // Not a JWT: no expiry at all, still a success.
        assert_eq!(success(refresh_answer(&bearer(), 200, r#"{"access_token":"opaque"}"#)).expires_at, None);
    }

    #[test]
    fn configured_field_names_and_camel_case_aliases() {
        let mut t = bearer();
        t.fields = FieldNames {
            access_token: "token".into(),
            refresh_token: "refresh".into(),
            expires_in: "ttl".into(),
            expires_at: "until".into(),
            error: "code".into(),
        };
        let tokens =
            success(refresh_answer(&t, 200, r#"{"token":"a","refresh":"r","ttl":10,"access_token":"ignored"}"#));
        assert_eq!((exposed_access(&tokens), tokens.expires_at), (Some("a"), Some(T0 + 10_000)));
        // With custom names the OAuth names are not consulted.
        assert_eq!(failure(refresh_answer(&t, 200, r#"{"access_token":"a"}"#)).0, RefreshFailure::BadResponse);
        assert_eq!(failure(refresh_answer(&t, 400, r#"{"code":"invalid_grant"}"#)).0, RefreshFailure::InvalidGrant);
        // Defaults accept the camelCase twins, snake_case first.
        let tokens = success(refresh_answer(
            &bearer(),
            200,
            r#"{"accessToken":"c","access_token":"s","refreshToken":"r","expiresIn":5}"#,
        ));
        assert_eq!((exposed_access(&tokens), tokens.expires_at), (Some("s"), Some(T0 + 5_000)));
    }

    #[test]
    fn unusable_2xx_answers_are_bad_responses() {
        let t = bearer();
        let bad = |response: Response| failure(read_refresh_response(&t, &response, T0));
        let html =
            Response { content_type: Some("Text/HTML; charset=utf-8"), ..Response::new(200, "<html>login</html>") };
        assert_eq!(bad(html), (RefreshFailure::BadResponse, None));
        let json_as_html =
            Response { content_type: Some("text/html"), ..Response::new(200, r#"{"access_token":"a"}"#) };
        assert_eq!(bad(json_as_html).0, RefreshFailure::BadResponse);
        for body in [
            "",
            "   ",
            "not json",
            "[]",
            r#""token""#,
            "{}",
            r#"{"access_token":""}"#,
            r#"{"access_token":null,"refresh_token":"r"}"#,
            r#"{"access_token":5}"#,
            r#"{"access_token":"a","refresh_token":[]}"#,
            r#"{"access_token":"a","expires_in":true}"#,
            r#"{"access_token":"a","expires_in":"soon"}"#,
            r#"{"access_token":"a","expires_at":{}}"#,
            r#"{"access_token":"a"} trailing"#,
        ] {
            assert_eq!(bad(Response::new(200, body)).0, RefreshFailure::BadResponse, "{body:?}");
        }
        let long = format!(r#"{{"access_token":"{}"}}"#, "x".repeat(MAX_TOKEN_LEN + 1));
        assert_eq!(bad(Response::new(200, &long)).0, RefreshFailure::BadResponse);
        // 200 {"error":"invalid_grant"} is treated as what it says.
        assert_eq!(bad(Response::new(200, r#"{"error":"invalid_grant"}"#)).0, RefreshFailure::InvalidGrant);
    }

    #[test]
    fn oversized_bodies_are_bad_even_when_cut() {
        let t = Transport { max_body_bytes: 32, ..bearer() };
        let body = r#"{"access_token":"abc"}"#;
        assert!(matches!(read_refresh_response(&t, &Response::new(200, body), T0), RefreshOutcome::Success(_)));
        // The shell cut the body at 33 bytes but saw 5000.
        let cut = Response { body_len: 5000, ..Response::new(200, body) };
        assert_eq!(failure(read_refresh_response(&t, &cut, T0)).0, RefreshFailure::BadResponse);
        let big = format!(r#"{{"access_token":"{}"}}"#, "a".repeat(40));
        assert_eq!(failure(refresh_answer(&t, 200, &big)).0, RefreshFailure::BadResponse);
    }

    #[test]
    fn absurd_expiries_are_dropped_not_fatal() {
        for body in [
            r#"{"access_token":"a","expires_in":-5}"#,
            r#"{"access_token":"a","expires_in":1e300}"#,
            r#"{"access_token":"a","expires_at":-1}"#,
            r#"{"access_token":"a","expires_at":1e20}"#,
            r#"{"access_token":"a","expires_at":253402300800000}"#,
        ] {
            let tokens = success(refresh_answer(&bearer(), 200, body));
            assert_eq!((exposed_access(&tokens), tokens.expires_at), (Some("a"), None), "{body}");
        }
        // An absurd expires_in falls through to a usable expires_at.
        let tokens =
            success(refresh_answer(&bearer(), 200, r#"{"access_token":"a","expires_in":-1,"expires_at":1700000060}"#));
        assert_eq!(tokens.expires_at, Some(T0 + 60_000));
        let token = jwt(r#"{"exp":-100,"iat":"yesterday"}"#);
        let tokens = success(refresh_answer(&bearer(), 200, &format!(r#"{{"access_token":"{token}"}}"#)));
        assert_eq!(tokens.expires_at, None);
        assert_eq!(
            success(refresh_answer(&bearer(), 200, r#"{"access_token":"a","expires_in":0}"#)).expires_at,
            Some(T0)
        );
    }

    #[test]
    fn cookie_mode_accepts_empty_refresh_answers() {
        let t = Transport { mode: TokenMode::Cookie, ..bearer() };
        assert_eq!(success(refresh_answer(&t, 204, "")), TokenSet::default());
        assert_eq!(success(refresh_answer(&t, 200, "{}")), TokenSet::default());
        assert_eq!(success(refresh_answer(&t, 200, r#"{"expires_in":60}"#)).expires_at, Some(T0 + 60_000));
        assert_eq!(failure(refresh_answer(&t, 200, "<html>")).0, RefreshFailure::BadResponse);
        assert_eq!(
            failure(refresh_answer(&bearer(), 204, "")).0,
            RefreshFailure::BadResponse,
            "bearer mode needs a token"
        );
    }

    #[test]
    fn refresh_status_table() {
        let t = bearer();
        let with_retry = |status: u16, retry: &'static str| {
            let response = Response { retry_after: Some(retry), ..Response::new(status, "oops") };
            failure(read_refresh_response(&t, &response, T0))
        };
        assert_eq!(
            failure(refresh_answer(&t, 400, r#"{"error":"invalid_grant","error_description":"expired"}"#)),
            (RefreshFailure::InvalidGrant, None)
        );
        assert_eq!(failure(refresh_answer(&t, 400, r#"{"error":"invalid_request"}"#)).0, RefreshFailure::Status(400));
        assert_eq!(
            failure(refresh_answer(&t, 400, r#"{"error":{"code":"invalid_grant"}}"#)).0,
            RefreshFailure::InvalidGrant
        );
        assert_eq!(failure(refresh_answer(&t, 400, "<html>")).0, RefreshFailure::Status(400));
        assert_eq!(failure(refresh_answer(&t, 401, r#"{"error":"invalid_grant"}"#)).0, RefreshFailure::Status(401));
        assert_eq!(with_retry(403, "5"), (RefreshFailure::Status(403), None), "definitive: no retry hint");
        assert_eq!(with_retry(429, "5"), (RefreshFailure::Status(429), Some(5_000)));
        assert_eq!(with_retry(408, " 0 "), (RefreshFailure::Status(408), Some(0)));
        assert_eq!(with_retry(503, "Tue, 14 Nov 2023 22:15:20 GMT"), (RefreshFailure::Status(503), Some(120_000)));
        assert_eq!(
            with_retry(500, "Tue, 14 Nov 2023 22:10:00 GMT"),
            (RefreshFailure::Status(500), Some(0)),
            "past: now"
        );
        assert_eq!(with_retry(502, "later"), (RefreshFailure::Status(502), None));
        assert_eq!(failure(refresh_answer(&t, 404, "")), (RefreshFailure::Status(404), None));
        assert_eq!(failure(refresh_answer(&t, 302, "")).0, RefreshFailure::Status(302));
        assert_eq!(failure(refresh_answer(&t, 0, "")).0, RefreshFailure::Network);
        assert!(!RefreshFailure::Status(404).is_retryable() && RefreshFailure::Status(503).is_retryable());
    }

    // ---- session answers ----

    fn session(t: &Transport, response: Response) -> SessionAnswer {
        read_session_response(t, &response, T0)
    }

    fn active(idle: Option<u64>, absolute: Option<u64>, user: Option<&str>) -> SessionAnswer {
        SessionAnswer::Active { idle_deadline: idle, absolute_deadline: absolute, user: user.map(str::to_owned) }
    }

    #[test]
    fn session_answers_with_deadlines_and_users() {
        let t = Transport::cookie_session("/k", "/s", "/l");
        assert_eq!(session(&t, Response::new(204, "")), active(None, None, None));
        assert_eq!(session(&t, Response::new(200, "{}")), active(None, None, None));
        let body = format!(
            r#"{{"signedIn":true,"idleExpiresAt":{},"absoluteExpiresAt":{},"user":{{"id":42}}}}"#,
            T0 + 900_000,
            T0 / 1000 + 28_800
        );
        assert_eq!(
            session(&t, Response::new(200, &body)),
            active(Some(T0 + 900_000), Some(T0 + 28_800_000), Some("42"))
        );
        // The server's clock is 30 s behind: its deadlines come 30 s later on ours.
        let body = format!(
            r#"{{"authenticated":true,"idle_expires_at":"{}","absolute_expires_at":{},"user":"alice"}}"#,
            T0 / 1000 + 60,
            T0 / 1000 + 120
        );
        let behind = Response { date: Some("Tue, 14 Nov 2023 22:12:50 GMT"), ..Response::new(200, &body) };
        assert_eq!(session(&t, behind), active(Some(T0 + 90_000), Some(T0 + 150_000), Some("alice")));
        // Absurd or mistyped deadlines read as absent; the answer still counts.
        let body =
            r#"{"active":true,"idleExpiresAt":-1,"absoluteExpiresAt":"tomorrow","user":{"id":"u-1","name":"A"}}"#;
        assert_eq!(session(&t, Response::new(200, body)), active(None, None, Some("u-1")));
        let body = r#"{"idleExpiresAt":null,"user":{"name":"no id"}}"#;
        assert_eq!(session(&t, Response::new(200, body)), active(None, None, None));
        let long_user = format!(r#"{{"user":"{}"}}"#, "u".repeat(300));
        assert_eq!(session(&t, Response::new(200, &long_user)), active(None, None, None));
    }

    #[test]
    fn session_status_table() {
        let t = Transport {
            revoked_statuses: vec![401, 440],
            revoked_error_codes: vec!["session_revoked".into()],
            ..Transport::cookie_session("/k", "/s", "/l")
        };
        assert_eq!(session(&t, Response::new(200, r#"{"signedIn":false}"#)), SessionAnswer::SignedOut);
        assert_eq!(session(&t, Response::new(200, r#"{"signed_in":false,"user":"x"}"#)), SessionAnswer::SignedOut);
        assert_eq!(session(&t, Response::new(200, r#"{"user":null}"#)), SessionAnswer::SignedOut);
        assert_eq!(session(&t, Response::new(200, r#"{"signedIn":"yes"}"#)), SessionAnswer::BadResponse);
        assert_eq!(session(&t, Response::new(401, "")), SessionAnswer::Revoked);
        assert_eq!(session(&t, Response::new(403, "<html>")), SessionAnswer::Revoked);
        assert_eq!(session(&t, Response::new(440, "")), SessionAnswer::Revoked);
        assert_eq!(session(&t, Response::new(409, r#"{"error":"session_revoked"}"#)), SessionAnswer::Revoked);
        assert_eq!(session(&t, Response::new(503, r#"{"error":"session_revoked"}"#)), SessionAnswer::Revoked);
        let busy = Response { retry_after: Some("30"), ..Response::new(503, "busy") };
        assert_eq!(session(&t, busy), SessionAnswer::Retryable { retry_after_ms: Some(30_000) });
        assert_eq!(session(&t, Response::new(429, "")), SessionAnswer::Retryable { retry_after_ms: None });
        assert_eq!(session(&t, Response::new(0, "")), SessionAnswer::Retryable { retry_after_ms: None });
        assert_eq!(session(&t, Response::new(404, "")), SessionAnswer::BadResponse);
        assert_eq!(session(&t, Response::new(302, "")), SessionAnswer::BadResponse);
        let html = Response { content_type: Some("text/html"), ..Response::new(200, "<!doctype html>") };
        assert_eq!(session(&t, html), SessionAnswer::BadResponse);
        assert_eq!(session(&t, Response::new(200, "OK")), SessionAnswer::BadResponse);
        assert_eq!(session(&t, Response::new(200, "[true]")), SessionAnswer::BadResponse);
        assert_eq!(session(&t, Response { body_len: 1 << 20, ..Response::new(200, "{}") }), SessionAnswer::BadResponse);
    }

    #[test]
    fn revocation_of_api_answers() {
        let mut t = Transport::default();
        assert!(is_revoked(&t, 401, None));
        assert!(!is_revoked(&t, 403, None), "403 is a missing permission, not a dead session");
        assert!(!is_revoked(&t, 200, Some(r#"{"error":"session_revoked"}"#)));
        t.revoked_error_codes = vec!["session_revoked".into(), "token_revoked".into()];
        assert!(is_revoked(&t, 403, Some(r#"{"error":"token_revoked"}"#)));
        assert!(is_revoked(&t, 500, Some(r#"{"error":{"code":"session_revoked"}}"#)));
        assert!(!is_revoked(&t, 403, Some(r#"{"error":"forbidden"}"#)));
        assert!(!is_revoked(&t, 403, Some("session_revoked")));
        assert!(!is_revoked(&t, 403, None));
        assert!(!is_revoked(&t, 200, Some(r#"{"error":"session_revoked"}"#)), "a 2xx is never a revocation");
        t.fields.error = "reason".into();
        assert!(is_revoked(&t, 400, Some(r#"{"reason":"session_revoked"}"#)));
        t.max_body_bytes = 10;
        assert!(!is_revoked(&t, 400, Some(r#"{"reason":"session_revoked"}"#)), "oversized bodies are not read");
        assert!(needs_body(&t, 403) && !needs_body(&t, 401) && !needs_body(&t, 204));
        assert!(!needs_body(&Transport::default(), 403));
    }

    // ---- header values, JWT, form ----

    #[test]
    fn retry_after_values() {
        assert_eq!(parse_retry_after("120", T0), Some(120_000));
        assert_eq!(parse_retry_after("\t7 ", T0), Some(7_000));
        assert_eq!(parse_retry_after("99999999999999999999999", T0), Some(u64::MAX));
        assert_eq!(parse_retry_after(T0_DATE, T0), Some(0));
        assert_eq!(parse_retry_after("Tue, 14 Nov 2023 22:13:21 GMT", T0), Some(1_000));
        for bad in ["", " ", "-1", "1.5", "+3", "soon", "1 2"] {
            assert_eq!(parse_retry_after(bad, T0), None, "{bad:?}");
        }
    }

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

    fn header_text() -> impl Strategy<Value = Option<String>> {
        prop::option::of(prop_oneof![
            any::<String>(),
            "[A-Za-z]{3}, [0-9]{2} [A-Za-z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
            "[0-9 ]{0,25}",
        ])
    }

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
        fn answers_never_panic(
            status in prop_oneof![any::<u16>(), 0u16..600],
            body in hostile_body(),
            body_len in any::<usize>(),
            date in header_text(),
            retry in header_text(),
            content_type in header_text(),
            now in prop_oneof![any::<u64>(), Just(T0)],
            cookie in any::<bool>(),
            max_body_bytes in prop_oneof![Just(DEFAULT_MAX_BODY_BYTES), 0usize..64],
        ) {
            let t = Transport {
                mode: if cookie { TokenMode::Cookie } else { TokenMode::Bearer },
                max_body_bytes,
                revoked_error_codes: vec!["invalid_grant".into()],
                ..bearer()
            };
            let response = Response {
                status, date: date.as_deref(), retry_after: retry.as_deref(), content_type: content_type.as_deref(),
                body: &body, body_len,
            };
            if let RefreshOutcome::Success(tokens) = read_refresh_response(&t, &response, now) {
                prop_assert!(tokens.expires_at.is_none_or(|at| at <= MAX_EPOCH_MS));
                prop_assert!((200..300).contains(&status));
            }
            if let SessionAnswer::Active { idle_deadline, absolute_deadline, .. } = read_session_response(&t, &response, now) {
                prop_assert!(idle_deadline.is_none_or(|at| at <= MAX_EPOCH_MS));
                prop_assert!(absolute_deadline.is_none_or(|at| at <= MAX_EPOCH_MS));
            }
            let _ = is_revoked(&t, status, Some(&body));
            for text in [date.as_deref(), retry.as_deref(), Some(body.as_str())].into_iter().flatten() {
                let _ = parse_retry_after(text, now);
                let _ = parse_http_date(text);
                let _ = clock_offset(text, now);
                let _ = jwt_times(text);
            }
        }

        #[test]
        fn hostile_tokens_never_panic_and_stay_in_their_field(
            access in any::<String>(),
            refresh in any::<String>(),
            csrf_token in prop::option::of(any::<String>()),
            claims in hostile_body(),
            form in any::<bool>(),
        ) {
            let mut t = Transport::oauth2("/token", "app", Some("/revoke"));
            t.logout = Some(Endpoint::post("/logout"));
            t.encoding = if form { BodyEncoding::Form } else { BodyEncoding::Json };
            t.csrf = Some(Csrf { header: "X-CSRF".into(), source: CsrfSource::Cookie("c".into()) });
            let request = refresh_request(&t, Some(&refresh), csrf_token.as_deref());
            let body = request.as_ref().and_then(|r| r.body.clone()).unwrap_or_default();
            if !refresh.is_empty() {
                let sent = if form {
                    form_decode(&body).into_iter().find(|(k, _)| k == "refresh_token").map(|(_, v)| v)
                } else {
                    json::parse(&body).ok().and_then(|v| v.get("refresh_token").and_then(Value::as_str).map(str::to_owned))
                };
                prop_assert_eq!(sent.as_deref(), Some(refresh.as_str()));
            }
            let tokens = TokenSet::bearer(&access, Some(&refresh), None);
            for request in logout_requests(&t, &tokens, csrf_token.as_deref()) {
                prop_assert!(request.keepalive);
                for (name, value) in &request.headers {
                    prop_assert!(is_token(name) && header_value_ok(value), "{:?}", (name, value));
                }
            }
            let _ = jwt_times(&access);
            let _ = jwt_times(&format!("h.{}.s", b64url(claims.as_bytes())));
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
            prop_assert_eq!(parse_retry_after(&date_text::imf(ms), 0), Some(ms));
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
