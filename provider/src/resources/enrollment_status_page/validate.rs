//! The plan-time rules of `autopilot_enrollment_status_page`, one function
//! per rule; every diagnostic names its attribute.

use tfplugin::{Attr, AttrPath, Diagnostics};

use super::model::EnrollmentStatusPageModel;
use crate::resources::assignments;

/// Every rule of an ESP, in the order their diagnostics appear.
pub(crate) fn validate_esp(config: &EnrollmentStatusPageModel, diags: &mut Diagnostics) {
    crate::resources::intune::validate_scope_tags(&config.role_scope_tag_ids, diags);
    blocking_options_need_blocking(config, diags);
    app_ids_are_guids(config, diags);
    non_blocking_needs_apps(config, diags);
    hidden_page_options(config, diags);
    assignments::GroupTargetRules {
        include: &config.include_group_ids,
        exclude: &config.exclude_group_ids,
        all_devices: &config.all_devices,
        all_users: Some(&config.all_users),
        filter: Some((&config.assignment_filter_id, &config.assignment_filter_type)),
    }
    .check(diags);
}

/// A flag as the ESP gets it: the default (`false`) where the
/// configuration leaves it unset; `None` while unknown.
fn with_default(flag: &Attr<bool>) -> Option<bool> {
    match flag {
        Attr::Known(v) => Some(*v),
        Attr::Null => Some(false),
        Attr::Unknown => None,
    }
}

/// Reset, use on failure and selected apps only work while device use is
/// blocked until installation completes.
fn blocking_options_need_blocking(config: &EnrollmentStatusPageModel, diags: &mut Diagnostics) {
    let show = with_default(&config.show_installation_progress);
    let lets_users_leave = with_default(&config.block_device_setup_retry_by_user);
    let blocked = match (show, lets_users_leave) {
        (Some(show), Some(leave)) => Some(show && !leave),
        _ => None,
    };
    if blocked != Some(false) {
        return;
    }
    let why = match show {
        Some(false) => "show_installation_progress is false, so the ESP is not shown at all",
        _ => {
            "block_device_setup_retry_by_user is true, so users can leave the ESP before installation completes"
        }
    };
    for (name, value) in [
        (
            "allow_device_reset_on_install_failure",
            &config.allow_device_reset_on_install_failure,
        ),
        (
            "allow_device_use_on_install_failure",
            &config.allow_device_use_on_install_failure,
        ),
    ] {
        if value.known() == Some(&true) {
            diags.error_at(
                AttrPath::root(name),
                format!("`{name}` needs device use blocked"),
                format!(
                    "This option only works when device use is blocked until all apps and profiles are \
                     installed (show_installation_progress = true and block_device_setup_retry_by_user = \
                     false), but {why}."
                ),
            );
        }
    }
    if config
        .selected_mobile_app_ids
        .known()
        .is_some_and(|ids| !ids.is_empty())
    {
        diags.error_at(
            AttrPath::root("selected_mobile_app_ids"),
            "`selected_mobile_app_ids` needs device use blocked",
            format!(
                "Selected apps are the apps device use is blocked on (\"Selected\" instead of \"All\"); \
                 they only work when device use is blocked (show_installation_progress = true and \
                 block_device_setup_retry_by_user = false), but {why}."
            ),
        );
    }
}

fn app_ids_are_guids(config: &EnrollmentStatusPageModel, diags: &mut Diagnostics) {
    for id in config.selected_mobile_app_ids.known().into_iter().flatten() {
        if uuid::Uuid::parse_str(id).is_err() {
            diags.error_at(
                AttrPath::root("selected_mobile_app_ids"),
                "Invalid app id in `selected_mobile_app_ids`",
                format!("{id:?} is not an Intune app id (a GUID)."),
            );
        }
    }
}

fn non_blocking_needs_apps(config: &EnrollmentStatusPageModel, diags: &mut Diagnostics) {
    let no_apps = match &config.selected_mobile_app_ids {
        Attr::Null => true,
        Attr::Known(ids) => ids.is_empty(),
        Attr::Unknown => false,
    };
    if config.allow_non_blocking_app_installation.known() == Some(&true) && no_apps {
        diags.warning_at(
            AttrPath::root("allow_non_blocking_app_installation"),
            "`allow_non_blocking_app_installation` has no effect without selected apps",
            "\"Only fail selected blocking apps in technician phase\" applies to the apps in \
             selected_mobile_app_ids; with none selected, every required app blocks.",
        );
    }
}

/// The error message and log collection show on a page that a hidden ESP
/// never shows.
fn hidden_page_options(config: &EnrollmentStatusPageModel, diags: &mut Diagnostics) {
    if with_default(&config.show_installation_progress) != Some(false) {
        return;
    }
    for (name, set) in [
        (
            "custom_error_message",
            config.custom_error_message.is_known(),
        ),
        (
            "allow_log_collection_on_install_failure",
            config.allow_log_collection_on_install_failure.known() == Some(&true),
        ),
    ] {
        if set {
            diags.warning_at(
                AttrPath::root(name),
                format!("`{name}` has no effect while the ESP is hidden"),
                "show_installation_progress is false, so the page that would show it never appears.",
            );
        }
    }
}
