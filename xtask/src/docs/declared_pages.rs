//! Pages of the two kinds of type Terraform 1.14 added: actions (`docs/actions/<name>.md`, with
//! `examples/actions/<type>/action.tf`) and list resources (`docs/list-resources/<name>.md`,
//! with `examples/list-resources/<type>/list.tfquery.hcl`): the description, the example, the
//! schema of the action's `config` or the list's `config` block, and for actions the Graph
//! permissions.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use super::catalog::{Catalog, Entry};
use super::pages::{front_matter, normalize, paragraphs, summary};
use super::schema_doc::render_schema;
use super::templates::fenced;

/// What kind of page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Action,
    ListResource,
}

impl Kind {
    /// The folder under `docs/` and `examples/`.
    pub(super) fn folder(self) -> &'static str {
        match self {
            Kind::Action => "actions",
            Kind::ListResource => "list-resources",
        }
    }

    /// The example file in the type's example folder.
    pub(super) fn example_file(self) -> &'static str {
        match self {
            Kind::Action => "action.tf",
            Kind::ListResource => "list.tfquery.hcl",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Action => "Action",
            Kind::ListResource => "List Resource",
        }
    }

    fn how_used(self) -> &'static str {
        match self {
            Kind::Action => {
                "Actions need Terraform 1.14 or later. Run one with `terraform apply \
                 -invoke=action.<type>.<name>`, or from a resource's `lifecycle { action_trigger \
                 { ... } }`; progress messages appear while it waits."
            }
            Kind::ListResource => {
                "List resources need Terraform 1.14 or later. Declare the `list` block in a \
                 `.tfquery.hcl` file and run `terraform query`; with \
                 `-generate-config-out=generated.tf` Terraform writes a `resource` and an \
                 `import` block for each object found (see \"Query vs export\" in the README \
                 for how this compares with the provider's `export` command)."
            }
        }
    }
}

/// One page; `permissions` is the "API Permissions" section (empty for list resources, whose
/// reads are those of their resource's page).
pub(super) fn render(
    kind: Kind,
    provider_name: &str,
    entry: &Entry,
    example: &str,
    permissions: &str,
) -> String {
    let description = &entry.schema.block.description;
    let mut out = front_matter(
        &format!("{} {} - {provider_name}", entry.type_name, kind.label()),
        "",
        &summary(description),
    );
    let _ = write!(out, "# {} ({})\n\n", entry.type_name, kind.label());
    out.push_str(&paragraphs(description));
    out.push_str("\n\n");
    out.push_str(kind.how_used());
    out.push_str("\n\n## Example Usage\n\n");
    out.push_str(&fenced("terraform", example));
    out.push_str("\n## Schema (`config` block)\n\n");
    out.push_str(&render_schema(&entry.schema.block));
    if !permissions.is_empty() {
        out.push('\n');
        out.push_str(permissions);
    }
    normalize(&out)
}

/// Renders the page of every action and list resource of `catalog` into `files`, each with its
/// example from `root/examples`.
pub(super) fn insert_all(
    catalog: &Catalog,
    root: &Path,
    files: &mut BTreeMap<String, String>,
) -> Result<()> {
    for (kind, entries) in [
        (Kind::Action, &catalog.actions),
        (Kind::ListResource, &catalog.list_resources),
    ] {
        for entry in entries {
            let example = super::read_example(
                &root
                    .join("examples")
                    .join(kind.folder())
                    .join(&entry.type_name)
                    .join(kind.example_file()),
            )?;
            let permissions = match kind {
                Kind::Action => super::permissions::action_section(&entry.type_name),
                Kind::ListResource => String::new(),
            };
            files.insert(
                format!(
                    "{}/{}.md",
                    kind.folder(),
                    catalog.short_name(&entry.type_name)
                ),
                render(kind, &catalog.provider_name, entry, &example, &permissions),
            );
        }
    }
    Ok(())
}
