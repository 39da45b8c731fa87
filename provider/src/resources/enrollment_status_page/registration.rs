//! What `autopilot_enrollment_status_page` declares beside its resource:
//! how `export` lists ESPs and the request bodies the resource sends.

use crate::export::{ExportKind, Listed, Listing};
use crate::graph::{ApiVersion, GraphClient};
use crate::payloads::{Payload, path, schema_of};

use super::{AssignBody, COLLECTION, EspPayload, PriorityBody, is_default_esp, list_esps};

/// Enrollment Status Pages; the default one (priority 0) is no resource's.
pub const EXPORT: ExportKind = ExportKind {
    name: "enrollment_status_pages",
    resource_type: "autopilot_enrollment_status_page",
    fallback_name: "esp",
    group_id_attributes: &["include_group_ids", "exclude_group_ids"],
    list: list_for_export,
};

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    Box::pin(async move {
        Ok(list_esps(client)
            .await?
            .into_iter()
            .filter(|esp| esp.priority != Some(0))
            .filter_map(|esp| Some(Listed::named(esp.id?, esp.display_name)))
            .filter(|esp| !is_default_esp(&esp.id))
            .collect())
    })
}

/// The bodies `autopilot_enrollment_status_page` sends.
pub fn payloads() -> Vec<Payload> {
    let esps = path(ApiVersion::Beta, COLLECTION);
    vec![
        Payload {
            name: "enrollment-status-page-create",
            method: "POST",
            path: esps.clone(),
            purpose: "autopilot_enrollment_status_page create",
            schema: Some(schema_of::<EspPayload>()),
        },
        Payload {
            name: "enrollment-status-page-update",
            method: "PATCH",
            path: format!("{esps}/{{id}}"),
            purpose: "autopilot_enrollment_status_page update",
            schema: Some(schema_of::<EspPayload>()),
        },
        Payload {
            name: "enrollment-status-page-assign",
            method: "POST",
            path: format!("{esps}/{{id}}/assign"),
            purpose: "autopilot_enrollment_status_page assignments (the whole list)",
            schema: Some(schema_of::<AssignBody>()),
        },
        Payload {
            name: "enrollment-status-page-set-priority",
            method: "POST",
            path: format!("{esps}/{{id}}/setPriority"),
            purpose: "autopilot_enrollment_status_page priority",
            schema: Some(schema_of::<PriorityBody>()),
        },
    ]
}
