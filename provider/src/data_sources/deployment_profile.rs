//! Data source `autopilot_deployment_profile`: one Windows Autopilot
//! deployment profile, found by id or by display name.

use std::collections::BTreeSet;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, DataSource, Diagnostics};

use super::{NotOne, exactly_one, given, read_intune_object, the_one_id};
use crate::graph::GraphClient;
use crate::resources::deployment_profile::{
    DeploymentMode, DeploymentProfile, DeploymentProfileModel, DeviceType, JoinType,
    ProfilePayload, UserType, list_profiles, model_from,
};
use crate::resources::intune::IntuneResource;
use crate::resources::report;

/// A Windows Autopilot deployment profile, found by `id` or by
/// `display_name` (which must then be unique in the tenant).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("x-tf-fields" = "computed"))]
pub struct DeploymentProfileDataModel {
    /// The profile's Graph object id. Set this or `display_name`.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub id: Attr<String>,
    /// The profile's name in Intune. Set this or `id`; it must match exactly one profile.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub display_name: Attr<String>,
    /// The description.
    pub description: Attr<String>,
    /// `entra` or `hybrid`.
    pub join_type: Attr<JoinType>,
    /// The kind of device the profile is for.
    pub device_type: Attr<DeviceType>,
    /// `user_driven` or `self_deploying`.
    pub deployment_mode: Attr<DeploymentMode>,
    /// The device name template (Entra join), null when there is none.
    pub device_name_template: Attr<String>,
    /// The language and region (`os-default`, `""` for user select, or a tag such as `en-US`).
    pub locale: Attr<String>,
    /// Whether pre-provisioned deployment is allowed.
    pub preprovisioning_allowed: Attr<bool>,
    /// Whether targeted devices are converted to Autopilot.
    pub hardware_hash_extraction_enabled: Attr<bool>,
    /// Hybrid join: whether the domain controller connectivity check is skipped.
    pub hybrid_azure_ad_join_skip_connectivity_check: Attr<bool>,
    /// Whether the privacy settings page is hidden.
    pub privacy_settings_hidden: Attr<bool>,
    /// Whether the license terms page is hidden.
    pub eula_hidden: Attr<bool>,
    /// Whether the change-account options are hidden.
    pub escape_link_hidden: Attr<bool>,
    /// Whether the keyboard selection page is skipped.
    pub keyboard_selection_page_skipped: Attr<bool>,
    /// `standard` or `administrator`; null for self-deploying profiles, which have no user.
    pub user_type: Attr<UserType>,
    /// Ids of the scope tags.
    pub role_scope_tag_ids: Attr<BTreeSet<String>>,
    /// Object ids of the groups the profile is assigned to.
    pub include_group_ids: Attr<BTreeSet<String>>,
    /// Object ids of the excluded groups.
    pub exclude_group_ids: Attr<BTreeSet<String>>,
    /// Whether the profile is assigned to all devices.
    pub all_devices: Attr<bool>,
    /// When the profile was created (ISO 8601).
    pub created_date_time: Attr<String>,
    /// When the profile was last changed (ISO 8601).
    pub last_modified_date_time: Attr<String>,
}

impl From<DeploymentProfileModel> for DeploymentProfileDataModel {
    fn from(m: DeploymentProfileModel) -> Self {
        DeploymentProfileDataModel {
            id: m.id,
            display_name: m.display_name,
            description: m.description,
            join_type: m.join_type,
            device_type: m.device_type,
            deployment_mode: m.deployment_mode,
            device_name_template: m.device_name_template,
            locale: m.locale,
            preprovisioning_allowed: m.preprovisioning_allowed,
            hardware_hash_extraction_enabled: m.hardware_hash_extraction_enabled,
            hybrid_azure_ad_join_skip_connectivity_check: m
                .hybrid_azure_ad_join_skip_connectivity_check,
            privacy_settings_hidden: m.privacy_settings_hidden,
            eula_hidden: m.eula_hidden,
            escape_link_hidden: m.escape_link_hidden,
            keyboard_selection_page_skipped: m.keyboard_selection_page_skipped,
            user_type: m.user_type,
            role_scope_tag_ids: m.role_scope_tag_ids,
            include_group_ids: m.include_group_ids,
            exclude_group_ids: m.exclude_group_ids,
            all_devices: m.all_devices,
            created_date_time: m.created_date_time,
            last_modified_date_time: m.last_modified_date_time,
        }
    }
}

/// A data source's "prior": empty sets stay empty sets rather than null.
fn empty_sets() -> DeploymentProfileModel {
    DeploymentProfileModel {
        include_group_ids: Attr::Known(BTreeSet::new()),
        exclude_group_ids: Attr::Known(BTreeSet::new()),
        ..Default::default()
    }
}

/// Finds the one profile named `name`; an error names the candidates.
pub(crate) async fn profile_id_by_name(
    client: &GraphClient,
    name: &str,
    diags: &mut Diagnostics,
) -> Option<String> {
    let profiles: Vec<ProfilePayload> = match list_profiles(client).await {
        Ok(p) => p,
        Err(e) => {
            report(diags, "list the deployment profiles", &e);
            return None;
        }
    };
    let matching: Vec<&Option<String>> = profiles
        .iter()
        .filter(|p| p.display_name.as_deref() == Some(name))
        .map(|p| &p.id)
        .collect();
    let not_one = NotOne {
        by: "display_name",
        none_summary: "No deployment profile has this name".into(),
        none_detail: format!("No Windows Autopilot deployment profile is named {name:?}."),
        several_summary: "Several deployment profiles have this name".into(),
        several_are: format!("profiles are named {name:?}"),
    };
    the_one_id(&matching, not_one, diags)
}

/// Reads the profile `id` as the data source shows it.
pub(crate) async fn read_profile(
    client: &GraphClient,
    id: &str,
    diags: &mut Diagnostics,
) -> Option<(DeploymentProfileModel, ProfilePayload)> {
    let (profile, assignments) =
        read_intune_object::<ProfilePayload>(client, &DeploymentProfile::KIND, id, diags).await?;
    match model_from(id, profile.clone(), &assignments, &empty_sets()) {
        Ok(model) => Some((model, profile)),
        Err(e) => {
            e.report(diags, "read the deployment profile");
            None
        }
    }
}

pub struct DeploymentProfileData;

#[async_trait]
impl DataSource<GraphClient> for DeploymentProfileData {
    type Model = DeploymentProfileDataModel;
    const TYPE_NAME: &'static str = "autopilot_deployment_profile";

    fn validate(&self, config: &DeploymentProfileDataModel, diags: &mut Diagnostics) {
        exactly_one(
            &[
                ("id", given(&config.id)),
                ("display_name", given(&config.display_name)),
            ],
            "deployment profile",
            diags,
        );
    }

    async fn read(
        &self,
        client: &GraphClient,
        config: DeploymentProfileDataModel,
        diags: &mut Diagnostics,
    ) -> Option<DeploymentProfileDataModel> {
        let id = match (&config.id, &config.display_name) {
            (Attr::Known(id), _) => id.clone(),
            (_, Attr::Known(name)) => profile_id_by_name(client, name, diags).await?,
            _ => return None,
        };
        let (model, _) = read_profile(client, &id, diags).await?;
        Some(model.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_derives() {
        let schema = tfplugin::Schema::of::<DeploymentProfileDataModel>(0).expect("schema");
        let id = schema.block.attribute("id").expect("id");
        assert!(id.optional && id.computed);
        let join = schema.block.attribute("join_type").expect("join_type");
        assert!(join.computed && !join.optional);
    }

    #[test]
    fn exactly_one_lookup() {
        let errors = |m: &DeploymentProfileDataModel| {
            crate::test_support::error_paths(|diags| DeploymentProfileData.validate(m, diags))
        };
        assert_eq!(
            errors(&DeploymentProfileDataModel::default()),
            ["id", "display_name"]
        );
        let by_name = DeploymentProfileDataModel {
            display_name: Attr::Known("AP".into()),
            ..Default::default()
        };
        assert!(errors(&by_name).is_empty());
        let both = DeploymentProfileDataModel {
            id: Attr::Unknown,
            ..by_name
        };
        assert_eq!(errors(&both), ["id", "display_name"]);
    }
}
