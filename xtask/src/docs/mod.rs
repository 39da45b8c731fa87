//! `cargo xtask docs`: writes `docs/` in the Terraform Registry layout.
//!
//! - `docs/index.md` and `docs/guides/*.md` from the templates in `xtask/src/docs/templates/`
//!   (see [`templates`]), with the provider block's schema and the example files inserted;
//! - `docs/resources/<name>.md` and `docs/data-sources/<name>.md` (the type name without the
//!   `autopilot_` prefix) from the schema the provider serves to Terraform (descriptions are the
//!   model types' doc comments) and `examples/resources/<type>/{resource.tf,import.sh}` /
//!   `examples/data-sources/<type>/data-source.tf`.
//!
//! Everything under `docs/` is generated: `cargo xtask docs` removes files it did not write, and
//! the `docs_are_fresh` test fails when `docs/` differs from what it would write.

mod catalog;
mod pages;
mod permissions;
mod schema_doc;
mod templates;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::ui;

pub use catalog::Catalog;

/// The generated tree: paths relative to `docs/` -> content.
pub type DocFiles = BTreeMap<String, String>;

/// Where the hand-written templates live, relative to the workspace root.
const TEMPLATES_DIR: &str = "xtask/src/docs/templates";

/// `cargo xtask docs [--check]`.
pub fn run(root: &Path, check: bool) -> Result<()> {
    let files = generate(root)?;
    let docs = root.join("docs");
    if check {
        let stale = differences(&docs, &files)?;
        if !stale.is_empty() {
            bail!("{}", stale_message(&stale));
        }
        ui::progress(format!("docs/ is up to date ({} files)", files.len()));
        return Ok(());
    }
    let mut written = 0;
    for (relative, content) in &files {
        let path = docs.join(relative);
        if fs::read_to_string(&path).ok().as_deref() == Some(content.as_str()) {
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("could not create {}", parent.display()))?;
        }
        fs::write(&path, content).with_context(|| format!("could not write {}", path.display()))?;
        ui::detail(format!("wrote docs/{relative}"));
        written += 1;
    }
    let mut removed = 0;
    for relative in existing_files(&docs)? {
        if !files.contains_key(&relative) {
            let path = docs.join(&relative);
            fs::remove_file(&path)
                .with_context(|| format!("could not remove {}", path.display()))?;
            ui::detail(format!("removed docs/{relative} (not generated)"));
            removed += 1;
        }
    }
    ui::progress(format!(
        "docs/: {} files, {written} written, {removed} removed",
        files.len()
    ));
    Ok(())
}

/// Every file `docs/` should hold.
pub fn generate(root: &Path) -> Result<DocFiles> {
    let catalog = Catalog::load().context("could not read the provider's schemas")?;
    permissions::check_complete(&catalog)?;
    let mut files = DocFiles::new();

    for entry in &catalog.resources {
        let dir = root.join("examples/resources").join(&entry.type_name);
        let example = read_example(&dir.join("resource.tf"))?;
        let import = read_example(&dir.join("import.sh"))?;
        let page = pages::render(&pages::PageInput {
            kind: pages::Kind::Resource,
            type_name: &entry.type_name,
            provider_name: &catalog.provider_name,
            schema: &entry.schema,
            example: &example,
            import: Some(&import),
            permissions: &permissions::section(&entry.type_name, false),
        });
        files.insert(
            format!("resources/{}.md", catalog.short_name(&entry.type_name)),
            page,
        );
    }
    for entry in &catalog.data_sources {
        let dir = root.join("examples/data-sources").join(&entry.type_name);
        let example = read_example(&dir.join("data-source.tf"))?;
        let page = pages::render(&pages::PageInput {
            kind: pages::Kind::DataSource,
            type_name: &entry.type_name,
            provider_name: &catalog.provider_name,
            schema: &entry.schema,
            example: &example,
            import: None,
            permissions: &permissions::section(&entry.type_name, true),
        });
        files.insert(
            format!("data-sources/{}.md", catalog.short_name(&entry.type_name)),
            page,
        );
    }

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
             import.sh, every data source examples/data-sources/<type>/data-source.tf)",
            path.display()
        )
    })
}

/// Files under `dir`, relative to it with `/` separators, sorted; none when `dir` is missing.
fn existing_files(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let here = dir.join(&relative);
        let entries =
            fs::read_dir(&here).with_context(|| format!("could not list {}", here.display()))?;
        for entry in entries {
            let entry = entry?;
            let child = relative.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                stack.push(child);
            } else {
                let parts: Vec<String> = child
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push(parts.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What differs between `docs/` and the generated files: one line per file.
pub fn differences(docs: &Path, files: &DocFiles) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (relative, content) in files {
        match fs::read_to_string(docs.join(relative)) {
            Ok(existing) if &existing == content => {}
            Ok(existing) => out.push(format!(
                "docs/{relative} differs ({})",
                first_difference(&existing, content)
            )),
            Err(_) => out.push(format!("docs/{relative} is missing")),
        }
    }
    for relative in existing_files(docs)? {
        if !files.contains_key(&relative) {
            out.push(format!("docs/{relative} is not generated"));
        }
    }
    Ok(out)
}

fn first_difference(existing: &str, expected: &str) -> String {
    let mut existing_lines = existing.lines();
    let mut expected_lines = expected.lines();
    for number in 1.. {
        match (existing_lines.next(), expected_lines.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => return "line endings".into(),
            (a, b) => {
                return format!(
                    "line {number}: has {:?}, expected {:?}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                );
            }
        }
    }
    String::new()
}

fn stale_message(stale: &[String]) -> String {
    format!(
        "docs/ is stale; run `cargo xtask docs` and commit the result:\n  - {}",
        stale.join("\n  - ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_root() -> PathBuf {
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
        let stale = differences(&root.join("docs"), &files)?;
        assert!(stale.is_empty(), "{}", stale_message(&stale));
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

    #[test]
    fn stale_and_stray_files_are_reported() -> Result<()> {
        let dir = tempfile::tempdir()?;
        fs::create_dir_all(dir.path().join("resources"))?;
        fs::write(dir.path().join("index.md"), "old\n")?;
        fs::write(dir.path().join("resources/stray.md"), "x\n")?;
        let files = DocFiles::from([
            ("index.md".to_string(), "new\n".to_string()),
            ("resources/group.md".to_string(), "g\n".to_string()),
        ]);
        let stale = differences(dir.path(), &files)?;
        assert_eq!(
            stale,
            [
                "docs/index.md differs (line 1: has \"old\", expected \"new\")",
                "docs/resources/group.md is missing",
                "docs/resources/stray.md is not generated",
            ]
        );
        assert!(stale_message(&stale).contains("run `cargo xtask docs`"));
        Ok(())
    }
}
