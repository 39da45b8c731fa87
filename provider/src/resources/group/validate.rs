//! The `autopilot_group` rules: one function per rule, each attaching its
//! diagnostics to the attribute it is about. [`config`] runs the rules
//! that need only the configuration; [`new_owners`], [`new_members`] and
//! [`provisioning_client_in_tenant`] ask Graph at plan time.

use std::collections::BTreeSet;

use tfplugin::{Attr, AttrPath, Diagnostics};

use super::graph::{DirectoryObject, tag_rule};
use super::{GroupModel, Visibility};
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
    member_ids(config, &dynamic, diags);
    processing_state_needs_a_rule(config, diags);
    role_assignable(config, &dynamic, diags);
}

/// Members are named by object ids, in lowercase as Graph returns them,
/// and only a static group has assigned members.
fn member_ids(config: &GroupModel, dynamic: &[&str], diags: &mut Diagnostics) {
    let path = || AttrPath::root("member_ids");
    for id in config
        .member_ids
        .known()
        .into_iter()
        .flat_map(IdSet::known_ids)
    {
        if let Err(reason) = validate::object_id(id) {
            diags.error_at(path(), "Invalid member id", reason);
        } else if id.chars().any(|c| c.is_ascii_uppercase()) {
            diags.error_at(
                path(),
                "Invalid member id",
                format!(
                    "{id:?} has capital letters; Graph writes object ids in lowercase, so write {:?}.",
                    id.to_ascii_lowercase()
                ),
            );
        }
    }
    if config.member_ids.is_null() || dynamic.is_empty() {
        return;
    }
    for name in std::iter::once("member_ids").chain(dynamic.iter().copied()) {
        diags.error_at(
            AttrPath::root(name),
            "A dynamic group cannot have assigned members",
            format!(
                "`member_ids` and {} are both set: a group whose membership rule chooses its members \
                 has no assigned members. Remove `member_ids`, or the rule for a static group.",
                dynamic.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" and ")
            ),
        );
    }
}

/// `membership_rule_processing_state` is about a rule: refused on a group
/// the configuration makes static.
fn processing_state_needs_a_rule(config: &GroupModel, diags: &mut Diagnostics) {
    let surely_static = config.membership_rule.is_null()
        && config.group_tags.is_null()
        && matches!(
            config.all_autopilot_devices,
            Attr::Null | Attr::Known(false)
        );
    if surely_static && !config.membership_rule_processing_state.is_null() {
        diags.error_at(
            AttrPath::root("membership_rule_processing_state"),
            "A static group has no rule to process",
            "`membership_rule_processing_state` applies to dynamic groups only: set `membership_rule`, \
             `group_tags` or `all_autopilot_devices`, or remove `membership_rule_processing_state`.",
        );
    }
}

/// A group assignable to roles is static and private (Entra refuses
/// anything else).
fn role_assignable(config: &GroupModel, dynamic: &[&str], diags: &mut Diagnostics) {
    if config.is_assignable_to_role != Attr::Known(true) {
        return;
    }
    for name in dynamic {
        diags.error_at(
            AttrPath::root(*name),
            "A group assignable to roles cannot be dynamic",
            format!(
                "`is_assignable_to_role = true` and `{name}` are both set: Entra assigns roles only \
                 to static groups. Remove `{name}` or `is_assignable_to_role`."
            ),
        );
    }
    if config.visibility == Attr::Known(Visibility::Public) {
        diags.error_at(
            AttrPath::root("visibility"),
            "A group assignable to roles is private",
            "`is_assignable_to_role = true` and `visibility = \"public\"` are both set: Entra makes \
             groups assignable to roles private. Remove `visibility` or set it to \"private\".",
        );
    }
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

/// Each new entry of `owner_ids` (not in the prior state) must exist, be a
/// user or a service principal, and not the Intune Provisioning Client.
pub(super) async fn new_owners(
    client: &GraphClient,
    prior: Option<&GroupModel>,
    config: &GroupModel,
    diags: &mut Diagnostics,
) {
    let new = new_ids(&config.owner_ids, prior.map(|p| &p.owner_ids));
    for_each_object(client, "owner_ids", &new, diags, |id, found| match found {
        None => Some((
            "Owner not found",
            format!("No user or service principal with object id {id} exists in the tenant."),
        )),
        Some(o) if o.is_provisioning_client() => Some((
            "The Intune Provisioning Client is managed by `provisioning_client_owner`",
            format!(
                "{id} is the Intune Provisioning Client. Remove it from `owner_ids` and set \
                 `provisioning_client_owner = true` instead."
            ),
        )),
        Some(o) => kind_outside(o, &["user", "servicePrincipal"]).map(|kind| {
            (
                "Owners are users or service principals",
                format!(
                    "{id} is a {kind}; a group's owners can only be users or service principals."
                ),
            )
        }),
    })
    .await;
}

/// Each new entry of `member_ids` must exist and be a user, a group (not
/// this one), a device or a service principal.
pub(super) async fn new_members(
    client: &GraphClient,
    prior: Option<&GroupModel>,
    config: &GroupModel,
    diags: &mut Diagnostics,
) {
    let new = new_ids(&config.member_ids, prior.map(|p| &p.member_ids));
    let own_id = prior.and_then(|p| p.id.known()).cloned();
    if let Some(own) = own_id.as_ref().filter(|own| new.contains(*own)) {
        diags.error_at(
            AttrPath::root("member_ids"),
            "A group cannot be a member of itself",
            format!("{own} is this group's own id; remove it from `member_ids`."),
        );
    }
    let others: Vec<String> = new
        .into_iter()
        .filter(|id| Some(id) != own_id.as_ref())
        .collect();
    let kinds = ["user", "group", "device", "servicePrincipal", "orgContact"];
    for_each_object(client, "member_ids", &others, diags, |id, found| match found {
        None => Some((
            "Member not found",
            format!(
                "No user, group, device or service principal with object id {id} exists in the \
                 tenant. A device is named by its Microsoft Entra object id (`/devices`), not by its \
                 Autopilot registration id."
            ),
        )),
        Some(o) => kind_outside(o, &kinds).map(|kind| {
            (
                "Members are users, groups, devices or service principals",
                format!("{id} is a {kind}, which cannot be a member of a security group."),
            )
        }),
    })
    .await;
}

/// The well-formed ids of `wanted` that `before` (the prior state's set)
/// does not hold.
fn new_ids(wanted: &Attr<IdSet>, before: Option<&Attr<IdSet>>) -> Vec<String> {
    let Attr::Known(wanted) = wanted else {
        return Vec::new();
    };
    let before: BTreeSet<&String> = before
        .and_then(Attr::known)
        .map(|ids| ids.known_ids().collect())
        .unwrap_or_default();
    wanted
        .known_ids()
        .filter(|id| !before.contains(id) && validate::object_id(id).is_ok())
        .cloned()
        .collect()
}

/// The kind of `object` (`@odata.type` without its namespace) when it is
/// known and none of `allowed`.
fn kind_outside(object: &DirectoryObject, allowed: &[&str]) -> Option<String> {
    let kind = object.odata_type.as_deref().unwrap_or_default();
    let kind = kind.trim_start_matches("#microsoft.graph.");
    (!kind.is_empty() && !allowed.iter().any(|a| a.eq_ignore_ascii_case(kind)))
        .then(|| kind.to_string())
}

/// Reads each of `ids` (`GET /directoryObjects/{id}`) and reports at
/// `attribute` what `problem` finds wrong with it (`None`: it does not
/// exist). A read that fails is a warning: the id was not checked.
async fn for_each_object(
    client: &GraphClient,
    attribute: &str,
    ids: &[String],
    diags: &mut Diagnostics,
    problem: impl Fn(&str, Option<&DirectoryObject>) -> Option<(&'static str, String)>,
) {
    for id in ids {
        let path = format!("directoryObjects/{id}");
        match client
            .get_optional::<DirectoryObject>(ApiVersion::V1, &path)
            .await
        {
            Ok(found) => {
                if let Some((summary, detail)) = problem(id, found.as_ref()) {
                    diags.error_at(AttrPath::root(attribute), summary, detail);
                }
            }
            Err(e) => diags.warning_at(
                AttrPath::root(attribute),
                "Cannot check the object ids",
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
