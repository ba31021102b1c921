//! Routes for the end-to-end bounds checks (tests/e2e/bounds.test.mjs), each
//! a misbehaving endpoint the SDK must survive:
//!
//! - `POST /debug/stream-10mb`: a 200 whose body is 10 MB, chunked (no
//!   `Content-Length`), the start of a JSON object that never fits any cap;
//! - `POST /debug/redirect`: a 307 to `/debug/redirect-target`, which counts
//!   every request that followed it (`GET /debug/redirect-hits` reads the
//!   counts: `{ redirects, followed }`).
//!
//! They hold no session and touch no state but their own counters.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde_json::json;

/// 10 MB in 160 chunks of 64 KiB.
const STREAM_CHUNKS: usize = 160;
const CHUNK: usize = 64 * 1024;

static REDIRECTS: AtomicU64 = AtomicU64::new(0);
static FOLLOWED: AtomicU64 = AtomicU64::new(0);

/// The routes, to merge into the app's router.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/debug/stream-10mb", post(stream_10mb))
        .route("/debug/redirect", post(redirect))
        .route("/debug/redirect-target", any(redirect_target))
        .route("/debug/redirect-hits", get(redirect_hits))
}

async fn stream_10mb() -> Response {
    let chunks = (0..STREAM_CHUNKS).map(|index| {
        let mut chunk = vec![b'a'; CHUNK];
        if index == 0 {
            chunk[..17].copy_from_slice(b"{\"access_token\":\"");
        }
        Ok::<_, std::io::Error>(Bytes::from(chunk))
    });
    let body = Body::from_stream(futures_util::stream::iter(chunks));
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn redirect() -> Response {
    REDIRECTS.fetch_add(1, Ordering::SeqCst);
    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, "/debug/redirect-target")]).into_response()
}

async fn redirect_target() -> Response {
    FOLLOWED.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "access_token": "stolen", "expires_in": 3600 })).into_response()
}

async fn redirect_hits() -> Json<serde_json::Value> {
    Json(json!({ "redirects": REDIRECTS.load(Ordering::SeqCst), "followed": FOLLOWED.load(Ordering::SeqCst) }))
}
