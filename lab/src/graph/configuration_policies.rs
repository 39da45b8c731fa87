//! `/deviceManagement/configurationPolicies` (beta only): Windows Autopilot device preparation
//! policies (settings catalog), with settings validated against the two device preparation
//! templates, PUT updates, `assign`, and the enrollment-time device membership target actions.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::assignments::{self, SOURCE_KIND};
use super::collection::{self, IntuneBackend, Listing, Shape};
use super::schema::{self, ENTITY, Kind, Property, ResolvedType, StructuredType};
use super::{GraphRequest, json_response, method_not_allowed, no_content};
use crate::app::App;
use crate::clock::graph_timestamp;
use crate::errors::GraphError;
use crate::seed::PROVISIONING_CLIENT_APP_ID;
use crate::store::{Collection, Tenant};

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/configurationPolicies";

/// At most this many apps and scripts in a device preparation policy: 25 apps since
/// January 2026 ("What's new in Windows Autopilot device preparation"), scripts still 10.
pub const MAX_APPS: usize = 25;
pub const MAX_SCRIPTS: usize = 10;
/// `enrollment_autopilot_dpp_timeout` range, in minutes.
pub const TIMEOUT_MINUTES: std::ops::RangeInclusive<i64> = 15..=720;

const PLATFORMS: Kind = Kind::Flags(
    "deviceManagementConfigurationPlatforms",
    &[
        "none",
        "android",
        "iOS",
        "macOS",
        "windows10X",
        "windows10",
        "linux",
        "unknownFutureValue",
        "androidEnterprise",
        "aosp",
        "visionOS",
        "tvOS",
    ],
);
const TECHNOLOGIES: Kind = Kind::Flags(
    "deviceManagementConfigurationTechnologies",
    &[
        "none",
        "mdm",
        "windows10XManagement",
        "configManager",
        "intuneManagementExtension",
        "thirdParty",
        "documentGateway",
        "appleRemoteManagement",
        "microsoftSense",
        "exchangeOnline",
        "mobileApplicationManagement",
        "linuxMdm",
        "enrollment",
        "endpointPrivilegeManagement",
        "unknownFutureValue",
        "windowsOsRecovery",
        "android",
    ],
);
const TEMPLATE_FAMILY: Kind = Kind::Enum(
    "deviceManagementConfigurationTemplateFamily",
    &[
        "none",
        "endpointSecurityAntivirus",
        "endpointSecurityDiskEncryption",
        "endpointSecurityFirewall",
        "endpointSecurityEndpointDetectionAndResponse",
        "endpointSecurityAttackSurfaceReduction",
        "endpointSecurityAccountProtection",
        "endpointSecurityApplicationControl",
        "endpointSecurityEndpointPrivilegeManagement",
        "enrollmentConfiguration",
        "appQuietTime",
        "baseline",
        "unknownFutureValue",
        "deviceConfigurationScripts",
        "deviceConfigurationPolicies",
        "windowsOsRecoveryPolicies",
        "companyPortal",
        "windowsRecoveryAndRemediationConfiguration",
    ],
);

pub static TEMPLATE_REFERENCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationPolicyTemplateReference",
    base: None,
    is_abstract: false,
    properties: &[
        Property::read_only("templateDisplayName", Kind::String, true),
        Property::read_only("templateDisplayVersion", Kind::String, true),
        Property::read_only("templateFamily", TEMPLATE_FAMILY, false),
        Property::new("templateId", Kind::String, true),
    ],
    navigations: &[],
};

pub static PRIORITY_META_DATA: StructuredType = StructuredType {
    name: "deviceManagementPriorityMetaData",
    base: None,
    is_abstract: false,
    properties: &[Property::new("priority", Kind::Int32, false)],
    navigations: &[],
};

pub static POLICY: StructuredType = StructuredType {
    name: "deviceManagementConfigurationPolicy",
    base: Some(&ENTITY),
    is_abstract: false,
    properties: &[
        Property::read_only("createdDateTime", Kind::DateTimeOffset, false),
        Property::read_only("creationSource", Kind::String, true),
        Property::new("description", Kind::String, true),
        Property::new("disableEntraGroupPolicyAssignment", Kind::Boolean, false),
        Property::read_only("isAssigned", Kind::Boolean, false),
        Property::read_only("lastModifiedDateTime", Kind::DateTimeOffset, false),
        Property::new("name", Kind::String, true),
        Property::new("platforms", PLATFORMS, false),
        Property::read_only("priorityMetaData", Kind::Object(&PRIORITY_META_DATA), true),
        Property::new("roleScopeTagIds", Kind::StringCollection, true),
        Property::read_only("settingCount", Kind::Int32, false),
        Property::new("technologies", TECHNOLOGIES, false),
        Property::new("templateReference", Kind::Object(&TEMPLATE_REFERENCE), true),
    ],
    navigations: &["assignments", "settings"],
};

pub static POLICY_ASSIGNMENT: StructuredType = StructuredType {
    name: "deviceManagementConfigurationPolicyAssignment",
    base: Some(&ENTITY),
    is_abstract: false,
    properties: &[
        Property::read_only("source", SOURCE_KIND, false),
        Property::read_only("sourceId", Kind::String, true),
        Property::new(
            "target",
            Kind::Complex("deviceAndAppManagementAssignmentTarget"),
            true,
        ),
    ],
    navigations: &[],
};

pub static SETTING: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSetting",
    base: Some(&ENTITY),
    is_abstract: false,
    properties: &[Property::new(
        "settingInstance",
        Kind::Complex("deviceManagementConfigurationSettingInstance"),
        false,
    )],
    navigations: &["settingDefinitions"],
};

pub static INSTANCE_TEMPLATE_REFERENCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSettingInstanceTemplateReference",
    base: None,
    is_abstract: false,
    properties: &[Property::new(
        "settingInstanceTemplateId",
        Kind::String,
        false,
    )],
    navigations: &[],
};

pub static VALUE_TEMPLATE_REFERENCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSettingValueTemplateReference",
    base: None,
    is_abstract: false,
    properties: &[
        Property::new("settingValueTemplateId", Kind::String, false),
        Property::new("useTemplateDefault", Kind::Boolean, false),
    ],
    navigations: &[],
};

pub static SETTING_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSettingInstance",
    base: None,
    is_abstract: true,
    properties: &[
        Property::new("settingDefinitionId", Kind::String, false),
        Property::new(
            "settingInstanceTemplateReference",
            Kind::Object(&INSTANCE_TEMPLATE_REFERENCE),
            true,
        ),
    ],
    navigations: &[],
};

pub static CHOICE_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationChoiceSettingInstance",
    base: Some(&SETTING_INSTANCE),
    is_abstract: false,
    properties: &[Property::new(
        "choiceSettingValue",
        Kind::Complex("deviceManagementConfigurationChoiceSettingValue"),
        false,
    )],
    navigations: &[],
};

pub static CHOICE_COLLECTION_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationChoiceSettingCollectionInstance",
    base: Some(&SETTING_INSTANCE),
    is_abstract: false,
    properties: &[Property::new(
        "choiceSettingCollectionValue",
        Kind::ComplexCollection("deviceManagementConfigurationChoiceSettingValue"),
        false,
    )],
    navigations: &[],
};

pub static SIMPLE_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSimpleSettingInstance",
    base: Some(&SETTING_INSTANCE),
    is_abstract: false,
    properties: &[Property::new(
        "simpleSettingValue",
        Kind::Complex("deviceManagementConfigurationSimpleSettingValue"),
        false,
    )],
    navigations: &[],
};

pub static SIMPLE_COLLECTION_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSimpleSettingCollectionInstance",
    base: Some(&SETTING_INSTANCE),
    is_abstract: false,
    properties: &[Property::new(
        "simpleSettingCollectionValue",
        Kind::ComplexCollection("deviceManagementConfigurationSimpleSettingValue"),
        false,
    )],
    navigations: &[],
};

pub static GROUP_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationGroupSettingInstance",
    base: Some(&SETTING_INSTANCE),
    is_abstract: false,
    properties: &[Property::new(
        "groupSettingValue",
        Kind::Complex("deviceManagementConfigurationGroupSettingValue"),
        false,
    )],
    navigations: &[],
};

pub static GROUP_COLLECTION_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationGroupSettingCollectionInstance",
    base: Some(&SETTING_INSTANCE),
    is_abstract: false,
    properties: &[Property::new(
        "groupSettingCollectionValue",
        Kind::ComplexCollection("deviceManagementConfigurationGroupSettingValue"),
        false,
    )],
    navigations: &[],
};

pub static INSTANCE_TYPES: &[&StructuredType] = &[
    &CHOICE_INSTANCE,
    &CHOICE_COLLECTION_INSTANCE,
    &SIMPLE_INSTANCE,
    &SIMPLE_COLLECTION_INSTANCE,
    &GROUP_INSTANCE,
    &GROUP_COLLECTION_INSTANCE,
];

pub static SETTING_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSettingValue",
    base: None,
    is_abstract: true,
    properties: &[Property::new(
        "settingValueTemplateReference",
        Kind::Object(&VALUE_TEMPLATE_REFERENCE),
        true,
    )],
    navigations: &[],
};

pub static CHOICE_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationChoiceSettingValue",
    base: Some(&SETTING_VALUE),
    is_abstract: false,
    properties: &[
        Property::new(
            "children",
            Kind::ComplexCollection("deviceManagementConfigurationSettingInstance"),
            true,
        ),
        Property::new("value", Kind::String, true),
    ],
    navigations: &[],
};

pub static SIMPLE_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSimpleSettingValue",
    base: Some(&SETTING_VALUE),
    is_abstract: true,
    properties: &[],
    navigations: &[],
};

pub static STRING_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationStringSettingValue",
    base: Some(&SIMPLE_VALUE),
    is_abstract: false,
    properties: &[Property::new("value", Kind::String, true)],
    navigations: &[],
};

pub static INTEGER_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationIntegerSettingValue",
    base: Some(&SIMPLE_VALUE),
    is_abstract: false,
    properties: &[Property::new("value", Kind::Int32, false)],
    navigations: &[],
};

pub static SECRET_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSecretSettingValue",
    base: Some(&SIMPLE_VALUE),
    is_abstract: false,
    properties: &[
        Property::new("value", Kind::String, true),
        Property::new(
            "valueState",
            Kind::Enum(
                "deviceManagementConfigurationSecretSettingValueState",
                &["invalid", "notEncrypted", "encryptedValueToken"],
            ),
            false,
        ),
    ],
    navigations: &[],
};

pub static REFERENCE_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationReferenceSettingValue",
    base: Some(&STRING_VALUE),
    is_abstract: false,
    properties: &[Property::new("note", Kind::String, true)],
    navigations: &[],
};

pub static SIMPLE_VALUE_TYPES: &[&StructuredType] = &[
    &STRING_VALUE,
    &INTEGER_VALUE,
    &SECRET_VALUE,
    &REFERENCE_VALUE,
];

/// What a template setting takes.
#[derive(Debug, Clone, Copy)]
enum DefinitionKind {
    /// A choice among `<definitionId>_<option>`.
    Choice(&'static [&'static str]),
    /// An integer in the range.
    Integer(i64, i64),
    /// Free text.
    Text,
    /// Up to [`MAX_APPS`] JSON strings `{"id":"<appId>","type":"#microsoft.graph.<appType>"}`.
    Apps,
    /// Up to [`MAX_SCRIPTS`] script ids.
    Scripts,
}

#[derive(Debug)]
struct Definition {
    id: &'static str,
    kind: DefinitionKind,
    instance_template: &'static str,
    value_template: Option<&'static str>,
}

#[derive(Debug)]
struct Template {
    id: &'static str,
    display_name: &'static str,
    display_version: &'static str,
    definitions: &'static [Definition],
}

const USER_DRIVEN_TEMPLATE_ID: &str = "80d33118-b7b4-40d8-b15f-81be745e053f_1";
const AUTOMATIC_TEMPLATE_ID: &str = "a6157a7f-aa00-42d9-ac82-7d2479f545db_1";
const BINARY_CHOICE: &[&str] = &["0", "1"];

static TEMPLATES: &[Template] = &[
    Template {
        id: USER_DRIVEN_TEMPLATE_ID,
        display_name: "Device Preparation",
        display_version: "Version 1",
        definitions: &[
            Definition {
                id: "enrollment_autopilot_dpp_deploymentmode",
                kind: DefinitionKind::Choice(BINARY_CHOICE),
                instance_template: "5180aeab-886e-4589-97d4-40855c646315",
                value_template: Some("5874c2f6-bcf1-463b-a9eb-bee64e2f2d82"),
            },
            Definition {
                id: "enrollment_autopilot_dpp_deploymenttype",
                kind: DefinitionKind::Choice(BINARY_CHOICE),
                instance_template: "f4184296-fa9f-4b67-8b12-1723b3f8456b",
                value_template: Some("e0af022f-37f3-4a40-916d-1ab7281c88d9"),
            },
            Definition {
                id: "enrollment_autopilot_dpp_jointype",
                kind: DefinitionKind::Choice(&["0"]),
                instance_template: "6310e95d-6cfa-4d2f-aae0-1e7af12e2182",
                value_template: Some("1fa84eb3-fcfa-4ed6-9687-0f3d486402c4"),
            },
            Definition {
                id: "enrollment_autopilot_dpp_accountype",
                kind: DefinitionKind::Choice(BINARY_CHOICE),
                instance_template: "d4f2a840-86d5-4162-9a08-fa8cc608b94e",
                value_template: Some("bf13bb47-69ef-4e06-97c1-50c2859a49c2"),
            },
            Definition {
                id: "enrollment_autopilot_dpp_timeout",
                kind: DefinitionKind::Integer(*TIMEOUT_MINUTES.start(), *TIMEOUT_MINUTES.end()),
                instance_template: "6dec0657-dfb8-4906-a7ee-3ac6ee1edecb",
                value_template: Some("0bbcce5b-a55a-4e05-821a-94bf576d6cc8"),
            },
            Definition {
                id: "enrollment_autopilot_dpp_customerrormessage",
                kind: DefinitionKind::Text,
                instance_template: "2ddf0619-2b7a-46de-b29b-c6191e9dda6e",
                value_template: Some("fe5002d5-fbe9-4920-9e2d-26bfc4b4cc97"),
            },
            Definition {
                id: "enrollment_autopilot_dpp_allowskip",
                kind: DefinitionKind::Choice(BINARY_CHOICE),
                instance_template: "2a71dc89-0f17-4ba9-bb27-af2521d34710",
                value_template: Some("a2323e5e-ac56-4517-8847-b0a6fdb467e7"),
            },
            Definition {
                id: "enrollment_autopilot_dpp_allowdiagnostics",
                kind: DefinitionKind::Choice(BINARY_CHOICE),
                instance_template: "e2b7a81b-f243-4abd-bce3-c1856345f405",
                value_template: Some("c59d26fd-3460-4b26-b47a-f7e202e7d5a3"),
            },
            Definition {
                id: "enrollment_autopilot_dpp_devicesecuritygroupids",
                kind: DefinitionKind::Text,
                instance_template: "a46a50ab-3076-4968-9366-75a40dde950e",
                value_template: Some("5f7d09e1-1a90-44ad-9c9f-ad90ba509e60"),
            },
            Definition {
                id: "enrollment_autopilot_dpp_allowedappids",
                kind: DefinitionKind::Apps,
                instance_template: "70d22a8a-a03c-4f62-b8df-dded3e327639",
                value_template: None,
            },
            Definition {
                id: "enrollment_autopilot_dpp_allowedscriptids",
                kind: DefinitionKind::Scripts,
                instance_template: "1bc67702-800c-4271-8fd9-609351cc19cf",
                value_template: None,
            },
        ],
    },
    Template {
        id: AUTOMATIC_TEMPLATE_ID,
        display_name: "Device Preparation - Automatic",
        display_version: "Version 1",
        definitions: &[
            Definition {
                id: "enrollment_autopilot_dpp_allowedappids",
                kind: DefinitionKind::Apps,
                instance_template: "a9dedfd6-c3b2-46d9-ae39-91fd0dcb7a20",
                value_template: None,
            },
            Definition {
                id: "enrollment_autopilot_dpp_allowedscriptids",
                kind: DefinitionKind::Scripts,
                instance_template: "ff20a4a9-a2f4-4a2e-84e0-4cd1dc9bed31",
                value_template: None,
            },
        ],
    },
];

/// Target types a policy can be assigned to.
const SUPPORTED_TARGETS: &[&StructuredType] = &[
    &assignments::GROUP_TARGET,
    &assignments::EXCLUSION_GROUP_TARGET,
    &assignments::ALL_DEVICES_TARGET,
    &assignments::ALL_LICENSED_USERS_TARGET,
];

/// The Intune backend behind the collection, named in wrapped errors.
static INTUNE: IntuneBackend = IntuneBackend {
    path: "DeviceConfigV2/DeviceConfigV2FEService/deviceManagement/configurationPolicies",
};

fn policies(tenant: &Tenant) -> &Collection {
    &tenant.configuration_policies
}

fn policy_assignments(tenant: &Tenant) -> &Collection {
    &tenant.configuration_policy_assignments
}

/// The `assignments` navigation of a policy (read-only: `assign` writes it).
static ASSIGNMENTS: assignments::Navigation = assignments::Navigation {
    collection_path: COLLECTION_PATH,
    listing_name: "configurationPolicies",
    assignment_type: &POLICY_ASSIGNMENT,
    targets: SUPPORTED_TARGETS,
    parents: policies,
    assignments: policy_assignments,
    backend: &INTUNE,
};

/// Routes the segments after `configurationPolicies`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> Result<Response, GraphError> {
    let method = &request.method;
    let is = |segment: &String, name: &str| {
        segment.eq_ignore_ascii_case(name)
            || segment.eq_ignore_ascii_case(&format!("microsoft.graph.{name}"))
    };
    match rest {
        [] => by_method!(method,
            GET => list(app, request),
            POST => create(app, request),
        ),
        [id] => by_method!(method,
            GET => get(app, request, id),
            PUT => replace(app, request, id),
            PATCH => patch(app, request, id),
            DELETE => delete(app, id),
        ),
        [id, action] if is(action, "assign") => by_method!(method,
            POST => assign(app, request, id),
        ),
        [id, action] if is(action, "setEnrollmentTimeDeviceMembershipTarget") => by_method!(method,
            POST => set_membership_target(app, request, id),
        ),
        [id, action] if is(action, "retrieveEnrollmentTimeDeviceMembershipTarget") => match *method
        {
            Method::POST => retrieve_membership_target(app, request, id),
            _ => Err(method_not_allowed(&["POST"])),
        },
        [id, action] if is(action, "clearEnrollmentTimeDeviceMembershipTarget") => {
            by_method!(method,
                POST => clear_membership_target(app, request, id),
            )
        }
        [id, nav] if nav.eq_ignore_ascii_case("settings") => by_method!(method,
            GET => list_settings(app, request, id),
        ),
        [id, nav] if nav.eq_ignore_ascii_case("assignments") => by_method!(method,
            GET => ASSIGNMENTS.list(app, request, id),
        ),
        [id, nav, assignment_id] if nav.eq_ignore_ascii_case("assignments") => by_method!(method,
            GET => ASSIGNMENTS.get(app, request, id, assignment_id),
        ),
        [_, nav, _, extra, ..] if nav.eq_ignore_ascii_case("assignments") => {
            Err(GraphError::segment_not_found(extra))
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// The policy as the wire shows it: `settings` (kept inline) only with `$expand=settings`.
fn render(app: &App, request: &GraphRequest, object: &Value, shape: &Shape) -> Value {
    if !shape.expands("settings") {
        return collection::without(object.clone(), &["settings"]);
    }
    let mut out = object.clone();
    let id = collection::str_of(object, "id").to_owned();
    if let Some(map) = out.as_object_mut() {
        let settings = map.remove("settings").unwrap_or(json!([]));
        map.insert(
            "settings@odata.context".into(),
            json!(super::odata::context_url(
                &app.graph_url,
                request.version,
                &format!("{COLLECTION_PATH}('{id}')/settings")
            )),
        );
        map.insert("settings".into(), settings);
    }
    out
}

fn list(app: &App, request: &GraphRequest) -> Result<Response, GraphError> {
    let listing = Listing {
        expandable: &["settings"],
        ..Listing::plain("configurationPolicies", COLLECTION_PATH.to_owned(), &POLICY)
    };
    collection::list(
        app,
        request,
        &listing,
        policies,
        |_, _| true,
        |_, object, shape| render(app, request, object, shape),
    )
}

fn get(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let shape = Shape::parse(request, &POLICY, &[], &["settings"])?;
    let object = app
        .store
        .read(|tenant| tenant.configuration_policies.get(id).cloned())
        .ok_or_else(|| INTUNE.not_found(id))?;
    let object = render(app, request, &object, &shape);
    Ok(collection::entity_response(
        app,
        request,
        StatusCode::OK,
        &format!("{COLLECTION_PATH}/$entity"),
        super::odata::apply_select(&object, shape.select.as_deref()),
    ))
}

fn template(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.id.eq_ignore_ascii_case(id))
}

/// The `@odata.type` of a nested value, resolved among `known` (required when `base` is
/// abstract).
fn nested_type(
    value: &Map<String, Value>,
    base: &'static StructuredType,
    known: &[&'static StructuredType],
) -> Result<&'static StructuredType, GraphError> {
    match schema::resolve_type(value, base, known)? {
        ResolvedType::Derived(ty) => Ok(ty),
        ResolvedType::Absent | ResolvedType::Base if !base.is_abstract => Ok(base),
        _ => Err(schema::abstract_type_error()),
    }
}

/// Checks the template reference and the value template of one value.
fn value_template_reference(
    value: &Map<String, Value>,
    definition: &Definition,
    url: &str,
) -> Result<Option<Value>, GraphError> {
    let given = value
        .get("settingValueTemplateReference")
        .and_then(Value::as_object);
    match (definition.value_template, given) {
        (Some(expected), Some(reference)) => {
            let id = reference
                .get("settingValueTemplateId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !id.eq_ignore_ascii_case(expected) {
                return Err(GraphError::intune_bad_request(
                    format!(
                        "Setting '{}': settingValueTemplateId '{id}' does not match the template ('{expected}').",
                        definition.id
                    ),
                    url,
                ));
            }
            Ok(Some(json!({
                "settingValueTemplateId": expected,
                "useTemplateDefault": reference.get("useTemplateDefault").cloned().unwrap_or(json!(false)),
            })))
        }
        (Some(expected), None) => Ok(Some(json!({
            "settingValueTemplateId": expected,
            "useTemplateDefault": false,
        }))),
        (None, Some(_)) => Err(GraphError::intune_bad_request(
            format!("Setting '{}' has no value template.", definition.id),
            url,
        )),
        (None, None) => Ok(None),
    }
}

/// Validates one simple value of `expected` type and returns it normalised.
fn simple_value(
    value: &Value,
    expected: &'static StructuredType,
    definition: &Definition,
    url: &str,
) -> Result<Map<String, Value>, GraphError> {
    let Some(map) = value.as_object() else {
        return Err(schema::conversion_error(value, &SIMPLE_VALUE.qualified()));
    };
    let ty = nested_type(map, &SIMPLE_VALUE, SIMPLE_VALUE_TYPES)?;
    schema::validate_properties(ty, map)?;
    if !ty.is_a(expected) {
        return Err(GraphError::intune_bad_request(
            format!(
                "Setting '{}' takes a {} value, not {}.",
                definition.id, expected.name, ty.name
            ),
            url,
        ));
    }
    let mut out = Map::new();
    out.insert("@odata.type".into(), json!(ty.odata_type()));
    if let Some(reference) = value_template_reference(map, definition, url)? {
        out.insert("settingValueTemplateReference".into(), reference);
    }
    out.insert(
        "value".into(),
        map.get("value").cloned().unwrap_or(Value::Null),
    );
    Ok(out)
}

/// Validates one setting against the template and returns it normalised (`id` = its index).
fn validate_setting(
    tenant: &Tenant,
    template: &Template,
    index: usize,
    item: &Value,
    url: &str,
) -> Result<(String, Value), GraphError> {
    let Some(setting) = item.as_object() else {
        return Err(schema::conversion_error(item, &SETTING.qualified()));
    };
    nested_type(setting, &SETTING, &[])?;
    schema::validate_properties(&SETTING, setting)?;
    let instance_value = setting.get("settingInstance").unwrap_or(&Value::Null);
    schema::check_value(&SETTING.properties[0], instance_value)?;
    let Some(instance) = instance_value.as_object() else {
        return Err(schema::conversion_error(
            instance_value,
            &SETTING_INSTANCE.qualified(),
        ));
    };
    let instance_type = nested_type(instance, &SETTING_INSTANCE, INSTANCE_TYPES)?;
    schema::validate_properties(instance_type, instance)?;
    let definition_id = instance
        .get("settingDefinitionId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(definition) = template
        .definitions
        .iter()
        .find(|d| d.id.eq_ignore_ascii_case(definition_id))
    else {
        return Err(GraphError::intune_bad_request(
            format!(
                "Setting definition '{definition_id}' is not part of template '{}'.",
                template.id
            ),
            url,
        ));
    };
    if let Some(reference) = instance
        .get("settingInstanceTemplateReference")
        .and_then(Value::as_object)
    {
        let id = reference
            .get("settingInstanceTemplateId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !id.eq_ignore_ascii_case(definition.instance_template) {
            return Err(GraphError::intune_bad_request(
                format!(
                    "Setting '{}': settingInstanceTemplateId '{id}' does not match the template ('{}').",
                    definition.id, definition.instance_template
                ),
                url,
            ));
        }
    }
    let expected_instance: &'static StructuredType = match definition.kind {
        DefinitionKind::Choice(_) => &CHOICE_INSTANCE,
        DefinitionKind::Integer(..) | DefinitionKind::Text => &SIMPLE_INSTANCE,
        DefinitionKind::Apps | DefinitionKind::Scripts => &SIMPLE_COLLECTION_INSTANCE,
    };
    if instance_type != expected_instance {
        return Err(GraphError::intune_bad_request(
            format!(
                "Setting '{}' must be a {}, not a {}.",
                definition.id, expected_instance.name, instance_type.name
            ),
            url,
        ));
    }
    let mut normalised = Map::new();
    normalised.insert("@odata.type".into(), json!(instance_type.odata_type()));
    normalised.insert("settingDefinitionId".into(), json!(definition.id));
    normalised.insert(
        "settingInstanceTemplateReference".into(),
        json!({"settingInstanceTemplateId": definition.instance_template}),
    );
    match definition.kind {
        DefinitionKind::Choice(options) => {
            let raw = instance.get("choiceSettingValue").unwrap_or(&Value::Null);
            let Some(choice) = raw.as_object() else {
                return Err(schema::conversion_error(raw, &CHOICE_VALUE.qualified()));
            };
            nested_type(choice, &CHOICE_VALUE, &[])?;
            schema::validate_properties(&CHOICE_VALUE, choice)?;
            let picked = choice
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let valid = options
                .iter()
                .any(|o| picked.eq_ignore_ascii_case(&format!("{}_{o}", definition.id)));
            if !valid {
                let allowed: Vec<String> = options
                    .iter()
                    .map(|o| format!("{}_{o}", definition.id))
                    .collect();
                return Err(GraphError::intune_bad_request(
                    format!(
                        "Setting '{}': '{picked}' is not one of {}.",
                        definition.id,
                        allowed.join(", ")
                    ),
                    url,
                ));
            }
            if choice
                .get("children")
                .and_then(Value::as_array)
                .is_some_and(|c| !c.is_empty())
            {
                return Err(GraphError::intune_bad_request(
                    format!("Setting '{}' has no child settings.", definition.id),
                    url,
                ));
            }
            let mut value = Map::new();
            value.insert("@odata.type".into(), json!(CHOICE_VALUE.odata_type()));
            if let Some(reference) = value_template_reference(choice, definition, url)? {
                value.insert("settingValueTemplateReference".into(), reference);
            }
            value.insert("value".into(), json!(picked.to_ascii_lowercase()));
            value.insert("children".into(), json!([]));
            normalised.insert("choiceSettingValue".into(), Value::Object(value));
        }
        DefinitionKind::Integer(min, max) => {
            let raw = instance.get("simpleSettingValue").unwrap_or(&Value::Null);
            let value = simple_value(raw, &INTEGER_VALUE, definition, url)?;
            let number = value.get("value").and_then(Value::as_i64).unwrap_or(0);
            if !(min..=max).contains(&number) {
                return Err(GraphError::intune_bad_request(
                    format!(
                        "Setting '{}' must be between {min} and {max} (was {number}).",
                        definition.id
                    ),
                    url,
                ));
            }
            normalised.insert("simpleSettingValue".into(), Value::Object(value));
        }
        DefinitionKind::Text => {
            let raw = instance.get("simpleSettingValue").unwrap_or(&Value::Null);
            let value = simple_value(raw, &STRING_VALUE, definition, url)?;
            normalised.insert("simpleSettingValue".into(), Value::Object(value));
        }
        DefinitionKind::Apps | DefinitionKind::Scripts => {
            let raw = instance
                .get("simpleSettingCollectionValue")
                .unwrap_or(&Value::Null);
            let Some(items) = raw.as_array() else {
                return Err(schema::conversion_error(
                    raw,
                    &format!("Collection({})", SIMPLE_VALUE.qualified()),
                ));
            };
            let (limit, what) = match definition.kind {
                DefinitionKind::Apps => (MAX_APPS, "apps"),
                _ => (MAX_SCRIPTS, "scripts"),
            };
            if items.len() > limit {
                return Err(GraphError::intune_bad_request(
                    format!(
                        "Setting '{}' allows at most {limit} {what} ({} given).",
                        definition.id,
                        items.len()
                    ),
                    url,
                ));
            }
            let mut values = Vec::with_capacity(items.len());
            let mut seen: Vec<String> = Vec::new();
            for item in items {
                let value = simple_value(item, &STRING_VALUE, definition, url)?;
                let text = value
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let key = match definition.kind {
                    DefinitionKind::Apps => check_app_reference(tenant, text, url)?,
                    _ => check_script_reference(tenant, text, url)?,
                };
                if seen.contains(&key) {
                    return Err(GraphError::intune_bad_request(
                        format!("Setting '{}' lists '{key}' twice.", definition.id),
                        url,
                    ));
                }
                seen.push(key);
                values.push(Value::Object(value));
            }
            normalised.insert("simpleSettingCollectionValue".into(), Value::Array(values));
        }
    }
    Ok((
        definition.id.to_owned(),
        json!({"id": index.to_string(), "settingInstance": normalised}),
    ))
}

/// `{"id":"<appId>","type":"#microsoft.graph.<appType>"}` naming a mobile app of that type.
fn check_app_reference(tenant: &Tenant, text: &str, url: &str) -> Result<String, GraphError> {
    let parsed: Option<Map<String, Value>> = serde_json::from_str(text).ok();
    let (Some(id), Some(kind)) = (
        parsed
            .as_ref()
            .and_then(|m| m.get("id"))
            .and_then(Value::as_str),
        parsed
            .as_ref()
            .and_then(|m| m.get("type"))
            .and_then(Value::as_str),
    ) else {
        return Err(GraphError::intune_bad_request(
            format!(
                "Allowed app '{text}' must be a JSON string {{\"id\":\"<appId>\",\"type\":\"#microsoft.graph.<appType>\"}}."
            ),
            url,
        ));
    };
    let Some(app) = tenant.mobile_apps.get(id) else {
        return Err(GraphError::intune_bad_request(
            format!("Allowed app '{id}' does not exist."),
            url,
        ));
    };
    let actual = collection::str_of(app, "@odata.type");
    if !actual.eq_ignore_ascii_case(kind) {
        return Err(GraphError::intune_bad_request(
            format!("Allowed app '{id}' is a {actual}, not a {kind}."),
            url,
        ));
    }
    Ok(id.to_ascii_lowercase())
}

fn check_script_reference(tenant: &Tenant, text: &str, url: &str) -> Result<String, GraphError> {
    if !tenant.device_management_scripts.contains(text) {
        return Err(GraphError::intune_bad_request(
            format!("Allowed script '{text}' does not exist."),
            url,
        ));
    }
    Ok(text.to_ascii_lowercase())
}

/// The validated, normalised policy parts of a POST or PUT body.
struct PolicyBody {
    given: Map<String, Value>,
    template: &'static Template,
    settings: Vec<Value>,
}

fn parse_policy(
    tenant: &Tenant,
    body: &Map<String, Value>,
    url: &str,
) -> Result<PolicyBody, GraphError> {
    if let Some(annotation) = body.get("@odata.type") {
        schema::resolve_type(body, &POLICY, &[])?;
        let _ = annotation;
    }
    let mut properties = body.clone();
    let settings_value = properties.remove("settings");
    properties.remove("assignments").map_or(Ok(()), |_| {
        Err(GraphError::bad_request(
            "autopilot-lab does not support deep insert of 'assignments'; use assign.",
        ))
    })?;
    let given = schema::validate_properties(&POLICY, &properties)?;
    if given
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(|n| n.trim().is_empty())
    {
        return Err(GraphError::intune_bad_request("name is required.", url));
    }
    let template_id = given
        .get("templateReference")
        .and_then(|t| t.get("templateId"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(template) = template(template_id) else {
        return Err(GraphError::intune_bad_request(
            format!(
                "Template '{template_id}' is not known. autopilot-lab models the device preparation templates {USER_DRIVEN_TEMPLATE_ID} (user-driven) and {AUTOMATIC_TEMPLATE_ID} (automatic)."
            ),
            url,
        ));
    };
    for (name, wanted) in [("platforms", "windows10"), ("technologies", "enrollment")] {
        let actual = given.get(name).and_then(Value::as_str).unwrap_or("none");
        if actual != wanted {
            return Err(GraphError::intune_bad_request(
                format!(
                    "{name} must be '{wanted}' for template '{}' (was '{actual}').",
                    template.id
                ),
                url,
            ));
        }
    }
    let items: &[Value] = match &settings_value {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(schema::conversion_error(
                other,
                &format!("Collection({})", SETTING.qualified()),
            ));
        }
    };
    let mut settings = Vec::with_capacity(items.len());
    let mut seen: Vec<String> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let (definition, setting) = validate_setting(tenant, template, index, item, url)?;
        if seen.contains(&definition) {
            return Err(GraphError::intune_bad_request(
                format!("Setting '{definition}' appears more than once."),
                url,
            ));
        }
        seen.push(definition);
        settings.push(setting);
    }
    Ok(PolicyBody {
        given,
        template,
        settings,
    })
}

fn template_reference(template: &Template) -> Value {
    json!({
        "templateId": template.id,
        "templateFamily": "enrollmentConfiguration",
        "templateDisplayName": template.display_name,
        "templateDisplayVersion": template.display_version,
    })
}

fn create(app: &App, request: &GraphRequest) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    let url = INTUNE.url(None, None);
    let id = Uuid::new_v4().to_string();
    let now = graph_timestamp(app.clock.now());
    let object = app.store.write(|tenant| {
        let parsed = parse_policy(tenant, &body, &url)?;
        let given = &parsed.given;
        let priority = tenant.configuration_policies.len() + 1;
        let object = json!({
            "id": id,
            "name": given.get("name").cloned().unwrap_or(Value::Null),
            "description": given.get("description").cloned().unwrap_or(json!("")),
            "platforms": "windows10",
            "technologies": "enrollment",
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "settingCount": parsed.settings.len(),
            "creationSource": null,
            "roleScopeTagIds": given.get("roleScopeTagIds").filter(|v| !v.is_null()).cloned().unwrap_or(json!(["0"])),
            "isAssigned": false,
            "disableEntraGroupPolicyAssignment": given.get("disableEntraGroupPolicyAssignment").cloned().unwrap_or(json!(false)),
            "templateReference": template_reference(parsed.template),
            "priorityMetaData": {"priority": priority},
            "settings": parsed.settings,
        });
        tenant
            .configuration_policies
            .insert(id.clone(), object.clone());
        Ok::<_, GraphError>(object)
    })?;
    tracing::info!(%id, "configuration policy created");
    // The create response has neither settings nor isAssigned nor
    // disableEntraGroupPolicyAssignment (portal capture).
    let shown = collection::without(
        object,
        &[
            "settings",
            "isAssigned",
            "disableEntraGroupPolicyAssignment",
        ],
    );
    Ok(collection::created_response(
        app,
        request,
        &format!("{COLLECTION_PATH}/$entity"),
        &format!("{COLLECTION_PATH}('{id}')"),
        shown,
    ))
}

/// PUT: the full policy again; the settings are replaced. The template cannot change.
fn replace(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    let url = INTUNE.url(Some(id), None);
    let now = graph_timestamp(app.clock.now());
    app.store.write(|tenant| {
        let existing = tenant
            .configuration_policies
            .get(id)
            .cloned()
            .ok_or_else(|| INTUNE.not_found(id))?;
        let parsed = parse_policy(tenant, &body, &url)?;
        let existing_template = existing
            .get("templateReference")
            .and_then(|t| t.get("templateId"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !existing_template.eq_ignore_ascii_case(parsed.template.id) {
            return Err(GraphError::intune_bad_request(
                format!(
                    "The template of a policy cannot change (was '{existing_template}', now '{}').",
                    parsed.template.id
                ),
                url.clone(),
            ));
        }
        let mut merged = existing.as_object().cloned().unwrap_or_default();
        let given = parsed.given;
        merged.insert(
            "name".into(),
            given.get("name").cloned().unwrap_or(Value::Null),
        );
        merged.insert(
            "description".into(),
            given.get("description").cloned().unwrap_or(json!("")),
        );
        merged.insert(
            "roleScopeTagIds".into(),
            given
                .get("roleScopeTagIds")
                .filter(|v| !v.is_null())
                .cloned()
                .unwrap_or(json!(["0"])),
        );
        if let Some(flag) = given.get("disableEntraGroupPolicyAssignment") {
            merged.insert("disableEntraGroupPolicyAssignment".into(), flag.clone());
        }
        merged.insert("settingCount".into(), json!(parsed.settings.len()));
        merged.insert("settings".into(), Value::Array(parsed.settings));
        merged.insert("lastModifiedDateTime".into(), json!(now));
        tenant
            .configuration_policies
            .insert(id.to_owned(), Value::Object(merged));
        Ok(())
    })?;
    tracing::info!(%id, "configuration policy replaced");
    Ok(no_content())
}

/// PATCH: name, description, scope tags and the Entra flag only; settings need PUT.
fn patch(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    let url = INTUNE.url(Some(id), None);
    if body.contains_key("settings") {
        return Err(GraphError::intune_bad_request(
            "Settings cannot be changed with PATCH; replace the policy with PUT.",
            url,
        ));
    }
    let given = schema::validate_properties(&POLICY, &body)?;
    for fixed in ["platforms", "technologies", "templateReference"] {
        if given.contains_key(fixed) {
            return Err(GraphError::intune_bad_request(
                format!("{fixed} cannot be changed."),
                url,
            ));
        }
    }
    let now = graph_timestamp(app.clock.now());
    let updated = app.store.write(|tenant| {
        let existing = tenant
            .configuration_policies
            .get(id)
            .cloned()
            .ok_or_else(|| INTUNE.not_found(id))?;
        let mut merged = existing.as_object().cloned().unwrap_or_default();
        merged.extend(given);
        if merged.get("roleScopeTagIds").is_some_and(Value::is_null) {
            merged.insert("roleScopeTagIds".into(), json!(["0"]));
        }
        merged.insert("lastModifiedDateTime".into(), json!(now));
        let merged = Value::Object(merged);
        tenant
            .configuration_policies
            .insert(id.to_owned(), merged.clone());
        Ok::<_, GraphError>(merged)
    })?;
    Ok(collection::patched_response(
        app,
        request,
        &format!("{COLLECTION_PATH}/$entity"),
        collection::without(updated, &["settings"]),
    ))
}

fn delete(app: &App, id: &str) -> Result<Response, GraphError> {
    app.store.write(|tenant| {
        tenant
            .configuration_policies
            .remove(id)
            .ok_or_else(|| INTUNE.not_found(id))?;
        assignments::remove_all(&mut tenant.configuration_policy_assignments, id);
        tenant.lab.enrollment_time_targets.remove(id);
        Ok::<_, GraphError>(())
    })?;
    tracing::info!(%id, "configuration policy deleted");
    Ok(no_content())
}

fn list_settings(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let settings = app
        .store
        .read(|tenant| {
            tenant
                .configuration_policies
                .get(id)
                .map(|p| p.get("settings").cloned().unwrap_or(json!([])))
        })
        .ok_or_else(|| INTUNE.not_found(id))?;
    // Page through the inline settings with the generic listing.
    let mut inline = Collection::default();
    for setting in settings.as_array().into_iter().flatten() {
        inline.insert(
            collection::str_of(setting, "id").to_owned(),
            setting.clone(),
        );
    }
    let sizes = app.settings.get().page_size("configurationPolicySettings");
    let page_size = request.query.top.unwrap_or(sizes.default).min(sizes.max);
    let after = request
        .query
        .skiptoken
        .as_deref()
        .map(super::odata::decode_skiptoken)
        .transpose()?;
    if request.query.filter.is_some() || request.query.select.is_some() {
        return Err(GraphError::bad_request(
            "autopilot-lab does not support $filter or $select on settings.",
        ));
    }
    let page = super::odata::paginate(inline.values_with_cursor(), after, page_size);
    let path = format!("{COLLECTION_PATH}('{id}')/settings");
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(super::odata::context_url(
            &app.graph_url,
            request.version,
            &path
        )),
    );
    if let Some(cursor) = page.next_cursor {
        body.insert(
            "@odata.nextLink".into(),
            json!(super::odata::next_link(
                &app.graph_url,
                request.version,
                &path,
                &request.query,
                cursor
            )),
        );
    }
    body.insert(
        "value".into(),
        Value::Array(page.items.into_iter().cloned().collect()),
    );
    Ok(json_response(StatusCode::OK, &Value::Object(body)))
}

fn assign(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    let url = INTUNE.url(Some(id), Some("assign"));
    let built = ASSIGNMENTS.assign_list(&body, "assignments", id, &url)?;
    app.store.write(|tenant| {
        let Some(Value::Object(policy)) = tenant.configuration_policies.get_mut(id) else {
            return Err(INTUNE.not_found(id));
        };
        policy.insert("isAssigned".into(), json!(!built.is_empty()));
        assignments::replace(&mut tenant.configuration_policy_assignments, id, &built);
        Ok(())
    })?;
    tracing::info!(%id, count = built.len(), "configuration policy assigned");
    Ok(collection::values_response(
        app,
        request,
        "Collection(microsoft.graph.deviceManagementConfigurationPolicyAssignment)",
        built,
    ))
}

// ---------------------------------------------------------------------------------------------
// Enrollment-time device membership target

/// Why a device group cannot be the enrollment-time target, if it cannot.
fn target_problem(app: &App, tenant: &Tenant, group_id: &str) -> Option<&'static str> {
    let Some(group) = tenant.groups.get(group_id) else {
        return Some("securityGroupNotFound");
    };
    if !app.replication.visible(group_id) {
        return Some("securityGroupNotFound");
    }
    if group.get("securityEnabled").and_then(Value::as_bool) != Some(true) {
        return Some("notSecurityGroup");
    }
    let dynamic = group
        .get("groupTypes")
        .and_then(Value::as_array)
        .is_some_and(|types| {
            types.iter().any(|t| {
                t.as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("DynamicMembership"))
            })
        });
    if dynamic {
        return Some("notStaticSecurityGroup");
    }
    // An owner Intune does not see yet (`owner_replication_delay_ms`) does not count.
    let owned = tenant
        .lab
        .group_owners
        .get(group_id)
        .into_iter()
        .flatten()
        .filter(|owner| {
            app.replication
                .visible(&super::directory::owner_replication_key(group_id, owner))
        })
        .filter_map(|owner| tenant.service_principals.get(owner))
        .any(|sp| collection::str_of(sp, "appId").eq_ignore_ascii_case(PROVISIONING_CLIENT_APP_ID));
    if !owned {
        return Some("firstPartyAppNotAnOwner");
    }
    None
}

/// `enrollmentTimeDeviceMembershipTargetResult` for `targets`.
fn validation_result(app: &App, tenant: &Tenant, targets: &[Value]) -> Value {
    let statuses: Vec<Value> = targets
        .iter()
        .map(|target| {
            let id = collection::str_of(target, "targetId");
            match target_problem(app, tenant, id) {
                Some(code) => json!({
                    "targetId": id,
                    "validationSucceeded": false,
                    "targetValidationErrorCode": code,
                }),
                None => json!({
                    "targetId": id,
                    "validationSucceeded": true,
                    "targetValidationErrorCode": null,
                }),
            }
        })
        .collect();
    let succeeded = statuses
        .iter()
        .all(|s| s["validationSucceeded"] == json!(true));
    json!({
        "validationSucceeded": succeeded,
        "enrollmentTimeDeviceMembershipTargetValidationStatuses": statuses,
    })
}

fn result_response(app: &App, request: &GraphRequest, result: Value) -> Response {
    let context = "microsoft.graph.enrollmentTimeDeviceMembershipTargetResult";
    if app.settings.get().complex_action_results_wrapped {
        let mut inner = result;
        if let Some(map) = inner.as_object_mut() {
            map.insert(
                "@odata.type".into(),
                json!("#microsoft.graph.enrollmentTimeDeviceMembershipTargetResult"),
            );
        }
        json_response(
            StatusCode::OK,
            &json!({
                "@odata.context": super::odata::context_url(&app.graph_url, request.version, context),
                "value": inner,
            }),
        )
    } else {
        collection::entity_response(app, request, StatusCode::OK, context, result)
    }
}

fn set_membership_target(
    app: &App,
    request: &GraphRequest,
    id: &str,
) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    assignments::only_parameters(
        &body,
        &["enrollmentTimeDeviceMembershipTargets"],
        "setEnrollmentTimeDeviceMembershipTarget",
    )?;
    let items = assignments::array_parameter(
        &body,
        "enrollmentTimeDeviceMembershipTargets",
        "microsoft.graph.enrollmentTimeDeviceMembershipTarget",
    )?;
    let url = INTUNE.url(Some(id), Some("setEnrollmentTimeDeviceMembershipTarget"));
    if app.settings.get().enrollment_time_target_app_token_fails && request.caller.is_app_only() {
        // Observed (deploymenttheory provider, "Known Issues", 2026-03): the DeviceConfigV2
        // backend answers 500 to application tokens, every time; delegated tokens work.
        tracing::info!(%id, "enrollment-time target refused to an app-only token");
        return Err(GraphError::intune(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "An internal server error has occurred",
            url,
        ));
    }
    let mut targets = Vec::with_capacity(items.len());
    for item in items {
        let Some(map) = item.as_object() else {
            return Err(schema::conversion_error(
                item,
                "microsoft.graph.enrollmentTimeDeviceMembershipTarget",
            ));
        };
        schema::validate_properties(&MEMBERSHIP_TARGET, map)?;
        let target_id = map
            .get("targetId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let target_type = map
            .get("targetType")
            .and_then(Value::as_str)
            .unwrap_or("staticSecurityGroup");
        if target_type != "staticSecurityGroup" {
            return Err(GraphError::intune_bad_request(
                format!("targetType '{target_type}' is not supported."),
                url,
            ));
        }
        if Uuid::parse_str(target_id).is_err() {
            return Err(GraphError::intune_bad_request(
                format!("targetId '{target_id}' is not a group id."),
                url,
            ));
        }
        targets.push(json!({"targetId": target_id, "targetType": "staticSecurityGroup"}));
    }
    let result = app.store.write(|tenant| {
        if !tenant.configuration_policies.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        let result = validation_result(app, tenant, &targets);
        if result["validationSucceeded"] == json!(true) {
            tenant
                .lab
                .enrollment_time_targets
                .insert(id.to_owned(), targets.clone());
        }
        Ok(result)
    })?;
    tracing::info!(%id, succeeded = %result["validationSucceeded"], "enrollment-time membership target set");
    Ok(result_response(app, request, result))
}

fn retrieve_membership_target(
    app: &App,
    request: &GraphRequest,
    id: &str,
) -> Result<Response, GraphError> {
    let result = app.store.read(|tenant| {
        if !tenant.configuration_policies.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        let targets = tenant
            .lab
            .enrollment_time_targets
            .get(id)
            .cloned()
            .unwrap_or_default();
        Ok(validation_result(app, tenant, &targets))
    })?;
    Ok(result_response(app, request, result))
}

fn clear_membership_target(
    app: &App,
    request: &GraphRequest,
    id: &str,
) -> Result<Response, GraphError> {
    let cleared = app.store.write(|tenant| {
        if !tenant.configuration_policies.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        Ok::<_, GraphError>(tenant.lab.enrollment_time_targets.remove(id).is_some())
    })?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "@odata.context": super::odata::context_url(&app.graph_url, request.version, "Edm.Boolean"),
            "value": cleared,
        }),
    ))
}

pub static MEMBERSHIP_TARGET: StructuredType = StructuredType {
    name: "enrollmentTimeDeviceMembershipTarget",
    base: None,
    is_abstract: false,
    properties: &[
        Property::new("targetId", Kind::String, true),
        Property::new(
            "targetType",
            Kind::Enum(
                "enrollmentTimeDeviceMembershipTargetType",
                &["staticSecurityGroup", "unknownFutureValue"],
            ),
            false,
        ),
    ],
    navigations: &[],
};
