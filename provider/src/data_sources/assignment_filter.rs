//! Data source `autopilot_assignment_filter`: one Intune assignment filter,
//! found by id or by display name, so the same configuration names the
//! same filter in every tenant.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use super::lookup::{ByName, Lookup};

/// An Intune assignment filter, found by `id` or by `display_name` (which must then match
/// exactly one filter, with the same case).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("x-tf-fields" = "computed"))]
pub struct AssignmentFilterDataModel {
    /// The filter's Intune id. Set this or `display_name`.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub id: Attr<String>,
    /// The filter's name in Intune. Set this or `id`; it must match exactly one filter.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub display_name: Attr<String>,
    /// The filter's rule.
    pub rule: Attr<String>,
    /// Graph's platform of the filter, e.g. `windows10AndLater`.
    pub platform: Attr<String>,
    /// `devices` or `apps`.
    pub assignment_filter_management_type: Attr<String>,
}

/// A filter as Graph lists it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentFilterPayload {
    id: Option<String>,
    display_name: Option<String>,
    rule: Option<String>,
    platform: Option<String>,
    assignment_filter_management_type: Option<String>,
}

/// The filter lookup.
pub struct AssignmentFilters;

/// The data source.
pub type AssignmentFilterData = ByName<AssignmentFilters>;

impl Lookup for AssignmentFilters {
    type Model = AssignmentFilterDataModel;
    type Payload = AssignmentFilterPayload;
    const TYPE_NAME: &'static str = "autopilot_assignment_filter";
    const COLLECTION: &'static str = "deviceManagement/assignmentFilters";
    const NOUN: &'static str = "assignment filter";

    fn keys(config: &AssignmentFilterDataModel) -> (&Attr<String>, &Attr<String>) {
        (&config.id, &config.display_name)
    }

    fn model(filter: AssignmentFilterPayload) -> AssignmentFilterDataModel {
        AssignmentFilterDataModel {
            id: filter.id.into(),
            display_name: filter.display_name.into(),
            rule: filter.rule.into(),
            platform: filter.platform.into(),
            assignment_filter_management_type: filter.assignment_filter_management_type.into(),
        }
    }
}
