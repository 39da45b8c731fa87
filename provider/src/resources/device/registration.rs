//! What `autopilot_device` declares beside its resource: how `export`
//! lists registered devices and the request bodies device writes send
//! (`autopilot_device_csv` shares the property, user and sync calls).

use crate::devices::cache::DeviceCache;
use crate::devices::graph::{
    AssignUser, DeviceProperties, IDENTITIES, IMPORTED, ImportPayload, SYNC, VERSION,
};
use crate::export::{ExportKind, Listed, Listing};
use crate::graph::{ApiVersion, GraphClient, GraphError};
use crate::list_resources::{Filters, ListDeclaration};
use crate::payloads::{Payload, path};

/// Registered devices, one `autopilot_device` each (also those an
/// `autopilot_device_csv` registered).
#[rustfmt::skip]
pub const EXPORT: ExportKind = ExportKind::new("devices", "autopilot_device", "device", &[], list_for_export);

/// Its list resource (`terraform query`): by serial number or name, group
/// tag and enrollment state; identified by id and serial number.
pub const LIST: ListDeclaration = ListDeclaration {
    export: &EXPORT,
    list: None,
    filters: Filters::Device,
    identity: device_identity,
};

fn device_identity(device: &Listed) -> Vec<(&'static str, String)> {
    vec![
        ("id", device.id.clone()),
        ("serial_number", device.label.clone()),
    ]
}

fn list_for_export(client: &GraphClient) -> Listing<'_> {
    Box::pin(async move {
        let listing = DeviceCache::shared()
            .listing(client)
            .await
            .map_err(|reason| GraphError::Decode {
                path: IDENTITIES.into(),
                reason: reason.to_string(),
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
    #[rustfmt::skip]
    let bodies = vec![
        Payload::of::<ImportPayload<'static>>("device-import-one", "POST", imported, "autopilot_device create"),
        Payload::of::<AssignUser<'static>>("device-assign-user", "POST", format!("{identity}/assignUserToDevice"), "autopilot_device assigned_user_principal_name"),
        Payload::bodiless("device-unassign-user", format!("{identity}/unassignUserFromDevice"), "autopilot_device assigned_user_principal_name removed"),
        Payload::of::<DeviceProperties>("device-update-properties", "POST", format!("{identity}/updateDeviceProperties"), "autopilot_device and autopilot_device_csv group_tag and display_name"),
        Payload::bodiless("device-sync", path(ApiVersion::Beta, SYNC), "autopilot_device and autopilot_device_csv, after writing a group tag, display name or user (Autopilot shows them after a sync)"),
    ];
    bodies
}
