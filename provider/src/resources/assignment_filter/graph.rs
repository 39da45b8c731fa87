//! The Graph side of `autopilot_assignment_filter`: the
//! `deviceAndAppManagementAssignmentFilter` payload, the `validateFilter`
//! action and the mapping to and from the model.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use super::AssignmentFilterResource;
use super::model::{AssignmentFilterModel, ManagementType, Platform};
use crate::resources::intune::{IntunePayload, IntuneResource, ReadError, scope_tags_like_prior};

pub(crate) const ODATA_TYPE: &str = "#microsoft.graph.deviceAndAppManagementAssignmentFilter";
pub(crate) const COLLECTION: &str = "deviceManagement/assignmentFilters";
/// Graph's name of the one platform the resource manages.
pub(crate) const WINDOWS: &str = "windows10AndLater";

/// The Graph payload of an assignment filter (this crate's own reading of
/// Graph; the lab has its own).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AssignmentFilter {
    #[serde(rename = "@odata.type", default = "odata_type")]
    #[schemars(extend("const" = ODATA_TYPE))]
    odata_type: String,
    #[serde(default, skip_serializing)]
    id: Option<String>,
    display_name: String,
    description: Option<String>,
    #[schemars(extend("enum" = [WINDOWS]))]
    platform: String,
    rule: String,
    #[schemars(extend("enum" = ["devices", "apps"]))]
    assignment_filter_management_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) role_scope_tags: Option<Vec<String>>,
    #[serde(default, skip_serializing)]
    created_date_time: Option<String>,
    #[serde(default, skip_serializing)]
    last_modified_date_time: Option<String>,
}

fn odata_type() -> String {
    ODATA_TYPE.to_string()
}

/// The `validateFilter` action's body: the filter to check.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ValidateBody {
    pub(super) device_and_app_management_assignment_filter: AssignmentFilter,
}

/// `validateFilter`'s answer: `assignmentFilterValidationResult`, inside
/// `value` as the Graph reference shows it, or bare.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Validation {
    #[serde(default)]
    value: Option<Box<Validation>>,
    #[serde(default)]
    is_valid_rule: Option<bool>,
}

impl Validation {
    /// Whether Intune accepts the rule; `None` when the answer does not say.
    pub(super) fn is_valid(&self) -> Option<bool> {
        self.is_valid_rule
            .or_else(|| self.value.as_ref().and_then(|v| v.is_valid()))
    }
}

impl IntunePayload for AssignmentFilter {
    fn id(&self) -> Option<String> {
        self.id.clone()
    }

    /// The collection holds the filters of every platform; the resource
    /// manages the Windows ones.
    fn wrong_kind(&self, id: &str) -> Option<ReadError> {
        (self.platform != WINDOWS).then(|| ReadError::Unreadable {
            summary: format!("Not {}", AssignmentFilterResource::KIND.a()),
            detail: format!(
                "The assignment filter {id} is for the platform {:?}; this resource manages {WINDOWS} filters.",
                self.platform
            ),
        })
    }
}

impl AssignmentFilterModel {
    pub(super) fn to_graph(&self) -> AssignmentFilter {
        AssignmentFilter {
            odata_type: odata_type(),
            id: None,
            display_name: self.display_name.known().cloned().unwrap_or_default(),
            description: self.description.known().cloned(),
            platform: WINDOWS.to_string(),
            rule: self.rule.known().cloned().unwrap_or_default(),
            assignment_filter_management_type: self.management().graph_name().to_string(),
            role_scope_tags: self
                .role_scope_tag_ids
                .known()
                .map(|ids| ids.iter().cloned().collect()),
            created_date_time: None,
            last_modified_date_time: None,
        }
    }

    /// The state for what Graph holds.
    pub(super) fn from_graph(filter: AssignmentFilter, prior: &AssignmentFilterModel) -> Self {
        let management = match filter.assignment_filter_management_type.as_str() {
            "apps" => ManagementType::Apps,
            _ => ManagementType::Devices,
        };
        AssignmentFilterModel {
            id: filter.id.into(),
            display_name: Attr::Known(filter.display_name),
            description: filter.description.into(),
            rule: Attr::Known(filter.rule),
            platform: Attr::Known(Platform::Windows10AndLater),
            assignment_filter_management_type: Attr::Known(management),
            role_scope_tag_ids: scope_tags_like_prior(
                filter.role_scope_tags,
                &prior.role_scope_tag_ids,
            ),
            created_date_time: filter.created_date_time.into(),
            last_modified_date_time: filter.last_modified_date_time.into(),
            timeouts: prior.timeouts.clone(),
        }
    }
}
