//! The schema model, derived from a model type's JSON Schema (schemars):
//! doc comments become descriptions, serde names become attribute names,
//! and an `x-tf` extension carries what JSON Schema cannot say.
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//! use tfplugin::{Attr, Schema};
//!
//! #[derive(Serialize, Deserialize, JsonSchema)]
//! struct Profile {
//!     /// Where devices join the domain.
//!     #[schemars(extend("x-tf" = "required,force_new"))]
//!     domain: Attr<String>,
//! }
//!
//! let schema = Schema::of::<Profile>(0).expect("a schema");
//! let domain = schema.block.attribute("domain").expect("the attribute");
//! assert!(domain.required && domain.force_new);
//! assert_eq!(domain.description, "Where devices join the domain.");
//! ```
//!
//! `x-tf` flags (comma separated): `required`, `optional` (the default),
//! `computed`, `sensitive`, `force_new` (a change replaces the resource),
//! `stable` (a computed value kept from state across updates), `block`
//! (a nested block instead of an attribute). On the struct, `x-tf-fields`
//! gives the flags of every field without an `x-tf` of its own (`computed`
//! for a data source, whose attributes are read-only but for its keys).
//! `x-tf-default` gives the value
//! planned when the configuration leaves an optional attribute unset, and
//! `x-tf-deprecated` a deprecation message. Enumerations, ranges, lengths
//! and item counts from the JSON Schema are enforced at validation.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde_json::{Map, Value as Json};

use crate::diagnostics::{AttrPath, Diagnostics};
use crate::value::{Type, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub deprecated: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub force_new: bool,
    pub stable: bool,
    pub default: Option<Value>,
    pub deprecated: Option<String>,
    pub constraints: Constraints,
}

/// Value rules carried over from the JSON Schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    pub one_of: Option<Vec<String>>,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub max_items: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    pub name: String,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
}

/// A model type whose JSON Schema cannot be turned into a Terraform schema.
#[derive(Debug, thiserror::Error)]
#[error("schema of {model}: {reason}")]
pub struct SchemaError {
    pub model: String,
    pub reason: String,
}

impl Schema {
    /// Derives the schema of a resource, data source or provider from its model.
    pub fn of<M: JsonSchema>(version: i64) -> Result<Schema, SchemaError> {
        let root = schemars::generate::SchemaSettings::draft2020_12()
            .into_generator()
            .into_root_schema_for::<M>();
        let json = root.as_value().clone();
        let model = M::schema_name().to_string();
        let defs = json
            .get("$defs")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        let reader = Reader {
            defs: &defs,
            model: &model,
        };
        let block = reader.block(&json)?;
        Ok(Schema { version, block })
    }

    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

impl Block {
    /// The object type of a value conforming to this block.
    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for nested in &self.blocks {
            let inner = nested.block.value_type();
            let ty = match nested.nesting {
                Nesting::Single => inner,
                Nesting::List => Type::list(inner),
                Nesting::Set => Type::set(inner),
            };
            attrs.insert(nested.name.clone(), ty);
        }
        Type::Object(attrs)
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Checks known values in a configuration against the declared
    /// constraints and warns about deprecated attributes that are set.
    pub fn validate(&self, config: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        for attr in &self.attributes {
            let here = path.clone().attr(&attr.name);
            let Some(value) = config.attr(&attr.name) else {
                continue;
            };
            if value.is_null() {
                continue;
            }
            if let Some(message) = &attr.deprecated {
                diags.warning_at(
                    here.clone(),
                    format!("Argument `{}` is deprecated", attr.name),
                    message.clone(),
                );
            }
            attr.constraints.check(&attr.name, value, &here, diags);
        }
        for nested in &self.blocks {
            let here = path.clone().attr(&nested.name);
            match (nested.nesting, config.attr(&nested.name)) {
                (Nesting::Single, Some(v @ Value::Object(_))) => {
                    nested.block.validate(v, &here, diags)
                }
                (Nesting::List | Nesting::Set, Some(Value::List(items) | Value::Set(items))) => {
                    for (i, item) in items.iter().enumerate() {
                        let index = i64::try_from(i).unwrap_or(i64::MAX);
                        nested
                            .block
                            .validate(item, &here.clone().index(index), diags);
                    }
                }
                _ => {}
            }
        }
    }
}

impl Constraints {
    fn check(&self, name: &str, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        match value {
            Value::String(s) => {
                if let Some(allowed) = &self.one_of
                    && !allowed.iter().any(|a| a == s)
                {
                    diags.error_at(
                        path.clone(),
                        format!("Invalid value for `{name}`"),
                        format!("{s:?} is not one of: {}.", quoted_list(allowed)),
                    );
                }
                let len = s.chars().count() as u64;
                if let Some(min) = self.min_length.filter(|min| len < *min) {
                    diags.error_at(
                        path.clone(),
                        format!("`{name}` is too short"),
                        format!("It must have at least {min} characters; {s:?} has {len}."),
                    );
                }
                if let Some(max) = self.max_length.filter(|max| len > *max) {
                    diags.error_at(
                        path.clone(),
                        format!("`{name}` is too long"),
                        format!("It may have at most {max} characters; {s:?} has {len}."),
                    );
                }
            }
            Value::Number(n) => {
                let Some(v) = n.to_i64() else { return };
                let below = self.minimum.is_some_and(|min| v < min);
                let above = self.maximum.is_some_and(|max| v > max);
                if below || above {
                    diags.error_at(
                        path.clone(),
                        format!("`{name}` is out of range"),
                        format!(
                            "{v} is not within {}.",
                            range_text(self.minimum, self.maximum)
                        ),
                    );
                }
            }
            Value::List(items) | Value::Set(items) => {
                if let Some(max) = self.max_items.filter(|max| items.len() as u64 > *max) {
                    diags.error_at(
                        path.clone(),
                        format!("Too many items in `{name}`"),
                        format!("At most {max} are allowed; {} were given.", items.len()),
                    );
                }
            }
            _ => {}
        }
    }

    /// A human description of the constraints, for documentation.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(allowed) = &self.one_of {
            out.push(format!("One of: {}.", quoted_list(allowed)));
        }
        if self.minimum.is_some() || self.maximum.is_some() {
            out.push(format!(
                "Range: {}.",
                range_text(self.minimum, self.maximum)
            ));
        }
        if let Some(max) = self.max_length {
            out.push(format!("At most {max} characters."));
        }
        if let Some(max) = self.max_items {
            out.push(format!("At most {max} items."));
        }
        out
    }
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn range_text(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(min), Some(max)) => format!("{min} to {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        (None, None) => "any".into(),
    }
}

struct Reader<'a> {
    defs: &'a Map<String, Json>,
    model: &'a str,
}

#[derive(Default)]
struct Flags {
    required: bool,
    computed: bool,
    optional: bool,
    sensitive: bool,
    force_new: bool,
    stable: bool,
    block: bool,
}

impl Reader<'_> {
    fn fail(&self, reason: impl Into<String>) -> SchemaError {
        SchemaError {
            model: self.model.to_string(),
            reason: reason.into(),
        }
    }

    /// Follows `$ref` and drops the `null` alternative of optional fields.
    fn resolve<'s>(&'s self, schema: &'s Json) -> Result<&'s Json, SchemaError> {
        if let Some(reference) = schema.get("$ref").and_then(Json::as_str) {
            let name = reference.rsplit('/').next().unwrap_or_default();
            let target = self
                .defs
                .get(name)
                .ok_or_else(|| self.fail(format!("unresolved {reference}")))?;
            return self.resolve(target);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(options) = schema.get(key).and_then(Json::as_array) {
                let non_null: Vec<&Json> = options
                    .iter()
                    .filter(|o| o.get("type").and_then(Json::as_str) != Some("null"))
                    .collect();
                if let [only] = non_null.as_slice() {
                    return self.resolve(only);
                }
                // A string enum spelled as one `const` per variant.
                if non_null
                    .iter()
                    .all(|o| o.get("const").is_some_and(Json::is_string))
                {
                    return Ok(schema);
                }
            }
        }
        Ok(schema)
    }

    fn block(&self, schema: &Json) -> Result<Block, SchemaError> {
        let schema = self.resolve(schema)?;
        let mut block = Block {
            description: text(schema, "description"),
            ..Block::default()
        };
        // A struct without fields (a provider with nothing to configure) has no `properties`.
        let no_fields = Map::new();
        let properties = match schema.get("properties") {
            Some(properties) => properties
                .as_object()
                .ok_or_else(|| self.fail("a block must be a struct with named fields"))?,
            None if type_name(schema).as_deref() == Some("object") => &no_fields,
            None => return Err(self.fail("a block must be a struct with named fields")),
        };
        let fields_default = schema.get("x-tf-fields").and_then(Json::as_str);
        for (name, prop) in properties {
            let flags = self.flags(name, prop, fields_default)?;
            let description = text(prop, "description");
            if flags.block {
                block
                    .blocks
                    .push(self.nested_block(name, prop, description)?);
                continue;
            }
            let resolved = self.resolve(prop)?;
            let ty = self.type_of(resolved)?;
            let default = prop
                .get("x-tf-default")
                .map(|d| json_to_value(d, &ty))
                .transpose()?;
            if flags.required && (flags.computed || default.is_some()) {
                return Err(self.fail(format!(
                    "{name}: required attributes cannot be computed or defaulted"
                )));
            }
            block.attributes.push(Attribute {
                name: name.clone(),
                description,
                required: flags.required,
                optional: !flags.required
                    && (flags.optional || !flags.computed || default.is_some()),
                computed: flags.computed || default.is_some(),
                sensitive: flags.sensitive,
                force_new: flags.force_new,
                stable: flags.stable,
                default,
                deprecated: prop
                    .get("x-tf-deprecated")
                    .and_then(Json::as_str)
                    .map(str::to_string),
                constraints: self.constraints(resolved, prop),
                ty,
            });
        }
        Ok(block)
    }

    /// The `x-tf` flags of a field; one without its own takes the struct's
    /// `x-tf-fields`, else is optional.
    fn flags(
        &self,
        name: &str,
        prop: &Json,
        fields_default: Option<&str>,
    ) -> Result<Flags, SchemaError> {
        let mut flags = Flags::default();
        let Some(spec) = prop.get("x-tf").and_then(Json::as_str).or(fields_default) else {
            flags.optional = true;
            return Ok(flags);
        };
        for flag in spec.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            match flag {
                "required" => flags.required = true,
                "optional" => flags.optional = true,
                "computed" => flags.computed = true,
                "sensitive" => flags.sensitive = true,
                "force_new" => flags.force_new = true,
                "stable" => flags.stable = true,
                "block" => flags.block = true,
                other => return Err(self.fail(format!("{name}: unknown x-tf flag {other:?}"))),
            }
        }
        if !flags.required && !flags.computed {
            flags.optional = true;
        }
        Ok(flags)
    }

    fn nested_block(
        &self,
        name: &str,
        prop: &Json,
        description: String,
    ) -> Result<NestedBlock, SchemaError> {
        let resolved = self.resolve(prop)?;
        let kind = type_name(resolved);
        let (nesting, inner, max_items) = match kind.as_deref() {
            Some("array") => {
                let items = resolved
                    .get("items")
                    .ok_or_else(|| self.fail(format!("{name}: array without items")))?;
                let nesting = if resolved.get("uniqueItems") == Some(&Json::Bool(true)) {
                    Nesting::Set
                } else {
                    Nesting::List
                };
                (
                    nesting,
                    items,
                    resolved.get("maxItems").and_then(Json::as_i64).unwrap_or(0),
                )
            }
            Some("object") => (Nesting::Single, resolved, 0),
            _ => {
                return Err(self.fail(format!(
                    "{name}: a block must be a struct or a list of structs"
                )));
            }
        };
        let mut block = self.block(inner)?;
        if !description.is_empty() {
            block.description = description;
        }
        Ok(NestedBlock {
            name: name.to_string(),
            nesting,
            block,
            min_items: resolved.get("minItems").and_then(Json::as_i64).unwrap_or(0),
            max_items,
        })
    }

    fn type_of(&self, schema: &Json) -> Result<Type, SchemaError> {
        if is_string_enum(schema) {
            return Ok(Type::String);
        }
        match type_name(schema).as_deref() {
            Some("string") => Ok(Type::String),
            Some("integer" | "number") => Ok(Type::Number),
            Some("boolean") => Ok(Type::Bool),
            Some("array") => {
                let items = self.resolve(
                    schema
                        .get("items")
                        .ok_or_else(|| self.fail("array without items"))?,
                )?;
                let elem = self.type_of(items)?;
                if schema.get("uniqueItems") == Some(&Json::Bool(true)) {
                    Ok(Type::set(elem))
                } else {
                    Ok(Type::list(elem))
                }
            }
            Some("object") => {
                if let Some(props) = schema.get("properties").and_then(Json::as_object) {
                    let attrs = props
                        .iter()
                        .map(|(k, p)| Ok((k.clone(), self.type_of(self.resolve(p)?)?)))
                        .collect::<Result<BTreeMap<_, _>, SchemaError>>()?;
                    Ok(Type::Object(attrs))
                } else {
                    let elem = match schema.get("additionalProperties") {
                        Some(p @ Json::Object(_)) => self.type_of(self.resolve(p)?)?,
                        _ => Type::String,
                    };
                    Ok(Type::map(elem))
                }
            }
            other => Err(self.fail(format!(
                "unsupported JSON Schema type {other:?} in {schema}"
            ))),
        }
    }

    fn constraints(&self, resolved: &Json, prop: &Json) -> Constraints {
        let int = |key: &str| {
            prop.get(key)
                .or_else(|| resolved.get(key))
                .and_then(Json::as_i64)
        };
        let uint = |key: &str| {
            prop.get(key)
                .or_else(|| resolved.get(key))
                .and_then(Json::as_u64)
        };
        Constraints {
            one_of: enum_values(resolved),
            minimum: int("minimum"),
            maximum: int("maximum"),
            min_length: uint("minLength"),
            max_length: uint("maxLength"),
            max_items: uint("maxItems"),
        }
    }
}

fn text(schema: &Json, key: &str) -> String {
    schema
        .get(key)
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The JSON Schema type name, ignoring a `null` alternative.
fn type_name(schema: &Json) -> Option<String> {
    match schema.get("type")? {
        Json::String(s) => Some(s.clone()),
        Json::Array(kinds) => kinds
            .iter()
            .filter_map(Json::as_str)
            .find(|k| *k != "null")
            .map(str::to_string),
        _ => None,
    }
}

fn is_string_enum(schema: &Json) -> bool {
    enum_values(schema).is_some()
}

fn enum_values(schema: &Json) -> Option<Vec<String>> {
    if let Some(values) = schema.get("enum").and_then(Json::as_array) {
        return values
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect();
    }
    let options = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))?
        .as_array()?;
    options
        .iter()
        .filter(|o| o.get("type").and_then(Json::as_str) != Some("null"))
        .map(|o| o.get("const").and_then(Json::as_str).map(str::to_string))
        .collect()
}

fn json_to_value(json: &Json, ty: &Type) -> Result<Value, SchemaError> {
    let bytes = json.to_string();
    crate::value::from_json(bytes.as_bytes(), ty).map_err(|e| SchemaError {
        model: "default".into(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::Attr;

    #[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, PartialEq, Eq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        UserDriven,
        SelfDeploying,
    }

    /// A thing.
    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Thing {
        /// The id.
        #[schemars(extend("x-tf" = "computed,stable"))]
        id: Attr<String>,
        /// The name.
        #[schemars(extend("x-tf" = "required,force_new"), length(max = 15))]
        name: Attr<String>,
        /// How many.
        #[schemars(range(min = 3, max = 14))]
        count: Attr<i64>,
        /// Tags.
        tags: Attr<BTreeSet<String>>,
        /// Mode.
        #[schemars(extend("x-tf-default" = "user_driven"))]
        mode: Attr<Mode>,
        /// Secret.
        #[schemars(extend("x-tf" = "optional,sensitive", "x-tf-deprecated" = "use other"))]
        secret: Attr<String>,
    }

    /// Nothing to configure.
    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Empty {}

    #[test]
    fn a_struct_without_fields_is_an_empty_block() {
        let schema = Schema::of::<Empty>(0).expect("schema");
        assert!(schema.block.attributes.is_empty() && schema.block.blocks.is_empty());
        assert_eq!(schema.value_type(), Type::Object(BTreeMap::new()));
    }

    /// A data source's model: read-only but for its key.
    #[derive(Serialize, Deserialize, JsonSchema)]
    #[schemars(extend("x-tf-fields" = "computed"))]
    struct Found {
        /// The key.
        #[schemars(extend("x-tf" = "optional,computed"))]
        name: Attr<String>,
        /// Read.
        size: Attr<i64>,
        /// Also read.
        tags: Attr<BTreeSet<String>>,
    }

    #[test]
    fn fields_without_flags_take_the_struct_s() {
        let schema = Schema::of::<Found>(0).expect("schema");
        let name = schema.block.attribute("name").expect("name");
        assert!(name.optional && name.computed);
        for read in ["size", "tags"] {
            let attr = schema.block.attribute(read).expect(read);
            assert!(attr.computed && !attr.optional && !attr.required, "{read}");
        }
        let thing = Schema::of::<Thing>(0).expect("schema");
        let tags = thing.block.attribute("tags").expect("tags");
        assert!(
            tags.optional && !tags.computed,
            "no struct default: optional"
        );
    }

    #[test]
    fn derives_attributes_from_the_model() {
        let schema = Schema::of::<Thing>(1).expect("schema");
        let block = &schema.block;
        assert_eq!(block.description, "A thing.");
        let names: Vec<_> = block.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["id", "name", "count", "tags", "mode", "secret"]);
        let id = block.attribute("id").expect("id");
        assert!(id.computed && !id.optional && !id.required && id.stable);
        let name = block.attribute("name").expect("name");
        assert!(name.required && name.force_new);
        assert_eq!(name.description, "The name.");
        assert_eq!(name.constraints.max_length, Some(15));
        let count = block.attribute("count").expect("count");
        assert_eq!(
            (
                count.ty.clone(),
                count.constraints.minimum,
                count.constraints.maximum
            ),
            (Type::Number, Some(3), Some(14))
        );
        assert_eq!(
            block.attribute("tags").map(|a| a.ty.clone()),
            Some(Type::set(Type::String))
        );
        let mode = block.attribute("mode").expect("mode");
        assert!(mode.optional && mode.computed);
        assert_eq!(mode.default, Some(Value::String("user_driven".into())));
        assert_eq!(
            mode.constraints.one_of,
            Some(vec![
                "user_driven".to_string(),
                "self_deploying".to_string()
            ])
        );
        let secret = block.attribute("secret").expect("secret");
        assert!(secret.sensitive && secret.deprecated.is_some());
    }

    #[test]
    fn validation_names_the_attribute() {
        let schema = Schema::of::<Thing>(0).expect("schema");
        let config = Value::Object(BTreeMap::from([
            ("name".to_string(), Value::String("x".repeat(16))),
            ("count".to_string(), Value::Number(2i64.into())),
            ("mode".to_string(), Value::String("sideways".into())),
            ("secret".to_string(), Value::String("s".into())),
        ]));
        let mut diags = Diagnostics::new();
        schema
            .block
            .validate(&config, &AttrPath::default(), &mut diags);
        let paths: Vec<String> = diags
            .iter()
            .filter_map(|d| d.path.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(paths, ["name", "count", "mode", "secret"]);
        assert!(diags.has_errors());
    }
}
