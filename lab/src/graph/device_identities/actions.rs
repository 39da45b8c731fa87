//! The device actions: `updateDeviceProperties`, `assignUserToDevice` and
//! `unassignUserFromDevice`, whose writes show after the next sync when the
//! `device_properties_after_sync` setting is on; and `allowNextEnrollment`
//! (beta only), which changes nothing the lab shows.

use serde_json::{Map, Value, json};

use super::INTUNE;
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::graph::schema;
use crate::graph::{ApiVersion, GraphRequest, no_content};
use crate::store::Tenant;

/// Writes device properties: at once, or (setting `device_properties_after_sync`, Intune's
/// behaviour) held until the next Autopilot sync.
pub(super) fn write_properties(
    app: &App,
    tenant: &mut Tenant,
    id: &str,
    properties: Map<String, Value>,
) {
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
pub(super) fn apply_pending_properties(tenant: &mut Tenant) -> usize {
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
pub(super) fn string_parameters(
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
pub(super) fn check_upn(tenant: &Tenant, upn: &str, url: &str) -> Result<(), GraphError> {
    if crate::graph::directory::find_user(tenant, upn).is_none() {
        return Err(GraphError::intune_bad_request(
            format!("User '{upn}' is not a valid user principal name in this tenant."),
            url,
        ));
    }
    Ok(())
}

pub(super) fn update_properties(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
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
    on_registration(app, id, "device properties updated", |tenant| {
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
    })
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

pub(super) fn assign_user(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
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
    on_registration(app, id, "user assigned to device", |tenant| {
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
    })
}

pub(super) fn unassign_user(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    no_parameters(request, "unassignUserFromDevice")?;
    on_registration(app, id, "user unassigned from device", |tenant| {
        let mut properties = Map::new();
        properties.insert("userPrincipalName".into(), json!(""));
        properties.insert("addressableUserName".into(), json!(""));
        write_properties(app, tenant, id, properties);
        Ok(())
    })
}

/// `allowNextEnrollment` (beta only, no parameters): 204 for a registered device, which the lab
/// records in `_lab.nextEnrollmentAllowed` (`/_lab/objects`); 404 otherwise.
pub(super) fn allow_next_enrollment(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    no_parameters(request, "allowNextEnrollment")?;
    on_registration(app, id, "next enrollment allowed", |tenant| {
        tenant.lab.next_enrollment_allowed.insert(id.to_owned());
        Ok(())
    })
}

/// The write of an action on registration `id`: Intune's 404 when the registration does not
/// exist, else `act` (which may refuse), in one store write; logged as `done`; 204.
fn on_registration(
    app: &App,
    id: &str,
    done: &str,
    act: impl FnOnce(&mut Tenant) -> Result<(), GraphError>,
) -> GraphResult {
    app.store.write(|tenant| {
        if !tenant.windows_autopilot_device_identities.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        act(tenant)
    })?;
    tracing::info!(%id, "{done}");
    Ok(no_content())
}

/// The body of an action without parameters: empty, or an object that names none.
fn no_parameters(request: &GraphRequest, action: &str) -> Result<(), GraphError> {
    if !request.body.is_empty() {
        let body = request.json_object()?;
        string_parameters(&body, &[], action)?;
    }
    Ok(())
}
