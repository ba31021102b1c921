//! `session.securityReport()`: weak settings the client can observe.
//!
//! Pure: the shell passes what it sees of the page (protocol, host name,
//! `document.cookie`) and what the session observed at run time; the checks
//! are documented, one by one, in `SECURITY.md`. The report is advice, not
//! enforcement: the SDK keeps working with every finding.

use super::config::{Config, StorageChoice};
use super::endpoints::{plain_http_host, TokenMode, Transport};
use super::text::{is_dotted_quad, rfind_byte, split_at_byte, strip_last};

/// Idle timeouts above this are reported (OWASP: 15–30 min; PCI DSS 8.2.8: 15 min).
pub const MAX_IDLE_TIMEOUT_MS: u64 = 30 * 60 * 1000;
/// Absolute timeouts above this are reported.
pub const MAX_ABSOLUTE_TIMEOUT_MS: u64 = 24 * 60 * 60 * 1000;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Tokens or the session can be taken.
    High,
    /// The session lives longer or wider than it should.
    Medium,
    /// Worth knowing.
    Low,
}

impl Severity {
    /// The JS name: `"high"`, `"medium"`, `"low"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// One weak setting. The texts are static (and short, to keep the wasm small):
/// SECURITY.md explains each check at length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    /// Stable id, e.g. `insecure_page`.
    pub id: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// What was observed.
    pub message: &'static str,
    /// What to do about it.
    pub advice: &'static str,
}

/// What the shell sees of the page.
#[derive(Debug, Clone, Copy, Default)]
pub struct Page<'a> {
    /// `location.protocol`, e.g. `"https:"`.
    pub protocol: &'a str,
    /// `location.hostname`.
    pub hostname: &'a str,
    /// `document.cookie` (only cookies readable by scripts appear there).
    pub cookies: &'a str,
}

/// Everything the report looks at.
#[derive(Debug, Clone, Copy)]
pub struct Setup<'a> {
    /// The timing options.
    pub config: &'a Config,
    /// The backend options.
    pub transport: &'a Transport,
    /// Where the session is stored.
    pub storage: StorageChoice,
    /// The page.
    pub page: Page<'a>,
    /// A refresh succeeded without rotating the refresh token (observed).
    pub refresh_token_reused: bool,
    /// The live session is a remembered one (`rememberMe`).
    pub remember_me: bool,
}

/// Every check's finding, in order of severity, so the report needs no sort;
/// [`fires`] says whether each applies.
static FINDINGS: [Finding; 10] = [
    Finding {
        id: "insecure_page",
        severity: Severity::High,
        message: "The page is not served over HTTPS.",
        advice: "Serve the app over HTTPS only, with HSTS: on plain HTTP the network can read and change \
                 tokens, cookies and the page.",
    },
    Finding {
        id: "insecure_endpoint",
        severity: Severity::High,
        message: "A session endpoint is a plain http:// URL.",
        advice: "Use https:// for every endpoint: these requests carry tokens and session cookies.",
    },
    Finding {
        id: "insecure_api_origin",
        severity: Severity::High,
        message: "An apiOrigins entry is a plain http:// origin.",
        advice: "List https:// origins only: session.fetch sends the bearer token and the CSRF header there.",
    },
    Finding {
        id: "tokens_in_local_storage",
        severity: Severity::High,
        message: "Tokens are kept in localStorage (storage: \"local\").",
        advice: "Keep tokens in memory (the default) or sessionStorage: localStorage outlives the browser \
                 session and any script on the origin can read it.",
    },
    Finding {
        id: "session_cookie_readable",
        severity: Severity::High,
        message: "The session cookie is readable from document.cookie.",
        advice: "Make the session cookie HttpOnly, Secure and SameSite=Lax or Strict, so scripts cannot steal it.",
    },
    Finding {
        id: "idle_timeout_long",
        severity: Severity::Medium,
        message: "idleTimeoutMs is above 30 minutes.",
        advice: "OWASP suggests 15-30 minutes idle (less for sensitive apps); PCI DSS 8.2.8 asks for 15. \
                 Enforce it on the server too.",
    },
    Finding {
        id: "absolute_timeout_long",
        severity: Severity::Medium,
        message: "absoluteTimeoutMs is above 24 hours.",
        advice: "Cap the session's lifetime (a working day or less) on the client and the server.",
    },
    Finding {
        id: "remember_me",
        severity: Severity::Medium,
        message: "Remember me is on: the session outlives the browser.",
        advice: "Offer it on personal devices only, keep rememberMeAbsoluteMs short, re-authenticate for \
                 sensitive actions.",
    },
    Finding {
        id: "no_logout_endpoint",
        severity: Severity::Medium,
        message: "No logout or revocation endpoint is configured.",
        advice: "Configure endpoints.logout or revocation: otherwise the server-side session stays valid \
                 after logout.",
    },
    Finding {
        id: "refresh_token_not_rotated",
        severity: Severity::Medium,
        message: "A refresh returned the same refresh token, or none.",
        advice: "Rotate refresh tokens on every use and revoke the family on reuse (RFC 9700 4.14).",
    },
];

/// Whether check `index` of [`FINDINGS`] fires for `s` (one function for all
/// checks, rather than a closure, and so a function, per check).
fn fires(index: usize, s: &Setup) -> bool {
    match index {
        0 => s.page.protocol != "https:" && !is_local_host(s.page.hostname),
        1 => s.transport.endpoints().any(insecure_url),
        2 => s.transport.api_origins.iter().any(|origin| insecure_url(origin)),
        3 => s.storage == StorageChoice::Local && s.transport.mode == TokenMode::Bearer,
        4 => s.transport.session_cookie.as_deref().is_some_and(|name| cookie_visible(s.page.cookies, name)),
        5 => s.config.idle_timeout_ms > MAX_IDLE_TIMEOUT_MS,
        6 => s.config.absolute_timeout_ms > MAX_ABSOLUTE_TIMEOUT_MS,
        7 => s.remember_me,
        8 => s.transport.logout.is_none() && s.transport.revocation.is_none(),
        _ => s.refresh_token_reused,
    }
}

/// The findings for `setup`, most severe first (high, then medium).
pub fn report(setup: &Setup) -> Vec<&'static Finding> {
    let mut findings = Vec::new();
    for (index, finding) in FINDINGS.iter().enumerate() {
        if fires(index, setup) {
            findings.push(finding);
        }
    }
    findings
}

/// Whether `host` is this machine: `localhost`, `*.localhost`, 127.0.0.0/8 or `[::1]`.
pub fn is_local_host(host: &str) -> bool {
    let host = strip_last(host, b'.');
    let tail = host.len().checked_sub(10).and_then(|at| host.get(at..));
    host.eq_ignore_ascii_case("localhost")
        || tail.is_some_and(|tail| tail.eq_ignore_ascii_case(".localhost"))
        || host == "[::1]"
        || host == "::1"
        || is_loopback_ipv4(host)
}

/// `127.a.b.c` with four decimal octets.
fn is_loopback_ipv4(host: &str) -> bool {
    host.starts_with("127.") && is_dotted_quad(host, true)
}

/// An absolute `http://` URL to a host that is not this machine.
fn insecure_url(url: &str) -> bool {
    // The host as written: `is_local_host` ignores case, as the origin's
    // lower case would. A colon left in it (`host:port:` or a bare `::1`, both
    // refused by browsers) is cut at the last one, as from the origin's text.
    plain_http_host(url).is_some_and(|host| {
        let host = match rfind_byte(host, b':') {
            Some(colon) if !host.ends_with(']') => host.get(..colon).unwrap_or(host),
            _ => host,
        };
        !is_local_host(host)
    })
}

/// Whether `document.cookie` text has a cookie called `name`.
fn cookie_visible(cookies: &str, name: &str) -> bool {
    let mut rest = Some(cookies);
    while let Some(text) = rest {
        let (pair, next) = split_at_byte(text, b';').map_or((text, None), |(pair, next)| (pair, Some(next)));
        let key = split_at_byte(pair, b'=').map_or(pair, |(key, _)| key);
        if key.trim() == name {
            return true;
        }
        rest = next;
    }
    false
}
