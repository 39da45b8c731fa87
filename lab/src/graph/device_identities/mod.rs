//! `/deviceManagement/windowsAutopilotDeviceIdentities` (beta and v1.0): registered Autopilot
//! devices, with `updateDeviceProperties`, `assignUserToDevice`, `unassignUserFromDevice`,
//! `allowNextEnrollment` (beta only) and
//! DELETE; and the `windowsAutopilotSettings` singleton with `sync` (beta only).

use axum::http::StatusCode;
use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use super::collection::{self, IntuneBackend, Listing, Paging};
use super::{ApiVersion, GraphRequest, no_content};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

mod actions;
mod assignment;
mod settings;

pub use actions::check_device_name;
use actions::*;
pub use settings::*;

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/windowsAutopilotDeviceIdentities";
/// Path of the settings singleton.
pub const SETTINGS_PATH: &str = "deviceManagement/windowsAutopilotSettings";

/// The members of `enrollmentState`.
pub const ENROLLMENT_STATES: &[&str] = &[
    "unknown",
    "enrolled",
    "pendingReset",
    "failed",
    "notContacted",
    "blocked",
];

graph_types!("graph_device_identities");

/// A device identity as Graph shows it: the profile assignment status follows the profiles
/// assigned to it now (`pending` for `profile_assignment_delay_ms` after it became targeted).
pub fn render_device(tenant: &Tenant, device: &Value) -> Value {
    let mut out = device.clone();
    if let Some(map) = out.as_object_mut() {
        assignment::render_assignment(tenant, device, map, Utc::now());
    }
    out
}

/// The Intune backend behind the collection, named in wrapped errors.
static INTUNE: IntuneBackend = IntuneBackend {
    path: "DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/deviceManagement/windowsAutopilotDeviceIdentities",
};

fn devices(tenant: &Tenant) -> &Collection {
    &tenant.windows_autopilot_device_identities
}

/// The device identity a completed import creates.
pub fn new_device(id: &str, import: &Value) -> Value {
    let text = |name: &str| {
        import
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let entra_id = Uuid::new_v4().to_string();
    json!({
        "@odata.type": DEVICE_IDENTITY.odata_type(),
        "id": id,
        "deploymentProfileAssignmentStatus": "notAssigned",
        "deploymentProfileAssignmentDetailedStatus": "none",
        "deploymentProfileAssignedDateTime": "0001-01-01T00:00:00Z",
        "groupTag": text("groupTag"),
        "purchaseOrderIdentifier": "",
        "serialNumber": text("serialNumber"),
        "productKey": text("productKey"),
        "manufacturer": "",
        "model": "",
        "enrollmentState": "notContacted",
        "lastContactedDateTime": "0001-01-01T00:00:00Z",
        "addressableUserName": "",
        "userPrincipalName": text("assignedUserPrincipalName"),
        "resourceName": "",
        "skuNumber": "",
        "systemFamily": "",
        "azureActiveDirectoryDeviceId": entra_id,
        "azureAdDeviceId": entra_id,
        "managedDeviceId": "00000000-0000-0000-0000-000000000000",
        "displayName": "",
        "deviceAccountUpn": "",
        "deviceAccountPassword": null,
        "deviceFriendlyName": "",
        "remediationState": "unknown",
        "remediationStateLastModifiedDateTime": "0001-01-01T00:00:00Z",
        "userlessEnrollmentStatus": "unknown",
    })
}

/// Routes the segments after `windowsAutopilotDeviceIdentities`.
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
        [id, action] if super::is_action(action, "updateDeviceProperties") => by_method!(method,
            POST => update_properties(app, request, id),
        ),
        [id, action] if super::is_action(action, "assignUserToDevice") => by_method!(method,
            POST => assign_user(app, request, id),
        ),
        [id, action] if super::is_action(action, "unassignUserFromDevice") => by_method!(method,
            POST => unassign_user(app, request, id),
        ),
        [id, action]
            if super::is_action(action, "allowNextEnrollment")
                && request.version == ApiVersion::Beta =>
        {
            by_method!(method,
                POST => allow_next_enrollment(app, request, id),
            )
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// Page size of the listing: Intune clamps `$top` to the maximum.
pub static PAGING: Paging = Paging::new("windowsAutopilotDeviceIdentities", 1000, 1000);

fn list(app: &App, request: &GraphRequest) -> GraphResult {
    let listing = Listing::plain(&PAGING, COLLECTION_PATH.to_owned(), &DEVICE_IDENTITY);
    collection::list(
        app,
        request,
        &listing,
        devices,
        |_, _| true,
        |tenant, device, _| render_device(tenant, device),
    )
}

fn get(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let select =
        super::odata::parse_select(request.query.select.as_deref(), &DEVICE_IDENTITY, &[])?;
    let device = app
        .store
        .read(|tenant| {
            tenant
                .windows_autopilot_device_identities
                .get(id)
                .map(|d| render_device(tenant, d))
        })
        .ok_or_else(|| INTUNE.not_found(id))?;
    let device = collection::project(&device, &DEVICE_IDENTITY, &[], request.version);
    Ok(collection::entity_response(
        app,
        request,
        StatusCode::OK,
        &format!("{COLLECTION_PATH}/$entity"),
        super::odata::apply_select(&device, select.as_deref()),
    ))
}

/// The refusal Intune gives when an enrolled device's registration is
/// deleted (the exact wording is not documented; the rule is: delete the
/// device from Intune first, autopilot-rules.md).
const ENROLLED_DELETE_REFUSAL: &str = "The device is enrolled in Intune and cannot be deleted \
     from Windows Autopilot. Delete the managed device from Intune first.";

/// Deletion is asynchronous ("Windows Autopilot device deletion can take a few minutes to
/// complete", Microsoft's add-devices documentation): the identity stays listed, and its serial
/// number taken, for `device_deletion_delay_ms`; a DELETE meanwhile answers 204 again.
fn delete(app: &App, id: &str) -> GraphResult {
    let delay = chrono::Duration::milliseconds(
        i64::try_from(app.settings.get().device_deletion_delay_ms).unwrap_or(i64::MAX / 2),
    );
    let now = Utc::now();
    app.store.write(|tenant| {
        let device = tenant
            .windows_autopilot_device_identities
            .get(id)
            .ok_or_else(|| INTUNE.not_found(id))?;
        if device.get("enrollmentState").and_then(Value::as_str) == Some("enrolled") {
            return Err(GraphError::intune_bad_request(
                ENROLLED_DELETE_REFUSAL,
                format!("{COLLECTION_PATH}/{id}"),
            ));
        }
        if delay <= chrono::Duration::zero() {
            remove_device(tenant, id);
        } else if !tenant.lab.deleting_devices.contains_key(id) {
            tenant
                .lab
                .deleting_devices
                .insert(id.to_owned(), now + delay);
        }
        Ok::<_, GraphError>(())
    })?;
    tracing::info!(%id, "device identity deletion started");
    Ok(no_content())
}

fn remove_device(tenant: &mut Tenant, id: &str) {
    tenant.windows_autopilot_device_identities.remove(id);
    tenant.lab.device_profiles.remove(id);
    tenant.lab.deleting_devices.remove(id);
    tenant.lab.pending_device_properties.remove(id);
    tenant.lab.next_enrollment_allowed.remove(id);
    tenant.lab.profile_assignments.remove(id);
}

/// Notes devices newly targeted by a deployment profile and removes the device identities whose
/// deletion has completed. Called before each Graph request and by `/_lab/objects`.
pub fn advance(app: &App) {
    assignment::track_targeting(app);
    super::timers::complete_due_timers(
        app,
        "device identity deletions",
        |tenant| &tenant.lab.deleting_devices,
        remove_device,
    );
}
