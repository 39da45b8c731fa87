//! Property tests of the value codec: any type with a value of that type
//! (nulls and unknowns at any depth, exact decimals, sets, maps, objects,
//! tuples, dynamic) survives msgpack, and JSON where JSON can carry it;
//! arbitrary and damaged bytes decode to an error, never a panic.

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use tfplugin::value::{Number, from_json, from_msgpack, to_json, to_msgpack};
use tfplugin::{Type, Value};

/// Attribute names: short, so objects of one type share some, plus a few
/// that need care (empty, spaces, non-ASCII).
fn attr_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z_]{1,6}",
        1 => Just(String::new()),
        1 => Just("with space".to_string()),
        1 => Just("ümlaut".to_string()),
    ]
}

fn any_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::Bool),
        Just(Type::Number),
        Just(Type::String),
        Just(Type::Dynamic),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            btree_map(attr_name(), inner.clone(), 0..4).prop_map(Type::Object),
            vec(inner, 0..4).prop_map(Type::Tuple),
        ]
    })
}

/// A type with no `dynamic` anywhere: what a dynamic value really is.
fn static_type() -> impl Strategy<Value = Type> {
    any_type().prop_flat_map(|ty| resolve_dynamic(&ty))
}

/// Replaces every `dynamic` in `ty` with some static type.
fn resolve_dynamic(ty: &Type) -> BoxedStrategy<Type> {
    match ty {
        Type::Dynamic => prop_oneof![
            Just(Type::Bool),
            Just(Type::Number),
            Just(Type::String),
            Just(Type::list(Type::String)),
            Just(Type::Object(BTreeMap::from([(
                "n".to_string(),
                Type::Number
            )]))),
        ]
        .boxed(),
        Type::List(e) => resolve_dynamic(e).prop_map(Type::list).boxed(),
        Type::Set(e) => resolve_dynamic(e).prop_map(Type::set).boxed(),
        Type::Map(e) => resolve_dynamic(e).prop_map(Type::map).boxed(),
        Type::Object(attrs) => per_attribute(attrs, resolve_dynamic)
            .prop_map(Type::Object)
            .boxed(),
        Type::Tuple(elems) => per_element(elems, resolve_dynamic)
            .prop_map(Type::Tuple)
            .boxed(),
        other => Just(other.clone()).boxed(),
    }
}

/// `part` of each attribute of an object type, by attribute name.
fn per_attribute<T: Clone + std::fmt::Debug + 'static>(
    attrs: &BTreeMap<String, Type>,
    part: fn(&Type) -> BoxedStrategy<T>,
) -> BoxedStrategy<BTreeMap<String, T>> {
    let parts: Vec<BoxedStrategy<(String, T)>> = attrs
        .iter()
        .map(|(name, t)| {
            let name = name.clone();
            part(t).prop_map(move |v| (name.clone(), v)).boxed()
        })
        .collect();
    parts.prop_map(|parts| parts.into_iter().collect()).boxed()
}

/// `part` of each element type of a tuple type, in order.
fn per_element<T: Clone + std::fmt::Debug + 'static>(
    elems: &[Type],
    part: fn(&Type) -> BoxedStrategy<T>,
) -> BoxedStrategy<Vec<T>> {
    elems.iter().map(part).collect::<Vec<_>>().boxed()
}

/// Exact decimals: integers beyond 64 bits, fractions that are not binary
/// floats, exponents; also every i64 and every finite f64.
fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        "-?[0-9]{1,40}(\\.[0-9]{1,30})?(e-?[0-9]{1,2})?".prop_map(|text| {
            text.parse::<Number>()
                .unwrap_or_else(|_| panic!("{text} is a number"))
        }),
        any::<i64>().prop_map(Number::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64_exact),
    ]
}

/// A value of `ty`: null or unknown at this level sometimes, else known.
fn value_of(ty: &Type) -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => Just(Value::Unknown),
        6 => known_value_of(ty),
    ]
    .boxed()
}

fn known_value_of(ty: &Type) -> BoxedStrategy<Value> {
    match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => number().prop_map(Value::Number).boxed(),
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::List(e) => vec(value_of(e), 0..4).prop_map(Value::List).boxed(),
        Type::Set(e) => vec(value_of(e), 0..4).prop_map(Value::set).boxed(),
        Type::Map(e) => btree_map(any::<String>(), value_of(e), 0..4)
            .prop_map(Value::Map)
            .boxed(),
        Type::Object(attrs) => per_attribute(attrs, value_of)
            .prop_map(Value::Object)
            .boxed(),
        Type::Tuple(elems) => per_element(elems, value_of).prop_map(Value::Tuple).boxed(),
        // A dynamic value has one static type, the same for every element
        // of a collection inside it (as cty requires).
        Type::Dynamic => static_type()
            .prop_flat_map(|actual| known_value_of(&actual))
            .boxed(),
    }
}

fn typed_value() -> impl Strategy<Value = (Type, Value)> {
    any_type().prop_flat_map(|ty| {
        let values = value_of(&ty);
        (Just(ty), values)
    })
}

/// Damages bytes: cut them short, flip one byte, or both.
fn damage(bytes: &mut Vec<u8>, cut: usize, flip: usize, mask: u8) {
    if !bytes.is_empty() {
        let at = flip % bytes.len();
        bytes[at] ^= mask;
    }
    bytes.truncate(cut % (bytes.len() + 1));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn msgpack_round_trip((ty, value) in typed_value()) {
        let bytes = to_msgpack(&value, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = from_msgpack(&bytes, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, value);
    }

    #[test]
    fn json_round_trip_for_known_values_of_static_types((ty, value) in typed_value()) {
        match to_json(&value) {
            Ok(json) => {
                prop_assert!(value.is_wholly_known());
                if !ty.contains_dynamic() {
                    let back = from_json(json.to_string().as_bytes(), &ty)
                        .map_err(|e| TestCaseError::fail(format!("{json}: {e}")))?;
                    prop_assert_eq!(back, value);
                }
            }
            Err(_) => prop_assert!(!value.is_wholly_known(), "{:?} is known", value),
        }
    }

    #[test]
    fn exact_numbers_survive_both_encodings(n in number()) {
        let value = Value::Number(n);
        let bytes = to_msgpack(&value, &Type::Number).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(from_msgpack(&bytes, &Type::Number).ok(), Some(value.clone()));
        let json = to_json(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(from_json(json.to_string().as_bytes(), &Type::Number).ok(), Some(value));
    }

    #[test]
    fn arbitrary_bytes_never_panic(ty in any_type(), bytes in vec(any::<u8>(), 0..64)) {
        let _ = from_msgpack(&bytes, &ty);
        let _ = from_json(&bytes, &ty);
    }

    #[test]
    fn damaged_encodings_never_panic(
        (ty, value) in typed_value(),
        cut in any::<usize>(),
        flip in any::<usize>(),
        mask in 1..=255u8,
    ) {
        let mut bytes = to_msgpack(&value, &ty).map_err(|e| TestCaseError::fail(e.to_string()))?;
        damage(&mut bytes, cut, flip, mask);
        if let Ok(decoded) = from_msgpack(&bytes, &ty) {
            // Whatever still decodes is a value of the type: it encodes.
            prop_assert!(to_msgpack(&decoded, &ty).is_ok(), "{:?} decoded but does not encode", decoded);
        }
        if let Ok(json) = to_json(&value) {
            let mut text = json.to_string().into_bytes();
            damage(&mut text, cut, flip, mask);
            let _ = from_json(&text, &ty);
        }
    }
}

/// The generators reach what the properties are about: unknowns and nulls
/// below the top level, sets with several elements, decimals no float can
/// hold, collections inside dynamic values.
#[test]
fn generated_values_cover_the_hard_cases() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    fn walk(value: &Value, depth: usize, seen: &mut [bool; 4]) {
        match value {
            Value::Unknown | Value::Null if depth > 0 => seen[0] = true,
            Value::Set(items) if items.len() >= 2 => seen[1] = true,
            Value::Number(n) if n.to_exact_f64().is_none() && n.to_i64().is_none() => {
                seen[2] = true
            }
            _ => {}
        }
        match value {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().for_each(|v| walk(v, depth + 1, seen))
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().for_each(|v| walk(v, depth + 1, seen))
            }
            _ => {}
        }
    }

    let mut runner = TestRunner::deterministic();
    let mut seen = [false; 4];
    for _ in 0..2_000 {
        let (ty, value) = typed_value()
            .new_tree(&mut runner)
            .expect("a value")
            .current();
        walk(&value, 0, &mut seen);
        if ty == Type::Dynamic && matches!(value, Value::List(_) | Value::Object(_) | Value::Set(_))
        {
            seen[3] = true;
        }
    }
    assert_eq!(
        seen, [true; 4],
        "nested null/unknown, multi-element set, exact decimal, collection in dynamic"
    );
}

/// Found by fuzzing: a number written with a huge exponent took unbounded
/// time and memory once it was used; now it is refused when decoded.
#[test]
fn huge_exponents_are_errors_not_hangs() {
    let msgpack = [&[0xab][..], b"1e999999999"].concat();
    assert!(from_msgpack(&msgpack, &Type::Number).is_err());
    assert!(from_json(b"1e999999999", &Type::Number).is_err());
    assert!(from_json(br#""-1E-999999999""#, &Type::Number).is_err());
    assert!(
        from_json(b"1e999999999", &Type::String).is_ok(),
        "as a string it is only text"
    );
}

/// Found by fuzzing: a dynamic value typed `list(dynamic)` can give each
/// element its own type, which cty never does and which could not be
/// encoded again. It is refused when read; one-typed lists still read.
#[test]
fn dynamic_collections_with_mixed_element_types_are_refused() {
    let wrapped =
        |ty: &str, value: &[u8]| [&[0x92, 0xc4, ty.len() as u8][..], ty.as_bytes(), value].concat();
    let list = |items: &[Vec<u8>]| {
        let mut out = vec![0x92, 0xc4, 18];
        out.extend_from_slice(br#"["list","dynamic"]"#);
        out.push(0x90 | items.len() as u8);
        items.iter().for_each(|i| out.extend_from_slice(i));
        out
    };
    let mixed = list(&[
        wrapped(r#""string""#, b"\xa1a"),
        wrapped(r#""number""#, b"\x01"),
    ]);
    assert!(from_msgpack(&mixed, &Type::Dynamic).is_err());
    let same = list(&[
        wrapped(r#""string""#, b"\xa1a"),
        wrapped(r#""string""#, b"\xa1b"),
    ]);
    assert_eq!(
        from_msgpack(&same, &Type::Dynamic).ok(),
        Some(Value::List(vec![
            Value::String("a".into()),
            Value::String("b".into())
        ]))
    );
    let json =
        |values: &str| format!(r#"{{"type":["list","dynamic"],"value":[{values}]}}"#).into_bytes();
    let mixed = json(r#"{"type":"string","value":"a"},{"type":"number","value":1}"#);
    assert!(from_json(&mixed, &Type::Dynamic).is_err());
    let with_null = json(r#"{"type":"string","value":"a"},null"#);
    assert!(from_json(&with_null, &Type::Dynamic).is_ok());
}
