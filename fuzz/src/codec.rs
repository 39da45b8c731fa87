//! The value codec (`tfplugin::value`): msgpack and JSON decoders.
//!
//! The first input byte picks a type (a few hand-written shapes covering
//! every kind, `dynamic` included, and the value types of the provider's
//! real resource schemas); the rest is decoded as a value of that type.
//! Whatever decodes must encode again and decode to the same value.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use terraform_provider_autopilot::AutopilotProvider;
use tfplugin::value::{from_json, from_msgpack, to_json, to_msgpack};
use tfplugin::{Provider, Type, Value};

fn object(attrs: &[(&str, Type)]) -> Type {
    Type::Object(
        attrs
            .iter()
            .map(|(name, ty)| (name.to_string(), ty.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn hand_written_types() -> Vec<Type> {
    let item = object(&[("id", Type::String), ("weight", Type::Number)]);
    vec![
        Type::String,
        Type::Number,
        Type::Bool,
        Type::Dynamic,
        Type::list(Type::String),
        Type::set(Type::Number),
        Type::map(Type::Dynamic),
        Type::Tuple(vec![Type::String, Type::Number, Type::Bool]),
        object(&[
            ("name", Type::String),
            ("count", Type::Number),
            ("tags", Type::set(Type::String)),
            (
                "settings",
                object(&[("enabled", Type::Bool), ("ratio", Type::Number)]),
            ),
            ("extra", Type::Dynamic),
            ("items", Type::list(item.clone())),
        ]),
        Type::list(Type::list(Type::Dynamic)),
        Type::set(item),
        Type::map(Type::list(Type::Number)),
    ]
}

/// The types inputs are decoded against: the hand-written ones, then every
/// resource's and data source's value type.
pub fn types() -> &'static [Type] {
    static TYPES: OnceLock<Vec<Type>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let provider = AutopilotProvider;
        let mut types = hand_written_types();
        for resource in provider.resources() {
            if let Ok(schema) = resource.schema() {
                types.push(schema.value_type());
            }
        }
        for data_source in provider.data_sources() {
            if let Ok(schema) = data_source.schema() {
                types.push(schema.value_type());
            }
        }
        types
    })
}

/// The type chosen by the first byte, and the bytes to decode.
pub fn split(data: &[u8]) -> Option<(&'static Type, &[u8])> {
    let (first, rest) = data.split_first()?;
    let types = types();
    Some((&types[usize::from(*first) % types.len()], rest))
}

/// msgpack → value → msgpack → value gives the same value.
pub fn msgpack_round_trip(value: &Value, ty: &Type) {
    let encoded = to_msgpack(value, ty)
        .unwrap_or_else(|e| panic!("{value:?} decoded as {ty} but does not encode: {e}"));
    let again = from_msgpack(&encoded, ty)
        .unwrap_or_else(|e| panic!("the encoding of {value:?} as {ty} does not decode: {e}"));
    assert_eq!(&again, value, "msgpack round trip changed the value ({ty})");
}

/// Any bytes: an error or a value that survives a msgpack round trip.
pub fn check_msgpack(data: &[u8]) {
    let Some((ty, bytes)) = split(data) else {
        return;
    };
    if let Ok(value) = from_msgpack(bytes, ty) {
        msgpack_round_trip(&value, ty);
    }
}

/// Any bytes: an error or a wholly known value that survives a JSON round
/// trip (types without `dynamic`) and a msgpack round trip.
pub fn check_json(data: &[u8]) {
    let Some((ty, bytes)) = split(data) else {
        return;
    };
    let Ok(value) = from_json(bytes, ty) else {
        return;
    };
    assert!(
        value.is_wholly_known(),
        "JSON has no unknowns, yet {value:?} holds one"
    );
    let json = to_json(&value).unwrap_or_else(|e| panic!("{value:?} does not encode: {e}"));
    if !ty.contains_dynamic() {
        let again = from_json(json.to_string().as_bytes(), ty)
            .unwrap_or_else(|e| panic!("the JSON {json} of {value:?} does not decode: {e}"));
        assert_eq!(again, value, "JSON round trip changed the value ({ty})");
    }
    msgpack_round_trip(&value, ty);
}
