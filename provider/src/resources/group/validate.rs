//! The `autopilot_group` rules: one function per rule, each attaching its
//! diagnostics to the attribute it is about. [`config`] runs the rules
//! that need only the configuration; [`new_owners`] and
//! [`provisioning_client_in_tenant`] ask Graph at plan time.

use std::collections::BTreeSet;

use tfplugin::{Attr, AttrPath, Diagnostics};

use super::GroupModel;
use super::graph::{DirectoryObject, tag_rule};
use crate::data_sources::provisioning_client;
use crate::devices::rule::MAX_RULE_LENGTH as MAX_RULE;
use crate::graph::{ApiVersion, GraphClient};
use crate::resources::assignments::IdSet;
use crate::validate;

/// Every rule of the configuration alone.
pub(super) fn config(config: &GroupModel, diags: &mut Diagnostics) {
    let dynamic = membership_attributes(config);
    exclusive_membership(&dynamic, diags);
    group_tags(&config.group_tags, diags);
    membership_rule(&config.membership_rule, diags);
    mail_nickname(&config.mail_nickname, diags);
    owner_ids(&config.owner_ids, diags);
    static_device_group(config, &dynamic, diags);
}

/// The membership attributes the configuration sets (each makes the group
/// dynamic).
fn membership_attributes(config: &GroupModel) -> Vec<&'static str> {
    [
        (
            "membership_rule",
            !config.membership_rule.is_null() && !config.membership_rule.is_unknown(),
        ),
        ("group_tags", config.group_tags.is_known()),
        (
            "all_autopilot_devices",
            config.all_autopilot_devices == Attr::Known(true),
        ),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(name, _)| name)
    .collect()
}

/// `membership_rule`, `group_tags` and `all_autopilot_devices = true`
/// exclude each other.
fn exclusive_membership(set: &[&str], diags: &mut Diagnostics) {
    if set.len() <= 1 {
        return;
    }
    for name in set {
        diags.error_at(
            AttrPath::root(*name),
            "Conflicting membership attributes",
            format!(
                "`membership_rule`, `group_tags` and `all_autopilot_devices = true` are mutually exclusive, \
                 but {} are set. Keep one of them for a dynamic group, or none for a static (assigned) group.",
                set.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" and ")
            ),
        );
    }
}

/// At least one tag, each valid, and a rule built from them that Entra
/// accepts.
fn group_tags(tags: &Attr<BTreeSet<String>>, diags: &mut Diagnostics) {
    let Attr::Known(tags) = tags else { return };
    if tags.is_empty() {
        diags.error_at(
            AttrPath::root("group_tags"),
            "`group_tags` is empty",
            "Give at least one group tag, or remove `group_tags` for a static group.",
        );
    }
    for tag in tags {
        if let Err(reason) = validate::group_tag(tag) {
            diags.error_at(AttrPath::root("group_tags"), "Invalid group tag", reason);
        }
    }
    let rule = tag_rule(tags);
    if rule.len() > MAX_RULE {
        diags.error_at(
            AttrPath::root("group_tags"),
            "Too many group tags for one rule",
            format!(
                "The rule built from these tags has {} characters; Entra allows {MAX_RULE}.",
                rule.len()
            ),
        );
    }
}

/// A rule is not blank and not longer than Entra allows.
fn membership_rule(rule: &Attr<String>, diags: &mut Diagnostics) {
    let Attr::Known(rule) = rule else { return };
    if rule.trim().is_empty() {
        diags.error_at(
            AttrPath::root("membership_rule"),
            "Empty membership rule",
            "Remove `membership_rule` for a static group.",
        );
    } else if rule.len() > MAX_RULE {
        diags.error_at(
            AttrPath::root("membership_rule"),
            "Membership rule too long",
            format!(
                "The rule has {} characters; Entra allows {MAX_RULE}.",
                rule.len()
            ),
        );
    }
}

/// A mail nickname Entra accepts.
fn mail_nickname(nick: &Attr<String>, diags: &mut Diagnostics) {
    validate::check_known(
        nick,
        validate::mail_nickname,
        AttrPath::root("mail_nickname"),
        "Invalid mail nickname",
        diags,
    );
}

/// Owners are named by object ids.
fn owner_ids(owners: &Attr<IdSet>, diags: &mut Diagnostics) {
    for id in owners.known().into_iter().flat_map(IdSet::known_ids) {
        if let Err(reason) = validate::object_id(id) {
            diags.error_at(AttrPath::root("owner_ids"), "Invalid owner id", reason);
        }
    }
}

/// A group meant for device preparation (`provisioning_client_owner`) must
/// be static: warns when `dynamic` names a membership attribute.
fn static_device_group(config: &GroupModel, dynamic: &[&str], diags: &mut Diagnostics) {
    if config.provisioning_client_owner == Attr::Known(true) && !dynamic.is_empty() {
        diags.warning_at(
            AttrPath::root("provisioning_client_owner"),
            "A dynamic group cannot be a device preparation device group",
            "Windows Autopilot device preparation needs an assigned (static) device group owned by the \
             Intune Provisioning Client; this group has a dynamic rule, so no policy will accept it.",
        );
    }
}

/// service principal, and not the Intune Provisioning Client.
pub(super) async fn new_owners(
    client: &GraphClient,
    prior: Option<&GroupModel>,
    config: &GroupModel,
    diags: &mut Diagnostics,
) {
    let Attr::Known(wanted) = &config.owner_ids else {
        return;
    };
    let before: BTreeSet<String> = prior
        .and_then(|p| p.owner_ids.known())
        .map(|ids| ids.known_ids().cloned().collect())
        .unwrap_or_default();
    for id in wanted.known_ids().filter(|id| !before.contains(*id)) {
        if validate::object_id(id).is_err() {
            continue;
        }
        let path = format!("directoryObjects/{id}");
        match client
            .get_optional::<DirectoryObject>(ApiVersion::V1, &path)
            .await
        {
            Ok(None) => diags.error_at(
                AttrPath::root("owner_ids"),
                "Owner not found",
                format!("No user or service principal with object id {id} exists in the tenant."),
            ),
            Ok(Some(o)) if o.is_provisioning_client() => diags.error_at(
                AttrPath::root("owner_ids"),
                "The Intune Provisioning Client is managed by `provisioning_client_owner`",
                format!(
                    "{id} is the Intune Provisioning Client. Remove it from `owner_ids` and set \
                     `provisioning_client_owner = true` instead."
                ),
            ),
            Ok(Some(o)) => {
                let kind = o.odata_type.unwrap_or_default();
                if !kind.is_empty()
                    && kind != "#microsoft.graph.user"
                    && kind != "#microsoft.graph.servicePrincipal"
                {
                    diags.error_at(
                        AttrPath::root("owner_ids"),
                        "Owners are users or service principals",
                        format!(
                            "{id} is a {}; a group's owners can only be users or service principals.",
                            kind.trim_start_matches("#microsoft.graph.")
                        ),
                    );
                }
            }
            Err(e) => diags.warning_at(
                AttrPath::root("owner_ids"),
                "Cannot check the owners",
                format!("Reading {id} failed, so it was not checked: {e}"),
            ),
        }
    }
}

/// When the plan makes the Intune Provisioning Client an owner: warns
/// that apply adds it to the tenant when the tenant has none.
pub(super) async fn provisioning_client_in_tenant(
    client: &GraphClient,
    prior: Option<&GroupModel>,
    planned: &GroupModel,
    diags: &mut Diagnostics,
) {
    let turning_on = planned.provisioning_client_owner == Attr::Known(true)
        && prior.is_none_or(|p| p.provisioning_client_owner != Attr::Known(true));
    if turning_on {
        match provisioning_client::find(client).await {
            Ok(Some(_)) => {}
            Ok(None) => diags.warning_at(
                AttrPath::root("provisioning_client_owner"),
                "The Intune Provisioning Client will be added to the tenant",
                "The tenant has no service principal for the Intune Provisioning Client (application id \
                 f1346770-5b25-470b-88bd-d5744ab7952c); apply creates it before making it an owner.",
            ),
            Err(e) => diags.warning_at(
                AttrPath::root("provisioning_client_owner"),
                "Cannot check for the Intune Provisioning Client",
                format!("Reading the tenant's service principals failed: {e}"),
            ),
        }
    }
}
