//! Reading the endpoints' answers: what a status, a body and the server's clock
//! mean for a refresh, a keepalive, a session check and an API call.
//!
//! The shell hands an answer over as a [`Response`]: the status, the two
//! headers that matter as values (`Date` already turned into epoch ms by the
//! browser's `Date.parse`, `Retry-After` as its text plus that same reading of
//! it), the content type, and the body as a [`Body`]: read by the browser
//! (at most `maxBodyBytes` + 1 bytes, then `JSON.parse`) and walked into a
//! value within limits by the shell; what it means is decided here. A redirect
//! is never followed (it would carry the credential elsewhere): it arrives as
//! [`FetchAnswer::Redirected`].

use super::super::endpoints::{listed, FieldNames, TokenMode, Transport};
use super::super::identity::{user_id, Identity};
use super::super::refresh::{RefreshFailure, RefreshOutcome};
use super::super::text::{all_bytes, digits, trim_bytes};
use super::super::tokens::{loose_number, Secret, TokenError, TokenSet, MAX_TOKEN_LEN};
use super::super::value::Value;
use super::super::EpochMs;
use super::encodings::{clock_offset_ms, jwt_claims, jwt_sub, jwt_time, ParseJson, MAX_EPOCH_MS};

/// Below this an epoch time is seconds, at or above milliseconds (as in tokens.rs);
/// 10^11 s is the year 5138.
const SECONDS_OR_MILLIS: f64 = 1e11;

/// A response body as the shell hands it over. `Debug` hides the contents
/// (bodies carry tokens).
///
/// The shell reads at most `maxBodyBytes` + 1 bytes whatever the headers say
/// (more is [`Body::TooLarge`]), lets the browser decode and parse them, and
/// walks the result into a [`Value`] within limits (32 levels; a value past a
/// limit is [`Body::NotJson`]).
#[derive(Clone, PartialEq)]
pub enum Body {
    /// Nothing, or nothing but JSON white space (a 204, an empty 200).
    Empty,
    /// A JSON value.
    Json(Value),
    /// Something else: HTML, text, broken or too deeply nested JSON.
    NotJson,
    /// Over `maxBodyBytes` (by its `Content-Length` or as read).
    TooLarge,
}

impl core::fmt::Debug for Body {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Body::Empty => "Empty",
            Body::Json(_) => "Json(..)",
            Body::NotJson => "NotJson",
            Body::TooLarge => "TooLarge",
        })
    }
}

/// The `Retry-After` header: its text (delta-seconds are read here) and what
/// `Date.parse` made of it (the HTTP-date form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryAfter {
    /// The header as sent.
    pub text: String,
    /// The header read as a date (epoch ms), if it is one.
    pub date: Option<EpochMs>,
}

impl RetryAfter {
    /// How long to wait from `now`: delta-seconds, or until the date (a date in
    /// the past gives 0). Large values saturate; the refresh backoff caps them.
    pub fn delay_ms(&self, now: EpochMs) -> Option<u64> {
        let text = trim_bytes(&self.text, b" \t");
        if !text.is_empty() && all_bytes(text, |b| b.is_ascii_digit()) {
            // Past u64::MAX seconds is as good as forever.
            let ms = |seconds: u64| if seconds > u64::MAX / 1000 { u64::MAX } else { seconds * 1000 };
            return Some(digits(text).map_or(u64::MAX, ms));
        }
        self.date.filter(|at| *at <= MAX_EPOCH_MS).map(|at| at.saturating_sub(now))
    }
}

/// An endpoint's answer, as the shell hands it over.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// HTTP status; 0 for an opaque response.
    pub status: u16,
    /// The server's `Date` (epoch ms), if exposed and readable.
    pub date: Option<EpochMs>,
    /// The `Retry-After` header, if exposed.
    pub retry_after: Option<RetryAfter>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body.
    pub body: Body,
}

impl Response {
    /// An answer with a status and a body, and no headers.
    pub fn new(status: u16, body: Body) -> Response {
        Response { status, date: None, retry_after: None, content_type: None, body }
    }
}

/// How a request the core asked for ended.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchAnswer {
    /// The server answered.
    Response(Response),
    /// No answer: offline, DNS, connection refused, CORS.
    Network,
    /// No answer within the request timeout.
    Timeout,
    /// The server answered with a redirect, which was not followed: the
    /// request carried a credential that must not go where it points. Its
    /// status and target are hidden from scripts (`redirect: "manual"`).
    Redirected,
}

/// A body, judged: usable JSON, nothing, or unusable.
enum Judged<'r> {
    Empty,
    Json(&'r Value),
    /// Too large, HTML, or not JSON.
    Unusable,
}

fn judge<'r>(response: &'r Response) -> Judged<'r> {
    // A login page after a redirect, or a proxy's error page, even if it parses.
    // (`trim`, not `trim_start`: the same test, since the end cannot change how
    // the text starts, and the wasm holds `trim` anyway.)
    let html = response
        .content_type
        .as_deref()
        .is_some_and(|ct| ct.trim().get(..9).is_some_and(|start| start.eq_ignore_ascii_case("text/html")));
    match &response.body {
        Body::Empty => Judged::Empty,
        Body::Json(_) if html => Judged::Unusable,
        Body::Json(value) => Judged::Json(value),
        Body::NotJson | Body::TooLarge => Judged::Unusable,
    }
}

/// The member of the first of `names` that `body` has; `null` counts as absent.
fn first_present<'v>(body: &'v Value, names: &[&str]) -> Option<&'v Value> {
    for name in names {
        if let Some(value) = body.get(name).filter(|value| !value.is_null()) {
            return Some(value);
        }
    }
    None
}

/// The error code: `error` as a string, or as an object with a string `code`.
fn error_code<'v>(body: &'v Value, fields: &FieldNames) -> Option<&'v str> {
    let field = body.get(&fields.error)?;
    field.as_str().or_else(|| field.get("code").and_then(Value::as_str))
}

/// Whether `body` is JSON whose error code is `invalid_grant`.
fn says_invalid_grant(body: &Body, fields: &FieldNames) -> bool {
    matches!(body, Body::Json(value) if error_code(value, fields) == Some("invalid_grant"))
}

/// Epoch seconds (below 10^11) or milliseconds, as ms; absent and absurd values are `None`.
fn epoch_ms(at: Option<f64>) -> Option<u64> {
    let at = at.filter(|at| at.is_finite() && *at >= 0.0)?;
    let ms = if at < SECONDS_OR_MILLIS { at * 1000.0 } else { at };
    (ms <= MAX_EPOCH_MS as f64).then_some(ms as u64)
}

/// `now` plus a lifetime in seconds; absurd lifetimes are `None`.
fn after_seconds(now: EpochMs, seconds: f64) -> Option<u64> {
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

/// The server's clock minus ours from its `Date` (see [`clock_offset_ms`]).
fn server_offset(date: Option<EpochMs>, now: EpochMs) -> Option<i64> {
    date.filter(|at| *at <= MAX_EPOCH_MS).and_then(|at| clock_offset_ms(at, now))
}

fn failed(failure: RefreshFailure, retry_after_ms: Option<u64>) -> RefreshOutcome {
    RefreshOutcome::Failed { failure, retry_after_ms }
}

fn retry_after(response: &Response, now: EpochMs) -> Option<u64> {
    response.retry_after.as_ref().and_then(|value| value.delay_ms(now))
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
pub fn read_refresh_response(t: &Transport, response: &Response, now: EpochMs, parse: ParseJson) -> RefreshOutcome {
    let status = response.status;
    let (failure, retry_after_ms) = match status {
        200..=299 => return refresh_tokens(t, response, now, parse),
        0 => (RefreshFailure::Network, None),
        400 if says_invalid_grant(&response.body, &t.fields) => (RefreshFailure::InvalidGrant, None),
        408 | 429 | 500..=599 => (RefreshFailure::Status(status), retry_after(response, now)),
        _ => (RefreshFailure::Status(status), None),
    };
    failed(failure, retry_after_ms)
}

/// A 2xx refresh answer's outcome, built in place (no `Result` of the
/// tokens to copy into it).
fn refresh_tokens(t: &Transport, response: &Response, now: EpochMs, parse: ParseJson) -> RefreshOutcome {
    let body = match judge(response) {
        Judged::Empty if t.mode == TokenMode::Cookie => return RefreshOutcome::Success(TokenSet::default()),
        Judged::Json(body) if body.as_object().is_some() => body,
        Judged::Empty | Judged::Json(_) | Judged::Unusable => return failed(RefreshFailure::BadResponse, None),
    };
    let failure = match read_tokens(&t.fields, body, response.date, now, parse) {
        Ok(tokens) if tokens.access_token.is_some() || t.mode != TokenMode::Bearer => {
            return RefreshOutcome::Success(tokens)
        }
        // Some servers answer 200 {"error": "invalid_grant"}.
        Ok(_) if says_invalid_grant(&response.body, &t.fields) => RefreshFailure::InvalidGrant,
        Ok(_) | Err(_) => RefreshFailure::BadResponse,
    };
    failed(failure, None)
}

/// The member `name`, or when `name` is the default, its camelCase `alias`;
/// `null` counts as absent.
fn lookup<'v>(body: &'v Value, name: &str, default: &str, alias: &str) -> Option<&'v Value> {
    first_present(body, &[name, if name == default { alias } else { name }])
}

/// A token member (absent, `null` and `""` are no token), named `label` in errors.
fn token_field<'v>(value: Option<&'v Value>, label: &'static str) -> Result<Option<&'v str>, TokenError> {
    match value.map(Value::as_str) {
        None | Some(Some("")) => Ok(None),
        Some(Some(text)) if text.len() <= MAX_TOKEN_LEN => Ok(Some(text)),
        Some(Some(_)) => Err(TokenError::TooLong(label)),
        Some(None) => Err(TokenError::BadField(label)),
    }
}

/// A number member (a number, or a string of digits). Absent is fine (and
/// so is an absurd value, dropped by the caller: the token is still good,
/// only its expiry is unknown); another type is an error naming `label`.
fn number_field(value: Option<&Value>, label: &'static str) -> Result<Option<f64>, TokenError> {
    match value {
        None => Ok(None),
        Some(value) => loose_number(value).map(Some).ok_or(TokenError::BadField(label)),
    }
}

/// Reads a token answer: a refresh endpoint's, what the app's `refresh`
/// function resolved with, or the login answer given to `start()`. Members are
/// named by `responseFields` (the OAuth 2.0 names by default, camelCase
/// accepted). The expiry is `expires_in` seconds from `now`, else `expires_at`
/// (epoch seconds or ms on the server's clock, moved onto ours by the offset
/// the server's `date` shows, or the JWT's `iat`), else the access token's JWT
/// `exp` (its payload's JSON read by `parse`). A token may be missing (cookie
/// mode, a refresh token in a cookie).
///
/// # Errors
///
/// [`TokenError`] for a body that is not an object, a member of the wrong type
/// or a token over [`MAX_TOKEN_LEN`] (errors name the member by its default
/// name). An absurd expiry (negative, past 9999) is dropped, not an error.
pub fn read_tokens(
    names: &FieldNames,
    body: &Value,
    date: Option<EpochMs>,
    now: EpochMs,
    parse: ParseJson,
) -> Result<TokenSet, TokenError> {
    if body.as_object().is_none() {
        return Err(TokenError::NotAnObject);
    }
    let access_token = token_field(lookup(body, &names.access_token, "access_token", "accessToken"), "access_token")?;
    let refresh_token =
        token_field(lookup(body, &names.refresh_token, "refresh_token", "refreshToken"), "refresh_token")?;
    let expires_in = number_field(lookup(body, &names.expires_in, "expires_in", "expiresIn"), "expires_in")?;
    let expires_at = number_field(lookup(body, &names.expires_at, "expires_at", "expiresAt"), "expires_at")?;
    // The JWT's claims read where they are used: no times and subject to unpack.
    let claims = access_token.and_then(|token| jwt_claims(token, parse));
    let claims = claims.as_ref();
    let offset = server_offset(date, now)
        .or_else(|| claims.and_then(|claims| jwt_time(claims, "iat")).and_then(|iat| clock_offset_ms(iat, now)))
        .unwrap_or(0);
    let expires_at = expires_in
        .and_then(|seconds| after_seconds(now, seconds))
        .or_else(|| epoch_ms(expires_at).and_then(|at| to_local(at, offset)))
        .or_else(|| claims.and_then(|claims| jwt_time(claims, "exp")).and_then(|exp| to_local(exp, offset)));
    let sub = claims.and_then(jwt_sub);
    let word = session_word(body, names, offset);
    Ok(TokenSet {
        access_token: access_token.map(Secret::new),
        refresh_token: refresh_token.map(Secret::new),
        expires_at,
        identity: Identity { user: word.user, sub },
        remember_me: word.remember_me,
        idle_deadline: word.idle_deadline,
        absolute_deadline: word.absolute_deadline,
    })
}

/// What token, session and keepalive answers say of the session itself.
struct SessionWord {
    idle_deadline: Option<u64>,
    absolute_deadline: Option<u64>,
    user: Option<String>,
    remember_me: bool,
}

/// The server's deadlines (`idleExpiresAt`, `absoluteExpiresAt` or their
/// snake_case twins: epoch seconds or ms, or quoted digits, moved onto the
/// local clock by `offset`; anything else is absent), the user named in
/// `responseFields.user` (see [`user_id`]), and `rememberMe` (or
/// `remember_me`): `true` turns it on, anything else leaves it off.
fn session_word(body: &Value, names: &FieldNames, offset: i64) -> SessionWord {
    let deadline = |names: [&str; 2]| {
        epoch_ms(first_present(body, &names).and_then(loose_number)).and_then(|at| to_local(at, offset))
    };
    SessionWord {
        idle_deadline: deadline(["idleExpiresAt", "idle_expires_at"]),
        absolute_deadline: deadline(["absoluteExpiresAt", "absolute_expires_at"]),
        user: body.get(&names.user).and_then(user_id),
        remember_me: first_present(body, &["rememberMe", "remember_me"]).and_then(Value::as_bool) == Some(true),
    }
}

/// What the app's `refresh` function did. `Debug` does not show the token
/// response it resolved with.
#[derive(Clone, PartialEq)]
pub enum HookResult {
    /// It resolved with a token response (`None`: `undefined` or `null`, which
    /// is a success with no tokens, as in cookie mode).
    Resolved(Option<Value>),
    /// It resolved with something that is not plain data.
    Unreadable,
    /// It threw, or its promise rejected: with `{ status, retryAfterMs }` for an
    /// HTTP answer, anything else for a network failure.
    Rejected {
        /// The rejection's `status`, if it is a number.
        status: Option<f64>,
        /// The rejection's `retryAfterMs`, if it is a number.
        retry_after_ms: Option<f64>,
    },
}

impl core::fmt::Debug for HookResult {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HookResult::Resolved(None) => f.write_str("Resolved(None)"),
            HookResult::Resolved(Some(_)) => f.write_str("Resolved(..)"),
            HookResult::Unreadable => f.write_str("Unreadable"),
            HookResult::Rejected { status, retry_after_ms } => {
                f.debug_struct("Rejected").field("status", status).field("retry_after_ms", retry_after_ms).finish()
            }
        }
    }
}

/// Reads what the app's `refresh` function did: a resolved token response is
/// read like an endpoint's ([`read_tokens`], no `Date`); a rejection with a
/// status in 100..=999 is that HTTP status, any other a network failure; a
/// finite, non-negative `retryAfterMs` is the server's `Retry-After`.
pub fn read_hook_result(t: &Transport, result: &HookResult, now: EpochMs, parse: ParseJson) -> RefreshOutcome {
    match result {
        HookResult::Resolved(None) => RefreshOutcome::Success(TokenSet::default()),
        HookResult::Resolved(Some(value)) => match read_tokens(&t.fields, value, None, now, parse) {
            Ok(tokens) => RefreshOutcome::Success(tokens),
            Err(_) => failed(RefreshFailure::BadResponse, None),
        },
        HookResult::Unreadable => failed(RefreshFailure::BadResponse, None),
        HookResult::Rejected { status, retry_after_ms } => {
            let failure = match status {
                Some(status) if (100.0..1000.0).contains(status) => RefreshFailure::Status(*status as u16),
                _ => RefreshFailure::Network,
            };
            let retry_after_ms = retry_after_ms.filter(|ms| ms.is_finite() && *ms >= 0.0).map(|ms| ms as u64);
            failed(failure, retry_after_ms)
        }
    }
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
        /// The answer's `rememberMe`: the session outlives the browser.
        remember_me: bool,
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
/// else there (absurd numbers, wrong types) reads as absent. `rememberMe` /
/// `remember_me` `true` says the session is a remembered one. The user is the
/// `responseFields.user` member (default `user`): a string or an object with a
/// string or whole-number `id`; without a flag, that member being `null` means
/// signed out.
pub fn read_session_response(t: &Transport, response: &Response, now: EpochMs) -> SessionAnswer {
    let status = response.status;
    if matches!(status, 401 | 403) || is_revoked(t, status, Some(&response.body)) {
        return SessionAnswer::Revoked;
    }
    match status {
        0 | 408 | 429 | 500..=599 => return SessionAnswer::Retryable { retry_after_ms: retry_after(response, now) },
        200..=299 => {}
        _ => return SessionAnswer::BadResponse,
    }
    let body = match judge(response) {
        Judged::Empty => {
            return SessionAnswer::Active {
                idle_deadline: None,
                absolute_deadline: None,
                user: None,
                remember_me: false,
            }
        }
        Judged::Json(body) if body.as_object().is_some() => body,
        Judged::Json(_) | Judged::Unusable => return SessionAnswer::BadResponse,
    };
    let flag = first_present(body, &["signedIn", "signed_in", "authenticated", "active"]);
    let signed_in = match flag.map(Value::as_bool) {
        Some(Some(signed_in)) => signed_in,
        Some(None) => return SessionAnswer::BadResponse,
        None => !body.get(&t.fields.user).is_some_and(Value::is_null),
    };
    if !signed_in {
        return SessionAnswer::SignedOut;
    }
    let word = session_word(body, &t.fields, server_offset(response.date, now).unwrap_or(0));
    SessionAnswer::Active {
        idle_deadline: word.idle_deadline,
        absolute_deadline: word.absolute_deadline,
        user: word.user,
        remember_me: word.remember_me,
    }
}

/// For `session.fetch`: does this API answer mean the session was revoked?
///
/// Yes when `status` is one of `revoked_statuses`, or when it is 4xx/5xx and
/// `body` is a JSON object whose error field (`FieldNames::error`, a string or
/// `{code}`) is one of `revoked_error_codes`. A 2xx never is, so the shell needs
/// the body only when [`needs_body`] says so (`None`: not read). A body over
/// `maxBodyBytes` is not looked at.
pub fn is_revoked(t: &Transport, status: u16, body: Option<&Body>) -> bool {
    if revoked_status(t, status) {
        return true;
    }
    if status < 400 || t.revoked_error_codes.is_empty() {
        return false;
    }
    let Some(Body::Json(value)) = body else { return false };
    error_code(value, &t.fields).is_some_and(|code| listed(&t.revoked_error_codes, code))
}

/// Whether [`is_revoked`] would look at the body of an answer with `status`, so
/// the shell clones and reads response bodies only when that matters.
pub fn needs_body(t: &Transport, status: u16) -> bool {
    status >= 400 && !t.revoked_error_codes.is_empty() && !revoked_status(t, status)
}

/// Whether `status` is one of `revokedStatuses`.
fn revoked_status(t: &Transport, status: u16) -> bool {
    for revoked in &t.revoked_statuses {
        if *revoked == status {
            return true;
        }
    }
    false
}
