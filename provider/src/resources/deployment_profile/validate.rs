//! The plan-time rules of `autopilot_deployment_profile`, one function per
//! rule; every diagnostic names its attribute.

use tfplugin::{Attr, AttrPath, Diagnostics};

use super::model::{DeploymentMode, DeploymentProfileModel, JoinType};
use crate::resources::assignments;
use crate::validate;
use crate::validate::profile_text;

/// Windows computer names have at most 15 characters.
const MAX_NAME: usize = 15;
/// Fewer serial characters than this make name collisions likely.
const MIN_SERIAL: usize = 8;

/// Every rule of a deployment profile, in the order their diagnostics appear.
pub(crate) fn validate_profile(config: &DeploymentProfileModel, diags: &mut Diagnostics) {
    crate::resources::intune::validate_scope_tags(&config.role_scope_tag_ids, diags);
    name_intune_accepts(config, diags);
    description_intune_accepts(config, diags);
    no_user_type_when_self_deploying(config, diags);
    name_template_for_entra_only(config, diags);
    name_template_shape(config, diags);
    self_deploying_needs_entra(config, diags);
    connectivity_check_for_hybrid_only(config, diags);
    locale_is_valid(config, diags);
    assignments::GroupTargetRules {
        include: &config.include_group_ids,
        exclude: &config.exclude_group_ids,
        all_devices: &config.all_devices,
        all_users: None,
        filter: None,
    }
    .check(diags);
}

fn name_intune_accepts(config: &DeploymentProfileModel, diags: &mut Diagnostics) {
    validate::check_known(
        &config.display_name,
        profile_text::profile_name,
        AttrPath::root("display_name"),
        "Intune refuses this deployment profile name",
        diags,
    );
}

fn description_intune_accepts(config: &DeploymentProfileModel, diags: &mut Diagnostics) {
    validate::check_known(
        &config.description,
        profile_text::profile_description,
        AttrPath::root("description"),
        "Intune refuses this deployment profile description",
        diags,
    );
}

fn no_user_type_when_self_deploying(config: &DeploymentProfileModel, diags: &mut Diagnostics) {
    if config.deployment_mode.known() == Some(&DeploymentMode::SelfDeploying)
        && let Attr::Known(user_type) = &config.user_type
    {
        diags.error_at(
            AttrPath::root("user_type"),
            "Self-deploying profiles have no user type",
            format!(
                "user_type = \"{}\" is set on a self-deploying profile. A self-deploying device is set up \
                 without a user, and Intune refuses a user type on such profiles (and never returns one). \
                 Remove user_type, or use deployment_mode = \"user_driven\".",
                user_type.graph()
            ),
        );
    }
}

fn name_template_for_entra_only(config: &DeploymentProfileModel, diags: &mut Diagnostics) {
    if config.device_name_template.is_known() && config.join_type.known() == Some(&JoinType::Hybrid)
    {
        diags.error_at(
            AttrPath::root("device_name_template"),
            "`device_name_template` is for Microsoft Entra join only",
            "Hybrid joined devices take their names from the domain join profile \
             (autopilot_domain_join_profile.computer_name_static_prefix). Remove \
             device_name_template or use join_type = \"entra\".",
        );
    }
}

/// The template is valid, fits in 15 characters, leaves the serial enough
/// room and does not make names of digits only.
fn name_template_shape(config: &DeploymentProfileModel, diags: &mut Diagnostics) {
    let Attr::Known(template) = &config.device_name_template else {
        return;
    };
    let path = || AttrPath::root("device_name_template");
    let t = match validate::device_name_template(template) {
        Ok(t) => t,
        Err(reason) => return diags.error_at(path(), "Invalid device name template", reason),
    };
    if t.fixed_len() > MAX_NAME {
        diags.error_at(
            path(),
            "Device names would be longer than 15 characters",
            format!(
                "{template:?} makes names of {} characters ({} literal plus {} random digits); \
                 Windows device names have at most 15.",
                t.fixed_len(),
                t.literal,
                t.random
            ),
        );
    } else if t.serial && MAX_NAME - t.fixed_len() < MIN_SERIAL {
        diags.warning_at(
            path(),
            "The serial number will be cut short",
            format!(
                "{template:?} leaves {} of the 15 characters for %SERIAL%; Windows cuts names at \
                 15, so devices whose serials share their first characters get the same name. \
                 Leave at least {MIN_SERIAL} characters for the serial.",
                MAX_NAME - t.fixed_len()
            ),
        );
    }
    if !t.serial && !t.literal_non_digit {
        diags.error_at(
            path(),
            "Device names would be all digits",
            format!(
                "{template:?} only produces digits; Windows device names must contain a letter \
                 or a hyphen."
            ),
        );
    }
}

fn self_deploying_needs_entra(config: &DeploymentProfileModel, diags: &mut Diagnostics) {
    if config.join_type.known() == Some(&JoinType::Hybrid)
        && config.deployment_mode.known() == Some(&DeploymentMode::SelfDeploying)
    {
        diags.error_at(
            AttrPath::root("deployment_mode"),
            "Self-deploying mode needs Microsoft Entra join",
            "Hybrid join supports user-driven deployments (and pre-provisioning) only. Use \
             deployment_mode = \"user_driven\", or join_type = \"entra\".",
        );
    }
}

fn connectivity_check_for_hybrid_only(config: &DeploymentProfileModel, diags: &mut Diagnostics) {
    if config.join_type.known() == Some(&JoinType::Entra)
        && config.hybrid_azure_ad_join_skip_connectivity_check.known() == Some(&true)
    {
        diags.error_at(
            AttrPath::root("hybrid_azure_ad_join_skip_connectivity_check"),
            "The connectivity check setting is for hybrid join only",
            "hybrid_azure_ad_join_skip_connectivity_check applies to join_type = \"hybrid\"; \
             Microsoft Entra joined devices do not contact a domain controller. Remove it.",
        );
    }
}

fn locale_is_valid(config: &DeploymentProfileModel, diags: &mut Diagnostics) {
    validate::check_known(
        &config.locale,
        validate::locale,
        AttrPath::root("locale"),
        "Invalid `locale`",
        diags,
    );
}
