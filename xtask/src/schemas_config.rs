//! The JSON Schema (draft 2020-12) of a resource's or data source's
//! configuration, as a user writes it: read from the Terraform schema the
//! provider serves (itself derived from the model type's schemars schema),
//! so nothing is written twice. Only attributes a user may set appear:
//! required and optional ones, with their types, descriptions, defaults and
//! constraints; computed-only attributes (ids, timestamps) do not.

use serde_json::{Map, Value, json};
use tfplugin::schema::{Attribute, Block, NestedBlock, Nesting};
use tfplugin::value::to_json;
use tfplugin::{Schema, Type};

/// The draft every generated schema declares.
pub(crate) const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The configuration schema of the resource or data source `type_name`.
pub(crate) fn config_schema(type_name: &str, kind: &str, schema: &Schema) -> Value {
    let mut root = Map::new();
    root.insert("$schema".into(), json!(DRAFT));
    root.insert("title".into(), json!(type_name));
    root.insert(
        "x-terraform".into(),
        json!({"kind": kind, "schema_version": schema.version}),
    );
    root.extend(block_schema(&schema.block));
    Value::Object(root)
}

/// An object with the settable attributes and nested blocks of `block`.
fn block_schema(block: &Block) -> Map<String, Value> {
    let mut out = Map::new();
    if !block.description.is_empty() {
        out.insert("description".into(), json!(block.description));
    }
    if let Some(message) = &block.deprecated {
        out.insert("deprecated".into(), json!(true));
        out.insert("x-deprecation-message".into(), json!(message));
    }
    out.insert("type".into(), json!("object"));
    let mut properties = Map::new();
    let mut required = Vec::new();
    for attribute in block.attributes.iter().filter(|a| is_settable(a)) {
        properties.insert(attribute.name.clone(), attribute_schema(attribute));
        if attribute.required {
            required.push(json!(attribute.name));
        }
    }
    for nested in &block.blocks {
        properties.insert(nested.name.clone(), nested_block_schema(nested));
        if nested.min_items > 0 {
            required.push(json!(nested.name));
        }
    }
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    out.insert("additionalProperties".into(), json!(false));
    out
}

/// Whether a user may set the attribute: required or optional (optional
/// and computed included); computed-only attributes are the provider's.
pub(crate) fn is_settable(attribute: &Attribute) -> bool {
    attribute.required || attribute.optional
}

fn attribute_schema(attribute: &Attribute) -> Value {
    let mut out = Map::new();
    if !attribute.description.is_empty() {
        out.insert("description".into(), json!(attribute.description));
    }
    out.extend(type_schema(&attribute.ty));
    let c = &attribute.constraints;
    if let Some(allowed) = &c.one_of {
        out.insert("enum".into(), json!(allowed));
    }
    if let Some(min) = c.minimum {
        out.insert("minimum".into(), json!(min));
    }
    if let Some(max) = c.maximum {
        out.insert("maximum".into(), json!(max));
    }
    if let Some(min) = c.min_length {
        out.insert("minLength".into(), json!(min));
    }
    if let Some(max) = c.max_length {
        out.insert("maxLength".into(), json!(max));
    }
    if let Some(max) = c.max_items {
        out.insert("maxItems".into(), json!(max));
    }
    if let Some(default) = attribute.default.as_ref().and_then(|d| to_json(d).ok()) {
        out.insert("default".into(), default);
    }
    if let Some(message) = &attribute.deprecated {
        out.insert("deprecated".into(), json!(true));
        out.insert("x-deprecation-message".into(), json!(message));
    }
    if attribute.sensitive {
        out.insert("writeOnly".into(), json!(true));
    }
    let flags = terraform_flags(attribute);
    if !flags.is_empty() {
        out.insert("x-terraform".into(), Value::Object(flags));
    }
    Value::Object(out)
}

/// What JSON Schema has no word for: sensitive, computed when unset, and
/// changes that replace the resource.
fn terraform_flags(attribute: &Attribute) -> Map<String, Value> {
    let mut flags = Map::new();
    if attribute.computed && attribute.default.is_none() {
        flags.insert("computed".into(), json!(true));
    }
    if attribute.force_new {
        flags.insert("force_new".into(), json!(true));
    }
    if attribute.sensitive {
        flags.insert("sensitive".into(), json!(true));
    }
    flags
}

fn nested_block_schema(nested: &NestedBlock) -> Value {
    let object = Value::Object(block_schema(&nested.block));
    if nested.nesting == Nesting::Single {
        return object;
    }
    let mut out = Map::new();
    if !nested.block.description.is_empty() {
        out.insert("description".into(), json!(nested.block.description));
    }
    out.insert("type".into(), json!("array"));
    out.insert("items".into(), object);
    if nested.nesting == Nesting::Set {
        out.insert("uniqueItems".into(), json!(true));
    }
    if nested.min_items > 0 {
        out.insert("minItems".into(), json!(nested.min_items));
    }
    if nested.max_items > 0 {
        out.insert("maxItems".into(), json!(nested.max_items));
    }
    Value::Object(out)
}

/// The JSON Schema of a Terraform value type (without null: an attribute a
/// configuration sets has a value).
fn type_schema(ty: &Type) -> Map<String, Value> {
    let mut out = Map::new();
    match ty {
        Type::Bool => {
            out.insert("type".into(), json!("boolean"));
        }
        Type::Number => {
            out.insert("type".into(), json!("number"));
        }
        Type::String => {
            out.insert("type".into(), json!("string"));
        }
        Type::Dynamic => {}
        Type::List(element) | Type::Set(element) => {
            out.insert("type".into(), json!("array"));
            out.insert("items".into(), Value::Object(type_schema(element)));
            if matches!(ty, Type::Set(_)) {
                out.insert("uniqueItems".into(), json!(true));
            }
        }
        Type::Map(element) => {
            out.insert("type".into(), json!("object"));
            out.insert(
                "additionalProperties".into(),
                Value::Object(type_schema(element)),
            );
        }
        Type::Object(attributes) => {
            out.insert("type".into(), json!("object"));
            let properties: Map<String, Value> = attributes
                .iter()
                .map(|(name, ty)| (name.clone(), Value::Object(type_schema(ty))))
                .collect();
            out.insert("properties".into(), Value::Object(properties));
            out.insert("additionalProperties".into(), json!(false));
        }
        Type::Tuple(elements) => {
            out.insert("type".into(), json!("array"));
            let items: Vec<Value> = elements
                .iter()
                .map(|ty| Value::Object(type_schema(ty)))
                .collect();
            out.insert("prefixItems".into(), Value::Array(items));
            out.insert("items".into(), json!(false));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use tfplugin::schema::Constraints;

    use super::*;

    fn attribute(name: &str) -> Attribute {
        Attribute {
            name: name.into(),
            ty: Type::String,
            optional: true,
            ..Attribute::default()
        }
    }

    #[test]
    fn computed_only_attributes_are_left_out_and_rules_carried() {
        let block = Block {
            description: "A thing.".into(),
            attributes: vec![
                Attribute {
                    computed: true,
                    optional: false,
                    ..attribute("id")
                },
                Attribute {
                    required: true,
                    optional: false,
                    force_new: true,
                    description: "The name.".into(),
                    constraints: Constraints {
                        max_length: Some(15),
                        ..Constraints::default()
                    },
                    ..attribute("name")
                },
                Attribute {
                    ty: Type::set(Type::String),
                    computed: true,
                    ..attribute("tags")
                },
                Attribute {
                    constraints: Constraints {
                        one_of: Some(vec!["a".into(), "b".into()]),
                        ..Constraints::default()
                    },
                    default: Some(tfplugin::Value::String("a".into())),
                    computed: true,
                    ..attribute("mode")
                },
            ],
            ..Block::default()
        };
        let schema = config_schema("autopilot_thing", "resource", &Schema { version: 2, block });
        assert_eq!(schema["$schema"], json!(DRAFT));
        assert_eq!(schema["description"], json!("A thing."));
        let properties = schema["properties"].as_object().expect("properties");
        assert_eq!(
            properties.keys().collect::<Vec<_>>(),
            ["name", "tags", "mode"]
        );
        assert_eq!(schema["required"], json!(["name"]));
        assert_eq!(schema["additionalProperties"], json!(false));
        assert_eq!(
            properties["name"],
            json!({"description": "The name.", "type": "string", "maxLength": 15, "x-terraform": {"force_new": true}})
        );
        assert_eq!(
            properties["tags"],
            json!({"type": "array", "items": {"type": "string"}, "uniqueItems": true, "x-terraform": {"computed": true}})
        );
        assert_eq!(
            properties["mode"],
            json!({"type": "string", "enum": ["a", "b"], "default": "a"})
        );
    }
}
