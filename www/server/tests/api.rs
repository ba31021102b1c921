//! Drives the router in-process with a manual clock.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use wasm_session_server::{router, App, Clock, Config, Mode, RefreshTokenIn, MAX_BODY_BYTES, RECENT_SAMPLES};

const T0: u64 = 1_700_000_000_000;

struct Server {
    router: Router,
    clock: Clock,
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    json: Value,
}

impl Resp {
    /// `name=value` of a `Set-Cookie` header for `name`, with its attributes.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }
    fn cookie_value(&self, name: &str) -> String {
        let c = self.set_cookie(name).unwrap_or_else(|| panic!("no Set-Cookie {name}"));
        c.split(';').next().unwrap()[name.len() + 1..].to_string()
    }
}

fn server(mode: Mode) -> Server {
    server_with(mode, RefreshTokenIn::Cookie)
}

/// Bearer mode with the refresh token in JSON bodies.
fn body_server() -> Server {
    server_with(Mode::Bearer, RefreshTokenIn::Body)
}

fn server_with(mode: Mode, refresh_token_in: RefreshTokenIn) -> Server {
    let cfg = Config {
        mode,
        refresh_token_in,
        access_ttl_ms: 30_000,
        idle_timeout_ms: 300_000,
        absolute_timeout_ms: 3_600_000,
        static_dir: "/nonexistent-static".into(),
        pkg_dir: "/nonexistent-pkg".into(),
        ..Config::default()
    };
    let clock = Clock::manual(T0);
    Server { router: router(App::new(cfg, clock.clone())), clock }
}

impl Server {
    async fn send(&self, req: Request<Body>) -> Resp {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        Resp { status, headers, json }
    }

    async fn call(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: Option<&str>) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        if body.is_some() {
            b = b.header(header::CONTENT_TYPE, "application/json");
        }
        self.send(b.body(Body::from(body.unwrap_or("").to_string())).unwrap()).await
    }

    async fn login(&self, user: &str, pw: &str) -> Resp {
        let body = json!({ "username": user, "password": pw }).to_string();
        self.call("POST", "/auth/login", &[], Some(&body)).await
    }

    async fn stats(&self) -> Value {
        self.call("GET", "/debug/stats", &[], None).await.json
    }
}

async fn session_id(s: &Server, login: &Resp) -> Value {
    let auth = format!("Bearer {}", login.json["access_token"].as_str().unwrap());
    s.call("GET", "/api/profile", &[("authorization", &auth)], None).await.json["sessionId"].clone()
}

fn cookie(name: &str, value: &str) -> String {
    format!("{name}={value}")
}

// ---------- common ----------

#[tokio::test]
async fn demo_config_reports_settings() {
    let s = server(Mode::Cookie);
    let r = s.call("GET", "/demo/config", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json,
        json!({
            "mode": "cookie",
            "refreshToken": null,
            "accessTtlMs": 30000,
            "idleTimeoutMs": 300000,
            "absoluteTimeoutMs": 3600000
        })
    );
    let bearer = server(Mode::Bearer).call("GET", "/demo/config", &[], None).await.json;
    assert_eq!((&bearer["mode"], &bearer["refreshToken"]), (&json!("bearer"), &json!("cookie")));
    assert_eq!(body_server().call("GET", "/demo/config", &[], None).await.json["refreshToken"], "body");
}

#[tokio::test]
async fn login_bad_password_and_unknown_user() {
    let s = server(Mode::Bearer);
    for (u, p) in [("alice", "wrong"), ("mallory", "alice"), ("alice", "")] {
        let r = s.login(u, p).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json, json!({ "error": "invalid_credentials" }));
        assert!(r.set_cookie("refresh_token").is_none());
    }
    assert_eq!(s.stats().await["logins"], 0);
}

#[tokio::test]
async fn malformed_requests_are_400() {
    let s = server(Mode::Bearer);
    let big = format!("{{\"username\":\"{}\",\"password\":\"x\"}}", "a".repeat(MAX_BODY_BYTES + 1));
    for body in ["{not json", "[]", "null", r#"{"username":"alice"}"#, r#"{"username":1,"password":"alice"}"#, "", &big]
    {
        let r = s.call("POST", "/auth/login", &[], Some(body)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "body {:.40}", body);
        assert_eq!(r.json, json!({ "error": "bad_request" }));
    }
    for body in ["{", r#"{"refresh_token":5}"#, "[1]"] {
        let r = s.call("POST", "/auth/refresh", &[], Some(body)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "refresh body {body}");
    }
    let r =
        s.call("POST", "/auth/refresh", &[], Some(&format!("{{\"refresh_token\":\"{}\"}}", "x".repeat(20_000)))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Garbage auth material is a 401, not a 500.
    let r = s.call("GET", "/api/profile", &[("authorization", "Bearer a.b.c")], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn api_responses_are_no_store_and_static_misses_404() {
    let s = server(Mode::Bearer);
    let r = s.call("GET", "/auth/session", &[], None).await;
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let r = s.call("GET", "/api/profile", &[], None).await;
    assert_eq!(r.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert_eq!(s.call("GET", "/", &[], None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.call("GET", "/pkg/wasm_session.js", &[], None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn static_files_are_served() {
    let dir = std::env::temp_dir().join(format!("wss-static-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(dir.join("pkg/x.js"), "export {}").unwrap();
    let cfg = Config { static_dir: dir.clone(), pkg_dir: dir.join("pkg"), ..Config::default() };
    let s = Server { router: router(App::new(cfg, Clock::manual(T0))), clock: Clock::manual(T0) };
    let r = s.send(Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/html"));
    let r = s.send(Request::get("/pkg/x.js").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    std::fs::remove_dir_all(&dir).ok();
}

// ---------- bearer mode ----------

#[tokio::test]
async fn bearer_login_profile_and_session() {
    let s = server(Mode::Bearer);
    let r = s.login("alice", "alice").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["expires_in"], 30);
    assert_eq!(r.json["user"], "alice");
    assert!(r.json.get("refresh_token").is_none(), "refresh token only in the HttpOnly cookie");
    let sc = r.set_cookie("refresh_token").unwrap();
    assert!(sc.contains("HttpOnly") && sc.contains("SameSite=Strict") && sc.contains("Path=/auth"), "{sc}");
    assert!(!sc.contains("Secure"), "plain http: no Secure");
    let rt = r.cookie_value("refresh_token");
    assert_eq!(rt.len(), 32);
    let at = r.json["access_token"].as_str().unwrap().to_string();
    let auth = format!("Bearer {at}");

    let p = s.call("GET", "/api/profile", &[("authorization", &auth)], None).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.json["user"], "alice");
    assert_eq!(p.json["serverTime"], T0);
    assert_eq!(s.call("GET", "/api/profile", &[], None).await.json, json!({ "error": "unauthorized" }));

    let sess = s.call("GET", "/auth/session", &[("cookie", &cookie("refresh_token", &rt))], None).await;
    assert_eq!(sess.status, StatusCode::OK);
    assert_eq!(sess.json["signedIn"], true);
    assert_eq!(sess.json["user"], "alice");
    assert_eq!(sess.json["idleExpiresAt"], T0 + 300_000);
    assert_eq!(sess.json["absoluteExpiresAt"], T0 + 3_600_000);
    let anon = s.call("GET", "/auth/session", &[], None).await;
    assert_eq!(anon.status, StatusCode::OK);
    assert_eq!(anon.json["signedIn"], false);

    // Access token expires after its ttl.
    s.clock.advance(30_000);
    assert_eq!(s.call("GET", "/api/profile", &[("authorization", &auth)], None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn secure_cookie_behind_https_proxy() {
    let s = server(Mode::Bearer);
    let body = json!({ "username": "alice", "password": "alice" }).to_string();
    let r = s.call("POST", "/auth/login", &[("x-forwarded-proto", "https")], Some(&body)).await;
    assert!(r.set_cookie("refresh_token").unwrap().contains("; Secure"));
}

#[tokio::test]
async fn fixation_new_session_every_login() {
    let s = server(Mode::Bearer);
    let a = s.login("alice", "alice").await;
    let rt_a = a.cookie_value("refresh_token");
    let body = json!({ "username": "alice", "password": "alice" }).to_string();
    let b = s.call("POST", "/auth/login", &[("cookie", &cookie("refresh_token", &rt_a))], Some(&body)).await;
    assert_ne!(a.cookie_value("refresh_token"), b.cookie_value("refresh_token"));
    let (sa, sb) = (session_id(&s, &a).await, session_id(&s, &b).await);
    assert!(sa.is_string());
    assert_ne!(sa, sb);

    let c = server(Mode::Cookie);
    let a = c.login("alice", "alice").await;
    let presented = cookie("session", &a.cookie_value("session"));
    let b = c.call("POST", "/auth/login", &[("cookie", &presented)], Some(&body)).await;
    assert_ne!(a.cookie_value("session"), b.cookie_value("session"));
    assert_ne!(a.cookie_value("csrf"), b.cookie_value("csrf"));
}

#[tokio::test]
async fn refresh_rotation_and_reuse_detection() {
    let s = server(Mode::Bearer);
    let rt1 = s.login("alice", "alice").await.cookie_value("refresh_token");

    s.clock.advance(1_000);
    let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &rt1))], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json["access_token"].is_string());
    assert!(r.json.get("refresh_token").is_none(), "came in a cookie: answered in a cookie only");
    let rt2 = r.cookie_value("refresh_token");
    assert_ne!(rt1, rt2);
    let at2 = format!("Bearer {}", r.json["access_token"].as_str().unwrap());
    // Refresh counts as activity: idle deadline moves.
    let sess = s.call("GET", "/auth/session", &[("cookie", &cookie("refresh_token", &rt2))], None).await;
    assert_eq!(sess.json["idleExpiresAt"], T0 + 1_000 + 300_000);

    // Body form of the token: the rotated token also comes back in the JSON.
    let r = s.call("POST", "/auth/refresh", &[], Some(&json!({ "refresh_token": rt2 }).to_string())).await;
    assert_eq!(r.status, StatusCode::OK);
    let rt3 = r.json["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(rt3, r.cookie_value("refresh_token"));

    // Replaying rt1 (already rotated) revokes the whole family.
    let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &rt1))], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json, json!({ "error": "invalid_grant" }));
    let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &rt3))], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the newest token of a revoked family is dead too");
    assert_eq!(r.json["error"], "invalid_grant");
    assert_eq!(s.call("GET", "/api/profile", &[("authorization", &at2)], None).await.status, StatusCode::UNAUTHORIZED);

    let st = s.stats().await;
    assert_eq!(st["refreshes"], 2);
    assert_eq!(st["refreshesFromBody"], 1);
    assert_eq!(st["reuseDetected"], 1);
    assert_eq!(st["revokedFamilies"], 1);
    assert_eq!(st["refreshTokenAgesMs"], json!([1_000, 0]), "rt2 was refreshed the moment it was issued");
}

#[tokio::test]
async fn stats_record_how_old_each_rotated_refresh_token_was() {
    let s = server(Mode::Bearer);
    assert_eq!(s.stats().await["refreshTokenAgesMs"], json!([]), "nothing rotated yet");
    let mut rt = s.login("alice", "alice").await.cookie_value("refresh_token");
    for wait in [1_000, 1_500, 250] {
        s.clock.advance(wait);
        let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &rt))], None).await;
        assert_eq!(r.status, StatusCode::OK);
        rt = r.cookie_value("refresh_token");
    }
    assert_eq!(s.stats().await["refreshTokenAgesMs"], json!([1_000, 1_500, 250]));
    // A refused (reused) token is not a rotation.
    let login = s.login("bob", "bob").await.cookie_value("refresh_token");
    s.clock.advance(2_000);
    let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &login))], None).await;
    assert_ne!(r.cookie_value("refresh_token"), login);
    let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &login))], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.stats().await["refreshTokenAgesMs"], json!([1_000, 1_500, 250, 2_000]));
    // Only the most recent samples are kept.
    for _ in 0..RECENT_SAMPLES {
        s.clock.advance(10);
        let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &rt))], None).await;
        rt = r.cookie_value("refresh_token");
    }
    let ages = s.stats().await["refreshTokenAgesMs"].as_array().unwrap().clone();
    assert_eq!(ages.len(), RECENT_SAMPLES);
    assert_eq!(ages[0], 2_010, "alice's token waited through bob's refresh; the older samples are gone");
    assert!(ages[1..].iter().all(|age| *age == 10));
}

#[tokio::test]
async fn refresh_form_body_oauth2_style() {
    let s = server(Mode::Bearer);
    let rt = s.login("bob", "bob").await.cookie_value("refresh_token");
    let req = Request::post("/auth/refresh")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("grant_type=refresh_token&client_id=app&refresh_token={rt}")))
        .unwrap();
    let r = s.send(req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["user"], "bob");
    assert!(r.json["refresh_token"].is_string());
}

#[tokio::test]
async fn refresh_without_or_with_unknown_token_is_401() {
    let s = server(Mode::Bearer);
    let r = s.call("POST", "/auth/refresh", &[], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json, json!({ "error": "invalid_grant" }));
    let r = s.call("POST", "/auth/refresh", &[("cookie", "refresh_token=deadbeef")], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.stats().await["reuseDetected"], 0);
}

#[tokio::test]
async fn bearer_idle_and_absolute_expiry() {
    let s = server(Mode::Bearer);
    let rt = s.login("alice", "alice").await.cookie_value("refresh_token");
    s.clock.advance(300_000);
    let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &rt))], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "idle timeout passed");
    let sess = s.call("GET", "/auth/session", &[("cookie", &cookie("refresh_token", &rt))], None).await;
    assert_eq!(sess.json["signedIn"], false);

    // Absolute: refreshing every 4 minutes keeps it alive until the hour is up.
    let mut rt = s.login("alice", "alice").await.cookie_value("refresh_token");
    for _ in 0..14 {
        s.clock.advance(240_000);
        let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &rt))], None).await;
        assert_eq!(r.status, StatusCode::OK);
        rt = r.cookie_value("refresh_token");
    }
    s.clock.advance(240_000); // 60 minutes after login
    let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &rt))], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "absolute timeout passed");
}

#[tokio::test]
async fn bearer_logout_revokes() {
    let s = server(Mode::Bearer);
    let r = s.login("alice", "alice").await;
    let rt = r.cookie_value("refresh_token");
    let auth = format!("Bearer {}", r.json["access_token"].as_str().unwrap());
    let out = s.call("POST", "/auth/logout", &[("authorization", &auth)], None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.set_cookie("refresh_token").unwrap().contains("Max-Age=0"));
    assert_eq!(s.call("GET", "/api/profile", &[("authorization", &auth)], None).await.status, StatusCode::UNAUTHORIZED);
    let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &rt))], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.stats().await["revokedFamilies"], 1);

    // Logout with only the refresh cookie works as well.
    let rt = s.login("alice", "alice").await.cookie_value("refresh_token");
    let out = s.call("POST", "/auth/logout", &[("cookie", &cookie("refresh_token", &rt))], None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &rt))], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bearer_logout_all_revokes_every_session_of_the_user() {
    let s = server(Mode::Bearer);
    let a1 = s.login("alice", "alice").await;
    let a2 = s.login("alice", "alice").await;
    let b = s.login("bob", "bob").await;
    let auth1 = format!("Bearer {}", a1.json["access_token"].as_str().unwrap());
    let auth_b = format!("Bearer {}", b.json["access_token"].as_str().unwrap());
    assert_eq!(s.call("POST", "/auth/logout-all", &[], None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        s.call("POST", "/auth/logout-all", &[("authorization", &auth1)], None).await.status,
        StatusCode::NO_CONTENT
    );
    for r in [&a1, &a2] {
        let c = cookie("refresh_token", &r.cookie_value("refresh_token"));
        assert_eq!(s.call("POST", "/auth/refresh", &[("cookie", &c)], None).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        s.call("GET", "/api/profile", &[("authorization", &auth1)], None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(s.call("GET", "/api/profile", &[("authorization", &auth_b)], None).await.status, StatusCode::OK);
    assert_eq!(s.stats().await["revokedFamilies"], 2);
}

// ---------- bearer mode, refresh token in the body ----------

fn refresh_body(token: &str) -> String {
    json!({ "refresh_token": token }).to_string()
}

#[tokio::test]
async fn body_mode_hands_out_the_refresh_token_in_json_only() {
    let s = body_server();
    let r = s.login("alice", "alice").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get(header::SET_COOKIE).is_none(), "no cookie at all");
    assert!(r.json["access_token"].is_string());
    assert_eq!(r.json["expires_in"], 30);
    let rt1 = r.json["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(rt1.len(), 32);

    s.clock.advance(1_000);
    let r = s.call("POST", "/auth/refresh", &[], Some(&refresh_body(&rt1))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get(header::SET_COOKIE).is_none(), "rotated in the body only");
    let rt2 = r.json["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt1, rt2);
    let auth = format!("Bearer {}", r.json["access_token"].as_str().unwrap());
    assert_eq!(s.call("GET", "/api/profile", &[("authorization", &auth)], None).await.json["user"], "alice");

    // The current token in a cookie is not read: only memory counts here.
    let r = s.call("POST", "/auth/refresh", &[("cookie", &cookie("refresh_token", &rt2))], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json, json!({ "error": "invalid_grant" }));
    // Nor can a bodiless session check name a session.
    let r = s.call("GET", "/auth/session", &[("cookie", &cookie("refresh_token", &rt2))], None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let st = s.stats().await;
    assert_eq!((&st["refreshes"], &st["refreshesFromBody"]), (&json!(1), &json!(1)));
    assert_eq!((&st["reuseDetected"], &st["revokedFamilies"]), (&json!(0), &json!(0)));
    assert_eq!(st["refreshTokenAgesMs"], json!([1_000]));
}

#[tokio::test]
async fn body_mode_reuse_of_a_rotated_token_revokes_the_family() {
    let s = body_server();
    let login = s.login("alice", "alice").await;
    let rt1 = login.json["refresh_token"].as_str().unwrap().to_string();
    let r = s.call("POST", "/auth/refresh", &[], Some(&refresh_body(&rt1))).await;
    let rt2 = r.json["refresh_token"].as_str().unwrap().to_string();
    let at2 = format!("Bearer {}", r.json["access_token"].as_str().unwrap());
    let r = s.call("POST", "/auth/refresh", &[], Some(&refresh_body(&rt2))).await;
    let rt3 = r.json["refresh_token"].as_str().unwrap().to_string();

    // A tab that missed the hand-over presents rt2 from memory.
    let r = s.call("POST", "/auth/refresh", &[], Some(&refresh_body(&rt2))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json, json!({ "error": "invalid_grant" }));
    let r = s.call("POST", "/auth/refresh", &[], Some(&refresh_body(&rt3))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the newest token of a revoked family is dead too");
    assert_eq!(s.call("GET", "/api/profile", &[("authorization", &at2)], None).await.status, StatusCode::UNAUTHORIZED);

    // The form body (OAuth 2.0 style) is read the same way.
    let rt = s.login("bob", "bob").await.json["refresh_token"].as_str().unwrap().to_string();
    let form = |token: &str| {
        Request::post("/auth/refresh")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("grant_type=refresh_token&refresh_token={token}")))
            .unwrap()
    };
    assert_eq!(s.send(form(&rt)).await.status, StatusCode::OK);
    assert_eq!(s.send(form(&rt)).await.status, StatusCode::UNAUTHORIZED, "rotated out");

    let st = s.stats().await;
    assert_eq!(st["refreshes"], 3);
    assert_eq!(st["reuseDetected"], 2);
    assert_eq!(st["revokedFamilies"], 2);
}

#[tokio::test]
async fn body_mode_logout_by_access_token_or_by_the_refresh_token_in_the_body() {
    let s = body_server();
    let r = s.login("alice", "alice").await;
    let rt = r.json["refresh_token"].as_str().unwrap().to_string();
    let auth = format!("Bearer {}", r.json["access_token"].as_str().unwrap());
    let out = s.call("POST", "/auth/logout", &[("authorization", &auth)], Some(&refresh_body(&rt))).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.headers.get(header::SET_COOKIE).is_none());
    assert_eq!(s.call("POST", "/auth/refresh", &[], Some(&refresh_body(&rt))).await.status, StatusCode::UNAUTHORIZED);

    // Only the refresh token (as the SDK sends it when it holds one).
    let rt = s.login("alice", "alice").await.json["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(s.call("POST", "/auth/logout", &[], Some(&refresh_body(&rt))).await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.call("POST", "/auth/refresh", &[], Some(&refresh_body(&rt))).await.status, StatusCode::UNAUTHORIZED);
    // A garbled body does not stop a logout.
    assert_eq!(s.call("POST", "/auth/logout", &[], Some("{")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.stats().await["revokedFamilies"], 2);
}

// ---------- cookie mode ----------

struct CookieLogin {
    session: String,
    csrf: String,
}

impl CookieLogin {
    fn cookies(&self) -> String {
        format!("session={}; csrf={}", self.session, self.csrf)
    }
}

async fn cookie_login(s: &Server, user: &str) -> CookieLogin {
    let r = s.login(user, user).await;
    assert_eq!(r.status, StatusCode::OK);
    let sc = r.set_cookie("session").unwrap();
    assert!(sc.contains("HttpOnly") && sc.contains("SameSite=Strict") && sc.contains("Path=/"), "{sc}");
    let cc = r.set_cookie("csrf").unwrap();
    assert!(!cc.contains("HttpOnly") && cc.contains("SameSite=Strict"), "{cc}");
    assert_eq!(r.json["user"], user);
    assert_eq!(r.json["absoluteExpiresAt"], s.clock.now_ms() + 3_600_000);
    CookieLogin { session: r.cookie_value("session"), csrf: r.cookie_value("csrf") }
}

#[tokio::test]
async fn cookie_keepalive_requires_csrf() {
    let s = server(Mode::Cookie);
    let l = cookie_login(&s, "alice").await;
    let cookies = l.cookies();
    let r = s.call("POST", "/auth/keepalive", &[("cookie", &cookies)], None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json, json!({ "error": "csrf" }));
    let r = s.call("POST", "/auth/keepalive", &[("cookie", &cookies), ("x-csrf-token", "forged")], None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    s.clock.advance(10_000);
    let r = s.call("POST", "/auth/keepalive", &[("cookie", &cookies), ("x-csrf-token", &l.csrf)], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["signedIn"], true);
    assert_eq!(r.json["idleExpiresAt"], T0 + 10_000 + 300_000);
    assert_eq!(r.json["absoluteExpiresAt"], T0 + 3_600_000);
    assert_eq!(s.stats().await["keepalives"], 1);
    assert_eq!(s.stats().await["keepaliveGapsMs"], json!([]), "one keepalive has no gap");
    for wait in [10_000, 12_000, 4_000] {
        s.clock.advance(wait);
        let r = s.call("POST", "/auth/keepalive", &[("cookie", &cookies), ("x-csrf-token", &l.csrf)], None).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(s.stats().await["keepaliveGapsMs"], json!([10_000, 12_000, 4_000]));

    // CSRF right but no (or an unknown) session: 401.
    let r = s
        .call("POST", "/auth/keepalive", &[("cookie", &format!("csrf={}", l.csrf)), ("x-csrf-token", &l.csrf)], None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cookie_session_profile_and_idle_expiry() {
    let s = server(Mode::Cookie);
    let l = cookie_login(&s, "alice").await;
    let cookies = l.cookies();
    let sess = s.call("GET", "/auth/session", &[("cookie", &cookies)], None).await;
    assert_eq!(sess.json["signedIn"], true);
    assert_eq!(sess.json["user"], "alice");
    let p = s.call("GET", "/api/profile", &[("cookie", &cookies)], None).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.json["user"], "alice");
    assert_ne!(p.json["sessionId"].as_str().unwrap(), l.session, "the HttpOnly secret is never exposed");
    assert_eq!(s.call("GET", "/api/profile", &[], None).await.status, StatusCode::UNAUTHORIZED);

    // API calls are not activity: idle expiry still hits at login + 5 min.
    s.clock.advance(299_999);
    assert_eq!(s.call("GET", "/api/profile", &[("cookie", &cookies)], None).await.status, StatusCode::OK);
    s.clock.advance(1);
    assert_eq!(s.call("GET", "/api/profile", &[("cookie", &cookies)], None).await.status, StatusCode::UNAUTHORIZED);
    let sess = s.call("GET", "/auth/session", &[("cookie", &cookies)], None).await;
    assert_eq!(sess.status, StatusCode::OK);
    assert_eq!(sess.json["signedIn"], false);
    let r = s.call("POST", "/auth/keepalive", &[("cookie", &cookies), ("x-csrf-token", &l.csrf)], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cookie_logout_needs_csrf_and_revokes() {
    let s = server(Mode::Cookie);
    let l = cookie_login(&s, "alice").await;
    let cookies = l.cookies();
    assert_eq!(s.call("POST", "/auth/logout", &[("cookie", &cookies)], None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.call("GET", "/api/profile", &[("cookie", &cookies)], None).await.status, StatusCode::OK);
    let r = s.call("POST", "/auth/logout", &[("cookie", &cookies), ("x-csrf-token", &l.csrf)], None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.set_cookie("session").unwrap().contains("Max-Age=0"));
    assert!(r.set_cookie("csrf").unwrap().contains("Max-Age=0"));
    assert_eq!(s.call("GET", "/api/profile", &[("cookie", &cookies)], None).await.status, StatusCode::UNAUTHORIZED);
    let r = s.call("POST", "/auth/keepalive", &[("cookie", &cookies), ("x-csrf-token", &l.csrf)], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cookie_logout_all() {
    let s = server(Mode::Cookie);
    let a1 = cookie_login(&s, "alice").await;
    let a2 = cookie_login(&s, "alice").await;
    let b = cookie_login(&s, "bob").await;
    let r = s.call("POST", "/auth/logout-all", &[("cookie", &a1.cookies())], None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "CSRF needed");
    let r = s.call("POST", "/auth/logout-all", &[("cookie", &a1.cookies()), ("x-csrf-token", &a1.csrf)], None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    for l in [&a1, &a2] {
        let r = s.call("POST", "/auth/keepalive", &[("cookie", &l.cookies()), ("x-csrf-token", &l.csrf)], None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(s.call("GET", "/api/profile", &[("cookie", &b.cookies())], None).await.status, StatusCode::OK);
    assert_eq!(s.stats().await["revokedFamilies"], 2);
}

#[tokio::test]
async fn wrong_mode_endpoints() {
    let s = server(Mode::Cookie);
    assert_eq!(s.call("POST", "/auth/refresh", &[], None).await.status, StatusCode::NOT_FOUND);
    let s = server(Mode::Bearer);
    assert_eq!(s.call("POST", "/auth/keepalive", &[], None).await.status, StatusCode::NOT_FOUND);
}

// ---------- login CSRF: JSON only, and no cross-origin requests on cookies ----------

impl Server {
    /// A `POST` with exactly these headers (no `Content-Type` added).
    async fn post_raw(&self, uri: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        let mut b = Request::builder().method("POST").uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::from(body.to_string())).unwrap()).await
    }
}

const HOST: (&str, &str) = ("host", "app.test:8080");
const OWN: (&str, &str) = ("origin", "http://app.test:8080");
const EVIL: (&str, &str) = ("origin", "https://evil.test");

#[tokio::test]
async fn login_takes_json_only() {
    for mode in [Mode::Bearer, Mode::Cookie] {
        let s = server(mode);
        let body = json!({ "username": "alice", "password": "alice" }).to_string();
        // What a cross-site HTML form can send without a preflight, and no type at all.
        for ct in [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data")] {
            let headers: Vec<(&str, &str)> = ct.map(|ct| ("content-type", ct)).into_iter().collect();
            let r = s.post_raw("/auth/login", &headers, &body).await;
            assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{mode:?} {ct:?}");
            assert_eq!(r.json, json!({ "error": "json_required" }));
            assert!(r.headers.get(header::SET_COOKIE).is_none(), "nobody signed in");
        }
        let r = s.post_raw("/auth/login", &[("content-type", "Application/JSON; charset=utf-8")], &body).await;
        assert_eq!(r.status, StatusCode::OK, "{mode:?}");
        assert_eq!(s.stats().await["logins"], 1);
    }
}

#[tokio::test]
async fn login_from_another_origin_is_refused() {
    let s = server(Mode::Cookie);
    let body = json!({ "username": "alice", "password": "alice" }).to_string();
    for origin in [EVIL, ("origin", "null"), ("origin", "https://app.test:8080"), ("origin", "http://app.test")] {
        let r = s.call("POST", "/auth/login", &[HOST, origin], Some(&body)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin:?}");
        assert_eq!(r.json, json!({ "error": "origin" }));
        assert!(r.headers.get(header::SET_COOKIE).is_none());
    }
    assert_eq!(s.stats().await["logins"], 0);
    assert_eq!(s.call("POST", "/auth/login", &[HOST, OWN], Some(&body)).await.status, StatusCode::OK);
    let https = [HOST, ("origin", "https://app.test:8080"), ("x-forwarded-proto", "https")];
    assert_eq!(s.call("POST", "/auth/login", &https, Some(&body)).await.status, StatusCode::OK);
    // No Origin at all (a non-browser client): allowed.
    assert_eq!(s.login("alice", "alice").await.status, StatusCode::OK);
}

#[tokio::test]
async fn cookie_authenticated_state_changes_from_another_origin_are_refused() {
    // Cookie mode: keepalive, logout and logout-all, even with the CSRF header right.
    let s = server(Mode::Cookie);
    let l = cookie_login(&s, "alice").await;
    let cookies = l.cookies();
    for uri in ["/auth/keepalive", "/auth/logout", "/auth/logout-all"] {
        let r = s.call("POST", uri, &[HOST, EVIL, ("cookie", &cookies), ("x-csrf-token", &l.csrf)], None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}");
        assert_eq!(r.json, json!({ "error": "origin" }));
    }
    assert_eq!(s.call("GET", "/api/profile", &[("cookie", &cookies)], None).await.status, StatusCode::OK);
    let r = s.call("POST", "/auth/logout", &[HOST, OWN, ("cookie", &cookies), ("x-csrf-token", &l.csrf)], None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "from the page's own origin");

    // Bearer mode: the refresh and logout endpoints read the refresh cookie.
    let s = server(Mode::Bearer);
    let rt = s.login("alice", "alice").await.cookie_value("refresh_token");
    let cookie = format!("refresh_token={rt}");
    for uri in ["/auth/refresh", "/auth/logout", "/auth/logout-all"] {
        let r = s.call("POST", uri, &[HOST, EVIL, ("cookie", &cookie)], None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}");
    }
    assert_eq!(s.stats().await["refreshes"], 0);
    let r = s.call("POST", "/auth/refresh", &[HOST, OWN, ("cookie", &cookie)], None).await;
    assert_eq!(r.status, StatusCode::OK, "the family is intact and the page's own refresh works");
}

// ---------- remember me (issue 14) ----------

#[tokio::test]
async fn remember_me_issues_persistent_cookies_and_its_own_lifetime() {
    for mode in [Mode::Cookie, Mode::Bearer] {
        let s = server(mode);
        let plain = s.login("alice", "alice").await;
        let name = if mode == Mode::Cookie { "session" } else { "refresh_token" };
        assert!(!plain.set_cookie(name).unwrap().contains("Max-Age"), "a session cookie without remember me");
        assert_eq!(plain.json["rememberMe"], false);

        let body = json!({ "username": "alice", "password": "alice", "remember_me": true }).to_string();
        let r = s.call("POST", "/auth/login", &[], Some(&body)).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json["rememberMe"], true);
        let lasting = format!("Max-Age={}", 30 * 24 * 3600);
        assert!(r.set_cookie(name).unwrap().contains(&lasting), "{mode:?}: {:?}", r.set_cookie(name));
        let secret = r.cookie_value(name);
        let cookies = match mode {
            Mode::Cookie => format!("session={secret}; csrf={}", r.cookie_value("csrf")),
            Mode::Bearer => format!("refresh_token={secret}"),
        };
        // Hours without activity: no idle timeout, and the session answer says so.
        s.clock.advance(6 * 3_600_000);
        let sess = s.call("GET", "/auth/session", &[("cookie", &cookies)], None).await;
        assert_eq!(sess.json["signedIn"], true, "{mode:?}");
        assert_eq!(sess.json["rememberMe"], true);
        assert_eq!(sess.json["idleExpiresAt"], Value::Null);
        assert_eq!(sess.json["absoluteExpiresAt"], T0 + 30 * 24 * 3_600_000);
    }
}
