//! Resource identity on the wire: the identity schema of each resource that
//! names identity attributes (their types taken from its state schema), the
//! identity value of a state, and the import id an identity import means.
//!
//! An identity is returned only when every one of its attributes is known
//! and not null: a partial one (an import before the read that completes it)
//! would not identify the object, so it is left out rather than sent.
//!
//! An identity may change over a resource's life: Terraform 1.12 and later
//! stores what the provider returns without comparing it with the identity
//! it held (hashicorp/terraform#36989 removed that check from core), so a
//! resource that stands for a set of remote objects can name the set.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostics;
use crate::identity::IdentityAttribute;
use crate::proto::tfplugin6 as pb;
use crate::schema::Schema;
use crate::value::{self, Type, Value};

/// Identity schema version: bumped when a resource's identity attributes change.
const VERSION: i64 = 0;

/// Whether an attribute of type `ty` can be part of an identity: a
/// primitive, or a list of primitives (what Terraform's identity schemas
/// allow).
fn is_identity_type(ty: &Type) -> bool {
    match ty {
        Type::String | Type::Number | Type::Bool => true,
        Type::List(element) => matches!(**element, Type::String | Type::Number | Type::Bool),
        _ => false,
    }
}

/// One element of a list identity attribute as part of an import id.
fn import_part(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// One resource's identity: its attributes and their types.
pub(crate) struct Identity {
    attributes: &'static [IdentityAttribute],
    ty: Type,
}

impl Identity {
    /// The identity of a resource with `schema`; `None` when it names no
    /// attributes. An attribute that is not a top-level primitive attribute
    /// of the schema is a schema error.
    pub(crate) fn new(
        type_name: &str,
        attributes: &'static [IdentityAttribute],
        schema: &Schema,
    ) -> Result<Option<Identity>, String> {
        if attributes.is_empty() {
            return Ok(None);
        }
        let mut types = BTreeMap::new();
        for attribute in attributes {
            let ty = schema
                .block
                .attribute(attribute.name)
                .map(|a| a.ty.clone())
                .ok_or_else(|| {
                    format!(
                        "{type_name}: identity attribute {:?} is not in the schema",
                        attribute.name
                    )
                })?;
            if !is_identity_type(&ty) {
                return Err(format!(
                    "{type_name}: identity attribute {:?} is not a string, number, bool or a \
                     list of them",
                    attribute.name
                ));
            }
            types.insert(attribute.name.to_string(), ty);
        }
        Ok(Some(Identity {
            attributes,
            ty: Type::Object(types),
        }))
    }

    pub(crate) fn schema_to_proto(&self) -> pb::ResourceIdentitySchema {
        pb::ResourceIdentitySchema {
            version: VERSION,
            identity_attributes: self
                .attributes
                .iter()
                .map(|a| pb::resource_identity_schema::IdentityAttribute {
                    name: a.name.to_string(),
                    r#type: self
                        .attribute_type(a.name)
                        .to_json()
                        .to_string()
                        .into_bytes(),
                    required_for_import: a.required_for_import,
                    optional_for_import: !a.required_for_import,
                    description: a.description.to_string(),
                })
                .collect(),
        }
    }

    fn attribute_type(&self, name: &str) -> Type {
        match &self.ty {
            Type::Object(types) => types.get(name).cloned().unwrap_or_default(),
            _ => Type::String,
        }
    }

    /// The identity of `state`, or `None` while any identity attribute is
    /// null or unknown (no object yet, or not read yet).
    pub(crate) fn of(&self, state: &Value) -> Option<pb::ResourceIdentityData> {
        let mut values = BTreeMap::new();
        for attribute in self.attributes {
            let value = state.attr(attribute.name)?;
            if value.is_null() || !value.is_wholly_known() {
                return None;
            }
            values.insert(attribute.name.to_string(), value.clone());
        }
        let msgpack = value::to_msgpack(&Value::Object(values), &self.ty).ok()?;
        Some(pb::ResourceIdentityData {
            identity_data: Some(pb::DynamicValue {
                msgpack,
                json: Vec::new(),
            }),
        })
    }

    /// A stored identity (JSON, this version) as the wire value.
    pub(crate) fn read_stored(
        &self,
        json: &[u8],
    ) -> Result<Option<pb::ResourceIdentityData>, Diagnostics> {
        let value = value::from_json(json, &self.ty).map_err(|e| {
            Diagnostics::single_error("Cannot read the stored identity", e.to_string())
        })?;
        let msgpack = value::to_msgpack(&value, &self.ty)
            .map_err(|e| Diagnostics::single_error("Cannot encode the identity", e.to_string()))?;
        Ok(Some(pb::ResourceIdentityData {
            identity_data: Some(pb::DynamicValue {
                msgpack,
                json: Vec::new(),
            }),
        }))
    }

    /// The import id an identity import means: the first identity attribute,
    /// in the resource's order, that the identity gives; a list gives its
    /// elements joined by commas.
    pub(crate) fn import_id(
        &self,
        identity: &pb::ResourceIdentityData,
    ) -> Result<String, Diagnostics> {
        let data = identity.identity_data.as_ref();
        let decoded = data
            .map(|d| {
                if d.msgpack.is_empty() {
                    value::from_json(&d.json, &self.ty)
                } else {
                    value::from_msgpack(&d.msgpack, &self.ty)
                }
            })
            .transpose()
            .map_err(|e| {
                Diagnostics::single_error("Cannot read the identity to import", e.to_string())
            })?
            .unwrap_or(Value::Null);
        self.attributes
            .iter()
            .find_map(|a| match decoded.attr(a.name) {
                Some(Value::String(text)) if !text.trim().is_empty() => Some(text.clone()),
                Some(Value::Number(number)) => Some(number.to_string()),
                Some(Value::List(items)) => {
                    let parts: Vec<String> = items.iter().filter_map(import_part).collect();
                    (!parts.is_empty()).then(|| parts.join(","))
                }
                _ => None,
            })
            .ok_or_else(|| {
                let names: Vec<&str> = self.attributes.iter().map(|a| a.name).collect();
                Diagnostics::single_error(
                    "Nothing to import by",
                    format!("The identity gives none of {names:?}; set one of them."),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::Attr;

    /// A resource standing for a set of objects, named by their keys.
    #[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
    struct Batch {
        #[schemars(extend("x-tf" = "computed"))]
        keys: Attr<Vec<String>>,
        #[schemars(extend("x-tf" = "computed"))]
        members: Attr<std::collections::BTreeMap<String, String>>,
    }

    const KEYS: [IdentityAttribute; 1] = [IdentityAttribute::required("keys", "The keys.")];
    const MEMBERS: [IdentityAttribute; 1] =
        [IdentityAttribute::required("members", "The members.")];

    fn batch_identity(
        attributes: &'static [IdentityAttribute],
    ) -> Result<Option<Identity>, String> {
        let schema = Schema::of::<Batch>(0).expect("a schema");
        Identity::new("toy_batch", attributes, &schema)
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::String((*s).into())).collect())
    }

    fn wire(identity: &Identity, keys: Value) -> pb::ResourceIdentityData {
        let value = Value::Object(BTreeMap::from([("keys".to_string(), keys)]));
        pb::ResourceIdentityData {
            identity_data: Some(pb::DynamicValue {
                msgpack: value::to_msgpack(&value, &identity.ty).expect("an identity"),
                json: Vec::new(),
            }),
        }
    }

    #[test]
    fn a_list_of_primitives_is_an_identity_and_a_map_is_not() {
        let identity = batch_identity(&KEYS).expect("valid").expect("declared");
        let proto = identity.schema_to_proto();
        assert_eq!(
            proto.identity_attributes[0].r#type,
            br#"["list","string"]"#.to_vec()
        );
        let refused = batch_identity(&MEMBERS).err().expect("a map is refused");
        assert!(refused.contains("\"members\""), "{refused}");
        assert!(refused.contains("list of them"), "{refused}");
    }

    #[test]
    fn a_list_identity_imports_by_its_elements_joined_by_commas() {
        let identity = batch_identity(&KEYS).expect("valid").expect("declared");
        let id = identity
            .import_id(&wire(&identity, list(&["A-1", " B-2 ", ""])))
            .expect("an import id");
        assert_eq!(id, "A-1,B-2");
        let none = identity.import_id(&wire(&identity, list(&[])));
        assert!(none.is_err(), "an empty list names nothing to import");
    }

    #[test]
    fn a_list_identity_is_returned_only_when_wholly_known() {
        let identity = batch_identity(&KEYS).expect("valid").expect("declared");
        let state = |keys: Value| {
            Value::Object(BTreeMap::from([
                ("keys".to_string(), keys),
                ("members".to_string(), Value::Null),
            ]))
        };
        assert!(identity.of(&state(list(&["A-1"]))).is_some());
        assert!(
            identity
                .of(&state(Value::List(vec![Value::Unknown])))
                .is_none()
        );
        assert!(identity.of(&state(Value::Null)).is_none());
    }
}
