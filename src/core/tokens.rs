//! The token set a session holds, how secrets are kept out of logs, and how a
//! server's token response is read.

use super::http::MAX_EPOCH_MS;
use super::json::Value;

/// A secret string: never printed by `Debug`, overwritten with zeros when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // `into_bytes` reuses the buffer, so this zeroes the memory the secret
        // lived in; `black_box` keeps the store from being optimised away.
        let mut bytes = core::mem::take(&mut self.0).into_bytes();
        bytes.fill(0);
        core::hint::black_box(&bytes);
    }
}

/// What the server gave the session: an access token, maybe a refresh token, and
/// when the access token expires (epoch ms on the local clock).
///
/// In cookie mode both tokens are absent and only `expires_at` may be known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenSet {
    /// Bearer credential for API calls.
    pub access_token: Option<Secret>,
    /// Credential for the refresh endpoint; `None` when it rides in an HttpOnly cookie.
    pub refresh_token: Option<Secret>,
    /// When the access token stops working (local epoch ms), if known.
    pub expires_at: Option<u64>,
}

impl TokenSet {
    /// A token set with the given access token and expiry.
    pub fn bearer(access_token: &str, refresh_token: Option<&str>, expires_at: Option<u64>) -> Self {
        TokenSet {
            access_token: Some(Secret::new(access_token)),
            refresh_token: refresh_token.map(Secret::new),
            expires_at,
        }
    }

    /// Whether there is anything to refresh: a known expiry.
    pub fn expires(&self) -> bool {
        self.expires_at.is_some()
    }
}

/// Why a token response could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The body is not a JSON object.
    NotAnObject,
    /// A field has the wrong type or an impossible value; names the field.
    BadField(&'static str),
    /// A token is longer than [`MAX_TOKEN_LEN`].
    TooLong(&'static str),
}

impl TokenError {
    /// Stable code for events.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::NotAnObject => "not_an_object",
            TokenError::BadField(_) => "bad_field",
            TokenError::TooLong(_) => "token_too_long",
        }
    }
}

/// Longest token accepted from a server or another tab.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Below this, an `expires_at` is taken as seconds since the epoch (as in JWT
/// claims); at or above, as milliseconds. 10^11 s is the year 5138.
const SECONDS_OR_MILLIS: f64 = 1e11;

fn first<'a>(value: &'a Value, names: &[&'static str]) -> Option<(&'static str, &'a Value)> {
    names.iter().find_map(|name| value.get(name).filter(|v| !v.is_null()).map(|v| (*name, v)))
}

fn token(value: &Value, names: &[&'static str]) -> Result<Option<Secret>, TokenError> {
    match first(value, names) {
        None => Ok(None),
        Some((name, field)) => match field.as_str() {
            Some("") => Ok(None),
            Some(text) if text.len() > MAX_TOKEN_LEN => Err(TokenError::TooLong(name)),
            Some(text) => Ok(Some(Secret::new(text))),
            None => Err(TokenError::BadField(name)),
        },
    }
}

/// Reads a token response: `access_token`/`accessToken`, `refresh_token`/
/// `refreshToken`, and the expiry from `expires_in`/`expiresIn` (seconds, as in
/// OAuth 2.0) or `expires_at`/`expiresAt` (epoch seconds or milliseconds).
/// `now` is the local time the response arrived.
pub fn parse_token_response(value: &Value, now: u64) -> Result<TokenSet, TokenError> {
    if value.as_object().is_none() {
        return Err(TokenError::NotAnObject);
    }
    let access_token = token(value, &["access_token", "accessToken"])?;
    let refresh_token = token(value, &["refresh_token", "refreshToken"])?;
    let expires_at = if let Some((name, field)) = first(value, &["expires_in", "expiresIn"]) {
        let seconds = loose_number(field).filter(|s| *s >= 0.0 && *s < 1e10).ok_or(TokenError::BadField(name))?;
        Some(now.saturating_add((seconds * 1000.0) as u64))
    } else if let Some((name, field)) = first(value, &["expires_at", "expiresAt"]) {
        let at = loose_number(field).filter(|s| *s >= 0.0 && *s < 1e16).ok_or(TokenError::BadField(name))?;
        let at = if at < SECONDS_OR_MILLIS { (at * 1000.0) as u64 } else { at as u64 };
        // Past the year 9999 (and past 2^53): no cross-tab message could carry it.
        Some(Some(at).filter(|at| *at <= MAX_EPOCH_MS).ok_or(TokenError::BadField(name))?)
    } else {
        None
    };
    Ok(TokenSet { access_token, refresh_token, expires_at })
}

/// A number, or a string of up to 15 digits (some servers quote `expires_in`).
pub(crate) fn loose_number(value: &Value) -> Option<f64> {
    value.as_f64().or_else(|| {
        let text = value.as_str()?;
        if text.is_empty() || text.len() > 15 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(text.bytes().fold(0.0, |acc, b| acc * 10.0 + f64::from(b - b'0')))
    })
}
