//! `cargo xtask docs`: writes `docs/` in the Terraform Registry layout.
//!
//! - `docs/index.md` and `docs/guides/*.md` from the templates in `xtask/src/docs/templates/`
//!   (see [`templates`]), with the provider block's schema and the example files inserted;
//! - `docs/resources/<name>.md` and `docs/data-sources/<name>.md` (the type name without the
//!   `autopilot_` prefix) from the schema the provider serves to Terraform (descriptions are the
//!   model types' doc comments) and `examples/resources/<type>/{resource.tf,import.sh}` /
//!   `examples/data-sources/<type>/data-source.tf`;
//! - `docs/functions/<name>.md` from each provider-defined function's signature and
//!   `examples/functions/<name>/function.tf`;
//! - `docs/actions/<name>.md` and `docs/list-resources/<name>.md` from each action's and list
//!   resource's schema and `examples/actions/<type>/action.tf` /
//!   `examples/list-resources/<type>/list.tfquery.hcl` (`declared_pages.rs`).
//!
//! Everything under `docs/` is generated: `cargo xtask docs` removes files it did not write, and
//! the `docs_are_fresh` test fails when `docs/` differs from what it would write.

mod catalog;
mod declared_pages;
mod functions;
mod pages;
mod permissions;
mod schema_doc;
mod templates;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::generated::{Files, Tree, existing_files};

pub(crate) use catalog::{Catalog, Entry};

/// The generated tree: paths relative to `docs/` -> content.
pub(crate) type DocFiles = Files;

/// Where the hand-written templates live, relative to the workspace root.
const TEMPLATES_DIR: &str = "xtask/src/docs/templates";

/// `docs/`, written by `cargo xtask docs`.
pub(crate) fn tree(root: &Path) -> Tree {
    Tree::new(root, "docs", "cargo xtask docs")
}

/// `cargo xtask docs [--check]`.
pub(crate) fn run(root: &Path, check: bool) -> Result<()> {
    tree(root).sync(&generate(root)?, check)
}

/// Every file `docs/` should hold.
pub(crate) fn generate(root: &Path) -> Result<DocFiles> {
    let catalog = Catalog::load().context("could not read the provider's schemas")?;
    permissions::check_complete(&catalog)?;
    let mut files = DocFiles::new();

    // A page per resource and data source, from its schema and its example under
    // `examples/<folder>/<type>/` (a resource's example also shows its import command).
    for (kind, entries, folder, example_file) in [
        (
            pages::Kind::Resource,
            &catalog.resources,
            "resources",
            "resource.tf",
        ),
        (
            pages::Kind::DataSource,
            &catalog.data_sources,
            "data-sources",
            "data-source.tf",
        ),
    ] {
        let data_source = kind == pages::Kind::DataSource;
        for entry in entries {
            let dir = root.join("examples").join(folder).join(&entry.type_name);
            let example = read_example(&dir.join(example_file))?;
            let import = if data_source {
                None
            } else {
                Some(read_example(&dir.join("import.sh"))?)
            };
            let page = pages::render(&pages::PageInput {
                kind,
                type_name: &entry.type_name,
                provider_name: &catalog.provider_name,
                schema: &entry.schema,
                example: &example,
                import: import.as_deref(),
                identity: entry.identity,
                permissions: &permissions::section(&entry.type_name, data_source),
            });
            files.insert(
                format!("{folder}/{}.md", catalog.short_name(&entry.type_name)),
                page,
            );
        }
    }

    for (name, signature) in &catalog.functions {
        let example = read_example(
            &root
                .join("examples/functions")
                .join(name)
                .join("function.tf"),
        )?;
        files.insert(
            format!("functions/{name}.md"),
            functions::render(&catalog.provider_name, name, signature, &example),
        );
    }

    declared_pages::insert_all(&catalog, root, &mut files)?;

    let snippets = BTreeMap::from([
        (
            "provider_schema",
            schema_doc::render_schema(&catalog.provider.block),
        ),
        ("resource_list", catalog.link_list()),
        ("permissions_table", permissions::table(&catalog)),
        ("permissions_read_only", permissions::read_only_list()),
        ("permissions_apply", permissions::apply_list()),
        ("permissions_apply_words", permissions::apply_words()),
        (
            "permissions_read_only_words",
            permissions::read_only_words(),
        ),
    ]);
    let templates = root.join(TEMPLATES_DIR);
    for relative in existing_files(&templates)? {
        if !relative.ends_with(".md") {
            continue;
        }
        let path = templates.join(&relative);
        let text = fs::read_to_string(&path)
            .with_context(|| format!("could not read {}", path.display()))?;
        let name = format!("{TEMPLATES_DIR}/{relative}");
        let page = templates::expand(&name, &text, root, &snippets)?;
        files.insert(relative, pages::normalize(&page));
    }
    if !files.contains_key("index.md") {
        bail!("{TEMPLATES_DIR}/index.md is missing: docs/index.md is made from it");
    }
    Ok(files)
}

fn read_example(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| {
        format!(
            "could not read {} (every resource needs examples/resources/<type>/resource.tf and \
             import.sh, every data source examples/data-sources/<type>/data-source.tf, every \
             function examples/functions/<name>/function.tf, every action \
             examples/actions/<type>/action.tf, every list resource \
             examples/list-resources/<type>/list.tfquery.hcl)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_root() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The checked-in `docs/` is exactly what `cargo xtask docs` writes.
    #[test]
    fn docs_are_fresh() -> Result<()> {
        let root = workspace_root();
        let files = generate(&root)?;
        let tree = tree(&root);
        let stale = tree.differences(&files)?;
        assert!(stale.is_empty(), "{}", tree.stale_message(&stale));
        Ok(())
    }

    #[test]
    fn every_resource_and_data_source_gets_a_page() -> Result<()> {
        let files = generate(&workspace_root())?;
        let catalog = Catalog::load()?;
        for entry in &catalog.resources {
            let page = format!("resources/{}.md", catalog.short_name(&entry.type_name));
            let text = files.get(&page).map(String::as_str).unwrap_or_default();
            assert!(text.contains("## Import"), "{page} has no Import section");
            assert!(
                text.contains("### Read-Only\n\n- `id` (String)"),
                "{page}: no id"
            );
        }
        for entry in &catalog.data_sources {
            let page = format!("data-sources/{}.md", catalog.short_name(&entry.type_name));
            assert!(files.contains_key(&page), "{page} is not generated");
        }
        Ok(())
    }
}
