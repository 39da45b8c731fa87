//! `/deviceManagement/managedDevices` (beta and v1.0): the devices enrolled in Intune, as far as
//! a teardown needs them: list, read and DELETE. They are made by
//! `PUT /_lab/devices/{id}/enrollment` (a device enrolling) with the Entra device object it
//! joins with, never by a Graph call.
//!
//! Deleting a managed device releases its Autopilot registration ("delete the device in Intune,
//! then the Autopilot registration"): the registration's `enrollmentState` goes back to
//! `notContacted` and its `managedDeviceId` to the zero GUID, after
//! `managed_device_release_delay_ms` (default 0), so that the registration can be deleted.

use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use super::collection::{self, IntuneBackend, Listing, Paging};
use super::{GraphRequest, no_content};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/managedDevices";

/// The zero GUID Intune shows for "no managed device".
const NO_MANAGED_DEVICE: &str = "00000000-0000-0000-0000-000000000000";

graph_types!("graph_managed_devices");

/// Page size of the listing.
pub static PAGING: Paging = Paging::new("managedDevices", 1000, 1000);

static INTUNE: IntuneBackend = IntuneBackend {
    path: "DeviceFE/StatelessDeviceFEService/deviceManagement/managedDevices",
};

fn managed_devices(tenant: &Tenant) -> &Collection {
    &tenant.managed_devices
}

/// Routes the segments after `managedDevices`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] => by_method!(method,
            GET => list(app, request),
        ),
        [id] => by_method!(method,
            GET => get(app, request, id),
            DELETE => delete(app, id),
        ),
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

fn list(app: &App, request: &GraphRequest) -> GraphResult {
    listing().list_stored(app, request, managed_devices)
}

fn get(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    listing().get_stored(app, request, managed_devices, id, &INTUNE)
}

fn listing() -> Listing<'static> {
    Listing::plain(&PAGING, COLLECTION_PATH.to_owned(), &MANAGED_DEVICE)
}

/// Deletes the managed device and releases the Autopilot registration it enrolled from (at once,
/// or after `managed_device_release_delay_ms`).
fn delete(app: &App, id: &str) -> GraphResult {
    let delay = chrono::Duration::milliseconds(
        i64::try_from(app.settings.get().managed_device_release_delay_ms).unwrap_or(i64::MAX / 2),
    );
    let now = Utc::now();
    app.store.write(|tenant| {
        if tenant.managed_devices.remove(id).is_none() {
            return Err(INTUNE.not_found(id));
        }
        if delay <= chrono::Duration::zero() {
            release(tenant, id);
        } else {
            tenant
                .lab
                .releasing_managed_devices
                .insert(id.to_owned(), now + delay);
        }
        Ok::<_, GraphError>(())
    })?;
    tracing::info!(%id, "managed device deleted");
    Ok(no_content())
}

/// The Autopilot registrations enrolled as `managed_id` are no longer enrolled.
fn release(tenant: &mut Tenant, managed_id: &str) {
    tenant.lab.releasing_managed_devices.remove(managed_id);
    let ids: Vec<String> = tenant
        .windows_autopilot_device_identities
        .values()
        .filter(|d| collection::str_of(d, "managedDeviceId").eq_ignore_ascii_case(managed_id))
        .map(|d| collection::str_of(d, "id").to_owned())
        .collect();
    for id in ids {
        if let Some(device) = tenant.windows_autopilot_device_identities.get_mut(&id) {
            device["enrollmentState"] = json!("notContacted");
            device["managedDeviceId"] = json!(NO_MANAGED_DEVICE);
        }
    }
}

/// Completes the releases that are due. Called before each Graph request.
pub fn advance(app: &App) {
    super::timers::complete_due_timers(
        app,
        "managed device releases",
        |tenant| &tenant.lab.releasing_managed_devices,
        release,
    );
}

/// What Intune and Entra hold once the Autopilot registration `registration` enrolls: a managed
/// device (`managed_id`, or a new id) and the Entra device object with the registration's
/// `azureActiveDirectoryDeviceId` (kept when there is one already). Returns the managed device id.
pub fn enroll(tenant: &mut Tenant, registration: &Value, managed_id: Option<&str>) -> String {
    let managed_id = managed_id
        .filter(|m| !m.is_empty() && *m != NO_MANAGED_DEVICE)
        .map_or_else(|| Uuid::new_v4().to_string(), str::to_owned);
    let entra_device_id =
        collection::str_of(registration, "azureActiveDirectoryDeviceId").to_owned();
    let serial = collection::str_of(registration, "serialNumber").to_owned();
    let name = match collection::str_of(registration, "displayName") {
        "" => format!(
            "DESKTOP-{}",
            managed_id
                .chars()
                .take(7)
                .collect::<String>()
                .to_ascii_uppercase()
        ),
        name => name.to_owned(),
    };
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    tenant.managed_devices.insert(
        managed_id.clone(),
        json!({
            "@odata.type": MANAGED_DEVICE.odata_type(),
            "id": managed_id,
            "azureADDeviceId": entra_device_id,
            "deviceName": name,
            "enrolledDateTime": now,
            "managedDeviceOwnerType": "company",
            "manufacturer": collection::str_of(registration, "manufacturer"),
            "model": collection::str_of(registration, "model"),
            "operatingSystem": "Windows",
            "serialNumber": serial,
        }),
    );
    super::directory::add_entra_device(tenant, &entra_device_id, &name);
    managed_id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolling_makes_a_managed_and_an_entra_device_and_deleting_releases() {
        let mut tenant = Tenant::default();
        let registration = json!({"id": "r1", "serialNumber": "SN1", "azureActiveDirectoryDeviceId": "e1",
            "enrollmentState": "enrolled", "managedDeviceId": "m1", "displayName": ""});
        tenant
            .windows_autopilot_device_identities
            .insert("r1".into(), registration.clone());
        let id = enroll(&mut tenant, &registration, Some("m1"));
        assert_eq!(id, "m1");
        assert_eq!(
            collection::str_of(tenant.managed_devices.get("m1").unwrap(), "azureADDeviceId"),
            "e1"
        );
        assert_eq!(tenant.devices.len(), 1);
        enroll(&mut tenant, &registration, Some("m1"));
        assert_eq!(tenant.devices.len(), 1, "one Entra device per deviceId");
        tenant.managed_devices.remove("m1");
        release(&mut tenant, "m1");
        let after = tenant
            .windows_autopilot_device_identities
            .get("r1")
            .unwrap();
        assert_eq!(collection::str_of(after, "enrollmentState"), "notContacted");
        assert_eq!(
            collection::str_of(after, "managedDeviceId"),
            NO_MANAGED_DEVICE
        );
    }
}
