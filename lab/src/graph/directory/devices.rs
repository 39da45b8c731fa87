//! `/devices` (beta and v1.0): Microsoft Entra device objects, as far as a teardown and a profile
//! wait need them: list (with `$filter=deviceId eq '...'`), read by object id, DELETE, and
//! `memberOf` / `transitiveMemberOf`. Autopilot makes one when it registers a device (a completed
//! import); `PUT /_lab/devices/{id}/enrollment` makes one for a registration that has none. Graph's
//! `/devices/{id}` takes the object id, not the `deviceId` an Autopilot registration names
//! (`azureActiveDirectoryDeviceId`).

use axum::http::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{GROUP, get_plain, group_contains_device, list_visible, visible};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::graph::collection::{self, Listing, Paging};
use crate::graph::{GraphRequest, method_not_allowed, no_content};
use crate::store::{Collection, Tenant};

graph_types!("graph_directory_devices");

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
            Method::GET => get_plain(
                app,
                request,
                "devices",
                &DEVICE,
                |tenant| tenant.devices.get(id).cloned(),
                || GraphError::directory_not_found(id),
            ),
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
        [id, nav]
            if nav.eq_ignore_ascii_case("memberOf")
                || nav.eq_ignore_ascii_case("transitiveMemberOf") =>
        {
            match request.method {
                Method::GET => list_member_of(app, request, id, nav),
                _ => Err(method_not_allowed(&["GET"])),
            }
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// Adds the Entra device object whose `deviceId` is `device_id`, unless there is one.
pub fn add_entra_device(tenant: &mut Tenant, device_id: &str, name: &str) {
    let physical_ids = vec![format!("[ZTDID]:{}", Uuid::new_v4())];
    insert_entra_device(tenant, device_id, name, &physical_ids);
}

/// Adds the Entra device object Autopilot makes when it registers `registration` (a
/// `windowsAutopilotDeviceIdentity`), unless its `azureActiveDirectoryDeviceId` has one: named
/// after the serial number, with the physical ids dynamic group rules match (`[ZTDID]`, the
/// group tag as `[OrderId]`, the purchase order as `[PurchaseOrderId]`).
pub fn add_registered_entra_device(tenant: &mut Tenant, registration: &Value) {
    let text = |name: &str| collection::str_of(registration, name);
    let mut physical_ids = vec![format!("[ZTDID]:{}", text("id"))];
    if !text("groupTag").is_empty() {
        physical_ids.push(format!("[OrderId]:{}", text("groupTag")));
    }
    if !text("purchaseOrderIdentifier").is_empty() {
        physical_ids.push(format!(
            "[PurchaseOrderId]:{}",
            text("purchaseOrderIdentifier")
        ));
    }
    let device_id = text("azureActiveDirectoryDeviceId").to_owned();
    let name = text("serialNumber").to_owned();
    insert_entra_device(tenant, &device_id, &name, &physical_ids);
}

fn insert_entra_device(tenant: &mut Tenant, device_id: &str, name: &str, physical_ids: &[String]) {
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
            "physicalIds": physical_ids,
            "trustType": "AzureAd",
        }),
    );
}

/// The Autopilot registration behind an Entra device object (the identity whose
/// `azureActiveDirectoryDeviceId` is the object's `deviceId`).
pub(super) fn registration_of<'t>(tenant: &'t Tenant, entra_device: &Value) -> Option<&'t Value> {
    let device_id = collection::str_of(entra_device, "deviceId");
    if device_id.is_empty() {
        return None;
    }
    tenant
        .windows_autopilot_device_identities
        .values()
        .find(|r| {
            collection::str_of(r, "azureActiveDirectoryDeviceId").eq_ignore_ascii_case(device_id)
        })
}

/// `GET /devices/{id}/memberOf` (and `transitiveMemberOf`: the lab has no nested groups, so
/// both are the same): the groups whose dynamic rule selects the device's Autopilot
/// registration, by the same evaluation deployment profile targeting uses
/// ([`group_contains_device`]), and the groups it is an assigned member of.
fn list_member_of(app: &App, request: &GraphRequest, id: &str, nav: &str) -> GraphResult {
    let registration = app
        .store
        .read(|tenant| {
            tenant
                .devices
                .get(id)
                .map(|device| registration_of(tenant, device).cloned())
        })
        .ok_or_else(|| GraphError::directory_not_found(id))?;
    let listing = Listing {
        directory: true,
        context: Some("directoryObjects".to_owned()),
        ..Listing::plain(&PAGING, format!("devices/{id}/{nav}"), &GROUP)
    };
    collection::list(
        app,
        request,
        &listing,
        |tenant| &tenant.groups,
        |tenant, group| {
            let group_id = collection::str_of(group, "id");
            let assigned = tenant
                .lab
                .group_members
                .get(group_id)
                .is_some_and(|members| members.iter().any(|m| m == id));
            visible(app, group_id)
                && (assigned
                    || registration
                        .as_ref()
                        .is_some_and(|r| group_contains_device(group, r)))
        },
        |_, group, _| group.clone(),
    )
}
