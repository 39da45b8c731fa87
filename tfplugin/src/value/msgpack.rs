//! msgpack, Terraform's main wire encoding for values
//! (object-wire-format: objects are maps with one entry per attribute,
//! unknown is any extension value, numbers are int, float64 or decimal text).

use std::collections::BTreeMap;

use rmpv::Value as Mp;

use super::{CodecError, Number, Type, Value, array_fits, child_path, decode_array, show_path};

/// Decodes msgpack bytes as a value of `ty`. Empty bytes mean null, as they
/// do for Terraform.
pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut reader = bytes;
    let raw =
        rmpv::decode::read_value(&mut reader).map_err(|e| CodecError::Msgpack(e.to_string()))?;
    if !reader.is_empty() {
        return Err(CodecError::Msgpack(format!(
            "{} trailing bytes",
            reader.len()
        )));
    }
    decode(raw, ty, "")
}

/// Encodes a value of `ty` as msgpack.
pub fn to_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let raw = encode(value, ty, "")?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &raw).map_err(|e| CodecError::Msgpack(e.to_string()))?;
    Ok(out)
}

fn mismatch(path: &str, ty: &Type, found: &Mp) -> CodecError {
    CodecError::Mismatch {
        path: show_path(path),
        expected: ty.to_string(),
        found: match found {
            Mp::Nil => "nil",
            Mp::Boolean(_) => "bool",
            Mp::Integer(_) | Mp::F32(_) | Mp::F64(_) => "number",
            Mp::String(_) => "string",
            Mp::Binary(_) => "binary",
            Mp::Array(_) => "array",
            Mp::Map(_) => "map",
            Mp::Ext(..) => "extension",
        }
        .to_string(),
    }
}

fn decode(raw: Mp, ty: &Type, path: &str) -> Result<Value, CodecError> {
    match (ty, raw) {
        (_, Mp::Nil) => Ok(Value::Null),
        (_, Mp::Ext(..)) => Ok(Value::Unknown),
        (Type::Bool, Mp::Boolean(b)) => Ok(Value::Bool(b)),
        (Type::Number, Mp::Integer(i)) => {
            let n = if let Some(v) = i.as_i64() {
                Number::from(v)
            } else if let Some(v) = i.as_u64() {
                Number::from(v)
            } else {
                return Err(CodecError::Msgpack("integer out of range".into()));
            };
            Ok(Value::Number(n))
        }
        (Type::Number, Mp::F64(f)) => float(f, path),
        (Type::Number, Mp::F32(f)) => float(f64::from(f), path),
        (Type::Number, Mp::String(s)) => {
            let text = s
                .into_str()
                .ok_or_else(|| CodecError::Msgpack("invalid UTF-8".into()))?;
            text.parse()
                .map(Value::Number)
                .map_err(|_| CodecError::Mismatch {
                    path: show_path(path),
                    expected: "number".into(),
                    found: format!("string {text:?}"),
                })
        }
        (Type::String, Mp::String(s)) => s
            .into_str()
            .map(Value::String)
            .ok_or_else(|| CodecError::Msgpack(format!("invalid UTF-8 at {}", show_path(path)))),
        (_, Mp::Array(items)) if array_fits(ty, items.len()) => {
            decode_array(ty, items, path, decode)
        }
        (Type::Map(elem), Mp::Map(entries)) => {
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                let key = map_key(key, path)?;
                let item_path = child_path(path, &format!("[{key:?}]"));
                out.insert(key, decode(item, elem, &item_path)?);
            }
            Ok(Value::Map(out))
        }
        (Type::Object(attrs), Mp::Map(entries)) => {
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                let key = map_key(key, path)?;
                let Some(attr_ty) = attrs.get(&key) else {
                    return Err(CodecError::UnsupportedAttribute {
                        path: show_path(path),
                        name: key,
                    });
                };
                let item_path = child_path(path, &format!(".{key}"));
                out.insert(key, decode(item, attr_ty, &item_path)?);
            }
            for name in attrs.keys() {
                out.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(out))
        }
        (Type::Dynamic, Mp::Array(mut parts)) if parts.len() == 2 => {
            let value = parts.pop().unwrap_or(Mp::Nil);
            let type_json = match parts.pop() {
                Some(Mp::Binary(b)) => b,
                Some(Mp::String(s)) => s.into_bytes(),
                _ => {
                    return Err(CodecError::Msgpack(format!(
                        "bad dynamic value at {}",
                        show_path(path)
                    )));
                }
            };
            let json: serde_json::Value =
                serde_json::from_slice(&type_json).map_err(|e| CodecError::Type(e.to_string()))?;
            let value = decode(value, &Type::from_json(&json)?, path)?;
            check_one_type(&value, path)?;
            Ok(value)
        }
        (ty, raw) => Err(mismatch(path, ty, &raw)),
    }
}

/// cty gives every element of a collection one type. A dynamic value whose
/// type has collections of `dynamic` carries a type per element and so can
/// break that; such a value could not be written back (found by fuzzing),
/// so it is refused when read.
pub(super) fn check_one_type(value: &Value, path: &str) -> Result<(), CodecError> {
    encode(value, &infer_type(value), path)
        .map(drop)
        .map_err(|_| CodecError::Mismatch {
            path: show_path(path),
            expected: "a collection whose elements have one type".into(),
            found: "elements of different types".into(),
        })
}

fn float(f: f64, path: &str) -> Result<Value, CodecError> {
    Number::from_f64_exact(f)
        .map(Value::Number)
        .ok_or_else(|| CodecError::Mismatch {
            path: show_path(path),
            expected: "finite number".into(),
            found: f.to_string(),
        })
}

fn map_key(key: Mp, path: &str) -> Result<String, CodecError> {
    match key {
        Mp::String(s) => s.into_str().ok_or_else(|| {
            CodecError::Msgpack(format!("invalid UTF-8 key at {}", show_path(path)))
        }),
        other => Err(CodecError::Msgpack(format!(
            "non-string key {other} at {}",
            show_path(path)
        ))),
    }
}

fn encode(value: &Value, ty: &Type, path: &str) -> Result<Mp, CodecError> {
    let mismatch = || CodecError::Mismatch {
        path: show_path(path),
        expected: ty.to_string(),
        found: value.kind().into(),
    };
    Ok(match (ty, value) {
        (_, Value::Null) => Mp::Nil,
        (_, Value::Unknown) => Mp::Ext(0, vec![0]),
        (Type::Dynamic, v) => {
            let actual = infer_type(v);
            let type_json = actual.to_json().to_string().into_bytes();
            Mp::Array(vec![Mp::Binary(type_json), encode(v, &actual, path)?])
        }
        (Type::Bool, Value::Bool(b)) => Mp::Boolean(*b),
        (Type::Number, Value::Number(n)) => encode_number(n),
        (Type::String, Value::String(s)) => Mp::String(s.as_str().into()),
        (Type::List(elem) | Type::Set(elem), Value::List(items) | Value::Set(items)) => Mp::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| encode(item, elem, &child_path(path, &format!("[{i}]"))))
                .collect::<Result<_, _>>()?,
        ),
        (Type::Tuple(elems), Value::Tuple(items) | Value::List(items))
            if elems.len() == items.len() =>
        {
            Mp::Array(
                items
                    .iter()
                    .zip(elems)
                    .enumerate()
                    .map(|(i, (item, elem))| {
                        encode(item, elem, &child_path(path, &format!("[{i}]")))
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        (Type::Map(elem), Value::Map(entries) | Value::Object(entries)) => Mp::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    Ok((
                        Mp::String(k.as_str().into()),
                        encode(v, elem, &child_path(path, &format!("[{k:?}]")))?,
                    ))
                })
                .collect::<Result<_, CodecError>>()?,
        ),
        (Type::Object(attrs), Value::Object(entries) | Value::Map(entries)) => {
            if let Some(extra) = entries.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::UnsupportedAttribute {
                    path: show_path(path),
                    name: extra.clone(),
                });
            }
            // Every attribute, null where absent: Terraform requires exactly one
            // entry per attribute.
            Mp::Map(
                attrs
                    .iter()
                    .map(|(name, attr_ty)| {
                        let item = entries.get(name).unwrap_or(&Value::Null);
                        Ok((
                            Mp::String(name.as_str().into()),
                            encode(item, attr_ty, &child_path(path, &format!(".{name}")))?,
                        ))
                    })
                    .collect::<Result<_, CodecError>>()?,
            )
        }
        _ => return Err(mismatch()),
    })
}

fn encode_number(n: &Number) -> Mp {
    if let Some(i) = n.to_i64() {
        Mp::from(i)
    } else if let Some(f) = n.to_exact_f64() {
        Mp::F64(f)
    } else {
        Mp::String(n.to_string().into())
    }
}

/// The most specific type of a value, for encoding inside `dynamic`.
fn infer_type(value: &Value) -> Type {
    match value {
        Value::Null | Value::Unknown => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::list(items.first().map_or(Type::Dynamic, infer_type)),
        Value::Set(items) => Type::set(items.first().map_or(Type::Dynamic, infer_type)),
        Value::Tuple(items) => Type::Tuple(items.iter().map(infer_type).collect()),
        Value::Map(entries) => Type::map(entries.values().next().map_or(Type::Dynamic, infer_type)),
        Value::Object(entries) => Type::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), infer_type(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::name_count_tags;

    #[test]
    fn unknown_is_fixext1_zero() {
        assert_eq!(
            to_msgpack(&Value::Unknown, &Type::String).ok(),
            Some(vec![0xd4, 0x00, 0x00])
        );
    }

    #[test]
    fn any_extension_reads_as_unknown() {
        // A refined unknown (ext 12 carrying a map) from Terraform >= 1.6.
        let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        assert_eq!(
            from_msgpack(&refined, &Type::String).ok(),
            Some(Value::Unknown)
        );
    }

    #[test]
    fn empty_bytes_are_null() {
        assert_eq!(
            from_msgpack(&[], &name_count_tags()).ok(),
            Some(Value::Null)
        );
    }

    #[test]
    fn numbers_use_terraforms_encodings() {
        let enc = |s: &str| {
            to_msgpack(&Value::Number(s.parse().expect("number")), &Type::Number).expect("encode")
        };
        assert_eq!(enc("80"), vec![80]);
        assert_eq!(enc("-3"), vec![0xfd]);
        assert_eq!(enc("1.5")[0], 0xcb);
        assert_eq!(enc("0.1"), vec![0xa3, b'0', b'.', b'1']);
    }

    #[test]
    fn objects_get_every_attribute_and_reject_extras() {
        let value = Value::Object(BTreeMap::from([(
            "name".to_string(),
            Value::String("x".into()),
        )]));
        let bytes = to_msgpack(&value, &name_count_tags()).expect("encode");
        let back = from_msgpack(&bytes, &name_count_tags()).expect("decode");
        assert_eq!(back.attr("count"), Some(&Value::Null));
        assert_eq!(back.attr("name"), Some(&Value::String("x".into())));
        let extra = Value::Object(BTreeMap::from([("nope".to_string(), Value::Null)]));
        assert!(matches!(
            to_msgpack(&extra, &name_count_tags()),
            Err(CodecError::UnsupportedAttribute { .. })
        ));
    }

    #[test]
    fn dynamic_carries_its_type() {
        let bytes = to_msgpack(&Value::String("hi".into()), &Type::Dynamic).expect("encode");
        assert_eq!(
            from_msgpack(&bytes, &Type::Dynamic).ok(),
            Some(Value::String("hi".into()))
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            &[0x92, 0x01][..],
            &[0xa5, b'a'][..],
            &[0x81, 0x01, 0x02][..],
        ] {
            assert!(from_msgpack(bytes, &name_count_tags()).is_err());
        }
    }
}
