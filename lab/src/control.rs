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
//! * `POST /_lab/mobile_apps` — add an app to the read-only mobile app catalog.
//! * `GET`/`POST /_lab/devicelogin` — the device code sign-in page: codes waiting, and a user
//!   signing in with one.

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
        .route("/_lab/mobile_apps", post(post_mobile_app))
        .route(
            "/_lab/devicelogin",
            get(get_device_login).post(post_device_login),
        )
}

/// `GET /_lab/devicelogin`: the user codes waiting for a sign-in.
async fn get_device_login(State(app): State<SharedApp>) -> Response {
    json(
        StatusCode::OK,
        json!({ "user_codes": app.device_codes.pending_user_codes() }).to_string(),
    )
}

/// `POST /_lab/devicelogin` `{"user_code": "ABCD-EFGH", "user": "adele.vance@..."}`: the user signs
/// in with the code (a user of the tenant); the client polling the token endpoint then gets a
/// delegated token. 404 for a code that is unknown or expired.
async fn post_device_login(State(app): State<SharedApp>, body: Bytes) -> Response {
    let value = match parse_body(&body) {
        Ok(value) => value,
        Err(response) => return *response,
    };
    let (Some(code), Some(user)) = (
        value.get("user_code").and_then(Value::as_str),
        value.get("user").and_then(Value::as_str),
    ) else {
        return bad_request(
            "expected {\"user_code\": \"...\", \"user\": \"<user principal name>\"}",
        );
    };
    let known = app
        .store
        .read(|tenant| crate::graph::directory::find_user(tenant, user).is_some());
    if !known {
        return bad_request(format!("{user} is not a user of the tenant"));
    }
    if app.device_codes.approve(code, user) {
        tracing::info!(%user, "device code sign-in");
        json(StatusCode::OK, json!({ "signed_in": user }).to_string())
    } else {
        json(
            StatusCode::NOT_FOUND,
            json!({ "error": format!("no device code waits for the user code {code}") })
                .to_string(),
        )
    }
}

/// `POST /_lab/mobile_apps` `{"@odata.type": "#microsoft.graph.win32LobApp", "displayName": "..."}`:
/// adds an app to the catalog (Graph's catalog is read-only in the lab), for tests that need more
/// apps than the seed has. 201 with the app and its new id.
async fn post_mobile_app(State(app): State<SharedApp>, body: Bytes) -> Response {
    let value = match parse_body(&body) {
        Ok(value) => value,
        Err(response) => return *response,
    };
    let types: Vec<String> = crate::graph::catalog::APP_TYPES
        .iter()
        .map(|t| format!("#microsoft.graph.{}", t.name))
        .collect();
    let Some(odata_type) = value
        .get("@odata.type")
        .and_then(Value::as_str)
        .filter(|t| types.iter().any(|known| known == t))
    else {
        return bad_request(format!("@odata.type must be one of {types:?}"));
    };
    let Some(name) = value
        .get("displayName")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
    else {
        return bad_request("displayName must be a non-empty string");
    };
    let id = uuid::Uuid::new_v4().to_string();
    let created = crate::seed::mobile_app(&id, odata_type, name, "Contoso");
    let result = app.store.write(|tenant| {
        tenant.mobile_apps.insert(id.clone(), created.clone());
        Ok::<_, StoreError>(())
    });
    match result {
        Ok(()) => json(StatusCode::CREATED, created.to_string()),
        Err(error) => store_failure(&error),
    }
}

/// `PUT /_lab/devices/{id}/enrollment` `{"enrollment_state": "enrolled", "managed_device_id": "..."}`:
/// what Intune would set once the device enrolls (or is retired), for tests of enrolled devices.
/// `enrolled` also makes the Intune managed device (`managed_device_id`, or a new id, which the
/// registration then shows) and the Entra device object of its `azureActiveDirectoryDeviceId`.
async fn put_device_enrollment(
    State(app): State<SharedApp>,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Response {
    const STATES: &[&str] = crate::graph::device_identities::ENROLLMENT_STATES;
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
        if state == "enrolled" {
            // Enrolling makes the Intune managed device and the Entra device object.
            let registration = device.clone();
            let managed = crate::graph::managed_devices::enroll(
                tenant,
                &registration,
                managed_device_id.as_deref(),
            );
            if let Some(device) = tenant.windows_autopilot_device_identities.get_mut(&id) {
                device["managedDeviceId"] = json!(managed);
            }
        }
        Ok::<_, StoreError>(tenant.windows_autopilot_device_identities.get(&id).cloned())
    });
    match result {
        Ok(Some(device)) => json(StatusCode::OK, device.to_string()),
        Ok(None) => json(
            StatusCode::NOT_FOUND,
            json!({ "error": format!("no device identity {id}") }).to_string(),
        ),
        Err(error) => store_failure(&error),
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

fn store_failure(error: &StoreError) -> Response {
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
        Err(error) => store_failure(&error),
    }
}

async fn objects(State(app): State<SharedApp>) -> Response {
    crate::graph::imports::advance(&app);
    crate::graph::device_identities::advance(&app);
    match app.store.dump() {
        Ok(dump) => json(StatusCode::OK, dump.to_string()),
        Err(error) => store_failure(&error),
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
        Err(error) => store_failure(&error),
    }
}
