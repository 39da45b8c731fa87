//! `/deviceManagement/windowsAutopilotDeviceIdentities` (beta and v1.0): registered Autopilot
//! devices, with `updateDeviceProperties`, `assignUserToDevice`, `unassignUserFromDevice` and
//! DELETE; and the `windowsAutopilotSettings` singleton with `sync` (beta only).

use std::time::Duration;

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::collection::{self, IntuneBackend, Listing, Paging};
use super::deployment_profiles;
use super::schema::{self, ENTITY, Kind, Property, StructuredType};
use super::{ApiVersion, GraphRequest, method_not_allowed, no_content};
use crate::app::App;
use crate::clock::graph_timestamp;
use crate::errors::{GraphError, INTUNE_FAKE_HOST};
use crate::store::{Collection, Tenant};

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/windowsAutopilotDeviceIdentities";
/// Path of the settings singleton.
pub const SETTINGS_PATH: &str = "deviceManagement/windowsAutopilotSettings";

const ENROLLMENT_STATE: Kind = Kind::Enum(
    "enrollmentState",
    &[
        "unknown",
        "enrolled",
        "pendingReset",
        "failed",
        "notContacted",
        "blocked",
    ],
);
const ASSIGNMENT_STATUS: Kind = Kind::Enum(
    "windowsAutopilotProfileAssignmentStatus",
    &[
        "unknown",
        "assignedInSync",
        "assignedOutOfSync",
        "assignedUnkownSyncState",
        "notAssigned",
        "pending",
        "failed",
    ],
);
const ASSIGNMENT_DETAILED_STATUS: Kind = Kind::Enum(
    "windowsAutopilotProfileAssignmentDetailedStatus",
    &[
        "none",
        "hardwareRequirementsNotMet",
        "surfaceHubProfileNotSupported",
        "holoLensProfileNotSupported",
        "windowsPcProfileNotSupported",
        "surfaceHub2SProfileNotSupported",
        "unknownFutureValue",
    ],
);
const REMEDIATION_STATE: Kind = Kind::Enum(
    "windowsAutopilotDeviceRemediationState",
    &[
        "unknown",
        "noRemediationRequired",
        "automaticRemediationRequired",
        "manualRemediationRequired",
        "unknownFutureValue",
    ],
);
const USERLESS_STATUS: Kind = Kind::Enum(
    "windowsAutopilotUserlessEnrollmentStatus",
    &["unknown", "allowed", "blocked", "unknownFutureValue"],
);

pub static DEVICE_IDENTITY: StructuredType = StructuredType {
    name: "windowsAutopilotDeviceIdentity",
    base: Some(&ENTITY),
    is_abstract: false,
    properties: &[
        Property::new("addressableUserName", Kind::String, true),
        Property::new("azureActiveDirectoryDeviceId", Kind::String, true),
        Property::new("azureAdDeviceId", Kind::String, true).beta(),
        Property::read_only(
            "deploymentProfileAssignedDateTime",
            Kind::DateTimeOffset,
            false,
        )
        .beta(),
        Property::read_only(
            "deploymentProfileAssignmentDetailedStatus",
            ASSIGNMENT_DETAILED_STATUS,
            false,
        )
        .beta(),
        Property::read_only(
            "deploymentProfileAssignmentStatus",
            ASSIGNMENT_STATUS,
            false,
        )
        .beta(),
        Property::new("deviceAccountPassword", Kind::String, true).beta(),
        Property::new("deviceAccountUpn", Kind::String, true).beta(),
        Property::new("deviceFriendlyName", Kind::String, true).beta(),
        Property::new("displayName", Kind::String, true),
        Property::read_only("enrollmentState", ENROLLMENT_STATE, false),
        Property::new("groupTag", Kind::String, true),
        Property::read_only("lastContactedDateTime", Kind::DateTimeOffset, false),
        Property::read_only("managedDeviceId", Kind::String, true),
        Property::read_only("manufacturer", Kind::String, true),
        Property::read_only("model", Kind::String, true),
        Property::read_only("productKey", Kind::String, true),
        Property::new("purchaseOrderIdentifier", Kind::String, true),
        Property::read_only("remediationState", REMEDIATION_STATE, false).beta(),
        Property::read_only(
            "remediationStateLastModifiedDateTime",
            Kind::DateTimeOffset,
            false,
        )
        .beta(),
        Property::read_only("resourceName", Kind::String, true),
        Property::read_only("serialNumber", Kind::String, true),
        Property::read_only("skuNumber", Kind::String, true),
        Property::read_only("systemFamily", Kind::String, true),
        Property::read_only("userlessEnrollmentStatus", USERLESS_STATUS, false).beta(),
        Property::new("userPrincipalName", Kind::String, true),
    ],
    navigations: &["deploymentProfile", "intendedDeploymentProfile"],
};

/// A device identity as Graph shows it: the profile assignment status follows the profiles
/// assigned to it now.
pub fn render_device(tenant: &Tenant, device: &Value) -> Value {
    let mut out = device.clone();
    let profile = deployment_profiles::effective_profile(tenant, device);
    if let Some(map) = out.as_object_mut() {
        match profile.and_then(|id| tenant.windows_autopilot_deployment_profiles.get(&id)) {
            Some(profile) => {
                map.insert(
                    "deploymentProfileAssignmentStatus".into(),
                    json!("assignedInSync"),
                );
                map.insert(
                    "deploymentProfileAssignedDateTime".into(),
                    json!(collection::str_of(profile, "createdDateTime")),
                );
            }
            None => {
                map.insert(
                    "deploymentProfileAssignmentStatus".into(),
                    json!("notAssigned"),
                );
                map.insert(
                    "deploymentProfileAssignedDateTime".into(),
                    json!("0001-01-01T00:00:00Z"),
                );
            }
        }
    }
    out
}

const SYNC_STATUS: Kind = Kind::Enum(
    "windowsAutopilotSyncStatus",
    &["unknown", "inProgress", "completed", "failed"],
);

pub static AUTOPILOT_SETTINGS: StructuredType = StructuredType {
    name: "windowsAutopilotSettings",
    base: Some(&ENTITY),
    is_abstract: false,
    properties: &[
        Property::read_only("lastManualSyncTriggerDateTime", Kind::DateTimeOffset, false),
        Property::read_only("lastSyncDateTime", Kind::DateTimeOffset, false),
        Property::read_only("syncStatus", SYNC_STATUS, false),
    ],
    navigations: &[],
};

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
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> Result<Response, GraphError> {
    let method = &request.method;
    let is = |segment: &String, name: &str| {
        segment.eq_ignore_ascii_case(name)
            || segment.eq_ignore_ascii_case(&format!("microsoft.graph.{name}"))
    };
    match rest {
        [] => by_method!(method,
            GET => list(app, request),
        ),
        [id] => by_method!(method,
            GET => get(app, request, id),
            DELETE => delete(app, id),
        ),
        [id, action] if is(action, "updateDeviceProperties") => by_method!(method,
            POST => update_properties(app, request, id),
        ),
        [id, action] if is(action, "assignUserToDevice") => by_method!(method,
            POST => assign_user(app, request, id),
        ),
        [id, action] if is(action, "unassignUserFromDevice") => by_method!(method,
            POST => unassign_user(app, request, id),
        ),
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// Page size of the listing: Intune clamps `$top` to the maximum.
pub static PAGING: Paging = Paging::new("windowsAutopilotDeviceIdentities", 1000, 1000);

fn list(app: &App, request: &GraphRequest) -> Result<Response, GraphError> {
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

fn get(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
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
fn delete(app: &App, id: &str) -> Result<Response, GraphError> {
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
}

/// Removes the device identities whose deletion has completed. Called before each Graph request
/// and by `/_lab/objects`.
pub fn advance(app: &App) {
    let now = Utc::now();
    let due = app.store.read(|tenant| {
        tenant
            .lab
            .deleting_devices
            .values()
            .any(|until| *until <= now)
    });
    if !due {
        return;
    }
    let result = app.store.write(|tenant| {
        let done: Vec<String> = tenant
            .lab
            .deleting_devices
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &done {
            remove_device(tenant, id);
        }
        Ok::<_, crate::store::StoreError>(done.len())
    });
    match result {
        Ok(removed) => tracing::info!(removed, "device identity deletions completed"),
        Err(error) => tracing::error!(%error, "device identity deletions could not be completed"),
    }
}

/// Writes device properties: at once, or (setting `device_properties_after_sync`, Intune's
/// behaviour) held until the next Autopilot sync.
fn write_properties(app: &App, tenant: &mut Tenant, id: &str, properties: Map<String, Value>) {
    if app.settings.get().device_properties_after_sync {
        tenant
            .lab
            .pending_device_properties
            .entry(id.to_owned())
            .or_default()
            .extend(properties);
    } else if let Some(Value::Object(device)) =
        tenant.windows_autopilot_device_identities.get_mut(id)
    {
        device.extend(properties);
    }
}

/// Applies every pending device property (at a sync).
fn apply_pending_properties(tenant: &mut Tenant) -> usize {
    let pending = std::mem::take(&mut tenant.lab.pending_device_properties);
    let count = pending.len();
    for (id, properties) in pending {
        if let Some(Value::Object(device)) = tenant.windows_autopilot_device_identities.get_mut(&id)
        {
            device.extend(properties);
        }
    }
    count
}

/// String parameters of an action body, checked against `allowed`.
fn string_parameters(
    body: &Map<String, Value>,
    allowed: &[&str],
    action: &str,
) -> Result<Map<String, Value>, GraphError> {
    let mut out = Map::new();
    for (name, value) in body {
        if name.contains('@') {
            continue;
        }
        if !allowed.contains(&name.as_str()) {
            return Err(GraphError::bad_request(format!(
                "The parameter '{name}' in the request payload is not a valid parameter for the operation '{action}'."
            )));
        }
        if !(value.is_string() || value.is_null()) {
            return Err(schema::conversion_error(value, "Edm.String"));
        }
        out.insert(name.clone(), value.clone());
    }
    Ok(out)
}

/// A user principal name must name a user of the tenant.
fn check_upn(tenant: &Tenant, upn: &str, url: &str) -> Result<(), GraphError> {
    if super::directory::find_user(tenant, upn).is_none() {
        return Err(GraphError::intune_bad_request(
            format!("User '{upn}' is not a valid user principal name in this tenant."),
            url,
        ));
    }
    Ok(())
}

fn update_properties(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    let allowed: &[&str] = match request.version {
        ApiVersion::V1 => &[
            "userPrincipalName",
            "addressableUserName",
            "groupTag",
            "displayName",
        ],
        ApiVersion::Beta => &[
            "userPrincipalName",
            "addressableUserName",
            "groupTag",
            "displayName",
            "deviceAccountUpn",
            "deviceAccountPassword",
            "deviceFriendlyName",
        ],
    };
    let given = string_parameters(&body, allowed, "updateDeviceProperties")?;
    let url = INTUNE.action_url(Some(id), "updateDeviceProperties");
    if let Some(name) = given
        .get("displayName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        && let Err(reason) = check_device_name(name)
    {
        return Err(GraphError::intune_bad_request(
            format!("displayName '{name}' is not valid: {reason}."),
            url,
        ));
    }
    app.store.write(|tenant| {
        if !tenant.windows_autopilot_device_identities.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        if let Some(upn) = given
            .get("userPrincipalName")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
        {
            check_upn(tenant, upn, &url)?;
        }
        let properties: Map<String, Value> = given
            .iter()
            .map(|(name, value)| {
                let value = if value.is_null() && name != "deviceAccountPassword" {
                    json!("")
                } else {
                    value.clone()
                };
                (name.clone(), value)
            })
            .collect();
        write_properties(app, tenant, id, properties);
        Ok(())
    })?;
    tracing::info!(%id, "device properties updated");
    Ok(no_content())
}

/// A device name: at most 15 letters, digits and hyphens, not only digits.
pub fn check_device_name(name: &str) -> Result<(), String> {
    if name.chars().count() > 15 {
        return Err("at most 15 characters".into());
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err("only letters, digits and hyphens".into());
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        return Err("not only digits".into());
    }
    Ok(())
}

fn assign_user(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    let given = string_parameters(
        &body,
        &["userPrincipalName", "addressableUserName"],
        "assignUserToDevice",
    )?;
    let url = INTUNE.action_url(Some(id), "assignUserToDevice");
    let upn = given
        .get("userPrincipalName")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| GraphError::intune_bad_request("userPrincipalName is required.", &url))?
        .to_owned();
    app.store.write(|tenant| {
        if !tenant.windows_autopilot_device_identities.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        check_upn(tenant, &upn, &url)?;
        let mut properties = Map::new();
        properties.insert("userPrincipalName".into(), json!(upn));
        properties.insert(
            "addressableUserName".into(),
            given
                .get("addressableUserName")
                .filter(|v| !v.is_null())
                .cloned()
                .unwrap_or(json!("")),
        );
        write_properties(app, tenant, id, properties);
        Ok(())
    })?;
    tracing::info!(%id, "user assigned to device");
    Ok(no_content())
}

fn unassign_user(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    if !request.body.is_empty() {
        let body = request.json_object()?;
        string_parameters(&body, &[], "unassignUserFromDevice")?;
    }
    app.store.write(|tenant| {
        if !tenant.windows_autopilot_device_identities.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        let mut properties = Map::new();
        properties.insert("userPrincipalName".into(), json!(""));
        properties.insert("addressableUserName".into(), json!(""));
        write_properties(app, tenant, id, properties);
        Ok(())
    })?;
    tracing::info!(%id, "user unassigned from device");
    Ok(no_content())
}

// ---------------------------------------------------------------------------------------------
// windowsAutopilotSettings

/// Routes the segments after `windowsAutopilotSettings` (beta only).
pub fn route_settings(
    app: &App,
    request: &GraphRequest,
    rest: &[String],
) -> Result<Response, GraphError> {
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
        [action]
            if action.eq_ignore_ascii_case("sync")
                || action.eq_ignore_ascii_case("microsoft.graph.sync") =>
        {
            match request.method {
                Method::POST => sync(app),
                _ => Err(method_not_allowed(&["POST"])),
            }
        }
        [other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// `sync`: refused (429) within `sync_min_interval_ms` of the previous manual sync; otherwise
/// every pending import is decided now and the sync completes at once.
fn sync(app: &App) -> Result<Response, GraphError> {
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
        super::imports::process(tenant, now_instant, true);
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
