//! The Graph side of `autopilot_deployment_profile`: the profile payload
//! (current and deprecated OOBE blocks), the mapping to and from the model,
//! and the per-assignment reconcile of the profile's `assignments`.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::Attr;

use super::model::{DeploymentMode, DeploymentProfileModel, DeviceType, JoinType, UserType};
use crate::graph::{ApiVersion, GraphClient, GraphError};
use crate::resources::assignments::{Assignment, Target, Targets};
use crate::resources::intune::{
    IntunePayload, ReadError, scope_tags_like_prior, scope_tags_to_graph,
};
use crate::resources::lints::{self, Join, PROFILE_COLLECTION};
use crate::resources::{set_like_prior, string_like_prior};
use crate::validate::profile_text;

const ASSIGNMENT_TYPE: &str = "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment";

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

impl IntunePayload for ProfilePayload {
    fn id(&self) -> Option<String> {
        self.id.clone()
    }
}

/// A PATCH body that sets only the locale.
pub(super) fn locale_body(payload: &ProfilePayload) -> LocaleBody<'_> {
    LocaleBody {
        odata_type: &payload.odata_type,
        locale: payload.locale.as_deref(),
    }
}

/// The model for a profile and its assignments; a profile holding values
/// this provider cannot represent is reported as unreadable.
pub(crate) fn model_from(
    id: &str,
    profile: ProfilePayload,
    assignments: &[Assignment],
    prior: &DeploymentProfileModel,
) -> Result<DeploymentProfileModel, ReadError> {
    DeploymentProfileModel::from_graph(profile, Targets::from_assignments(assignments), prior)
        .map_err(|reason| ReadError::Unreadable {
            summary: "Cannot read the deployment profile".into(),
            detail: format!("Profile {id}: {reason}"),
        })
}

impl DeploymentProfileModel {
    pub(super) fn to_graph(&self) -> ProfilePayload {
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
            role_scope_tag_ids: scope_tags_to_graph(&self.role_scope_tag_ids),
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
            role_scope_tag_ids: scope_tags_like_prior(
                profile.role_scope_tag_ids,
                &prior.role_scope_tag_ids,
            ),
            include_group_ids: set_like_prior(&prior.include_group_ids, targets.include),
            exclude_group_ids: set_like_prior(&prior.exclude_group_ids, targets.exclude),
            all_devices: Attr::Known(targets.all_devices),
            created_date_time: profile.created_date_time.into(),
            last_modified_date_time: profile.last_modified_date_time.into(),
            timeouts: prior.timeouts.clone(),
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

/// Every profile in the tenant (without assignments).
pub(crate) async fn list_profiles(client: &GraphClient) -> Result<Vec<ProfilePayload>, GraphError> {
    client.list(ApiVersion::Beta, PROFILE_COLLECTION).await
}

/// Makes the profile's assignments equal `wanted`, by difference: adds
/// what is missing before removing what is extra, so devices are never
/// left without a profile. An extra that conflicts with a missing one
/// (the same group, excluded instead of included) goes first.
pub(super) async fn reconcile(
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
