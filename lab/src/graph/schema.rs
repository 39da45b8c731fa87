//! A small model of the Graph (CSDL) types the lab serves, and payload validation against it.
//!
//! It covers what the wire needs: property names, primitive kinds, nullability, read-only
//! properties, navigation properties, inheritance and abstract types. Messages follow the OData
//! library Graph runs on, so clients see the texts they would see from Graph.

use serde_json::{Map, Value};

use super::ApiVersion;
use crate::errors::GraphError;

/// The namespace every type lives in.
pub const NAMESPACE: &str = "microsoft.graph";

/// The wire kind of a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Int32,
    Int64,
    Boolean,
    DateTimeOffset,
    /// `Edm.Binary`: standard, padded Base64 on the wire.
    Binary,
    /// `Edm.Guid`.
    Guid,
    StringCollection,
    /// An enum: its type name and members.
    Enum(&'static str, &'static [&'static str]),
    /// A flags enum: comma-separated member names on the wire.
    Flags(&'static str, &'static [&'static str]),
    /// A complex value that the owning collection validates itself (or accepts as is). The name
    /// is the complex type's.
    Complex(&'static str),
    /// A complex value validated against its modelled type (nested unknown properties refused).
    Object(&'static StructuredType),
    /// A collection of complex values of a modelled type.
    ObjectCollection(&'static StructuredType),
    /// A collection of complex values the owning collection validates itself.
    ComplexCollection(&'static str),
}

impl Kind {
    /// The type name in OData messages.
    pub fn edm_name(&self) -> String {
        match self {
            Kind::String => "Edm.String".to_owned(),
            Kind::Int32 => "Edm.Int32".to_owned(),
            Kind::Int64 => "Edm.Int64".to_owned(),
            Kind::Boolean => "Edm.Boolean".to_owned(),
            Kind::DateTimeOffset => "Edm.DateTimeOffset".to_owned(),
            Kind::Binary => "Edm.Binary".to_owned(),
            Kind::Guid => "Edm.Guid".to_owned(),
            Kind::StringCollection => "Collection(Edm.String)".to_owned(),
            Kind::Enum(name, _) | Kind::Flags(name, _) | Kind::Complex(name) => {
                format!("{NAMESPACE}.{name}")
            }
            Kind::Object(ty) => ty.qualified(),
            Kind::ObjectCollection(ty) => format!("Collection({})", ty.qualified()),
            Kind::ComplexCollection(name) => format!("Collection({NAMESPACE}.{name})"),
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
    /// Declared in the v1.0 schema too (otherwise beta only).
    pub v1: bool,
}

impl Property {
    pub const fn new(name: &'static str, kind: Kind, nullable: bool) -> Self {
        Property {
            name,
            kind,
            nullable,
            read_only: false,
            v1: true,
        }
    }

    pub const fn read_only(name: &'static str, kind: Kind, nullable: bool) -> Self {
        Property {
            name,
            kind,
            nullable,
            read_only: true,
            v1: true,
        }
    }

    /// Whether the property exists in `version`'s schema.
    pub fn in_version(&self, version: ApiVersion) -> bool {
        self.v1 || version == ApiVersion::Beta
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

/// Types are compared by identity: each is one `static`.
impl PartialEq for StructuredType {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for StructuredType {}

graph_types!("graph_schema");

impl StructuredType {
    /// A concrete type with no base type and no navigation properties.
    pub const fn root(name: &'static str, properties: &'static [Property]) -> Self {
        StructuredType {
            name,
            base: None,
            is_abstract: false,
            properties,
            navigations: &[],
        }
    }

    /// A concrete type deriving from `base`, with no navigation properties.
    pub const fn derived(
        name: &'static str,
        base: &'static StructuredType,
        properties: &'static [Property],
    ) -> Self {
        StructuredType {
            base: Some(base),
            ..StructuredType::root(name, properties)
        }
    }

    /// Declares the type's navigation properties.
    pub const fn with_navigations(mut self, navigations: &'static [&'static str]) -> Self {
        self.navigations = navigations;
        self
    }

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

    /// A property declared here or inherited that exists in `version`'s schema.
    pub fn property_in(
        &'static self,
        name: &str,
        version: ApiVersion,
    ) -> Option<&'static Property> {
        self.property(name).filter(|p| p.in_version(version))
    }

    /// Every property (inherited ones first), in declaration order.
    pub fn all_properties(&'static self) -> Vec<&'static Property> {
        let mut lineage: Vec<&'static StructuredType> = self.lineage().collect();
        lineage.reverse();
        lineage
            .into_iter()
            .flat_map(|ty| ty.properties.iter())
            .collect()
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
    validate_properties_in(ty, body, ApiVersion::Beta)
}

/// [`validate_properties`] against `version`'s schema: beta-only properties are unknown on v1.0.
pub fn validate_properties_in(
    ty: &'static StructuredType,
    body: &Map<String, Value>,
    version: ApiVersion,
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
        let Some(property) = ty.property_in(name, version) else {
            return Err(unknown_property_error(name, ty));
        };
        check_value_in(property, value, version)?;
        if !property.read_only {
            accepted.insert(name.clone(), value.clone());
        }
    }
    Ok(accepted)
}

/// Checks one value against a property's kind and nullability.
pub fn check_value(property: &Property, value: &Value) -> Result<(), GraphError> {
    check_value_in(property, value, ApiVersion::Beta)
}

/// [`check_value`] against `version`'s schema (nested complex values included).
pub fn check_value_in(
    property: &Property,
    value: &Value,
    version: ApiVersion,
) -> Result<(), GraphError> {
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
        Kind::Int64 => value.as_i64().is_some(),
        Kind::Binary => value.as_str().is_some_and(is_padded_base64),
        Kind::Guid => value
            .as_str()
            .is_some_and(|s| uuid::Uuid::parse_str(s).is_ok()),
        Kind::Flags(_, members) => {
            if let Some(text) = value.as_str() {
                for member in text.split(',').map(str::trim) {
                    if !members.contains(&member) {
                        return Err(GraphError::bad_request(format!(
                            "Requested value '{member}' was not found."
                        )));
                    }
                }
                true
            } else {
                false
            }
        }
        Kind::Complex(_) => value.is_object(),
        Kind::ComplexCollection(_) => value
            .as_array()
            .is_some_and(|items| items.iter().all(Value::is_object)),
        Kind::Object(ty) => {
            if let Some(map) = value.as_object() {
                check_complex(ty, map, version)?;
                true
            } else {
                false
            }
        }
        Kind::ObjectCollection(ty) => {
            if let Some(items) = value.as_array() {
                for item in items {
                    let Some(map) = item.as_object() else {
                        return Err(conversion_error(item, &ty.qualified()));
                    };
                    check_complex(ty, map, version)?;
                }
                true
            } else {
                false
            }
        }
    };
    if ok {
        Ok(())
    } else {
        Err(conversion_error(value, &property.kind.edm_name()))
    }
}

/// OData's "Cannot convert the literal" message.
pub fn conversion_error(value: &Value, expected: &str) -> GraphError {
    let literal = match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    GraphError::bad_request(format!(
        "Cannot convert the literal '{literal}' to the expected type '{expected}'."
    ))
}

/// Checks a nested complex value: its `@odata.type` (when given) must name the declared type,
/// and its members must be declared properties of the right kinds.
fn check_complex(
    ty: &'static StructuredType,
    map: &Map<String, Value>,
    version: ApiVersion,
) -> Result<(), GraphError> {
    if let Some(annotation) = map.get("@odata.type") {
        let name = annotation.as_str().unwrap_or_default();
        let name = name.strip_prefix('#').unwrap_or(name);
        if name != ty.qualified() {
            return Err(GraphError::bad_request(format!(
                "A type named '{name}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type."
            )));
        }
    }
    validate_properties_in(ty, map, version).map(|_| ())
}

/// Whether `text` is standard Base64 with correct padding, as OData's `Edm.Binary` reader wants.
pub fn is_padded_base64(text: &str) -> bool {
    use base64::Engine as _;
    text.len().is_multiple_of(4)
        && base64::engine::general_purpose::STANDARD
            .decode(text)
            .is_ok()
}

/// The default value of a property that a payload left out: `false`, `0`, the first enum member,
/// `[]` for non-nullable collections, and `null` for everything nullable.
pub fn default_value(property: &Property) -> Value {
    if property.nullable {
        return Value::Null;
    }
    match property.kind {
        Kind::Boolean => Value::Bool(false),
        Kind::Int32 | Kind::Int64 => Value::from(0),
        Kind::Enum(_, members) | Kind::Flags(_, members) => members
            .first()
            .map(|m| Value::String((*m).to_owned()))
            .unwrap_or(Value::Null),
        Kind::StringCollection | Kind::ObjectCollection(_) | Kind::ComplexCollection(_) => {
            Value::Array(Vec::new())
        }
        Kind::Object(ty) => complete(ty, &Map::new(), ApiVersion::Beta),
        Kind::String => Value::String(String::new()),
        Kind::DateTimeOffset => Value::String("0001-01-01T00:00:00Z".to_owned()),
        Kind::Binary | Kind::Guid | Kind::Complex(_) => Value::Null,
    }
}

/// A full value of `ty`: every property of the type (inherited first, in declaration order)
/// with the given value or its default. Nested modelled complex values are completed too.
pub fn complete(
    ty: &'static StructuredType,
    given: &Map<String, Value>,
    version: ApiVersion,
) -> Value {
    let mut out = Map::new();
    for property in ty.all_properties() {
        if !property.in_version(version) {
            continue;
        }
        let value = match (given.get(property.name), property.kind) {
            (Some(Value::Object(inner)), Kind::Object(inner_ty)) => {
                complete(inner_ty, inner, version)
            }
            (Some(value), _) => value.clone(),
            (None, _) => default_value(property),
        };
        out.insert(property.name.to_owned(), value);
    }
    Value::Object(out)
}

/// Drops what `version`'s schema does not declare from a stored object of type `ty`
/// (recursively for modelled complex values). Annotations and unknown members are kept.
pub fn project(ty: &'static StructuredType, value: &mut Value, version: ApiVersion) {
    if version == ApiVersion::Beta {
        return;
    }
    let Some(map) = value.as_object_mut() else {
        return;
    };
    map.retain(|name, _| ty.property(name).is_none_or(|p| p.in_version(version)));
    for property in ty.all_properties() {
        let Some(inner_value) = map.get_mut(property.name) else {
            continue;
        };
        match property.kind {
            Kind::Object(inner) => project(inner, inner_value, version),
            Kind::Complex("deviceAndAppManagementAssignmentTarget") => {
                super::assignments::project_target(inner_value, version)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static THING: StructuredType = StructuredType::derived(
        "thing",
        &ENTITY,
        &[
            Property::new("name", Kind::String, false),
            Property::new("count", Kind::Int32, true),
            Property::new("mode", Kind::Enum("mode", &["on", "off"]), false),
        ],
    )
    .with_navigations(&["children"]);

    fn obj(v: Value) -> Map<String, Value> {
        let Value::Object(map) = v else {
            panic!("an object")
        };
        map
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
