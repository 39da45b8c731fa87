//! cty types and their JSON form (the `type` bytes of a schema attribute).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Value as Json, json};

use super::CodecError;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Type {
    Bool,
    Number,
    #[default]
    String,
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

/// The object type the codec and attribute tests share: `name` (string), `count` (number) and
/// `tags` (set of strings).
#[cfg(test)]
pub(crate) fn name_count_tags() -> Type {
    Type::Object(BTreeMap::from([
        ("name".to_string(), Type::String),
        ("count".to_string(), Type::Number),
        ("tags".to_string(), Type::set(Type::String)),
    ]))
}

impl Type {
    /// Whether `dynamic` appears anywhere in the type: a value of it carries
    /// its own type, which JSON cannot say (Terraform sends such values as
    /// msgpack, or as JSON with the type beside them).
    pub fn contains_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::List(e) | Type::Set(e) | Type::Map(e) => e.contains_dynamic(),
            Type::Object(attrs) => attrs.values().any(Type::contains_dynamic),
            Type::Tuple(elems) => elems.iter().any(Type::contains_dynamic),
            Type::Bool | Type::Number | Type::String => false,
        }
    }

    pub fn list(elem: Type) -> Type {
        Type::List(Box::new(elem))
    }
    pub fn set(elem: Type) -> Type {
        Type::Set(Box::new(elem))
    }
    pub fn map(elem: Type) -> Type {
        Type::Map(Box::new(elem))
    }

    /// The cty JSON form: `"string"`, `["list","string"]`, `["object",{...}]`.
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => json!("bool"),
            Type::Number => json!("number"),
            Type::String => json!("string"),
            Type::Dynamic => json!("dynamic"),
            Type::List(e) => json!(["list", e.to_json()]),
            Type::Set(e) => json!(["set", e.to_json()]),
            Type::Map(e) => json!(["map", e.to_json()]),
            Type::Object(attrs) => {
                let attrs: serde_json::Map<String, Json> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                json!(["object", attrs])
            }
            Type::Tuple(elems) => {
                json!(["tuple", elems.iter().map(Type::to_json).collect::<Vec<_>>()])
            }
        }
    }

    pub fn from_json(value: &Json) -> Result<Type, CodecError> {
        let bad = || CodecError::Type(value.to_string());
        match value {
            Json::String(s) => match s.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(parts) if parts.len() >= 2 => {
                let kind = parts[0].as_str().ok_or_else(bad)?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(&parts[1])?)),
                    "set" => Ok(Type::set(Type::from_json(&parts[1])?)),
                    "map" => Ok(Type::map(Type::from_json(&parts[1])?)),
                    "object" => {
                        let attrs = parts[1].as_object().ok_or_else(bad)?;
                        attrs
                            .iter()
                            .map(|(k, t)| Ok((k.clone(), Type::from_json(t)?)))
                            .collect::<Result<_, _>>()
                            .map(Type::Object)
                    }
                    "tuple" => parts[1]
                        .as_array()
                        .ok_or_else(bad)?
                        .iter()
                        .map(Type::from_json)
                        .collect::<Result<_, _>>()
                        .map(Type::Tuple),
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => write!(f, "bool"),
            Type::Number => write!(f, "number"),
            Type::String => write!(f, "string"),
            Type::Dynamic => write!(f, "dynamic"),
            Type::List(e) => write!(f, "list of {e}"),
            Type::Set(e) => write!(f, "set of {e}"),
            Type::Map(e) => write!(f, "map of {e}"),
            Type::Object(_) => write!(f, "object"),
            Type::Tuple(_) => write!(f, "tuple"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let ty = Type::Object(BTreeMap::from([
            ("a".to_string(), Type::set(Type::String)),
            ("b".to_string(), Type::Tuple(vec![Type::Number, Type::Bool])),
            ("c".to_string(), Type::map(Type::Dynamic)),
        ]));
        let json = ty.to_json();
        assert_eq!(
            json,
            json!(["object", {"a": ["set", "string"], "b": ["tuple", ["number", "bool"]], "c": ["map", "dynamic"]}])
        );
        assert_eq!(Type::from_json(&json).ok(), Some(ty));
    }

    #[test]
    fn rejects_garbage() {
        assert!(Type::from_json(&json!("float")).is_err());
        assert!(Type::from_json(&json!(["list"])).is_err());
        assert!(Type::from_json(&json!(42)).is_err());
    }
}
