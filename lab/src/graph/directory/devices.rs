//! `/devices` (beta and v1.0): Microsoft Entra device objects, as far as a teardown needs them:
//! list (with `$filter=deviceId eq '...'`), read by object id and DELETE. They are made with a
//! managed device when `PUT /_lab/devices/{id}/enrollment` enrolls a registration. Graph's
//! `/devices/{id}` takes the object id, not the `deviceId` an Autopilot registration names
//! (`azureActiveDirectoryDeviceId`).

use axum::http::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use super::{DIRECTORY_OBJECT, list_visible, plain};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::graph::collection::{self, Paging};
use crate::graph::schema::{Kind, Property, StructuredType};
use crate::graph::{GraphRequest, method_not_allowed, no_content};
use crate::store::{Collection, Tenant};

/// The device properties the lab keeps (a subset of Graph's `device`).
pub static DEVICE: StructuredType = StructuredType::derived(
    "device",
    &DIRECTORY_OBJECT,
    &[
        Property::read_only("accountEnabled", Kind::Boolean, true),
        Property::read_only("createdDateTime", Kind::DateTimeOffset, true),
        Property::read_only("deviceId", Kind::String, true),
        Property::read_only("displayName", Kind::String, true),
        Property::read_only("operatingSystem", Kind::String, true),
        Property::read_only("physicalIds", Kind::StringCollection, false),
        Property::read_only("trustType", Kind::String, true),
    ],
);

/// Page size of the listing: the directory refuses a `$top` above the maximum.
pub static PAGING: Paging = Paging::new("devices", 100, 999);

fn devices(tenant: &Tenant) -> &Collection {
    &tenant.devices
}

/// Routes the segments after `devices`.
pub fn route_devices(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    match rest {
        [] => match request.method {
            Method::GET => list_visible(app, request, &PAGING, "devices", &DEVICE, devices),
            _ => Err(method_not_allowed(&["GET"])),
        },
        [id] => match request.method {
            Method::GET => {
                let select = crate::graph::odata::parse_select(
                    request.query.select.as_deref(),
                    &DEVICE,
                    &[],
                )?;
                let found = app
                    .store
                    .read(|tenant| tenant.devices.get(id).cloned())
                    .ok_or_else(|| GraphError::directory_not_found(id))?;
                Ok(collection::entity_response(
                    app,
                    request,
                    StatusCode::OK,
                    "devices/$entity",
                    crate::graph::odata::apply_select(&plain(&found), select.as_deref()),
                ))
            }
            Method::DELETE => {
                app.store.write(|tenant| {
                    tenant
                        .devices
                        .remove(id)
                        .map(drop)
                        .ok_or_else(|| GraphError::directory_not_found(id))
                })?;
                tracing::info!(%id, "Entra device deleted");
                Ok(no_content())
            }
            _ => Err(method_not_allowed(&["GET", "DELETE"])),
        },
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// Adds the Entra device object whose `deviceId` is `device_id`, unless there is one.
pub fn add_entra_device(tenant: &mut Tenant, device_id: &str, name: &str) {
    if device_id.is_empty()
        || tenant
            .devices
            .values()
            .any(|d| collection::str_of(d, "deviceId").eq_ignore_ascii_case(device_id))
    {
        return;
    }
    let id = Uuid::new_v4().to_string();
    // The directory's timestamp form (no fraction).
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    tenant.devices.insert(
        id.clone(),
        json!({
            "@odata.type": DEVICE.odata_type(),
            "id": id,
            "accountEnabled": true,
            "createdDateTime": now,
            "deletedDateTime": null,
            "deviceId": device_id,
            "displayName": name,
            "operatingSystem": "Windows",
            "physicalIds": [format!("[ZTDID]:{}", Uuid::new_v4())],
            "trustType": "AzureAd",
        }),
    );
}
