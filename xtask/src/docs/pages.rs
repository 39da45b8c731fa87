//! Whole Registry pages: a resource's or a data source's page, built from its schema and its
//! example files.

use std::fmt::Write as _;

use tfplugin::{IdentityAttribute, Schema, Type};

use super::schema_doc::{one_line, render_schema};
use super::templates::fenced;

/// What kind of page: the Registry's `(Resource)` / `(Data Source)` pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Resource,
    DataSource,
}

impl Kind {
    fn title(self) -> &'static str {
        match self {
            Kind::Resource => "Resource",
            Kind::DataSource => "Data Source",
        }
    }
}

/// One page's inputs.
pub(super) struct PageInput<'a> {
    pub kind: Kind,
    pub type_name: &'a str,
    pub provider_name: &'a str,
    pub schema: &'a Schema,
    /// The example configuration (`resource.tf` / `data-source.tf`).
    pub example: &'a str,
    /// `import.sh`, for resources.
    pub import: Option<&'a str>,
    /// The resource identity's attributes (Terraform 1.12+ `import` blocks), for resources.
    pub identity: &'a [IdentityAttribute],
    /// The "## API Permissions" section (empty: none).
    pub permissions: &'a str,
}

pub(super) fn render(input: &PageInput<'_>) -> String {
    let description = input.schema.block.description.trim();
    let mut out = String::new();
    out.push_str(&front_matter(
        &format!(
            "{} {} - {}",
            input.type_name,
            input.kind.title(),
            input.provider_name
        ),
        "",
        &summary(description),
    ));
    let _ = write!(out, "# {} ({})\n\n", input.type_name, input.kind.title());
    if !description.is_empty() {
        out.push_str(&paragraphs(description));
        out.push_str("\n\n");
    }
    out.push_str("## Example Usage\n\n");
    out.push_str(&fenced("terraform", input.example));
    out.push_str("\n## Schema\n\n");
    out.push_str(&render_schema(&input.schema.block));
    if !input.permissions.is_empty() {
        out.push('\n');
        out.push_str(input.permissions);
    }
    if let Some(import) = input.import {
        out.push_str("\n## Import\n\nImport is supported using the following syntax:\n\n");
        out.push_str(&fenced("shell", import));
        out.push_str(&identity_import(
            input.type_name,
            input.schema,
            input.identity,
        ));
    }
    normalize(&out)
}

/// How to import by resource identity, when the resource has one.
fn identity_import(type_name: &str, schema: &Schema, identity: &[IdentityAttribute]) -> String {
    // The example gives the attribute an import must give, else the last one (the most
    // human of them: a device's serial number rather than its id).
    let Some(shown) = identity
        .iter()
        .find(|a| a.required_for_import)
        .or(identity.last())
    else {
        return String::new();
    };
    let placeholder = match schema.block.attribute(shown.name).map(|a| &a.ty) {
        Some(Type::List(_)) => "[\"...\"]",
        _ => "\"...\"",
    };
    let mut out = String::from(
        "\nIn Terraform 1.12 and later, an `import` block can name the object by its resource identity instead of an id:\n\n",
    );
    out.push_str(&fenced(
        "terraform",
        &format!(
            "import {{\n  to = {type_name}.example\n  identity = {{\n    {} = {placeholder}\n  }}\n}}\n",
            shown.name
        ),
    ));
    out.push_str("\nIdentity attributes:\n\n");
    for attribute in identity {
        let role = if attribute.required_for_import {
            "required for import"
        } else {
            "optional for import"
        };
        let _ = writeln!(
            out,
            "- `{}` ({role}) {}",
            attribute.name, attribute.description
        );
    }
    if identity.len() > 1 {
        out.push_str("\nThe first attribute given, in this order, names the object.\n");
    }
    out
}

/// YAML front matter as the Registry reads it.
pub(super) fn front_matter(title: &str, subcategory: &str, description: &str) -> String {
    let mut out = String::from("---\n");
    let _ = writeln!(out, "page_title: {}", yaml_string(title));
    let _ = writeln!(out, "subcategory: {}", yaml_string(subcategory));
    out.push_str("description: |-\n");
    for line in description.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push_str("---\n\n");
    out
}

fn yaml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The first paragraph, on one line.
pub(super) fn summary(description: &str) -> String {
    one_line(description.split("\n\n").next().unwrap_or_default())
}

/// Each paragraph on one line, paragraphs separated by a blank line.
pub(super) fn paragraphs(description: &str) -> String {
    description
        .split("\n\n")
        .map(one_line)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// No trailing spaces, at most one blank line in a row outside code, one final newline.
pub(super) fn normalize(text: &str) -> String {
    let mut out = String::new();
    let mut blank_run = 0;
    let mut in_code = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if line.is_empty() && !in_code {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    let trimmed = out.trim_end();
    format!("{trimmed}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::schema::{Attribute, Block};

    #[test]
    fn resource_page_has_the_registry_sections_in_order() {
        let schema = Schema {
            version: 0,
            block: Block {
                description: "A group.\n\nSecond paragraph\nwrapped.".into(),
                attributes: vec![Attribute {
                    name: "display_name".into(),
                    description: "The name.".into(),
                    required: true,
                    ..Attribute::default()
                }],
                ..Block::default()
            },
        };
        let page = render(&PageInput {
            kind: Kind::Resource,
            type_name: "autopilot_group",
            provider_name: "autopilot",
            schema: &schema,
            example: "resource \"autopilot_group\" \"x\" {}\n",
            import: Some("terraform import autopilot_group.x 1234\n"),
            identity: &[IdentityAttribute::required("id", "The id.")],
            permissions: "## API Permissions\n\n- Read: `Group.Read.All`\n",
        });
        assert!(page.starts_with(
            "---\npage_title: \"autopilot_group Resource - autopilot\"\nsubcategory: \"\"\ndescription: |-\n  A group.\n---\n\n# autopilot_group (Resource)\n\nA group.\n\nSecond paragraph wrapped.\n"
        ), "{page}");
        let order: Vec<usize> = [
            "## Example Usage",
            "```terraform\nresource",
            "## Schema",
            "### Required",
            "## API Permissions",
            "## Import",
            "```shell\nterraform import",
            "identity = {\n    id = \"...\"",
            "- `id` (required for import) The id.",
        ]
        .iter()
        .map(|s| {
            page.find(s)
                .unwrap_or_else(|| panic!("{s} missing in {page}"))
        })
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{page}");
        assert!(
            page.ends_with("- `id` (required for import) The id.\n"),
            "{page}"
        );
    }

    #[test]
    fn normalize_collapses_blank_lines_outside_code() {
        assert_eq!(
            normalize("a  \n\n\n\nb\n```\n\n\n```\n\n"),
            "a\n\nb\n```\n\n\n```\n"
        );
    }
}
