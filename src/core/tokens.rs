//! The token set a session holds and how secrets are kept out of logs. Token
//! answers are read by [`super::contract::read_tokens`].

use super::identity::Identity;
use super::value::Value;

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

/// What the server gave the session: an access token, maybe a refresh token,
/// when the access token expires (epoch ms on the local clock), and the user
/// they are for, as far as the answers said.
///
/// In cookie mode both tokens are absent and only `expires_at` and the user may be known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenSet {
    /// Bearer credential for API calls.
    pub access_token: Option<Secret>,
    /// Credential for the refresh endpoint; `None` when it rides in an HttpOnly cookie.
    pub refresh_token: Option<Secret>,
    /// When the access token stops working (local epoch ms), if known.
    pub expires_at: Option<u64>,
    /// The user these tokens are for (the answer's `user`, the JWT `sub`).
    pub identity: Identity,
    /// A login answer's `rememberMe`: the session outlives the browser.
    pub remember_me: bool,
    /// The answer's `idleExpiresAt` (local epoch ms): the server's idle deadline.
    pub idle_deadline: Option<u64>,
    /// The answer's `absoluteExpiresAt` (local epoch ms): the server's absolute deadline.
    pub absolute_deadline: Option<u64>,
}

impl TokenSet {
    /// A token set with the given access token and expiry.
    pub fn bearer(access_token: &str, refresh_token: Option<&str>, expires_at: Option<u64>) -> Self {
        TokenSet {
            access_token: Some(Secret::new(access_token)),
            refresh_token: refresh_token.map(Secret::new),
            expires_at,
            ..TokenSet::default()
        }
    }

    /// Takes out what the answer said of the session rather than of the
    /// tokens: remember me, and the server's idle and absolute deadlines.
    pub fn take_session_word(&mut self) -> (bool, Option<u64>, Option<u64>) {
        let remember_me = core::mem::take(&mut self.remember_me);
        (remember_me, self.idle_deadline.take(), self.absolute_deadline.take())
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

/// A number, or a string of up to 15 digits (some servers quote `expires_in`).
pub(crate) fn loose_number(value: &Value) -> Option<f64> {
    value.as_f64().or_else(|| {
        let text = value.as_str()?;
        // At most 15 digits: below 2^53, so exact as an `f64`.
        if text.len() > 15 {
            return None;
        }
        super::text::digits(text).map(|n| n as f64)
    })
}
