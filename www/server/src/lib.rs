//! Reference backend for wasm-session: the endpoint contract of `docs/CONTRACT.md`
//! in bearer mode (JWT + rotating refresh token with reuse detection; the refresh
//! token in an HttpOnly cookie or, with `--refresh-token body`, in JSON bodies) and
//! cookie mode (server-side session + CSRF double-submit cookie). All state lives in
//! memory.

pub mod config;
pub mod debug;
pub mod monitor;
pub mod token;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tower_http::services::ServeDir;

pub use config::{Config, Mode, RefreshTokenIn};
use token::{bearer_token, get_cookie, get_header, is_https, lasting_cookie, set_cookie, sign_jwt, verify_jwt, Claims};

/// Request bodies larger than this are refused with 400.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Epoch-millisecond clock; tests use a manual one.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<AtomicU64>>);

impl Clock {
    pub fn system() -> Self {
        Clock(None)
    }
    pub fn manual(start_ms: u64) -> Self {
        Clock(Some(Arc::new(AtomicU64::new(start_ms))))
    }
    pub fn advance(&self, ms: u64) {
        if let Some(t) = &self.0 {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }
    pub fn now_ms(&self) -> u64 {
        match &self.0 {
            Some(t) => t.load(Ordering::SeqCst),
            None => SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0),
        }
    }
}

struct Session {
    user: String,
    /// Cookie mode: the session cookie. Bearer mode: the family's current refresh token.
    current: String,
    /// When `current` was issued (login or its rotation).
    issued_at: u64,
    /// Cookie mode: when the last keepalive arrived.
    last_keepalive_at: Option<u64>,
    /// Cookie mode: the CSRF token bound to this session.
    csrf: String,
    idle_exp: u64,
    abs_exp: u64,
    revoked: bool,
    /// Signed in with "remember me": persistent cookies, no idle timeout.
    remember: bool,
}

impl Session {
    fn live(&self, now: u64) -> bool {
        !self.revoked && now < self.idle_exp && now < self.abs_exp
    }

    /// Activity at `now` moves the idle deadline (a remembered session has none).
    fn touch(&mut self, now: u64, idle_timeout: u64) {
        self.idle_exp = if self.remember { self.abs_exp } else { (now + idle_timeout).min(self.abs_exp) };
    }

    /// How long its cookies persist: a remembered session's until its end;
    /// `None` (session cookies) otherwise.
    fn cookie_life(&self, now: u64) -> Option<u64> {
        self.remember.then(|| self.abs_exp.saturating_sub(now))
    }
}

/// How many samples `Stats` keeps of each timing.
pub const RECENT_SAMPLES: usize = 1024;

/// Counters and timings for the end-to-end tests (`GET /debug/stats`).
#[derive(Serialize, Default, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub refreshes: u64,
    /// Refreshes whose token came in the request body (from the client's memory).
    pub refreshes_from_body: u64,
    pub reuse_detected: u64,
    pub keepalives: u64,
    pub logins: u64,
    pub revoked_families: u64,
    /// For the last [`RECENT_SAMPLES`] refreshes, oldest first: how old the
    /// presented refresh token was (ms from its issue). A second refresh right
    /// after another tab's shows up as a young token.
    pub refresh_token_ages_ms: VecDeque<u64>,
    /// For the last [`RECENT_SAMPLES`] keepalives that followed another of the
    /// same session, oldest first: ms since that one.
    pub keepalive_gaps_ms: VecDeque<u64>,
}

/// Appends a timing, forgetting the oldest beyond [`RECENT_SAMPLES`].
fn record(samples: &mut VecDeque<u64>, sample: u64) {
    if samples.len() >= RECENT_SAMPLES {
        samples.pop_front();
    }
    samples.push_back(sample);
}

#[derive(Default)]
struct Db {
    /// Public session id (JWT `sid`, `sessionId`) -> session / refresh-token family.
    sessions: HashMap<String, Session>,
    /// Every secret ever issued (session cookies, refresh tokens, rotated ones too) -> session id.
    secrets: HashMap<String, String>,
    stats: Stats,
}

impl Db {
    fn revoke(&mut self, sid: &str) {
        if let Some(s) = self.sessions.get_mut(sid) {
            if !s.revoked {
                s.revoked = true;
                self.stats.revoked_families += 1;
            }
        }
    }

    /// Forgets sessions past their absolute deadline: nothing can revive them.
    fn sweep(&mut self, now: u64) {
        self.sessions.retain(|_, s| now < s.abs_exp);
        let sessions = &self.sessions;
        self.secrets.retain(|_, sid| sessions.contains_key(sid));
    }
}

struct Inner {
    cfg: Config,
    clock: Clock,
    key: [u8; 32],
    /// username -> SHA-256(password)
    users: HashMap<String, [u8; 32]>,
    dummy_hash: [u8; 32],
    db: Mutex<Db>,
    /// Monitoring beacons received (`monitor.rs`).
    beacons: Mutex<Vec<String>>,
}

/// Shared server state.
#[derive(Clone)]
pub struct App(Arc<Inner>);

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

impl App {
    pub fn new(cfg: Config, clock: Clock) -> Self {
        let users = cfg.users.iter().map(|(u, p)| (u.clone(), sha256(p.as_bytes()))).collect();
        App(Arc::new(Inner {
            cfg,
            clock,
            key: token::random_key(),
            users,
            dummy_hash: sha256(token::random_hex().as_bytes()),
            db: Mutex::new(Db::default()),
            beacons: Mutex::new(Vec::new()),
        }))
    }

    pub fn stats(&self) -> Stats {
        self.db().stats.clone()
    }

    fn beacons(&self) -> MutexGuard<'_, Vec<String>> {
        self.0.beacons.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn db(&self) -> MutexGuard<'_, Db> {
        // A panic elsewhere cannot leave Db half-updated in a way that matters here.
        self.0.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cfg(&self) -> &Config {
        &self.0.cfg
    }

    /// Bearer mode with the refresh token in JSON bodies: no refresh cookie is set or read.
    fn refresh_token_in_body(&self) -> bool {
        self.cfg().mode == Mode::Bearer && self.cfg().refresh_token_in == RefreshTokenIn::Body
    }

    /// Same work for known and unknown users: one hash, one constant-time compare.
    fn check_password(&self, user: &str, password: &str) -> bool {
        let given = sha256(password.as_bytes());
        let (expected, known) = match self.0.users.get(user) {
            Some(h) => (h, true),
            None => (&self.0.dummy_hash, false),
        };
        bool::from(given.ct_eq(expected)) & known
    }

    fn access_token(&self, user: &str, sid: &str, now: u64) -> String {
        let iat = now / 1000;
        let claims = Claims { sub: user.into(), sid: sid.into(), iat, exp: iat + self.cfg().access_ttl_ms / 1000 };
        sign_jwt(&self.0.key, &claims)
    }

    /// The live session named by a valid, unexpired access token.
    fn session_from_jwt(&self, db: &Db, headers: &HeaderMap, now: u64) -> Option<(String, String)> {
        let claims = verify_jwt(&self.0.key, &bearer_token(headers)?)?;
        if now >= claims.exp.saturating_mul(1000) {
            return None;
        }
        let s = db.sessions.get(&claims.sid)?;
        (s.live(now) && s.user == claims.sub).then_some((claims.sid, claims.sub))
    }

    /// The session id a secret cookie names, if that secret is the session's current one.
    fn session_from_cookie(&self, db: &Db, headers: &HeaderMap, name: &str, now: u64) -> Option<String> {
        let secret = get_cookie(headers, name)?;
        let sid = db.secrets.get(&secret)?;
        let s = db.sessions.get(sid)?;
        (s.live(now) && bool::from(s.current.as_bytes().ct_eq(secret.as_bytes()))).then(|| sid.clone())
    }

    /// The live session of the request: session cookie (cookie mode), else bearer JWT, else refresh cookie.
    fn current_session(&self, db: &Db, headers: &HeaderMap, now: u64) -> Option<String> {
        match self.cfg().mode {
            Mode::Cookie => self.session_from_cookie(db, headers, "session", now),
            Mode::Bearer => self
                .session_from_jwt(db, headers, now)
                .map(|(sid, _)| sid)
                .or_else(|| self.session_from_cookie(db, headers, "refresh_token", now)),
        }
    }
}

fn error(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({ "error": code }))).into_response()
}

fn bad_request() -> Response {
    error(StatusCode::BAD_REQUEST, "bad_request")
}

async fn read_body(body: Body) -> Result<axum::body::Bytes, Response> {
    axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| bad_request())
}

fn with_cookies(mut resp: Response, cookies: impl IntoIterator<Item = HeaderValue>) -> Response {
    for c in cookies {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// Whether the request comes from another origin than this server's: an
/// `Origin` header that is not `scheme://Host` (a cross-site form or fetch
/// riding on the cookies; `Origin: null` included). No `Origin` (a same-origin
/// `GET`, a non-browser client) passes: cookies are `SameSite=Strict` anyway.
fn foreign_origin(headers: &HeaderMap, uri: &Uri) -> bool {
    let Some(origin) = get_header(headers, "origin") else { return false };
    let scheme = if is_https(headers, uri.scheme_str()) { "https" } else { "http" };
    get_header(headers, "host").is_none_or(|host| !origin.eq_ignore_ascii_case(&format!("{scheme}://{host}")))
}

fn forbidden_origin() -> Response {
    error(StatusCode::FORBIDDEN, "origin")
}

/// Whether the body is declared JSON (`application/json`, parameters allowed).
/// A cross-site HTML form cannot send that type without a CORS preflight.
fn is_json(headers: &HeaderMap) -> bool {
    get_header(headers, "content-type").is_some_and(|ct| {
        ct.split(';').next().is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
    })
}

/// Cookie mode: the `X-CSRF-Token` header must equal the `csrf` cookie.
fn csrf_ok(headers: &HeaderMap) -> bool {
    match (get_header(headers, "x-csrf-token"), get_cookie(headers, "csrf")) {
        (Some(h), Some(c)) if !h.is_empty() => bool::from(h.as_bytes().ct_eq(c.as_bytes())),
        _ => false,
    }
}

/// A session's idle deadline (none for a remembered one) and absolute one.
fn deadlines(s: &Session) -> (Option<u64>, u64) {
    ((!s.remember).then(|| s.idle_exp.min(s.abs_exp)), s.abs_exp)
}

async fn demo_config(State(app): State<App>) -> Json<Value> {
    let c = app.cfg();
    Json(json!({
        "mode": c.mode.as_str(),
        "refreshToken": (c.mode == Mode::Bearer).then(|| c.refresh_token_in.as_str()),
        "accessTtlMs": c.access_ttl_ms,
        "idleTimeoutMs": c.idle_timeout_ms,
        "absoluteTimeoutMs": c.absolute_timeout_ms,
    }))
}

async fn debug_stats(State(app): State<App>) -> Json<Stats> {
    Json(app.stats())
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
    /// "Remember me": the session outlives the browser.
    #[serde(default)]
    remember_me: bool,
}

/// `POST /auth/login`: JSON only, from this origin only (login CSRF: a
/// cross-site `text/plain` form must not sign the browser in as somebody else).
async fn login(State(app): State<App>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    if foreign_origin(&headers, &uri) {
        return forbidden_origin();
    }
    if !is_json(&headers) {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "json_required");
    }
    let bytes = match read_body(body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Ok(req) = serde_json::from_slice::<LoginRequest>(&bytes) else {
        return bad_request();
    };
    if !app.check_password(&req.username, &req.password) {
        return error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let secure = is_https(&headers, uri.scheme_str());
    let now = app.0.clock.now_ms();
    let cfg = app.cfg();
    // Always a brand-new id and secret: whatever the request presented is ignored (no fixation).
    let sid = token::random_hex();
    let secret = token::random_hex();
    let remember = req.remember_me;
    let abs_exp = now + if remember { cfg.remember_me_ms } else { cfg.absolute_timeout_ms };
    let mut session = Session {
        user: req.username.clone(),
        current: secret.clone(),
        issued_at: now,
        last_keepalive_at: None,
        csrf: token::random_hex(),
        idle_exp: abs_exp,
        abs_exp,
        revoked: false,
        remember,
    };
    session.touch(now, cfg.idle_timeout_ms);
    let (idle, abs) = deadlines(&session);
    let life = session.cookie_life(now);
    let csrf = session.csrf.clone();
    {
        let mut db = app.db();
        db.sweep(now);
        db.stats.logins += 1;
        db.secrets.insert(secret.clone(), sid.clone());
        db.sessions.insert(sid.clone(), session);
    }
    match cfg.mode {
        Mode::Bearer => {
            let mut body = json!({
                "access_token": app.access_token(&req.username, &sid, now),
                "token_type": "Bearer",
                "expires_in": cfg.access_ttl_ms / 1000,
                "user": req.username,
                "rememberMe": remember,
            });
            if app.refresh_token_in_body() {
                body["refresh_token"] = json!(secret);
                return Json(body).into_response();
            }
            with_cookies(
                Json(body).into_response(),
                [lasting_cookie("refresh_token", Some(&secret), "/auth", true, secure, life)],
            )
        }
        Mode::Cookie => {
            let body = json!({
                "user": req.username,
                "idleExpiresAt": idle,
                "absoluteExpiresAt": abs,
                "rememberMe": remember,
            });
            with_cookies(
                Json(body).into_response(),
                [
                    lasting_cookie("session", Some(&secret), "/", true, secure, life),
                    lasting_cookie("csrf", Some(&csrf), "/", false, secure, life),
                ],
            )
        }
    }
}

#[derive(Deserialize)]
struct RefreshRequest {
    refresh_token: Option<String>,
}

/// The refresh token from the body (JSON or form), if any. `Err` for a malformed body.
fn refresh_token_from_body(headers: &HeaderMap, bytes: &[u8]) -> Result<Option<String>, ()> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let is_form = get_header(headers, "content-type")
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let token = if is_form {
        serde_urlencoded::from_bytes::<HashMap<String, String>>(bytes).map_err(|_| ())?.remove("refresh_token")
    } else {
        serde_json::from_slice::<RefreshRequest>(bytes).map_err(|_| ())?.refresh_token
    };
    Ok(token.filter(|t| !t.is_empty()))
}

async fn refresh(State(app): State<App>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    if app.cfg().mode != Mode::Bearer {
        return error(StatusCode::NOT_FOUND, "wrong_mode");
    }
    if foreign_origin(&headers, &uri) {
        return forbidden_origin();
    }
    let bytes = match read_body(body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Ok(from_body) = refresh_token_from_body(&headers, &bytes) else {
        return bad_request();
    };
    let in_body = from_body.is_some();
    // In body mode the token must come from the client's memory: a cookie is never read.
    let from_cookie = || (!app.refresh_token_in_body()).then(|| get_cookie(&headers, "refresh_token")).flatten();
    let Some(presented) = from_body.or_else(from_cookie) else {
        return error(StatusCode::UNAUTHORIZED, "invalid_grant");
    };
    let now = app.0.clock.now_ms();
    let idle_timeout = app.cfg().idle_timeout_ms;
    let mut db = app.db();
    let Some(sid) = db.secrets.get(&presented).cloned() else {
        return error(StatusCode::UNAUTHORIZED, "invalid_grant");
    };
    let Some(s) = db.sessions.get_mut(&sid) else {
        return error(StatusCode::UNAUTHORIZED, "invalid_grant");
    };
    if !s.live(now) {
        return error(StatusCode::UNAUTHORIZED, "invalid_grant");
    }
    if !bool::from(s.current.as_bytes().ct_eq(presented.as_bytes())) {
        // A rotated-out token came back: someone else holds the family. Kill it.
        db.stats.reuse_detected += 1;
        db.revoke(&sid);
        return error(StatusCode::UNAUTHORIZED, "invalid_grant");
    }
    let age = now.saturating_sub(s.issued_at);
    let next = token::random_hex();
    s.current = next.clone();
    s.issued_at = now;
    s.touch(now, idle_timeout);
    let (user, life, remember) = (s.user.clone(), s.cookie_life(now), s.remember);
    db.secrets.insert(next.clone(), sid.clone());
    db.stats.refreshes += 1;
    db.stats.refreshes_from_body += u64::from(in_body);
    record(&mut db.stats.refresh_token_ages_ms, age);
    drop(db);
    let mut body = json!({
        "access_token": app.access_token(&user, &sid, now),
        "token_type": "Bearer",
        "expires_in": app.cfg().access_ttl_ms / 1000,
        "user": user,
        "rememberMe": remember,
    });
    if in_body {
        body["refresh_token"] = json!(next);
    }
    if app.refresh_token_in_body() {
        return Json(body).into_response();
    }
    let secure = is_https(&headers, uri.scheme_str());
    with_cookies(
        Json(body).into_response(),
        [lasting_cookie("refresh_token", Some(&next), "/auth", true, secure, life)],
    )
}

async fn keepalive(State(app): State<App>, uri: Uri, headers: HeaderMap) -> Response {
    if app.cfg().mode != Mode::Cookie {
        return error(StatusCode::NOT_FOUND, "wrong_mode");
    }
    if foreign_origin(&headers, &uri) {
        return forbidden_origin();
    }
    if !csrf_ok(&headers) {
        return error(StatusCode::FORBIDDEN, "csrf");
    }
    let now = app.0.clock.now_ms();
    let idle_timeout = app.cfg().idle_timeout_ms;
    let mut db = app.db();
    let Some(sid) = app.session_from_cookie(&db, &headers, "session", now) else {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    };
    let Some(s) = db.sessions.get_mut(&sid) else {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    };
    if get_cookie(&headers, "csrf").is_none_or(|c| !bool::from(c.as_bytes().ct_eq(s.csrf.as_bytes()))) {
        return error(StatusCode::FORBIDDEN, "csrf");
    }
    s.touch(now, idle_timeout);
    let gap = s.last_keepalive_at.replace(now).map(|last| now.saturating_sub(last));
    let (idle, abs) = deadlines(s);
    let remember = s.remember;
    db.stats.keepalives += 1;
    if let Some(gap) = gap {
        record(&mut db.stats.keepalive_gaps_ms, gap);
    }
    Json(json!({ "signedIn": true, "idleExpiresAt": idle, "absoluteExpiresAt": abs, "rememberMe": remember }))
        .into_response()
}

async fn session(State(app): State<App>, headers: HeaderMap) -> Response {
    // Without a cookie, a bodiless GET cannot name a session.
    if app.refresh_token_in_body() {
        return error(StatusCode::NOT_FOUND, "wrong_mode");
    }
    let now = app.0.clock.now_ms();
    let db = app.db();
    let name = match app.cfg().mode {
        Mode::Cookie => "session",
        Mode::Bearer => "refresh_token",
    };
    match app.session_from_cookie(&db, &headers, name, now).and_then(|sid| db.sessions.get(&sid)) {
        Some(s) => {
            let (idle, abs) = deadlines(s);
            Json(json!({
                "signedIn": true,
                "user": s.user,
                "idleExpiresAt": idle,
                "absoluteExpiresAt": abs,
                "rememberMe": s.remember,
            }))
            .into_response()
        }
        None => Json(json!({ "signedIn": false, "user": null, "idleExpiresAt": null, "absoluteExpiresAt": null }))
            .into_response(),
    }
}

fn clear_cookies(app: &App, headers: &HeaderMap, uri: &Uri, resp: Response) -> Response {
    let secure = is_https(headers, uri.scheme_str());
    match app.cfg().mode {
        Mode::Bearer if app.refresh_token_in_body() => resp,
        Mode::Bearer => with_cookies(resp, [set_cookie("refresh_token", None, "/auth", true, secure)]),
        Mode::Cookie => with_cookies(
            resp,
            [set_cookie("session", None, "/", true, secure), set_cookie("csrf", None, "/", false, secure)],
        ),
    }
}

async fn logout(State(app): State<App>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    if foreign_origin(&headers, &uri) {
        return forbidden_origin();
    }
    // Logout always works: an unreadable body just names no token.
    let from_body = match read_body(body).await {
        Ok(bytes) => refresh_token_from_body(&headers, &bytes).ok().flatten(),
        Err(_) => None,
    };
    let mut db = app.db();
    let sid = match app.cfg().mode {
        Mode::Cookie => {
            let secret = get_cookie(&headers, "session");
            if secret.is_some() && !csrf_ok(&headers) {
                return error(StatusCode::FORBIDDEN, "csrf");
            }
            secret.and_then(|s| db.secrets.get(&s).cloned())
        }
        // Logout accepts an expired (but genuine) access token, or any refresh token of
        // the family (in the body, as the SDK sends the one it holds, or the cookie).
        Mode::Bearer => bearer_token(&headers).and_then(|t| verify_jwt(&app.0.key, &t)).map(|c| c.sid).or_else(|| {
            from_body.or_else(|| get_cookie(&headers, "refresh_token")).and_then(|s| db.secrets.get(&s).cloned())
        }),
    };
    if let Some(sid) = sid {
        db.revoke(&sid);
    }
    drop(db);
    clear_cookies(&app, &headers, &uri, StatusCode::NO_CONTENT.into_response())
}

async fn logout_all(State(app): State<App>, uri: Uri, headers: HeaderMap) -> Response {
    if foreign_origin(&headers, &uri) {
        return forbidden_origin();
    }
    if app.cfg().mode == Mode::Cookie && get_cookie(&headers, "session").is_some() && !csrf_ok(&headers) {
        return error(StatusCode::FORBIDDEN, "csrf");
    }
    let now = app.0.clock.now_ms();
    let mut db = app.db();
    let Some(user) =
        app.current_session(&db, &headers, now).and_then(|sid| db.sessions.get(&sid)).map(|s| s.user.clone())
    else {
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    };
    let sids: Vec<String> = db.sessions.iter().filter(|(_, s)| s.user == user).map(|(id, _)| id.clone()).collect();
    for sid in sids {
        db.revoke(&sid);
    }
    drop(db);
    clear_cookies(&app, &headers, &uri, StatusCode::NO_CONTENT.into_response())
}

async fn profile(State(app): State<App>, headers: HeaderMap) -> Response {
    let now = app.0.clock.now_ms();
    let db = app.db();
    let found = match app.cfg().mode {
        Mode::Bearer => app.session_from_jwt(&db, &headers, now),
        Mode::Cookie => app
            .session_from_cookie(&db, &headers, "session", now)
            .and_then(|sid| db.sessions.get(&sid).map(|s| (sid, s.user.clone()))),
    };
    match found {
        Some((sid, user)) => Json(json!({ "user": user, "sessionId": sid, "serverTime": now })).into_response(),
        None => error(StatusCode::UNAUTHORIZED, "unauthorized"),
    }
}

async fn no_store(mut resp: Response) -> Response {
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The whole HTTP surface: API routes (all `Cache-Control: no-store`), `/pkg/*`, static files.
pub fn router(app: App) -> Router {
    let static_dir = ServeDir::new(&app.cfg().static_dir);
    let pkg_dir = ServeDir::new(&app.cfg().pkg_dir);
    Router::new()
        .route("/demo/config", get(demo_config))
        .route("/debug/stats", get(debug_stats))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/keepalive", post(keepalive))
        .route("/auth/session", get(session))
        .route("/auth/logout", post(logout))
        .route("/auth/logout-all", post(logout_all))
        .route("/api/profile", get(profile))
        .merge(debug::routes())
        .merge(monitor::routes())
        .layer(axum::middleware::map_response(no_store))
        .nest_service("/pkg", pkg_dir)
        .fallback_service(static_dir)
        .with_state(app)
}
