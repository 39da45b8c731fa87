//! What `autopilot_device` declares beside its resource: how `export`
//! lists registered devices and the request bodies device writes send
//! (`autopilot_device_csv` shares the property, user and sync calls).

use crate::devices::cache::DeviceCache;
use crate::devices::graph::{
    AssignUser, DeviceProperties, IDENTITIES, IMPORTED, ImportPayload, SYNC, VERSION,
};
use crate::export::{ExportKind, Listed, Listing};
use crate::graph::{ApiVersion, GraphClient, GraphError};
use crate::payloads::{Payload, path, schema_of};

/// Registered devices, one `autopilot_device` each (also those an
/// `autopilot_device_csv` registered).
pub const EXPORT: ExportKind = ExportKind {
    name: "devices",
    resource_type: "autopilot_device",
    fallback_name: "device",
    group_id_attributes: &[],
    list: list_for_export,
};

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    Box::pin(async move {
        let listing = DeviceCache::shared()
            .listing(client)
            .await
            .map_err(|reason| GraphError::Decode {
                path: IDENTITIES.into(),
                reason,
            })?;
        Ok(listing
            .devices()
            .map(|d| Listed {
                id: d.id.clone(),
                label: d.serial_number.clone().unwrap_or_default(),
                also_known_as: d.display_name.clone().filter(|n| !n.is_empty()),
            })
            .collect())
    })
}

/// The bodies `autopilot_device` sends (the last three also for
/// `autopilot_device_csv`).
pub fn payloads() -> Vec<Payload> {
    let imported = path(VERSION, IMPORTED);
    let identity = format!("{}/{{id}}", path(VERSION, IDENTITIES));
    vec![
        Payload {
            name: "device-import-one",
            method: "POST",
            path: imported,
            purpose: "autopilot_device create",
            schema: Some(schema_of::<ImportPayload<'static>>()),
        },
        Payload {
            name: "device-assign-user",
            method: "POST",
            path: format!("{identity}/assignUserToDevice"),
            purpose: "autopilot_device assigned_user_principal_name",
            schema: Some(schema_of::<AssignUser<'static>>()),
        },
        Payload {
            name: "device-unassign-user",
            method: "POST",
            path: format!("{identity}/unassignUserFromDevice"),
            purpose: "autopilot_device assigned_user_principal_name removed",
            schema: None,
        },
        Payload {
            name: "device-update-properties",
            method: "POST",
            path: format!("{identity}/updateDeviceProperties"),
            purpose: "autopilot_device and autopilot_device_csv group_tag and display_name",
            schema: Some(schema_of::<DeviceProperties>()),
        },
        Payload {
            name: "device-sync",
            method: "POST",
            path: path(ApiVersion::Beta, SYNC),
            purpose: "autopilot_device and autopilot_device_csv, after writing a group tag, display name or user (Autopilot shows them after a sync)",
            schema: None,
        },
    ]
}
