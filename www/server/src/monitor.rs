//! The monitoring endpoint (`monitor: { url }` in the SDK, docs/CONTRACT.md
//! "Monitoring beacons"): `POST /monitor` stores each beacon's text as
//! received (the last [`KEPT`]); `GET /debug/monitor` reads them back for the
//! end-to-end tests and the demo: `{ beacons: [text], records: [[word]] }`.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::{read_body, App};

/// Beacons kept; older ones are forgotten.
pub const KEPT: usize = 200;

/// The first words of every batch.
const HEADER: &str = "wasm-session-monitor 1 ";

/// The routes, to merge into the app's router.
pub fn routes() -> Router<App> {
    Router::new().route("/monitor", post(receive)).route("/debug/monitor", get(read))
}

async fn receive(State(app): State<App>, body: Body) -> Response {
    let bytes = match read_body(body).await {
        Ok(bytes) => bytes,
        Err(resp) => return resp,
    };
    let Ok(text) = String::from_utf8(bytes.to_vec()) else { return StatusCode::BAD_REQUEST.into_response() };
    if !text.starts_with(HEADER) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let mut beacons = app.beacons();
    if beacons.len() >= KEPT {
        beacons.remove(0);
    }
    beacons.push(text);
    StatusCode::NO_CONTENT.into_response()
}

async fn read(State(app): State<App>) -> Json<Value> {
    let beacons = app.beacons().clone();
    let records: Vec<Vec<&str>> =
        beacons.iter().flat_map(|text| text.lines().skip(1)).map(|line| line.split(' ').collect()).collect();
    Json(json!({ "beacons": beacons, "records": records }))
}
