//! JSON, used by Terraform for stored state (`UpgradeResourceState`) and
//! accepted in any `DynamicValue`. Unknowns cannot be represented.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{CodecError, Type, Value, array_fits, child_path, decode_array, show_path};

pub fn from_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let raw: Json = serde_json::from_slice(bytes).map_err(|e| CodecError::Json(e.to_string()))?;
    decode(raw, ty, "")
}

pub fn to_json(value: &Value) -> Result<Json, CodecError> {
    encode(value, "")
}

fn decode(raw: Json, ty: &Type, path: &str) -> Result<Value, CodecError> {
    let mismatch = |found: &Json| CodecError::Mismatch {
        path: show_path(path),
        expected: ty.to_string(),
        found: match found {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
        .into(),
    };
    match (ty, raw) {
        (_, Json::Null) => Ok(Value::Null),
        (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(b)),
        (Type::Number, Json::Number(n)) => n
            .to_string()
            .parse()
            .map(Value::Number)
            .map_err(|_| mismatch(&Json::Number(n))),
        (Type::Number, Json::String(s)) => s
            .parse()
            .map(Value::Number)
            .map_err(|_| mismatch(&Json::String(s))),
        (Type::String, Json::String(s)) => Ok(Value::String(s)),
        (Type::String, Json::Number(n)) => Ok(Value::String(n.to_string())),
        (Type::String, Json::Bool(b)) => Ok(Value::String(b.to_string())),
        (_, Json::Array(items)) if array_fits(ty, items.len()) => {
            decode_array(ty, items, path, decode)
        }
        (Type::Map(elem), Json::Object(entries)) => entries
            .into_iter()
            .map(|(k, v)| {
                let item = decode(v, elem, &child_path(path, &format!("[{k:?}]")))?;
                Ok((k, item))
            })
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map(Value::Map),
        (Type::Object(attrs), Json::Object(mut entries)) => {
            if let Some(extra) = entries.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::UnsupportedAttribute {
                    path: show_path(path),
                    name: extra.clone(),
                });
            }
            attrs
                .iter()
                .map(|(name, attr_ty)| {
                    let item = entries.remove(name).unwrap_or(Json::Null);
                    Ok((
                        name.clone(),
                        decode(item, attr_ty, &child_path(path, &format!(".{name}")))?,
                    ))
                })
                .collect::<Result<BTreeMap<_, _>, _>>()
                .map(Value::Object)
        }
        (Type::Dynamic, Json::Object(mut parts))
            if parts.contains_key("type") && parts.contains_key("value") =>
        {
            let ty = Type::from_json(&parts.remove("type").unwrap_or(Json::Null))?;
            let value = decode(parts.remove("value").unwrap_or(Json::Null), &ty, path)?;
            super::msgpack::check_one_type(&value, path)?;
            Ok(value)
        }
        (_, raw) => Err(mismatch(&raw)),
    }
}

fn encode(value: &Value, path: &str) -> Result<Json, CodecError> {
    Ok(match value {
        Value::Null => Json::Null,
        Value::Unknown => {
            return Err(CodecError::UnknownInJson {
                path: show_path(path),
            });
        }
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => {
            let text = n.to_string();
            Json::Number(serde_json::from_str(&text).map_err(|e| CodecError::Json(e.to_string()))?)
        }
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| encode(item, &child_path(path, &format!("[{i}]"))))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) | Value::Object(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), encode(v, &child_path(path, &format!(".{k}")))?)))
                .collect::<Result<_, CodecError>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_state_decodes_with_missing_attributes_as_null() {
        let ty = Type::Object(BTreeMap::from([
            ("id".to_string(), Type::String),
            ("n".to_string(), Type::Number),
        ]));
        let v = from_json(br#"{"id":"a"}"#, &ty).expect("decode");
        assert_eq!(v.attr("n"), Some(&Value::Null));
        assert!(from_json(br#"{"zzz":1}"#, &ty).is_err());
    }

    #[test]
    fn numbers_keep_precision() {
        let v = from_json(b"0.1", &Type::Number).expect("decode");
        assert_eq!(to_json(&v).expect("encode").to_string(), "0.1");
        let big = from_json(b"12345678901234567890123", &Type::Number).expect("decode");
        assert_eq!(
            to_json(&big).expect("encode").to_string(),
            "12345678901234567890123"
        );
    }

    #[test]
    fn unknown_cannot_be_json() {
        assert!(to_json(&Value::Unknown).is_err());
    }
}
