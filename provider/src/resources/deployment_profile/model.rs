//! The model of `autopilot_deployment_profile` and its enums: the doc
//! comments are the schema's descriptions.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use crate::resources::timeouts::{Timeouts, timed_model};

use crate::resources::assignments::Targets;
use crate::resources::lints::Join;

/// How devices join: Microsoft Entra ID, or on-premises Active Directory
/// plus Entra ID (hybrid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JoinType {
    Entra,
    Hybrid,
}

impl From<JoinType> for Join {
    fn from(value: JoinType) -> Join {
        match value {
            JoinType::Entra => Join::Entra,
            JoinType::Hybrid => Join::Hybrid,
        }
    }
}

impl From<Join> for JoinType {
    fn from(value: Join) -> JoinType {
        match value {
            Join::Entra => JoinType::Entra,
            Join::Hybrid => JoinType::Hybrid,
        }
    }
}

/// The kind of device the profile applies to (Graph `windowsAutopilotDeviceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    WindowsPc,
    HoloLens,
    SurfaceHub2,
    SurfaceHub2S,
    VirtualMachine,
}

impl DeviceType {
    pub fn graph(self) -> &'static str {
        match self {
            DeviceType::WindowsPc => "windowsPc",
            DeviceType::HoloLens => "holoLens",
            DeviceType::SurfaceHub2 => "surfaceHub2",
            DeviceType::SurfaceHub2S => "surfaceHub2S",
            DeviceType::VirtualMachine => "virtualMachine",
        }
    }

    pub(super) fn from_graph(value: &str) -> Option<Self> {
        [
            DeviceType::WindowsPc,
            DeviceType::HoloLens,
            DeviceType::SurfaceHub2,
            DeviceType::SurfaceHub2S,
            DeviceType::VirtualMachine,
        ]
        .into_iter()
        .find(|d| d.graph().eq_ignore_ascii_case(value))
    }
}

/// User-driven (a user signs in) or self-deploying (no user; Entra join
/// only). Graph stores it as the OOBE `deviceUsageType` (`singleUser` /
/// `shared`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentMode {
    UserDriven,
    SelfDeploying,
}

impl DeploymentMode {
    pub fn graph(self) -> &'static str {
        match self {
            DeploymentMode::UserDriven => "singleUser",
            DeploymentMode::SelfDeploying => "shared",
        }
    }

    pub(super) fn from_graph(value: &str) -> Option<Self> {
        match value {
            "singleUser" => Some(DeploymentMode::UserDriven),
            "shared" => Some(DeploymentMode::SelfDeploying),
            _ => None,
        }
    }
}

/// The account type of the user who sets the device up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserType {
    Standard,
    Administrator,
}

impl UserType {
    pub fn graph(self) -> &'static str {
        match self {
            UserType::Standard => "standard",
            UserType::Administrator => "administrator",
        }
    }

    pub(super) fn from_graph(value: &str) -> Option<Self> {
        match value {
            "standard" => Some(UserType::Standard),
            "administrator" => Some(UserType::Administrator),
            _ => None,
        }
    }
}

/// A Windows Autopilot deployment profile: how devices join (Microsoft
/// Entra or hybrid), the deployment mode, the device name, and what the
/// out-of-box experience shows. When a device is in groups targeted by
/// several profiles, the oldest-created profile wins; Entra join and hybrid
/// join profiles should never target the same devices. Profile changes
/// reach devices at their next reset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct DeploymentProfileModel {
    /// The profile's Graph object id.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub id: Attr<String>,
    /// The profile's name in Intune: letters, digits, spaces and `: " ? . @ $ & _ [ ] { } | \` only. Intune refuses any other character (a hyphen, a comma, an apostrophe, parentheses) with an error that gives no reason, so such names are refused at plan.
    #[schemars(extend("x-tf" = "required"), length(min = 1, max = 200))]
    pub display_name: Attr<String>,
    /// A description shown in Intune. Intune refuses descriptions holding any of `! # % ^ * ( ) - + = ; ' < >`, so those are refused at plan.
    #[schemars(length(max = 1500))]
    pub description: Attr<String>,
    /// `entra` (Microsoft Entra joined) or `hybrid` (Microsoft Entra hybrid joined; needs a domain join profile). Changing it replaces the profile.
    #[schemars(extend("x-tf" = "required,force_new"))]
    pub join_type: Attr<JoinType>,
    /// The kind of device the profile is for.
    #[schemars(extend("x-tf-default" = "windows_pc"))]
    pub device_type: Attr<DeviceType>,
    /// `user_driven` or `self_deploying` (Entra join only; needs TPM 2.0).
    #[schemars(extend("x-tf-default" = "user_driven"))]
    pub deployment_mode: Attr<DeploymentMode>,
    /// The device name template, Entra join only: letters, digits and hyphens plus the macros `%SERIAL%` (the hardware serial number) and `%RAND:x%` (x random digits); 15 characters at most, not all digits. Hybrid joined devices take their names from the domain join profile.
    pub device_name_template: Attr<String>,
    /// The language and region, e.g. `en-US`; `os-default` (the default) uses the operating system's. Not `""`: Intune stores an empty locale as `os-default`, and Graph has no value that lets the user select.
    #[schemars(extend("x-tf-default" = "os-default"))]
    pub locale: Attr<String>,
    /// Allow pre-provisioned deployment (needs TPM 2.0; not available in GCC High).
    #[schemars(extend("x-tf-default" = false))]
    pub preprovisioning_allowed: Attr<bool>,
    /// Convert all targeted devices to Autopilot (registers targeted corporate devices; removing the assignment does not unregister them).
    #[schemars(extend("x-tf-default" = false))]
    pub hardware_hash_extraction_enabled: Attr<bool>,
    /// Hybrid join only: skip the domain controller connectivity check during OOBE.
    #[schemars(extend("x-tf-default" = false))]
    pub hybrid_azure_ad_join_skip_connectivity_check: Attr<bool>,
    /// Hide the privacy settings page.
    #[schemars(extend("x-tf-default" = false))]
    pub privacy_settings_hidden: Attr<bool>,
    /// Hide the Microsoft Software License Terms page.
    #[schemars(extend("x-tf-default" = false))]
    pub eula_hidden: Attr<bool>,
    /// Hide the change-account options (the escape link) on the sign-in page.
    #[schemars(extend("x-tf-default" = false))]
    pub escape_link_hidden: Attr<bool>,
    /// Skip the keyboard selection page (set `locale` too).
    #[schemars(extend("x-tf-default" = false))]
    pub keyboard_selection_page_skipped: Attr<bool>,
    /// The local account type of the user who sets up the device: `standard` or `administrator`. Unset, user-driven profiles get `standard`, like `user_account_type` of device preparation policies: the provider's rule is that nobody gets local administrator rights unless the configuration says so (Graph and the Intune admin center default to `administrator`; a profile imported or created in the portal with `administrator` shows as a change to `standard` in the plan until the configuration sets `user_type = "administrator"`). Self-deploying profiles have no user: Intune refuses a user type on them and never returns one, so it must stay unset there (and reads as null).
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub user_type: Attr<UserType>,
    /// Ids of the scope tags of the profile. Intune uses `["0"]` (Default) when unset.
    #[schemars(extend("x-tf" = "optional,computed,stable"))]
    pub role_scope_tag_ids: Attr<BTreeSet<String>>,
    /// Object ids of the device groups the profile is assigned to.
    pub include_group_ids: Attr<BTreeSet<String>>,
    /// Object ids of device groups excluded from the assignment.
    pub exclude_group_ids: Attr<BTreeSet<String>>,
    /// Assign the profile to all devices (the tenant's default profile). Cannot be combined with `exclude_group_ids`.
    #[schemars(extend("x-tf-default" = false))]
    pub all_devices: Attr<bool>,
    /// When the profile was created (ISO 8601); the oldest profile wins where several target one device.
    #[schemars(extend("x-tf" = "computed,stable"))]
    pub created_date_time: Attr<String>,
    /// When the profile was last changed (ISO 8601).
    #[schemars(extend("x-tf" = "computed"))]
    pub last_modified_date_time: Attr<String>,
    #[schemars(extend("x-tf" = "block"))]
    pub timeouts: Attr<Timeouts>,
}

timed_model!(DeploymentProfileModel => Timeouts);

impl DeploymentProfileModel {
    pub(crate) fn targets(&self) -> Targets {
        Targets::of(
            &self.include_group_ids,
            &self.exclude_group_ids,
            &self.all_devices,
        )
    }

    pub(super) fn join(&self) -> JoinType {
        self.join_type.known().copied().unwrap_or(JoinType::Entra)
    }

    pub(super) fn mode(&self) -> DeploymentMode {
        self.deployment_mode
            .known()
            .copied()
            .unwrap_or(DeploymentMode::UserDriven)
    }

    /// `user_type` as planned: the configured one, else `standard` for
    /// user-driven profiles (nobody gets local administrator rights unless
    /// the configuration says so) and null for self-deploying ones (which
    /// have no user); unknown while the mode is.
    pub(super) fn planned_user_type(&self, configured: &Attr<UserType>) -> Attr<UserType> {
        match (configured, &self.deployment_mode) {
            (Attr::Known(_) | Attr::Unknown, _) => configured.clone(),
            (Attr::Null, Attr::Known(DeploymentMode::SelfDeploying)) => Attr::Null,
            (Attr::Null, Attr::Known(DeploymentMode::UserDriven) | Attr::Null) => {
                Attr::Known(UserType::Standard)
            }
            (Attr::Null, Attr::Unknown) => Attr::Unknown,
        }
    }
}
