//! The `autopilot_group` model: the schema Terraform sees, and the
//! dynamic rule a configuration asks for.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use crate::resources::timeouts::{Timeouts, timed_model};

use super::ALL_AUTOPILOT_DEVICES_RULE;
use super::graph::tag_rule;
use crate::resources::assignments::IdSet;

/// Who may see the group and join it (Graph `visibility`): security
/// groups are `private` unless made `public`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Private,
    Public,
}

/// Whether Entra processes a dynamic group's rule (Graph
/// `membershipRuleProcessingState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingState {
    On,
    Paused,
}

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
    /// Object ids of the group's assigned members: users, groups, service principals and devices (a device's Microsoft Entra object id, not its Autopilot registration id), in lowercase as Graph writes them. When unset, the members are not managed (members added elsewhere stay) and this shows them. A group with a membership rule (`membership_rule`, `group_tags` or `all_autopilot_devices`) cannot have assigned members. Adding members needs the Graph permission GroupMember.ReadWrite.All (or Group.ReadWrite.All), a device also Device.ReadWrite.All.
    #[schemars(extend("x-tf" = "optional,computed,stable"))]
    pub member_ids: Attr<IdSet>,
    /// `true` makes a group Microsoft Entra roles can be assigned to. Entra sets it only when it creates the group: changing it replaces the group. Such a group is static and `private`, and setting it needs the Graph permission RoleManagement.ReadWrite.Directory.
    #[schemars(extend("x-tf" = "force_new", "x-tf-default" = false))]
    pub is_assignable_to_role: Attr<bool>,
    /// `private` or `public`. When unset, the visibility is not managed and this shows it (Entra makes security groups `private`). Entra's third value, `HiddenMembership`, exists for Microsoft 365 groups only.
    #[schemars(extend("x-tf" = "optional,computed,stable"))]
    pub visibility: Attr<Visibility>,
    /// `on` or `paused`: whether Entra processes a dynamic group's rule (`paused` keeps the members it has). Only for dynamic groups; `on` when unset.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub membership_rule_processing_state: Attr<ProcessingState>,
    #[schemars(extend("x-tf" = "block"))]
    pub timeouts: Attr<Timeouts>,
}

timed_model!(GroupModel => Timeouts);

impl GroupModel {
    /// The dynamic rule the configuration asks for: `Null` for a static
    /// group, `Unknown` while an input is unknown.
    pub(super) fn wanted_rule(&self) -> Attr<String> {
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
}
