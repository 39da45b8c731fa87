//! The Graph side of `autopilot_device_preparation_policy`: the settings
//! catalog policy built from a device preparation template, its settings,
//! the action bodies, and the mapping to and from the model.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tfplugin::Attr;

use super::model::{
    DEFAULT_ERROR_MESSAGE, DEFAULT_TIMEOUT, DeploymentMode, DevicePreparationPolicyModel, JoinType,
    UserAccountType,
};
use crate::graph::GraphError;
use crate::resources::assignments::{
    Assignment, Filter, GROUP, IdSet, Target, Targets, all_users_assignment, has_all_users,
    ids_like_prior, known_ids,
};
use crate::resources::intune::{
    IntunePayload, ReadError, scope_tags_like_prior, scope_tags_to_graph,
};
use crate::resources::settings_catalog::{Setting, Spec};
use crate::resources::string_like_prior;

pub(crate) const COLLECTION: &str = "deviceManagement/configurationPolicies";
pub(super) const MOBILE_APPS: &str = "deviceAppManagement/mobileApps";
pub(super) const SCRIPTS: &str = "deviceManagement/deviceManagementScripts";
pub(super) const USER_DRIVEN_TEMPLATE: &str = "80d33118-b7b4-40d8-b15f-81be745e053f_1";
pub(super) const AUTOMATIC_TEMPLATE: &str = "a6157a7f-aa00-42d9-ac82-7d2479f545db_1";

/// App types device preparation installs: LOB (MSI and AppX), Win32,
/// Store apps through WinGet, Microsoft 365 Apps.
pub(super) const SUPPORTED_APP_TYPES: &[&str] = &[
    "#microsoft.graph.win32LobApp",
    "#microsoft.graph.windowsMobileMSI",
    "#microsoft.graph.windowsUniversalAppX",
    "#microsoft.graph.winGetApp",
    "#microsoft.graph.officeSuiteApp",
    "#microsoft.graph.win32CatalogApp",
];

pub(super) const DEPLOYMENT_MODE: Spec = Spec {
    id: "enrollment_autopilot_dpp_deploymentmode",
    instance: "5180aeab-886e-4589-97d4-40855c646315",
    value: Some("5874c2f6-bcf1-463b-a9eb-bee64e2f2d82"),
};
pub(super) const DEPLOYMENT_TYPE: Spec = Spec {
    id: "enrollment_autopilot_dpp_deploymenttype",
    instance: "f4184296-fa9f-4b67-8b12-1723b3f8456b",
    value: Some("e0af022f-37f3-4a40-916d-1ab7281c88d9"),
};
pub(super) const JOIN_TYPE: Spec = Spec {
    id: "enrollment_autopilot_dpp_jointype",
    instance: "6310e95d-6cfa-4d2f-aae0-1e7af12e2182",
    value: Some("1fa84eb3-fcfa-4ed6-9687-0f3d486402c4"),
};
pub(super) const ACCOUNT_TYPE: Spec = Spec {
    id: "enrollment_autopilot_dpp_accountype",
    instance: "d4f2a840-86d5-4162-9a08-fa8cc608b94e",
    value: Some("bf13bb47-69ef-4e06-97c1-50c2859a49c2"),
};
pub(super) const TIMEOUT: Spec = Spec {
    id: "enrollment_autopilot_dpp_timeout",
    instance: "6dec0657-dfb8-4906-a7ee-3ac6ee1edecb",
    value: Some("0bbcce5b-a55a-4e05-821a-94bf576d6cc8"),
};
pub(super) const ERROR_MESSAGE: Spec = Spec {
    id: "enrollment_autopilot_dpp_customerrormessage",
    instance: "2ddf0619-2b7a-46de-b29b-c6191e9dda6e",
    value: Some("fe5002d5-fbe9-4920-9e2d-26bfc4b4cc97"),
};
pub(super) const ALLOW_SKIP: Spec = Spec {
    id: "enrollment_autopilot_dpp_allowskip",
    instance: "2a71dc89-0f17-4ba9-bb27-af2521d34710",
    value: Some("a2323e5e-ac56-4517-8847-b0a6fdb467e7"),
};
pub(super) const ALLOW_DIAGNOSTICS: Spec = Spec {
    id: "enrollment_autopilot_dpp_allowdiagnostics",
    instance: "e2b7a81b-f243-4abd-bce3-c1856345f405",
    value: Some("c59d26fd-3460-4b26-b47a-f7e202e7d5a3"),
};
pub(super) const DEVICE_GROUPS: Spec = Spec {
    id: "enrollment_autopilot_dpp_devicesecuritygroupids",
    instance: "a46a50ab-3076-4968-9366-75a40dde950e",
    value: Some("5f7d09e1-1a90-44ad-9c9f-ad90ba509e60"),
};
pub(super) const APPS_USER_DRIVEN: Spec = Spec {
    id: "enrollment_autopilot_dpp_allowedappids",
    instance: "70d22a8a-a03c-4f62-b8df-dded3e327639",
    value: None,
};
pub(super) const APPS_AUTOMATIC: Spec = Spec {
    id: "enrollment_autopilot_dpp_allowedappids",
    instance: "a9dedfd6-c3b2-46d9-ae39-91fd0dcb7a20",
    value: None,
};
pub(super) const SCRIPTS_USER_DRIVEN: Spec = Spec {
    id: "enrollment_autopilot_dpp_allowedscriptids",
    instance: "1bc67702-800c-4271-8fd9-609351cc19cf",
    value: None,
};
pub(super) const SCRIPTS_AUTOMATIC: Spec = Spec {
    id: "enrollment_autopilot_dpp_allowedscriptids",
    instance: "ff20a4a9-a2f4-4a2e-84e0-4cd1dc9bed31",
    value: None,
};

/// Whether a configuration policy built from `template_id` is a device
/// preparation policy (either template).
pub(crate) fn is_device_preparation_template(template_id: &str) -> bool {
    DeploymentMode::from_template(template_id).is_some()
}

impl DeploymentMode {
    pub(super) fn template(self) -> &'static str {
        match self {
            DeploymentMode::UserDriven => USER_DRIVEN_TEMPLATE,
            DeploymentMode::Automatic => AUTOMATIC_TEMPLATE,
        }
    }

    pub(super) fn from_template(template: &str) -> Option<Self> {
        if template.eq_ignore_ascii_case(USER_DRIVEN_TEMPLATE) {
            Some(DeploymentMode::UserDriven)
        } else if template.eq_ignore_ascii_case(AUTOMATIC_TEMPLATE) {
            Some(DeploymentMode::Automatic)
        } else {
            None
        }
    }
}

/// A configuration policy as Graph carries it (this crate's own reading).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Policy {
    #[serde(default, skip_serializing)]
    pub(super) id: Option<String>,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) platforms: Option<String>,
    #[serde(default)]
    pub(super) technologies: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) role_scope_tag_ids: Option<Vec<String>>,
    #[serde(default)]
    pub(super) template_reference: Option<TemplateReference>,
    /// Sent only: a policy's settings are read from its `settings` collection.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub(super) settings: Option<Vec<Setting>>,
    #[serde(default, skip_serializing)]
    #[schemars(skip)]
    pub(super) priority_meta_data: Option<PriorityMetaData>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct TemplateReference {
    #[schemars(extend("enum" = [USER_DRIVEN_TEMPLATE, AUTOMATIC_TEMPLATE]))]
    pub(super) template_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct PriorityMetaData {
    #[serde(default)]
    pub(super) priority: Option<i64>,
}

/// An allowed app as the settings catalog stores it: a JSON document in a
/// string value.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct AllowedApp {
    pub(super) id: String,
    #[serde(rename = "type")]
    pub(super) odata_type: String,
}

#[derive(Deserialize)]
pub(super) struct MobileApp {
    #[serde(rename = "@odata.type", default)]
    pub(super) odata_type: String,
    #[serde(rename = "displayName", default)]
    pub(super) display_name: Option<String>,
}

/// Whom a user-driven policy is assigned to: user groups, and all
/// licensed users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UserTargets {
    pub(super) groups: BTreeSet<String>,
    pub(super) all_users: bool,
    /// The filter on every one of them.
    pub(super) filter: Option<Filter>,
}

impl UserTargets {
    pub(super) fn of(model: &DevicePreparationPolicyModel) -> Self {
        UserTargets {
            groups: known_ids(&model.include_group_ids).unwrap_or_default(),
            all_users: model.all_users.known().copied().unwrap_or(false),
            filter: Filter::of(&model.assignment_filter_id, &model.assignment_filter_type),
        }
    }

    pub(super) fn from_assignments(assignments: &[Assignment]) -> Self {
        UserTargets {
            groups: Targets::from_assignments(assignments).include,
            all_users: has_all_users(assignments),
            filter: Filter::from_assignments(assignments),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.groups.is_empty() && !self.all_users
    }

    /// The `assign` body: all licensed users first, as the admin center
    /// lists them, then each group, each with the filter.
    pub(super) fn to_assignments(&self) -> Vec<Assignment> {
        let all = self.all_users.then(all_users_assignment);
        let mut assignments: Vec<Assignment> = all
            .into_iter()
            .chain(self.groups.iter().map(|g| Assignment {
                id: None,
                target: Target::new(GROUP, Some(g)),
            }))
            .collect();
        Filter::apply(self.filter.as_ref(), &mut assignments);
        assignments
    }
}

/// The `assign` action: the policy's whole list of (user) assignments.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AssignBody {
    pub(super) assignments: Vec<Assignment>,
}

/// `setEnrollmentTimeDeviceMembershipTarget`: the policy's device group.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MembershipTargets<'a> {
    #[schemars(length(min = 1, max = 1))]
    pub(super) enrollment_time_device_membership_targets: Vec<MembershipTarget<'a>>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct MembershipTarget<'a> {
    #[schemars(extend("const" = STATIC_SECURITY_GROUP))]
    pub(super) target_type: &'static str,
    pub(super) target_id: &'a str,
}

pub(super) const STATIC_SECURITY_GROUP: &str = "staticSecurityGroup";

pub(super) fn yes_no(flag: bool) -> &'static str {
    if flag { "_1" } else { "_0" }
}

/// What the settings of a policy say, by setting definition id.
#[derive(Debug, Default, PartialEq)]
pub(super) struct ReadSettings {
    pub(super) choices: BTreeMap<String, String>,
    pub(super) integers: BTreeMap<String, i64>,
    pub(super) strings: BTreeMap<String, String>,
    pub(super) collections: BTreeMap<String, Vec<String>>,
}

impl ReadSettings {
    /// Reads settings (`deviceManagementConfigurationSetting` objects, or
    /// bare setting instances).
    pub(super) fn parse(settings: &[Value]) -> Self {
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
    pub(super) fn choice(&self, spec: &Spec) -> Option<&str> {
        let value = self.choices.get(spec.id)?;
        value.strip_prefix(spec.id)
    }

    pub(super) fn flag(&self, spec: &Spec) -> Attr<bool> {
        match self.choice(spec) {
            Some("_1") => Attr::Known(true),
            Some("_0") => Attr::Known(false),
            _ => Attr::Null,
        }
    }
}

/// The app id inside an allowed app value (a JSON document, or a bare id).
pub(super) fn allowed_app_id(value: &str) -> String {
    serde_json::from_str::<AllowedApp>(value)
        .map(|a| a.id)
        .unwrap_or_else(|_| value.to_string())
}

impl IntunePayload for Policy {
    fn id(&self) -> Option<String> {
        self.id.clone()
    }

    /// The collection holds every settings catalog policy.
    fn wrong_kind(&self, id: &str) -> Option<ReadError> {
        let template = self
            .template_reference
            .as_ref()
            .map(|t| t.template_id.clone())
            .unwrap_or_default();
        DeploymentMode::from_template(&template).is_none().then(|| {
            ReadError::from(GraphError::Decode {
                path: format!("{COLLECTION}/{id}"),
                reason: format!(
                    "configuration policy {id} is not a device preparation policy (its template is {template:?})"
                ),
            })
        })
    }
}

impl DevicePreparationPolicyModel {
    /// The settings for this policy; `app_types` maps each allowed app id to
    /// its `@odata.type`.
    pub(super) fn settings(&self, app_types: &BTreeMap<String, String>) -> Vec<Setting> {
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

    pub(super) fn to_graph(&self, app_types: &BTreeMap<String, String>) -> Policy {
        Policy {
            id: None,
            name: self.display_name.known().cloned().unwrap_or_default(),
            description: Some(self.description.known().cloned().unwrap_or_default()),
            platforms: Some("windows10".into()),
            technologies: Some("enrollment".into()),
            role_scope_tag_ids: scope_tags_to_graph(&self.role_scope_tag_ids),
            template_reference: Some(TemplateReference {
                template_id: self.mode().template().to_string(),
            }),
            settings: Some(self.settings(app_types)),
            priority_meta_data: None,
        }
    }

    /// The state for what Graph holds: the policy, its settings, its device
    /// group and its assignments. `prior` shapes unset-versus-empty.
    pub(super) fn from_graph(
        policy: Policy,
        settings: &ReadSettings,
        device_group: Option<String>,
        targets: UserTargets,
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
        let (assignment_filter_id, assignment_filter_type) = Filter::to_state(targets.filter);
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
            include_group_ids: ids_like_prior(&prior.include_group_ids, targets.groups),
            all_users: Attr::Known(targets.all_users),
            assignment_filter_id,
            assignment_filter_type,
            role_scope_tag_ids: scope_tags_like_prior(
                policy.role_scope_tag_ids,
                &prior.role_scope_tag_ids,
            ),
            priority: policy.priority_meta_data.and_then(|p| p.priority).into(),
            timeouts: prior.timeouts.clone(),
        }
    }
}
