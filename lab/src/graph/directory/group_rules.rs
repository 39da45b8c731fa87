//! What the directory checks in a group: required and valid properties, mail nicknames,
//! dynamic membership rules (and which devices a rule selects), owner and member references.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{MAX_GROUP_DISPLAY_NAME, MAX_MAIL_NICKNAME};
use crate::errors::GraphError;
use crate::graph::collection;
use crate::graph::schema::{self, StructuredType};

/// A directory "required" error.
pub(super) fn required(property: &str, resource: &str) -> GraphError {
    GraphError::directory_bad_request(format!(
        "A value is required for property '{property}' of resource '{resource}'."
    ))
}

/// A directory "invalid value" error.
pub(super) fn invalid(property: &str, resource: &str) -> GraphError {
    GraphError::directory_bad_request(format!(
        "Invalid value specified for property '{property}' of resource '{resource}'."
    ))
}

/// Checks a directory payload: unknown properties are `Invalid property`, read-only ones cannot
/// be set, and values must have the declared kind. Returns the properties given.
pub(super) fn directory_properties(
    ty: &'static StructuredType,
    body: &Map<String, Value>,
    allowed_annotations: &[&str],
) -> Result<Map<String, Value>, GraphError> {
    let mut given = Map::new();
    for (name, value) in body {
        if name.starts_with('@') {
            continue;
        }
        if name.contains('@') {
            if allowed_annotations.contains(&name.as_str()) {
                continue;
            }
            return Err(GraphError::directory_bad_request(format!(
                "Invalid property '{name}'."
            )));
        }
        let Some(property) = ty.property(name) else {
            return Err(GraphError::directory_bad_request(format!(
                "Invalid property '{name}'."
            )));
        };
        if property.read_only || name == "id" {
            return Err(GraphError::directory_bad_request(format!(
                "Property '{name}' is read-only and cannot be set."
            )));
        }
        schema::check_value(property, value)?;
        given.insert(name.clone(), value.clone());
    }
    Ok(given)
}

pub(super) fn is_dynamic(group_types: &Value) -> bool {
    group_types.as_array().is_some_and(|types| {
        types.iter().any(|t| {
            t.as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("DynamicMembership"))
        })
    })
}

pub(super) fn is_unified(group_types: &Value) -> bool {
    group_types.as_array().is_some_and(|types| {
        types.iter().any(|t| {
            t.as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("Unified"))
        })
    })
}

/// `mailNickname`: 1..64 ASCII characters, none of `@ ( ) \ [ ] " ; : . < > ,` or space.
pub fn valid_mail_nickname(nickname: &str) -> bool {
    !nickname.is_empty()
        && nickname.chars().count() <= MAX_MAIL_NICKNAME
        && nickname.chars().all(|c| {
            c.is_ascii()
                && !c.is_ascii_control()
                && !matches!(
                    c,
                    '@' | '('
                        | ')'
                        | '\\'
                        | '['
                        | ']'
                        | '"'
                        | ';'
                        | ':'
                        | '.'
                        | '<'
                        | '>'
                        | ','
                        | ' '
                )
        })
}

/// Light syntax check of a membership rule: balanced parentheses and quotes, and it talks about
/// `device.` or `user.` attributes.
pub fn check_membership_rule(rule: &str) -> Result<(), String> {
    let lower = rule.to_ascii_lowercase();
    if !(lower.contains("device.") || lower.contains("user.")) {
        return Err("a rule compares user.<attribute> or device.<attribute>".into());
    }
    let mut depth = 0i32;
    let mut quoted = false;
    for c in rule.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced parentheses".into());
                }
            }
            _ => {}
        }
    }
    if quoted {
        return Err("unterminated string".into());
    }
    if depth != 0 {
        return Err("unbalanced parentheses".into());
    }
    Ok(())
}

/// Service checks of a group after a create or a merge.
pub(super) fn check_group(group: &Map<String, Value>) -> Result<(), GraphError> {
    let text = |name: &str| group.get(name).and_then(Value::as_str);
    match text("displayName") {
        None => return Err(required("displayName", "Group")),
        Some(name) if name.trim().is_empty() || name.chars().count() > MAX_GROUP_DISPLAY_NAME => {
            return Err(invalid("displayName", "Group"));
        }
        Some(_) => {}
    }
    match text("mailNickname") {
        None => return Err(required("mailNickname", "Group")),
        Some(nickname) if !valid_mail_nickname(nickname) => {
            return Err(invalid("mailNickname", "Group"));
        }
        Some(_) => {}
    }
    let mail_enabled = group.get("mailEnabled").and_then(Value::as_bool);
    let security_enabled = group.get("securityEnabled").and_then(Value::as_bool);
    let Some(mail_enabled) = mail_enabled else {
        return Err(required("mailEnabled", "Group"));
    };
    let Some(security_enabled) = security_enabled else {
        return Err(required("securityEnabled", "Group"));
    };
    let group_types = group.get("groupTypes").cloned().unwrap_or(json!([]));
    let unified = is_unified(&group_types);
    if mail_enabled && !unified {
        return Err(GraphError::directory_bad_request(
            "The service does not currently support writes of mail-enabled groups. Please ensure that the mail-enablement property is unset or is set to false.",
        ));
    }
    if !mail_enabled && !security_enabled {
        return Err(invalid("securityEnabled", "Group"));
    }
    if let Some(unknown) = group_types.as_array().and_then(|types| {
        types.iter().find(|t| {
            !t.as_str().is_some_and(|t| {
                t.eq_ignore_ascii_case("Unified") || t.eq_ignore_ascii_case("DynamicMembership")
            })
        })
    }) {
        return Err(GraphError::directory_bad_request(format!(
            "Invalid value specified for property 'groupTypes' of resource 'Group': {unknown}."
        )));
    }
    let rule = text("membershipRule");
    if is_dynamic(&group_types) {
        let Some(rule) = rule.filter(|r| !r.trim().is_empty()) else {
            return Err(required("membershipRule", "Group"));
        };
        if let Err(reason) = check_membership_rule(rule) {
            return Err(GraphError::directory_bad_request(format!(
                "Invalid value specified for property 'membershipRule' of resource 'Group': {reason}."
            )));
        }
        match text("membershipRuleProcessingState") {
            Some("On" | "Paused") | None => {}
            Some(_) => return Err(invalid("membershipRuleProcessingState", "Group")),
        }
    } else if rule.is_some() {
        return Err(GraphError::directory_bad_request(
            "Property 'membershipRule' can only be set on groups whose groupTypes contain 'DynamicMembership'.",
        ));
    }
    check_visibility_and_roles(group, unified, security_enabled)
}

/// `visibility` is `Private`, `Public` or (Microsoft 365 groups only) `HiddenMembership`; a group
/// assignable to roles is a security group, not dynamic, and `Private`.
fn check_visibility_and_roles(
    group: &Map<String, Value>,
    unified: bool,
    security_enabled: bool,
) -> Result<(), GraphError> {
    let visibility = group.get("visibility").and_then(Value::as_str);
    match visibility {
        None | Some("Private" | "Public") => {}
        Some("HiddenMembership") if unified => {}
        Some("HiddenMembership") => {
            return Err(GraphError::directory_bad_request(
                "Only Microsoft 365 groups can have HiddenMembership visibility.",
            ));
        }
        Some(_) => return Err(invalid("visibility", "Group")),
    }
    if group.get("isAssignableToRole") == Some(&json!(true)) {
        let dynamic = is_dynamic(group.get("groupTypes").unwrap_or(&Value::Null));
        if !security_enabled || dynamic || visibility.is_some_and(|v| v != "Private") {
            return Err(GraphError::directory_bad_request(
                "A group assignable to roles must be a security group, cannot have dynamic membership, and its visibility is Private.",
            ));
        }
    }
    Ok(())
}

/// A PATCH may not change what is set once at creation: `isAssignableToRole`, and `visibility`
/// to or from `HiddenMembership`.
pub(super) fn check_unchangeable(
    stored: &Value,
    given: &Map<String, Value>,
) -> Result<(), GraphError> {
    let changes = |name: &str| given.get(name).is_some_and(|v| Some(v) != stored.get(name));
    let role_assignable = |v: Option<&Value>| v.and_then(Value::as_bool).unwrap_or(false);
    if given.contains_key("isAssignableToRole")
        && role_assignable(given.get("isAssignableToRole"))
            != role_assignable(stored.get("isAssignableToRole"))
    {
        return Err(GraphError::directory_bad_request(
            "Property 'isAssignableToRole' can only be set when the group is created.",
        ));
    }
    let hidden = |v: Option<&Value>| v.and_then(Value::as_str) == Some("HiddenMembership");
    if changes("visibility")
        && (hidden(given.get("visibility")) || hidden(stored.get("visibility")))
    {
        return Err(GraphError::directory_bad_request(
            "HiddenMembership visibility can only be set when the group is created.",
        ));
    }
    Ok(())
}

/// The object id in an `@odata.id` / `@odata.bind` reference URL.
pub(super) fn reference_id(reference: &Value) -> Result<String, GraphError> {
    let text = reference.as_str().unwrap_or_default();
    let last = text
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    // Also `directoryObjects('id')` and `{id}` forms.
    let last = last
        .strip_prefix("directoryObjects(")
        .or_else(|| last.strip_prefix("servicePrincipals("))
        .or_else(|| last.strip_prefix("users("))
        .and_then(|k| k.strip_suffix(')'))
        .map(|k| k.trim_matches('\''))
        .unwrap_or(last);
    let known_shape = text.contains("/directoryObjects/")
        || text.contains("/servicePrincipals/")
        || text.contains("/users/")
        || text.contains("/groups/")
        || text.contains("/devices/")
        || text.contains("directoryObjects(")
        || !text.contains('/');
    match Uuid::parse_str(last) {
        Ok(id) if known_shape => Ok(id.to_string()),
        _ => Err(GraphError::directory_bad_request(format!(
            "Invalid object identifier '{text}'."
        ))),
    }
}

/// The `@odata.id` of a `$ref` request body, which holds nothing else.
pub(super) fn single_reference(request: &crate::graph::GraphRequest) -> Result<Value, GraphError> {
    let mut body = request.json_object()?;
    if let Some(other) = body.keys().find(|k| *k != "@odata.id") {
        return Err(GraphError::directory_bad_request(format!(
            "Invalid property '{other}'."
        )));
    }
    body.remove("@odata.id").ok_or_else(|| {
        GraphError::directory_bad_request("The request body must contain '@odata.id'.")
    })
}

/// Explicit `null`s for a group's rule properties are accepted (no evidence shows Entra refusing
/// them), but no documented client sends them: the lab notes them in its log.
pub(super) fn note_explicit_rule_nulls(body: &serde_json::Map<String, Value>, id: Option<&str>) {
    for name in ["membershipRule", "membershipRuleProcessingState"] {
        if body.get(name).is_some_and(Value::is_null) {
            tracing::warn!(
                group = id.unwrap_or("(new)"),
                property = name,
                "explicit null for a group's rule property"
            );
        }
    }
}

/// Whether a dynamic group's rule selects an Autopilot device. The lab evaluates the documented
/// Autopilot device rules only: any device (`[ZTDID]`), by group tag (`[OrderID]:TAG`) and by
/// purchase order (`[PurchaseOrderId]:ID`). Each quoted literal of the rule is one alternative.
pub fn group_contains_device(group: &Value, device: &Value) -> bool {
    if !is_dynamic(group.get("groupTypes").unwrap_or(&Value::Null))
        || !collection::str_of(group, "membershipRuleProcessingState").eq_ignore_ascii_case("On")
    {
        return false;
    }
    let rule = collection::str_of(group, "membershipRule");
    let group_tag = collection::str_of(device, "groupTag");
    let purchase_order = collection::str_of(device, "purchaseOrderIdentifier");
    rule.split('"').skip(1).step_by(2).any(|literal| {
        let lower = literal.to_ascii_lowercase();
        if lower.starts_with("[ztdid]") {
            return true;
        }
        if let Some(tag) = lower.strip_prefix("[orderid]:") {
            return !group_tag.is_empty() && tag == group_tag.to_ascii_lowercase();
        }
        if let Some(order) = lower.strip_prefix("[purchaseorderid]:") {
            return !purchase_order.is_empty() && order == purchase_order.to_ascii_lowercase();
        }
        false
    })
}
