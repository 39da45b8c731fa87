//! Settings-catalog validation: the two device preparation templates and the checks a policy's
//! settings must pass against them.

use serde_json::{Map, Value, json};

use super::types::*;
use super::{MAX_APPS, MAX_SCRIPTS, TIMEOUT_MINUTES};
use crate::errors::GraphError;
use crate::graph::collection;
use crate::graph::schema::{self, ResolvedType, StructuredType};
use crate::store::Tenant;

/// What a template setting takes.
#[derive(Debug, Clone, Copy)]
pub(super) enum DefinitionKind {
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
pub(super) struct Definition {
    pub(super) id: &'static str,
    pub(super) kind: DefinitionKind,
    pub(super) instance_template: &'static str,
    pub(super) value_template: Option<&'static str>,
}

#[derive(Debug)]
pub(super) struct Template {
    pub(super) id: &'static str,
    pub(super) display_name: &'static str,
    pub(super) display_version: &'static str,
    pub(super) definitions: &'static [Definition],
}

pub(super) const USER_DRIVEN_TEMPLATE_ID: &str = "80d33118-b7b4-40d8-b15f-81be745e053f_1";
pub(super) const AUTOMATIC_TEMPLATE_ID: &str = "a6157a7f-aa00-42d9-ac82-7d2479f545db_1";
pub(super) const BINARY_CHOICE: &[&str] = &["0", "1"];

pub(super) static TEMPLATES: &[Template] = &[
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

pub(super) fn template(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.id.eq_ignore_ascii_case(id))
}

/// The `@odata.type` of a nested value, resolved among `known` (required when `base` is
/// abstract).
pub(super) fn nested_type(
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
pub(super) fn value_template_reference(
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
pub(super) fn simple_value(
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
pub(super) fn validate_setting(
    tenant: &Tenant,
    template: &Template,
    index: usize,
    item: &Value,
    url: &str,
) -> Result<(String, Value), GraphError> {
    let (instance, instance_type) = setting_instance(item)?;
    let definition = template_definition(template, instance, url)?;
    check_instance_type(definition, instance_type, url)?;
    let mut normalised = Map::new();
    normalised.insert("@odata.type".into(), json!(instance_type.odata_type()));
    normalised.insert("settingDefinitionId".into(), json!(definition.id));
    normalised.insert(
        "settingInstanceTemplateReference".into(),
        json!({"settingInstanceTemplateId": definition.instance_template}),
    );
    let (name, value) = match definition.kind {
        DefinitionKind::Choice(options) => (
            "choiceSettingValue",
            choice_value(instance, definition, options, url)?,
        ),
        DefinitionKind::Integer(min, max) => (
            "simpleSettingValue",
            integer_value(instance, definition, min, max, url)?,
        ),
        DefinitionKind::Text => {
            let raw = instance.get("simpleSettingValue").unwrap_or(&Value::Null);
            let value = simple_value(raw, &STRING_VALUE, definition, url)?;
            ("simpleSettingValue", Value::Object(value))
        }
        DefinitionKind::Apps | DefinitionKind::Scripts => (
            "simpleSettingCollectionValue",
            reference_list(tenant, instance, definition, url)?,
        ),
    };
    normalised.insert(name.into(), value);
    Ok((
        definition.id.to_owned(),
        json!({"id": index.to_string(), "settingInstance": normalised}),
    ))
}

/// The `settingInstance` of one setting and its concrete type, both checked against the schema.
fn setting_instance(
    item: &Value,
) -> Result<(&Map<String, Value>, &'static StructuredType), GraphError> {
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
    Ok((instance, instance_type))
}

/// The template's definition of the setting an instance names; its instance template reference,
/// when given, must be the definition's.
fn template_definition<'t>(
    template: &'t Template,
    instance: &Map<String, Value>,
    url: &str,
) -> Result<&'t Definition, GraphError> {
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
    Ok(definition)
}

/// Each kind of setting comes in one instance type.
fn check_instance_type(
    definition: &Definition,
    instance_type: &'static StructuredType,
    url: &str,
) -> Result<(), GraphError> {
    let expected: &'static StructuredType = match definition.kind {
        DefinitionKind::Choice(_) => &CHOICE_INSTANCE,
        DefinitionKind::Integer(..) | DefinitionKind::Text => &SIMPLE_INSTANCE,
        DefinitionKind::Apps | DefinitionKind::Scripts => &SIMPLE_COLLECTION_INSTANCE,
    };
    if instance_type != expected {
        return Err(GraphError::intune_bad_request(
            format!(
                "Setting '{}' must be a {}, not a {}.",
                definition.id, expected.name, instance_type.name
            ),
            url,
        ));
    }
    Ok(())
}

/// A choice setting's `choiceSettingValue`: one of `<definitionId>_<option>`, no children.
fn choice_value(
    instance: &Map<String, Value>,
    definition: &Definition,
    options: &[&str],
    url: &str,
) -> Result<Value, GraphError> {
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
    Ok(Value::Object(value))
}

/// An integer setting's `simpleSettingValue`, within `min..=max`.
fn integer_value(
    instance: &Map<String, Value>,
    definition: &Definition,
    min: i64,
    max: i64,
    url: &str,
) -> Result<Value, GraphError> {
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
    Ok(Value::Object(value))
}

/// The apps or scripts setting's `simpleSettingCollectionValue`: at most the limit, each one an
/// existing app or script, none twice.
fn reference_list(
    tenant: &Tenant,
    instance: &Map<String, Value>,
    definition: &Definition,
    url: &str,
) -> Result<Value, GraphError> {
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
    Ok(Value::Array(values))
}

/// `{"id":"<appId>","type":"#microsoft.graph.<appType>"}` naming a mobile app of that type.
pub(super) fn check_app_reference(
    tenant: &Tenant,
    text: &str,
    url: &str,
) -> Result<String, GraphError> {
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

pub(super) fn check_script_reference(
    tenant: &Tenant,
    text: &str,
    url: &str,
) -> Result<String, GraphError> {
    if !tenant.device_management_scripts.contains(text) {
        return Err(GraphError::intune_bad_request(
            format!("Allowed script '{text}' does not exist."),
            url,
        ));
    }
    Ok(text.to_ascii_lowercase())
}
