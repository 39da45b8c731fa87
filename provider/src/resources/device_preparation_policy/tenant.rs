//! Plan-time checks of `autopilot_device_preparation_policy` against the
//! tenant (the device group, the allowed apps and scripts, classic profiles
//! targeting the same users), and the reads of the tenant a write needs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tfplugin::{Attr, AttrPath, Diagnostics};

use super::graph::{MOBILE_APPS, MobileApp, SCRIPTS, SUPPORTED_APP_TYPES};
use super::model::DevicePreparationPolicyModel;
use crate::graph::{ApiVersion, GraphClient};
use crate::resources::assignments::{IdSet, known_ids};
use crate::resources::group::device_group_problems;
use crate::resources::lints::TenantSnapshot;
use crate::resources::report;
use crate::validate;

/// Plan-time checks against the tenant, for values the plan changes.
pub(super) async fn check_tenant(
    client: &GraphClient,
    prior: Option<&DevicePreparationPolicyModel>,
    planned: &DevicePreparationPolicyModel,
    diags: &mut Diagnostics,
) {
    check_device_group(client, prior, planned, diags).await;
    check_apps(client, prior, planned, diags).await;
    check_scripts(client, prior, planned, diags).await;
}

/// The ids of an id set the prior state holds (none on create).
fn before(
    prior: Option<&DevicePreparationPolicyModel>,
    attr: fn(&DevicePreparationPolicyModel) -> &Attr<IdSet>,
) -> BTreeSet<String> {
    prior
        .and_then(|p| attr(p).known())
        .map(|ids| ids.known_ids().cloned().collect())
        .unwrap_or_default()
}

/// The ids the plan adds to an id set (well-formed ones only: the others
/// are refused by `validate`).
fn added<'a>(
    planned: &'a Attr<IdSet>,
    old: &'a BTreeSet<String>,
) -> impl Iterator<Item = &'a String> {
    planned
        .known()
        .into_iter()
        .flat_map(IdSet::known_ids)
        .filter(|id| !old.contains(*id) && validate::object_id(id).is_ok())
}

/// A new device group must be an assigned security group owned by the
/// Intune Provisioning Client.
async fn check_device_group(
    client: &GraphClient,
    prior: Option<&DevicePreparationPolicyModel>,
    planned: &DevicePreparationPolicyModel,
    diags: &mut Diagnostics,
) {
    let Attr::Known(group) = &planned.device_group_id else {
        return;
    };
    if prior.is_some_and(|p| p.device_group_id == planned.device_group_id)
        || validate::object_id(group).is_err()
    {
        return;
    }
    match device_group_problems(client, group).await {
        Ok(check) => {
            if let Some(detail) = check.owner_unknown {
                diags.warning_at(
                    AttrPath::root("device_group_id"),
                    "Cannot check the device group's owner",
                    detail,
                );
            }
            for (summary, detail) in check.problems {
                diags.error_at(
                    AttrPath::root("device_group_id"),
                    summary,
                    format!(
                        "{detail} (Checked against the group as it is now: if this configuration fixes the \
                         group in the same run, apply the group first with `terraform apply -target` on it.)"
                    ),
                );
            }
        }
        Err(e) => diags.warning_at(
            AttrPath::root("device_group_id"),
            "Cannot check the device group",
            format!("Reading the group failed, so it was not checked: {e}"),
        ),
    }
}

/// New allowed apps exist and are of a type device preparation installs.
async fn check_apps(
    client: &GraphClient,
    prior: Option<&DevicePreparationPolicyModel>,
    planned: &DevicePreparationPolicyModel,
    diags: &mut Diagnostics,
) {
    let old_apps = before(prior, |p| &p.allowed_app_ids);
    for id in added(&planned.allowed_app_ids, &old_apps) {
        match client
            .get_optional::<MobileApp>(ApiVersion::Beta, &format!("{MOBILE_APPS}/{id}"))
            .await
        {
            Ok(None) => diags.error_at(
                AttrPath::root("allowed_app_ids"),
                "Allowed app not found",
                format!("No app with id {id} exists in the tenant's Intune apps."),
            ),
            Ok(Some(app)) if !SUPPORTED_APP_TYPES.contains(&app.odata_type.as_str()) => {
                diags.warning_at(
                    AttrPath::root("allowed_app_ids"),
                    "App type not known to work with device preparation",
                    format!(
                        "App {} ({id}) is a {}; device preparation installs line-of-business, Win32, \
                         Microsoft Store (WinGet) and Microsoft 365 apps.",
                        app.display_name.unwrap_or_default(),
                        app.odata_type.trim_start_matches("#microsoft.graph.")
                    ),
                )
            }
            Ok(Some(_)) => {}
            Err(e) => diags.warning_at(
                AttrPath::root("allowed_app_ids"),
                "Cannot check the allowed apps",
                format!("Reading app {id} failed: {e}"),
            ),
        }
    }
}

/// New allowed scripts exist.
async fn check_scripts(
    client: &GraphClient,
    prior: Option<&DevicePreparationPolicyModel>,
    planned: &DevicePreparationPolicyModel,
    diags: &mut Diagnostics,
) {
    let old_scripts = before(prior, |p| &p.allowed_script_ids);
    for id in added(&planned.allowed_script_ids, &old_scripts) {
        match client
            .get_optional::<Value>(ApiVersion::Beta, &format!("{SCRIPTS}/{id}"))
            .await
        {
            Ok(None) => diags.error_at(
                AttrPath::root("allowed_script_ids"),
                "Allowed script not found",
                format!("No PowerShell script with id {id} exists in the tenant's Intune scripts."),
            ),
            Ok(Some(_)) => {}
            Err(e) => diags.warning_at(
                AttrPath::root("allowed_script_ids"),
                "Cannot check the allowed scripts",
                format!("Reading script {id} failed: {e}"),
            ),
        }
    }
}

/// The `@odata.type` of each allowed app, read from the tenant.
pub(super) async fn app_types(
    client: &GraphClient,
    model: &DevicePreparationPolicyModel,
    diags: &mut Diagnostics,
) -> Option<BTreeMap<String, String>> {
    let mut types = BTreeMap::new();
    for id in model
        .allowed_app_ids
        .known()
        .into_iter()
        .flat_map(IdSet::known_ids)
    {
        match client
            .get_optional::<MobileApp>(ApiVersion::Beta, &format!("{MOBILE_APPS}/{id}"))
            .await
        {
            Ok(Some(app)) => {
                types.insert(id.clone(), app.odata_type);
            }
            Ok(None) => {
                diags.error_at(
                    AttrPath::root("allowed_app_ids"),
                    "Allowed app not found",
                    format!("No app with id {id} exists in the tenant's Intune apps."),
                );
                return None;
            }
            Err(e) => {
                report(diags, &format!("read the app {id}"), &e);
                return None;
            }
        }
    }
    Some(types)
}

/// Warns when a classic Autopilot deployment profile targets the same
/// groups: devices registered as classic Autopilot devices get the
/// profile instead of this policy.
pub(super) async fn lint(
    tenant: &TenantSnapshot,
    client: &GraphClient,
    planned: &DevicePreparationPolicyModel,
    diags: &mut Diagnostics,
) {
    let Some(groups) = known_ids(&planned.include_group_ids) else {
        return;
    };
    if groups.is_empty() {
        return;
    }
    let profiles = match tenant.profiles(client).await {
        Ok(p) => p,
        Err(e) => {
            diags.warning(
                "Cannot check the tenant's deployment profiles",
                format!("Reading the tenant failed, so overlaps with classic Autopilot profiles were not checked: {e}"),
            );
            return;
        }
    };
    for profile in profiles.iter() {
        let shared: Vec<&String> = profile.targets.include.intersection(&groups).collect();
        let overlap = if profile.targets.all_devices {
            "is assigned to all devices".to_string()
        } else if !shared.is_empty() {
            format!(
                "is assigned to {}",
                shared
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            continue;
        };
        diags.warning_at(
            AttrPath::root("include_group_ids"),
            "A classic Autopilot profile targets the same population",
            format!(
                "The deployment profile {:?} ({}) {overlap}. Devices registered as classic Windows Autopilot \
                 devices get that profile, not this device preparation policy; deregister them or keep the \
                 populations apart.",
                profile.display_name, profile.id
            ),
        );
    }
}
