//! The control API under `/_lab/`: no authentication, for tests and demos.
//!
//! * `GET /_lab/requests` — `{"requests":[{method, path, query, status, duration_ms,
//!   request_id, client_request_id, time, fault?}]}`, every Graph and token request in order.
//! * `DELETE /_lab/requests` — clears that log (204).
//! * `POST /_lab/reset` — back to the seeded tenant; clears the log, throttling counters,
//!   replication delays and fault rules (204). Settings stay.
//! * `GET /_lab/objects` — every collection: `{"deviceConfigurations":[...], ...}`.
//! * `GET`/`PUT /_lab/settings` — runtime settings (partial update).
//! * `GET`/`PUT`/`DELETE /_lab/faults` — fault injection rules.
//! * `GET`/`PUT /_lab/foreign_devices` — serial numbers registered to another tenant.
//! * `PUT /_lab/devices/{id}/enrollment` — mark a device identity enrolled (or not).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::app::SharedApp;
use crate::store::StoreError;

pub fn router() -> Router<SharedApp> {
    Router::new()
        .route("/_lab/requests", get(requests).delete(clear_requests))
        .route("/_lab/reset", post(reset))
        .route("/_lab/objects", get(objects))
        .route("/_lab/settings", get(get_settings).put(put_settings))
        .route(
            "/_lab/faults",
            get(get_faults).put(put_faults).delete(clear_faults),
        )
        .route(
            "/_lab/foreign_devices",
            get(get_foreign_devices).put(put_foreign_devices),
        )
        .route(
            "/_lab/devices/{id}/enrollment",
            axum::routing::put(put_device_enrollment),
        )
}

/// `PUT /_lab/devices/{id}/enrollment` `{"enrollment_state": "enrolled", "managed_device_id": "..."}`:
/// what Intune would set once the device enrolls (or is retired), for tests of enrolled devices.
async fn put_device_enrollment(
    State(app): State<SharedApp>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Response {
    const STATES: [&str; 6] = [
        "unknown",
        "enrolled",
        "pendingReset",
        "failed",
        "notContacted",
        "blocked",
    ];
    let value = match parse_body(&body) {
        Ok(value) => value,
        Err(response) => return *response,
    };
    let Some(state) = value
        .get("enrollment_state")
        .and_then(Value::as_str)
        .filter(|s| STATES.contains(s))
    else {
        return bad_request(format!("enrollment_state must be one of {STATES:?}"));
    };
    let managed_device_id = match value.get("managed_device_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => return bad_request("managed_device_id must be a string or null"),
    };
    let result = app.store.write(|tenant| {
        let Some(device) = tenant.windows_autopilot_device_identities.get_mut(&id) else {
            return Ok(None);
        };
        device["enrollmentState"] = json!(state);
        device["managedDeviceId"] = json!(
            managed_device_id
                .clone()
                .unwrap_or_else(|| "00000000-0000-0000-0000-000000000000".to_string())
        );
        Ok::<_, StoreError>(Some(device.clone()))
    });
    match result {
        Ok(Some(device)) => json(StatusCode::OK, device.to_string()),
        Ok(None) => json(
            StatusCode::NOT_FOUND,
            json!({ "error": format!("no device identity {id}") }).to_string(),
        ),
        Err(error) => store_failure(error),
    }
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

fn bad_request(message: impl std::fmt::Display) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        json!({ "error": message.to_string() }).to_string(),
    )
}

fn store_failure(error: StoreError) -> Response {
    tracing::error!(%error, "control change could not be saved");
    json(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({ "error": error.to_string() }).to_string(),
    )
}

fn parse_body(body: &Bytes) -> Result<Value, Box<Response>> {
    serde_json::from_slice(body)
        .map_err(|e| Box::new(bad_request(format!("body is not JSON: {e}"))))
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
            app.throttle.clear();
            app.replication.clear();
            app.faults.clear();
            tracing::info!("tenant reset");
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => store_failure(error),
    }
}

async fn objects(State(app): State<SharedApp>) -> Response {
    crate::graph::imports::advance(&app);
    match app.store.dump() {
        Ok(dump) => json(StatusCode::OK, dump.to_string()),
        Err(error) => store_failure(error),
    }
}

async fn get_settings(State(app): State<SharedApp>) -> Response {
    json(StatusCode::OK, app.settings.get().to_json().to_string())
}

async fn put_settings(State(app): State<SharedApp>, body: Bytes) -> Response {
    let value = match parse_body(&body) {
        Ok(value) => value,
        Err(response) => return *response,
    };
    let Some(patch) = value.as_object() else {
        return bad_request("settings must be a JSON object");
    };
    match app.settings.update(patch) {
        Ok(settings) => {
            tracing::info!(?settings, "settings changed");
            json(StatusCode::OK, settings.to_json().to_string())
        }
        Err(message) => bad_request(message),
    }
}

async fn get_faults(State(app): State<SharedApp>) -> Response {
    json(StatusCode::OK, app.faults.to_json().to_string())
}

async fn put_faults(State(app): State<SharedApp>, body: Bytes) -> Response {
    let value = match parse_body(&body) {
        Ok(value) => value,
        Err(response) => return *response,
    };
    match app.faults.replace(&value) {
        Ok(rules) => {
            tracing::info!("fault rules replaced");
            json(StatusCode::OK, rules.to_string())
        }
        Err(message) => bad_request(message),
    }
}

async fn clear_faults(State(app): State<SharedApp>) -> StatusCode {
    app.faults.clear();
    StatusCode::NO_CONTENT
}

async fn get_foreign_devices(State(app): State<SharedApp>) -> Response {
    let serials: Vec<String> = app
        .store
        .read(|tenant| tenant.lab.foreign_serials.iter().cloned().collect());
    json(
        StatusCode::OK,
        json!({ "serial_numbers": serials }).to_string(),
    )
}

async fn put_foreign_devices(State(app): State<SharedApp>, body: Bytes) -> Response {
    let value = match parse_body(&body) {
        Ok(value) => value,
        Err(response) => return *response,
    };
    let serials = match value.get("serial_numbers").and_then(Value::as_array) {
        Some(items) if value.as_object().is_some_and(|m| m.len() == 1) => items,
        _ => return bad_request("expected {\"serial_numbers\": [\"...\"]}"),
    };
    let mut set = std::collections::BTreeSet::new();
    for serial in serials {
        match serial.as_str().map(str::trim).filter(|s| !s.is_empty()) {
            Some(serial) => {
                set.insert(serial.to_owned());
            }
            None => return bad_request("serial_numbers must be non-empty strings"),
        }
    }
    let result = app.store.write(|tenant| {
        tenant.lab.foreign_serials = set.clone();
        Ok::<_, StoreError>(())
    });
    match result {
        Ok(()) => json(StatusCode::OK, json!({ "serial_numbers": set }).to_string()),
        Err(error) => store_failure(error),
    }
}
