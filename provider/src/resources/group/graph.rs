//! `autopilot_group` and Graph: the group and owner payloads, the mapping
//! between them and the model, the owner changes, and the device
//! preparation check of a group.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, Diagnostics};

use super::model::{ProcessingState, Visibility};
use super::{ALL_AUTOPILOT_DEVICES_RULE, COLLECTION, GroupModel};
use crate::data_sources::provisioning_client::{self, APP_ID as PROVISIONING_CLIENT_APP_ID};
use crate::devices::rule::membership_rule;
use crate::graph::{ApiVersion, GraphClient, GraphError};
use crate::resources::assignments::{IdSet, known_ids};
use crate::resources::{report, string_like_prior};
use crate::validate;

pub(super) const DYNAMIC: &str = "DynamicMembership";
const TAG_PREFIX: &str = r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:"#;
const TAG_SUFFIX: &str = r#""))"#;

/// A group as Graph carries it (this crate's own reading of Graph).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GraphGroup {
    #[serde(default, skip_serializing)]
    pub(super) id: Option<String>,
    pub(super) display_name: String,
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) mail_nickname: Option<String>,
    #[serde(default)]
    pub(super) mail_enabled: Option<bool>,
    #[serde(default)]
    pub(super) security_enabled: Option<bool>,
    #[serde(default)]
    #[schemars(extend("items" = {"enum": [DYNAMIC]}))]
    pub(super) group_types: Vec<String>,
    /// Sent for dynamic groups only: static groups carry no rule (never an
    /// explicit `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(min = 1))]
    pub(super) membership_rule: Option<String>,
    /// `On` for dynamic groups; `Paused` when a dynamic group turns static
    /// (Microsoft's documented conversion: rule processing paused and
    /// `DynamicMembership` removed from `groupTypes`); never `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("enum" = [RULE_ON, RULE_PAUSED]))]
    pub(super) membership_rule_processing_state: Option<String>,
    /// Sent on creation only, and only when `true` (Entra does not change
    /// it afterwards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) is_assignable_to_role: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("enum" = [PRIVATE, PUBLIC]))]
    pub(super) visibility: Option<String>,
    /// The first members, bound on creation (Graph takes at most 20 owners
    /// and members in one request).
    #[serde(
        default,
        rename = "members@odata.bind",
        skip_serializing_if = "Vec::is_empty"
    )]
    #[schemars(length(max = 20), extend("items" = {"format": "uri"}))]
    pub(super) members_bind: Vec<String>,
}

/// Graph's `visibility` values this resource sets.
const PRIVATE: &str = "Private";
const PUBLIC: &str = "Public";

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

    /// The visibility and, for a dynamic group, the rule's processing state.
    fn visibility_and_processing(&self) -> (Visibility, Attr<ProcessingState>) {
        visibility_and_processing(
            self.visibility.as_deref(),
            self.membership_rule_processing_state.as_deref(),
            self.is_dynamic(),
        )
    }
}

/// A group's visibility (none reads as Entra's default for security
/// groups, `private`) and, for a dynamic group, its rule's processing
/// state (null for a static group), from Graph's values.
pub(crate) fn visibility_and_processing(
    visibility: Option<&str>,
    processing: Option<&str>,
    dynamic: bool,
) -> (Visibility, Attr<ProcessingState>) {
    let visibility = if visibility.is_some_and(|v| v.eq_ignore_ascii_case(PUBLIC)) {
        Visibility::Public
    } else {
        Visibility::Private
    };
    let paused = processing.is_some_and(|p| p.eq_ignore_ascii_case(RULE_PAUSED));
    let processing = match (dynamic, paused) {
        (false, _) => Attr::Null,
        (true, true) => Attr::Known(ProcessingState::Paused),
        (true, false) => Attr::Known(ProcessingState::On),
    };
    (visibility, processing)
}

/// An owner (or any directory object) as Graph lists it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DirectoryObject {
    #[serde(rename = "@odata.type", default)]
    pub(crate) odata_type: Option<String>,
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) app_id: Option<String>,
    #[serde(default)]
    pub(crate) display_name: Option<String>,
}

impl DirectoryObject {
    pub(crate) fn is_provisioning_client(&self) -> bool {
        self.app_id
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(PROVISIONING_CLIENT_APP_ID))
    }

    /// A service principal Graph returned as a limited object (`@odata.type` and `id` only),
    /// as it does for directory objects the caller may not read.
    pub(crate) fn is_unreadable_service_principal(&self) -> bool {
        self.app_id.is_none()
            && self
                .odata_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("#microsoft.graph.servicePrincipal"))
    }
}

/// The rule selecting the devices with any of `tags`.
pub(crate) fn tag_rule(tags: &BTreeSet<String>) -> String {
    if tags.is_empty() {
        // Not the rule for every device, which `membership_rule` gives.
        return String::new();
    }
    membership_rule(tags.iter().map(String::as_str), [])
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// The tags of a rule built by [`tag_rule`], if it is one.
pub(crate) fn parse_tag_rule(rule: &str) -> Option<BTreeSet<String>> {
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
pub(crate) fn is_all_autopilot_rule(rule: &str) -> bool {
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
    /// The group's properties for a create or a PATCH. `was_dynamic`: the
    /// group is dynamic now; when the configuration makes it static, rule
    /// processing is paused as Microsoft documents the change of type.
    pub(super) fn to_graph(&self, was_dynamic: bool) -> GraphGroup {
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
                (Some(_), _) => Some(
                    match self.membership_rule_processing_state {
                        Attr::Known(ProcessingState::Paused) => RULE_PAUSED,
                        _ => RULE_ON,
                    }
                    .to_string(),
                ),
                (None, true) => Some(RULE_PAUSED.to_string()),
                (None, false) => None,
            },
            membership_rule: rule,
            is_assignable_to_role: (self.is_assignable_to_role == Attr::Known(true))
                .then_some(true),
            visibility: self.visibility.known().map(|v| {
                match v {
                    Visibility::Private => PRIVATE,
                    Visibility::Public => PUBLIC,
                }
                .to_string()
            }),
            members_bind: Vec::new(),
        }
    }

    /// The state for what Graph holds. `prior` says which attributes the
    /// configuration uses for the rule; a prior without
    /// `all_autopilot_devices` (an import) prefers `group_tags` or
    /// `all_autopilot_devices` when the rule is one of theirs.
    pub(super) fn from_graph(
        group: GraphGroup,
        owners: &[DirectoryObject],
        members: Option<BTreeSet<String>>,
        prior: &GroupModel,
    ) -> Self {
        let importing = prior.all_autopilot_devices.is_null();
        let (visibility, processing) = group.visibility_and_processing();
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
            member_ids: members.map(IdSet::from).into(),
            is_assignable_to_role: Attr::Known(group.is_assignable_to_role.unwrap_or(false)),
            visibility: Attr::Known(visibility),
            membership_rule_processing_state: processing,
            timeouts: prior.timeouts.clone(),
        }
    }
}

/// What to change so that the owners become the wanted ones: object ids to
/// add and to remove. `others` is `None` when only the Intune Provisioning
/// Client is managed.
pub(super) fn owner_changes(
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
pub(crate) async fn device_group_problems(
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
pub(crate) struct DeviceGroupCheck {
    /// Why the group cannot be a device preparation device group, as (summary, what to do).
    pub(crate) problems: Vec<(String, String)>,
    /// Set when an owner is a service principal Graph returned without its `appId` (the app
    /// lacks Application.Read.All), so whether the Intune Provisioning Client owns the group
    /// cannot be told: what to do about it.
    pub(crate) owner_unknown: Option<String>,
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
pub(crate) fn not_owned_detail(name: &str, id: &str) -> String {
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

/// Reads group `id`, its owners and (static groups) its members; `None`
/// when the group is gone.
/// `fresh`: the group has just been created, so 404s are retried.
pub(super) async fn find(
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
    // A dynamic group has no assigned members: its rule's are not read.
    let members = if group.is_dynamic() {
        None
    } else {
        match super::members::read(client, id, fresh).await {
            Ok(members) => Some(members),
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        }
    };
    Ok(Some(GroupModel::from_graph(group, &owners, members, prior)))
}

/// Brings the owners of group `id` to what `planned` asks for. Errors
/// are reported; returns whether every change was made.
pub(super) async fn reconcile_owners(
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
