//! The plan-time rules of `autopilot_domain_join_profile`, one function per
//! rule; every diagnostic names its attribute.

use tfplugin::{Attr, AttrPath, Diagnostics};

use super::model::{DomainJoinProfileModel, MAX_NAME};
use crate::resources::assignments;
use crate::validate;

/// Every rule of the configuration.
pub(super) fn validate(config: &DomainJoinProfileModel, diags: &mut Diagnostics) {
    crate::resources::intune::validate_scope_tags(&config.role_scope_tag_ids, diags);
    domain_is_fqdn(config, diags);
    organizational_unit(config, diags);
    computer_name(config, diags);
    assignments::GroupTargetRules {
        include: &config.include_group_ids,
        exclude: &config.exclude_group_ids,
        all_devices: &config.all_devices,
        all_users: None,
        filter: Some((&config.assignment_filter_id, &config.assignment_filter_type)),
    }
    .check(diags);
}

/// The domain is a fully qualified name, not a NetBIOS one.
fn domain_is_fqdn(config: &DomainJoinProfileModel, diags: &mut Diagnostics) {
    validate::check_known(
        &config.active_directory_domain_name,
        validate::fqdn,
        AttrPath::root("active_directory_domain_name"),
        "`active_directory_domain_name` must be a fully qualified domain name",
        diags,
    );
}

/// The OU is a distinguished name, and a warning when it is in another
/// domain than the one devices join.
fn organizational_unit(config: &DomainJoinProfileModel, diags: &mut Diagnostics) {
    let Attr::Known(ou) = &config.organizational_unit else {
        return;
    };
    if let Err(reason) = validate::organizational_unit(ou) {
        diags.error_at(
            AttrPath::root("organizational_unit"),
            "`organizational_unit` must be the distinguished name of an OU",
            reason,
        );
        return;
    }
    if let Attr::Known(domain) = &config.active_directory_domain_name {
        let ou_domain = validate::dn_domain(ou);
        if !ou_domain.is_empty() && !ou_domain.eq_ignore_ascii_case(domain) {
            diags.warning_at(
                AttrPath::root("organizational_unit"),
                "The OU is in another domain",
                format!("The OU's DC= parts name {ou_domain:?}, but devices join {domain:?}."),
            );
        }
    }
}

/// The prefix is valid, and prefix plus random characters fit in 15.
fn computer_name(config: &DomainJoinProfileModel, diags: &mut Diagnostics) {
    let Attr::Known(prefix) = &config.computer_name_static_prefix else {
        return;
    };
    if let Err(reason) = validate::computer_name_prefix(prefix) {
        diags.error_at(
            AttrPath::root("computer_name_static_prefix"),
            "Invalid computer name prefix",
            reason,
        );
        return;
    }
    let prefix_len = prefix.chars().count() as i64;
    match &config.computer_name_suffix_random_char_count {
        Attr::Known(random) if prefix_len + random > MAX_NAME => diags.error_at(
            AttrPath::root("computer_name_static_prefix"),
            "Computer names would be longer than 15 characters",
            format!(
                "The prefix {prefix:?} ({prefix_len} characters) plus {random} random characters makes \
                 {} characters; Windows computer names have at most 15. Shorten the prefix or lower \
                 computer_name_suffix_random_char_count.",
                prefix_len + random
            ),
        ),
        Attr::Null if MAX_NAME - prefix_len < 3 => diags.error_at(
            AttrPath::root("computer_name_static_prefix"),
            "Computer name prefix too long",
            format!(
                "The prefix {prefix:?} has {prefix_len} characters, leaving fewer than the 3 random \
                 characters Intune requires within 15."
            ),
        ),
        _ => {}
    }
}
