//! Data source `autopilot_configuration_file`: the
//! `AutopilotConfigurationFile.json` of a deployment profile, for Windows
//! Autopilot deployment for existing devices (the file a Configuration
//! Manager task sequence puts in `%WINDIR%\Provisioning\Autopilot`).
//!
//! The rendering follows Microsoft's `ConvertTo-AutopilotConfigurationJSON`
//! (WindowsAutopilotIntune module), which the documentation's "Create JSON
//! file for Autopilot profiles" step runs.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tfplugin::{Attr, AttrPath, DataSource, Diagnostics};

use super::deployment_profile::read_profile;
use crate::graph::{ApiVersion, GraphClient};
use crate::resources::deployment_profile::{DeploymentMode, ProfilePayload};
use crate::resources::lints::HYBRID_PROFILE;
use crate::resources::report;

/// The format version Windows reads.
const FILE_VERSION: i64 = 2049;

/// The `AutopilotConfigurationFile.json` of a deployment profile, for
/// Windows Autopilot deployment for existing devices. Save `json` as
/// `AutopilotConfigurationFile.json` in ASCII (it is ASCII: other characters
/// are escaped); the file holds one profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ConfigurationFileModel {
    /// The id of the deployment profile to render.
    #[schemars(extend("x-tf" = "required"))]
    pub profile_id: Attr<String>,
    /// The Microsoft Entra tenant id written to the file. Read from the tenant (`/organization`) when unset.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub tenant_id: Attr<String>,
    /// The tenant's default domain, e.g. `contoso.onmicrosoft.com`. Read from the tenant (`/organization`) when unset.
    #[schemars(extend("x-tf" = "optional,computed"))]
    pub tenant_domain: Attr<String>,
    /// The file's content.
    #[schemars(extend("x-tf" = "computed"))]
    pub json: Attr<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Organization {
    id: String,
    #[serde(default)]
    verified_domains: Vec<VerifiedDomain>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifiedDomain {
    name: String,
    #[serde(default)]
    is_default: Option<bool>,
}

/// Escapes every non-ASCII character of a JSON text as `\uXXXX`; the file
/// must be ASCII and non-ASCII characters only occur inside strings.
fn ascii_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Renders the configuration file of `profile`.
pub(crate) fn render(profile: &ProfilePayload, tenant_id: &str, tenant_domain: &str) -> String {
    let oobe = profile.oobe();
    let yes = |v: Option<bool>| v.unwrap_or(false);
    let hybrid = profile.odata_type == HYBRID_PROFILE;
    let self_deploying =
        oobe.device_usage_type.as_deref() == Some(DeploymentMode::SelfDeploying.graph());
    let forced_enrollment = i64::from(yes(oobe.escape_link_hidden));

    // SkipOemRegistration (8) and 256 are always set.
    let mut oobe_config = 8 + 256;
    if oobe.user_type.as_deref() == Some("standard") {
        oobe_config += 2; // OobeUserNotLocalAdmin
    }
    if yes(oobe.privacy_settings_hidden) {
        oobe_config += 4; // SkipExpressSettings
    }
    if yes(oobe.eula_hidden) {
        oobe_config += 16; // SkipEula
    }
    let keyboard_skipped = yes(oobe.keyboard_selection_page_skipped);
    if keyboard_skipped {
        oobe_config += 1024;
    }
    if self_deploying {
        oobe_config += 32 + 64;
    }

    let mut file = Map::new();
    let name = profile.display_name.clone().unwrap_or_default();
    file.insert("Comment_File".into(), json!(format!("Profile {name}")));
    file.insert("Version".into(), json!(FILE_VERSION));
    file.insert(
        "ZtdCorrelationId".into(),
        json!(profile.id.clone().unwrap_or_default()),
    );
    file.insert("CloudAssignedTenantId".into(), json!(tenant_id));
    file.insert("CloudAssignedTenantDomain".into(), json!(tenant_domain));
    file.insert(
        "CloudAssignedDomainJoinMethod".into(),
        json!(i64::from(hybrid)),
    );
    if let Some(template) = profile
        .device_name_template
        .as_deref()
        .filter(|t| !t.is_empty())
    {
        file.insert("CloudAssignedDeviceName".into(), json!(template));
    }
    file.insert("CloudAssignedOobeConfig".into(), json!(oobe_config));
    file.insert(
        "CloudAssignedForcedEnrollment".into(),
        json!(forced_enrollment),
    );
    if keyboard_skipped
        && let Some(locale) = profile
            .locale
            .as_deref()
            .filter(|l| !l.is_empty() && *l != "os-default")
    {
        file.insert("CloudAssignedLanguage".into(), json!(locale));
        // The same value for the region, so that page is skipped too.
        file.insert("CloudAssignedRegion".into(), json!(locale));
    }
    let server_data = json!({"ZeroTouchConfig": {
        "CloudAssignedTenantDomain": tenant_domain,
        "CloudAssignedTenantUpn": "",
        "ForcedEnrollment": forced_enrollment,
    }});
    file.insert(
        "CloudAssignedAadServerData".into(),
        json!(server_data.to_string()),
    );
    if hybrid && yes(profile.hybrid_azure_ad_join_skip_connectivity_check) {
        file.insert("HybridJoinSkipDCConnectivityCheck".into(), json!(1));
    }
    // Not represented in Intune; the values Microsoft's script writes.
    file.insert("CloudAssignedAutopilotUpdateDisabled".into(), json!(1));
    file.insert(
        "CloudAssignedAutopilotUpdateTimeout".into(),
        json!(1_800_000),
    );
    let text = serde_json::to_string_pretty(&Value::Object(file)).unwrap_or_default();
    ascii_json(&text)
}

pub struct ConfigurationFile;

impl ConfigurationFile {
    /// The tenant id and default domain, from the configuration or else
    /// from `/organization`.
    async fn tenant(
        &self,
        client: &GraphClient,
        config: &ConfigurationFileModel,
        diags: &mut Diagnostics,
    ) -> Option<(String, String)> {
        if let (Attr::Known(id), Attr::Known(domain)) = (&config.tenant_id, &config.tenant_domain) {
            return Some((id.clone(), domain.clone()));
        }
        let orgs: Vec<Organization> = match client.list(ApiVersion::V1, "organization").await {
            Ok(o) => o,
            Err(e) => {
                report(diags, "read the tenant (organization)", &e);
                diags.error_at(
                    AttrPath::root("tenant_domain"),
                    "Set `tenant_id` and `tenant_domain`",
                    "The tenant's id and default domain could not be read (this needs \
                     Organization.Read.All); set tenant_id and tenant_domain in the configuration.",
                );
                return None;
            }
        };
        let Some(org) = orgs.into_iter().next() else {
            diags.error(
                "Cannot read the tenant",
                "/organization returned no organization.",
            );
            return None;
        };
        let id = config.tenant_id.known().cloned().unwrap_or(org.id);
        let domain = match config.tenant_domain.known() {
            Some(d) => d.clone(),
            None => org
                .verified_domains
                .iter()
                .find(|d| d.is_default == Some(true))
                .or(org.verified_domains.first())
                .map(|d| d.name.clone())
                .unwrap_or_default(),
        };
        Some((id, domain))
    }
}

#[async_trait]
impl DataSource<GraphClient> for ConfigurationFile {
    type Model = ConfigurationFileModel;
    const TYPE_NAME: &'static str = "autopilot_configuration_file";

    fn validate(&self, config: &ConfigurationFileModel, diags: &mut Diagnostics) {
        if let Attr::Known(id) = &config.tenant_id
            && uuid::Uuid::parse_str(id).is_err()
        {
            diags.error_at(
                AttrPath::root("tenant_id"),
                "Invalid `tenant_id`",
                format!("{id:?} is not a tenant id (a GUID, without braces)."),
            );
        }
    }

    async fn read(
        &self,
        client: &GraphClient,
        config: ConfigurationFileModel,
        diags: &mut Diagnostics,
    ) -> Option<ConfigurationFileModel> {
        let profile_id = config.profile_id.known()?.clone();
        let (model, payload) = read_profile(client, &profile_id, diags).await?;
        if model.deployment_mode.known() == Some(&DeploymentMode::SelfDeploying)
            || model.preprovisioning_allowed.known() == Some(&true)
        {
            diags.warning_at(
                AttrPath::root("profile_id"),
                "Autopilot for existing devices supports user-driven profiles only",
                format!(
                    "The profile {:?} is self-deploying or allows pre-provisioning; Windows Autopilot \
                     deployment for existing devices supports user-driven deployments only.",
                    payload.display_name.as_deref().unwrap_or_default()
                ),
            );
        }
        let (tenant_id, tenant_domain) = self.tenant(client, &config, diags).await?;
        let json = render(&payload, &tenant_id, &tenant_domain);
        Some(ConfigurationFileModel {
            profile_id: Attr::Known(profile_id),
            tenant_id: Attr::Known(tenant_id),
            tenant_domain: Attr::Known(tenant_domain),
            json: Attr::Known(json),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(value: Value) -> ProfilePayload {
        serde_json::from_value(value).expect("payload")
    }

    #[test]
    fn hybrid_profile_renders_like_microsofts_script() {
        let p = payload(json!({
            "@odata.type": HYBRID_PROFILE,
            "id": "8f0b4c8e-1111-4111-8111-111111111111",
            "displayName": "Hybrid Join AutoPilot",
            "locale": "en-US",
            "hybridAzureADJoinSkipConnectivityCheck": true,
            "outOfBoxExperienceSetting": {
                "deviceUsageType": "singleUser", "escapeLinkHidden": true, "eulaHidden": true,
                "keyboardSelectionPageSkipped": true, "privacySettingsHidden": true, "userType": "standard"
            }
        }));
        let text = render(
            &p,
            "7ab1ab00-0000-4000-8000-00000000a001",
            "contoso.onmicrosoft.com",
        );
        let file: Value = serde_json::from_str(&text).expect("valid JSON");
        // 8 + 256 + 2 + 4 + 16 + 1024, as in Microsoft's sample file.
        assert_eq!(file["CloudAssignedOobeConfig"], 1310);
        assert_eq!(file["CloudAssignedDomainJoinMethod"], 1);
        assert_eq!(file["CloudAssignedForcedEnrollment"], 1);
        assert_eq!(file["Version"], 2049);
        assert_eq!(file["Comment_File"], "Profile Hybrid Join AutoPilot");
        assert_eq!(
            file["ZtdCorrelationId"],
            "8f0b4c8e-1111-4111-8111-111111111111"
        );
        assert_eq!(file["CloudAssignedLanguage"], "en-US");
        assert_eq!(file["CloudAssignedTenantDomain"], "contoso.onmicrosoft.com");
        assert_eq!(file["HybridJoinSkipDCConnectivityCheck"], 1);
        assert_eq!(file["CloudAssignedAutopilotUpdateTimeout"], 1_800_000);
        let server: Value =
            serde_json::from_str(file["CloudAssignedAadServerData"].as_str().expect("string"))
                .expect("embedded JSON");
        assert_eq!(server["ZeroTouchConfig"]["ForcedEnrollment"], 1);
        assert_eq!(server["ZeroTouchConfig"]["CloudAssignedTenantUpn"], "");
        assert!(file.get("CloudAssignedDeviceName").is_none());
    }

    #[test]
    fn entra_profile_with_template_and_defaults() {
        let p = payload(json!({
            "@odata.type": crate::resources::lints::ENTRA_PROFILE,
            "id": "p1", "displayName": "Café", "deviceNameTemplate": "CORP-%SERIAL%",
            "locale": "os-default",
            "outOfBoxExperienceSetting": {"deviceUsageType": "shared", "userType": "administrator"}
        }));
        let text = render(&p, "t", "d");
        assert!(text.is_ascii(), "{text}");
        let file: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(file["Comment_File"], "Profile Café");
        assert_eq!(file["CloudAssignedOobeConfig"], 8 + 256 + 32 + 64);
        assert_eq!(file["CloudAssignedDomainJoinMethod"], 0);
        assert_eq!(file["CloudAssignedForcedEnrollment"], 0);
        assert_eq!(file["CloudAssignedDeviceName"], "CORP-%SERIAL%");
        assert!(file.get("CloudAssignedLanguage").is_none());
        assert!(file.get("HybridJoinSkipDCConnectivityCheck").is_none());
    }

    #[test]
    fn schema_derives() {
        let schema = tfplugin::Schema::of::<ConfigurationFileModel>(0).expect("schema");
        assert!(
            schema
                .block
                .attribute("profile_id")
                .expect("profile_id")
                .required
        );
        assert!(schema.block.attribute("json").expect("json").computed);
    }
}
