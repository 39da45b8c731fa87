//! The model of `autopilot_enrollment_status_page`: its doc comments are
//! the schema's descriptions.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use crate::resources::timeouts::{Timeouts, timed_model};

use super::graph::EspTargets;
use crate::resources::assignments::Targets;

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
    /// Id of an assignment filter (`autopilot_assignment_filter`) that narrows the included targets (groups, all devices, all users; never the exclusions). Set together with `assignment_filter_type`.
    pub assignment_filter_id: Attr<String>,
    /// `include` (only the devices the filter matches) or `exclude` (all but those devices). Set together with `assignment_filter_id`. Where the targets carry different filters (set target by target in the Intune admin center), it reads as null, so the plan shows the difference and the apply writes the configured filter on every target.
    pub assignment_filter_type: Attr<crate::resources::assignments::FilterType>,
    /// When the ESP was created (ISO 8601).
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub created_date_time: Attr<String>,
    /// When the ESP was last changed (ISO 8601).
    #[schemars(extend("x-tf" = "computed"))]
    pub last_modified_date_time: Attr<String>,
    #[schemars(extend("x-tf" = "block"))]
    pub timeouts: Attr<Timeouts>,
}

timed_model!(EnrollmentStatusPageModel => Timeouts);

impl EnrollmentStatusPageModel {
    pub(crate) fn targets(&self) -> EspTargets {
        EspTargets {
            targets: Targets::of(
                &self.include_group_ids,
                &self.exclude_group_ids,
                &self.all_devices,
            )
            .filtered(crate::resources::assignments::Filter::of(
                &self.assignment_filter_id,
                &self.assignment_filter_type,
            )),
            all_users: self.all_users.known().copied().unwrap_or(false),
        }
    }
}
