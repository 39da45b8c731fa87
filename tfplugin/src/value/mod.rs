//! Terraform values: a typed tree with null and unknown, and its two wire
//! encodings (msgpack and JSON), plus the serde bridge to resource models.

mod json;
mod msgpack;
mod number;
mod serde_bridge;
mod types;

use std::collections::BTreeMap;

pub use json::{from_json, to_json};
pub use msgpack::{from_msgpack, to_msgpack};
pub use number::{NotANumber, Number};
pub(crate) use serde_bridge::{ATTR_TOKEN, NUMBER_TOKEN, UNKNOWN_TOKEN};
pub use serde_bridge::{from_value, to_value};
pub use types::Type;
#[cfg(test)]
pub(crate) use types::name_count_tags;

/// A Terraform value. Sets are kept sorted and free of duplicate *known*
/// members, so two equal sets compare equal with `==`. As in cty, an unknown
/// member (or one that contains an unknown) is never equal to another: a set
/// written `[a.id, b.id]` with both ids unknown keeps two members.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Value {
    #[default]
    Null,
    /// Known only after apply. Refinements sent by newer Terraform are read
    /// and dropped (allowed: they are hints).
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Tuple(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
}

/// A value that does not fit its type, or bytes that are not a value.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("at {path}: expected {expected}, found {found}")]
    Mismatch {
        path: String,
        expected: String,
        found: String,
    },
    #[error("at {path}: unsupported attribute {name:?}")]
    UnsupportedAttribute { path: String, name: String },
    #[error("at {path}: unknown values cannot be encoded as JSON")]
    UnknownInJson { path: String },
    #[error("malformed msgpack: {0}")]
    Msgpack(String),
    #[error("malformed JSON: {0}")]
    Json(String),
    #[error("invalid type description: {0}")]
    Type(String),
    #[error("{0}")]
    Custom(String),
}

impl Value {
    /// A set of `items`: sorted, wholly known duplicates merged, members that
    /// are not wholly known all kept (cty never finds two of them equal).
    pub fn set(mut items: Vec<Value>) -> Value {
        items.sort();
        items.dedup_by(|later, earlier| later == earlier && earlier.is_wholly_known());
        Value::Set(items)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when no unknown appears anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_wholly_known)
            }
            _ => true,
        }
    }

    /// An attribute of an object value (`None` for anything else).
    pub fn attr(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(attrs) => attrs.get(name),
            _ => None,
        }
    }

    pub fn attr_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(attrs) => attrs.get_mut(name),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A short description of the value's kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Tuple(_) => "tuple",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
        }
    }

    /// Reshapes a value produced from a model (lists, maps, integers) into
    /// the given type: sets become canonical, objects gain every attribute
    /// (null when absent), maps and objects swap as the type says.
    pub fn conform(self, ty: &Type) -> Result<Value, CodecError> {
        conform_at(self, ty, &mut String::new())
    }
}

fn conform_at(value: Value, ty: &Type, path: &mut String) -> Result<Value, CodecError> {
    let mismatch = |value: &Value, path: &String| CodecError::Mismatch {
        path: if path.is_empty() {
            ".".into()
        } else {
            path.clone()
        },
        expected: ty.to_string(),
        found: value.kind().into(),
    };
    match (ty, value) {
        (_, Value::Null) => Ok(Value::Null),
        (_, Value::Unknown) => Ok(Value::Unknown),
        (Type::Dynamic, v) => Ok(v),
        (Type::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
        (Type::Number, Value::Number(n)) => Ok(Value::Number(n)),
        (Type::Number, Value::String(s)) => s
            .parse()
            .map(Value::Number)
            .map_err(|_| mismatch(&Value::String(s), path)),
        (Type::String, Value::String(s)) => Ok(Value::String(s)),
        (Type::String, Value::Number(n)) => Ok(Value::String(n.to_string())),
        (Type::String, Value::Bool(b)) => Ok(Value::String(b.to_string())),
        (Type::List(elem), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            conform_items(items, elem, path).map(Value::List)
        }
        (Type::Set(elem), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            conform_items(items, elem, path).map(Value::set)
        }
        (Type::Tuple(elems), Value::List(items) | Value::Tuple(items))
            if elems.len() == items.len() =>
        {
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, elem)) in items.into_iter().zip(elems).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(conform_at(item, elem, path)?);
                path.truncate(len);
            }
            Ok(Value::Tuple(out))
        }
        (Type::Map(elem), Value::Map(entries) | Value::Object(entries)) => {
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                let len = path.len();
                path.push_str(&format!("[{key:?}]"));
                out.insert(key, conform_at(item, elem, path)?);
                path.truncate(len);
            }
            Ok(Value::Map(out))
        }
        (Type::Object(attrs), Value::Map(mut entries) | Value::Object(mut entries)) => {
            let mut out = BTreeMap::new();
            for (name, attr_ty) in attrs {
                let item = entries.remove(name).unwrap_or(Value::Null);
                let len = path.len();
                path.push('.');
                path.push_str(name);
                out.insert(name.clone(), conform_at(item, attr_ty, path)?);
                path.truncate(len);
            }
            if let Some(name) = entries.into_keys().next() {
                return Err(CodecError::UnsupportedAttribute {
                    path: if path.is_empty() {
                        ".".into()
                    } else {
                        path.clone()
                    },
                    name,
                });
            }
            Ok(Value::Object(out))
        }
        (_, v) => Err(mismatch(&v, path)),
    }
}

fn conform_items(
    items: Vec<Value>,
    elem: &Type,
    path: &mut String,
) -> Result<Vec<Value>, CodecError> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let len = path.len();
        path.push_str(&format!("[{i}]"));
        out.push(conform_at(item, elem, path)?);
        path.truncate(len);
    }
    Ok(out)
}

/// Whether an array of `len` items can be a value of `ty`: a list or a set, or a tuple with
/// that many elements.
pub(crate) fn array_fits(ty: &Type, len: usize) -> bool {
    match ty {
        Type::List(_) | Type::Set(_) => true,
        Type::Tuple(elems) => elems.len() == len,
        _ => false,
    }
}

/// Decodes an array from either wire form as a list, set or tuple (`ty`, which
/// [`array_fits`] accepted): item `i` with `decode` at `path[i]`.
pub(crate) fn decode_array<Raw>(
    ty: &Type,
    items: Vec<Raw>,
    path: &str,
    decode: impl Fn(Raw, &Type, &str) -> Result<Value, CodecError>,
) -> Result<Value, CodecError> {
    let decode_all = |types: &mut dyn Iterator<Item = &Type>| {
        items
            .into_iter()
            .zip(types)
            .enumerate()
            .map(|(i, (item, ty))| decode(item, ty, &child_path(path, &format!("[{i}]"))))
            .collect::<Result<Vec<_>, _>>()
    };
    match ty {
        Type::List(elem) => decode_all(&mut std::iter::repeat(&**elem)).map(Value::List),
        Type::Set(elem) => decode_all(&mut std::iter::repeat(&**elem)).map(Value::set),
        Type::Tuple(elems) => decode_all(&mut elems.iter()).map(Value::Tuple),
        other => Err(CodecError::Custom(format!(
            "{other} is not decoded from an array"
        ))),
    }
}

pub(crate) fn child_path(path: &str, step: &str) -> String {
    format!("{path}{step}")
}

pub(crate) fn show_path(path: &str) -> String {
    if path.is_empty() {
        ".".to_string()
    } else {
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    fn object(attrs: &[(&str, Value)]) -> Value {
        Value::Object(
            attrs
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone()))
                .collect(),
        )
    }

    #[test]
    fn sets_keep_every_unknown_member() {
        for n in 1..=5 {
            let set = Value::set(vec![Value::Unknown; n]);
            assert_eq!(set, Value::Set(vec![Value::Unknown; n]), "{n} unknowns");
        }
    }

    #[test]
    fn sets_merge_known_duplicates_only() {
        let set = Value::set(vec![s("b"), Value::Unknown, s("a"), s("b"), Value::Unknown]);
        let Value::Set(items) = set else {
            panic!("not a set");
        };
        assert_eq!(items.iter().filter(|v| v.is_unknown()).count(), 2);
        assert_eq!(items.iter().filter(|v| **v == s("a")).count(), 1);
        assert_eq!(items.iter().filter(|v| **v == s("b")).count(), 1);
        assert_eq!(Value::set(vec![s("a"), s("a")]), Value::Set(vec![s("a")]));
    }

    #[test]
    fn set_members_that_contain_unknowns_stay_distinct() {
        let block = object(&[("id", Value::Unknown), ("name", s("x"))]);
        let set = Value::set(vec![block.clone(), block.clone(), block.clone()]);
        assert_eq!(set, Value::Set(vec![block.clone(), block.clone(), block]));
        let known = object(&[("id", s("1")), ("name", s("x"))]);
        let set = Value::set(vec![known.clone(), known.clone()]);
        assert_eq!(set, Value::Set(vec![known]));
    }

    #[test]
    fn null_empty_and_unknown_collections_differ() {
        assert_ne!(Value::Null, Value::set(Vec::new()));
        assert_ne!(Value::Unknown, Value::set(Vec::new()));
        assert_ne!(Value::List(Vec::new()), Value::Null);
    }

    #[test]
    fn unknown_set_members_survive_the_wire() {
        let ty = Type::set(Type::String);
        let set = Value::set(vec![Value::Unknown, Value::Unknown, s("a")]);
        let bytes = to_msgpack(&set, &ty).expect("encode");
        assert_eq!(from_msgpack(&bytes, &ty).expect("decode"), set);
    }
}
