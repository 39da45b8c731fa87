//! Profile assignments and devices: the `assignments` navigation's writes, `assign` with
//! device ids, the profile a device gets, and the `assignedDevices` navigation.

use serde_json::{Value, json};

use super::{
    ASSIGNMENTS, COLLECTION_PATH, INTUNE, PROFILE_ASSIGNMENT, SUPPORTED_TARGETS,
    profile_assignments,
};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::graph::assignments::{self, SOURCE_DIRECT};
use crate::graph::collection::{self, Listing};
use crate::graph::schema;
use crate::graph::{GraphRequest, no_content};
use crate::store::Tenant;

pub(super) fn create_assignment(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    schema::resolve_type(&body, &PROFILE_ASSIGNMENT, &[])?;
    let given = schema::validate_properties_in(&PROFILE_ASSIGNMENT, &body, request.version)?;
    let url = INTUNE.url(Some(id), Some("assignments"));
    let target_value = given
        .get("target")
        .filter(|t| !t.is_null())
        .ok_or_else(|| GraphError::intune_bad_request("An assignment needs a target.", &url))?;
    let target = assignments::parse_target(target_value, SUPPORTED_TARGETS, &url)?;
    let assignment_id = format!("{id}_{}", target.group_key);
    let assignment = json!({
        "id": assignment_id,
        "source": SOURCE_DIRECT,
        "sourceId": id,
        "target": target.value,
    });
    let all_devices = target.group_key == assignments::ALL_DEVICES_GROUP_ID;
    app.store.write(|tenant| {
        if !tenant.windows_autopilot_deployment_profiles.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        if tenant
            .windows_autopilot_deployment_profile_assignments
            .contains(&assignment_id)
        {
            return Err(GraphError::intune_bad_request(
                format!("The profile is already assigned to '{}'.", target.group_key),
                url.clone(),
            ));
        }
        if all_devices
            && let Some(other) = tenant
                .windows_autopilot_deployment_profile_assignments
                .values()
                .find(|a| {
                    collection::str_of(a, "id")
                        .ends_with(&format!("_{}", assignments::ALL_DEVICES_GROUP_ID))
                })
        {
            return Err(GraphError::intune_bad_request(
                format!(
                    "Another Profile {} is already assigned to All Devices.",
                    collection::str_of(other, "sourceId")
                ),
                url.clone(),
            ));
        }
        tenant
            .windows_autopilot_deployment_profile_assignments
            .insert(assignment_id.clone(), assignment.clone());
        Ok(())
    })?;
    tracing::info!(%id, %assignment_id, "deployment profile assignment created");
    Ok(collection::created_response(
        app,
        request,
        &format!("{COLLECTION_PATH}('{id}')/assignments/$entity"),
        &format!("{COLLECTION_PATH}('{id}')/assignments('{assignment_id}')"),
        assignment,
    ))
}

pub(super) fn delete_assignment(app: &App, id: &str, assignment_id: &str) -> GraphResult {
    app.store.write(|tenant| {
        ASSIGNMENTS.find(tenant, id, assignment_id)?;
        tenant
            .windows_autopilot_deployment_profile_assignments
            .remove(assignment_id);
        Ok::<_, GraphError>(())
    })?;
    tracing::info!(%id, %assignment_id, "deployment profile assignment deleted");
    Ok(no_content())
}

/// `assign` with `deviceIds`: assigns the profile to those device identities directly.
pub(super) fn assign_devices(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    if let Some(name) = body.keys().find(|k| *k != "deviceIds") {
        return Err(GraphError::bad_request(format!(
            "The parameter '{name}' in the request payload is not a valid parameter for the operation 'assign'."
        )));
    }
    let ids: Vec<String> = match body.get("deviceIds") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| schema::conversion_error(v, "Edm.String"))
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(schema::conversion_error(other, "Collection(Edm.String)")),
    };
    let url = INTUNE.url(Some(id), Some("assign"));
    app.store.write(|tenant| {
        if !tenant.windows_autopilot_deployment_profiles.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        if let Some(unknown) = ids
            .iter()
            .find(|d| !tenant.windows_autopilot_device_identities.contains(d))
        {
            return Err(GraphError::intune_bad_request(
                format!("Device '{unknown}' is not a registered Autopilot device."),
                url.clone(),
            ));
        }
        for device in &ids {
            tenant
                .lab
                .device_profiles
                .insert(device.clone(), id.to_owned());
        }
        Ok(())
    })?;
    Ok(no_content())
}

/// The profile a device gets: the one assigned to it directly, else the oldest profile whose
/// assignments include the device (all devices, or a dynamic group whose Autopilot rule matches
/// it) without excluding it.
pub fn effective_profile(tenant: &Tenant, device: &Value) -> Option<String> {
    let device_id = collection::str_of(device, "id");
    if let Some(profile) = tenant.lab.device_profiles.get(device_id)
        && tenant
            .windows_autopilot_deployment_profiles
            .contains(profile)
    {
        return Some(profile.clone());
    }
    tenant
        .windows_autopilot_deployment_profiles
        .values()
        .map(|p| collection::str_of(p, "id"))
        .find(|profile_id| {
            let assignments = assignments::of(profile_assignments(tenant), profile_id);
            let targets = |exclusion: bool| {
                assignments.iter().any(|a| {
                    let target = &a["target"];
                    let kind = collection::str_of(target, "@odata.type");
                    let is_exclusion = kind.ends_with("exclusionGroupAssignmentTarget");
                    if is_exclusion != exclusion {
                        return false;
                    }
                    if kind.ends_with("allDevicesAssignmentTarget") {
                        return true;
                    }
                    let group_id = collection::str_of(target, "groupId");
                    tenant.groups.get(group_id).is_some_and(|group| {
                        crate::graph::directory::group_contains_device(group, device)
                    })
                })
            };
            targets(false) && !targets(true)
        })
        .map(str::to_owned)
}

pub(super) fn list_assigned_devices(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    if !app
        .store
        .read(|tenant| tenant.windows_autopilot_deployment_profiles.contains(id))
    {
        return Err(INTUNE.not_found(id));
    }
    let profile = id.to_owned();
    let listing = Listing::plain(
        &crate::graph::device_identities::PAGING,
        format!("{COLLECTION_PATH}('{id}')/assignedDevices"),
        &crate::graph::device_identities::DEVICE_IDENTITY,
    );
    collection::list(
        app,
        request,
        &listing,
        |tenant| &tenant.windows_autopilot_device_identities,
        move |tenant, device| {
            effective_profile(tenant, device).as_deref() == Some(profile.as_str())
        },
        |tenant, device, _| crate::graph::device_identities::render_device(tenant, device),
    )
}
