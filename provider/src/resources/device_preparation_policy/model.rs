//! The model of `autopilot_device_preparation_policy` and its enums: the
//! doc comments are the schema's descriptions.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use crate::resources::timeouts::{timed_model, timeouts_block};

use crate::resources::assignments::IdSet;

/// The portal's default error message (with its curly apostrophe).
pub const DEFAULT_ERROR_MESSAGE: &str =
    "Contact your organization\u{2019}s support person for help.";
pub(super) const DEFAULT_TIMEOUT: i64 = 60;

/// Who drives the deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentMode {
    /// A user signs in during the out-of-box experience.
    UserDriven,
    /// No user: Windows 365 Cloud PCs (self-deploying).
    Automatic,
}

/// How devices join: Microsoft Entra join is the only option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JoinType {
    Entra,
}

/// The account type of the user on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserAccountType {
    Standard,
    Administrator,
}

impl UserAccountType {
    /// The choice value suffix (`_0` Administrator, `_1` Standard User, as
    /// the Intune portal sends them).
    pub(super) fn choice(self) -> &'static str {
        match self {
            UserAccountType::Administrator => "_0",
            UserAccountType::Standard => "_1",
        }
    }
}

/// A Windows Autopilot device preparation policy. Devices that its users
/// (`include_group_ids`) set up are added to `device_group_id` during
/// enrollment, which must be an assigned security group owned by the Intune
/// Provisioning Client (an `autopilot_group` with
/// `provisioning_client_owner = true`). User-driven policies take the
/// out-of-box settings; automatic ones (Windows 365) only apps and scripts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct DevicePreparationPolicyModel {
    /// The policy's Graph object id.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// The policy's name in Intune.
    #[schemars(extend("x-tf" = "required"), length(min = 1, max = 200))]
    pub display_name: Attr<String>,
    /// A description shown in Intune.
    #[schemars(length(max = 1500))]
    pub description: Attr<String>,
    /// `user_driven` (a user signs in during setup) or `automatic` (Windows 365, no user: Intune's second device preparation template, which takes only apps, scripts and the device group). These are the two modes Intune offers; the user-driven template's own deployment mode, type and join type settings have one option each. Changing it replaces the policy.
    #[schemars(extend("x-tf" = "force_new", "x-tf-default" = "user_driven"))]
    pub deployment_mode: Attr<DeploymentMode>,
    /// How devices join: `entra` (Microsoft Entra join, the only option). User-driven only; defaults to `entra`.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub join_type: Attr<JoinType>,
    /// The user's local account type on the device: `standard` or `administrator`. User-driven only; defaults to `standard`, like `user_type` of deployment profiles: nobody gets local administrator rights unless the configuration says so.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub user_account_type: Attr<UserAccountType>,
    /// Minutes allowed before an installation error is shown (15 to 720). User-driven only; defaults to 60.
    #[schemars(extend("x-tf" = "optional,computed"), range(min = 15, max = 720))]
    pub timeout_minutes: Attr<i64>,
    /// The message shown on an installation error. User-driven only; defaults to Intune's "Contact your organization's support person for help.".
    #[schemars(extend("x-tf" = "optional,computed"), length(min = 1, max = 1000))]
    pub custom_error_message: Attr<String>,
    /// Whether users may skip setup after an installation error. User-driven only; defaults to `false`.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub allow_skip: Attr<bool>,
    /// Whether users may collect diagnostics after an installation error. User-driven only; defaults to `false`.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub allow_diagnostics: Attr<bool>,
    /// Ids of the apps (Intune mobile apps: LOB, Win32, WinGet Store apps, Microsoft 365 Apps) installed during setup; at most 25. Each app's type is read from the tenant.
    #[schemars(length(max = 25))]
    pub allowed_app_ids: Attr<IdSet>,
    /// Ids of the PowerShell scripts (Intune device management scripts) run during setup; at most 10.
    #[schemars(length(max = 10))]
    pub allowed_script_ids: Attr<IdSet>,
    /// Object id of the device group devices are added to during setup: an assigned (static) security group owned by the Intune Provisioning Client.
    #[schemars(extend("x-tf" = "required"))]
    pub device_group_id: Attr<String>,
    /// Object ids of the user groups the policy is assigned to (the users who may set up devices with it). User-driven only.
    pub include_group_ids: Attr<IdSet>,
    /// Assign the policy to all licensed users of the tenant (the admin center's "Add all users"), alone or beside `include_group_ids`. User-driven only. There are no exclusion groups and no "all devices" target: a device preparation policy applies to the users who set devices up, and other tools offer it only all users and included groups.
    #[schemars(extend("x-tf-default" = false))]
    pub all_users: Attr<bool>,
    /// Id of an assignment filter (`autopilot_assignment_filter`) that narrows the user groups' assignments. Set together with `assignment_filter_type`.
    pub assignment_filter_id: Attr<String>,
    /// `include` (only the devices the filter matches) or `exclude` (all but those devices). Set together with `assignment_filter_id`. Where the targets carry different filters (set target by target in the Intune admin center), it reads as null, so the plan shows the difference and the apply writes the configured filter on every target.
    pub assignment_filter_type: Attr<crate::resources::assignments::FilterType>,
    /// Ids of the scope tags of the policy. Intune uses `["0"]` (Default) when unset.
    #[schemars(extend("x-tf" = "optional,computed,stable"))]
    pub role_scope_tag_ids: Attr<BTreeSet<String>>,
    /// The policy's priority among device preparation policies (the lowest number wins), assigned by Intune.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub priority: Attr<i64>,
    /// How long operations may take.
    #[schemars(extend("x-tf" = "block"))]
    pub timeouts: Attr<PolicyTimeouts>,
}

timeouts_block! {
    /// Time limits of operations. A create, and an update, are bounded by
    /// `timeouts.create` (or its default); a refresh and a destroy by Graph's
    /// own retry limit.
    pub struct PolicyTimeouts {
        /// How long a create or an update may take, retries of throttled requests included, and in particular how long it may wait for Intune to accept the device group while a group created moments ago, or its new owner the Intune Provisioning Client, replicates to Intune, e.g. `"2m"`. Defaults to `"5m"`. When it runs out no further request is sent, and the error names it.
        create {
            bounds: ["create", "update"],
            default: Some(super::device_group::DEFAULT_CREATE_TIMEOUT)
        },
    }
}

timed_model!(DevicePreparationPolicyModel => PolicyTimeouts);

/// The attributes only user-driven policies take.
pub(super) const USER_DRIVEN_ONLY: &[&str] = &[
    "join_type",
    "user_account_type",
    "timeout_minutes",
    "custom_error_message",
    "allow_skip",
    "allow_diagnostics",
    "include_group_ids",
    "all_users",
];

impl DevicePreparationPolicyModel {
    pub(super) fn mode(&self) -> DeploymentMode {
        self.deployment_mode
            .known()
            .copied()
            .unwrap_or(DeploymentMode::UserDriven)
    }
}
