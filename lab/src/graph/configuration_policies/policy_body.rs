//! Reading a policy's POST or PUT body: its own properties, its template and its settings,
//! each setting validated against the template.

use serde_json::{Map, Value, json};

use super::templates::*;
use super::types::*;
use crate::errors::GraphError;
use crate::graph::schema;
use crate::store::Tenant;

/// The validated, normalised policy parts of a POST or PUT body.
pub(super) struct PolicyBody {
    pub(super) given: Map<String, Value>,
    pub(super) template: &'static Template,
    pub(super) settings: Vec<Value>,
}

pub(super) fn parse_policy(
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

pub(super) fn template_reference(template: &Template) -> Value {
    json!({
        "templateId": template.id,
        "templateFamily": "enrollmentConfiguration",
        "templateDisplayName": template.display_name,
        "templateDisplayVersion": template.display_version,
    })
}
