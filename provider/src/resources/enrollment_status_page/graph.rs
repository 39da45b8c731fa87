//! The Graph side of `autopilot_enrollment_status_page`: the
//! `windows10EnrollmentCompletionPageConfiguration` payload, its actions'
//! bodies and the mapping to and from the model.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use super::EnrollmentStatusPage;
use super::model::EnrollmentStatusPageModel;
use crate::graph::{ApiVersion, GraphClient, GraphError};
use crate::resources::assignments::{self, Assignment, Targets};
use crate::resources::intune::{
    IntunePayload, IntuneResource, ReadError, scope_tags_like_prior, scope_tags_to_graph,
};
use crate::resources::{set_like_prior, string_like_prior};

pub(crate) const ODATA_TYPE: &str =
    "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
pub(crate) const COLLECTION: &str = "deviceManagement/deviceEnrollmentConfigurations";
/// Graph's documented default for `installProgressTimeoutInMinutes`.
const DEFAULT_TIMEOUT: i64 = 60;
const DEFAULT_SUFFIX: &str = "_defaultwindows10enrollmentcompletionpageconfiguration";

/// The Graph payload of an ESP (this crate's own reading of Graph).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EspPayload {
    #[serde(rename = "@odata.type")]
    #[schemars(extend("const" = ODATA_TYPE))]
    pub odata_type: String,
    #[serde(default, skip_serializing)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub show_installation_progress: Option<bool>,
    #[serde(default)]
    pub block_device_setup_retry_by_user: Option<bool>,
    #[serde(default)]
    pub allow_device_reset_on_install_failure: Option<bool>,
    #[serde(default)]
    pub allow_log_collection_on_install_failure: Option<bool>,
    #[serde(default)]
    pub custom_error_message: Option<String>,
    #[serde(default)]
    pub install_progress_timeout_in_minutes: Option<i64>,
    #[serde(default)]
    pub allow_device_use_on_install_failure: Option<bool>,
    #[serde(default)]
    pub selected_mobile_app_ids: Option<Vec<String>>,
    #[serde(default)]
    pub allow_non_blocking_app_installation: Option<bool>,
    #[serde(default)]
    pub install_quality_updates: Option<bool>,
    #[serde(default)]
    pub track_install_progress_for_autopilot_only: Option<bool>,
    #[serde(default)]
    pub disable_user_status_tracking_after_first_user: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_scope_tag_ids: Option<Vec<String>>,
    /// Read only here: Graph ignores it in POST and PATCH; `setPriority` sets it.
    #[serde(default, skip_serializing)]
    pub priority: Option<i64>,
    #[serde(default, skip_serializing)]
    pub created_date_time: Option<String>,
    #[serde(default, skip_serializing)]
    pub last_modified_date_time: Option<String>,
}

/// The `assign` action: the ESP's whole list of assignments.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AssignBody {
    pub(super) enrollment_configuration_assignments: Vec<Assignment>,
}

/// The `setPriority` action.
#[derive(Serialize, JsonSchema)]
pub(crate) struct PriorityBody {
    #[schemars(range(min = 1))]
    pub(crate) priority: i64,
}

/// Whether an ESP id is the tenant's default ESP
/// (`{tenantId}_DefaultWindows10EnrollmentCompletionPageConfiguration`).
pub(crate) fn is_default_esp(id: &str) -> bool {
    id.to_ascii_lowercase().ends_with(DEFAULT_SUFFIX)
}

/// The assignment intent of an ESP: groups, all devices and all users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EspTargets {
    pub targets: Targets,
    pub all_users: bool,
}

impl EspTargets {
    pub(crate) fn from_assignments(assignments: &[Assignment]) -> Self {
        EspTargets {
            targets: Targets::from_assignments(assignments),
            all_users: assignments::has_all_users(assignments),
        }
    }

    pub(super) fn to_assignments(&self) -> Vec<Assignment> {
        let mut out = self.targets.to_assignments();
        if self.all_users {
            out.push(assignments::all_users_assignment());
        }
        assignments::Filter::apply(self.targets.filter.as_ref(), &mut out);
        out
    }
}

impl IntunePayload for EspPayload {
    fn id(&self) -> Option<String> {
        self.id.clone()
    }

    /// The collection holds every kind of enrollment configuration.
    fn wrong_kind(&self, id: &str) -> Option<ReadError> {
        EnrollmentStatusPage::KIND.wrong_odata_type(id, &self.odata_type, ODATA_TYPE)
    }
}

impl EnrollmentStatusPageModel {
    pub(super) fn to_graph(&self) -> EspPayload {
        let flag = |a: &Attr<bool>| Some(a.known().copied().unwrap_or(false));
        EspPayload {
            odata_type: ODATA_TYPE.to_string(),
            id: None,
            display_name: self.display_name.known().cloned(),
            description: self.description.known().cloned(),
            show_installation_progress: flag(&self.show_installation_progress),
            block_device_setup_retry_by_user: flag(&self.block_device_setup_retry_by_user),
            allow_device_reset_on_install_failure: flag(
                &self.allow_device_reset_on_install_failure,
            ),
            allow_log_collection_on_install_failure: flag(
                &self.allow_log_collection_on_install_failure,
            ),
            custom_error_message: self.custom_error_message.known().cloned(),
            install_progress_timeout_in_minutes: Some(
                self.install_progress_timeout_in_minutes
                    .known()
                    .copied()
                    .unwrap_or(DEFAULT_TIMEOUT),
            ),
            allow_device_use_on_install_failure: flag(&self.allow_device_use_on_install_failure),
            // Always sent, so that removing every app clears them.
            selected_mobile_app_ids: Some(
                self.selected_mobile_app_ids
                    .known()
                    .map(|ids| ids.iter().cloned().collect())
                    .unwrap_or_default(),
            ),
            allow_non_blocking_app_installation: flag(&self.allow_non_blocking_app_installation),
            install_quality_updates: flag(&self.install_quality_updates),
            track_install_progress_for_autopilot_only: flag(
                &self.track_install_progress_for_autopilot_only,
            ),
            disable_user_status_tracking_after_first_user: flag(
                &self.disable_user_status_tracking_after_first_user,
            ),
            role_scope_tag_ids: scope_tags_to_graph(&self.role_scope_tag_ids),
            priority: None,
            created_date_time: None,
            last_modified_date_time: None,
        }
    }

    /// The state for what Graph holds, shaped like `prior` where Graph
    /// cannot tell "unset" from "empty".
    pub(crate) fn from_graph(
        esp: EspPayload,
        targets: EspTargets,
        prior: &EnrollmentStatusPageModel,
    ) -> Self {
        let yes = |v: Option<bool>| Attr::Known(v.unwrap_or(false));
        let (assignment_filter_id, assignment_filter_type) =
            assignments::Filter::to_state(targets.targets.filter);
        EnrollmentStatusPageModel {
            id: esp.id.into(),
            display_name: Attr::Known(esp.display_name.unwrap_or_default()),
            description: string_like_prior(&prior.description, esp.description),
            show_installation_progress: yes(esp.show_installation_progress),
            block_device_setup_retry_by_user: yes(esp.block_device_setup_retry_by_user),
            allow_device_reset_on_install_failure: yes(esp.allow_device_reset_on_install_failure),
            allow_log_collection_on_install_failure: yes(
                esp.allow_log_collection_on_install_failure
            ),
            custom_error_message: string_like_prior(
                &prior.custom_error_message,
                esp.custom_error_message,
            ),
            install_progress_timeout_in_minutes: Attr::Known(
                esp.install_progress_timeout_in_minutes
                    .unwrap_or(DEFAULT_TIMEOUT),
            ),
            allow_device_use_on_install_failure: yes(esp.allow_device_use_on_install_failure),
            selected_mobile_app_ids: set_like_prior(
                &prior.selected_mobile_app_ids,
                esp.selected_mobile_app_ids
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
            ),
            allow_non_blocking_app_installation: yes(esp.allow_non_blocking_app_installation),
            install_quality_updates: yes(esp.install_quality_updates),
            track_install_progress_for_autopilot_only: yes(
                esp.track_install_progress_for_autopilot_only
            ),
            disable_user_status_tracking_after_first_user: yes(
                esp.disable_user_status_tracking_after_first_user
            ),
            priority: Attr::Known(esp.priority.unwrap_or(0)),
            role_scope_tag_ids: scope_tags_like_prior(
                esp.role_scope_tag_ids,
                &prior.role_scope_tag_ids,
            ),
            include_group_ids: set_like_prior(&prior.include_group_ids, targets.targets.include),
            exclude_group_ids: set_like_prior(&prior.exclude_group_ids, targets.targets.exclude),
            all_devices: Attr::Known(targets.targets.all_devices),
            all_users: Attr::Known(targets.all_users),
            assignment_filter_id,
            assignment_filter_type,
            created_date_time: esp.created_date_time.into(),
            last_modified_date_time: esp.last_modified_date_time.into(),
            timeouts: prior.timeouts.clone(),
        }
    }
}

/// Every ESP in the tenant, the default one included (without assignments).
pub(crate) async fn list_esps(client: &GraphClient) -> Result<Vec<EspPayload>, GraphError> {
    let all: Vec<EspPayload> = client.list(ApiVersion::Beta, COLLECTION).await?;
    Ok(all
        .into_iter()
        .filter(|e| e.odata_type == ODATA_TYPE)
        .collect())
}
