//! A small model of the Graph (CSDL) types the lab serves, and payload validation against it.
//!
//! It covers what the wire needs: property names, primitive kinds, nullability, read-only
//! properties, navigation properties, inheritance and abstract types. Messages follow the OData
//! library Graph runs on, so clients see the texts they would see from Graph.

use serde_json::{Map, Value};

use crate::errors::GraphError;

/// The namespace every type lives in.
pub const NAMESPACE: &str = "microsoft.graph";

/// The wire kind of a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Int32,
    Boolean,
    DateTimeOffset,
    StringCollection,
    /// An enum: its type name and members.
    Enum(&'static str, &'static [&'static str]),
    /// A complex value that the owning collection validates itself (or accepts as is). The name
    /// is the complex type's.
    Complex(&'static str),
}

impl Kind {
    /// The type name in OData messages.
    pub fn edm_name(&self) -> String {
        match self {
            Kind::String => "Edm.String".to_owned(),
            Kind::Int32 => "Edm.Int32".to_owned(),
            Kind::Boolean => "Edm.Boolean".to_owned(),
            Kind::DateTimeOffset => "Edm.DateTimeOffset".to_owned(),
            Kind::StringCollection => "Collection(Edm.String)".to_owned(),
            Kind::Enum(name, _) | Kind::Complex(name) => format!("{NAMESPACE}.{name}"),
        }
    }
}

/// One structural property.
#[derive(Debug, Clone, Copy)]
pub struct Property {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    /// Computed by the service: accepted in payloads and ignored, as Intune does.
    pub read_only: bool,
}

impl Property {
    pub const fn new(name: &'static str, kind: Kind, nullable: bool) -> Self {
        Property {
            name,
            kind,
            nullable,
            read_only: false,
        }
    }

    pub const fn read_only(name: &'static str, kind: Kind, nullable: bool) -> Self {
        Property {
            name,
            kind,
            nullable,
            read_only: true,
        }
    }
}

/// An entity or complex type.
#[derive(Debug)]
pub struct StructuredType {
    pub name: &'static str,
    pub base: Option<&'static StructuredType>,
    pub is_abstract: bool,
    /// Properties declared on this type (not inherited ones).
    pub properties: &'static [Property],
    /// Navigation properties declared on this type.
    pub navigations: &'static [&'static str],
}

/// `entity`: the root of every entity type.
pub static ENTITY: StructuredType = StructuredType {
    name: "entity",
    base: None,
    is_abstract: true,
    properties: &[Property::read_only("id", Kind::String, false)],
    navigations: &[],
};

impl StructuredType {
    /// `microsoft.graph.name`.
    pub fn qualified(&self) -> String {
        format!("{NAMESPACE}.{}", self.name)
    }

    /// `#microsoft.graph.name`, the `@odata.type` value.
    pub fn odata_type(&self) -> String {
        format!("#{NAMESPACE}.{}", self.name)
    }

    /// This type and its ancestors, most derived first.
    pub fn lineage(&'static self) -> impl Iterator<Item = &'static StructuredType> {
        std::iter::successors(Some(self), |ty| ty.base)
    }

    /// A property declared here or inherited (exact-case match, as in JSON payloads).
    pub fn property(&'static self, name: &str) -> Option<&'static Property> {
        self.lineage()
            .flat_map(|ty| ty.properties.iter())
            .find(|p| p.name == name)
    }

    /// A property found case-insensitively (URL query options are case-insensitive in Graph).
    pub fn property_ignore_case(&'static self, name: &str) -> Option<&'static Property> {
        self.lineage()
            .flat_map(|ty| ty.properties.iter())
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// A navigation property declared here or inherited, found case-insensitively.
    pub fn navigation(&'static self, name: &str) -> Option<&'static str> {
        self.lineage()
            .flat_map(|ty| ty.navigations.iter().copied())
            .find(|n| n.eq_ignore_ascii_case(name))
    }

    /// Whether this type is `other` or derives from it.
    pub fn is_a(&'static self, other: &'static StructuredType) -> bool {
        self.lineage().any(|ty| std::ptr::eq(ty, other))
    }
}

/// The `@odata.type` of a payload, resolved.
pub enum ResolvedType {
    /// No annotation.
    Absent,
    /// The expected (base) type itself.
    Base,
    /// A derived type the lab models for this request's API version.
    Derived(&'static StructuredType),
}

/// Resolves the `@odata.type` annotation of `body` against `base` and the derived types the
/// lab knows for this API version.
pub fn resolve_type(
    body: &Map<String, Value>,
    base: &'static StructuredType,
    known: &[&'static StructuredType],
) -> Result<ResolvedType, GraphError> {
    let Some(annotation) = body.get("@odata.type") else {
        return Ok(ResolvedType::Absent);
    };
    let Some(text) = annotation.as_str() else {
        return Err(GraphError::bad_request(
            "The value of the 'odata.type' annotation must be a string.",
        ));
    };
    let name = text.strip_prefix('#').unwrap_or(text);
    if name == base.qualified() {
        return Ok(ResolvedType::Base);
    }
    known
        .iter()
        .find(|ty| ty.qualified() == name)
        .map(|ty| ResolvedType::Derived(ty))
        .ok_or_else(|| {
            GraphError::bad_request(format!(
                "A type named '{name}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type."
            ))
        })
}

/// The OData message for creating an instance of an abstract type.
pub fn abstract_type_error() -> GraphError {
    GraphError::bad_request("Cannot create an abstract class.")
}

/// The OData message for a property the type does not declare.
pub fn unknown_property_error(name: &str, ty: &StructuredType) -> GraphError {
    GraphError::bad_request(format!(
        "The property '{name}' does not exist on type '{}'. Make sure to only use property names that are defined by the type or mark the type as open type.",
        ty.qualified()
    ))
}

/// The OData message for a query option naming an unknown property.
pub fn unknown_query_property_error(name: &str, ty: &StructuredType) -> GraphError {
    GraphError::bad_request(format!(
        "Could not find a property named '{name}' on type '{}'.",
        ty.qualified()
    ))
}

/// Checks every member of `body` against `ty` and returns the writable properties given.
///
/// Instance annotations (`@odata.type`, `@odata.context`, ...) and property annotations
/// (`name@odata.type`) are skipped; read-only properties are dropped; navigation properties are
/// refused (the lab does no deep insert); anything else unknown is refused.
pub fn validate_properties(
    ty: &'static StructuredType,
    body: &Map<String, Value>,
) -> Result<Map<String, Value>, GraphError> {
    let mut accepted = Map::new();
    for (name, value) in body {
        if name.contains('@') {
            continue;
        }
        if let Some(navigation) = ty.navigation(name).filter(|n| *n == name) {
            return Err(GraphError::bad_request(format!(
                "autopilot-lab does not support deep insert or update of the navigation property '{navigation}' on type '{}'.",
                ty.qualified()
            )));
        }
        let Some(property) = ty.property(name) else {
            return Err(unknown_property_error(name, ty));
        };
        check_value(property, value)?;
        if !property.read_only {
            accepted.insert(name.clone(), value.clone());
        }
    }
    Ok(accepted)
}

/// Checks one value against a property's kind and nullability.
pub fn check_value(property: &Property, value: &Value) -> Result<(), GraphError> {
    if value.is_null() {
        if property.nullable {
            return Ok(());
        }
        let expected = format!("{}[Nullable=False]", property.kind.edm_name());
        return Err(GraphError::bad_request(format!(
            "A null value was found for the property named '{}', which has the expected type '{expected}'. The expected type '{expected}' does not allow null values.",
            property.name
        )));
    }
    let ok = match property.kind {
        Kind::String => value.is_string(),
        Kind::Int32 => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        Kind::Boolean => value.is_boolean(),
        Kind::DateTimeOffset => value
            .as_str()
            .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
        Kind::StringCollection => value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_string)),
        Kind::Enum(_, members) => {
            if let Some(text) = value.as_str() {
                if !members.contains(&text) {
                    return Err(GraphError::bad_request(format!(
                        "Requested value '{text}' was not found."
                    )));
                }
                true
            } else {
                false
            }
        }
        Kind::Complex(_) => value.is_object(),
    };
    if ok {
        Ok(())
    } else {
        let literal = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        Err(GraphError::bad_request(format!(
            "Cannot convert the literal '{literal}' to the expected type '{}'.",
            property.kind.edm_name()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static THING: StructuredType = StructuredType {
        name: "thing",
        base: Some(&ENTITY),
        is_abstract: false,
        properties: &[
            Property::new("name", Kind::String, false),
            Property::new("count", Kind::Int32, true),
            Property::new("mode", Kind::Enum("mode", &["on", "off"]), false),
        ],
        navigations: &["children"],
    };

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn accepts_and_drops_read_only() {
        let got =
            validate_properties(&THING, &obj(json!({"id": "x", "name": "n", "count": 3}))).unwrap();
        assert_eq!(Value::Object(got), json!({"name": "n", "count": 3}));
    }

    #[test]
    fn refuses_wrong_kinds() {
        let err = validate_properties(&THING, &obj(json!({"count": "three"}))).unwrap_err();
        assert!(err.to_string().contains("'Edm.Int32'"), "{err}");
        let err =
            validate_properties(&THING, &obj(json!({"count": 3_000_000_000u64}))).unwrap_err();
        assert!(err.to_string().contains("Cannot convert"), "{err}");
        let err = validate_properties(&THING, &obj(json!({"name": null}))).unwrap_err();
        assert!(err.to_string().contains("Nullable=False"), "{err}");
        let err = validate_properties(&THING, &obj(json!({"mode": "dim"}))).unwrap_err();
        assert!(err.to_string().contains("Requested value 'dim'"), "{err}");
        let err = validate_properties(&THING, &obj(json!({"children": []}))).unwrap_err();
        assert!(err.to_string().contains("deep insert"), "{err}");
        let err = validate_properties(&THING, &obj(json!({"Name": "x"}))).unwrap_err();
        assert!(
            err.to_string()
                .contains("The property 'Name' does not exist on type 'microsoft.graph.thing'"),
            "{err}"
        );
    }

    #[test]
    fn resolves_types() {
        let known = [&THING];
        assert!(matches!(
            resolve_type(&obj(json!({})), &ENTITY, &known).unwrap(),
            ResolvedType::Absent
        ));
        assert!(matches!(
            resolve_type(
                &obj(json!({"@odata.type": "#microsoft.graph.thing"})),
                &ENTITY,
                &known
            )
            .unwrap(),
            ResolvedType::Derived(_)
        ));
        assert!(matches!(
            resolve_type(
                &obj(json!({"@odata.type": "microsoft.graph.entity"})),
                &ENTITY,
                &known
            )
            .unwrap(),
            ResolvedType::Base
        ));
        let err = resolve_type(
            &obj(json!({"@odata.type": "#microsoft.graph.nope"})),
            &ENTITY,
            &known,
        )
        .err()
        .unwrap();
        assert!(
            err.to_string()
                .contains("could not be resolved by the model")
        );
        assert!(THING.is_a(&ENTITY));
    }
}
