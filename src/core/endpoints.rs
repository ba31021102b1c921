//! The endpoint configuration: which endpoints the backend has, how requests to
//! them are shaped and how their answers are named, plus the rules for what a
//! valid URL, header name and header value are.
//!
//! These are plain types: the options reader (`options`) builds them from the
//! app's options object, the contract (`http`) builds requests from them and
//! reads answers with them, the security report inspects them.

use super::text::{all_bytes, find_any, is_dotted_quad, rfind_byte, split_at_byte, strip_last};
use super::value::write_u64;

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
/// (the limit `ConfigErrorKind::TooMany` reports).
pub const MAX_LIST: usize = 16;
/// Longest accepted header name, cookie name, field name, body field, error code
/// or grant type.
pub const MAX_NAME_LEN: usize = 256;
/// Longest accepted header value (static headers, CSRF token, `Authorization`).
pub const MAX_HEADER_VALUE_LEN: usize = 8 * 1024;

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

/// The `Content-Type` of a form-encoded body.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

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
    /// The user the answer is for (a string, or an object with an `id`); default
    /// `user`. Read from token, session and keepalive answers.
    pub user: String,
}

impl Default for FieldNames {
    fn default() -> Self {
        FieldNames {
            access_token: "access_token".to_owned(),
            refresh_token: "refresh_token".to_owned(),
            expires_in: "expires_in".to_owned(),
            expires_at: "expires_at".to_owned(),
            error: "error".to_owned(),
            user: "user".to_owned(),
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
    /// logout that carries a refresh token. Names are unique (the options reader
    /// refuses a repeated one): each is written once, as given.
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

impl Transport {
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

// ---- what the options may hold ----

/// An RFC 7230 `token`: what header names, methods and cookie names are made of.
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_NAME_LEN
        && all_bytes(text, |b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A header value fetch accepts: no CR, LF or NUL, and Latin-1 only (the Headers
/// API takes a ByteString and throws on anything wider).
pub fn header_value_ok(text: &str) -> bool {
    // Byte by byte: in UTF-8 a char past U+00FF, and only such a char, starts
    // with a byte of 0xC4 or more.
    text.len() <= MAX_HEADER_VALUE_LEN && all_bytes(text, |b| !matches!(b, b'\r' | b'\n' | 0 | 0xc4..=0xff))
}

/// Non-empty, bounded, no spaces or control characters, and `http`/`https` when
/// a scheme is given (so no `javascript:` or `data:`). Relative URLs are fine.
pub fn is_valid_url(url: &str) -> bool {
    if url.is_empty() || !fits_url(url) {
        return false;
    }
    match scheme(url) {
        Some(scheme) => scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"),
        None => true,
    }
}

/// At most [`MAX_URL_LEN`] bytes, no spaces or control characters.
fn fits_url(url: &str) -> bool {
    url.len() <= MAX_URL_LEN && all_bytes(url, |b| b > b' ' && b != 0x7f)
}

/// The origin of an absolute `http(s)` URL as the URL parser writes it:
/// `scheme://host[:port]`, lower-case, with the scheme's default port (80,
/// 443) dropped and leading zeros of a port removed, so that
/// `HTTPS://Api.Example:0443/x` and `https://api.example/y` have one origin.
pub fn origin_of(url: &str) -> Option<String> {
    split_origin(url).map(|(origin, _, _)| origin)
}

/// The host of `url`, as written, when it is an absolute plain `http` URL
/// with a valid origin ([`origin_of`]): for the security report.
pub(crate) fn plain_http_host(url: &str) -> Option<&str> {
    let (_, host, _) = split_origin(url)?;
    scheme(url)?.eq_ignore_ascii_case("http").then_some(host)
}

/// The origin of `url` ([`origin_of`]), its host as written, and what follows
/// its authority (path, query, fragment).
fn split_origin(url: &str) -> Option<(String, &str, &str)> {
    let scheme = scheme(url)?;
    let default_port = if scheme.eq_ignore_ascii_case("https") {
        443
    } else if scheme.eq_ignore_ascii_case("http") {
        80
    } else {
        return None;
    };
    let rest = url.get(scheme.len() + 1..)?.strip_prefix("//")?;
    // The URL parser reads `\` as `/` in http(s) URLs.
    let end = find_any(rest, b"/?#\\").unwrap_or(rest.len());
    let (authority, tail) = (rest.get(..end)?, rest.get(end..)?);
    // The scheme is http(s): what is left of `is_valid_url`.
    if find_any(authority, b"@").is_some() || !fits_url(url) {
        return None;
    }
    // `[v6]:port` or `host:port`; the port may be empty.
    let colon = match rfind_byte(authority, b']') {
        Some(bracket) => find_any(authority.get(bracket + 1..)?, b":").map(|at| bracket + 1 + at),
        None => rfind_byte(authority, b':'),
    };
    let (host, port) = match colon {
        Some(at) => (authority.get(..at)?, authority.get(at + 1..)?),
        None => (authority, ""),
    };
    if host.is_empty() || port.len() > 5 {
        return None;
    }
    // At most five digits: no overflow. Written back without leading zeros.
    let number = if port.is_empty() { 0 } else { super::text::digits(port)? };
    if number > 65_535 {
        return None;
    }
    let mut origin = String::with_capacity(scheme.len() + host.len() + 9);
    origin.push_str(scheme);
    origin.push_str("://");
    origin.push_str(host);
    if !port.is_empty() && number != default_port {
        origin.push(':');
        write_u64(&mut origin, number);
    }
    origin.make_ascii_lowercase();
    Some((origin, host, tail))
}

/// An `apiOrigins` entry, normalised as the URL parser would ([`origin_of`]):
/// `None` unless it is an `http(s)` origin with nothing after it but a `/`,
/// and a host the browser writes as it is: ASCII letters, digits, `-`, `.`
/// and `_`, a bracketed IPv6 address, or a dotted IPv4 address in its plain
/// form. Anything the browser would rewrite (an internationalised name, a
/// percent-escape, an IPv4 address in another notation) is refused rather
/// than kept as an entry that never matches.
pub fn api_origin(text: &str) -> Option<String> {
    let (origin, host, tail) = split_origin(text)?;
    // The host checks ignore case, so the host as written will do.
    let valid = (tail.is_empty() || tail == "/")
        && match host.strip_prefix('[') {
            Some(v6) => is_ipv6_text(split_at_byte(v6, b']').map_or("", |(address, _)| address)),
            None => {
                let host = host.get(..find_any(host, b":").unwrap_or(host.len())).unwrap_or("");
                let plain = all_bytes(host, |b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
                plain && host.as_bytes().first() != Some(&b'.') && plain_ipv4_if_numeric(host)
            }
        };
    valid.then_some(origin)
}

/// Hex digits, `:` and `.` (an embedded IPv4 tail), with at least one `:`.
fn is_ipv6_text(address: &str) -> bool {
    find_any(address, b":").is_some() && all_bytes(address, |b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'))
}

/// The URL parser reads a host whose last label is a number (`10.1`,
/// `0x7f.1`, `127.000.0.1`) as an IPv4 address and rewrites it: such a host
/// must already be four plain decimal octets.
fn plain_ipv4_if_numeric(host: &str) -> bool {
    let host = strip_last(host, b'.');
    let last = host.get(rfind_byte(host, b'.').map_or(0, |dot| dot + 1)..).unwrap_or(host);
    let numeric =
        all_bytes(last, |b| b.is_ascii_digit()) || last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"));
    if !numeric || last.is_empty() {
        return true;
    }
    is_dotted_quad(host, false)
}

/// Whether `session.fetch` may send the session's credential (bearer token,
/// CSRF header) with a request to the absolute `url` from a page of
/// `page_origin`: only to the page's own origin and the configured `apiOrigins`,
/// never to a third party the app happens to call.
pub fn may_send_credential(t: &Transport, url: &str, page_origin: &str) -> bool {
    // `origin` is lower-case: comparing it to the page's ignoring case is
    // comparing it to the page's in lower case.
    origin_of(url).is_some_and(|origin| origin.eq_ignore_ascii_case(page_origin) || listed(&t.api_origins, &origin))
}

/// Whether `text` is one of `list` (one loop for the origin and error-code lists).
pub(crate) fn listed(list: &[String], text: &str) -> bool {
    for entry in list {
        if entry == text {
            return true;
        }
    }
    false
}

/// The scheme, if the URL starts with one (`ALPHA *(ALPHA / DIGIT / "+" / "-" / ".") ":"`).
pub(crate) fn scheme(url: &str) -> Option<&str> {
    let end = find_any(url, b":/?#")?;
    if url.as_bytes().get(end) != Some(&b':') {
        return None;
    }
    let scheme = url.get(..end)?;
    let valid = scheme.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && all_bytes(scheme, |b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    valid.then_some(scheme)
}
