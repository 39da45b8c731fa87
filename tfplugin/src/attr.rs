//! `Attr<T>`: a model field as Terraform sees it — null, unknown, or known.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, SchemaGenerator};
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::value::{ATTR_TOKEN, UNKNOWN_TOKEN};

/// One attribute of a resource model. Config and plans may hold unknowns, so
/// every model field is an `Attr`; state after apply holds no `Unknown`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Attr<T> {
    #[default]
    Null,
    Unknown,
    Known(T),
}

impl<T> Attr<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn into_known(self) -> Option<T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Attr::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Attr::Unknown)
    }

    pub fn is_known(&self) -> bool {
        matches!(self, Attr::Known(_))
    }

    pub fn as_ref(&self) -> Attr<&T> {
        match self {
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
            Attr::Known(v) => Attr::Known(v),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Attr<U> {
        match self {
            Attr::Null => Attr::Null,
            Attr::Unknown => Attr::Unknown,
            Attr::Known(v) => Attr::Known(f(v)),
        }
    }
}

impl<T> From<Option<T>> for Attr<T> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Attr::Null, Attr::Known)
    }
}

impl<T: Serialize> Serialize for Attr<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Attr::Null => serializer.serialize_none(),
            Attr::Unknown => serializer.serialize_newtype_struct(UNKNOWN_TOKEN, &()),
            Attr::Known(v) => v.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Attr<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AttrVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for AttrVisitor<T> {
            type Value = Attr<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Terraform attribute value")
            }
            fn visit_none<E: de::Error>(self) -> Result<Attr<T>, E> {
                Ok(Attr::Null)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Attr<T>, E> {
                Ok(Attr::Unknown)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Attr<T>, D::Error> {
                T::deserialize(d).map(Attr::Known)
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Attr<T>, D::Error> {
                T::deserialize(d).map(Attr::Known)
            }
        }

        deserializer.deserialize_newtype_struct(ATTR_TOKEN, AttrVisitor(PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for Attr<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<T>()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::value::{Type, Value, from_value, to_value};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Model {
        name: Attr<String>,
        count: Attr<i64>,
        tags: Attr<BTreeSet<String>>,
    }

    fn ty() -> Type {
        crate::value::name_count_tags()
    }

    #[test]
    fn three_states_round_trip() {
        let model = Model {
            name: Attr::Known("a".into()),
            count: Attr::Unknown,
            tags: Attr::Null,
        };
        let value = to_value(&model, &ty()).expect("to value");
        assert_eq!(value.attr("count"), Some(&Value::Unknown));
        assert_eq!(value.attr("tags"), Some(&Value::Null));
        let back: Model = from_value(value).expect("from value");
        assert_eq!(back, model);
    }
}
