//! `autopilot_device_preparation_policy`: a Windows Autopilot device
//! preparation policy (Autopilot v2), a settings catalog
//! `deviceManagementConfigurationPolicy` built from one of the two device
//! preparation templates, its device group (the enrollment-time device
//! membership target) and its user group assignments.

mod registration;
pub use registration::{EXPORT, payloads};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tfplugin::{Attr, AttrPath, Diagnostics, PlanRequest, Resource};

use super::assignments::{Assignment, GROUP, IdSet, Target, Targets, ids_like_prior, known_ids};
use super::group::{device_group_problems, not_owned_detail};
use super::lints::TenantSnapshot;
use super::settings_catalog::{Setting, Spec};
use super::{report, string_like_prior};
use crate::graph::{ApiVersion, GraphClient, GraphError, NameLookup};
use crate::validate;

pub(crate) const COLLECTION: &str = "deviceManagement/configurationPolicies";
const MOBILE_APPS: &str = "deviceAppManagement/mobileApps";
const SCRIPTS: &str = "deviceManagement/deviceManagementScripts";
const USER_DRIVEN_TEMPLATE: &str = "80d33118-b7b4-40d8-b15f-81be745e053f_1";
const AUTOMATIC_TEMPLATE: &str = "a6157a7f-aa00-42d9-ac82-7d2479f545db_1";
/// The portal's default error message (with its curly apostrophe).
pub const DEFAULT_ERROR_MESSAGE: &str =
    "Contact your organization\u{2019}s support person for help.";
const DEFAULT_TIMEOUT: i64 = 60;
/// App types device preparation installs: LOB (MSI and AppX), Win32,
/// Store apps through WinGet, Microsoft 365 Apps.
const SUPPORTED_APP_TYPES: &[&str] = &[
    "#microsoft.graph.win32LobApp",
    "#microsoft.graph.windowsMobileMSI",
    "#microsoft.graph.windowsUniversalAppX",
    "#microsoft.graph.winGetApp",
    "#microsoft.graph.officeSuiteApp",
    "#microsoft.graph.win32CatalogApp",
];

const DEPLOYMENT_MODE: Spec = Spec {
    id: "enrollment_autopilot_dpp_deploymentmode",
    instance: "5180aeab-886e-4589-97d4-40855c646315",
    value: Some("5874c2f6-bcf1-463b-a9eb-bee64e2f2d82"),
};
const DEPLOYMENT_TYPE: Spec = Spec {
    id: "enrollment_autopilot_dpp_deploymenttype",
    instance: "f4184296-fa9f-4b67-8b12-1723b3f8456b",
    value: Some("e0af022f-37f3-4a40-916d-1ab7281c88d9"),
};
const JOIN_TYPE: Spec = Spec {
    id: "enrollment_autopilot_dpp_jointype",
    instance: "6310e95d-6cfa-4d2f-aae0-1e7af12e2182",
    value: Some("1fa84eb3-fcfa-4ed6-9687-0f3d486402c4"),
};
const ACCOUNT_TYPE: Spec = Spec {
    id: "enrollment_autopilot_dpp_accountype",
    instance: "d4f2a840-86d5-4162-9a08-fa8cc608b94e",
    value: Some("bf13bb47-69ef-4e06-97c1-50c2859a49c2"),
};
const TIMEOUT: Spec = Spec {
    id: "enrollment_autopilot_dpp_timeout",
    instance: "6dec0657-dfb8-4906-a7ee-3ac6ee1edecb",
    value: Some("0bbcce5b-a55a-4e05-821a-94bf576d6cc8"),
};
const ERROR_MESSAGE: Spec = Spec {
    id: "enrollment_autopilot_dpp_customerrormessage",
    instance: "2ddf0619-2b7a-46de-b29b-c6191e9dda6e",
    value: Some("fe5002d5-fbe9-4920-9e2d-26bfc4b4cc97"),
};
const ALLOW_SKIP: Spec = Spec {
    id: "enrollment_autopilot_dpp_allowskip",
    instance: "2a71dc89-0f17-4ba9-bb27-af2521d34710",
    value: Some("a2323e5e-ac56-4517-8847-b0a6fdb467e7"),
};
const ALLOW_DIAGNOSTICS: Spec = Spec {
    id: "enrollment_autopilot_dpp_allowdiagnostics",
    instance: "e2b7a81b-f243-4abd-bce3-c1856345f405",
    value: Some("c59d26fd-3460-4b26-b47a-f7e202e7d5a3"),
};
const DEVICE_GROUPS: Spec = Spec {
    id: "enrollment_autopilot_dpp_devicesecuritygroupids",
    instance: "a46a50ab-3076-4968-9366-75a40dde950e",
    value: Some("5f7d09e1-1a90-44ad-9c9f-ad90ba509e60"),
};
const APPS_USER_DRIVEN: Spec = Spec {
    id: "enrollment_autopilot_dpp_allowedappids",
    instance: "70d22a8a-a03c-4f62-b8df-dded3e327639",
    value: None,
};
const APPS_AUTOMATIC: Spec = Spec {
    id: "enrollment_autopilot_dpp_allowedappids",
    instance: "a9dedfd6-c3b2-46d9-ae39-91fd0dcb7a20",
    value: None,
};
const SCRIPTS_USER_DRIVEN: Spec = Spec {
    id: "enrollment_autopilot_dpp_allowedscriptids",
    instance: "1bc67702-800c-4271-8fd9-609351cc19cf",
    value: None,
};
const SCRIPTS_AUTOMATIC: Spec = Spec {
    id: "enrollment_autopilot_dpp_allowedscriptids",
    instance: "ff20a4a9-a2f4-4a2e-84e0-4cd1dc9bed31",
    value: None,
};

/// Who drives the deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentMode {
    /// A user signs in during the out-of-box experience.
    UserDriven,
    /// No user: Windows 365 Cloud PCs (self-deploying).
    Automatic,
}

/// Whether a configuration policy built from `template_id` is a device
/// preparation policy (either template).
pub(crate) fn is_device_preparation_template(template_id: &str) -> bool {
    DeploymentMode::from_template(template_id).is_some()
}

impl DeploymentMode {
    fn template(self) -> &'static str {
        match self {
            DeploymentMode::UserDriven => USER_DRIVEN_TEMPLATE,
            DeploymentMode::Automatic => AUTOMATIC_TEMPLATE,
        }
    }

    fn from_template(template: &str) -> Option<Self> {
        if template.eq_ignore_ascii_case(USER_DRIVEN_TEMPLATE) {
            Some(DeploymentMode::UserDriven)
        } else if template.eq_ignore_ascii_case(AUTOMATIC_TEMPLATE) {
            Some(DeploymentMode::Automatic)
        } else {
            None
        }
    }
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
    fn choice(self) -> &'static str {
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
    /// `user_driven` (a user signs in during setup) or `automatic` (Windows 365, no user). Changing it replaces the policy.
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

/// Time limits of operations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PolicyTimeouts {
    /// How long a create (or a change of `device_group_id`) may wait for Intune to accept the device group while a group created moments ago, or its new owner the Intune Provisioning Client, replicates to Intune, e.g. `"2m"`. Defaults to `"5m"`.
    pub create: Attr<String>,
}

/// How long Intune may take to see a new device group and its owner when
/// `timeouts.create` is unset.
const DEFAULT_CREATE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Refusal codes that replication cannot explain: no retry.
const LASTING_REFUSALS: &[&str] = &[
    "notSecurityGroup",
    "notStaticSecurityGroup",
    "securityGroupNotInCallerScope",
];

/// The attributes only user-driven policies take.
const USER_DRIVEN_ONLY: &[&str] = &[
    "join_type",
    "user_account_type",
    "timeout_minutes",
    "custom_error_message",
    "allow_skip",
    "allow_diagnostics",
    "include_group_ids",
];

/// A configuration policy as Graph carries it (this crate's own reading).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Policy {
    #[serde(default, skip_serializing)]
    id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    platforms: Option<String>,
    #[serde(default)]
    technologies: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role_scope_tag_ids: Option<Vec<String>>,
    #[serde(default)]
    template_reference: Option<TemplateReference>,
    /// Sent only: a policy's settings are read from its `settings` collection.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    settings: Option<Vec<Setting>>,
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    priority_meta_data: Option<PriorityMetaData>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct TemplateReference {
    #[schemars(extend("enum" = [USER_DRIVEN_TEMPLATE, AUTOMATIC_TEMPLATE]))]
    template_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PriorityMetaData {
    #[serde(default)]
    priority: Option<i64>,
}

/// An allowed app as the settings catalog stores it: a JSON document in a
/// string value.
#[derive(Debug, Serialize, Deserialize)]
struct AllowedApp {
    id: String,
    #[serde(rename = "type")]
    odata_type: String,
}

#[derive(Deserialize)]
struct MobileApp {
    #[serde(rename = "@odata.type", default)]
    odata_type: String,
    #[serde(rename = "displayName", default)]
    display_name: Option<String>,
}

/// The `assign` action: the policy's whole list of (user group) assignments.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AssignBody {
    assignments: Vec<Assignment>,
}

/// `setEnrollmentTimeDeviceMembershipTarget`: the policy's device group.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MembershipTargets<'a> {
    #[schemars(length(min = 1, max = 1))]
    enrollment_time_device_membership_targets: Vec<MembershipTarget<'a>>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct MembershipTarget<'a> {
    #[schemars(extend("const" = STATIC_SECURITY_GROUP))]
    target_type: &'static str,
    target_id: &'a str,
}

const STATIC_SECURITY_GROUP: &str = "staticSecurityGroup";

fn yes_no(flag: bool) -> &'static str {
    if flag { "_1" } else { "_0" }
}

/// What the settings of a policy say, by setting definition id.
#[derive(Debug, Default, PartialEq)]
struct ReadSettings {
    choices: BTreeMap<String, String>,
    integers: BTreeMap<String, i64>,
    strings: BTreeMap<String, String>,
    collections: BTreeMap<String, Vec<String>>,
}

impl ReadSettings {
    /// Reads settings (`deviceManagementConfigurationSetting` objects, or
    /// bare setting instances).
    fn parse(settings: &[Value]) -> Self {
        let mut out = ReadSettings::default();
        for setting in settings {
            let instance = setting.get("settingInstance").unwrap_or(setting);
            let Some(id) = instance.get("settingDefinitionId").and_then(Value::as_str) else {
                continue;
            };
            let id = id.to_ascii_lowercase();
            if let Some(v) = instance
                .get("choiceSettingValue")
                .and_then(|c| c.get("value"))
                .and_then(Value::as_str)
            {
                out.choices.insert(id, v.to_ascii_lowercase());
            } else if let Some(v) = instance
                .get("simpleSettingValue")
                .and_then(|s| s.get("value"))
            {
                match v {
                    Value::Number(n) => {
                        if let Some(n) = n.as_i64() {
                            out.integers.insert(id, n);
                        }
                    }
                    Value::String(s) => {
                        out.strings.insert(id, s.clone());
                    }
                    _ => {}
                }
            } else if let Some(items) = instance
                .get("simpleSettingCollectionValue")
                .and_then(Value::as_array)
            {
                let values = items
                    .iter()
                    .filter_map(|i| i.get("value").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect();
                out.collections.insert(id, values);
            }
        }
        out
    }

    /// The suffix of a choice (`_0`, `_1`, ...) for a setting.
    fn choice(&self, spec: &Spec) -> Option<&str> {
        let value = self.choices.get(spec.id)?;
        value.strip_prefix(spec.id)
    }

    fn flag(&self, spec: &Spec) -> Attr<bool> {
        match self.choice(spec) {
            Some("_1") => Attr::Known(true),
            Some("_0") => Attr::Known(false),
            _ => Attr::Null,
        }
    }
}

/// The app id inside an allowed app value (a JSON document, or a bare id).
fn allowed_app_id(value: &str) -> String {
    serde_json::from_str::<AllowedApp>(value)
        .map(|a| a.id)
        .unwrap_or_else(|_| value.to_string())
}

/// How Intune judged a device group, from the answer of
/// `setEnrollmentTimeDeviceMembershipTarget` (bare or wrapped in `value`).
#[derive(Debug, PartialEq)]
struct TargetVerdict {
    succeeded: bool,
    /// (target id, error code) of the targets that failed.
    failures: Vec<(String, String)>,
}

impl TargetVerdict {
    fn parse(answer: &Value) -> Self {
        let body = match answer.get("value") {
            Some(v @ Value::Object(_)) => v,
            _ => answer,
        };
        let statuses = body
            .get("enrollmentTimeDeviceMembershipTargetValidationStatuses")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let succeeded = body
            .get("validationSucceeded")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let failures = if succeeded {
            Vec::new()
        } else {
            statuses
                .iter()
                .filter(|s| s.get("validationSucceeded").and_then(Value::as_bool) != Some(true))
                .map(|s| {
                    let text = |k: &str| {
                        s.get(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string()
                    };
                    (text("targetId"), text("targetValidationErrorCode"))
                })
                .collect()
        };
        TargetVerdict {
            succeeded,
            failures,
        }
    }

    /// A refusal that waiting for replication cannot change.
    fn is_lasting(&self) -> bool {
        self.failures.iter().any(|(_, code)| {
            LASTING_REFUSALS
                .iter()
                .any(|lasting| code.eq_ignore_ascii_case(lasting))
        })
    }

    /// Intune does not see the group yet (it was just created).
    fn group_not_seen_yet(&self) -> bool {
        !self.succeeded
            && !self.failures.is_empty()
            && self
                .failures
                .iter()
                .all(|(_, code)| code.eq_ignore_ascii_case("securityGroupNotFound"))
    }
}

/// The target id of the device group from
/// `retrieveEnrollmentTimeDeviceMembershipTarget`'s answer.
fn retrieved_target(answer: &Value) -> Option<String> {
    let body = match answer.get("value") {
        Some(v @ Value::Object(_)) => v,
        _ => answer,
    };
    for key in [
        "enrollmentTimeDeviceMembershipTargetValidationStatuses",
        "enrollmentTimeDeviceMembershipTargets",
    ] {
        if let Some(id) = body
            .get(key)
            .and_then(Value::as_array)
            .and_then(|items| items.iter().find_map(|i| i.get("targetId")?.as_str()))
        {
            return Some(id.to_string());
        }
    }
    // A bare collection of targets.
    answer
        .get("value")
        .and_then(Value::as_array)
        .and_then(|items| items.iter().find_map(|i| i.get("targetId")?.as_str()))
        .map(str::to_string)
}

/// The diagnostic for a device group Intune refused, saying what to do.
fn refusal(group_id: &str, code: &str) -> (String, String) {
    let (summary, detail) = match code.to_ascii_lowercase().as_str() {
        "securitygroupnotfound" => (
            "The device group does not exist",
            format!(
                "Intune cannot find group {group_id}. Check `device_group_id`; a group created moments ago may also not have replicated yet, so apply again."
            ),
        ),
        "notsecuritygroup" => (
            "The device group is not a security group",
            format!(
                "Group {group_id} is not a security group. Use an assigned security group, e.g. an `autopilot_group`."
            ),
        ),
        "notstaticsecuritygroup" => (
            "The device group has dynamic membership",
            format!(
                "Group {group_id} is dynamic; device preparation needs an assigned (static) group. Remove `membership_rule`, `group_tags` and `all_autopilot_devices` from it."
            ),
        ),
        "firstpartyappnotanowner" => (
            "The device group is not owned by the Intune Provisioning Client",
            not_owned_detail("", group_id),
        ),
        "securitygroupnotincallerscope" => (
            "The device group is outside the caller's scope",
            format!(
                "Group {group_id} is outside the scope of the Intune role assigned to the provider's identity. Grant the role on this group's scope, or use another group."
            ),
        ),
        _ => (
            "Intune refused the device group",
            format!("Intune refused group {group_id} as the device group ({code})."),
        ),
    };
    (summary.to_string(), detail)
}

/// The create timeout of a `timeouts` block.
fn create_timeout(timeouts: &Attr<PolicyTimeouts>) -> std::time::Duration {
    timeouts
        .known()
        .and_then(|t| t.create.known())
        .and_then(|text| crate::devices::parse_duration(text).ok())
        .unwrap_or(DEFAULT_CREATE_TIMEOUT)
}

/// How setting a policy's device group ended.
enum DeviceGroupOutcome {
    Set,
    /// Intune refused the group; the diagnostics say why.
    Refused,
    /// Intune answered 500: with application credentials, the known
    /// limitation of `setEnrollmentTimeDeviceMembershipTarget`.
    ServerError(GraphError),
    /// Any other failure, already reported.
    Failed,
}

/// The diagnostic for a 500 from `setEnrollmentTimeDeviceMembershipTarget`:
/// with application credentials, a known limitation, and the ways through.
fn server_error_diagnostic(
    policy_id: &str,
    group_id: &str,
    delegated: bool,
    error: &GraphError,
) -> (String, String) {
    if delegated {
        return (
            "Intune failed to set the policy's device group".to_string(),
            format!(
                "Setting group {group_id} as the device group of policy {policy_id} failed with a server error; \
                 the policy is kept without its device group and the next apply tries again. ({error})"
            ),
        );
    }
    (
        "Intune refused to set the device group for application credentials".to_string(),
        format!(
            "Intune answered 500 to setEnrollmentTimeDeviceMembershipTarget for policy {policy_id}. This action \
             has been observed to fail this way for application (app-only) credentials (client secret, \
             certificate, OIDC, managed identity) while working for a signed-in user, although Microsoft \
             documents application permissions as supported; retrying does not help. The policy is kept, \
             without its device group. Ways through: (1) apply again with delegated credentials, \
             `use_device_code = true` with your own public client application (see the provider documentation, \
             \"Credentials and what they can reach\"); or (2) set group {group_id} as the policy's device group \
             in the Intune admin center (Devices > Windows > Enrollment > Device preparation policies); the \
             provider then reads it back as `device_group_id`, without a diff. ({error})"
        ),
    )
}

impl DevicePreparationPolicyModel {
    fn mode(&self) -> DeploymentMode {
        self.deployment_mode
            .known()
            .copied()
            .unwrap_or(DeploymentMode::UserDriven)
    }

    /// The settings for this policy; `app_types` maps each allowed app id to
    /// its `@odata.type`.
    fn settings(&self, app_types: &BTreeMap<String, String>) -> Vec<Setting> {
        let apps: Vec<String> = self
            .allowed_app_ids
            .known()
            .into_iter()
            .flat_map(IdSet::known_ids)
            .map(|id| {
                let app = AllowedApp {
                    id: id.clone(),
                    odata_type: app_types.get(id).cloned().unwrap_or_default(),
                };
                serde_json::to_string(&app).unwrap_or_default()
            })
            .collect();
        let scripts: Vec<String> = self
            .allowed_script_ids
            .known()
            .into_iter()
            .flat_map(IdSet::known_ids)
            .cloned()
            .collect();
        // No apps or no scripts chosen: the setting is left out, as the admin
        // center and other tools do, rather than sent as an empty collection.
        let chosen = |spec: &Spec, values: Vec<String>| -> Option<Setting> {
            (!values.is_empty()).then(|| spec.strings(values))
        };
        let (apps_spec, scripts_spec) = match self.mode() {
            DeploymentMode::Automatic => (&APPS_AUTOMATIC, &SCRIPTS_AUTOMATIC),
            DeploymentMode::UserDriven => (&APPS_USER_DRIVEN, &SCRIPTS_USER_DRIVEN),
        };
        let apps_and_scripts = [chosen(apps_spec, apps), chosen(scripts_spec, scripts)];
        let mut settings = match self.mode() {
            DeploymentMode::Automatic => Vec::new(),
            DeploymentMode::UserDriven => vec![
                DEPLOYMENT_MODE.choice("_0"),
                DEPLOYMENT_TYPE.choice("_0"),
                JOIN_TYPE.choice("_0"),
                ACCOUNT_TYPE.choice(
                    self.user_account_type
                        .known()
                        .copied()
                        .unwrap_or(UserAccountType::Standard)
                        .choice(),
                ),
                TIMEOUT.integer(
                    self.timeout_minutes
                        .known()
                        .copied()
                        .unwrap_or(DEFAULT_TIMEOUT),
                ),
                ERROR_MESSAGE.string(
                    self.custom_error_message
                        .known()
                        .cloned()
                        .unwrap_or_else(|| DEFAULT_ERROR_MESSAGE.to_string()),
                ),
                ALLOW_SKIP.choice(yes_no(self.allow_skip.known().copied().unwrap_or(false))),
                ALLOW_DIAGNOSTICS.choice(yes_no(
                    self.allow_diagnostics.known().copied().unwrap_or(false),
                )),
                DEVICE_GROUPS.string(String::new()),
            ],
        };
        settings.extend(apps_and_scripts.into_iter().flatten());
        settings
    }

    fn to_graph(&self, app_types: &BTreeMap<String, String>) -> Policy {
        Policy {
            id: None,
            name: self.display_name.known().cloned().unwrap_or_default(),
            description: Some(self.description.known().cloned().unwrap_or_default()),
            platforms: Some("windows10".into()),
            technologies: Some("enrollment".into()),
            role_scope_tag_ids: self
                .role_scope_tag_ids
                .known()
                .map(|ids| ids.iter().cloned().collect()),
            template_reference: Some(TemplateReference {
                template_id: self.mode().template().to_string(),
            }),
            settings: Some(self.settings(app_types)),
            priority_meta_data: None,
        }
    }

    /// The state for what Graph holds: the policy, its settings, its device
    /// group and its assignments. `prior` shapes unset-versus-empty.
    fn from_graph(
        policy: Policy,
        settings: &ReadSettings,
        device_group: Option<String>,
        targets: Targets,
        prior: &DevicePreparationPolicyModel,
    ) -> Self {
        let mode = policy
            .template_reference
            .as_ref()
            .and_then(|t| DeploymentMode::from_template(&t.template_id));
        let user_driven = mode == Some(DeploymentMode::UserDriven);
        fn ud<T>(user_driven: bool, a: Attr<T>) -> Attr<T> {
            if user_driven { a } else { Attr::Null }
        }
        let collection = |spec: &Spec| -> BTreeSet<String> {
            settings
                .collections
                .get(spec.id)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .collect()
        };
        let apps: BTreeSet<String> = collection(&APPS_USER_DRIVEN)
            .iter()
            .map(|v| allowed_app_id(v))
            .collect();
        DevicePreparationPolicyModel {
            id: policy.id.into(),
            display_name: Attr::Known(policy.name),
            description: string_like_prior(&prior.description, policy.description),
            deployment_mode: mode.into(),
            join_type: ud(
                user_driven,
                match settings.choice(&JOIN_TYPE) {
                    Some("_0") => Attr::Known(JoinType::Entra),
                    _ => Attr::Null,
                },
            ),
            user_account_type: ud(
                user_driven,
                match settings.choice(&ACCOUNT_TYPE) {
                    Some("_0") => Attr::Known(UserAccountType::Administrator),
                    Some("_1") => Attr::Known(UserAccountType::Standard),
                    _ => Attr::Null,
                },
            ),
            timeout_minutes: ud(
                user_driven,
                settings.integers.get(TIMEOUT.id).copied().into(),
            ),
            custom_error_message: ud(
                user_driven,
                settings.strings.get(ERROR_MESSAGE.id).cloned().into(),
            ),
            allow_skip: ud(user_driven, settings.flag(&ALLOW_SKIP)),
            allow_diagnostics: ud(user_driven, settings.flag(&ALLOW_DIAGNOSTICS)),
            allowed_app_ids: ids_like_prior(&prior.allowed_app_ids, apps),
            allowed_script_ids: ids_like_prior(
                &prior.allowed_script_ids,
                collection(&SCRIPTS_USER_DRIVEN),
            ),
            device_group_id: device_group.into(),
            include_group_ids: ids_like_prior(&prior.include_group_ids, targets.include),
            role_scope_tag_ids: Attr::Known(
                policy
                    .role_scope_tag_ids
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
            ),
            priority: policy.priority_meta_data.and_then(|p| p.priority).into(),
            timeouts: prior.timeouts.clone(),
        }
    }
}

/// The resource, with the tenant snapshot its plan-time lint shares.
#[derive(Default)]
pub struct DevicePreparationPolicy {
    tenant: Arc<TenantSnapshot>,
}

impl DevicePreparationPolicy {
    pub fn new(tenant: Arc<TenantSnapshot>) -> Self {
        DevicePreparationPolicy { tenant }
    }

    async fn fetch(
        &self,
        client: &GraphClient,
        id: &str,
        prior: &DevicePreparationPolicyModel,
        warnings: Option<&mut Diagnostics>,
    ) -> Result<Option<DevicePreparationPolicyModel>, GraphError> {
        let path = format!("{COLLECTION}/{id}");
        let Some(policy) = client
            .get_optional::<Policy>(ApiVersion::Beta, &path)
            .await?
        else {
            return Ok(None);
        };
        let template = policy
            .template_reference
            .as_ref()
            .map(|t| t.template_id.clone())
            .unwrap_or_default();
        if DeploymentMode::from_template(&template).is_none() {
            return Err(GraphError::Decode {
                path,
                reason: format!(
                    "configuration policy {id} is not a device preparation policy (its template is {template:?})"
                ),
            });
        }
        let settings: Vec<Value> = client
            .list(ApiVersion::Beta, &format!("{path}/settings"))
            .await?;
        let mut warnings = warnings;
        // Some tenants answer this action with an error (CIPP falls back to
        // what it last wrote); that does not fail the read: the last known
        // device group stays.
        let target: Option<Value> = match client
            .post_idempotent_without_body(
                ApiVersion::Beta,
                &format!("{path}/retrieveEnrollmentTimeDeviceMembershipTarget"),
            )
            .await
        {
            Ok(target) => Some(target),
            Err(e) if matches!(e.status(), Some(400 | 404 | 500..=599)) => {
                tracing::warn!(%id, error = %e, "cannot read the policy's device group; keeping the last known one");
                if let Some(diags) = warnings.as_deref_mut() {
                    diags.warning_at(
                        AttrPath::root("device_group_id"),
                        "Cannot read the policy's device group",
                        format!(
                            "Intune did not answer retrieveEnrollmentTimeDeviceMembershipTarget for policy {id}, so \
                             `device_group_id` keeps its last known value. ({e})"
                        ),
                    );
                }
                None
            }
            Err(e) => return Err(e),
        };
        let assignments: Vec<Assignment> = client
            .list(ApiVersion::Beta, &format!("{path}/assignments"))
            .await?;
        let device_group = match &target {
            Some(target) => retrieved_target(target),
            None => prior.device_group_id.known().cloned(),
        };
        if let (Some(diags), Some(target)) = (warnings, &target) {
            // Intune validates the stored device group again on every
            // retrieve: say so when it no longer qualifies.
            for (group, code) in TargetVerdict::parse(target).failures {
                let (summary, detail) = refusal(&group, &code);
                diags.warning_at(
                    AttrPath::root("device_group_id"),
                    format!("The policy's device group no longer qualifies: {summary}"),
                    format!("{detail} Until then devices cannot be set up with this policy."),
                );
            }
        }
        Ok(Some(DevicePreparationPolicyModel::from_graph(
            policy,
            &ReadSettings::parse(&settings),
            device_group,
            Targets::from_assignments(&assignments),
            prior,
        )))
    }

    /// The `@odata.type` of each allowed app, read from the tenant.
    async fn app_types(
        &self,
        client: &GraphClient,
        model: &DevicePreparationPolicyModel,
        diags: &mut Diagnostics,
    ) -> Option<BTreeMap<String, String>> {
        let mut types = BTreeMap::new();
        for id in model
            .allowed_app_ids
            .known()
            .into_iter()
            .flat_map(IdSet::known_ids)
        {
            match client
                .get_optional::<MobileApp>(ApiVersion::Beta, &format!("{MOBILE_APPS}/{id}"))
                .await
            {
                Ok(Some(app)) => {
                    types.insert(id.clone(), app.odata_type);
                }
                Ok(None) => {
                    diags.error_at(
                        AttrPath::root("allowed_app_ids"),
                        "Allowed app not found",
                        format!("No app with id {id} exists in the tenant's Intune apps."),
                    );
                    return None;
                }
                Err(e) => {
                    report(diags, &format!("read the app {id}"), &e);
                    return None;
                }
            }
        }
        Some(types)
    }

    /// Sets the device group. Intune may refuse a group created moments
    /// ago, or one whose owner was just added, until they replicate to it:
    /// while the directory shows the group as it must be, any refusal but a
    /// lasting one is tried again until `deadline`. A refusal becomes an
    /// error saying what to do.
    async fn set_device_group(
        &self,
        client: &GraphClient,
        id: &str,
        group_id: &str,
        deadline: tokio::time::Instant,
        diags: &mut Diagnostics,
    ) -> DeviceGroupOutcome {
        let body = MembershipTargets {
            enrollment_time_device_membership_targets: vec![MembershipTarget {
                target_type: STATIC_SECURITY_GROUP,
                target_id: group_id,
            }],
        };
        let path = format!("{COLLECTION}/{id}/setEnrollmentTimeDeviceMembershipTarget");
        let mut attempt: u32 = 0;
        let verdict = loop {
            let answer: Value = match client
                .post_until_visible(ApiVersion::Beta, &path, &body, |answer: &Value| {
                    TargetVerdict::parse(answer).group_not_seen_yet()
                })
                .await
            {
                Ok(answer) => answer,
                Err(e) if e.status() == Some(500) => return DeviceGroupOutcome::ServerError(e),
                Err(e) => {
                    report(diags, "set the policy's device group", &e);
                    return DeviceGroupOutcome::Failed;
                }
            };
            let verdict = TargetVerdict::parse(&answer);
            if verdict.succeeded {
                return DeviceGroupOutcome::Set;
            }
            let wait = crate::graph::consistency::replication_delay(attempt);
            if verdict.is_lasting()
                || tokio::time::Instant::now() + wait > deadline
                || !matches!(device_group_problems(client, group_id).await, Ok(check) if check.problems.is_empty())
            {
                break verdict;
            }
            tracing::info!(
                policy = %id,
                group = %group_id,
                refusals = ?verdict.failures,
                wait_ms = wait.as_millis() as u64,
                "Intune refused a device group the directory shows as valid; waiting for replication"
            );
            if let Err(e) = client
                .pause(wait, "waiting for Intune to see the device group's owner")
                .await
            {
                report(diags, "set the policy's device group", &e);
                return DeviceGroupOutcome::Failed;
            }
            attempt += 1;
        };
        if verdict.failures.is_empty() {
            let (summary, detail) = refusal(group_id, "");
            diags.error_at(AttrPath::root("device_group_id"), summary, detail);
        }
        for (target, code) in &verdict.failures {
            let target = if target.is_empty() { group_id } else { target };
            let (summary, detail) = refusal(target, code);
            diags.error_at(AttrPath::root("device_group_id"), summary, detail);
        }
        DeviceGroupOutcome::Refused
    }

    /// After Intune refused the device group of a new policy: a policy
    /// without its device group is of no use, so it is removed and nothing
    /// is left behind; it stays in state if that fails.
    async fn remove_refused(
        &self,
        client: &GraphClient,
        id: &str,
        planned: &DevicePreparationPolicyModel,
        diags: &mut Diagnostics,
    ) -> Option<DevicePreparationPolicyModel> {
        match client
            .delete(ApiVersion::Beta, &format!("{COLLECTION}/{id}"))
            .await
        {
            Ok(()) => {
                tracing::info!(%id, "deleted the policy whose device group was refused");
                None
            }
            Err(e) => {
                report(
                    diags,
                    "delete the policy whose device group was refused (it stays in state and will be replaced)",
                    &e,
                );
                self.fetch(client, id, planned, None).await.ok().flatten()
            }
        }
    }

    async fn assign(
        &self,
        client: &GraphClient,
        id: &str,
        groups: &BTreeSet<String>,
    ) -> Result<(), GraphError> {
        let body = AssignBody {
            assignments: groups
                .iter()
                .map(|g| Assignment {
                    id: None,
                    target: Target::new(GROUP, Some(g)),
                })
                .collect(),
        };
        client
            .post_action(
                ApiVersion::Beta,
                &format!("{COLLECTION}/{id}/assign"),
                &body,
            )
            .await
    }

    /// Plan-time checks against the tenant, for values the plan changes.
    async fn check_tenant(
        &self,
        client: &GraphClient,
        prior: Option<&DevicePreparationPolicyModel>,
        planned: &DevicePreparationPolicyModel,
        diags: &mut Diagnostics,
    ) {
        if let Attr::Known(group) = &planned.device_group_id
            && prior.is_none_or(|p| p.device_group_id != planned.device_group_id)
            && validate::object_id(group).is_ok()
        {
            match device_group_problems(client, group).await {
                Ok(check) => {
                    if let Some(detail) = check.owner_unknown {
                        diags.warning_at(
                            AttrPath::root("device_group_id"),
                            "Cannot check the device group's owner",
                            detail,
                        );
                    }
                    for (summary, detail) in check.problems {
                        diags.error_at(
                            AttrPath::root("device_group_id"),
                            summary,
                            format!(
                                "{detail} (Checked against the group as it is now: if this configuration fixes the \
                                 group in the same run, apply the group first with `terraform apply -target` on it.)"
                            ),
                        );
                    }
                }
                Err(e) => diags.warning_at(
                    AttrPath::root("device_group_id"),
                    "Cannot check the device group",
                    format!("Reading the group failed, so it was not checked: {e}"),
                ),
            }
        }
        let before = |attr: fn(&DevicePreparationPolicyModel) -> &Attr<IdSet>| -> BTreeSet<String> {
            prior
                .and_then(|p| attr(p).known())
                .map(|ids| ids.known_ids().cloned().collect())
                .unwrap_or_default()
        };
        let old_apps = before(|p| &p.allowed_app_ids);
        for id in planned
            .allowed_app_ids
            .known()
            .into_iter()
            .flat_map(IdSet::known_ids)
            .filter(|id| !old_apps.contains(*id) && validate::object_id(id).is_ok())
        {
            match client
                .get_optional::<MobileApp>(ApiVersion::Beta, &format!("{MOBILE_APPS}/{id}"))
                .await
            {
                Ok(None) => diags.error_at(
                    AttrPath::root("allowed_app_ids"),
                    "Allowed app not found",
                    format!("No app with id {id} exists in the tenant's Intune apps."),
                ),
                Ok(Some(app)) if !SUPPORTED_APP_TYPES.contains(&app.odata_type.as_str()) => {
                    diags.warning_at(
                        AttrPath::root("allowed_app_ids"),
                        "App type not known to work with device preparation",
                        format!(
                            "App {} ({id}) is a {}; device preparation installs line-of-business, Win32, \
                             Microsoft Store (WinGet) and Microsoft 365 apps.",
                            app.display_name.unwrap_or_default(),
                            app.odata_type.trim_start_matches("#microsoft.graph.")
                        ),
                    )
                }
                Ok(Some(_)) => {}
                Err(e) => diags.warning_at(
                    AttrPath::root("allowed_app_ids"),
                    "Cannot check the allowed apps",
                    format!("Reading app {id} failed: {e}"),
                ),
            }
        }
        let old_scripts = before(|p| &p.allowed_script_ids);
        for id in planned
            .allowed_script_ids
            .known()
            .into_iter()
            .flat_map(IdSet::known_ids)
            .filter(|id| !old_scripts.contains(*id) && validate::object_id(id).is_ok())
        {
            match client
                .get_optional::<Value>(ApiVersion::Beta, &format!("{SCRIPTS}/{id}"))
                .await
            {
                Ok(None) => diags.error_at(
                    AttrPath::root("allowed_script_ids"),
                    "Allowed script not found",
                    format!(
                        "No PowerShell script with id {id} exists in the tenant's Intune scripts."
                    ),
                ),
                Ok(Some(_)) => {}
                Err(e) => diags.warning_at(
                    AttrPath::root("allowed_script_ids"),
                    "Cannot check the allowed scripts",
                    format!("Reading script {id} failed: {e}"),
                ),
            }
        }
    }

    /// Warns when a classic Autopilot deployment profile targets the same
    /// groups: devices registered as classic Autopilot devices get the
    /// profile instead of this policy.
    async fn lint(
        &self,
        client: &GraphClient,
        planned: &DevicePreparationPolicyModel,
        diags: &mut Diagnostics,
    ) {
        let Some(groups) = known_ids(&planned.include_group_ids) else {
            return;
        };
        if groups.is_empty() {
            return;
        }
        let profiles = match self.tenant.profiles(client).await {
            Ok(p) => p,
            Err(e) => {
                diags.warning(
                    "Cannot check the tenant's deployment profiles",
                    format!("Reading the tenant failed, so overlaps with classic Autopilot profiles were not checked: {e}"),
                );
                return;
            }
        };
        for profile in profiles.iter() {
            let shared: Vec<&String> = profile.targets.include.intersection(&groups).collect();
            let overlap = if profile.targets.all_devices {
                "is assigned to all devices".to_string()
            } else if !shared.is_empty() {
                format!(
                    "is assigned to {}",
                    shared
                        .iter()
                        .map(|g| g.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                continue;
            };
            diags.warning_at(
                AttrPath::root("include_group_ids"),
                "A classic Autopilot profile targets the same population",
                format!(
                    "The deployment profile {:?} ({}) {overlap}. Devices registered as classic Windows Autopilot \
                     devices get that profile, not this device preparation policy; deregister them or keep the \
                     populations apart.",
                    profile.display_name, profile.id
                ),
            );
        }
    }
}

#[async_trait]
impl Resource<GraphClient> for DevicePreparationPolicy {
    type Model = DevicePreparationPolicyModel;

    fn type_name(&self) -> &'static str {
        "autopilot_device_preparation_policy"
    }

    fn validate(&self, config: &DevicePreparationPolicyModel, diags: &mut Diagnostics) {
        if let Some(Attr::Known(text)) = config.timeouts.known().map(|t| &t.create)
            && let Err(reason) = crate::devices::parse_duration(text)
        {
            diags.error_at(
                AttrPath::root("timeouts").attr("create"),
                "Invalid timeout",
                reason,
            );
        }
        if config.deployment_mode == Attr::Known(DeploymentMode::Automatic) {
            let set: [(&str, bool); 7] = [
                ("join_type", !config.join_type.is_null()),
                ("user_account_type", !config.user_account_type.is_null()),
                ("timeout_minutes", !config.timeout_minutes.is_null()),
                (
                    "custom_error_message",
                    !config.custom_error_message.is_null(),
                ),
                ("allow_skip", !config.allow_skip.is_null()),
                ("allow_diagnostics", !config.allow_diagnostics.is_null()),
                ("include_group_ids", !config.include_group_ids.is_null()),
            ];
            debug_assert_eq!(set.len(), USER_DRIVEN_ONLY.len());
            for (name, is_set) in set {
                if is_set {
                    diags.error_at(
                        AttrPath::root(name),
                        format!("`{name}` is only for user-driven policies"),
                        format!(
                            "Automatic (Windows 365) device preparation policies only take `allowed_app_ids`, \
                             `allowed_script_ids` and `device_group_id`. Remove `{name}`, or set \
                             `deployment_mode = \"user_driven\"`."
                        ),
                    );
                }
            }
        }
        let check_id = |name: &str, id: &str, diags: &mut Diagnostics| {
            if let Err(reason) = validate::object_id(id) {
                diags.error_at(
                    AttrPath::root(name),
                    format!("Invalid id in `{name}`"),
                    reason,
                );
            }
        };
        if let Attr::Known(group) = &config.device_group_id {
            check_id("device_group_id", group, diags);
        }
        for (name, ids) in [
            ("include_group_ids", &config.include_group_ids),
            ("allowed_app_ids", &config.allowed_app_ids),
            ("allowed_script_ids", &config.allowed_script_ids),
        ] {
            for id in ids.known().into_iter().flat_map(IdSet::known_ids) {
                check_id(name, id, diags);
            }
        }
        if let (Attr::Known(device), Attr::Known(users)) =
            (&config.device_group_id, &config.include_group_ids)
            && users.known_ids().any(|u| u == device)
        {
            diags.error_at(
                AttrPath::root("include_group_ids"),
                "The device group is also assigned as a user group",
                format!(
                    "{device} is the device group; `include_group_ids` names the user groups whose members may \
                     set up devices, and the device group only receives devices."
                ),
            );
        }
    }

    async fn modify_plan(
        &self,
        client: Option<&GraphClient>,
        request: PlanRequest<'_, DevicePreparationPolicyModel>,
        diags: &mut Diagnostics,
    ) -> DevicePreparationPolicyModel {
        let config = request.config;
        // Said here, once per plan, rather than in `validate`, which Terraform calls several
        // times per command.
        if config.deployment_mode != Attr::Known(DeploymentMode::Automatic)
            && !config.deployment_mode.is_unknown()
            && matches!(&config.include_group_ids, Attr::Null)
        {
            diags.warning_at(
                AttrPath::root("include_group_ids"),
                "The policy is assigned to no users",
                "A user-driven device preparation policy applies to the users of the groups in \
                 `include_group_ids`; without them no device uses it.",
            );
        }
        let mut planned = request.planned;
        let mode = planned.deployment_mode.clone();
        // User-driven settings the configuration leaves unset get their
        // defaults; automatic policies have none of them.
        fn fill<T>(
            config: &Attr<T>,
            planned: &mut Attr<T>,
            mode: &Attr<DeploymentMode>,
            default: T,
        ) {
            if !config.is_null() {
                return;
            }
            *planned = match mode {
                Attr::Known(DeploymentMode::UserDriven) => Attr::Known(default),
                Attr::Known(DeploymentMode::Automatic) => Attr::Null,
                _ => Attr::Unknown,
            };
        }
        fill(
            &config.join_type,
            &mut planned.join_type,
            &mode,
            JoinType::Entra,
        );
        fill(
            &config.user_account_type,
            &mut planned.user_account_type,
            &mode,
            UserAccountType::Standard,
        );
        fill(
            &config.timeout_minutes,
            &mut planned.timeout_minutes,
            &mode,
            DEFAULT_TIMEOUT,
        );
        fill(
            &config.custom_error_message,
            &mut planned.custom_error_message,
            &mode,
            DEFAULT_ERROR_MESSAGE.to_string(),
        );
        fill(&config.allow_skip, &mut planned.allow_skip, &mode, false);
        fill(
            &config.allow_diagnostics,
            &mut planned.allow_diagnostics,
            &mode,
            false,
        );
        if let Some(client) = client {
            self.check_tenant(client, request.prior, &planned, diags)
                .await;
            if !diags.has_errors() {
                self.lint(client, &planned, diags).await;
            }
        }
        planned
    }

    async fn create(
        &self,
        client: &GraphClient,
        planned: DevicePreparationPolicyModel,
        diags: &mut Diagnostics,
    ) -> Option<DevicePreparationPolicyModel> {
        let app_types = self.app_types(client, &planned, diags).await?;
        let (_, id) = super::create_named(
            client,
            &NameLookup {
                version: ApiVersion::Beta,
                collection: COLLECTION,
                property: "name",
                name: planned.display_name.known().map_or("", String::as_str),
            },
            &planned.to_graph(&app_types),
            "the device preparation policy",
            |created: &Policy| created.id.clone(),
            diags,
        )
        .await?;
        let group = planned.device_group_id.known().cloned().unwrap_or_default();
        let deadline = tokio::time::Instant::now() + create_timeout(&planned.timeouts);
        let mut group_not_set = false;
        match self
            .set_device_group(client, &id, &group, deadline, diags)
            .await
        {
            DeviceGroupOutcome::Set => {}
            DeviceGroupOutcome::ServerError(e) => {
                // Not retried (it fails the same way every time) and not an
                // error: an error would taint the new policy, and the next
                // apply would delete it together with a device group set
                // meanwhile in the admin center.
                let (summary, detail) =
                    server_error_diagnostic(&id, &group, client.is_delegated(), &e);
                diags.warning_at(
                    AttrPath::root("device_group_id"),
                    summary,
                    format!(
                        "{detail} Until the device group is set, plans show `device_group_id` as a change."
                    ),
                );
                group_not_set = true;
            }
            DeviceGroupOutcome::Refused | DeviceGroupOutcome::Failed => {
                return self.remove_refused(client, &id, &planned, diags).await;
            }
        }
        if let Some(groups) = known_ids(&planned.include_group_ids)
            && !groups.is_empty()
            && let Err(e) = self.assign(client, &id, &groups).await
        {
            report(diags, "assign the device preparation policy", &e);
        }
        match self.fetch(client, &id, &planned, None).await {
            // The configured group is what this apply promised; the next
            // refresh shows the policy as it is.
            Ok(Some(state)) if group_not_set => Some(DevicePreparationPolicyModel {
                device_group_id: planned.device_group_id.clone(),
                ..state
            }),
            Ok(Some(state)) => Some(state),
            Ok(None) => {
                diags.error(
                    "The device preparation policy disappeared",
                    format!("Policy {id} was deleted right after it was created."),
                );
                None
            }
            Err(e) => {
                report(
                    diags,
                    "read the device preparation policy after creating it",
                    &e,
                );
                Some(DevicePreparationPolicyModel {
                    id: Attr::Known(id),
                    priority: Attr::Null,
                    ..planned
                })
            }
        }
    }

    async fn read(
        &self,
        client: &GraphClient,
        current: DevicePreparationPolicyModel,
        diags: &mut Diagnostics,
    ) -> Option<DevicePreparationPolicyModel> {
        let id = current.id.known().cloned()?;
        match self.fetch(client, &id, &current, Some(&mut *diags)).await {
            Ok(fresh) => fresh,
            Err(e) => {
                report(diags, "read the device preparation policy", &e);
                Some(current)
            }
        }
    }

    async fn update(
        &self,
        client: &GraphClient,
        prior: DevicePreparationPolicyModel,
        planned: DevicePreparationPolicyModel,
        diags: &mut Diagnostics,
    ) -> Option<DevicePreparationPolicyModel> {
        let Some(id) = prior.id.known().cloned() else {
            diags.error(
                "Cannot update the device preparation policy",
                "The state has no id.",
            );
            return Some(prior);
        };
        let path = format!("{COLLECTION}/{id}");
        let unchanged_policy = DevicePreparationPolicyModel {
            include_group_ids: prior.include_group_ids.clone(),
            device_group_id: prior.device_group_id.clone(),
            priority: prior.priority.clone(),
            timeouts: prior.timeouts.clone(),
            ..planned.clone()
        };
        let mut put = false;
        if unchanged_policy != prior {
            let Some(app_types) = self.app_types(client, &planned, diags).await else {
                return Some(prior);
            };
            if let Err(e) = client
                .put(ApiVersion::Beta, &path, &planned.to_graph(&app_types))
                .await
            {
                report(diags, "update the device preparation policy", &e);
                return Some(prior);
            }
            put = true;
        }
        if put || prior.device_group_id != planned.device_group_id {
            let group = planned.device_group_id.known().cloned().unwrap_or_default();
            let deadline = tokio::time::Instant::now() + create_timeout(&planned.timeouts);
            if let DeviceGroupOutcome::ServerError(e) = self
                .set_device_group(client, &id, &group, deadline, diags)
                .await
            {
                let (summary, detail) =
                    server_error_diagnostic(&id, &group, client.is_delegated(), &e);
                diags.error_at(AttrPath::root("device_group_id"), summary, detail);
            }
        }
        if prior.include_group_ids != planned.include_group_ids {
            let groups = known_ids(&planned.include_group_ids).unwrap_or_default();
            if let Err(e) = self.assign(client, &id, &groups).await {
                report(
                    diags,
                    "update the device preparation policy's assignments",
                    &e,
                );
            }
        }
        match self.fetch(client, &id, &planned, None).await {
            Ok(Some(state)) => Some(state),
            Ok(None) => {
                diags.error(
                    "The device preparation policy disappeared",
                    format!("Policy {id} was deleted while it was being updated."),
                );
                None
            }
            Err(e) => {
                report(
                    diags,
                    "read the device preparation policy after updating it",
                    &e,
                );
                Some(prior)
            }
        }
    }

    async fn delete(
        &self,
        client: &GraphClient,
        prior: DevicePreparationPolicyModel,
        diags: &mut Diagnostics,
    ) {
        let Some(id) = prior.id.known() else { return };
        if let Err(e) = client
            .delete(ApiVersion::Beta, &format!("{COLLECTION}/{id}"))
            .await
        {
            report(diags, "delete the device preparation policy", &e);
        }
    }

    async fn import(
        &self,
        client: &GraphClient,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<DevicePreparationPolicyModel> {
        match self
            .fetch(client, id, &DevicePreparationPolicyModel::default(), None)
            .await
        {
            Ok(Some(state)) => Some(state),
            Ok(None) => {
                diags.error(
                    "Cannot import a device preparation policy that does not exist",
                    format!("No configuration policy with id {id:?} exists in the tenant."),
                );
                None
            }
            Err(e) => {
                report(diags, "read the device preparation policy to import", &e);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const G: &str = "11111111-1111-4111-8111-111111111111";
    const U: &str = "22222222-2222-4222-8222-222222222222";
    const APP: &str = "e83d36e1-3ff2-4567-90d9-940919184ad5";

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn user_driven() -> DevicePreparationPolicyModel {
        DevicePreparationPolicyModel {
            display_name: Attr::Known("DP".into()),
            deployment_mode: Attr::Known(DeploymentMode::UserDriven),
            device_group_id: Attr::Known(G.into()),
            include_group_ids: Attr::Known(IdSet::from(set(&[U]))),
            ..Default::default()
        }
    }

    fn errors(model: &DevicePreparationPolicyModel) -> Vec<String> {
        let mut diags = Diagnostics::new();
        DevicePreparationPolicy::default().validate(model, &mut diags);
        diags
            .iter()
            .filter(|d| d.severity == tfplugin::Severity::Error)
            .filter_map(|d| d.path.as_ref().map(ToString::to_string))
            .collect()
    }

    #[test]
    fn schema_derives_with_limits() {
        let schema = tfplugin::Schema::of::<DevicePreparationPolicyModel>(0).expect("schema");
        let b = &schema.block;
        let timeout = b.attribute("timeout_minutes").expect("timeout");
        assert_eq!(
            (timeout.constraints.minimum, timeout.constraints.maximum),
            (Some(15), Some(720))
        );
        assert!(timeout.optional && timeout.computed && timeout.default.is_none());
        assert_eq!(
            b.attribute("allowed_app_ids")
                .expect("apps")
                .constraints
                .max_items,
            Some(25)
        );
        assert_eq!(
            b.attribute("allowed_script_ids")
                .expect("scripts")
                .constraints
                .max_items,
            Some(10)
        );
        let mode = b.attribute("deployment_mode").expect("mode");
        assert!(mode.force_new);
        assert_eq!(
            mode.constraints.one_of,
            Some(vec!["user_driven".to_string(), "automatic".to_string()])
        );
        assert!(b.attribute("device_group_id").expect("group").required);
        assert!(b.attribute("priority").expect("priority").computed);
    }

    #[test]
    fn automatic_mode_refuses_user_driven_attributes() {
        let mut m = user_driven();
        assert!(errors(&m).is_empty());
        m.deployment_mode = Attr::Known(DeploymentMode::Automatic);
        m.timeout_minutes = Attr::Known(60);
        assert_eq!(errors(&m), ["timeout_minutes", "include_group_ids"]);
        m.include_group_ids = Attr::Null;
        m.timeout_minutes = Attr::Null;
        assert!(errors(&m).is_empty());
    }

    #[test]
    fn ids_are_checked() {
        let mut m = user_driven();
        m.device_group_id = Attr::Known("devices".into());
        m.allowed_app_ids = Attr::Known(IdSet::from(set(&["app"])));
        assert_eq!(errors(&m), ["device_group_id", "allowed_app_ids"]);
        let mut m = user_driven();
        m.include_group_ids = Attr::Known(IdSet::from(set(&[G])));
        assert_eq!(errors(&m), ["include_group_ids"]);
    }

    #[test]
    fn user_driven_settings_follow_the_reference() {
        let mut m = user_driven();
        m.user_account_type = Attr::Known(UserAccountType::Administrator);
        m.timeout_minutes = Attr::Known(90);
        m.allow_skip = Attr::Known(true);
        m.allowed_app_ids = Attr::Known(IdSet::from(set(&[APP])));
        let types = BTreeMap::from([(APP.to_string(), "#microsoft.graph.win32LobApp".to_string())]);
        let body = serde_json::to_value(m.to_graph(&types)).expect("json");
        assert_eq!(
            body["templateReference"]["templateId"],
            json!(USER_DRIVEN_TEMPLATE)
        );
        assert_eq!(body["platforms"], json!("windows10"));
        assert_eq!(body["technologies"], json!("enrollment"));
        let settings = body["settings"].as_array().expect("settings");
        // No script chosen: the scripts setting is left out, not sent empty.
        assert_eq!(settings.len(), 10);
        assert!(
            !settings
                .iter()
                .any(|s| s["settingInstance"]["settingDefinitionId"]
                    == json!("enrollment_autopilot_dpp_allowedscriptids")),
            "{body}"
        );
        let first = &settings[0]["settingInstance"];
        assert_eq!(
            first["settingDefinitionId"],
            json!("enrollment_autopilot_dpp_deploymentmode")
        );
        assert_eq!(
            first["settingInstanceTemplateReference"]["settingInstanceTemplateId"],
            json!("5180aeab-886e-4589-97d4-40855c646315")
        );
        assert_eq!(
            first["choiceSettingValue"]["settingValueTemplateReference"]["settingValueTemplateId"],
            json!("5874c2f6-bcf1-463b-a9eb-bee64e2f2d82")
        );
        assert_eq!(
            first["choiceSettingValue"]["value"],
            json!("enrollment_autopilot_dpp_deploymentmode_0")
        );
        let apps = settings
            .iter()
            .find(|s| {
                s["settingInstance"]["settingDefinitionId"]
                    == json!("enrollment_autopilot_dpp_allowedappids")
            })
            .expect("apps");
        assert_eq!(
            apps["settingInstance"]["simpleSettingCollectionValue"][0]["value"],
            json!(format!(
                "{{\"id\":\"{APP}\",\"type\":\"#microsoft.graph.win32LobApp\"}}"
            ))
        );

        // What was sent reads back as the same model.
        let read = ReadSettings::parse(settings);
        let policy = Policy {
            id: Some("p".into()),
            priority_meta_data: Some(PriorityMetaData { priority: Some(3) }),
            ..m.to_graph(&types)
        };
        let targets = Targets {
            include: set(&[U]),
            ..Targets::default()
        };
        let state =
            DevicePreparationPolicyModel::from_graph(policy, &read, Some(G.into()), targets, &m);
        assert_eq!(
            state.user_account_type,
            Attr::Known(UserAccountType::Administrator)
        );
        assert_eq!(state.timeout_minutes, Attr::Known(90));
        assert_eq!(state.allow_skip, Attr::Known(true));
        assert_eq!(state.allow_diagnostics, Attr::Known(false));
        assert_eq!(state.join_type, Attr::Known(JoinType::Entra));
        assert_eq!(
            state.custom_error_message,
            Attr::Known(DEFAULT_ERROR_MESSAGE.to_string())
        );
        assert_eq!(state.allowed_app_ids, Attr::Known(IdSet::from(set(&[APP]))));
        assert_eq!(state.allowed_script_ids, Attr::Null);
        assert_eq!(state.device_group_id, Attr::Known(G.into()));
        assert_eq!(state.include_group_ids, Attr::Known(IdSet::from(set(&[U]))));
        assert_eq!(state.priority, Attr::Known(3));
        assert_eq!(
            state.deployment_mode,
            Attr::Known(DeploymentMode::UserDriven)
        );
    }

    #[test]
    fn automatic_carries_only_apps_and_scripts() {
        let m = DevicePreparationPolicyModel {
            deployment_mode: Attr::Known(DeploymentMode::Automatic),
            allowed_script_ids: Attr::Known(IdSet::from(set(&[APP]))),
            ..user_driven()
        };
        let body = serde_json::to_value(m.to_graph(&BTreeMap::new())).expect("json");
        assert_eq!(
            body["templateReference"]["templateId"],
            json!(AUTOMATIC_TEMPLATE)
        );
        let ids: Vec<&str> = body["settings"]
            .as_array()
            .expect("settings")
            .iter()
            .filter_map(|s| s["settingInstance"]["settingDefinitionId"].as_str())
            .collect();
        assert_eq!(ids, ["enrollment_autopilot_dpp_allowedscriptids"]);
        assert_eq!(
            body["settings"][0]["settingInstance"]["settingInstanceTemplateReference"]["settingInstanceTemplateId"],
            json!("ff20a4a9-a2f4-4a2e-84e0-4cd1dc9bed31")
        );
    }

    #[test]
    fn no_apps_and_no_scripts_send_neither_setting() {
        let m = user_driven();
        let body = serde_json::to_value(m.to_graph(&BTreeMap::new())).expect("json");
        let ids: Vec<&str> = body["settings"]
            .as_array()
            .expect("settings")
            .iter()
            .filter_map(|s| s["settingInstance"]["settingDefinitionId"].as_str())
            .collect();
        assert_eq!(ids.len(), 9, "{ids:?}");
        assert!(!ids.iter().any(|id| id.contains("allowed")), "{ids:?}");
        let automatic = DevicePreparationPolicyModel {
            deployment_mode: Attr::Known(DeploymentMode::Automatic),
            ..user_driven()
        };
        let body = serde_json::to_value(automatic.to_graph(&BTreeMap::new())).expect("json");
        assert_eq!(body["settings"], json!([]));
    }

    #[test]
    fn target_answers_are_read() {
        let ok = json!({"validationSucceeded": true, "enrollmentTimeDeviceMembershipTargetValidationStatuses": []});
        assert!(TargetVerdict::parse(&ok).succeeded);
        let not_owner = json!({"value": {"validationSucceeded": false,
            "enrollmentTimeDeviceMembershipTargetValidationStatuses": [
                {"targetId": G, "targetValidationErrorCode": "firstPartyAppNotAnOwner"}]}});
        let verdict = TargetVerdict::parse(&not_owner);
        assert_eq!(
            verdict,
            TargetVerdict {
                succeeded: false,
                failures: vec![(G.to_string(), "firstPartyAppNotAnOwner".to_string())]
            }
        );
        assert!(!verdict.group_not_seen_yet());
        let (summary, detail) = refusal(G, "firstPartyAppNotAnOwner");
        assert!(summary.contains("Intune Provisioning Client"));
        assert!(detail.contains("provisioning_client_owner = true"));
        let missing = json!({"validationSucceeded": false,
            "enrollmentTimeDeviceMembershipTargetValidationStatuses": [
                {"targetId": G, "targetValidationErrorCode": "securityGroupNotFound"}]});
        assert!(TargetVerdict::parse(&missing).group_not_seen_yet());
        assert_eq!(retrieved_target(&missing), Some(G.to_string()));
        assert_eq!(
            retrieved_target(
                &json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": G}]})
            ),
            Some(G.to_string())
        );
        assert_eq!(
            retrieved_target(&json!({"validationSucceeded": true})),
            None
        );
    }

    #[test]
    fn allowed_app_values_are_read() {
        assert_eq!(
            allowed_app_id(&format!(
                "{{\"id\":\"{APP}\",\"type\":\"#microsoft.graph.winGetApp\"}}"
            )),
            APP
        );
        assert_eq!(allowed_app_id(APP), APP);
    }
}
