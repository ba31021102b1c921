//! The monitoring endpoint (src/monitor.rs): beacons are stored as received
//! and read back for the end-to-end tests.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use wasm_session_server::{router, App, Clock, Config};

fn app() -> axum::Router {
    let cfg =
        Config { static_dir: "/nonexistent-static".into(), pkg_dir: "/nonexistent-pkg".into(), ..Config::default() };
    router(App::new(cfg, Clock::manual(1_700_000_000_000)))
}

fn beacon(text: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri("/monitor")
        .header("content-type", "text/plain;charset=UTF-8")
        .body(Body::from(text.to_owned()))
        .unwrap()
}

async fn stored(app: &axum::Router) -> serde_json::Value {
    let resp = app.clone().oneshot(Request::get("/debug/monitor").body(Body::empty()).unwrap()).await.unwrap();
    serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

#[tokio::test]
async fn beacons_are_stored_and_read_back_as_records() {
    let app = app();
    let text = "wasm-session-monitor 1 2\n1 aa bb started\n2 aa bb loggedOut user local";
    assert_eq!(app.clone().oneshot(beacon(text)).await.unwrap().status(), StatusCode::NO_CONTENT);
    let stored = stored(&app).await;
    assert_eq!(stored["beacons"], serde_json::json!([text]));
    assert_eq!(
        stored["records"],
        serde_json::json!([["1", "aa", "bb", "started"], ["2", "aa", "bb", "loggedOut", "user", "local"]])
    );
}

#[tokio::test]
async fn anything_else_is_refused() {
    let app = app();
    for text in ["", "hello", "{\"records\":[]}"] {
        assert_eq!(app.clone().oneshot(beacon(text)).await.unwrap().status(), StatusCode::BAD_REQUEST, "{text:?}");
    }
    let big = format!("wasm-session-monitor 1 0\n{}", "x".repeat(64 * 1024));
    assert_eq!(app.clone().oneshot(beacon(&big)).await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(stored(&app).await["beacons"], serde_json::json!([]));
}

#[tokio::test]
async fn only_the_last_beacons_are_kept() {
    let app = app();
    for n in 0..wasm_session_server::monitor::KEPT + 3 {
        let text = format!("wasm-session-monitor 1 0\n{n} aa bb started");
        app.clone().oneshot(beacon(&text)).await.unwrap();
    }
    let stored = stored(&app).await;
    let beacons = stored["beacons"].as_array().unwrap();
    assert_eq!(beacons.len(), wasm_session_server::monitor::KEPT);
    assert_eq!(beacons[0], "wasm-session-monitor 1 0\n3 aa bb started");
}
