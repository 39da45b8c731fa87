//! Markdown for a schema block, in the Registry's layout: attributes split into Required /
//! Optional / Read-Only, each with its type, description and constraints, then one
//! "Nested Schema" section per nested block or object-typed attribute.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tfplugin::schema::{Attribute, Block, NestedBlock, Nesting};
use tfplugin::{Type, Value};

/// The `## Schema` section of a page (or the `## Argument Reference` of the provider).
pub(super) fn render_schema(block: &Block) -> String {
    let mut out = String::new();
    let mut pending = Vec::new();
    write_block(&mut out, block, "", &mut pending);
    // Nested sections are written breadth first, in the order they were referenced.
    let mut index = 0;
    while index < pending.len() {
        let nested: Nested = pending[index].clone();
        index += 1;
        let _ = write!(
            out,
            "\n<a id=\"{anchor}\"></a>\n### Nested Schema for `{path}`\n\n",
            anchor = nested.anchor(),
            path = nested.path
        );
        match &nested.content {
            NestedContent::Block(block) => {
                if !block.description.is_empty() && nested.show_description {
                    let _ = write!(out, "{}\n\n", one_line(&block.description));
                }
                write_block(&mut out, block, &nested.path, &mut pending);
            }
            NestedContent::Object(attrs) => {
                out.push_str("Read-Only:\n\n");
                for (name, ty) in attrs {
                    let path = format!("{}.{name}", nested.path);
                    let (text, child) = type_text(ty, &path);
                    let _ = writeln!(out, "- `{name}` ({text}){}", see_below(child.as_ref()));
                    if let Some(child) = child {
                        pending.push(child);
                    }
                }
            }
        }
    }
    out
}

#[derive(Clone)]
enum NestedContent {
    Block(Block),
    Object(BTreeMap<String, Type>),
}

/// A nested section still to be written.
#[derive(Clone)]
struct Nested {
    kind: &'static str,
    path: String,
    content: NestedContent,
    show_description: bool,
}

impl Nested {
    /// The anchor tfplugindocs uses: `nestedblock--a--b` or `nestedatt--a--b`.
    fn anchor(&self) -> String {
        format!("{}--{}", self.kind, self.path.replace('.', "--"))
    }
}

fn see_below(nested: Option<&Nested>) -> String {
    nested
        .map(|n| format!(" (see [below for nested schema](#{}))", n.anchor()))
        .unwrap_or_default()
}

fn write_block(out: &mut String, block: &Block, parent: &str, pending: &mut Vec<Nested>) {
    let path_of = |name: &str| {
        if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}.{name}")
        }
    };
    let mut required = Vec::new();
    let mut optional = Vec::new();
    let mut read_only = Vec::new();
    for attr in &block.attributes {
        let (line, nested) = attribute_line(attr, &path_of(&attr.name));
        if attr.required {
            required.push(line);
        } else if attr.optional {
            optional.push(line);
        } else {
            read_only.push(line);
        }
        pending.extend(nested);
    }
    for nested in &block.blocks {
        let (line, section) = block_line(nested, &path_of(&nested.name));
        if nested.min_items > 0 {
            required.push(line);
        } else {
            optional.push(line);
        }
        pending.push(section);
    }
    for (title, lines) in [
        ("Required", required),
        ("Optional", optional),
        ("Read-Only", read_only),
    ] {
        if lines.is_empty() {
            continue;
        }
        if parent.is_empty() {
            let _ = write!(out, "### {title}\n\n");
        } else {
            let _ = write!(out, "{title}:\n\n");
        }
        for line in lines {
            let _ = writeln!(out, "- {line}");
        }
        out.push('\n');
    }
}

fn attribute_line(attr: &Attribute, path: &str) -> (String, Option<Nested>) {
    let (ty, nested) = type_text(&attr.ty, path);
    let mut sentences = Vec::new();
    if !attr.description.is_empty() {
        sentences.push(ensure_period(&one_line(&attr.description)));
    }
    sentences.extend(constraint_sentences(attr));
    let mut line = format!("`{}` ({ty}", attr.name);
    if attr.sensitive {
        line.push_str(", Sensitive");
    }
    if attr.deprecated.is_some() {
        line.push_str(", Deprecated");
    }
    line.push(')');
    if !sentences.is_empty() {
        line.push(' ');
        line.push_str(&sentences.join(" "));
    }
    line.push_str(&see_below(nested.as_ref()));
    (line, nested)
}

fn block_line(nested: &NestedBlock, path: &str) -> (String, Nested) {
    let kind = match nested.nesting {
        Nesting::Single => "Block".to_string(),
        Nesting::List => "Block List".to_string(),
        Nesting::Set => "Block Set".to_string(),
    };
    let mut limits = Vec::new();
    if nested.min_items > 0 {
        limits.push(format!("Min: {}", nested.min_items));
    }
    if nested.max_items > 0 {
        limits.push(format!("Max: {}", nested.max_items));
    }
    let kind = if limits.is_empty() {
        kind
    } else {
        format!("{kind}, {}", limits.join(", "))
    };
    let section = Nested {
        kind: "nestedblock",
        path: path.to_string(),
        content: NestedContent::Block(nested.block.clone()),
        show_description: false,
    };
    let mut line = format!("`{}` ({kind})", nested.name);
    if !nested.block.description.is_empty() {
        line.push(' ');
        line.push_str(&ensure_period(&one_line(&nested.block.description)));
    }
    line.push_str(&see_below(Some(&section)));
    (line, section)
}

/// The Registry's type names (`String`, `Set of String`, `List of Object`, ...), and the nested
/// section an object type needs.
fn type_text(ty: &Type, path: &str) -> (String, Option<Nested>) {
    let object_section = |attrs: &BTreeMap<String, Type>| Nested {
        kind: "nestedatt",
        path: path.to_string(),
        content: NestedContent::Object(attrs.clone()),
        show_description: false,
    };
    match ty {
        Type::Bool => ("Boolean".into(), None),
        Type::Number => ("Number".into(), None),
        Type::String => ("String".into(), None),
        Type::Dynamic => ("Dynamic".into(), None),
        Type::Tuple(_) => ("Tuple".into(), None),
        Type::Object(attrs) => ("Object".into(), Some(object_section(attrs))),
        Type::List(elem) | Type::Set(elem) | Type::Map(elem) => {
            let outer = match ty {
                Type::List(_) => "List",
                Type::Set(_) => "Set",
                _ => "Map",
            };
            match elem.as_ref() {
                Type::Object(attrs) => (format!("{outer} of Object"), Some(object_section(attrs))),
                inner => {
                    let (text, _) = type_text(inner, path);
                    (format!("{outer} of {text}"), None)
                }
            }
        }
    }
}

/// Defaults, allowed values, ranges, lengths, item counts, replacement and deprecation.
fn constraint_sentences(attr: &Attribute) -> Vec<String> {
    let mut out = Vec::new();
    let c = &attr.constraints;
    if let Some(allowed) = &c.one_of {
        let values: Vec<String> = allowed.iter().map(|v| format!("`{v}`")).collect();
        out.push(format!("Allowed values: {}.", values.join(", ")));
    }
    match (c.minimum, c.maximum) {
        (Some(min), Some(max)) => out.push(format!("Must be between {min} and {max}.")),
        (Some(min), None) => out.push(format!("Must be at least {min}.")),
        (None, Some(max)) => out.push(format!("Must be at most {max}.")),
        (None, None) => {}
    }
    match (c.min_length, c.max_length) {
        (Some(min), Some(max)) if min == max => {
            out.push(format!("Must be exactly {min} characters long."))
        }
        (Some(min), Some(max)) => out.push(format!("Must be {min} to {max} characters long.")),
        (Some(1), None) => out.push("Must not be empty.".into()),
        (Some(min), None) if min > 1 => {
            out.push(format!("Must be at least {min} characters long."))
        }
        (None, Some(max)) => out.push(format!("At most {max} characters.")),
        _ => {}
    }
    if let Some(max) = c.max_items {
        out.push(format!("At most {max} items."));
    }
    if let Some(default) = &attr.default {
        out.push(format!("Defaults to `{}`.", hcl_literal(default)));
    }
    if attr.force_new {
        out.push("Changing it forces a new resource to be created.".into());
    }
    if let Some(message) = &attr.deprecated {
        out.push(format!(
            "**Deprecated:** {}",
            ensure_period(&one_line(message))
        ));
    }
    out
}

/// A value as it would be written in HCL.
pub(super) fn hcl_literal(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Unknown => "(known after apply)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::Value::String(s.clone()).to_string(),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            let items: Vec<String> = items.iter().map(hcl_literal).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(entries) | Value::Object(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{k} = {}", hcl_literal(v)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
    }
}

/// Joins the lines of a paragraph (doc comments keep their line breaks) into one.
pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn ensure_period(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?', ':', ')']) || text.ends_with("`.") {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::schema::Constraints;

    fn attr(name: &str) -> Attribute {
        Attribute {
            name: name.into(),
            description: format!("The {name}"),
            ..Attribute::default()
        }
    }

    #[test]
    fn splits_attributes_by_kind_and_states_constraints() {
        let block = Block {
            attributes: vec![
                Attribute {
                    required: true,
                    force_new: true,
                    constraints: Constraints {
                        one_of: Some(vec!["entra".into(), "hybrid".into()]),
                        ..Constraints::default()
                    },
                    ..attr("join_type")
                },
                Attribute {
                    optional: true,
                    computed: true,
                    ty: Type::Number,
                    default: Some(Value::Number(60i64.into())),
                    constraints: Constraints {
                        minimum: Some(1),
                        maximum: Some(1440),
                        ..Constraints::default()
                    },
                    ..attr("timeout")
                },
                Attribute {
                    optional: true,
                    sensitive: true,
                    ..attr("secret")
                },
                Attribute {
                    optional: true,
                    constraints: Constraints {
                        min_length: Some(1),
                        ..Constraints::default()
                    },
                    ..attr("serial")
                },
                Attribute {
                    computed: true,
                    ..attr("id")
                },
            ],
            ..Block::default()
        };
        let md = render_schema(&block);
        let required = md.find("### Required").expect("required section");
        let optional = md.find("### Optional").expect("optional section");
        let read_only = md.find("### Read-Only").expect("read-only section");
        assert!(required < optional && optional < read_only, "{md}");
        assert!(
            md.contains(
                "- `join_type` (String) The join_type. Allowed values: `entra`, `hybrid`. \
             Changing it forces a new resource to be created.\n"
            ),
            "{md}"
        );
        assert!(
            md.contains(
                "- `timeout` (Number) The timeout. Must be between 1 and 1440. Defaults to `60`.\n"
            ),
            "{md}"
        );
        assert!(
            md.contains("- `serial` (String) The serial. Must not be empty.\n"),
            "{md}"
        );
        assert!(
            md.contains("- `secret` (String, Sensitive) The secret.\n"),
            "{md}"
        );
        assert!(
            md[read_only..].contains("- `id` (String) The id.\n"),
            "{md}"
        );
    }

    #[test]
    fn nested_blocks_and_objects_get_their_own_sections() {
        let inner = Block {
            description: "One rule".into(),
            attributes: vec![Attribute {
                required: true,
                ty: Type::set(Type::String),
                ..attr("values")
            }],
            ..Block::default()
        };
        let block = Block {
            attributes: vec![Attribute {
                computed: true,
                ty: Type::list(Type::Object(BTreeMap::from([
                    ("serial".to_string(), Type::String),
                    ("tags".to_string(), Type::list(Type::String)),
                ]))),
                ..attr("devices")
            }],
            blocks: vec![NestedBlock {
                name: "rule".into(),
                nesting: Nesting::List,
                block: inner,
                min_items: 0,
                max_items: 3,
            }],
            ..Block::default()
        };
        let md = render_schema(&block);
        assert!(md.contains(
            "- `rule` (Block List, Max: 3) One rule. (see [below for nested schema](#nestedblock--rule))"
        ), "{md}");
        assert!(
            md.contains("### Nested Schema for `rule`\n\nRequired:\n\n- `values` (Set of String)"),
            "{md}"
        );
        assert!(md.contains(
            "- `devices` (List of Object) The devices. (see [below for nested schema](#nestedatt--devices))"
        ), "{md}");
        assert!(md.contains("<a id=\"nestedatt--devices\"></a>\n### Nested Schema for `devices`\n\nRead-Only:\n\n- `serial` (String)\n- `tags` (List of String)\n"), "{md}");
    }

    #[test]
    fn literals_are_hcl() {
        assert_eq!(
            hcl_literal(&Value::String("os-default".into())),
            "\"os-default\""
        );
        assert_eq!(
            hcl_literal(&Value::Set(vec![Value::String("0".into())])),
            "[\"0\"]"
        );
        assert_eq!(hcl_literal(&Value::Bool(false)), "false");
    }
}
