//! Action `autopilot_sync`: an Autopilot sync of the tenant
//! (`POST windowsAutopilotSettings/sync`, what the Intune admin center's
//! "Sync" button on the Windows Autopilot devices page does), for example
//! after `autopilot_device_csv` registered new devices.
//!
//! Intune allows one manual sync per 10 minutes and answers a sync asked for
//! sooner with 429 and `Retry-After` (microsoftgraph/microsoft-graph-docs
//! #9691; the lab answers the same, see lab/README.md). That is not a
//! failure of the action: it reports, as a warning and a progress message,
//! when the last sync was asked for and when the next one is allowed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Action, Diagnostics, Progress};

use crate::devices::graph;
use crate::graph::{GraphClient, GraphError};

/// How long the action lets the client wait to send a sync Intune refused
/// as too soon, before reporting the refusal.
const REFUSAL_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// The refusal when the client was still waiting for Intune to allow the sync.
fn throttled() -> GraphError {
    GraphError::Api {
        method: "POST".into(),
        path: graph::SYNC.into(),
        status: 429,
        code: "TooManyRequests".into(),
        message: format!(
            "Intune refused the sync and would allow it later than {}s from now",
            REFUSAL_WAIT.as_secs()
        ),
        request_id: None,
    }
}

/// Intune's minimum time between two manual Autopilot syncs.
const SYNC_INTERVAL_MINUTES: i64 = 10;

/// Starts an Autopilot sync of the tenant: Intune processes pending device
/// imports and applies group tags, display names and user assignments written
/// since the last sync. Intune allows one sync every 10 minutes; a sync asked
/// for sooner is not run, and the action says (as a warning) when the next one
/// is allowed instead of failing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SyncModel {}

pub struct AutopilotSync;

#[async_trait]
impl Action<GraphClient> for AutopilotSync {
    type Model = SyncModel;
    const TYPE_NAME: &'static str = "autopilot_sync";

    async fn invoke(
        &self,
        client: &GraphClient,
        _config: SyncModel,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        progress.report("Requesting an Autopilot sync");
        // The client waits out a 429 whose `Retry-After` fits its retry
        // deadline; a refused sync is reported instead once that wait would
        // pass `REFUSAL_WAIT` (the sync is idempotent: nothing is in flight
        // while the client sleeps).
        let outcome = tokio::time::timeout(REFUSAL_WAIT, graph::sync(client)).await;
        match outcome.unwrap_or_else(|_| Err(throttled())) {
            Ok(()) => {
                progress.report("Autopilot sync started");
                match graph::get_settings(client).await {
                    Ok(settings) => progress.report(format!(
                        "Autopilot sync status: {} (last sync {})",
                        settings.sync_status.as_deref().unwrap_or("unknown"),
                        settings.last_sync_date_time.as_deref().unwrap_or("unknown")
                    )),
                    Err(e) => tracing::debug!(error = %e, "cannot read the sync status"),
                }
            }
            Err(e) if e.status() == Some(429) => {
                let last = graph::get_settings(client)
                    .await
                    .ok()
                    .and_then(|s| s.last_manual_sync_trigger_date_time);
                let (message, detail) = too_soon(last.as_deref(), &e.to_string());
                progress.report(message);
                diags.warning(
                    "Autopilot sync not started: too soon after the last one",
                    detail,
                );
            }
            Err(e) => diags.error("Cannot start the Autopilot sync", e.to_string()),
        }
    }
}

/// The progress message and warning detail when Intune refused a sync
/// because the last one (asked for at `last`, if known) is too recent.
fn too_soon(last: Option<&str>, refusal: &str) -> (String, String) {
    let next = last
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc) + chrono::Duration::minutes(SYNC_INTERVAL_MINUTES));
    let when = match (last, next) {
        (Some(last), Some(next)) => format!(
            "the last sync was requested at {last}; the next is allowed after {}",
            next.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        _ => "the next is allowed 10 minutes after the last one".to_string(),
    };
    (
        format!("Intune allows one Autopilot sync per 10 minutes: {when}"),
        format!(
            "Intune allows one Autopilot sync per 10 minutes and refused this one ({when}). \
             Nothing failed: run the action again after that time if the last sync does not cover your changes. \
             Graph answered: {refusal}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_sync_says_when_the_next_is_allowed() {
        let (message, detail) = too_soon(Some("2026-12-06T22:00:05Z"), "HTTP 429");
        assert!(
            message.contains("the next is allowed after 2026-12-06T22:10:05Z"),
            "{message}"
        );
        assert!(
            detail.contains("requested at 2026-12-06T22:00:05Z"),
            "{detail}"
        );
        assert!(detail.ends_with("Graph answered: HTTP 429"), "{detail}");
        let (unknown, _) = too_soon(None, "HTTP 429");
        assert!(
            unknown.contains("10 minutes after the last one"),
            "{unknown}"
        );
    }
}
