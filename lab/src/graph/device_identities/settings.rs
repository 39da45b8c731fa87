//! `/deviceManagement/windowsAutopilotSettings` (beta only): the settings singleton and its
//! `sync` action (at most one sync per `sync_min_interval_ms`).

use std::time::Duration;

use axum::http::{HeaderValue, Method, StatusCode, header};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{SETTINGS_PATH, apply_pending_properties};
use crate::app::App;
use crate::clock::graph_timestamp;
use crate::errors::{GraphError, INTUNE_FAKE_HOST};
use crate::graph::GraphResult;
use crate::graph::collection;
use crate::graph::{GraphRequest, method_not_allowed, no_content};

graph_types!("graph_device_identities_settings");

/// Routes the segments after `windowsAutopilotSettings` (beta only).
pub fn route_settings(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    match rest {
        [] => match request.method {
            Method::GET => {
                let settings = app
                    .store
                    .read(|tenant| tenant.windows_autopilot_settings.values().next().cloned())
                    .ok_or_else(|| {
                        GraphError::intune_not_found(format!("{INTUNE_FAKE_HOST}/{SETTINGS_PATH}"))
                    })?;
                Ok(collection::entity_response(
                    app,
                    request,
                    StatusCode::OK,
                    &format!("{SETTINGS_PATH}/$entity"),
                    settings,
                ))
            }
            _ => Err(method_not_allowed(&["GET"])),
        },
        [action] if crate::graph::is_action(action, "sync") => match request.method {
            Method::POST => sync(app),
            _ => Err(method_not_allowed(&["POST"])),
        },
        [other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// `sync`: refused (429) within `sync_min_interval_ms` of the previous manual sync; otherwise
/// every pending import is decided now and the sync completes at once.
pub(super) fn sync(app: &App) -> GraphResult {
    let url = format!(
        "{INTUNE_FAKE_HOST}/DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/{SETTINGS_PATH}/microsoft.management.services.api.sync?api-version=5025-01-28"
    );
    let min_interval = chrono::Duration::milliseconds(
        i64::try_from(app.settings.get().sync_min_interval_ms).unwrap_or(i64::MAX / 2),
    );
    let now_instant = app.clock.now();
    let now = graph_timestamp(now_instant);
    app.store.write(|tenant| {
        let Some(id) = tenant
            .windows_autopilot_settings
            .values()
            .next()
            .map(|s| collection::str_of(s, "id").to_owned())
        else {
            return Err(GraphError::intune_not_found(url.clone()));
        };
        let last = tenant
            .windows_autopilot_settings
            .get(&id)
            .map(|s| collection::str_of(s, "lastManualSyncTriggerDateTime").to_owned())
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc));
        if let Some(last) = last {
            let next = last + min_interval;
            if now_instant < next {
                let wait = (next - now_instant).to_std().unwrap_or(Duration::ZERO);
                let seconds = crate::throttle::retry_after_seconds(wait);
                let mut error = GraphError::intune(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    format!(
                        "A sync was requested at {}; the next sync is allowed after {}.",
                        graph_timestamp(last),
                        graph_timestamp(next)
                    ),
                    url.clone(),
                );
                if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                    error = error.with_header(header::RETRY_AFTER, value);
                }
                return Err(error);
            }
        }
        crate::graph::imports::process(tenant, now_instant, true);
        let applied = apply_pending_properties(tenant);
        if applied > 0 {
            tracing::info!(
                devices = applied,
                "pending device properties applied by the sync"
            );
        }
        if let Some(Value::Object(settings)) = tenant.windows_autopilot_settings.get_mut(&id) {
            settings.insert("lastManualSyncTriggerDateTime".into(), json!(now));
            settings.insert("lastSyncDateTime".into(), json!(now));
            settings.insert("syncStatus".into(), json!("completed"));
        }
        Ok(())
    })?;
    tracing::info!("autopilot sync");
    Ok(no_content())
}
