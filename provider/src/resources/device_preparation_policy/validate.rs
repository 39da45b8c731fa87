//! The plan-time rules of `autopilot_device_preparation_policy`, one
//! function per rule; every diagnostic names its attribute.

use tfplugin::{Attr, AttrPath, Diagnostics};

use super::model::{DeploymentMode, DevicePreparationPolicyModel, USER_DRIVEN_ONLY};
use crate::resources::assignments::{self, IdSet};
use crate::validate;

/// Every rule of a policy, in the order their diagnostics appear.
pub(super) fn validate(config: &DevicePreparationPolicyModel, diags: &mut Diagnostics) {
    crate::resources::intune::validate_scope_tags(&config.role_scope_tag_ids, diags);
    automatic_takes_no_user_driven_settings(config, diags);
    ids_are_object_ids(config, diags);
    device_group_is_not_a_user_group(config, diags);
    assignments::validate_filter(
        &config.assignment_filter_id,
        &config.assignment_filter_type,
        match config.all_users {
            Attr::Known(true) => Some(true),
            _ => assignments::has_members(&config.include_group_ids, IdSet::is_empty),
        },
        diags,
    );
}

fn automatic_takes_no_user_driven_settings(
    config: &DevicePreparationPolicyModel,
    diags: &mut Diagnostics,
) {
    if config.deployment_mode != Attr::Known(DeploymentMode::Automatic) {
        return;
    }
    let set: [(&str, bool); 8] = [
        ("join_type", !config.join_type.is_null()),
        ("user_account_type", !config.user_account_type.is_null()),
        ("timeout_minutes", !config.timeout_minutes.is_null()),
        (
            "custom_error_message",
            !config.custom_error_message.is_null(),
        ),
        ("allow_skip", !config.allow_skip.is_null()),
        ("allow_diagnostics", !config.allow_diagnostics.is_null()),
        ("include_group_ids", !config.include_group_ids.is_null()),
        ("all_users", config.all_users == Attr::Known(true)),
    ];
    debug_assert_eq!(set.len(), USER_DRIVEN_ONLY.len());
    for (name, is_set) in set {
        if is_set {
            diags.error_at(
                AttrPath::root(name),
                format!("`{name}` is only for user-driven policies"),
                format!(
                    "Automatic (Windows 365) device preparation policies only take `allowed_app_ids`, \
                     `allowed_script_ids` and `device_group_id`. Remove `{name}`, or set \
                     `deployment_mode = \"user_driven\"`."
                ),
            );
        }
    }
}

fn ids_are_object_ids(config: &DevicePreparationPolicyModel, diags: &mut Diagnostics) {
    let check_id = |name: &str, id: &str, diags: &mut Diagnostics| {
        if let Err(reason) = validate::object_id(id) {
            diags.error_at(
                AttrPath::root(name),
                format!("Invalid id in `{name}`"),
                reason,
            );
        }
    };
    if let Attr::Known(group) = &config.device_group_id {
        check_id("device_group_id", group, diags);
    }
    for (name, ids) in [
        ("include_group_ids", &config.include_group_ids),
        ("allowed_app_ids", &config.allowed_app_ids),
        ("allowed_script_ids", &config.allowed_script_ids),
    ] {
        for id in ids.known().into_iter().flat_map(IdSet::known_ids) {
            check_id(name, id, diags);
        }
    }
}

fn device_group_is_not_a_user_group(
    config: &DevicePreparationPolicyModel,
    diags: &mut Diagnostics,
) {
    if let (Attr::Known(device), Attr::Known(users)) =
        (&config.device_group_id, &config.include_group_ids)
        && users.known_ids().any(|u| u == device)
    {
        diags.error_at(
            AttrPath::root("include_group_ids"),
            "The device group is also assigned as a user group",
            format!(
                "{device} is the device group; `include_group_ids` names the user groups whose members may \
                 set up devices, and the device group only receives devices."
            ),
        );
    }
}
