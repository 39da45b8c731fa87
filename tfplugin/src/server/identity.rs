//! Resource identity on the wire: the identity schema of each resource that
//! names identity attributes (their types taken from its state schema), the
//! identity value of a state, and the import id an identity import means.
//!
//! An identity is returned only when every one of its attributes is known
//! and not null: Terraform requires an identity never to change once
//! stored, so a partial one (an import before the read that completes it)
//! is better left out than sent and then changed.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostics;
use crate::identity::IdentityAttribute;
use crate::proto::tfplugin6 as pb;
use crate::schema::Schema;
use crate::value::{self, Type, Value};

/// Identity schema version: bumped when a resource's identity attributes change.
const VERSION: i64 = 0;

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
            if !matches!(ty, Type::String | Type::Number | Type::Bool) {
                return Err(format!(
                    "{type_name}: identity attribute {:?} is not a string, number or bool",
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
    /// in the resource's order, that the identity gives.
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
