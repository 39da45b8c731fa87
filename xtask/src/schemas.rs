//! `cargo xtask schemas`: writes `schemas/` (checked in).
//!
//! - `schemas/resources/<type>.json`, `schemas/data-sources/<type>.json`: the configuration of
//!   each resource and data source as a user writes it (see [`crate::schemas_config`]), from the
//!   schema the provider serves to Terraform;
//! - `schemas/graph/<name>.json`: each Graph request body the provider sends, derived from the
//!   type it serializes (`terraform_provider_autopilot::payloads`);
//! - `schemas/index.json`: every schema with its file, and for payloads the method and path
//!   template (`{id}` for object ids), which is how the acceptance suite finds the schema of a
//!   request it saw; `schemas/README.md`: the same as a table.
//!
//! Everything under `schemas/` is generated: files this command did not write are removed, and
//! the `schemas_are_fresh` test fails when `schemas/` differs from what it would write.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use terraform_provider_autopilot::AutopilotProvider;
use terraform_provider_autopilot::payloads::{Payload, payloads};
use tfplugin::Provider;

use crate::schemas_config::config_schema;
use crate::ui;

/// The generated tree: paths relative to `schemas/` -> content.
pub type SchemaFiles = BTreeMap<String, String>;

/// `cargo xtask schemas [--check]`.
pub fn run(root: &Path, check: bool) -> Result<()> {
    let files = generate()?;
    let dir = root.join("schemas");
    if check {
        let stale = differences(&dir, &files)?;
        if !stale.is_empty() {
            bail!("{}", stale_message(&stale));
        }
        ui::progress(format!("schemas/ is up to date ({} files)", files.len()));
        return Ok(());
    }
    let mut written = 0;
    for (relative, content) in &files {
        let path = dir.join(relative);
        if fs::read_to_string(&path).ok().as_deref() == Some(content.as_str()) {
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("could not create {}", parent.display()))?;
        }
        fs::write(&path, content).with_context(|| format!("could not write {}", path.display()))?;
        ui::detail(format!("wrote schemas/{relative}"));
        written += 1;
    }
    let mut removed = 0;
    for relative in existing_files(&dir)? {
        if !files.contains_key(&relative) {
            let path = dir.join(&relative);
            fs::remove_file(&path)
                .with_context(|| format!("could not remove {}", path.display()))?;
            ui::detail(format!("removed schemas/{relative}"));
            removed += 1;
        }
    }
    ui::progress(format!(
        "schemas/: {} files, {written} written, {removed} removed",
        files.len()
    ));
    Ok(())
}

/// Every file of `schemas/`, in memory.
pub fn generate() -> Result<SchemaFiles> {
    let provider = AutopilotProvider;
    let mut files = SchemaFiles::new();
    let mut resources = Vec::new();
    for resource in provider.resources() {
        let type_name = resource.type_name();
        let schema = resource
            .schema()
            .with_context(|| format!("the schema of {type_name}"))?;
        let file = format!("resources/{type_name}.json");
        files.insert(
            file.clone(),
            pretty(&config_schema(type_name, "resource", &schema))?,
        );
        resources.push(json!({"type": type_name, "schema": file, "description": summary(&schema.block.description)}));
    }
    let mut data_sources = Vec::new();
    for data_source in provider.data_sources() {
        let type_name = data_source.type_name();
        let schema = data_source
            .schema()
            .with_context(|| format!("the schema of {type_name}"))?;
        let file = format!("data-sources/{type_name}.json");
        files.insert(
            file.clone(),
            pretty(&config_schema(type_name, "data source", &schema))?,
        );
        data_sources.push(json!({"type": type_name, "schema": file, "description": summary(&schema.block.description)}));
    }
    let by_type = |a: &Value, b: &Value| a["type"].to_string().cmp(&b["type"].to_string());
    resources.sort_by(by_type);
    data_sources.sort_by(by_type);
    let mut graph = Vec::new();
    for payload in payloads() {
        let file = format!("graph/{}.json", payload.name);
        files.insert(file.clone(), pretty(&payload_schema(&payload))?);
        let mut entry = json!({
            "name": payload.name,
            "method": payload.method,
            "path": payload.path,
            "purpose": payload.purpose,
            "schema": file,
        });
        if payload.schema.is_none() {
            // Posted without a body; entries without the key have one.
            entry["body"] = json!(false);
        }
        graph.push(entry);
    }
    let index = json!({
        "$comment": "Generated by `cargo xtask schemas`; do not edit.",
        "resources": resources,
        "data_sources": data_sources,
        "graph_payloads": graph,
    });
    files.insert("README.md".into(), readme(&index));
    files.insert("index.json".into(), pretty(&index)?);
    Ok(files)
}

/// A payload's schema with its title and where it is sent, the header keys first.
fn payload_schema(payload: &Payload) -> Value {
    let mut header = serde_json::Map::new();
    header.insert("$schema".into(), json!(crate::schemas_config::DRAFT));
    header.insert("title".into(), json!(payload.name));
    header.insert(
        "x-graph-request".into(),
        if payload.schema.is_some() {
            json!({"method": payload.method, "path": payload.path})
        } else {
            json!({"method": payload.method, "path": payload.path, "body": false})
        },
    );
    // An action without parameters is posted without a body: no JSON value is a valid body.
    let derived = match &payload.schema {
        Some(schema) => schema.as_object().cloned().unwrap_or_default(),
        None => json!({
            "description": "Posted without a request body (an action without parameters); any body is refused.",
            "not": {}
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    };
    if let Some(description) = derived.get("description") {
        header.insert("description".into(), description.clone());
    }
    for (key, value) in derived {
        header.entry(key).or_insert(value);
    }
    Value::Object(header)
}

/// The first sentence (up to the first blank line) of a description.
fn summary(description: &str) -> String {
    description
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn pretty(value: &Value) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value).context("could not render JSON")?;
    text.push('\n');
    Ok(text)
}

fn readme(index: &Value) -> String {
    let mut out = String::from(
        "# JSON Schemas\n\n\
         Generated by `cargo xtask schemas` (do not edit; a test fails when these files are \
         stale). All are JSON Schema draft 2020-12. [`index.json`](index.json) lists them for \
         tools.\n\n\
         ## Configuration\n\n\
         What a user may set in each resource and data source (required and optional \
         attributes with their types, allowed values, ranges, lengths and descriptions; \
         attributes only the provider sets are left out). `x-terraform` marks attributes that \
         are computed when unset, force replacement or are sensitive.\n\n\
         | kind | type | schema |\n|---|---|---|\n",
    );
    for (kind, key) in [("resource", "resources"), ("data source", "data_sources")] {
        for entry in index[key].as_array().into_iter().flatten() {
            let file = entry["schema"].as_str().unwrap_or_default();
            out.push_str(&format!(
                "| {kind} | `{}` | [{file}]({file}) |\n",
                entry["type"].as_str().unwrap_or_default()
            ));
        }
    }
    out.push_str(
        "\n## Graph payloads\n\n\
         Every request body the provider sends to Microsoft Graph, derived from the type it \
         serializes. `{id}` stands for an object id. The acceptance suite checks that every \
         body it sees the provider send validates against the schema of its method and path. \
         Actions without parameters are posted without a body (\"no body\"; their schema \
         admits none).\n\n\
         | method | path | sent by | schema |\n|---|---|---|---|\n",
    );
    for entry in index["graph_payloads"].as_array().into_iter().flatten() {
        let file = entry["schema"].as_str().unwrap_or_default();
        let without_body = if entry["body"] == json!(false) {
            " (no body)"
        } else {
            ""
        };
        out.push_str(&format!(
            "| {} | `{}` | {}{without_body} | [{file}]({file}) |\n",
            entry["method"].as_str().unwrap_or_default(),
            entry["path"].as_str().unwrap_or_default(),
            entry["purpose"].as_str().unwrap_or_default(),
        ));
    }
    out
}

/// Files under `schemas/`, relative, with `/` separators.
fn existing_files(dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if dir.is_dir() {
        collect(dir, dir, &mut out)?;
    }
    out.sort();
    Ok(out)
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("could not list {}", dir.display()))? {
        let path: PathBuf = entry.context("could not read a directory entry")?.path();
        if path.is_dir() {
            collect(base, &path, out)?;
        } else if let Ok(relative) = path.strip_prefix(base) {
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

/// What differs between `schemas/` and `files`: one line per file.
pub fn differences(dir: &Path, files: &SchemaFiles) -> Result<Vec<String>> {
    let mut stale = Vec::new();
    for (relative, content) in files {
        match fs::read_to_string(dir.join(relative)) {
            Ok(existing) if &existing == content => {}
            Ok(_) => stale.push(format!("schemas/{relative} differs")),
            Err(_) => stale.push(format!("schemas/{relative} is missing")),
        }
    }
    for relative in existing_files(dir)? {
        if !files.contains_key(&relative) {
            stale.push(format!("schemas/{relative} is not generated any more"));
        }
    }
    Ok(stale)
}

fn stale_message(stale: &[String]) -> String {
    format!(
        "schemas/ is stale; run `cargo xtask schemas`:\n  - {}",
        stale.join("\n  - ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_are_fresh() {
        let root = crate::workspace_root().expect("workspace root");
        let files = generate().expect("generate schemas");
        let stale = differences(&root.join("schemas"), &files).expect("compare");
        assert!(stale.is_empty(), "{}", stale_message(&stale));
    }

    #[test]
    fn every_resource_and_data_source_and_payload_has_a_schema() {
        let files = generate().expect("generate schemas");
        let provider = AutopilotProvider;
        for r in provider.resources() {
            assert!(files.contains_key(&format!("resources/{}.json", r.type_name())));
        }
        for d in provider.data_sources() {
            assert!(files.contains_key(&format!("data-sources/{}.json", d.type_name())));
        }
        let index: Value = serde_json::from_str(&files["index.json"]).expect("index is JSON");
        for entry in index["graph_payloads"].as_array().expect("payloads") {
            let file = entry["schema"].as_str().expect("schema file");
            let schema: Value = serde_json::from_str(&files[file]).expect("schema is JSON");
            assert_eq!(schema["x-graph-request"]["path"], entry["path"]);
        }
    }

    #[test]
    fn a_changed_or_extra_file_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut files = SchemaFiles::new();
        files.insert("graph/a.json".into(), "{}\n".into());
        files.insert("index.json".into(), "{}\n".into());
        fs::create_dir_all(dir.path().join("graph")).expect("mkdir");
        fs::write(dir.path().join("graph/a.json"), "{\"old\":1}\n").expect("write");
        fs::write(dir.path().join("graph/gone.json"), "{}\n").expect("write");
        let stale = differences(dir.path(), &files).expect("compare");
        assert_eq!(
            stale,
            [
                "schemas/graph/a.json differs",
                "schemas/index.json is missing",
                "schemas/graph/gone.json is not generated any more",
            ]
        );
        assert!(stale_message(&stale).contains("run `cargo xtask schemas`"));
    }

    #[test]
    fn user_settable_attributes_only() {
        let files = generate().expect("generate schemas");
        let group: Value =
            serde_json::from_str(&files["resources/autopilot_group.json"]).expect("JSON");
        let properties = group["properties"].as_object().expect("properties");
        assert!(properties.contains_key("display_name"));
        assert!(!properties.contains_key("id"), "id is computed only");
        assert!(
            group["required"]
                .as_array()
                .expect("required")
                .contains(&json!("display_name"))
        );
    }
}
