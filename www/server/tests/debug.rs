//! The debug routes the end-to-end bounds checks use (src/debug.rs).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use wasm_session_server::{router, App, Clock, Config};

fn app() -> axum::Router {
    let cfg =
        Config { static_dir: "/nonexistent-static".into(), pkg_dir: "/nonexistent-pkg".into(), ..Config::default() };
    router(App::new(cfg, Clock::manual(1_700_000_000_000)))
}

fn post(uri: &str) -> Request<Body> {
    Request::builder().method("POST").uri(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn the_stream_is_10_mb_of_the_start_of_a_token_with_no_declared_length() {
    let resp = app().oneshot(post("/debug/stream-10mb")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get(header::CONTENT_LENGTH).is_none(), "chunked: no Content-Length");
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(bytes.len(), 10 * 1024 * 1024);
    assert!(bytes.starts_with(b"{\"access_token\":\"aaa"));
}

#[tokio::test]
async fn the_redirect_points_at_a_target_that_counts_who_followed() {
    let app = app();
    let hits = || async {
        let resp = app.clone().oneshot(Request::get("/debug/redirect-hits").body(Body::empty()).unwrap()).await;
        let bytes = resp.unwrap().into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
    };
    let before = hits().await;
    let resp = app.clone().oneshot(post("/debug/redirect")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(resp.headers()[header::LOCATION], "/debug/redirect-target");
    assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store");
    app.clone().oneshot(post("/debug/redirect-target")).await.unwrap();
    let after = hits().await;
    // Counters are per process; other tests in it may count too.
    assert!(after["redirects"].as_u64() > before["redirects"].as_u64());
    assert!(after["followed"].as_u64() > before["followed"].as_u64());
}
