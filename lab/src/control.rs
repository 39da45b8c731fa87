//! The control API under `/_lab/`: no authentication, for tests and demos.
//!
//! * `GET /_lab/requests` — `{"requests":[{method, path, query, status, duration_ms,
//!   request_id, client_request_id, time}]}`, every Graph and token request in arrival order.
//! * `DELETE /_lab/requests` — clears that log (204).
//! * `POST /_lab/reset` — empties the tenant and the log (204).
//! * `GET /_lab/objects` — every collection: `{"deviceConfigurations":[...], ...}`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::app::SharedApp;

pub fn router() -> Router<SharedApp> {
    Router::new()
        .route("/_lab/requests", get(requests).delete(clear_requests))
        .route("/_lab/reset", post(reset))
        .route("/_lab/objects", get(objects))
}

fn json(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

async fn requests(State(app): State<SharedApp>) -> Response {
    json(
        StatusCode::OK,
        json!({ "requests": app.log.entries() }).to_string(),
    )
}

async fn clear_requests(State(app): State<SharedApp>) -> StatusCode {
    app.log.clear();
    StatusCode::NO_CONTENT
}

async fn reset(State(app): State<SharedApp>) -> Response {
    match app.store.reset() {
        Ok(()) => {
            app.log.clear();
            tracing::info!("tenant reset");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => {
            tracing::error!(%error, "reset could not be saved");
            json(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": error.to_string() }).to_string(),
            )
        }
    }
}

async fn objects(State(app): State<SharedApp>) -> Response {
    match app.store.dump() {
        Ok(dump) => json(StatusCode::OK, dump.to_string()),
        Err(error) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({ "error": error.to_string() }).to_string(),
        ),
    }
}
