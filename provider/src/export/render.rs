//! One exported object as a `resource` block: the value the resource's own
//! import and read produced, written attribute by attribute in schema
//! order. What a configuration does not set is left out (computed-only
//! attributes, nulls, schema defaults, service defaults), so that the plan
//! after `terraform import` is empty; group ids become references where the
//! group is exported too.

use std::collections::BTreeMap;

use tfplugin::schema::{Block as SchemaBlock, Nesting};
use tfplugin::{Schema, Value};

use super::hcl::{Block, Body, Element, Expr};
use super::kind::Kind;
use crate::validate::profile_text;

/// The variable devices take their hardware hashes from.
pub const HASHES_VARIABLE: &str = "autopilot_hardware_hashes";
/// The local holding the placeholder for hashes nobody supplied.
pub const PLACEHOLDER_LOCAL: &str = "autopilot_hardware_hash_placeholder";
/// Base64 letters that decode to no hardware hash: Autopilot refuses an
/// import with it, so no device is ever registered with it by mistake.
pub const HASH_PLACEHOLDER: &str = "HARDWARE+HASH+NOT+EXPORTED";

/// An object read from the tenant, named for the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub kind: Kind,
    /// The id `terraform import` takes.
    pub id: String,
    /// The display name (a device's serial number).
    pub label: String,
    /// The resource name.
    pub name: String,
    /// The state the resource's import and read produced.
    pub value: Value,
}

impl Exported {
    /// `autopilot_group.sales`.
    pub fn address(&self) -> String {
        format!("{}.{}", self.kind.resource_type(), self.name)
    }
}

/// What a group id in an exported object turns into.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupRef {
    /// `autopilot_group.<name>.id`.
    Exported { name: String },
    /// The raw id, with a comment saying which group it is and why it is
    /// not a reference.
    Raw { why: String },
}

/// Group ids (compared without case) and what they turn into.
#[derive(Debug, Clone, Default)]
pub struct References {
    groups: BTreeMap<String, GroupRef>,
}

impl References {
    pub fn insert(&mut self, id: &str, target: GroupRef) {
        self.groups.insert(id.to_ascii_lowercase(), target);
    }

    fn group(&self, id: &str) -> GroupRef {
        self.groups
            .get(&id.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| GroupRef::Raw {
                why: format!("Group {id} is not in the tenant."),
            })
    }

    /// The expression for one group id, and the comment to put above it.
    fn expression(&self, id: &str) -> (Expr, Option<String>) {
        match self.group(id) {
            GroupRef::Exported { name } => (Expr::Raw(format!("autopilot_group.{name}.id")), None),
            GroupRef::Raw { why } => (Expr::String(id.to_string()), Some(why)),
        }
    }
}

/// The `resource` block of `object`.
pub fn resource_block(object: &Exported, schema: &Schema, refs: &References) -> Block {
    let mut block = Block::new("resource", &[object.kind.resource_type(), &object.name]);
    write_body(&mut block.body, object, &schema.block, &object.value, refs);
    if object.kind == Kind::DEVICES {
        let mut lifecycle = Block::new("lifecycle", &[]);
        lifecycle.body.comment(
            "The hardware hash above may be the placeholder: never let Terraform delete this\n\
             registration, since it could not register the device again.",
        );
        lifecycle
            .body
            .attribute("prevent_destroy", Expr::Bool(true));
        block.body.blank().block(lifecycle);
    }
    block
}

fn write_body(
    body: &mut Body,
    object: &Exported,
    schema: &SchemaBlock,
    value: &Value,
    refs: &References,
) {
    for attr in &schema.attributes {
        let Some(current) = value.attr(&attr.name) else {
            continue;
        };
        let computed_only = attr.computed && !attr.optional && !attr.required;
        if attr.name == "id" || computed_only || current.is_null() {
            continue;
        }
        if attr.default.as_ref() == Some(current) || is_service_default(&attr.name, current) {
            continue;
        }
        if omitted_for(object, &attr.name, value) {
            continue;
        }
        if attr.sensitive {
            // The state never holds a secret worth writing down (Graph
            // does not return hashes): the kind says what to write.
            if let Some(expr) = sensitive_expression(object, &attr.name) {
                body.comment(
                    "Graph never returns hardware hashes: see the note at the top of this file.",
                );
                body.attribute(&attr.name, expr);
            }
            continue;
        }
        if object
            .kind
            .group_id_attributes()
            .contains(&attr.name.as_str())
        {
            write_group_ids(body, &attr.name, current, refs);
            continue;
        }
        if let Some((accepted, comment)) = accepted_text(object, &attr.name, current) {
            body.comment(&comment);
            body.attribute(&attr.name, Expr::String(accepted));
            continue;
        }
        match literal(current) {
            Some(expr) => {
                body.attribute(&attr.name, expr);
            }
            None => {
                tracing::warn!(address = %object.address(), attribute = %attr.name, "attribute value cannot be written as HCL; left out");
            }
        }
    }
    for nested in &schema.blocks {
        let Some(current) = value.attr(&nested.name) else {
            continue;
        };
        let items: Vec<&Value> = match (nested.nesting, current) {
            (_, Value::Null) => Vec::new(),
            (Nesting::Single, v) => vec![v],
            (_, Value::List(items) | Value::Set(items)) => items.iter().collect(),
            _ => Vec::new(),
        };
        for item in items {
            let mut block = Block::new(&nested.name, &[]);
            write_body(&mut block.body, object, &nested.block, item, refs);
            if !block.body.is_empty() {
                body.blank().block(block);
            }
        }
    }
}

/// `object`'s state as the configuration value `terraform query
/// -generate-config-out` writes (GenerateResourceConfig): what
/// [`resource_block`] leaves out is null, texts Intune refuses are the
/// nearest it accepts, group ids stay ids. Returns the notes the user must
/// read (a hash to fill in, a text that will change).
pub fn configuration(
    object: &Exported,
    schema: &SchemaBlock,
    value: &Value,
) -> (Value, Vec<String>) {
    let Value::Object(attrs) = value else {
        return (value.clone(), Vec::new());
    };
    let mut config = attrs.clone();
    let mut notes = Vec::new();
    for attr in &schema.attributes {
        let Some(slot) = config.get_mut(&attr.name) else {
            continue;
        };
        let computed_only = attr.computed && !attr.optional && !attr.required;
        let left_out = attr.name == "id"
            || computed_only
            || attr.default.as_ref() == Some(&*slot)
            || is_service_default(&attr.name, slot)
            || omitted_for(object, &attr.name, value);
        if attr.sensitive && !slot.is_null() {
            notes.push(format!(
                "{}: Graph never returns it; set it in the generated configuration.",
                attr.name
            ));
            *slot = Value::Null;
        } else if left_out {
            *slot = Value::Null;
        } else if let Some((accepted, comment)) = accepted_text(object, &attr.name, slot) {
            notes.push(format!("{}: {comment}", attr.name));
            *slot = Value::String(accepted);
        }
    }
    for nested in &schema.blocks {
        if let Some(slot) = config.get_mut(&nested.name) {
            *slot = match (&*slot, nested.nesting) {
                (Value::Null, _) => Value::Null,
                (Value::List(items), _) => Value::List(
                    items
                        .iter()
                        .map(|i| configuration(object, &nested.block, i).0)
                        .collect(),
                ),
                (Value::Set(items), _) => Value::set(
                    items
                        .iter()
                        .map(|i| configuration(object, &nested.block, i).0)
                        .collect(),
                ),
                (other, _) => configuration(object, &nested.block, other).0,
            };
        }
    }
    (Value::Object(config), notes)
}

/// Values Intune gives an object when the attribute is left unset, and
/// that the resource keeps from state when the configuration leaves it
/// unset: writing them adds nothing.
fn is_service_default(name: &str, value: &Value) -> bool {
    match name {
        "role_scope_tag_ids" => {
            matches!(value, Value::Set(items) | Value::List(items) if items.as_slice() == [Value::String("0".into())])
        }
        _ => false,
    }
}

/// Attributes a kind leaves out although the state holds them.
fn omitted_for(object: &Exported, name: &str, value: &Value) -> bool {
    if object.kind != Kind::GROUPS {
        return false;
    }
    match name {
        // A rule built from group tags or for all Autopilot devices is
        // configured through those; writing the rule too would conflict.
        "membership_rule" => {
            value.attr("group_tags").is_some_and(|v| !v.is_null())
                || value.attr("all_autopilot_devices") == Some(&Value::Bool(true))
        }
        // No owners besides the Intune Provisioning Client: leave owners
        // unmanaged rather than insist on none.
        "owner_ids" => {
            matches!(value.attr("owner_ids"), Some(Value::Set(items) | Value::List(items)) if items.is_empty())
        }
        // Likewise no assigned members: unmanaged rather than none.
        "member_ids" => {
            matches!(value.attr("member_ids"), Some(Value::Set(items) | Value::List(items)) if items.is_empty())
        }
        // What Entra gives a security group and a dynamic rule when unset.
        "visibility" => value.attr("visibility") == Some(&Value::String("private".into())),
        "membership_rule_processing_state" => {
            value.attr("membership_rule_processing_state") == Some(&Value::String("on".into()))
        }
        _ => false,
    }
}

/// For a deployment profile name or description Intune refuses on every
/// write (one made before Intune checked them, say): the nearest text it
/// accepts, and a comment naming the tenant's text. The export never writes
/// a name Intune would refuse; the apply after the import renames the
/// profile.
pub fn accepted_text(object: &Exported, name: &str, value: &Value) -> Option<(String, String)> {
    let Value::String(text) = value else {
        return None;
    };
    if object.kind != Kind::DEPLOYMENT_PROFILES {
        return None;
    }
    let accepted = match name {
        "display_name" if profile_text::profile_name(text).is_err() => {
            profile_text::accepted_profile_name(text)
        }
        "description" if profile_text::profile_description(text).is_err() => {
            profile_text::accepted_profile_description(text)
        }
        _ => return None,
    };
    Some((
        accepted,
        format!(
            "Intune holds {text:?}, with characters it refuses on every write: the apply after the\n\
             import changes it to this (plan shows it). Choose another text Intune accepts if you like."
        ),
    ))
}

fn sensitive_expression(object: &Exported, name: &str) -> Option<Expr> {
    match name {
        "hardware_hash" if object.kind == Kind::DEVICES => {
            let serial = object
                .value
                .attr("serial_number")
                .and_then(Value::as_str)
                .unwrap_or(&object.label);
            Some(Expr::Raw(format!(
                "lookup(var.{HASHES_VARIABLE}, {}, local.{PLACEHOLDER_LOCAL})",
                super::hcl::quote(serial)
            )))
        }
        _ => None,
    }
}

fn write_group_ids(body: &mut Body, name: &str, value: &Value, refs: &References) {
    match value {
        Value::String(id) => {
            let (expr, comment) = refs.expression(id);
            if let Some(comment) = comment {
                body.comment(&comment);
            }
            body.attribute(name, expr);
        }
        Value::Set(items) | Value::List(items) => {
            let mut elements: Vec<(u8, String, Element)> = items
                .iter()
                .filter_map(Value::as_str)
                .map(|id| {
                    let (value, comment) = refs.expression(id);
                    // References first, by name; then raw ids.
                    let (rank, key) = match &value {
                        Expr::Raw(text) => (0, text.clone()),
                        _ => (1, id.to_ascii_lowercase()),
                    };
                    (rank, key, Element { comment, value })
                })
                .collect();
            elements.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            body.attribute(
                name,
                Expr::List(elements.into_iter().map(|(_, _, e)| e).collect()),
            );
        }
        other => {
            if let Some(expr) = literal(other) {
                body.attribute(name, expr);
            }
        }
    }
}

/// A value as an HCL literal; `None` for what no exported attribute holds
/// (maps, objects, unknowns).
fn literal(value: &Value) -> Option<Expr> {
    Some(match value {
        Value::String(s) => Expr::String(s.clone()),
        Value::Number(n) => Expr::Number(n.to_string()),
        Value::Bool(b) => Expr::Bool(*b),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => Expr::List(
            items
                .iter()
                .map(|item| literal(item).map(Element::plain))
                .collect::<Option<Vec<_>>>()?,
        ),
        Value::Null | Value::Unknown | Value::Map(_) | Value::Object(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::device::DeviceModel;
    use crate::resources::domain_join_profile::DomainJoinProfileModel;
    use crate::resources::group::GroupModel;
    use std::collections::BTreeMap;

    fn object(kind: Kind, name: &str, value: &serde_json::Value, schema: &Schema) -> Exported {
        let value = tfplugin::value::from_json(value.to_string().as_bytes(), &schema.value_type())
            .expect("a value of the schema");
        Exported {
            kind,
            id: "id-1".into(),
            label: name.into(),
            name: name.into(),
            value,
        }
    }

    fn render(object: &Exported, schema: &Schema, refs: &References) -> String {
        let mut file = Body::default();
        file.block(resource_block(object, schema, refs));
        file.to_file()
    }

    #[test]
    fn computed_null_and_default_values_are_left_out() {
        let schema = Schema::of::<DomainJoinProfileModel>(0).expect("schema");
        let object = object(
            Kind::new(&crate::resources::domain_join_profile::EXPORT),
            "contoso",
            &serde_json::json!({
                "id": "dj-1",
                "display_name": "Contoso ${env}",
                "description": null,
                "active_directory_domain_name": "contoso.com",
                "organizational_unit": "OU=Autopilot,DC=contoso,DC=com",
                "computer_name_static_prefix": "CTS-",
                "computer_name_suffix_random_char_count": 11,
                "include_group_ids": ["AAAA", "bbbb"],
                "exclude_group_ids": null,
                "all_devices": false,
                "role_scope_tag_ids": ["0"],
                "created_date_time": "2025-01-01T00:00:00Z",
                "last_modified_date_time": "2025-01-01T00:00:00Z"
            }),
            &schema,
        );
        let mut refs = References::default();
        refs.insert(
            "aaaa",
            GroupRef::Exported {
                name: "sales".into(),
            },
        );
        refs.insert(
            "BBBB",
            GroupRef::Raw {
                why: "Group \"Users\" is not exported.".into(),
            },
        );
        assert_eq!(
            render(&object, &schema, &refs),
            r#"resource "autopilot_domain_join_profile" "contoso" {
  display_name                           = "Contoso $${env}"
  active_directory_domain_name           = "contoso.com"
  organizational_unit                    = "OU=Autopilot,DC=contoso,DC=com"
  computer_name_static_prefix            = "CTS-"
  computer_name_suffix_random_char_count = 11
  include_group_ids = [
    autopilot_group.sales.id,
    # Group "Users" is not exported.
    "bbbb",
  ]
}
"#
        );
    }

    #[test]
    fn scope_tags_other_than_the_default_are_written() {
        let schema = Schema::of::<DomainJoinProfileModel>(0).expect("schema");
        let object = object(
            Kind::new(&crate::resources::domain_join_profile::EXPORT),
            "x",
            &serde_json::json!({
                "display_name": "X",
                "active_directory_domain_name": "contoso.com",
                "computer_name_static_prefix": "X-",
                "role_scope_tag_ids": ["0", "7"],
                "all_devices": true
            }),
            &schema,
        );
        let text = render(&object, &schema, &References::default());
        assert!(
            text.contains("role_scope_tag_ids           = [\"0\", \"7\"]"),
            "{text}"
        );
        assert!(text.contains("all_devices"), "{text}");
    }

    #[test]
    fn a_single_group_id_outside_the_export_keeps_its_comment() {
        let mut body = Body::default();
        let mut refs = References::default();
        refs.insert(
            "g1",
            GroupRef::Raw {
                why: "Group \"Devices\" is not exported.".into(),
            },
        );
        write_group_ids(
            &mut body,
            "device_group_id",
            &Value::String("g1".into()),
            &refs,
        );
        write_group_ids(&mut body, "other", &Value::String("g2".into()), &refs);
        assert_eq!(
            body.to_file(),
            "# Group \"Devices\" is not exported.\ndevice_group_id = \"g1\"\n# Group g2 is not in the tenant.\nother = \"g2\"\n"
        );
    }

    #[test]
    fn a_tag_group_is_written_with_its_tags_not_its_rule() {
        let schema = Schema::of::<GroupModel>(0).expect("schema");
        let object = object(
            Kind::GROUPS,
            "sales",
            &serde_json::json!({
                "id": "g",
                "display_name": "Sales",
                "mail_nickname": "sales",
                "owner_ids": [],
                "provisioning_client_owner": false,
                "membership_rule": "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))",
                "group_tags": ["Sales"],
                "all_autopilot_devices": false
            }),
            &schema,
        );
        let text = render(&object, &schema, &References::default());
        assert!(text.contains("group_tags    = [\"Sales\"]"), "{text}");
        assert!(!text.contains("membership_rule"), "{text}");
        assert!(!text.contains("owner_ids"), "{text}");
        assert!(!text.contains("provisioning_client_owner"), "{text}");
    }

    #[test]
    fn a_custom_rule_and_owners_are_written() {
        let schema = Schema::of::<GroupModel>(0).expect("schema");
        let object = object(
            Kind::GROUPS,
            "custom",
            &serde_json::json!({
                "display_name": "Custom",
                "mail_nickname": "custom",
                "owner_ids": ["u1"],
                "provisioning_client_owner": true,
                "membership_rule": "(device.devicePhysicalIds -any (_ -eq \"[PurchaseOrderId]:42\"))",
                "all_autopilot_devices": false
            }),
            &schema,
        );
        let text = render(&object, &schema, &References::default());
        assert!(
            text.contains("owner_ids                 = [\"u1\"]"),
            "{text}"
        );
        assert!(text.contains("provisioning_client_owner = true"), "{text}");
        assert!(text.contains(r#"membership_rule           = "(device.devicePhysicalIds -any (_ -eq \"[PurchaseOrderId]:42\"))""#), "{text}");
    }

    #[test]
    fn a_device_takes_its_hash_from_the_variable_and_is_never_destroyed() {
        let schema = Schema::of::<DeviceModel>(0).expect("schema");
        let object = object(
            Kind::DEVICES,
            "device_5cg1",
            &serde_json::json!({
                "id": "d1",
                "serial_number": "5CG1",
                "hardware_hash": "",
                "group_tag": "Sales",
                "enrollment_state": "notContacted",
                "timeouts": null
            }),
            &schema,
        );
        let text = render(&object, &schema, &References::default());
        assert_eq!(
            text,
            r#"resource "autopilot_device" "device_5cg1" {
  serial_number = "5CG1"
  # Graph never returns hardware hashes: see the note at the top of this file.
  hardware_hash = lookup(var.autopilot_hardware_hashes, "5CG1", local.autopilot_hardware_hash_placeholder)
  group_tag     = "Sales"

  lifecycle {
    # The hardware hash above may be the placeholder: never let Terraform delete this
    # registration, since it could not register the device again.
    prevent_destroy = true
  }
}
"#
        );
    }

    #[test]
    fn the_placeholder_passes_the_hash_check() {
        assert!(crate::devices::hash::check(HASH_PLACEHOLDER).is_ok());
    }

    #[test]
    fn literals_cover_the_value_kinds() {
        assert_eq!(
            literal(&Value::Number(tfplugin::value::Number::from(60i64))),
            Some(Expr::Number("60".into()))
        );
        assert_eq!(literal(&Value::Map(BTreeMap::new())), None);
        assert_eq!(literal(&Value::Unknown), None);
    }
}
