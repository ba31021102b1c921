//! Building the requests the core asks the shell to send, and the credential
//! `session.fetch` adds to the app's own requests.
//!
//! Requests are complete except for the anti-CSRF token, which the page may
//! rotate at any time: a request that wants one names its header and source
//! ([`Request::csrf`]), the shell reads the token from the page just before
//! sending, and hands it to [`Request::set_csrf_token`], which checks it with
//! the same rule as every other header value ([`csrf_header`]).

use super::super::endpoints::{header_value_ok, BodyEncoding, Credentials, Csrf, Endpoint, Transport};
use super::super::tokens::{Secret, TokenSet};
use super::encodings::push_field;

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
    /// Larger answers are unusable: read at most one byte more than this.
    pub max_body_bytes: usize,
    /// The anti-CSRF header this request wants (state-changing methods, when
    /// configured): read the token from its source and pass it to
    /// [`Request::set_csrf_token`].
    pub csrf: Option<Csrf>,
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
            .field("csrf", &self.csrf.as_ref().map(|csrf| csrf.header.as_str()))
            .finish()
    }
}

impl Request {
    /// Adds the anti-CSRF header with `token`, the value the shell just read
    /// from the page. A missing, empty or hostile value (one fetch would reject)
    /// is left out rather than breaking the request; a valid one replaces a
    /// static header of the same name. Does nothing when the request wants no
    /// CSRF header.
    pub fn set_csrf_token(&mut self, token: Option<&str>) {
        // As [`csrf_header`] judges it, without building the pair to copy: the
        // two must change together.
        let Some(csrf) = &self.csrf else { return };
        let Some(token) = token.filter(|token| !token.is_empty() && header_value_ok(token)) else { return };
        if is_state_changing(&self.method) {
            set_header(&mut self.headers, &csrf.header, token, true);
        }
    }
}

/// Sets the header `name` (compared case-insensitively): appended when absent,
/// its value replaced when present and `replace` is true, else left as it is.
fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: &str, replace: bool) {
    match headers.iter_mut().find(|(have, _)| have.eq_ignore_ascii_case(name)) {
        Some(slot) if replace => value.clone_into(&mut slot.1),
        Some(_) => {}
        None => headers.push((name.to_owned(), value.to_owned())),
    }
}

/// POST, PUT, PATCH and DELETE change state: they carry the CSRF header.
pub fn is_state_changing(method: &str) -> bool {
    for state_changing in &["POST", "PUT", "PATCH", "DELETE"] {
        if state_changing.eq_ignore_ascii_case(method) {
            return true;
        }
    }
    false
}

/// The anti-CSRF header for a request with `method`: only on state-changing
/// methods, and only with a token that is present, not empty and a valid header
/// value. [`Request::set_csrf_token`] applies the same rules in place: the two
/// must change together.
pub fn csrf_header(csrf: &Csrf, method: &str, token: Option<&str>) -> Option<(String, String)> {
    let token = token.filter(|token| !token.is_empty() && header_value_ok(token))?;
    is_state_changing(method).then(|| (csrf.header.clone(), token.to_owned()))
}

/// Whether the page's CSRF `token`, read for a request with `method`, is one
/// that [`csrf_header`] leaves out although the request wants it: present and
/// not empty, but not a valid header value (CR, LF, NUL, beyond Latin-1, over
/// 8 KiB), as a cookie tossed by a sibling subdomain may be.
pub fn csrf_token_unusable(method: &str, token: Option<&str>) -> bool {
    is_state_changing(method) && token.is_some_and(|token| !token.is_empty() && !header_value_ok(token))
}

/// The `Authorization` value `Bearer <token>` for a token fit for a header;
/// `None` otherwise.
fn bearer_value(token: &str) -> Option<String> {
    if token.is_empty() || !header_value_ok(token) {
        return None;
    }
    let mut value = String::with_capacity(token.len().saturating_add(7));
    value.push_str("Bearer ");
    value.push_str(token);
    Some(value)
}

fn has_body(method: &str) -> bool {
    !method.eq_ignore_ascii_case("GET") && !method.eq_ignore_ascii_case("HEAD")
}

/// A body of `first` followed by the static body fields whose names are not
/// taken (the generated field wins, so `bodyFields` cannot overwrite the
/// token), in `encoding`; `None` when there are none.
fn encode_body(t: &Transport, encoding: BodyEncoding, first: &[Option<(&str, &str)>]) -> Option<String> {
    // Written pair by pair as met: no list of the fields to encode.
    let json = encoding == BodyEncoding::Json;
    let mut body = String::new();
    if json {
        body.push('{');
    }
    let mut any = false;
    for field in first {
        let Some((name, value)) = *field else { continue };
        push_field(&mut body, json, name, value);
        any = true;
    }
    for (name, value) in &t.body_fields {
        // The static body fields' names are unique: only the generated ones can take them.
        if !first.iter().any(|field| matches!(field, Some((taken, _)) if taken == name)) {
            push_field(&mut body, json, name, value);
            any = true;
        }
    }
    if !any {
        return None;
    }
    if json {
        body.push('}');
    }
    Some(body)
}

/// A request body: its encoding and the generated fields (those present),
/// which the static body fields follow ([`encode_body`]).
type BodySpec<'a> = Option<(BodyEncoding, &'a [Option<(&'a str, &'a str)>])>;

fn request(
    t: &Transport,
    endpoint: &Endpoint,
    body: BodySpec<'_>,
    authorization: Option<&str>,
    keepalive: bool,
) -> Request {
    let (body, content_type) = match body.filter(|_| has_body(&endpoint.method)) {
        Some((encoding, fields)) => (encode_body(t, encoding, fields), encoding.content_type()),
        None => (None, ""),
    };
    let mut headers: Vec<(String, String)> = Vec::with_capacity(t.headers.len().saturating_add(4));
    let mut set = |name: &str, value: &str| set_header(&mut headers, name, value, false);
    // Generated headers first: Content-Type must match the body, whatever the
    // static headers say (the CSRF header, added later, replaces any static one).
    if body.is_some() {
        set("Content-Type", content_type);
    }
    if let Some(value) = authorization.and_then(bearer_value) {
        set("Authorization", &value);
    }
    // Static headers may override Accept (e.g. a vendor media type).
    for (name, value) in &t.headers {
        set(name, value);
    }
    set("Accept", "application/json");
    let csrf = t.csrf.as_ref().filter(|_| is_state_changing(&endpoint.method)).cloned();
    Request {
        url: endpoint.url.clone(),
        method: endpoint.method.clone(),
        headers,
        body,
        credentials: t.credentials,
        keepalive,
        timeout_ms: t.timeout_ms,
        max_body_bytes: t.max_body_bytes,
        csrf,
    }
}

/// The refresh request; `None` without a refresh endpoint.
///
/// The body holds `grant_type` (when configured), the refresh token under
/// `refresh_token_field` (when the client holds one; with an HttpOnly cookie it
/// is `None`) and the static body fields, JSON or form-encoded, with a matching
/// `Content-Type`. With none of these there is no body at all. The CSRF header
/// goes on POST/PUT/PATCH/DELETE, never on GET ([`Request::csrf`]).
pub fn refresh_request(t: &Transport, refresh_token: Option<&str>) -> Option<Request> {
    session_refresh_request(t, refresh_token, false)
}

/// [`refresh_request`] for a session: a remembered one (`remember_me`) says
/// so with the field `remember_me=true`, so that the server keeps issuing a
/// refresh cookie that outlives the browser.
pub fn session_refresh_request(t: &Transport, refresh_token: Option<&str>, remember_me: bool) -> Option<Request> {
    let endpoint = t.refresh.as_ref()?;
    // The fields present, in order, without a Vec to collect them in.
    let fields = [
        t.grant_type.as_deref().map(|grant| ("grant_type", grant)),
        refresh_token.filter(|token| !token.is_empty()).map(|token| (t.refresh_token_field.as_str(), token)),
        remember_me.then_some(("remember_me", "true")),
    ];
    Some(request(t, endpoint, Some((t.encoding, &fields)), None, false))
}

/// The keepalive ping (no body); `None` without a keepalive endpoint.
pub fn keepalive_request(t: &Transport) -> Option<Request> {
    bodyless_request(t, &t.keepalive)
}

/// The session read (no body, no CSRF header on GET); `None` without a session endpoint.
pub fn session_request(t: &Transport) -> Option<Request> {
    bodyless_request(t, &t.session)
}

fn bodyless_request(t: &Transport, endpoint: &Option<Endpoint>) -> Option<Request> {
    Some(request(t, endpoint.as_ref()?, None, None, false))
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
pub fn logout_requests(t: &Transport, tokens: &TokenSet) -> Vec<Request> {
    let mut out = Vec::with_capacity(3);
    let refresh_token = exposed(&tokens.refresh_token);
    let access_token = exposed(&tokens.access_token);
    if let Some(endpoint) = &t.revocation {
        for &(token, hint) in &[(refresh_token, "refresh_token"), (access_token, "access_token")] {
            let Some(token) = token else { continue };
            // RFC 7009 §2.1: always form-encoded, whatever the refresh body uses.
            let fields = [Some(("token", token)), Some(("token_type_hint", hint))];
            out.push(request(t, endpoint, Some((BodyEncoding::Form, &fields)), None, true));
        }
    }
    if let Some(endpoint) = &t.logout {
        let field = refresh_token.map(|token| [Some((t.refresh_token_field.as_str(), token))]);
        let body = field.as_ref().map(|field| (t.encoding, field.as_slice()));
        out.push(request(t, endpoint, body, access_token, true));
    }
    out
}

/// What `session.fetch` adds to one of the app's requests. `Debug` shows the
/// header names only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    /// Headers to set: `Authorization` and the CSRF header, each only where the
    /// app did not set it.
    pub headers: Vec<(String, String)>,
    /// fetch `credentials`, unless the app chose its own.
    pub credentials: Option<Credentials>,
    /// The app set its own `Authorization`: the request, and its 401, are the app's.
    pub app_authorization: bool,
}

impl Credential {
    /// The fetch `redirect` mode to set: `"manual"` when the request carries
    /// something of the session's (a header, or cookies by the configured
    /// `credentials`) and the app did not choose a mode itself
    /// (`app_redirect`), so that no redirect takes the credential elsewhere;
    /// `None` otherwise (the app's choice, or nothing to protect).
    pub fn redirect(&self, app_redirect: bool) -> Option<&'static str> {
        let carries = !self.headers.is_empty() || self.credentials.is_some_and(|c| c != Credentials::Omit);
        (carries && !app_redirect).then_some("manual")
    }
}

impl core::fmt::Debug for Credential {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Credential")
            .field("headers", &names)
            .field("credentials", &self.credentials)
            .field("app_authorization", &self.app_authorization)
            .finish()
    }
}

/// The credential for an app request with `method` whose own headers are named
/// `app_headers`: `Authorization: Bearer <access token>` (when the session holds
/// a token fit for a header), and the CSRF header on state-changing methods
/// (with `csrf_token`, read fresh from the page). What the app set explicitly
/// wins: its headers, and its `credentials` when `app_credentials`.
pub fn fetch_credential(
    t: &Transport,
    method: &str,
    app_headers: &[String],
    app_credentials: bool,
    access_token: Option<&Secret>,
    csrf_token: Option<&str>,
) -> Credential {
    let app_has = |name: &str| app_headers.iter().any(|have| have.eq_ignore_ascii_case(name));
    let mut headers = Vec::with_capacity(2);
    let app_authorization = app_has("Authorization");
    if !app_authorization {
        if let Some(value) = access_token.and_then(|token| bearer_value(token.expose())) {
            headers.push(("Authorization".to_owned(), value));
        }
    }
    // Whether the app set the header is asked first, so that nothing is built to be dropped.
    if let Some(header) =
        t.csrf.as_ref().filter(|csrf| !app_has(&csrf.header)).and_then(|csrf| csrf_header(csrf, method, csrf_token))
    {
        headers.push(header);
    }
    Credential { headers, credentials: (!app_credentials).then_some(t.credentials), app_authorization }
}
