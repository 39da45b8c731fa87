//! serde between resource models and values. A model field of type
//! [`crate::Attr`] sees null and unknown; any other field type must be known.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};

use super::{CodecError, Number, Type, Value};

/// Newtype-struct name by which `Attr` asks for three-way (null, unknown,
/// known) deserialization, and by which it serializes an unknown.
pub(crate) const ATTR_TOKEN: &str = "$tfplugin::Attr";
pub(crate) const UNKNOWN_TOKEN: &str = "$tfplugin::Unknown";
/// Newtype-struct name by which [`Number`] travels as its exact decimal text.
pub(crate) const NUMBER_TOKEN: &str = "$tfplugin::Number";

/// Reads a model from a value.
pub fn from_value<T: de::DeserializeOwned>(value: Value) -> Result<T, CodecError> {
    T::deserialize(value)
}

/// Writes a model as a value of `ty`.
pub fn to_value<T: Serialize>(model: &T, ty: &Type) -> Result<Value, CodecError> {
    model.serialize(ValueSerializer)?.conform(ty)
}

impl de::Error for CodecError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CodecError::Custom(msg.to_string())
    }
}

impl ser::Error for CodecError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CodecError::Custom(msg.to_string())
    }
}

impl<'de> IntoDeserializer<'de, CodecError> for Value {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self
    }
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = CodecError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Unknown => Err(CodecError::Custom(
                "a value that is only known after apply is not allowed here".into(),
            )),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => visit_number(&n, visitor),
            Value::String(s) => visitor.visit_string(s),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                visitor.visit_seq(de::value::SeqDeserializer::new(items.into_iter()))
            }
            Value::Map(entries) | Value::Object(entries) => {
                visitor.visit_map(de::value::MapDeserializer::new(entries.into_iter()))
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        match self {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, CodecError> {
        if name == NUMBER_TOKEN {
            return match self {
                Value::Number(n) => visitor.visit_string(n.to_string()),
                other => Err(CodecError::Custom(format!(
                    "expected a number, found {}",
                    other.kind()
                ))),
            };
        }
        if name == ATTR_TOKEN {
            return match self {
                Value::Null => visitor.visit_none(),
                Value::Unknown => visitor.visit_unit(),
                known => visitor.visit_some(known),
            };
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, CodecError> {
        match self {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            other => Err(CodecError::Custom(format!(
                "expected a string, found {}",
                other.kind()
            ))),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

fn visit_number<'de, V: Visitor<'de>>(n: &Number, visitor: V) -> Result<V::Value, CodecError> {
    if let Some(i) = n.to_i64() {
        visitor.visit_i64(i)
    } else if let Some(f) = n.to_exact_f64() {
        visitor.visit_f64(f)
    } else {
        visitor.visit_string(n.to_string())
    }
}

/// Serializes models into values (structure only; [`Value::conform`] applies
/// the schema's types afterwards).
struct ValueSerializer;

/// Serializer methods that widen a primitive losslessly and hand it to the method of the wider
/// type: `serialize_i8(i8) => serialize_i64(i64)`.
macro_rules! widening_serializers {
    ($($($narrow:ident($from:ty)),+ => $wide:ident($to:ty);)+) => {
        $($(
            fn $narrow(self, v: $from) -> Result<Value, CodecError> {
                self.$wide(<$to>::from(v))
            }
        )+)+
    };
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = CodecError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = ser::Impossible<Value, CodecError>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = ser::Impossible<Value, CodecError>;

    fn serialize_bool(self, v: bool) -> Result<Value, CodecError> {
        Ok(Value::Bool(v))
    }
    widening_serializers! {
        serialize_i8(i8), serialize_i16(i16), serialize_i32(i32) => serialize_i64(i64);
        serialize_u8(u8), serialize_u16(u16), serialize_u32(u32) => serialize_u64(u64);
        serialize_f32(f32) => serialize_f64(f64);
    }
    fn serialize_i64(self, v: i64) -> Result<Value, CodecError> {
        Ok(Value::Number(Number::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, CodecError> {
        Ok(Value::Number(Number::from(v)))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, CodecError> {
        // Shortest text that round-trips, so 0.1f64 stays "0.1".
        format!("{v}")
            .parse()
            .map(Value::Number)
            .map_err(|_| CodecError::Custom(format!("{v} is not a finite number")))
    }
    fn serialize_char(self, v: char) -> Result<Value, CodecError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, CodecError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<Value, CodecError> {
        Err(CodecError::Custom("bytes have no Terraform type".into()))
    }
    fn serialize_none(self) -> Result<Value, CodecError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Value, CodecError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, CodecError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, CodecError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, CodecError> {
        Ok(Value::String(variant.to_string()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, CodecError> {
        if name == UNKNOWN_TOKEN {
            return Ok(Value::Unknown);
        }
        if name == NUMBER_TOKEN {
            return match value.serialize(self)? {
                Value::String(text) => text.parse().map(Value::Number).map_err(|e| {
                    CodecError::Custom(format!("a Number serialized as {text:?}: {e}"))
                }),
                other => Err(CodecError::Custom(format!(
                    "a Number serialized as {}",
                    other.kind()
                ))),
            };
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<Value, CodecError> {
        Err(CodecError::Custom(format!(
            "enum variant {variant} with data has no Terraform type"
        )))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, CodecError> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, CodecError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, CodecError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, CodecError> {
        Err(CodecError::Custom(format!(
            "enum variant {variant} with data has no Terraform type"
        )))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapBuilder, CodecError> {
        Ok(MapBuilder::default())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<MapBuilder, CodecError> {
        Ok(MapBuilder::default())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, CodecError> {
        Err(CodecError::Custom(format!(
            "enum variant {variant} with data has no Terraform type"
        )))
    }
}

struct SeqBuilder(Vec<Value>);

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = CodecError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), CodecError> {
        self.0.push(value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, CodecError> {
        Ok(Value::List(self.0))
    }
}

/// Tuples and tuple structs are built as sequences: their element method forwards to
/// [`ser::SerializeSeq`].
macro_rules! serialize_as_seq {
    ($($serialize:ident :: $element:ident),+) => {
        $(
            impl ser::$serialize for SeqBuilder {
                type Ok = Value;
                type Error = CodecError;
                fn $element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), CodecError> {
                    ser::SerializeSeq::serialize_element(self, value)
                }
                fn end(self) -> Result<Value, CodecError> {
                    ser::SerializeSeq::end(self)
                }
            }
        )+
    };
}

serialize_as_seq!(
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

#[derive(Default)]
struct MapBuilder {
    entries: BTreeMap<String, Value>,
    next_key: Option<String>,
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = CodecError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), CodecError> {
        match key.serialize(ValueSerializer)? {
            Value::String(s) => {
                self.next_key = Some(s);
                Ok(())
            }
            other => Err(CodecError::Custom(format!(
                "map keys must be strings, not {}",
                other.kind()
            ))),
        }
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), CodecError> {
        let key = self
            .next_key
            .take()
            .ok_or_else(|| CodecError::Custom("map value without a key".into()))?;
        self.entries.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, CodecError> {
        Ok(Value::Map(self.entries))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = CodecError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        self.entries
            .insert(key.to_string(), value.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, CodecError> {
        Ok(Value::Object(self.entries))
    }
}
