//! Data source `autopilot_group`: one Microsoft Entra group, found by id or
//! by display name, so that a configuration names groups the same way in
//! every tenant.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use super::lookup::{ByName, Lookup};
use crate::graph::ApiVersion;
use crate::resources::group::{ProcessingState, Visibility, visibility_and_processing};

/// A Microsoft Entra group, found by `id` or by `display_name` (which must then match exactly
/// one group; Microsoft Entra compares names without case).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("x-tf-fields" = "computed"))]
pub struct GroupDataModel {
    /// The group's object id. Set this or `display_name`.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub id: Attr<String>,
    /// The group's name. Set this or `id`; it must match exactly one group.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub display_name: Attr<String>,
    /// The description.
    pub description: Attr<String>,
    /// Whether it is a security group (what Intune assigns to).
    pub security_enabled: Attr<bool>,
    /// Whether its members come from a membership rule.
    pub dynamic: Attr<bool>,
    /// The membership rule of a dynamic group, null for an assigned group.
    pub membership_rule: Attr<String>,
    /// `on` or `paused`: whether Entra processes a dynamic group's rule; null for an assigned group.
    pub membership_rule_processing_state: Attr<ProcessingState>,
    /// `private` or `public`.
    pub visibility: Attr<Visibility>,
    /// Whether Microsoft Entra roles can be assigned to the group.
    pub is_assignable_to_role: Attr<bool>,
}

/// A group as Graph lists it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupPayload {
    id: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    security_enabled: Option<bool>,
    #[serde(default)]
    group_types: Vec<String>,
    membership_rule: Option<String>,
    membership_rule_processing_state: Option<String>,
    visibility: Option<String>,
    is_assignable_to_role: Option<bool>,
}

/// The group lookup.
pub struct Groups;

/// The data source.
pub type GroupData = ByName<Groups>;

impl Lookup for Groups {
    type Model = GroupDataModel;
    type Payload = GroupPayload;
    const TYPE_NAME: &'static str = "autopilot_group";
    const VERSION: ApiVersion = ApiVersion::V1;
    const COLLECTION: &'static str = "groups";
    const NOUN: &'static str = "group";

    fn keys(config: &GroupDataModel) -> (&Attr<String>, &Attr<String>) {
        (&config.id, &config.display_name)
    }

    fn model(group: GroupPayload) -> GroupDataModel {
        let dynamic = group
            .group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("DynamicMembership"));
        let (visibility, processing) = visibility_and_processing(
            group.visibility.as_deref(),
            group.membership_rule_processing_state.as_deref(),
            dynamic,
        );
        GroupDataModel {
            id: group.id.into(),
            display_name: group.display_name.into(),
            description: group.description.into(),
            security_enabled: Attr::Known(group.security_enabled.unwrap_or(false)),
            dynamic: Attr::Known(dynamic),
            membership_rule: group.membership_rule.into(),
            membership_rule_processing_state: processing,
            visibility: Attr::Known(visibility),
            is_assignable_to_role: Attr::Known(group.is_assignable_to_role.unwrap_or(false)),
        }
    }
}
