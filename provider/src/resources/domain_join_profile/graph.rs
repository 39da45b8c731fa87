//! The Graph side of `autopilot_domain_join_profile`: the
//! `windowsDomainJoinConfiguration` payload and the mapping to and from the
//! model.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use super::DomainJoinProfile;
use super::model::{DomainJoinProfileModel, default_random_count};
use crate::resources::assignments::{Assignment, Filter, Targets};
use crate::resources::intune::{
    IntunePayload, IntuneResource, ReadError, scope_tags_like_prior, scope_tags_to_graph,
};
use crate::resources::set_like_prior;

pub(crate) const ODATA_TYPE: &str = "#microsoft.graph.windowsDomainJoinConfiguration";
pub(crate) const COLLECTION: &str = "deviceManagement/deviceConfigurations";

/// The Graph payload of a `windowsDomainJoinConfiguration` (this crate's own
/// reading of Graph; the lab has its own).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DomainJoinConfiguration {
    #[serde(rename = "@odata.type")]
    #[schemars(extend("const" = ODATA_TYPE))]
    odata_type: String,
    #[serde(default, skip_serializing)]
    id: Option<String>,
    display_name: String,
    description: Option<String>,
    active_directory_domain_name: String,
    organizational_unit: Option<String>,
    computer_name_static_prefix: String,
    #[schemars(range(min = 3, max = 14))]
    computer_name_suffix_random_char_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_scope_tag_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing)]
    created_date_time: Option<String>,
    #[serde(default, skip_serializing)]
    last_modified_date_time: Option<String>,
}

/// The `assign` action: the profile's whole list of assignments.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AssignBody {
    pub(super) assignments: Vec<Assignment>,
}

impl IntunePayload for DomainJoinConfiguration {
    fn id(&self) -> Option<String> {
        self.id.clone()
    }

    /// The collection holds every kind of device configuration.
    fn wrong_kind(&self, id: &str) -> Option<ReadError> {
        DomainJoinProfile::KIND.wrong_odata_type(id, &self.odata_type, ODATA_TYPE)
    }
}

impl DomainJoinProfileModel {
    pub(super) fn to_graph(&self) -> DomainJoinConfiguration {
        let prefix = self
            .computer_name_static_prefix
            .known()
            .cloned()
            .unwrap_or_default();
        DomainJoinConfiguration {
            odata_type: ODATA_TYPE.to_string(),
            id: None,
            display_name: self.display_name.known().cloned().unwrap_or_default(),
            description: self.description.known().cloned(),
            active_directory_domain_name: self
                .active_directory_domain_name
                .known()
                .cloned()
                .unwrap_or_default(),
            organizational_unit: self.organizational_unit.known().cloned(),
            computer_name_suffix_random_char_count: self
                .computer_name_suffix_random_char_count
                .known()
                .copied()
                .unwrap_or_else(|| default_random_count(&prefix)),
            computer_name_static_prefix: prefix,
            role_scope_tag_ids: scope_tags_to_graph(&self.role_scope_tag_ids),
            created_date_time: None,
            last_modified_date_time: None,
        }
    }

    /// The state for what Graph holds, shaped like `prior` where Graph cannot
    /// tell "unset" from "empty".
    pub(super) fn from_graph(
        config: DomainJoinConfiguration,
        targets: Targets,
        prior: &DomainJoinProfileModel,
    ) -> Self {
        let (assignment_filter_id, assignment_filter_type) = Filter::to_state(targets.filter);
        DomainJoinProfileModel {
            id: config.id.into(),
            display_name: Attr::Known(config.display_name),
            description: config.description.into(),
            active_directory_domain_name: Attr::Known(config.active_directory_domain_name),
            organizational_unit: config.organizational_unit.into(),
            computer_name_static_prefix: Attr::Known(config.computer_name_static_prefix),
            computer_name_suffix_random_char_count: Attr::Known(
                config.computer_name_suffix_random_char_count,
            ),
            include_group_ids: set_like_prior(&prior.include_group_ids, targets.include),
            exclude_group_ids: set_like_prior(&prior.exclude_group_ids, targets.exclude),
            all_devices: Attr::Known(targets.all_devices),
            assignment_filter_id,
            assignment_filter_type,
            role_scope_tag_ids: scope_tags_like_prior(
                config.role_scope_tag_ids,
                &prior.role_scope_tag_ids,
            ),
            created_date_time: config.created_date_time.into(),
            last_modified_date_time: config.last_modified_date_time.into(),
            timeouts: prior.timeouts.clone(),
        }
    }
}
