//! Every Graph request body this provider sends (POST, PATCH, PUT), with its
//! method, its path template and its JSON Schema (draft 2020-12), derived
//! with schemars from the very type that is serialized. `cargo xtask
//! schemas` writes them to `schemas/graph/`; the acceptance suite checks
//! that every body the provider sends to a lab validates against the
//! schema of its (method, path).

use std::borrow::Cow;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::graph::ApiVersion;
use crate::registry;

/// One kind of request body the provider sends.
#[derive(Debug, Clone)]
pub struct Payload {
    /// A stable name, the schema's file name without `.json`.
    pub name: Cow<'static, str>,
    /// `POST`, `PATCH` or `PUT`.
    pub method: &'static str,
    /// The request path with `{id}` for object ids, from the root of the
    /// Graph host: `/beta/deviceManagement/deviceConfigurations/{id}/assign`.
    pub path: String,
    /// What sends it.
    pub purpose: Cow<'static, str>,
    /// The JSON Schema of the body; `None` for actions that take no
    /// parameters, which are posted without a body (Graph's documentation:
    /// "Do not supply a request body for this method").
    pub schema: Option<Value>,
}

impl Payload {
    /// A body of type `T`, its schema derived from `T` (see [`schema_of`]).
    pub fn of<T: JsonSchema>(
        name: impl Into<Cow<'static, str>>,
        method: &'static str,
        path: impl Into<String>,
        purpose: impl Into<Cow<'static, str>>,
    ) -> Payload {
        Payload::with_schema(name, method, path, purpose, Some(schema_of::<T>()))
    }

    /// The bodies of an object Graph creates with a POST to its `collection`
    /// and updates with a PATCH of the object (`{collection}/{id}`), both of
    /// type `T`: `{kind}-create` and `{kind}-update`, where the kind is
    /// `type_name` without `autopilot_` and with hyphens.
    pub fn create_and_update<T: JsonSchema>(type_name: &str, collection: &str) -> Vec<Payload> {
        let kind = type_name.trim_start_matches("autopilot_").replace('_', "-");
        let object = format!("{collection}/{{id}}");
        vec![
            Payload::of::<T>(
                format!("{kind}-create"),
                "POST",
                collection,
                format!("{type_name} create"),
            ),
            Payload::of::<T>(
                format!("{kind}-update"),
                "PATCH",
                object,
                format!("{type_name} update"),
            ),
        ]
    }

    /// An action posted without a body.
    pub fn bodiless(
        name: impl Into<Cow<'static, str>>,
        path: impl Into<String>,
        purpose: impl Into<Cow<'static, str>>,
    ) -> Payload {
        Payload::with_schema(name, "POST", path, purpose, None)
    }

    /// A body with the schema given.
    pub fn with_schema(
        name: impl Into<Cow<'static, str>>,
        method: &'static str,
        path: impl Into<String>,
        purpose: impl Into<Cow<'static, str>>,
        schema: Option<Value>,
    ) -> Payload {
        Payload {
            name: name.into(),
            method,
            path: path.into(),
            purpose: purpose.into(),
            schema,
        }
    }
}

/// Every payload, in a stable order: each resource's and data source's
/// declarations (their `registration.rs`), in the registry's order.
pub fn payloads() -> Vec<Payload> {
    let resources = registry::managed_types().into_iter().map(|m| m.payloads);
    let data_sources = registry::read_types().into_iter().map(|r| r.payloads);
    resources
        .chain(data_sources)
        .flat_map(|declared| declared())
        .collect()
}

/// A request path from the root of the Graph host: `/beta/{path}`.
pub(crate) fn path(version: ApiVersion, path: &str) -> String {
    format!("/{}/{path}", version.segment())
}

/// The JSON Schema of what `T` serializes to (draft 2020-12), as a
/// request body: objects are closed (a property the type does not declare
/// is not part of the payload), and `default` / `readOnly`, which describe
/// how the type reads Graph's answers, are left out.
pub(crate) fn schema_of<T: JsonSchema>() -> Value {
    let root = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut schema = root.to_value();
    as_request_body(&mut schema, false);
    schema
}

/// Keywords whose value is a map of subschemas.
const SCHEMA_MAPS: &[&str] = &["properties", "$defs", "patternProperties"];
/// Keywords whose value is one subschema, of a child value.
const SCHEMA_SLOTS: &[&str] = &["items", "additionalProperties", "contains"];
/// Keywords whose value is one subschema applied to the object itself (a
/// condition on it): never closed on their own, or `if` would fail on every
/// property it does not name.
const IN_PLACE_SLOTS: &[&str] = &["not", "if", "then", "else"];
/// Keywords whose value is a list of alternatives or parts.
const SCHEMA_LISTS: &[&str] = &["anyOf", "oneOf", "allOf", "prefixItems"];

/// Rewrites one subschema (see [`schema_of`]). `part_of_parent`: the
/// subschema is an alternative of an object that lists properties itself
/// (a flattened enum): its object stays open, the parent is closed and
/// counts the properties the alternative evaluated.
fn as_request_body(schema: &mut Value, part_of_parent: bool) {
    let Value::Object(map) = schema else {
        return;
    };
    map.remove("default");
    map.remove("readOnly");
    let lists_properties = map.contains_key("properties");
    for key in SCHEMA_MAPS {
        if let Some(Value::Object(subschemas)) = map.get_mut(*key) {
            for subschema in subschemas.values_mut() {
                as_request_body(subschema, false);
            }
        }
    }
    for key in SCHEMA_SLOTS {
        if let Some(subschema) = map.get_mut(*key) {
            as_request_body(subschema, false);
        }
    }
    for key in IN_PLACE_SLOTS {
        if let Some(subschema) = map.get_mut(*key) {
            as_request_body(subschema, true);
        }
    }
    for key in SCHEMA_LISTS {
        if let Some(Value::Array(subschemas)) = map.get_mut(*key) {
            for subschema in subschemas {
                as_request_body(subschema, lists_properties);
            }
        }
    }
    let says_nothing_of_others =
        !map.contains_key("additionalProperties") && !map.contains_key("unevaluatedProperties");
    if lists_properties && says_nothing_of_others && !part_of_parent {
        map.insert("unevaluatedProperties".into(), Value::Bool(false));
    }
}

/// The schema with `@odata.type` narrowed to one of the values it allows.
pub(crate) fn narrowed_odata_type(mut schema: Value, odata_type: &str) -> Value {
    if let Some(property) = schema.pointer_mut("/properties/@odata.type")
        && let Some(map) = property.as_object_mut()
    {
        map.remove("enum");
        map.insert("const".into(), Value::String(odata_type.to_string()));
    }
    schema
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn names_are_unique_and_paths_absolute() {
        let all = payloads();
        let names: BTreeSet<_> = all.iter().map(|p| p.name.as_ref()).collect();
        assert_eq!(names.len(), all.len());
        for p in &all {
            assert!(
                p.path.starts_with("/beta/") || p.path.starts_with("/v1.0/"),
                "{}",
                p.path
            );
            assert!(["POST", "PATCH", "PUT"].contains(&p.method), "{}", p.method);
        }
    }
}
