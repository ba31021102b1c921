//! When to refresh, how to back off, and which failures are worth retrying.
//!
//! Pure functions of their arguments; the state machine owns the bookkeeping.

use super::config::Config;
use super::tokens::TokenSet;

/// The longest `Retry-After` we honour (1 h): a hostile or broken server must not
/// park the session for days.
pub const MAX_RETRY_AFTER_MS: u64 = 3_600_000;

/// Why a refresh attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshFailure {
    /// The request never got an answer (DNS, connection, CORS, offline).
    Network,
    /// No answer within the request timeout.
    Timeout,
    /// The server answered with a non-2xx status.
    Status(u16),
    /// The server said the grant is invalid (OAuth 2.0 `invalid_grant`).
    InvalidGrant,
    /// A 2xx answer the SDK cannot use (not JSON, wrong types, missing token, too big).
    BadResponse,
    /// The endpoint answered with a redirect. It is not followed (that would
    /// send the refresh token wherever it points) and not retried: a
    /// misconfigured URL or an open redirect does not fix itself.
    Redirected,
}

impl RefreshFailure {
    /// Whether trying again later may succeed: network trouble, timeouts, 408,
    /// 429, 5xx and unusable bodies (proxies answer with HTML during outages).
    /// 400, 401, 403, `invalid_grant` and redirects are definitive: retrying
    /// would loop.
    pub fn is_retryable(self) -> bool {
        match self {
            RefreshFailure::Network | RefreshFailure::Timeout | RefreshFailure::BadResponse => true,
            RefreshFailure::Status(status) => matches!(status, 408 | 429 | 500..=599),
            RefreshFailure::InvalidGrant | RefreshFailure::Redirected => false,
        }
    }

    /// Stable code for events.
    pub fn code(self) -> &'static str {
        match self {
            RefreshFailure::Network => "network",
            RefreshFailure::Timeout => "timeout",
            RefreshFailure::Status(400) => "http_400",
            RefreshFailure::Status(401) => "http_401",
            RefreshFailure::Status(403) => "http_403",
            RefreshFailure::Status(408) => "http_408",
            RefreshFailure::Status(429) => "http_429",
            RefreshFailure::Status(500..=599) => "http_5xx",
            RefreshFailure::Status(_) => "http_status",
            RefreshFailure::InvalidGrant => "invalid_grant",
            RefreshFailure::BadResponse => "bad_response",
            RefreshFailure::Redirected => "redirect",
        }
    }
}

/// What the shell reports after a refresh request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// New tokens. A missing refresh token means "keep the current one" (RFC 6749 §6).
    Success(TokenSet),
    /// The attempt failed; `retry_after_ms` is the server's `Retry-After`, if any.
    Failed {
        /// Why.
        failure: RefreshFailure,
        /// The server's `Retry-After`, in ms, if it sent one.
        retry_after_ms: Option<u64>,
    },
}

/// When to refresh a token that expires at `expires_at` and was received at
/// `received_at`: `refreshBeforeMs` ahead (at most half the lifetime, so short
/// tokens still get used), plus up to `refreshJitterMs` (at most a quarter of the
/// lifetime) of random extra lead so that tabs and clients spread out.
pub fn refresh_due_at(config: &Config, expires_at: u64, received_at: u64, random: u64) -> u64 {
    let lifetime = expires_at.saturating_sub(received_at);
    let lead = config.refresh_before_ms.min(lifetime / 2);
    let jitter_cap = config.refresh_jitter_ms.min(lifetime / 4);
    let jitter = random.checked_rem(jitter_cap.saturating_add(1)).unwrap_or(0);
    expires_at.saturating_sub(lead.saturating_add(jitter))
}

/// Delay before retry number `failures` (1 for the first retry): exponential from
/// `retryInitialMs`, capped at `retryMaxMs`, with "equal jitter" (half fixed,
/// half random) so that clients failing together do not retry together. A
/// server's `Retry-After` is a floor, itself capped at [`MAX_RETRY_AFTER_MS`].
pub fn backoff_delay(config: &Config, failures: u32, random: u64, retry_after_ms: Option<u64>) -> u64 {
    let doublings = failures.saturating_sub(1).min(40);
    // `retry_initial_ms * 2^doublings`, saturating (a shift and a compare:
    // `saturating_mul` is a 128-bit multiply in the wasm).
    let initial = config.retry_initial_ms;
    let doubled = if initial > u64::MAX >> doublings { u64::MAX } else { initial << doublings };
    let base = doubled.min(config.retry_max_ms);
    let half = base / 2;
    let delay = half.saturating_add(random.checked_rem(base - half + 1).unwrap_or(0));
    match retry_after_ms {
        Some(server) => delay.max(server.min(MAX_RETRY_AFTER_MS)),
        None => delay,
    }
}
