//! `autopilot_group`: a Microsoft Entra security group for Autopilot,
//! static or with a dynamic rule built from group tags, optionally owned by
//! the Intune Provisioning Client (what a device preparation device group
//! needs).

mod registration;
pub use registration::{EXPORT, payloads};

use std::collections::BTreeSet;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, AttrPath, Diagnostics, PlanRequest, Resource};

use super::assignments::{IdSet, known_ids};
use super::{report, string_like_prior};
use crate::data_sources::provisioning_client::{self, APP_ID as PROVISIONING_CLIENT_APP_ID};
use crate::graph::{ApiVersion, GraphClient, GraphError, NameLookup};
use crate::validate;

pub(crate) const COLLECTION: &str = "groups";
const DYNAMIC: &str = "DynamicMembership";
/// Entra's limit on the length of a membership rule.
const MAX_RULE: usize = 3072;

/// The rule selecting every Windows Autopilot device.
pub const ALL_AUTOPILOT_DEVICES_RULE: &str =
    r#"(device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]"))"#;
const TAG_PREFIX: &str = r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:"#;
const TAG_SUFFIX: &str = r#""))"#;

/// A Microsoft Entra security group for Windows Autopilot. Static
/// (assigned) unless one of `membership_rule`, `group_tags` or
/// `all_autopilot_devices` makes it dynamic. A device preparation device
/// group must be static and owned by the Intune Provisioning Client: set
/// `provisioning_client_owner = true`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct GroupModel {
    /// The group's object id.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// The group's name.
    #[schemars(extend("x-tf" = "required"), length(min = 1, max = 256))]
    pub display_name: Attr<String>,
    /// A description of the group.
    #[schemars(length(min = 1, max = 1024))]
    pub description: Attr<String>,
    /// The mail alias (required by Entra even for security groups): at most 64 ASCII characters, none of `@ ( ) \ [ ] " ; : . < > ,` or space. Derived from `display_name` when unset, and then kept.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub mail_nickname: Attr<String>,
    /// Object ids of the owners (users or service principals), besides the Intune Provisioning Client, which `provisioning_client_owner` manages. When unset, the owners are not managed and this shows them.
    #[schemars(extend("x-tf" = "optional,computed,stable"))]
    pub owner_ids: Attr<IdSet>,
    /// Make the Intune Provisioning Client (application id `f1346770-5b25-470b-88bd-d5744ab7952c`) an owner, as Windows Autopilot device preparation requires of its device group. Its service principal is created in the tenant first when missing.
    #[schemars(extend("x-tf-default" = false))]
    pub provisioning_client_owner: Attr<bool>,
    /// A dynamic membership rule. Computed when the rule is built from `group_tags` or `all_autopilot_devices`. Conflicts with both.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub membership_rule: Attr<String>,
    /// Autopilot group tags: the group holds the devices with any of these tags (`[OrderID]:TAG` rules joined with `-or`). Conflicts with `membership_rule` and `all_autopilot_devices`.
    pub group_tags: Attr<BTreeSet<String>>,
    /// `true` makes the group hold every Windows Autopilot device (the `[ZTDid]` rule). Conflicts with `membership_rule` and `group_tags`.
    #[schemars(extend("x-tf-default" = false))]
    pub all_autopilot_devices: Attr<bool>,
}

/// A group as Graph carries it (this crate's own reading of Graph).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphGroup {
    #[serde(default, skip_serializing)]
    id: Option<String>,
    display_name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    mail_nickname: Option<String>,
    #[serde(default)]
    mail_enabled: Option<bool>,
    #[serde(default)]
    security_enabled: Option<bool>,
    #[serde(default)]
    #[schemars(extend("items" = {"enum": [DYNAMIC]}))]
    group_types: Vec<String>,
    /// Sent for dynamic groups only: static groups carry no rule (never an
    /// explicit `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = 1))]
    membership_rule: Option<String>,
    /// `On` for dynamic groups; `Paused` when a dynamic group turns static
    /// (Microsoft's documented conversion: rule processing paused and
    /// `DynamicMembership` removed from `groupTypes`); never `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("enum" = [RULE_ON, RULE_PAUSED]))]
    membership_rule_processing_state: Option<String>,
}

/// `membershipRuleProcessingState` of a dynamic group.
const RULE_ON: &str = "On";
/// `membershipRuleProcessingState` of a dynamic group turned static.
const RULE_PAUSED: &str = "Paused";

impl GraphGroup {
    fn is_dynamic(&self) -> bool {
        self.group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(DYNAMIC))
    }
}

/// An owner (or any directory object) as Graph lists it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryObject {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    pub id: String,
    #[serde(default)]
    pub app_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

impl DirectoryObject {
    pub fn is_provisioning_client(&self) -> bool {
        self.app_id
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(PROVISIONING_CLIENT_APP_ID))
    }

    /// A service principal Graph returned as a limited object (`@odata.type` and `id` only),
    /// as it does for directory objects the caller may not read.
    pub fn is_unreadable_service_principal(&self) -> bool {
        self.app_id.is_none()
            && self
                .odata_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("#microsoft.graph.servicePrincipal"))
    }
}

/// The rule selecting the devices with any of `tags`.
pub fn tag_rule(tags: &BTreeSet<String>) -> String {
    tags.iter()
        .map(|t| format!("{TAG_PREFIX}{t}{TAG_SUFFIX}"))
        .collect::<Vec<_>>()
        .join(" -or ")
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// The tags of a rule built by [`tag_rule`], if it is one.
pub fn parse_tag_rule(rule: &str) -> Option<BTreeSet<String>> {
    let mut tags = BTreeSet::new();
    for part in rule.split(" -or ") {
        let inner = strip_prefix_ignore_case(part.trim(), TAG_PREFIX)?.strip_suffix(TAG_SUFFIX)?;
        if inner.is_empty() || inner.contains('"') {
            return None;
        }
        tags.insert(inner.to_string());
    }
    (!tags.is_empty()).then_some(tags)
}

/// Whether a rule is the documented "all Autopilot devices" rule (either
/// spelling the documentation uses).
pub fn is_all_autopilot_rule(rule: &str) -> bool {
    let squash = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let rule = squash(rule);
    rule == squash(ALL_AUTOPILOT_DEVICES_RULE)
        || rule == squash(r#"(device.devicePhysicalIDs -any (_ -contains "[ZTDid]"))"#)
}

impl GroupModel {
    /// The dynamic rule the configuration asks for: `Null` for a static
    /// group, `Unknown` while an input is unknown.
    fn wanted_rule(&self) -> Attr<String> {
        if !self.membership_rule.is_null() {
            return self.membership_rule.clone();
        }
        match (&self.group_tags, &self.all_autopilot_devices) {
            (Attr::Unknown, _) | (_, Attr::Unknown) => Attr::Unknown,
            (Attr::Known(tags), _) if !tags.is_empty() => Attr::Known(tag_rule(tags)),
            (_, Attr::Known(true)) => Attr::Known(ALL_AUTOPILOT_DEVICES_RULE.to_string()),
            _ => Attr::Null,
        }
    }

    /// The group's properties for a create or a PATCH. `was_dynamic`: the
    /// group is dynamic now; when the configuration makes it static, rule
    /// processing is paused as Microsoft documents the change of type.
    fn to_graph(&self, was_dynamic: bool) -> GraphGroup {
        let rule = self.membership_rule.known().cloned();
        let display_name = self.display_name.known().cloned().unwrap_or_default();
        GraphGroup {
            id: None,
            mail_nickname: Some(
                self.mail_nickname
                    .known()
                    .cloned()
                    .unwrap_or_else(|| validate::mail_nickname_from(&display_name)),
            ),
            display_name,
            description: self.description.known().cloned(),
            mail_enabled: Some(false),
            security_enabled: Some(true),
            group_types: if rule.is_some() {
                vec![DYNAMIC.to_string()]
            } else {
                Vec::new()
            },
            membership_rule_processing_state: match (&rule, was_dynamic) {
                (Some(_), _) => Some(RULE_ON.to_string()),
                (None, true) => Some(RULE_PAUSED.to_string()),
                (None, false) => None,
            },
            membership_rule: rule,
        }
    }

    /// The state for what Graph holds. `prior` says which attributes the
    /// configuration uses for the rule; a prior without
    /// `all_autopilot_devices` (an import) prefers `group_tags` or
    /// `all_autopilot_devices` when the rule is one of theirs.
    fn from_graph(group: GraphGroup, owners: &[DirectoryObject], prior: &GroupModel) -> Self {
        let importing = prior.all_autopilot_devices.is_null();
        let rule = if group.is_dynamic() {
            group.membership_rule.clone().filter(|r| !r.is_empty())
        } else {
            None
        };
        let wants_all = importing || prior.all_autopilot_devices == Attr::Known(true);
        let wants_tags = importing || prior.group_tags.is_known();
        let all = wants_all && rule.as_deref().is_some_and(is_all_autopilot_rule);
        let tags = if wants_tags {
            rule.as_deref().and_then(parse_tag_rule)
        } else {
            None
        };
        let listed: BTreeSet<String> = prior
            .owner_ids
            .known()
            .map(|ids| ids.known_ids().cloned().collect())
            .unwrap_or_default();
        let owner_ids: BTreeSet<String> = owners
            .iter()
            .filter(|o| !o.is_provisioning_client() || listed.contains(&o.id))
            .map(|o| o.id.clone())
            .collect();
        GroupModel {
            id: group.id.into(),
            mail_nickname: group.mail_nickname.filter(|m| !m.is_empty()).into(),
            description: string_like_prior(&prior.description, group.description),
            display_name: Attr::Known(group.display_name),
            owner_ids: Attr::Known(IdSet::from(owner_ids)),
            provisioning_client_owner: Attr::Known(
                owners.iter().any(DirectoryObject::is_provisioning_client),
            ),
            membership_rule: rule.into(),
            group_tags: tags.into(),
            all_autopilot_devices: Attr::Known(all),
        }
    }
}

/// What to change so that the owners become the wanted ones: object ids to
/// add and to remove. `others` is `None` when only the Intune Provisioning
/// Client is managed.
fn owner_changes(
    current: &[DirectoryObject],
    others: Option<&BTreeSet<String>>,
    provisioning_client: Option<bool>,
    provisioning_client_id: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let current_ids: BTreeSet<&str> = current.iter().map(|o| o.id.as_str()).collect();
    let mut add: Vec<String> = Vec::new();
    let mut remove: Vec<String> = Vec::new();
    if let Some(others) = others {
        for id in others {
            if !current_ids.contains(id.as_str()) {
                add.push(id.clone());
            }
        }
        for o in current {
            if !o.is_provisioning_client() && !others.contains(&o.id) {
                remove.push(o.id.clone());
            }
        }
    }
    let listed = |id: &str| others.is_some_and(|o| o.contains(id));
    match provisioning_client {
        Some(true) => {
            if !current.iter().any(DirectoryObject::is_provisioning_client)
                && let Some(id) = provisioning_client_id
                && !add.iter().any(|a| a == id)
            {
                add.push(id.to_string());
            }
        }
        Some(false) => {
            for o in current.iter().filter(|o| o.is_provisioning_client()) {
                if !listed(&o.id) {
                    remove.push(o.id.clone());
                }
            }
        }
        None => {}
    }
    (add, remove)
}

/// Why a group cannot be a device preparation device group, as
/// (summary, what to do). Empty when it can.
pub async fn device_group_problems(
    client: &GraphClient,
    id: &str,
) -> Result<DeviceGroupCheck, GraphError> {
    let path = format!("{COLLECTION}/{id}");
    let Some(group) = client
        .get_optional::<GraphGroup>(ApiVersion::V1, &path)
        .await?
    else {
        return Ok(DeviceGroupCheck {
            problems: vec![(
                "The device group does not exist".to_string(),
                format!("No group with object id {id} exists in the tenant."),
            )],
            owner_unknown: None,
        });
    };
    let mut problems = Vec::new();
    let name = &group.display_name;
    if group.security_enabled == Some(false) {
        problems.push((
            "The device group is not a security group".to_string(),
            format!(
                "Group {name:?} ({id}) is not security enabled. Device preparation needs an assigned security \
                 group; use an `autopilot_group`."
            ),
        ));
    }
    if group.is_dynamic() {
        problems.push((
            "The device group has dynamic membership".to_string(),
            format!(
                "Group {name:?} ({id}) is dynamic. Device preparation adds devices to its device group itself, \
                 so the group must be assigned (static): remove `membership_rule`, `group_tags` and \
                 `all_autopilot_devices` from it."
            ),
        ));
    }
    let owners: Vec<DirectoryObject> = client
        .list(ApiVersion::V1, &format!("{path}/owners"))
        .await?;
    if !owners.iter().any(DirectoryObject::is_provisioning_client) {
        if owners
            .iter()
            .any(DirectoryObject::is_unreadable_service_principal)
        {
            return Ok(DeviceGroupCheck {
                problems,
                owner_unknown: Some(unreadable_owner_detail(name, id)),
            });
        }
        problems.push((
            "The device group is not owned by the Intune Provisioning Client".to_string(),
            not_owned_detail(name, id),
        ));
    }
    Ok(DeviceGroupCheck {
        problems,
        owner_unknown: None,
    })
}

/// What [`device_group_problems`] found.
#[derive(Debug, Default)]
pub struct DeviceGroupCheck {
    /// Why the group cannot be a device preparation device group, as (summary, what to do).
    pub problems: Vec<(String, String)>,
    /// Set when an owner is a service principal Graph returned without its `appId` (the app
    /// lacks Application.Read.All), so whether the Intune Provisioning Client owns the group
    /// cannot be told: what to do about it.
    pub owner_unknown: Option<String>,
}

fn unreadable_owner_detail(name: &str, id: &str) -> String {
    let named = if name.is_empty() {
        format!("Group {id}")
    } else {
        format!("Group {name:?} ({id})")
    };
    format!(
        "{named} has a service principal among its owners that Graph returned without its appId, so \
         whether it is the Intune Provisioning Client was not checked. Grant the app registration \
         the Microsoft Graph application permission Application.Read.All (or Directory.Read.All) \
         to have it checked at plan time."
    )
}

/// What to do when the device group lacks the Intune Provisioning Client
/// as owner (`firstPartyAppNotAnOwner`).
pub fn not_owned_detail(name: &str, id: &str) -> String {
    let named = if name.is_empty() {
        format!("Group {id}")
    } else {
        format!("Group {name:?} ({id})")
    };
    format!(
        "{named} is not owned by the Intune Provisioning Client (application id \
         {PROVISIONING_CLIENT_APP_ID}), which device preparation requires. Set \
         `provisioning_client_owner = true` on its `autopilot_group`, or add that service principal \
         as an owner of the group."
    )
}

pub struct Group;

impl Group {
    /// Reads the group and its owners; `None` when the group is gone.
    /// `fresh`: the group has just been created, so 404s are retried.
    async fn fetch(
        &self,
        client: &GraphClient,
        id: &str,
        prior: &GroupModel,
        fresh: bool,
    ) -> Result<Option<GroupModel>, GraphError> {
        let path = format!("{COLLECTION}/{id}");
        let owners_path = format!("{path}/owners");
        let (group, owners): (GraphGroup, Vec<DirectoryObject>) = if fresh {
            (
                client.get_replicated(ApiVersion::V1, &path).await?,
                client.list_replicated(ApiVersion::V1, &owners_path).await?,
            )
        } else {
            let Some(group) = client.get_optional(ApiVersion::V1, &path).await? else {
                return Ok(None);
            };
            let owners = match client.list(ApiVersion::V1, &owners_path).await {
                Ok(owners) => owners,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
            (group, owners)
        };
        if group.security_enabled == Some(false) {
            tracing::warn!(%id, "group is not a security group");
        }
        Ok(Some(GroupModel::from_graph(group, &owners, prior)))
    }

    /// Brings the owners of group `id` to what `planned` asks for. Errors
    /// are reported; returns whether every change was made.
    async fn reconcile_owners(
        &self,
        client: &GraphClient,
        id: &str,
        current: &[DirectoryObject],
        planned: &GroupModel,
        diags: &mut Diagnostics,
    ) -> bool {
        let wants_pc = planned.provisioning_client_owner.known().copied();
        let has_pc = current.iter().any(DirectoryObject::is_provisioning_client);
        let mut pc_id = None;
        if wants_pc == Some(true) && !has_pc {
            match provisioning_client::ensure(client).await {
                Ok((sp, created)) => {
                    if created {
                        tracing::info!(id = %sp.id, "created the Intune Provisioning Client service principal");
                    }
                    pc_id = Some(sp.id);
                }
                Err(e) => {
                    report(
                        diags,
                        "find or create the Intune Provisioning Client service principal",
                        &e,
                    );
                    return false;
                }
            }
        }
        let others = known_ids(&planned.owner_ids);
        let (add, remove) = owner_changes(current, others.as_ref(), wants_pc, pc_id.as_deref());
        let owners = format!("{COLLECTION}/{id}/owners");
        let mut ok = true;
        for owner in &add {
            if let Err(e) = client.add_reference(ApiVersion::V1, &owners, owner).await {
                let what = if pc_id.as_deref() == Some(owner.as_str()) {
                    "add the Intune Provisioning Client as an owner of the group".to_string()
                } else {
                    format!("add {owner} as an owner of the group")
                };
                report(diags, &what, &e);
                ok = false;
            }
        }
        for owner in &remove {
            if let Err(e) = client
                .remove_reference(ApiVersion::V1, &owners, owner)
                .await
            {
                report(
                    diags,
                    &format!("remove {owner} from the owners of the group"),
                    &e,
                );
                ok = false;
            }
        }
        ok
    }

    /// Plan-time checks of owners the plan adds: each must be a user or a
    /// service principal, and not the Intune Provisioning Client.
    async fn check_new_owners(
        &self,
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
}

#[async_trait]
impl Resource<GraphClient> for Group {
    type Model = GroupModel;

    fn type_name(&self) -> &'static str {
        "autopilot_group"
    }

    fn validate(&self, config: &GroupModel, diags: &mut Diagnostics) {
        let set: Vec<&str> = [
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
        .collect();
        if set.len() > 1 {
            for name in &set {
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
        if let Attr::Known(tags) = &config.group_tags {
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
        if let Attr::Known(rule) = &config.membership_rule {
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
        if let Attr::Known(nick) = &config.mail_nickname
            && let Err(reason) = validate::mail_nickname(nick)
        {
            diags.error_at(
                AttrPath::root("mail_nickname"),
                "Invalid mail nickname",
                reason,
            );
        }
        for id in config
            .owner_ids
            .known()
            .into_iter()
            .flat_map(IdSet::known_ids)
        {
            if let Err(reason) = validate::object_id(id) {
                diags.error_at(AttrPath::root("owner_ids"), "Invalid owner id", reason);
            }
        }
        if config.provisioning_client_owner == Attr::Known(true) && !set.is_empty() {
            diags.warning_at(
                AttrPath::root("provisioning_client_owner"),
                "A dynamic group cannot be a device preparation device group",
                "Windows Autopilot device preparation needs an assigned (static) device group owned by the \
                 Intune Provisioning Client; this group has a dynamic rule, so no policy will accept it.",
            );
        }
    }

    async fn modify_plan(
        &self,
        client: Option<&GraphClient>,
        request: PlanRequest<'_, GroupModel>,
        diags: &mut Diagnostics,
    ) -> GroupModel {
        let config = request.config;
        let prior = request.prior;
        let mut planned = request.planned;
        if config.mail_nickname.is_null() {
            planned.mail_nickname = match prior.and_then(|p| p.mail_nickname.known()) {
                Some(nick) => Attr::Known(nick.clone()),
                None => match &planned.display_name {
                    Attr::Known(name) => Attr::Known(validate::mail_nickname_from(name)),
                    _ => Attr::Unknown,
                },
            };
        }
        if config.membership_rule.is_null() {
            planned.membership_rule = config.wanted_rule();
        }
        if let Some(client) = client {
            self.check_new_owners(client, prior, config, diags).await;
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
        planned
    }

    async fn create(
        &self,
        client: &GraphClient,
        planned: GroupModel,
        diags: &mut Diagnostics,
    ) -> Option<GroupModel> {
        let (created, id) = super::create_named(
            client,
            &NameLookup {
                version: ApiVersion::V1,
                collection: COLLECTION,
                property: "displayName",
                name: planned.display_name.known().map_or("", String::as_str),
            },
            &planned.to_graph(false),
            "the group",
            |created: &GraphGroup| created.id.clone(),
            diags,
        )
        .await?;
        // From here on the group exists: whatever fails, it goes to state.
        let fallback = GroupModel::from_graph(created, &[], &planned);
        self.reconcile_owners(client, &id, &[], &planned, diags)
            .await;
        match self.fetch(client, &id, &planned, true).await {
            Ok(Some(state)) => Some(state),
            Ok(None) => Some(fallback),
            Err(e) => {
                report(diags, "read the group after creating it", &e);
                Some(fallback)
            }
        }
    }

    async fn read(
        &self,
        client: &GraphClient,
        current: GroupModel,
        diags: &mut Diagnostics,
    ) -> Option<GroupModel> {
        let id = current.id.known().cloned()?;
        match self.fetch(client, &id, &current, false).await {
            Ok(fresh) => fresh,
            Err(e) => {
                // A failed read must not drop the resource from state.
                report(diags, "read the group", &e);
                Some(current)
            }
        }
    }

    async fn update(
        &self,
        client: &GraphClient,
        prior: GroupModel,
        planned: GroupModel,
        diags: &mut Diagnostics,
    ) -> Option<GroupModel> {
        let Some(id) = prior.id.known().cloned() else {
            diags.error("Cannot update the group", "The state has no id.");
            return Some(prior);
        };
        let path = format!("{COLLECTION}/{id}");
        let properties_changed = prior.display_name != planned.display_name
            || prior.description != planned.description
            || prior.mail_nickname != planned.mail_nickname
            || prior.membership_rule != planned.membership_rule;
        if properties_changed
            && let Err(e) = client
                .patch(
                    ApiVersion::V1,
                    &path,
                    &planned.to_graph(prior.membership_rule.is_known()),
                )
                .await
        {
            report(diags, "update the group", &e);
            return Some(prior);
        }
        let owners_changed = prior.owner_ids != planned.owner_ids
            || prior.provisioning_client_owner != planned.provisioning_client_owner;
        if owners_changed {
            match client
                .list::<DirectoryObject>(ApiVersion::V1, &format!("{path}/owners"))
                .await
            {
                Ok(current) => {
                    self.reconcile_owners(client, &id, &current, &planned, diags)
                        .await;
                }
                Err(e) => report(diags, "read the owners of the group", &e),
            }
        }
        match self.fetch(client, &id, &planned, false).await {
            Ok(Some(state)) => Some(state),
            Ok(None) => {
                diags.error(
                    "The group disappeared",
                    format!("Group {id} was deleted while it was being updated."),
                );
                None
            }
            Err(e) => {
                report(diags, "read the group after updating it", &e);
                Some(prior)
            }
        }
    }

    async fn delete(&self, client: &GraphClient, prior: GroupModel, diags: &mut Diagnostics) {
        let Some(id) = prior.id.known() else { return };
        if let Err(e) = client
            .delete(ApiVersion::V1, &format!("{COLLECTION}/{id}"))
            .await
        {
            report(diags, "delete the group", &e);
        }
    }

    async fn import(
        &self,
        client: &GraphClient,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<GroupModel> {
        if let Err(reason) = validate::object_id(id) {
            diags.error("Cannot import the group", reason);
            return None;
        }
        match self.fetch(client, id, &GroupModel::default(), false).await {
            Ok(Some(state)) => Some(state),
            Ok(None) => {
                diags.error(
                    "Cannot import a group that does not exist",
                    format!("No group with id {id:?} exists in the tenant."),
                );
                None
            }
            Err(e) => {
                report(diags, "read the group to import", &e);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn sp(id: &str, app_id: &str) -> DirectoryObject {
        DirectoryObject {
            odata_type: Some("#microsoft.graph.servicePrincipal".into()),
            id: id.into(),
            app_id: Some(app_id.into()),
            display_name: None,
        }
    }

    fn user(id: &str) -> DirectoryObject {
        DirectoryObject {
            odata_type: Some("#microsoft.graph.user".into()),
            id: id.into(),
            app_id: None,
            display_name: None,
        }
    }

    fn graph_group(rule: Option<&str>) -> GraphGroup {
        GraphGroup {
            id: Some("g1".into()),
            display_name: "Devices".into(),
            description: None,
            mail_nickname: Some("Devices".into()),
            mail_enabled: Some(false),
            security_enabled: Some(true),
            group_types: if rule.is_some() {
                vec![DYNAMIC.into()]
            } else {
                vec![]
            },
            membership_rule: rule.map(str::to_string),
            membership_rule_processing_state: rule.map(|_| "On".into()),
        }
    }

    #[test]
    fn schema_derives() {
        let schema = tfplugin::Schema::of::<GroupModel>(0).expect("schema");
        let b = &schema.block;
        assert!(b.attribute("display_name").expect("name").required);
        let pco = b.attribute("provisioning_client_owner").expect("pco");
        assert_eq!(pco.default, Some(tfplugin::Value::Bool(false)));
        let rule = b.attribute("membership_rule").expect("rule");
        assert!(rule.optional && rule.computed);
        assert_eq!(
            b.attribute("group_tags").map(|a| a.ty.clone()),
            Some(tfplugin::Type::set(tfplugin::Type::String))
        );
    }

    #[test]
    fn tag_rules_round_trip() {
        let one = tag_rule(&set(&["Sales"]));
        assert_eq!(
            one,
            r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#
        );
        let two = tag_rule(&set(&["B", "A"]));
        assert_eq!(
            two,
            r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:A")) -or (device.devicePhysicalIds -any (_ -eq "[OrderID]:B"))"#
        );
        assert_eq!(parse_tag_rule(&two), Some(set(&["A", "B"])));
        assert_eq!(parse_tag_rule(ALL_AUTOPILOT_DEVICES_RULE), None);
        assert_eq!(
            parse_tag_rule(r#"(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:1"))"#),
            None
        );
        assert!(is_all_autopilot_rule(ALL_AUTOPILOT_DEVICES_RULE));
        assert!(is_all_autopilot_rule(
            r#"(device.devicePhysicalIDs -any (_ -contains "[ZTDID]"))"#
        ));
        assert!(!is_all_autopilot_rule(&one));
    }

    fn config() -> GroupModel {
        GroupModel {
            display_name: Attr::Known("Devices".into()),
            ..Default::default()
        }
    }

    #[test]
    fn static_groups_carry_no_rule_and_turning_static_pauses_the_rule() {
        let body = |model: &GroupModel, was_dynamic: bool| {
            serde_json::to_value(model.to_graph(was_dynamic)).expect("json")
        };
        let created = body(&config(), false);
        assert_eq!(created["groupTypes"], serde_json::json!([]));
        for key in ["membershipRule", "membershipRuleProcessingState"] {
            assert!(created.get(key).is_none(), "{key} sent: {created}");
        }
        let dynamic = GroupModel {
            membership_rule: Attr::Known(ALL_AUTOPILOT_DEVICES_RULE.into()),
            ..config()
        };
        let sent = body(&dynamic, false);
        assert_eq!(sent["groupTypes"], serde_json::json!([DYNAMIC]));
        assert_eq!(sent["membershipRuleProcessingState"], "On");
        assert_eq!(sent["membershipRule"], ALL_AUTOPILOT_DEVICES_RULE);
        // Dynamic to static: the type removed, rule processing paused, no null anywhere.
        let turned = body(&config(), true);
        assert_eq!(turned["groupTypes"], serde_json::json!([]));
        assert_eq!(turned["membershipRuleProcessingState"], "Paused");
        assert!(turned.get("membershipRule").is_none(), "{turned}");
    }

    fn errors(model: &GroupModel) -> Vec<String> {
        let mut diags = Diagnostics::new();
        Group.validate(model, &mut diags);
        diags
            .iter()
            .filter(|d| d.severity == tfplugin::Severity::Error)
            .filter_map(|d| d.path.as_ref().map(ToString::to_string))
            .collect()
    }

    #[test]
    fn membership_attributes_are_exclusive() {
        let mut c = config();
        c.group_tags = Attr::Known(set(&["A"]));
        assert!(errors(&c).is_empty());
        c.all_autopilot_devices = Attr::Known(true);
        assert_eq!(errors(&c), ["group_tags", "all_autopilot_devices"]);
        c.all_autopilot_devices = Attr::Known(false);
        c.membership_rule = Attr::Known("(device.deviceOSType -eq \"Windows\")".into());
        assert_eq!(errors(&c), ["membership_rule", "group_tags"]);
        c.group_tags = Attr::Unknown;
        assert!(errors(&c).is_empty());
        let mut empty = config();
        empty.group_tags = Attr::Known(BTreeSet::new());
        assert_eq!(errors(&empty), ["group_tags"]);
        let mut bad = config();
        bad.mail_nickname = Attr::Known("has space".into());
        bad.owner_ids = Attr::Known(IdSet::from(set(&["nope"])));
        assert_eq!(errors(&bad), ["mail_nickname", "owner_ids"]);
    }

    #[test]
    fn wanted_rule_follows_the_configuration() {
        let mut c = config();
        assert_eq!(c.wanted_rule(), Attr::Null);
        c.all_autopilot_devices = Attr::Known(true);
        assert_eq!(
            c.wanted_rule(),
            Attr::Known(ALL_AUTOPILOT_DEVICES_RULE.to_string())
        );
        c.all_autopilot_devices = Attr::Known(false);
        c.group_tags = Attr::Known(set(&["A"]));
        assert_eq!(c.wanted_rule(), Attr::Known(tag_rule(&set(&["A"]))));
        c.group_tags = Attr::Unknown;
        assert_eq!(c.wanted_rule(), Attr::Unknown);
    }

    #[test]
    fn read_keeps_the_configured_style() {
        let tags_rule = tag_rule(&set(&["A"]));
        // Configured with a literal rule: the tags are not inferred.
        let mut prior = config();
        prior.all_autopilot_devices = Attr::Known(false);
        prior.membership_rule = Attr::Known(tags_rule.clone());
        let state = GroupModel::from_graph(graph_group(Some(&tags_rule)), &[], &prior);
        assert_eq!(state.group_tags, Attr::Null);
        assert_eq!(state.membership_rule, Attr::Known(tags_rule.clone()));
        // Configured with tags: they are read back.
        prior.group_tags = Attr::Known(set(&["A"]));
        let state = GroupModel::from_graph(graph_group(Some(&tags_rule)), &[], &prior);
        assert_eq!(state.group_tags, Attr::Known(set(&["A"])));
        // An import prefers the structured attributes.
        let state = GroupModel::from_graph(
            graph_group(Some(ALL_AUTOPILOT_DEVICES_RULE)),
            &[],
            &GroupModel::default(),
        );
        assert_eq!(state.all_autopilot_devices, Attr::Known(true));
        assert_eq!(state.group_tags, Attr::Null);
        let state = GroupModel::from_graph(graph_group(None), &[], &GroupModel::default());
        assert_eq!(
            (state.membership_rule, state.all_autopilot_devices),
            (Attr::Null, Attr::Known(false))
        );
    }

    #[test]
    fn read_reports_the_provisioning_client_apart() {
        let owners = [sp("pc", PROVISIONING_CLIENT_APP_ID), user("u1")];
        let mut prior = config();
        prior.all_autopilot_devices = Attr::Known(false);
        let state = GroupModel::from_graph(graph_group(None), &owners, &prior);
        assert_eq!(state.provisioning_client_owner, Attr::Known(true));
        assert_eq!(state.owner_ids, Attr::Known(IdSet::from(set(&["u1"]))));
        let state = GroupModel::from_graph(graph_group(None), &owners[1..], &prior);
        assert_eq!(state.provisioning_client_owner, Attr::Known(false));
    }

    #[test]
    fn owner_changes_reconcile() {
        let pc = sp("pc", PROVISIONING_CLIENT_APP_ID);
        // Add the provisioning client and a user; leave unmanaged owners alone.
        let (add, remove) = owner_changes(&[user("u0")], None, Some(true), Some("pc"));
        assert_eq!((add, remove), (vec!["pc".to_string()], vec![]));
        let (add, remove) = owner_changes(
            &[user("u0"), pc.clone()],
            Some(&set(&["u1"])),
            Some(true),
            None,
        );
        assert_eq!(
            (add, remove),
            (vec!["u1".to_string()], vec!["u0".to_string()])
        );
        // Turning it off removes it.
        let (add, remove) = owner_changes(std::slice::from_ref(&pc), None, Some(false), None);
        assert_eq!((add, remove), (vec![], vec!["pc".to_string()]));
        // Nothing to do.
        let (add, remove) = owner_changes(&[pc], Some(&BTreeSet::new()), Some(true), Some("pc"));
        assert!(add.is_empty() && remove.is_empty());
    }
}
