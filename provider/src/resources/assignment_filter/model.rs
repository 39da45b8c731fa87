//! The model of `autopilot_assignment_filter`: its doc comments are the
//! schema's descriptions.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use crate::resources::timeouts::{Timeouts, timed_model};

/// The platform a filter evaluates (Graph `devicePlatformType`): Autopilot
/// uses Windows 10 and later only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Platform {
    #[serde(rename = "windows10_and_later")]
    Windows10AndLater,
}

/// What a filter evaluates (Graph `assignmentFilterManagementType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ManagementType {
    Devices,
    Apps,
}

impl ManagementType {
    /// Graph's name, which is also the one the rule check takes.
    pub(crate) fn graph_name(self) -> &'static str {
        match self {
            ManagementType::Devices => "devices",
            ManagementType::Apps => "apps",
        }
    }
}

/// An Intune assignment filter: a rule over device (or app) properties
/// that narrows an assignment at check-in, without waiting for group
/// membership. Assign it with `assignment_filter_id` and
/// `assignment_filter_type` on the resources whose assignments Intune
/// filters. A filter that assignments use cannot be deleted: remove it
/// from them first (Terraform does, when they are in the same
/// configuration).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct AssignmentFilterModel {
    /// The filter's Graph object id.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// The filter's name in Intune.
    #[schemars(extend("x-tf" = "required"), length(min = 1, max = 200))]
    pub display_name: Attr<String>,
    /// A description shown in Intune.
    pub description: Attr<String>,
    /// The rule, in Intune's filter syntax: `(device.<property> <operator> <value>)` expressions joined by `and` / `or`, e.g. `(device.manufacturer -eq "Microsoft Corporation") and (device.model -startsWith "Surface")`. Properties: `cpuArchitecture`, `deviceCategory`, `deviceName`, `deviceOwnership`, `deviceTrustType`, `enrollmentProfileName`, `manufacturer`, `model`, `operatingSystemSKU`, `operatingSystemVersion`, `osVersion` (with `app.` and `appVersion`, `deviceManagementType`, `deviceManufacturer`, `deviceModel`, `operatingSystemVersion`, `osVersion` for app filters). Checked when planning; Intune checks it again (`validateFilter`) before anything is written.
    #[schemars(extend("x-tf" = "required"), length(min = 1))]
    pub rule: Attr<String>,
    /// The platform the filter applies to: `windows10_and_later`, the only one Autopilot uses.
    #[schemars(extend("x-tf" = "force_new", "x-tf-default" = "windows10_and_later"))]
    pub platform: Attr<Platform>,
    /// `devices` (managed devices, `device.` properties) or `apps` (managed apps, `app.` properties). Changing it replaces the filter.
    #[schemars(extend("x-tf" = "force_new", "x-tf-default" = "devices"))]
    pub assignment_filter_management_type: Attr<ManagementType>,
    /// Ids of the filter's scope tags. Intune uses `["0"]` (Default) when unset.
    #[schemars(extend("x-tf" = "optional,computed,stable"))]
    pub role_scope_tag_ids: Attr<BTreeSet<String>>,
    /// When the filter was created (ISO 8601).
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub created_date_time: Attr<String>,
    /// When the filter was last changed (ISO 8601).
    #[schemars(extend("x-tf" = "computed"))]
    pub last_modified_date_time: Attr<String>,
    #[schemars(extend("x-tf" = "block"))]
    pub timeouts: Attr<Timeouts>,
}

timed_model!(AssignmentFilterModel => Timeouts);

impl AssignmentFilterModel {
    /// The management type the rule is written for (`devices` unless set).
    pub(crate) fn management(&self) -> ManagementType {
        self.assignment_filter_management_type
            .known()
            .copied()
            .unwrap_or(ManagementType::Devices)
    }
}
