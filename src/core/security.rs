//! `session.securityReport()`: weak settings the client can observe.
//!
//! Pure: the shell passes what it sees of the page (protocol, host name,
//! `document.cookie`) and what the session observed at run time; the checks
//! are documented, one by one, in `SECURITY.md`. The report is advice, not
//! enforcement: the SDK keeps working with every finding.

use super::config::{Config, StorageChoice};
use super::http::{TokenMode, Transport};

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

/// One weak setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Stable id, e.g. `insecure_page`.
    pub id: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// What was observed.
    pub message: String,
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
}

/// The findings for `setup`, most severe first.
pub fn report(setup: &Setup) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut add = |id, severity, message: String, advice| findings.push(Finding { id, severity, message, advice });
    let (config, transport, page) = (setup.config, setup.transport, &setup.page);

    if page.protocol != "https:" && !is_local_host(page.hostname) {
        add(
            "insecure_page",
            Severity::High,
            ["The page is served over ", page.protocol, " on ", page.hostname, "."].concat(),
            "Serve the app over HTTPS only (with HSTS): on plain HTTP anyone on the network can read and \
             change tokens, cookies and the page itself. Secure cookies and the Web Locks API also need HTTPS.",
        );
    }
    if let Some(url) = transport.endpoints().find(|url| insecure_url(url)) {
        add(
            "insecure_endpoint",
            Severity::High,
            ["The endpoint ", url, " is plain HTTP."].concat(),
            "Use https:// URLs for every session endpoint: tokens and session cookies travel in these requests.",
        );
    }
    if setup.storage == StorageChoice::Local && transport.mode == TokenMode::Bearer {
        add(
            "tokens_in_local_storage",
            Severity::High,
            "Tokens are stored in localStorage (storage: \"local\").".to_owned(),
            "Keep tokens in memory (storage: \"memory\", the default) or use sessionStorage: localStorage \
             outlives the browser session and any script on the origin (an XSS) can read it. Better still, \
             keep the refresh token in an HttpOnly cookie.",
        );
    }
    if let Some(name) = transport.session_cookie.as_deref().filter(|name| cookie_visible(page.cookies, name)) {
        add(
            "session_cookie_readable",
            Severity::High,
            ["The session cookie ", name, " is readable from document.cookie."].concat(),
            "Set the session cookie HttpOnly (and Secure, SameSite=Lax or Strict) so scripts, including \
             injected ones, cannot read it.",
        );
    }
    if config.idle_timeout_ms > MAX_IDLE_TIMEOUT_MS {
        add(
            "idle_timeout_long",
            Severity::Medium,
            "idleTimeoutMs is above 30 minutes.".to_owned(),
            "OWASP suggests 15-30 minutes of idle time for low-risk apps and less for sensitive ones; \
             PCI DSS v4.0 (8.2.8) asks for re-authentication after 15 minutes idle.",
        );
    }
    if config.absolute_timeout_ms > MAX_ABSOLUTE_TIMEOUT_MS {
        add(
            "absolute_timeout_long",
            Severity::Medium,
            "absoluteTimeoutMs is above 24 hours.".to_owned(),
            "Cap the session's lifetime (OWASP: a few hours for most apps, at most a day) so a stolen session \
             cannot be kept alive forever; enforce the same limit on the server.",
        );
    }
    if transport.logout.is_none() && transport.revocation.is_none() {
        add(
            "no_logout_endpoint",
            Severity::Medium,
            "No logout or revocation endpoint is configured.".to_owned(),
            "Configure endpoints.logout (or revocation): otherwise logout only forgets the session in the \
             browser and the server-side session or refresh token stays valid.",
        );
    }
    if setup.refresh_token_reused {
        add(
            "refresh_token_not_rotated",
            Severity::Medium,
            "A refresh returned the same refresh token, or none.".to_owned(),
            "Rotate refresh tokens on every use and revoke the whole token family when an old one is \
             presented again (RFC 9700, OAuth 2.0 Security BCP 4.14), so a stolen refresh token is detected.",
        );
    }
    findings.sort_by_key(|finding| finding.severity);
    findings
}

/// Whether `host` is this machine: `localhost`, `*.localhost`, 127.0.0.0/8 or `[::1]`.
pub fn is_local_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || host == "::1"
        || (host.starts_with("127.") && host.split('.').count() == 4 && host.split('.').all(is_octet))
}

fn is_octet(part: &str) -> bool {
    !part.is_empty() && part.len() <= 3 && part.bytes().all(|b| b.is_ascii_digit()) && part.parse::<u8>().is_ok()
}

/// An absolute `http://` URL to a host that is not this machine.
fn insecure_url(url: &str) -> bool {
    let Some(rest) = url.get(..7).filter(|scheme| scheme.eq_ignore_ascii_case("http://")).and(url.get(7..)) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if host_port.starts_with('[') {
        host_port.split_inclusive(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    !is_local_host(host)
}

/// Whether `document.cookie` text has a cookie called `name`.
fn cookie_visible(cookies: &str, name: &str) -> bool {
    cookies.split(';').any(|pair| pair.split('=').next().map(str::trim) == Some(name))
}
