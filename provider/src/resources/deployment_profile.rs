//! `autopilot_deployment_profile`: a Windows Autopilot deployment profile,
//! Microsoft Entra joined (`azureADWindowsAutopilotDeploymentProfile`) or
//! hybrid joined (`activeDirectoryWindowsAutopilotDeploymentProfile`).
//!
//! Assignments live in the profile's own `assignments` collection and are
//! reconciled one by one (POST the missing, DELETE the extra): replacing
//! them all would leave devices without a profile in between.

mod registration;
pub use registration::{EXPORT, payloads};

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, AttrPath, Diagnostics, PlanRequest, Resource};

use super::assignments::{self, Assignment, Target, Targets};
use super::lints::{self, Join, PROFILE_COLLECTION, PlannedProfile, TenantSnapshot};
use super::{report, set_like_prior, string_like_prior};
use crate::graph::consistency::Seen;
use crate::graph::{ApiVersion, GraphClient, GraphError, NameLookup};
use crate::validate;
use crate::validate::profile_text;

const ASSIGNMENT_TYPE: &str = "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment";
/// Windows computer names have at most 15 characters.
const MAX_NAME: usize = 15;
/// Fewer serial characters than this make name collisions likely.
const MIN_SERIAL: usize = 8;

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

    fn from_graph(value: &str) -> Option<Self> {
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

    fn from_graph(value: &str) -> Option<Self> {
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

    fn from_graph(value: &str) -> Option<Self> {
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
}

/// The current OOBE block (`outOfBoxExperienceSetting`). `userType` is left
/// out of self-deploying (`shared`) profiles: Intune refuses it there and
/// never returns it (KelvinTegelaar/CIPP-API `Set-CIPPDefaultAPDeploymentProfile.ps1`,
/// PR #1923; KelvinTegelaar/CIPP #5554).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend(
    "if" = {"properties": {"deviceUsageType": {"const": "shared"}}, "required": ["deviceUsageType"]},
    "then" = {"not": {"required": ["userType"]}}
))]
pub(crate) struct OobeSetting {
    #[serde(default)]
    pub device_usage_type: Option<String>,
    #[serde(default)]
    pub escape_link_hidden: Option<bool>,
    #[serde(default)]
    pub eula_hidden: Option<bool>,
    #[serde(default)]
    pub keyboard_selection_page_skipped: Option<bool>,
    #[serde(default)]
    pub privacy_settings_hidden: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
}

/// The deprecated OOBE block (`outOfBoxExperienceSettings`), read only
/// when a profile lacks the current one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyOobeSettings {
    #[serde(default)]
    device_usage_type: Option<String>,
    #[serde(default)]
    hide_escape_link: Option<bool>,
    #[serde(default, rename = "hideEULA")]
    hide_eula: Option<bool>,
    #[serde(default)]
    skip_keyboard_selection_page: Option<bool>,
    #[serde(default)]
    hide_privacy_settings: Option<bool>,
    #[serde(default)]
    user_type: Option<String>,
}

impl From<LegacyOobeSettings> for OobeSetting {
    fn from(l: LegacyOobeSettings) -> Self {
        OobeSetting {
            device_usage_type: l.device_usage_type,
            escape_link_hidden: l.hide_escape_link,
            eula_hidden: l.hide_eula,
            keyboard_selection_page_skipped: l.skip_keyboard_selection_page,
            privacy_settings_hidden: l.hide_privacy_settings,
            user_type: l.user_type,
        }
    }
}

/// The Graph payload of a deployment profile (this crate's own reading of
/// Graph; the lab has its own). Only current property names are sent.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProfilePayload {
    #[serde(rename = "@odata.type")]
    #[schemars(extend("enum" = [lints::ENTRA_PROFILE, lints::HYBRID_PROFILE]))]
    pub odata_type: String,
    #[serde(default, skip_serializing)]
    pub id: Option<String>,
    #[serde(default)]
    #[schemars(extend("pattern" = profile_text::NAME_PATTERN))]
    pub display_name: Option<String>,
    #[serde(default)]
    #[schemars(extend("pattern" = profile_text::DESCRIPTION_PATTERN))]
    pub description: Option<String>,
    #[serde(default)]
    pub device_name_template: Option<String>,
    #[serde(default)]
    pub device_type: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub preprovisioning_allowed: Option<bool>,
    #[serde(default)]
    pub hardware_hash_extraction_enabled: Option<bool>,
    #[serde(
        rename = "hybridAzureADJoinSkipConnectivityCheck",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub hybrid_azure_ad_join_skip_connectivity_check: Option<bool>,
    #[serde(default)]
    pub out_of_box_experience_setting: Option<OobeSetting>,
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    out_of_box_experience_settings: Option<LegacyOobeSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_scope_tag_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing)]
    pub created_date_time: Option<String>,
    #[serde(default, skip_serializing)]
    pub last_modified_date_time: Option<String>,
}

impl ProfilePayload {
    /// The OOBE settings, from the current block or else the deprecated one.
    pub(crate) fn oobe(&self) -> OobeSetting {
        self.out_of_box_experience_setting
            .clone()
            .or_else(|| self.out_of_box_experience_settings.clone().map(Into::into))
            .unwrap_or_default()
    }
}

/// A PATCH that sets only the locale, for a create whose `locale` Graph ignored.
#[derive(Serialize, JsonSchema)]
pub(crate) struct LocaleBody<'a> {
    #[serde(rename = "@odata.type")]
    #[schemars(extend("enum" = [lints::ENTRA_PROFILE, lints::HYBRID_PROFILE]))]
    odata_type: &'a str,
    locale: Option<&'a str>,
}

/// One new assignment of a deployment profile, posted to its `assignments`.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AssignmentBody<'a> {
    #[serde(rename = "@odata.type")]
    #[schemars(extend("const" = ASSIGNMENT_TYPE))]
    odata_type: &'static str,
    target: &'a Target,
}

/// The resource, with the tenant snapshot its plan-time lints share.
#[derive(Default)]
pub struct DeploymentProfile {
    tenant: Arc<TenantSnapshot>,
}

impl DeploymentProfile {
    pub fn new(tenant: Arc<TenantSnapshot>) -> Self {
        DeploymentProfile { tenant }
    }
}

impl DeploymentProfileModel {
    fn targets(&self) -> Targets {
        Targets {
            include: self.include_group_ids.known().cloned().unwrap_or_default(),
            exclude: self.exclude_group_ids.known().cloned().unwrap_or_default(),
            all_devices: self.all_devices.known().copied().unwrap_or(false),
        }
    }

    fn join(&self) -> JoinType {
        self.join_type.known().copied().unwrap_or(JoinType::Entra)
    }

    fn mode(&self) -> DeploymentMode {
        self.deployment_mode
            .known()
            .copied()
            .unwrap_or(DeploymentMode::UserDriven)
    }

    /// `user_type` as planned: the configured one, else `standard` for
    /// user-driven profiles (nobody gets local administrator rights unless
    /// the configuration says so) and null for self-deploying ones (which
    /// have no user); unknown while the mode is.
    fn planned_user_type(&self, configured: &Attr<UserType>) -> Attr<UserType> {
        match (configured, &self.deployment_mode) {
            (Attr::Known(_) | Attr::Unknown, _) => configured.clone(),
            (Attr::Null, Attr::Known(DeploymentMode::SelfDeploying)) => Attr::Null,
            (Attr::Null, Attr::Known(DeploymentMode::UserDriven) | Attr::Null) => {
                Attr::Known(UserType::Standard)
            }
            (Attr::Null, Attr::Unknown) => Attr::Unknown,
        }
    }

    fn to_graph(&self) -> ProfilePayload {
        let join = self.join();
        let flag = |a: &Attr<bool>| Some(a.known().copied().unwrap_or(false));
        ProfilePayload {
            odata_type: Join::from(join).odata_type().to_string(),
            id: None,
            display_name: self.display_name.known().cloned(),
            description: self.description.known().cloned(),
            device_name_template: self.device_name_template.known().cloned(),
            device_type: Some(
                self.device_type
                    .known()
                    .copied()
                    .unwrap_or(DeviceType::WindowsPc)
                    .graph()
                    .to_string(),
            ),
            locale: Some(
                self.locale
                    .known()
                    .cloned()
                    .unwrap_or_else(|| "os-default".into()),
            ),
            preprovisioning_allowed: flag(&self.preprovisioning_allowed),
            hardware_hash_extraction_enabled: flag(&self.hardware_hash_extraction_enabled),
            hybrid_azure_ad_join_skip_connectivity_check: match join {
                JoinType::Hybrid => flag(&self.hybrid_azure_ad_join_skip_connectivity_check),
                JoinType::Entra => None,
            },
            out_of_box_experience_setting: Some(OobeSetting {
                device_usage_type: Some(self.mode().graph().to_string()),
                escape_link_hidden: flag(&self.escape_link_hidden),
                eula_hidden: flag(&self.eula_hidden),
                keyboard_selection_page_skipped: flag(&self.keyboard_selection_page_skipped),
                privacy_settings_hidden: flag(&self.privacy_settings_hidden),
                // Intune refuses a user type on self-deploying profiles.
                user_type: match self.mode() {
                    DeploymentMode::SelfDeploying => None,
                    DeploymentMode::UserDriven => Some(
                        self.user_type
                            .known()
                            .copied()
                            .unwrap_or(UserType::Standard)
                            .graph()
                            .to_string(),
                    ),
                },
            }),
            out_of_box_experience_settings: None,
            role_scope_tag_ids: self
                .role_scope_tag_ids
                .known()
                .map(|ids| ids.iter().cloned().collect()),
            created_date_time: None,
            last_modified_date_time: None,
        }
    }

    /// The state for what Graph holds, shaped like `prior` where Graph cannot
    /// tell "unset" from "empty". Fails on values this provider cannot
    /// represent (a device type from a newer Graph, say).
    pub(crate) fn from_graph(
        profile: ProfilePayload,
        targets: Targets,
        prior: &DeploymentProfileModel,
    ) -> Result<Self, String> {
        let join = Join::from_odata_type(&profile.odata_type).ok_or_else(|| {
            format!(
                "{} is not a Windows Autopilot deployment profile type.",
                profile.odata_type
            )
        })?;
        let oobe = profile.oobe();
        let device_type = match profile.device_type.as_deref() {
            None => DeviceType::WindowsPc,
            Some(v) => DeviceType::from_graph(v)
                .ok_or_else(|| format!("the profile has the unsupported device type {v:?}."))?,
        };
        let deployment_mode = match oobe.device_usage_type.as_deref() {
            None => DeploymentMode::UserDriven,
            Some(v) => DeploymentMode::from_graph(v).ok_or_else(|| {
                format!("the profile has the unsupported device usage type {v:?}.")
            })?,
        };
        // Self-deploying profiles have no user: Intune never returns a user
        // type on them.
        let user_type = match (deployment_mode, oobe.user_type.as_deref()) {
            (DeploymentMode::SelfDeploying, _) => Attr::Null,
            (DeploymentMode::UserDriven, None) => Attr::Known(UserType::Administrator),
            (DeploymentMode::UserDriven, Some(v)) => Attr::Known(
                UserType::from_graph(v)
                    .ok_or_else(|| format!("the profile has the unsupported user type {v:?}."))?,
            ),
        };
        let yes = |v: Option<bool>| Attr::Known(v.unwrap_or(false));
        Ok(DeploymentProfileModel {
            id: profile.id.into(),
            display_name: Attr::Known(profile.display_name.unwrap_or_default()),
            description: string_like_prior(&prior.description, profile.description),
            join_type: Attr::Known(join.into()),
            device_type: Attr::Known(device_type),
            deployment_mode: Attr::Known(deployment_mode),
            device_name_template: string_like_prior(
                &prior.device_name_template,
                profile.device_name_template,
            ),
            // Intune stores an empty locale as `os-default`.
            locale: Attr::Known(
                profile
                    .locale
                    .filter(|l| !l.is_empty())
                    .unwrap_or_else(|| "os-default".into()),
            ),
            preprovisioning_allowed: yes(profile.preprovisioning_allowed),
            hardware_hash_extraction_enabled: yes(profile.hardware_hash_extraction_enabled),
            hybrid_azure_ad_join_skip_connectivity_check: yes(
                profile.hybrid_azure_ad_join_skip_connectivity_check
            ),
            privacy_settings_hidden: yes(oobe.privacy_settings_hidden),
            eula_hidden: yes(oobe.eula_hidden),
            escape_link_hidden: yes(oobe.escape_link_hidden),
            keyboard_selection_page_skipped: yes(oobe.keyboard_selection_page_skipped),
            user_type,
            role_scope_tag_ids: Attr::Known(
                profile
                    .role_scope_tag_ids
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
            ),
            include_group_ids: set_like_prior(&prior.include_group_ids, targets.include),
            exclude_group_ids: set_like_prior(&prior.exclude_group_ids, targets.exclude),
            all_devices: Attr::Known(targets.all_devices),
            created_date_time: profile.created_date_time.into(),
            last_modified_date_time: profile.last_modified_date_time.into(),
        })
    }
}

/// The identity of an assignment target, for comparing sets.
fn target_key(t: &Target) -> (String, Option<String>) {
    (
        t.odata_type.clone(),
        t.group_id.as_ref().map(|g| g.to_ascii_lowercase()),
    )
}

/// The Graph id of a profile's assignment, or an error naming it.
fn assignment_id(a: &Assignment) -> Result<&str, GraphError> {
    a.id.as_deref().ok_or_else(|| GraphError::Decode {
        path: "assignments".into(),
        reason: "an assignment without an id".into(),
    })
}

/// Reads a profile and its assignments; `Ok(None)` when it does not exist.
pub(crate) async fn fetch_profile(
    client: &GraphClient,
    id: &str,
) -> Result<Option<(ProfilePayload, Vec<Assignment>)>, GraphError> {
    let path = format!("{PROFILE_COLLECTION}/{id}");
    let Some(profile) = client
        .get_optional::<ProfilePayload>(ApiVersion::Beta, &path)
        .await?
    else {
        return Ok(None);
    };
    let assignments = match client
        .list::<Assignment>(ApiVersion::Beta, &format!("{path}/assignments"))
        .await
    {
        Ok(list) => list,
        // Deleted between the two requests.
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some((profile, assignments)))
}

/// Every profile in the tenant (without assignments).
pub(crate) async fn list_profiles(client: &GraphClient) -> Result<Vec<ProfilePayload>, GraphError> {
    client.list(ApiVersion::Beta, PROFILE_COLLECTION).await
}

impl DeploymentProfile {
    async fn fetch(
        &self,
        client: &GraphClient,
        id: &str,
        prior: &DeploymentProfileModel,
        diags: &mut Diagnostics,
    ) -> Option<DeploymentProfileModel> {
        let (profile, assignments) = match fetch_profile(client, id).await {
            Ok(Some(found)) => found,
            Ok(None) => return None,
            Err(e) => {
                report(diags, "read the deployment profile", &e);
                return None;
            }
        };
        match DeploymentProfileModel::from_graph(
            profile,
            Targets::from_assignments(&assignments),
            prior,
        ) {
            Ok(model) => Some(model),
            Err(reason) => {
                diags.error(
                    "Cannot read the deployment profile",
                    format!("Profile {id}: {reason}"),
                );
                None
            }
        }
    }

    /// Makes the profile's assignments equal `wanted`, by difference: adds
    /// what is missing before removing what is extra, so devices are never
    /// left without a profile. An extra that conflicts with a missing one
    /// (the same group, excluded instead of included) goes first.
    async fn reconcile(
        &self,
        client: &GraphClient,
        id: &str,
        wanted: &Targets,
    ) -> Result<(), GraphError> {
        let path = format!("{PROFILE_COLLECTION}/{id}/assignments");
        let current: Vec<Assignment> = client.list(ApiVersion::Beta, &path).await?;
        let wanted: Vec<Assignment> = wanted.to_assignments();
        let wanted_keys: BTreeSet<_> = wanted.iter().map(|a| target_key(&a.target)).collect();
        let current_keys: BTreeSet<_> = current.iter().map(|a| target_key(&a.target)).collect();
        let missing: Vec<&Assignment> = wanted
            .iter()
            .filter(|a| !current_keys.contains(&target_key(&a.target)))
            .collect();
        let missing_groups: BTreeSet<Option<String>> = missing
            .iter()
            .map(|a| target_key(&a.target).1)
            .filter(Option::is_some)
            .collect();
        let (conflicting, extra): (Vec<&Assignment>, Vec<&Assignment>) = current
            .iter()
            .filter(|a| !wanted_keys.contains(&target_key(&a.target)))
            .partition(|a| missing_groups.contains(&target_key(&a.target).1));
        for a in conflicting {
            client
                .delete(ApiVersion::Beta, &format!("{path}/{}", assignment_id(a)?))
                .await?;
        }
        for a in missing {
            let body = AssignmentBody {
                odata_type: ASSIGNMENT_TYPE,
                target: &a.target,
            };
            // Posting an assignment twice is refused, so one whose answer
            // was lost is looked for before it is posted again.
            let mut posts = 0;
            loop {
                posts += 1;
                match client
                    .post::<_, serde_json::Value>(ApiVersion::Beta, &path, &body)
                    .await
                {
                    Ok(_) => break,
                    Err(e) if e.is_outcome_unknown() && posts < 4 => {
                        let now: Vec<Assignment> = client.list(ApiVersion::Beta, &path).await?;
                        let key = target_key(&a.target);
                        if now.iter().any(|b| target_key(&b.target) == key) {
                            break;
                        }
                        tracing::info!(
                            profile = id,
                            "the lost assignment was not made; posting it again"
                        );
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        for a in extra {
            client
                .delete(ApiVersion::Beta, &format!("{path}/{}", assignment_id(a)?))
                .await?;
        }
        Ok(())
    }

    /// Plan-time warnings from the live tenant (read once per process).
    async fn lint(
        &self,
        client: &GraphClient,
        prior: Option<&DeploymentProfileModel>,
        planned: &DeploymentProfileModel,
        diags: &mut Diagnostics,
    ) {
        let Attr::Known(join) = &planned.join_type else {
            return;
        };
        if planned.all_devices.is_unknown()
            || planned.include_group_ids.is_unknown()
            || planned.exclude_group_ids.is_unknown()
        {
            return;
        }
        let targets = planned.targets();
        if targets.include.is_empty() && !targets.all_devices {
            return;
        }
        let profiles = match self.tenant.profiles(client).await {
            Ok(p) => p,
            Err(e) => {
                diags.warning(
                    "Cannot check the tenant's other deployment profiles",
                    format!("Listing the deployment profiles failed, so overlapping assignments were not checked: {e}"),
                );
                return;
            }
        };
        // A replacement creates a new (newest) profile.
        let replacing = prior.is_some_and(|p| p.join_type.known() != Some(join));
        let existing = prior.filter(|_| !replacing);
        let id = prior.and_then(|p| p.id.known()).map(String::as_str);
        let planned_profile = PlannedProfile {
            id,
            join: (*join).into(),
            created: existing
                .and_then(|p| p.created_date_time.known())
                .map(String::as_str),
            targets: &targets,
        };
        for finding in lints::profile_overlaps(&planned_profile, &profiles) {
            if finding.blocking {
                diags.error_at(
                    AttrPath::root(finding.attribute),
                    finding.summary,
                    finding.detail,
                );
            } else {
                diags.warning_at(
                    AttrPath::root(finding.attribute),
                    finding.summary,
                    finding.detail,
                );
            }
        }
    }
}

/// The plan-time rules of a deployment profile; every diagnostic names its
/// attribute.
pub(crate) fn validate_profile(config: &DeploymentProfileModel, diags: &mut Diagnostics) {
    let join = config.join_type.known().copied();
    if let Attr::Known(name) = &config.display_name
        && let Err(reason) = profile_text::profile_name(name)
    {
        diags.error_at(
            AttrPath::root("display_name"),
            "Intune refuses this deployment profile name",
            reason,
        );
    }
    if let Attr::Known(description) = &config.description
        && let Err(reason) = profile_text::profile_description(description)
    {
        diags.error_at(
            AttrPath::root("description"),
            "Intune refuses this deployment profile description",
            reason,
        );
    }
    if config.deployment_mode.known() == Some(&DeploymentMode::SelfDeploying)
        && let Attr::Known(user_type) = &config.user_type
    {
        diags.error_at(
            AttrPath::root("user_type"),
            "Self-deploying profiles have no user type",
            format!(
                "user_type = \"{}\" is set on a self-deploying profile. A self-deploying device is set up \
                 without a user, and Intune refuses a user type on such profiles (and never returns one). \
                 Remove user_type, or use deployment_mode = \"user_driven\".",
                user_type.graph()
            ),
        );
    }
    if let Attr::Known(template) = &config.device_name_template {
        let path = || AttrPath::root("device_name_template");
        if join == Some(JoinType::Hybrid) {
            diags.error_at(
                path(),
                "`device_name_template` is for Microsoft Entra join only",
                "Hybrid joined devices take their names from the domain join profile \
                 (autopilot_domain_join_profile.computer_name_static_prefix). Remove \
                 device_name_template or use join_type = \"entra\".",
            );
        }
        match validate::device_name_template(template) {
            Err(reason) => diags.error_at(path(), "Invalid device name template", reason),
            Ok(t) => {
                if t.fixed_len() > MAX_NAME {
                    diags.error_at(
                        path(),
                        "Device names would be longer than 15 characters",
                        format!(
                            "{template:?} makes names of {} characters ({} literal plus {} random digits); \
                             Windows device names have at most 15.",
                            t.fixed_len(),
                            t.literal,
                            t.random
                        ),
                    );
                } else if t.serial && MAX_NAME - t.fixed_len() < MIN_SERIAL {
                    diags.warning_at(
                        path(),
                        "The serial number will be cut short",
                        format!(
                            "{template:?} leaves {} of the 15 characters for %SERIAL%; Windows cuts names at \
                             15, so devices whose serials share their first characters get the same name. \
                             Leave at least {MIN_SERIAL} characters for the serial.",
                            MAX_NAME - t.fixed_len()
                        ),
                    );
                }
                if !t.serial && !t.literal_non_digit {
                    diags.error_at(
                        path(),
                        "Device names would be all digits",
                        format!(
                            "{template:?} only produces digits; Windows device names must contain a letter \
                             or a hyphen."
                        ),
                    );
                }
            }
        }
    }
    if join == Some(JoinType::Hybrid)
        && config.deployment_mode.known() == Some(&DeploymentMode::SelfDeploying)
    {
        diags.error_at(
            AttrPath::root("deployment_mode"),
            "Self-deploying mode needs Microsoft Entra join",
            "Hybrid join supports user-driven deployments (and pre-provisioning) only. Use \
             deployment_mode = \"user_driven\", or join_type = \"entra\".",
        );
    }
    if join == Some(JoinType::Entra)
        && config.hybrid_azure_ad_join_skip_connectivity_check.known() == Some(&true)
    {
        diags.error_at(
            AttrPath::root("hybrid_azure_ad_join_skip_connectivity_check"),
            "The connectivity check setting is for hybrid join only",
            "hybrid_azure_ad_join_skip_connectivity_check applies to join_type = \"hybrid\"; \
             Microsoft Entra joined devices do not contact a domain controller. Remove it.",
        );
    }
    if let Attr::Known(locale) = &config.locale
        && let Err(reason) = validate::locale(locale)
    {
        diags.error_at(AttrPath::root("locale"), "Invalid `locale`", reason);
    }
    assignments::validate(
        &config.include_group_ids,
        &config.exclude_group_ids,
        &config.all_devices,
        diags,
    );
}

#[async_trait]
impl Resource<GraphClient> for DeploymentProfile {
    type Model = DeploymentProfileModel;

    fn type_name(&self) -> &'static str {
        "autopilot_deployment_profile"
    }

    fn validate(&self, config: &DeploymentProfileModel, diags: &mut Diagnostics) {
        validate_profile(config, diags);
    }

    async fn modify_plan(
        &self,
        client: Option<&GraphClient>,
        request: PlanRequest<'_, DeploymentProfileModel>,
        diags: &mut Diagnostics,
    ) -> DeploymentProfileModel {
        super::refuse_in_government_cloud(client, "autopilot_deployment_profile", diags);
        let mut planned = request.planned;
        planned.user_type = planned.planned_user_type(&request.config.user_type);
        let request = PlanRequest { planned, ..request };
        if diags.has_errors() {
            return request.planned;
        }
        if let Some(client) = client {
            self.lint(client, request.prior, &request.planned, diags)
                .await;
        }
        request.planned
    }

    async fn create(
        &self,
        client: &GraphClient,
        planned: DeploymentProfileModel,
        diags: &mut Diagnostics,
    ) -> Option<DeploymentProfileModel> {
        let (created, id) = super::create_named(
            client,
            &NameLookup {
                version: ApiVersion::Beta,
                collection: PROFILE_COLLECTION,
                property: "displayName",
                name: planned.display_name.known().map_or("", String::as_str),
            },
            &planned.to_graph(),
            "the deployment profile",
            |created: &ProfilePayload| created.id.clone(),
            diags,
        )
        .await?;
        // Some clients saw `locale` ignored on POST: set it again if so.
        let planned_graph = planned.to_graph();
        if created.locale.is_some() && created.locale != planned_graph.locale {
            let body = LocaleBody {
                odata_type: &planned_graph.odata_type,
                locale: planned_graph.locale.as_deref(),
            };
            if let Err(e) = client
                .patch(
                    ApiVersion::Beta,
                    &format!("{PROFILE_COLLECTION}/{id}"),
                    &body,
                )
                .await
            {
                report(diags, "set the deployment profile's locale", &e);
            }
        }
        let targets = planned.targets();
        // The new profile may not be visible to the assignments service yet.
        let assigned = client
            .until_replicated("deployment profile assignments", || async {
                match self.reconcile(client, &id, &targets).await {
                    Err(e) if e.is_not_found() => Seen::NotYet(Err(e)),
                    other => Seen::Done(other),
                }
            })
            .await;
        if let Err(e) = &assigned {
            report(diags, "assign the deployment profile", e);
        }
        match self.fetch(client, &id, &planned, diags).await {
            Some(state) => Some(state),
            // The profile exists: keep it in state whatever failed after the
            // POST (Terraform taints it).
            None => DeploymentProfileModel::from_graph(
                created,
                if assigned.is_ok() {
                    targets
                } else {
                    Targets::default()
                },
                &planned,
            )
            .ok()
            .or_else(|| {
                Some(DeploymentProfileModel {
                    id: Attr::Known(id),
                    last_modified_date_time: Attr::Known(String::new()),
                    created_date_time: Attr::Known(String::new()),
                    role_scope_tag_ids: Attr::Known(BTreeSet::new()),
                    ..planned
                })
            }),
        }
    }

    async fn read(
        &self,
        client: &GraphClient,
        current: DeploymentProfileModel,
        diags: &mut Diagnostics,
    ) -> Option<DeploymentProfileModel> {
        let id = current.id.known().cloned()?;
        self.fetch(client, &id, &current, diags).await
    }

    async fn update(
        &self,
        client: &GraphClient,
        prior: DeploymentProfileModel,
        planned: DeploymentProfileModel,
        diags: &mut Diagnostics,
    ) -> Option<DeploymentProfileModel> {
        let Some(id) = prior.id.known().cloned() else {
            diags.error(
                "Cannot update the deployment profile",
                "The state has no id.",
            );
            return Some(prior);
        };
        let path = format!("{PROFILE_COLLECTION}/{id}");
        if let Err(e) = client
            .patch(ApiVersion::Beta, &path, &planned.to_graph())
            .await
        {
            report(diags, "update the deployment profile", &e);
            return Some(prior);
        }
        let targets = planned.targets();
        if targets != prior.targets()
            && let Err(e) = self.reconcile(client, &id, &targets).await
        {
            report(diags, "update the deployment profile's assignments", &e);
        }
        self.fetch(client, &id, &planned, diags)
            .await
            .or(Some(prior))
    }

    async fn delete(
        &self,
        client: &GraphClient,
        prior: DeploymentProfileModel,
        diags: &mut Diagnostics,
    ) {
        let Some(id) = prior.id.known() else { return };
        // Assignments first: Intune refuses to delete an assigned profile.
        match self.reconcile(client, id, &Targets::default()).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() => return,
            Err(e) => {
                report(diags, "remove the deployment profile's assignments", &e);
                return;
            }
        }
        if let Err(e) = client
            .delete(ApiVersion::Beta, &format!("{PROFILE_COLLECTION}/{id}"))
            .await
        {
            report(diags, "delete the deployment profile", &e);
        }
    }

    async fn import(
        &self,
        client: &GraphClient,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<DeploymentProfileModel> {
        let found = self
            .fetch(client, id, &DeploymentProfileModel::default(), diags)
            .await;
        if found.is_none() && !diags.has_errors() {
            diags.error(
                "Cannot import a deployment profile that does not exist",
                format!(
                    "No Windows Autopilot deployment profile with id {id:?} exists in the tenant."
                ),
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
        let schema = tfplugin::Schema::of::<DeploymentProfileModel>(0).expect("schema");
        let join = schema.block.attribute("join_type").expect("join_type");
        assert!(join.required && join.force_new);
        assert_eq!(
            join.constraints.one_of,
            Some(vec!["entra".to_string(), "hybrid".to_string()])
        );
        let device = schema.block.attribute("device_type").expect("device_type");
        assert_eq!(
            device.default,
            Some(tfplugin::Value::String("windows_pc".into()))
        );
        assert_eq!(
            device.constraints.one_of.as_deref().map(<[String]>::len),
            Some(5)
        );
        let user = schema.block.attribute("user_type").expect("user_type");
        assert!(user.optional && user.computed && user.default.is_none());
    }

    fn config(join: JoinType) -> DeploymentProfileModel {
        DeploymentProfileModel {
            display_name: Attr::Known("AP".into()),
            join_type: Attr::Known(join),
            ..Default::default()
        }
    }

    fn paths(model: &DeploymentProfileModel, severity: Severity) -> Vec<String> {
        let mut diags = Diagnostics::new();
        validate_profile(model, &mut diags);
        diags
            .iter()
            .filter(|d| d.severity == severity)
            .filter_map(|d| d.path.as_ref().map(ToString::to_string))
            .collect()
    }

    fn with_template(join: JoinType, template: &str) -> DeploymentProfileModel {
        DeploymentProfileModel {
            device_name_template: Attr::Known(template.into()),
            ..config(join)
        }
    }

    #[test]
    fn name_template_rules() {
        let ok = |t: &str| paths(&with_template(JoinType::Entra, t), Severity::Error).is_empty();
        assert!(ok("CORP-%SERIAL%"));
        assert!(ok("AP-%RAND:5%"));
        assert!(ok("ABCDEFGHIJKLMNO"));
        assert!(!ok("ABCDEFGHIJKLMNOP"));
        assert!(!ok("CORP-%RAND:11%"));
        assert!(!ok("123456"));
        assert!(!ok("%RAND:6%"));
        assert!(ok("12-%RAND:3%"));
        assert!(ok("1234%SERIAL%"));
        assert!(!ok("CORP_%SERIAL%"));
        assert!(!ok("CORP-%SERIAL"));
        assert_eq!(
            paths(
                &with_template(JoinType::Entra, "CONTOSO-%SERIAL%"),
                Severity::Warning
            ),
            ["device_name_template"]
        );
        assert!(
            paths(
                &with_template(JoinType::Entra, "CTS-%SERIAL%"),
                Severity::Warning
            )
            .is_empty()
        );
        assert_eq!(
            paths(
                &with_template(JoinType::Hybrid, "CTS-%SERIAL%"),
                Severity::Error
            ),
            ["device_name_template"]
        );
    }

    #[test]
    fn join_type_rules() {
        let mut m = config(JoinType::Hybrid);
        m.deployment_mode = Attr::Known(DeploymentMode::SelfDeploying);
        assert_eq!(paths(&m, Severity::Error), ["deployment_mode"]);
        m.join_type = Attr::Known(JoinType::Entra);
        assert!(paths(&m, Severity::Error).is_empty());
        m.hybrid_azure_ad_join_skip_connectivity_check = Attr::Known(true);
        assert_eq!(
            paths(&m, Severity::Error),
            ["hybrid_azure_ad_join_skip_connectivity_check"]
        );
        m.join_type = Attr::Known(JoinType::Hybrid);
        m.deployment_mode = Attr::Known(DeploymentMode::UserDriven);
        assert!(paths(&m, Severity::Error).is_empty());
    }

    #[test]
    fn exclusions_with_all_devices_and_locale() {
        let mut m = config(JoinType::Entra);
        m.all_devices = Attr::Known(true);
        m.exclude_group_ids = Attr::Known(BTreeSet::from([
            "22222222-2222-4222-8222-222222222222".to_string()
        ]));
        assert_eq!(paths(&m, Severity::Error), ["exclude_group_ids"]);
        let mut m = config(JoinType::Entra);
        m.locale = Attr::Known("english".into());
        assert_eq!(paths(&m, Severity::Error), ["locale"]);
    }

    #[test]
    fn unknown_values_are_not_validated() {
        let mut m = with_template(JoinType::Hybrid, "CTS-%SERIAL%");
        m.join_type = Attr::Unknown;
        m.device_name_template = Attr::Unknown;
        assert!(paths(&m, Severity::Error).is_empty());
    }

    #[test]
    fn graph_round_trip() {
        let mut m = with_template(JoinType::Entra, "CORP-%SERIAL%");
        m.deployment_mode = Attr::Known(DeploymentMode::SelfDeploying);
        m.user_type = Attr::Known(UserType::Standard);
        m.eula_hidden = Attr::Known(true);
        m.locale = Attr::Known("en-US".into());
        let payload = m.to_graph();
        let json = serde_json::to_value(&payload).expect("json");
        assert_eq!(
            json["@odata.type"],
            "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"
        );
        assert!(json.get("hybridAzureADJoinSkipConnectivityCheck").is_none());
        assert_eq!(
            json["outOfBoxExperienceSetting"]["deviceUsageType"],
            "shared"
        );
        assert!(
            json["outOfBoxExperienceSetting"].get("userType").is_none(),
            "no user type on a self-deploying profile: {json}"
        );
        assert_eq!(json["deviceType"], "windowsPc");
        assert!(json.get("id").is_none() && json.get("createdDateTime").is_none());

        let mut back: ProfilePayload = serde_json::from_value(json).expect("back");
        back.id = Some("p1".into());
        let state =
            DeploymentProfileModel::from_graph(back, Targets::default(), &m).expect("state");
        assert_eq!(
            state.deployment_mode,
            Attr::Known(DeploymentMode::SelfDeploying)
        );
        assert_eq!(state.eula_hidden, Attr::Known(true));
        assert_eq!(state.user_type, Attr::Null);
        assert_eq!(state.locale, Attr::Known("en-US".into()));
        assert_eq!(state.include_group_ids, Attr::Null);
        assert_eq!(
            state.device_name_template,
            Attr::Known("CORP-%SERIAL%".into())
        );
    }

    #[test]
    fn names_descriptions_and_user_types_intune_refuses() {
        let mut m = config(JoinType::Entra);
        m.display_name = Attr::Known("Entra join - Sales".into());
        m.description = Attr::Known("Sales (pilot)".into());
        assert_eq!(paths(&m, Severity::Error), ["display_name", "description"]);
        let mut m = config(JoinType::Entra);
        m.deployment_mode = Attr::Known(DeploymentMode::SelfDeploying);
        m.user_type = Attr::Known(UserType::Administrator);
        assert_eq!(paths(&m, Severity::Error), ["user_type"]);
        m.deployment_mode = Attr::Known(DeploymentMode::UserDriven);
        assert!(paths(&m, Severity::Error).is_empty());
        let mut m = config(JoinType::Entra);
        m.locale = Attr::Known(String::new());
        assert_eq!(paths(&m, Severity::Error), ["locale"]);
    }

    #[test]
    fn user_type_is_planned_from_the_mode() {
        let mut m = config(JoinType::Entra);
        m.deployment_mode = Attr::Known(DeploymentMode::SelfDeploying);
        assert_eq!(m.planned_user_type(&Attr::Null), Attr::Null);
        m.deployment_mode = Attr::Known(DeploymentMode::UserDriven);
        assert_eq!(
            m.planned_user_type(&Attr::Null),
            Attr::Known(UserType::Standard)
        );
        assert_eq!(
            m.planned_user_type(&Attr::Known(UserType::Standard)),
            Attr::Known(UserType::Standard)
        );
        m.deployment_mode = Attr::Unknown;
        assert_eq!(m.planned_user_type(&Attr::Null), Attr::Unknown);
        let json = serde_json::to_value(m.to_graph()).expect("json");
        assert_eq!(json["outOfBoxExperienceSetting"]["userType"], "standard");
    }

    #[test]
    fn legacy_oobe_block_is_read() {
        let payload: ProfilePayload = serde_json::from_value(serde_json::json!({
            "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
            "id": "p", "displayName": "x", "deviceNameTemplate": "",
            "hybridAzureADJoinSkipConnectivityCheck": true,
            "outOfBoxExperienceSettings": {"hideEULA": true, "userType": "standard", "deviceUsageType": "singleUser"}
        }))
        .expect("payload");
        let state = DeploymentProfileModel::from_graph(
            payload,
            Targets::default(),
            &DeploymentProfileModel::default(),
        )
        .expect("state");
        assert_eq!(state.join_type, Attr::Known(JoinType::Hybrid));
        assert_eq!(state.eula_hidden, Attr::Known(true));
        assert_eq!(state.user_type, Attr::Known(UserType::Standard));
        assert_eq!(state.device_name_template, Attr::Null);
        assert_eq!(
            state.hybrid_azure_ad_join_skip_connectivity_check,
            Attr::Known(true)
        );
    }

    #[test]
    fn unsupported_graph_values_fail_clearly() {
        let payload: ProfilePayload = serde_json::from_value(serde_json::json!({
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "id": "p", "deviceType": "unknownFutureValue"
        }))
        .expect("payload");
        let err = DeploymentProfileModel::from_graph(
            payload,
            Targets::default(),
            &DeploymentProfileModel::default(),
        )
        .expect_err("unsupported");
        assert!(err.contains("unknownFutureValue"));
    }
}
