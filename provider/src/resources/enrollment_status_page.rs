//! `autopilot_enrollment_status_page`: a custom Enrollment Status Page
//! (`windows10EnrollmentCompletionPageConfiguration`), its priority (set
//! with `setPriority`) and its assignments (replaced with `assign`).
//!
//! The tenant's default ESP (priority 0, "All users and all devices") can be
//! read with the `autopilot_enrollment_status_page` data source; this
//! resource never imports or deletes it.
//!
//! Every write goes through the process's [`EspOrder`]: one at a time, and
//! followed by the arrangement of every custom ESP's priority.

mod registration;
pub use registration::{EXPORT, payloads};

use std::collections::BTreeSet;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, AttrPath, Diagnostics, PlanRequest, Resource};

use super::assignments::{self, Assignment, Targets};
use super::esp_order::{self, EspOrder};
use super::{report, set_like_prior, string_like_prior};
use crate::graph::consistency::Seen;
use crate::graph::{ApiVersion, GraphClient, GraphError, NameLookup};

pub const ODATA_TYPE: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
pub const COLLECTION: &str = "deviceManagement/deviceEnrollmentConfigurations";
/// Graph's documented default for `installProgressTimeoutInMinutes`.
const DEFAULT_TIMEOUT: i64 = 60;
const DEFAULT_SUFFIX: &str = "_defaultwindows10enrollmentcompletionpageconfiguration";

/// A custom Enrollment Status Page (ESP): what Windows shows while a new
/// device installs its apps and profiles, whether users may use the device
/// before that finishes, and what they may do on errors. Users and devices
/// get the assigned ESP with the lowest `priority` number; the tenant's
/// default ESP (priority 0 in Graph, applied last) is read with the data
/// source of the same name, never managed by this resource.
///
/// Intune numbers the custom ESPs from 1 without gaps, and a priority is a
/// position among all of them, including ESPs Terraform does not manage.
/// The provider writes ESPs one at a time and, after each write, moves the
/// ESPs of the configuration to their priorities (whatever order Terraform
/// applies them in, the apply ends with the configured order); the ESPs
/// Terraform does not manage, and those whose `priority` is unset, keep
/// their relative order in the priorities left free, so they may move. A
/// priority above the number of custom ESPs cannot be given (the ESP stays
/// last and the next plan shows the difference). Deleting an ESP first moves
/// it last, so that no gap is left: Intune never gives a freed priority
/// again. Two ESPs with the same `priority` cannot be seen at plan time
/// (each resource is planned alone): the one written last gets it. Give
/// every ESP a distinct priority, or leave `priority` unset to append the
/// ESP after the existing ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct EnrollmentStatusPageModel {
    /// The ESP's Graph object id.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// The ESP's name in Intune.
    #[schemars(extend("x-tf" = "required"), length(min = 1, max = 200))]
    pub display_name: Attr<String>,
    /// A description shown in Intune.
    pub description: Attr<String>,
    /// Show app and profile configuration progress (the ESP itself). The other settings only take effect when it is on.
    #[schemars(extend("x-tf-default" = false))]
    pub show_installation_progress: Attr<bool>,
    /// Graph's name for the inverse of the portal's "Block device use until all apps and profiles are installed": `false` (the default) blocks device use until installation completes, `true` lets users leave the ESP early. `allow_device_reset_on_install_failure`, `allow_device_use_on_install_failure` and `selected_mobile_app_ids` need device use blocked (`show_installation_progress = true` and this `false`).
    #[schemars(extend("x-tf-default" = false))]
    pub block_device_setup_retry_by_user: Attr<bool>,
    /// Allow users to reset the device if an installation error occurs (needs device use blocked).
    #[schemars(extend("x-tf-default" = false))]
    pub allow_device_reset_on_install_failure: Attr<bool>,
    /// Turn on log collection and the diagnostics page for users when an installation error occurs.
    #[schemars(extend("x-tf-default" = false))]
    pub allow_log_collection_on_install_failure: Attr<bool>,
    /// The message shown when the time limit passes or an error occurs; unset shows Windows' default message.
    #[schemars(length(max = 10000))]
    pub custom_error_message: Attr<String>,
    /// Show an error when installation takes longer than this many minutes (1 to 1440).
    #[schemars(extend("x-tf-default" = 60), range(min = 1, max = 1440))]
    pub install_progress_timeout_in_minutes: Attr<i64>,
    /// Allow users to use the device if an installation error occurs (needs device use blocked).
    #[schemars(extend("x-tf-default" = false))]
    pub allow_device_use_on_install_failure: Attr<bool>,
    /// Block device use until these required apps are installed ("Selected" instead of "All" in the portal; needs device use blocked). Ids of Intune apps; at most 100, Intune's limit.
    #[schemars(length(max = 100))]
    pub selected_mobile_app_ids: Attr<BTreeSet<String>>,
    /// Only fail selected blocking apps in the technician phase (pre-provisioning); meaningful with `selected_mobile_app_ids`.
    #[schemars(extend("x-tf-default" = false))]
    pub allow_non_blocking_app_installation: Attr<bool>,
    /// Install Windows quality updates during OOBE (may restart the device).
    #[schemars(extend("x-tf-default" = false))]
    pub install_quality_updates: Attr<bool>,
    /// Only show the page to devices provisioned by the out-of-box experience (Autopilot).
    #[schemars(extend("x-tf-default" = false))]
    pub track_install_progress_for_autopilot_only: Attr<bool>,
    /// Show the page during the user phase to the first user who signs in only.
    #[schemars(extend("x-tf-default" = false))]
    pub disable_user_status_tracking_after_first_user: Attr<bool>,
    /// The ESP's priority among all custom ESPs of the tenant (managed by Terraform or not), from 1 to their number; the lowest number wins. Unset: the ESP is appended after the existing ones and keeps its place among the others (its number may change when configured ESPs move before it).
    #[schemars(extend("x-tf" = "optional,computed,stable"), range(min = 1))]
    pub priority: Attr<i64>,
    /// Ids of the scope tags of the ESP. Intune uses `["0"]` (Default) when unset.
    #[schemars(extend("x-tf" = "optional,computed,stable"))]
    pub role_scope_tag_ids: Attr<BTreeSet<String>>,
    /// Object ids of the groups the ESP is assigned to.
    pub include_group_ids: Attr<BTreeSet<String>>,
    /// Object ids of groups excluded from the assignment.
    pub exclude_group_ids: Attr<BTreeSet<String>>,
    /// Assign the ESP to all devices. Cannot be combined with `exclude_group_ids`.
    #[schemars(extend("x-tf-default" = false))]
    pub all_devices: Attr<bool>,
    /// Assign the ESP to all (licensed) users.
    #[schemars(extend("x-tf-default" = false))]
    pub all_users: Attr<bool>,
    /// When the ESP was created (ISO 8601).
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub created_date_time: Attr<String>,
    /// When the ESP was last changed (ISO 8601).
    #[schemars(extend("x-tf" = "computed"))]
    pub last_modified_date_time: Attr<String>,
}

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
    enrollment_configuration_assignments: Vec<Assignment>,
}

/// The `setPriority` action.
#[derive(Serialize, JsonSchema)]
pub(crate) struct PriorityBody {
    #[schemars(range(min = 1))]
    pub(crate) priority: i64,
}

/// Whether an ESP id is the tenant's default ESP
/// (`{tenantId}_DefaultWindows10EnrollmentCompletionPageConfiguration`).
pub fn is_default_esp(id: &str) -> bool {
    id.to_ascii_lowercase().ends_with(DEFAULT_SUFFIX)
}

/// The assignment intent of an ESP: groups, all devices and all users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EspTargets {
    pub targets: Targets,
    pub all_users: bool,
}

impl EspTargets {
    pub fn from_assignments(assignments: &[Assignment]) -> Self {
        EspTargets {
            targets: Targets::from_assignments(assignments),
            all_users: assignments::has_all_users(assignments),
        }
    }

    fn to_assignments(&self) -> Vec<Assignment> {
        let mut out = self.targets.to_assignments();
        if self.all_users {
            out.push(assignments::all_users_assignment());
        }
        out
    }
}

pub struct EnrollmentStatusPage;

impl EnrollmentStatusPageModel {
    fn targets(&self) -> EspTargets {
        EspTargets {
            targets: Targets {
                include: self.include_group_ids.known().cloned().unwrap_or_default(),
                exclude: self.exclude_group_ids.known().cloned().unwrap_or_default(),
                all_devices: self.all_devices.known().copied().unwrap_or(false),
            },
            all_users: self.all_users.known().copied().unwrap_or(false),
        }
    }

    fn to_graph(&self) -> EspPayload {
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
            role_scope_tag_ids: self
                .role_scope_tag_ids
                .known()
                .map(|ids| ids.iter().cloned().collect()),
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
            role_scope_tag_ids: Attr::Known(
                esp.role_scope_tag_ids
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
            ),
            include_group_ids: set_like_prior(&prior.include_group_ids, targets.targets.include),
            exclude_group_ids: set_like_prior(&prior.exclude_group_ids, targets.targets.exclude),
            all_devices: Attr::Known(targets.targets.all_devices),
            all_users: Attr::Known(targets.all_users),
            created_date_time: esp.created_date_time.into(),
            last_modified_date_time: esp.last_modified_date_time.into(),
        }
    }
}

/// What a fetch found.
pub(crate) enum Fetched {
    Found(Box<EspPayload>, Vec<Assignment>),
    /// No object with that id.
    Missing,
    /// An enrollment configuration of another kind.
    OtherKind(String),
}

/// Reads an ESP and its assignments.
pub(crate) async fn fetch_esp(client: &GraphClient, id: &str) -> Result<Fetched, GraphError> {
    let path = format!("{COLLECTION}/{id}");
    let Some(esp) = client
        .get_optional::<EspPayload>(ApiVersion::Beta, &path)
        .await?
    else {
        return Ok(Fetched::Missing);
    };
    if esp.odata_type != ODATA_TYPE {
        return Ok(Fetched::OtherKind(esp.odata_type));
    }
    let assignments = match client
        .list::<Assignment>(ApiVersion::Beta, &format!("{path}/assignments"))
        .await
    {
        Ok(list) => list,
        Err(e) if e.is_not_found() => return Ok(Fetched::Missing),
        Err(e) => return Err(e),
    };
    Ok(Fetched::Found(Box::new(esp), assignments))
}

/// Every ESP in the tenant, the default one included (without assignments).
pub(crate) async fn list_esps(client: &GraphClient) -> Result<Vec<EspPayload>, GraphError> {
    let all: Vec<EspPayload> = client.list(ApiVersion::Beta, COLLECTION).await?;
    Ok(all
        .into_iter()
        .filter(|e| e.odata_type == ODATA_TYPE)
        .collect())
}

/// The plan-time rules of an ESP; every diagnostic names its attribute.
pub(crate) fn validate_esp(config: &EnrollmentStatusPageModel, diags: &mut Diagnostics) {
    // Defaults apply where the configuration leaves a flag unset.
    let show = match config.show_installation_progress {
        Attr::Known(v) => Some(v),
        Attr::Null => Some(false),
        Attr::Unknown => None,
    };
    let lets_users_leave = match config.block_device_setup_retry_by_user {
        Attr::Known(v) => Some(v),
        Attr::Null => Some(false),
        Attr::Unknown => None,
    };
    let blocked = match (show, lets_users_leave) {
        (Some(show), Some(leave)) => Some(show && !leave),
        _ => None,
    };
    let why = || match show {
        Some(false) => "show_installation_progress is false, so the ESP is not shown at all",
        _ => {
            "block_device_setup_retry_by_user is true, so users can leave the ESP before installation completes"
        }
    };
    if blocked == Some(false) {
        for (name, value) in [
            (
                "allow_device_reset_on_install_failure",
                &config.allow_device_reset_on_install_failure,
            ),
            (
                "allow_device_use_on_install_failure",
                &config.allow_device_use_on_install_failure,
            ),
        ] {
            if value.known() == Some(&true) {
                diags.error_at(
                    AttrPath::root(name),
                    format!("`{name}` needs device use blocked"),
                    format!(
                        "This option only works when device use is blocked until all apps and profiles are \
                         installed (show_installation_progress = true and block_device_setup_retry_by_user = \
                         false), but {}.",
                        why()
                    ),
                );
            }
        }
        if config
            .selected_mobile_app_ids
            .known()
            .is_some_and(|ids| !ids.is_empty())
        {
            diags.error_at(
                AttrPath::root("selected_mobile_app_ids"),
                "`selected_mobile_app_ids` needs device use blocked",
                format!(
                    "Selected apps are the apps device use is blocked on (\"Selected\" instead of \"All\"); \
                     they only work when device use is blocked (show_installation_progress = true and \
                     block_device_setup_retry_by_user = false), but {}.",
                    why()
                ),
            );
        }
    }
    for id in config.selected_mobile_app_ids.known().into_iter().flatten() {
        if uuid::Uuid::parse_str(id).is_err() {
            diags.error_at(
                AttrPath::root("selected_mobile_app_ids"),
                "Invalid app id in `selected_mobile_app_ids`",
                format!("{id:?} is not an Intune app id (a GUID)."),
            );
        }
    }
    let no_apps = match &config.selected_mobile_app_ids {
        Attr::Null => true,
        Attr::Known(ids) => ids.is_empty(),
        Attr::Unknown => false,
    };
    if config.allow_non_blocking_app_installation.known() == Some(&true) && no_apps {
        diags.warning_at(
            AttrPath::root("allow_non_blocking_app_installation"),
            "`allow_non_blocking_app_installation` has no effect without selected apps",
            "\"Only fail selected blocking apps in technician phase\" applies to the apps in \
             selected_mobile_app_ids; with none selected, every required app blocks.",
        );
    }
    if show == Some(false) {
        for (name, set) in [
            (
                "custom_error_message",
                config.custom_error_message.is_known(),
            ),
            (
                "allow_log_collection_on_install_failure",
                config.allow_log_collection_on_install_failure.known() == Some(&true),
            ),
        ] {
            if set {
                diags.warning_at(
                    AttrPath::root(name),
                    format!("`{name}` has no effect while the ESP is hidden"),
                    "show_installation_progress is false, so the page that would show it never appears.",
                );
            }
        }
    }
    assignments::validate(
        &config.include_group_ids,
        &config.exclude_group_ids,
        &config.all_devices,
        diags,
    );
}

/// An action on a just-created object: a 404 means "not replicated yet".
fn replicated(outcome: Result<(), GraphError>) -> Seen<()> {
    match outcome {
        Err(e) if e.is_not_found() => Seen::NotYet(Err(e)),
        other => Seen::Done(other),
    }
}

/// Errors for selected apps that do not exist in the tenant, before
/// anything is written. Only a 404 counts: when the apps cannot be read
/// (no permission to read apps, say) the check is skipped.
async fn check_apps_exist(client: &GraphClient, apps: &BTreeSet<String>, diags: &mut Diagnostics) {
    for id in apps.iter().filter(|id| uuid::Uuid::parse_str(id).is_ok()) {
        let path = format!("deviceAppManagement/mobileApps/{id}");
        match client
            .get_optional::<serde_json::Value>(ApiVersion::Beta, &path)
            .await
        {
            Ok(Some(_)) => {}
            Ok(None) => diags.error_at(
                AttrPath::root("selected_mobile_app_ids"),
                "Selected app does not exist",
                format!("No Intune app with id {id:?} exists in the tenant."),
            ),
            Err(e) => {
                tracing::debug!(%id, error = %e, "cannot check a selected app; skipped");
                return;
            }
        }
    }
}

impl EnrollmentStatusPage {
    async fn fetch(
        &self,
        client: &GraphClient,
        id: &str,
        prior: &EnrollmentStatusPageModel,
        diags: &mut Diagnostics,
    ) -> Option<EnrollmentStatusPageModel> {
        match fetch_esp(client, id).await {
            Ok(Fetched::Found(esp, assignments)) => Some(EnrollmentStatusPageModel::from_graph(
                *esp,
                EspTargets::from_assignments(&assignments),
                prior,
            )),
            Ok(Fetched::Missing) => None,
            Ok(Fetched::OtherKind(kind)) => {
                diags.error(
                    "Not an Enrollment Status Page",
                    format!("The enrollment configuration {id} is a {kind}, not a {ODATA_TYPE}."),
                );
                None
            }
            Err(e) => {
                report(diags, "read the Enrollment Status Page", &e);
                None
            }
        }
    }

    async fn assign(
        &self,
        client: &GraphClient,
        id: &str,
        targets: &EspTargets,
    ) -> Result<(), GraphError> {
        let body = AssignBody {
            enrollment_configuration_assignments: targets.to_assignments(),
        };
        client
            .post_action(
                ApiVersion::Beta,
                &format!("{COLLECTION}/{id}/assign"),
                &body,
            )
            .await
    }

    /// Moves every custom ESP to its place after a write (see
    /// [`EspOrder::arrange`]); `created` is an ESP just made, retried while
    /// the listing does not show it yet.
    async fn arrange(
        &self,
        client: &GraphClient,
        order: &EspOrder,
        created: Option<&str>,
        diags: &mut Diagnostics,
    ) {
        let outcome = client
            .until_replicated("enrollment status page priorities", || async {
                match order.arrange(client).await {
                    Ok(placed) if created.is_some_and(|id| !placed.iter().any(|p| p.id == id)) => {
                        Seen::NotYet(Ok(placed))
                    }
                    Err(e) if e.is_not_found() => Seen::NotYet(Err(e)),
                    other => Seen::Done(other),
                }
            })
            .await;
        if let Err(e) = outcome {
            report(diags, "set the Enrollment Status Pages' priorities", &e);
        }
    }
}

/// The state of an ESP that wants `wanted`: Graph's priority when it is
/// there; otherwise the wanted one, which the writes still to come in this
/// apply give it (an ESP created later takes a priority before it), or, when
/// none is coming, a warning that Intune cannot give it.
async fn settle_priority(
    client: &GraphClient,
    order: &EspOrder,
    wanted: i64,
    mut state: EnrollmentStatusPageModel,
    diags: &mut Diagnostics,
) -> EnrollmentStatusPageModel {
    let actual = state.priority.known().copied();
    if actual == Some(wanted) {
        return state;
    }
    state.priority = Attr::Known(wanted);
    if order.pending_creates() > 0 {
        tracing::info!(
            wanted,
            ?actual,
            "the priority is given once the ESPs still being created exist"
        );
        return state;
    }
    let held = EspOrder::current(client)
        .await
        .map(|list| {
            list.iter()
                .map(|p| p.priority.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|_| "?".into());
    diags.warning_at(
        AttrPath::root("priority"),
        "Intune cannot give this Enrollment Status Page its priority",
        format!(
            "priority = {wanted}, but the tenant's custom ESPs hold the priorities {held} (this one is at {}), \
             and Intune numbers them from 1 without gaps: setPriority only moves an ESP to a priority another \
             ESP holds. If no other ESP of this configuration is written later in this apply, the next plan \
             shows the difference; use one of the priorities held.",
            actual.map_or_else(|| "?".to_string(), |a| a.to_string()),
        ),
    );
    state
}

#[async_trait]
impl Resource<GraphClient> for EnrollmentStatusPage {
    type Model = EnrollmentStatusPageModel;

    fn type_name(&self) -> &'static str {
        "autopilot_enrollment_status_page"
    }

    fn validate(&self, config: &EnrollmentStatusPageModel, diags: &mut Diagnostics) {
        validate_esp(config, diags);
    }

    async fn modify_plan(
        &self,
        client: Option<&GraphClient>,
        request: PlanRequest<'_, EnrollmentStatusPageModel>,
        diags: &mut Diagnostics,
    ) -> EnrollmentStatusPageModel {
        if let (Some(client), Attr::Known(apps)) = (client, &request.config.selected_mobile_app_ids)
        {
            let unchanged = request
                .prior
                .is_some_and(|p| p.selected_mobile_app_ids.known() == Some(apps));
            if !unchanged {
                check_apps_exist(client, apps, diags).await;
            }
        }
        request.planned
    }

    async fn create(
        &self,
        client: &GraphClient,
        planned: EnrollmentStatusPageModel,
        diags: &mut Diagnostics,
    ) -> Option<EnrollmentStatusPageModel> {
        let order = EspOrder::of(client);
        let wanted = planned.priority.known().copied();
        let announced = wanted.map(|p| order.announce(p));
        if announced.is_some()
            && let Err(e) = client
                .pause(
                    esp_order::GATHER,
                    "waiting for the other ESP creates of this apply",
                )
                .await
        {
            report(diags, "create the Enrollment Status Page", &e);
            return None;
        }
        let lock = order.lock().await;
        let (created, id) = super::create_named(
            client,
            &NameLookup {
                version: ApiVersion::Beta,
                collection: COLLECTION,
                property: "displayName",
                name: planned.display_name.known().map_or("", String::as_str),
            },
            &planned.to_graph(),
            "the Enrollment Status Page",
            |created: &EspPayload| created.id.clone(),
            diags,
        )
        .await?;
        if let Some(announced) = announced {
            order.created(announced, &id);
            self.arrange(client, &order, Some(&id), diags).await;
        }
        let targets = planned.targets();
        let mut assigned = EspTargets::default();
        // The new ESP may not be visible to the actions yet: 404s are retried
        // within the replication window (both actions are idempotent).
        if targets != EspTargets::default() {
            let outcome = client
                .until_replicated("enrollment status page assign", || async {
                    replicated(self.assign(client, &id, &targets).await)
                })
                .await;
            match outcome {
                Ok(()) => assigned = targets,
                Err(e) => report(diags, "assign the Enrollment Status Page", &e),
            }
        }
        drop(lock);
        match self.fetch(client, &id, &planned, diags).await {
            Some(state) => Some(match wanted {
                Some(wanted) => settle_priority(client, &order, wanted, state, diags).await,
                None => state,
            }),
            // The ESP exists: keep it in state (Terraform taints it).
            None => Some(EnrollmentStatusPageModel::from_graph(
                created, assigned, &planned,
            )),
        }
    }

    async fn read(
        &self,
        client: &GraphClient,
        current: EnrollmentStatusPageModel,
        diags: &mut Diagnostics,
    ) -> Option<EnrollmentStatusPageModel> {
        let id = current.id.known().cloned()?;
        self.fetch(client, &id, &current, diags).await
    }

    async fn update(
        &self,
        client: &GraphClient,
        prior: EnrollmentStatusPageModel,
        planned: EnrollmentStatusPageModel,
        diags: &mut Diagnostics,
    ) -> Option<EnrollmentStatusPageModel> {
        let Some(id) = prior.id.known().cloned() else {
            diags.error(
                "Cannot update the Enrollment Status Page",
                "The state has no id.",
            );
            return Some(prior);
        };
        let order = EspOrder::of(client);
        let wanted = planned
            .priority
            .known()
            .copied()
            .filter(|p| prior.priority.known() != Some(p));
        if let Some(wanted) = wanted {
            order.want(&id, wanted);
        }
        let lock = order.lock().await;
        if let Err(e) = client
            .patch(
                ApiVersion::Beta,
                &format!("{COLLECTION}/{id}"),
                &planned.to_graph(),
            )
            .await
        {
            report(diags, "update the Enrollment Status Page", &e);
            return Some(prior);
        }
        let targets = planned.targets();
        if targets != prior.targets()
            && let Err(e) = self.assign(client, &id, &targets).await
        {
            report(diags, "update the Enrollment Status Page's assignments", &e);
        }
        if wanted.is_some() {
            self.arrange(client, &order, None, diags).await;
        }
        drop(lock);
        let Some(state) = self.fetch(client, &id, &planned, diags).await else {
            return Some(prior);
        };
        Some(match wanted {
            Some(wanted) => settle_priority(client, &order, wanted, state, diags).await,
            None => state,
        })
    }

    async fn delete(
        &self,
        client: &GraphClient,
        prior: EnrollmentStatusPageModel,
        diags: &mut Diagnostics,
    ) {
        let Some(id) = prior.id.known() else { return };
        if is_default_esp(id) {
            diags.warning(
                "The default Enrollment Status Page is never deleted",
                format!("{id} is the tenant's default ESP; it was removed from the state only."),
            );
            return;
        }
        let order = EspOrder::of(client);
        order.forget(id);
        let _lock = order.lock().await;
        // Intune never gives a freed priority again: leave the gap at the end.
        if let Err(e) = EspOrder::move_last(client, id).await {
            tracing::warn!(%id, error = %e, "cannot move the ESP last before deleting it; a gap may be left");
        }
        if let Err(e) = client
            .delete(ApiVersion::Beta, &format!("{COLLECTION}/{id}"))
            .await
        {
            report(diags, "delete the Enrollment Status Page", &e);
            return;
        }
        self.arrange(client, &order, None, diags).await;
    }

    async fn import(
        &self,
        client: &GraphClient,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<EnrollmentStatusPageModel> {
        if is_default_esp(id) {
            diags.error(
                "The default Enrollment Status Page cannot be imported",
                format!(
                    "{id} is the tenant's default ESP (\"All users and all devices\"), which cannot be deleted \
                     or reassigned, so this resource does not manage it. Read it with \
                     data \"autopilot_enrollment_status_page\" {{ default = true }} instead."
                ),
            );
            return None;
        }
        let found = self
            .fetch(client, id, &EnrollmentStatusPageModel::default(), diags)
            .await;
        if let Some(found) = &found
            && found.priority.known() == Some(&0)
        {
            diags.error(
                "The default Enrollment Status Page cannot be imported",
                format!(
                    "{id} has priority 0, which only the tenant's default ESP has. Read it with \
                     data \"autopilot_enrollment_status_page\" {{ default = true }} instead."
                ),
            );
            return None;
        }
        if found.is_none() && !diags.has_errors() {
            diags.error(
                "Cannot import an Enrollment Status Page that does not exist",
                format!("No enrollment configuration with id {id:?} exists in the tenant."),
            );
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::Severity;

    #[test]
    fn schema_derives() {
        let schema = tfplugin::Schema::of::<EnrollmentStatusPageModel>(0).expect("schema");
        let priority = schema.block.attribute("priority").expect("priority");
        assert!(priority.optional && priority.computed && priority.stable);
        assert_eq!(priority.constraints.minimum, Some(1));
        let timeout = schema
            .block
            .attribute("install_progress_timeout_in_minutes")
            .expect("timeout");
        assert_eq!(timeout.default, Some(tfplugin::Value::Number(60i64.into())));
        assert_eq!(
            (timeout.constraints.minimum, timeout.constraints.maximum),
            (Some(1), Some(1440))
        );
    }

    fn blocking() -> EnrollmentStatusPageModel {
        EnrollmentStatusPageModel {
            display_name: Attr::Known("ESP".into()),
            show_installation_progress: Attr::Known(true),
            ..Default::default()
        }
    }

    fn paths(model: &EnrollmentStatusPageModel, severity: Severity) -> Vec<String> {
        let mut diags = Diagnostics::new();
        validate_esp(model, &mut diags);
        diags
            .iter()
            .filter(|d| d.severity == severity)
            .filter_map(|d| d.path.as_ref().map(ToString::to_string))
            .collect()
    }

    const APP: &str = "e83d36e1-3ff2-4567-90d9-940919184ad5";

    #[test]
    fn blocking_options_need_blocking() {
        let mut m = blocking();
        m.allow_device_reset_on_install_failure = Attr::Known(true);
        m.allow_device_use_on_install_failure = Attr::Known(true);
        m.selected_mobile_app_ids = Attr::Known(BTreeSet::from([APP.to_string()]));
        assert!(paths(&m, Severity::Error).is_empty());

        m.block_device_setup_retry_by_user = Attr::Known(true);
        assert_eq!(
            paths(&m, Severity::Error),
            [
                "allow_device_reset_on_install_failure",
                "allow_device_use_on_install_failure",
                "selected_mobile_app_ids"
            ]
        );
        m.block_device_setup_retry_by_user = Attr::Null;
        m.show_installation_progress = Attr::Null;
        assert_eq!(paths(&m, Severity::Error).len(), 3);
        m.show_installation_progress = Attr::Unknown;
        assert!(paths(&m, Severity::Error).is_empty());
    }

    #[test]
    fn app_ids_and_non_blocking() {
        let mut m = blocking();
        m.selected_mobile_app_ids = Attr::Known(BTreeSet::from(["word".to_string()]));
        assert_eq!(paths(&m, Severity::Error), ["selected_mobile_app_ids"]);
        let mut m = blocking();
        m.allow_non_blocking_app_installation = Attr::Known(true);
        assert_eq!(
            paths(&m, Severity::Warning),
            ["allow_non_blocking_app_installation"]
        );
    }

    #[test]
    fn default_esp_ids() {
        assert!(is_default_esp(
            "7ab1ab00-0000-4000-8000-00000000a001_DefaultWindows10EnrollmentCompletionPageConfiguration"
        ));
        assert!(!is_default_esp(
            "4998ae20-fa77-4f5c-9f7f-a5956b42dd6c_Windows10EnrollmentCompletionPageConfiguration"
        ));
    }

    #[test]
    fn graph_round_trip() {
        let mut m = blocking();
        m.all_users = Attr::Known(true);
        let json = serde_json::to_value(m.to_graph()).expect("json");
        assert_eq!(json["@odata.type"], ODATA_TYPE);
        assert_eq!(json["selectedMobileAppIds"], serde_json::json!([]));
        assert_eq!(json["installProgressTimeoutInMinutes"], 60);
        assert!(json.get("priority").is_none());
        let mut back: EspPayload = serde_json::from_value(json).expect("back");
        back.id = Some("e1".into());
        back.priority = Some(2);
        let targets = EspTargets::from_assignments(&m.targets().to_assignments());
        assert!(targets.all_users);
        let state = EnrollmentStatusPageModel::from_graph(back, targets, &m);
        assert_eq!(state.priority, Attr::Known(2));
        assert_eq!(state.selected_mobile_app_ids, Attr::Null);
        assert_eq!(state.all_users, Attr::Known(true));
        assert_eq!(state.custom_error_message, Attr::Null);
    }
}
