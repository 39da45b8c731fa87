//! Every configuration under `examples/` is run against a lab through the real `terraform`:
//! `init`, `validate`, `plan`, then `apply`, a second plan that must be empty, the import that
//! the example's `import.sh` documents (its placeholder GUID replaced by the state's; the rest of
//! the documented id must match the state's id), every Graph request of the run being one of the
//! calls the docs' "API Permissions" sections list for the example's types, and `destroy`. A resource or data source type without its example fails
//! `every_type_has_an_example`.
//!
//! Terraform installs the provider as users' Terraform does, with `terraform init`, from a
//! filesystem mirror holding the provider binary under test (dev_overrides would skip `init`).
//!
//! Examples that hold no `required_providers` (the Registry's resource and data source examples)
//! get the harness's provider block as `provider.tf`. Files named `backend.tf` are left out: a
//! backend needs its service (Azure Storage, Terraform Cloud), which a lab cannot stand in for.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use acceptance_tests::paths::workspace_root;
use acceptance_tests::{Lab, PROVIDER_HCL, Terraform};
use serde_json::Value;

/// Every example directory, relative to `examples/`, each exercised by the test of that name.
macro_rules! example_tests {
    ($($name:ident => $dir:literal),* $(,)?) => {
        const EXERCISED: &[&str] = &[$($dir),*];
        $(
            #[test]
            fn $name() {
                exercise($dir);
            }
        )*
    };
}

example_tests! {
    provider => "provider",
    quickstart => "quickstart",
    resource_assignment_filter => "resources/autopilot_assignment_filter",
    resource_deployment_profile => "resources/autopilot_deployment_profile",
    resource_device => "resources/autopilot_device",
    resource_device_csv => "resources/autopilot_device_csv",
    resource_corporate_identifier_csv => "resources/autopilot_corporate_identifier_csv",
    resource_device_preparation_policy => "resources/autopilot_device_preparation_policy",
    resource_domain_join_profile => "resources/autopilot_domain_join_profile",
    resource_enrollment_status_page => "resources/autopilot_enrollment_status_page",
    resource_group => "resources/autopilot_group",
    resource_scope_tag => "resources/autopilot_scope_tag",
    data_source_assignment_filter => "data-sources/autopilot_assignment_filter",
    data_source_configuration_file => "data-sources/autopilot_configuration_file",
    data_source_deployment_profile => "data-sources/autopilot_deployment_profile",
    data_source_devices => "data-sources/autopilot_devices",
    data_source_enrollment_status_page => "data-sources/autopilot_enrollment_status_page",
    data_source_group => "data-sources/autopilot_group",
    data_source_group_tag_rule => "data-sources/autopilot_group_tag_rule",
    data_source_mobile_app => "data-sources/autopilot_mobile_app",
    data_source_platform_script => "data-sources/autopilot_platform_script",
    data_source_provisioning_client => "data-sources/autopilot_provisioning_client",
    data_source_scope_tag => "data-sources/autopilot_scope_tag",
    function_parse_hardware_csv => "functions/parse_hardware_csv",
    function_group_tag_rule => "functions/group_tag_rule",
    function_purchase_order_rule => "functions/purchase_order_rule",
    guide_getting_started => "guides/getting-started",
    guide_gitops => "guides/gitops",
    guide_terraform_cloud_and_atlantis => "guides/terraform-cloud-and-atlantis",
}

/// Example directories exercised by their own tests below (they need more than one lab, or a
/// lab reset between two applies).
const EXERCISED_ELSEWHERE: &[&str] = &["guides/many-tenants", "guides/rebuild-lab-tenant"];

fn examples_dir() -> PathBuf {
    workspace_root().join("examples")
}

/// A CLI configuration whose filesystem mirror holds the provider binary under test, shared by
/// the tests of this file (kept until the process ends).
fn mirror_cli_config() -> &'static Path {
    static CONFIG: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = CONFIG.get_or_init(|| {
        let provider = std::path::absolute(acceptance_tests::paths::provider_bin())
            .expect("an absolute provider path");
        // Next to the provider binary (the same file system, so a hard link works; removed with
        // the build directory).
        let dir = tempfile::Builder::new()
            .prefix("examples-mirror-")
            .tempdir_in(provider.parent().expect("the provider binary's directory"))
            .expect("create the mirror directory");
        let mirror = dir.path().join("mirror");
        let package = mirror.join(format!(
            "registry.terraform.io/autopilot-iac/autopilot/{}/linux_amd64",
            env!("CARGO_PKG_VERSION")
        ));
        std::fs::create_dir_all(&package).expect("create the mirror's package directory");
        // A hard link or a copy, not a symbolic link: a rebuild of the provider during the run
        // must not change the binary under the lock files `terraform init` wrote.
        let target = package.join(format!(
            "terraform-provider-autopilot_v{}",
            env!("CARGO_PKG_VERSION")
        ));
        if std::fs::hard_link(&provider, &target).is_err() {
            std::fs::copy(&provider, &target).expect("copy the provider into the mirror");
        }
        let config = dir.path().join("mirror.tfrc");
        std::fs::write(
            &config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/autopilot-iac/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/autopilot-iac/*\"]\n  }}\n}}\n",
                mirror.display()
            ),
        )
        .expect("write the mirror's CLI configuration");
        (dir, config)
    });
    path
}

/// A working directory whose provider talks to `env`'s lab and is installed by `terraform init`
/// from the mirror.
fn workspace_with(env: Vec<(String, String)>) -> Terraform {
    let mut env = env;
    env.push((
        "TF_CLI_CONFIG_FILE".to_string(),
        mirror_cli_config().to_string_lossy().into_owned(),
    ));
    Terraform::with_env(env)
}

/// Runs one example directory through the whole cycle against a fresh lab. Examples of
/// provider-defined functions need Terraform 1.8 or later.
fn exercise(relative: &str) {
    if relative.starts_with("functions/")
        && !acceptance_tests::paths::terraform_at_least(1, 8, "provider-defined functions")
    {
        return;
    }
    let lab = Lab::start();
    let mut env = lab.provider_env();
    // The lab has no `/organization`: examples that would read the tenant's id and domain from
    // it take them from these variables instead.
    env.push(("TF_VAR_tenant_id".into(), lab.info().tenant_id.clone()));
    env.push((
        "TF_VAR_tenant_domain".into(),
        "autopilotlab.onmicrosoft.com".into(),
    ));
    let tf = workspace_with(env);
    let source = examples_dir().join(relative);
    prepare(&source, &tf);

    tf.run(&["init", "-no-color", "-input=false"]).success();
    tf.run(&["validate", "-no-color"])
        .success()
        .assert_contains("The configuration is valid");
    tf.plan().success();
    tf.apply();
    let quiet = tf.plan_detailed();
    assert_eq!(
        quiet.code, 0,
        "{relative}: the plan right after apply is not empty\n{quiet}"
    );

    for (address, documented) in documented_imports(&source) {
        // A GUID in the documented id is a placeholder for the tenant's own: the rest of the id
        // (an ESP's suffix, say) must be what the resource's ids really look like. The
        // documented form with the state's GUID in place of the placeholder is what is imported.
        let id = match placeholder_guid(&documented) {
            Some(placeholder) => {
                let actual = state_id(&tf, &address);
                let guid = placeholder_guid(&actual).unwrap_or_else(|| {
                    panic!(
                        "{relative}: import.sh shows a GUID for {address}, but its id {actual:?} holds none"
                    )
                });
                let id = documented.replace(placeholder, guid);
                assert_eq!(
                    id, actual,
                    "{relative}: the documented import id {documented:?} does not have the form of {address}'s id {actual:?}"
                );
                id
            }
            None => documented,
        };
        tf.run(&["state", "rm", "-no-color", &address]).success();
        tf.import(&address, &id)
            .success()
            .assert_contains("Import successful");
        let after = tf.plan_detailed();
        assert_eq!(
            after.code, 0,
            "{relative}: the plan after `terraform import {address} {id}` is not empty\n{after}"
        );
    }

    // Where the example documents an import (its `import.sh`), an empty plan after the import
    // is a promise, and importing by identity must keep it too. (Elsewhere an import may
    // rightly plan a change: a group written with a hand-made tag rule imports as
    // `group_tags`, the form an import prefers.)
    if source.join("import.sh").is_file()
        && acceptance_tests::paths::terraform_at_least(1, 12, "import by resource identity")
    {
        import_by_identity(relative, &tf);
    }

    tf.destroy();
    assert!(
        tf.state_addresses().is_empty(),
        "{relative}: resources left in the state after destroy"
    );
    assert_calls_documented(relative, &lab, &example_types_used(&source));
}

/// Terraform 1.12+: every resource of the root module is taken out of the state and imported
/// again through an `import` block that gives only its identity (as the state holds it), and
/// the import plans no change. Every resource type's example runs it.
fn import_by_identity(relative: &str, tf: &Terraform) {
    let path = tf.dir().join("terraform.tfstate");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{relative}: cannot read {}: {e}", path.display()));
    let state: Value = serde_json::from_str(&text).expect("the state is JSON");
    let mut blocks = String::new();
    let mut addresses = Vec::new();
    for resource in state["resources"].as_array().into_iter().flatten() {
        let kind = resource["type"].as_str().unwrap_or_default();
        if resource["mode"] != "managed" || resource.get("module").is_some() {
            continue;
        }
        for instance in resource["instances"].as_array().into_iter().flatten() {
            let index = match &instance["index_key"] {
                Value::String(key) => format!("[{}]", Value::String(key.clone())),
                Value::Number(n) => format!("[{n}]"),
                _ => String::new(),
            };
            let address = format!(
                "{kind}.{}{index}",
                resource["name"].as_str().unwrap_or_default()
            );
            let Some(identity) = instance["identity"].as_object() else {
                panic!("{relative}: {address} has no identity in the state");
            };
            let attributes: String = identity
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("    {k} = {v}\n"))
                .collect();
            blocks.push_str(&format!(
                "import {{\n  to = {address}\n  identity = {{\n{attributes}  }}\n}}\n"
            ));
            addresses.push(address);
        }
    }
    if addresses.is_empty() {
        return;
    }
    for address in &addresses {
        tf.run(&["state", "rm", "-no-color", address]).success();
    }
    let imports = tf.dir().join("identity_imports.tf");
    std::fs::write(&imports, &blocks).expect("write identity_imports.tf");
    let plan = tf.plan_detailed();
    assert!(
        plan.text().contains(&format!(
            "{} to import, 0 to add, 0 to change, 0 to destroy",
            addresses.len()
        )),
        "{relative}: importing by identity should import {} resources and change nothing\n{blocks}\n{plan}",
        addresses.len()
    );
    tf.apply();
    std::fs::remove_file(&imports).expect("remove identity_imports.tf");
    let after = tf.plan_detailed();
    assert_eq!(
        after.code, 0,
        "{relative}: the plan after importing by identity is not empty\n{after}"
    );
}

/// The permissions table's keys of the types an example's `.tf` files use: `autopilot_group`
/// for a resource, `autopilot_group@data` for a data source.
fn example_types_used(example: &Path) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for file in tf_files(example) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some(kind), Some(name)) = (words.next(), words.next()) else {
                continue;
            };
            let name = name.trim_matches('"');
            if !name.starts_with("autopilot_") {
                continue;
            }
            match kind {
                "resource" => keys.insert(name.to_string()),
                "data" => keys.insert(format!("{name}@data")),
                _ => false,
            };
        }
    }
    keys
}

/// Every Graph request the lab saw is one of the calls the docs list for `types` (each page's
/// "API Permissions" table, generated from the provider's permissions table, the one its 403
/// diagnostics use), so those pages cannot leave a call, or its permission, out.
fn assert_calls_documented(relative: &str, lab: &Lab, types: &BTreeSet<String>) {
    let calls: Vec<(String, String)> = types.iter().flat_map(|key| documented_calls(key)).collect();
    let undocumented: Vec<String> = lab
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/beta/") || r.path.starts_with("/v1.0/"))
        .filter(|r| {
            !calls
                .iter()
                .any(|(method, path)| call_matches(method, path, &r.method, &r.path))
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        undocumented.is_empty(),
        "{relative}: requests that the API Permissions sections of {types:?} do not list (add them to provider/src/graph/permissions.rs):\n  {}",
        undocumented.join("\n  ")
    );
}

/// `(method, path)` of each row of a page's "API Permissions" table: `autopilot_group` is
/// docs/resources/group.md, `autopilot_group@data` docs/data-sources/group.md.
fn documented_calls(key: &str) -> Vec<(String, String)> {
    let (type_name, kind) = match key.strip_suffix("@data") {
        Some(name) => (name, "data-sources"),
        None => (key, "resources"),
    };
    let short = type_name.trim_start_matches("autopilot_");
    let page = workspace_root().join(format!("docs/{kind}/{short}.md"));
    let text = std::fs::read_to_string(&page)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", page.display()));
    let Some(start) = text.find("## API Permissions") else {
        panic!("{} has no API Permissions section", page.display());
    };
    text[start..]
        .lines()
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(call, _)| call))
        .filter_map(|call| call.split_once(' '))
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect()
}

/// Whether a request is the documented call: same method, same segments, `{id}` for any one.
fn call_matches(method: &str, path: &str, request_method: &str, request_path: &str) -> bool {
    if !method.eq_ignore_ascii_case(request_method) {
        return false;
    }
    let request_path = request_path.split('?').next().unwrap_or(request_path);
    let wanted: Vec<&str> = path.trim_matches('/').split('/').collect();
    let got: Vec<&str> = request_path.trim_matches('/').split('/').collect();
    wanted.len() == got.len()
        && wanted
            .iter()
            .zip(&got)
            .all(|(w, g)| *w == "{id}" || w.eq_ignore_ascii_case(g))
}

/// Copies the example into the working directory, adding the provider block when the example
/// has none and leaving out `backend.tf`.
fn prepare(source: &Path, tf: &Terraform) {
    assert!(source.is_dir(), "{} is missing", source.display());
    copy_tree(source, tf.dir());
    let declares_provider = tf_files(tf.dir()).iter().any(|file| {
        std::fs::read_to_string(file)
            .map(|text| text.contains("required_providers"))
            .unwrap_or(false)
    });
    if !declares_provider {
        std::fs::write(tf.dir().join("provider.tf"), PROVIDER_HCL).expect("write provider.tf");
    }
}

/// Copies regular files and directories, leaving out Terraform's local files, hidden entries and
/// `backend.tf`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a directory in the working directory");
    let entries =
        std::fs::read_dir(from).unwrap_or_else(|e| panic!("cannot list {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let local =
            name.starts_with('.') || name.starts_with("terraform.tfstate") || name == "backend.tf";
        if local {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().expect("a file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("cannot copy {}: {e}", entry.path().display()));
        }
    }
}

fn tf_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "tf"))
                .collect()
        })
        .unwrap_or_default()
}

/// `(address, id)` of every `terraform import ADDRESS ID` line of the example's `import.sh`.
fn documented_imports(example: &Path) -> Vec<(String, String)> {
    let Ok(script) = std::fs::read_to_string(example.join("import.sh")) else {
        return Vec::new();
    };
    script
        .lines()
        .filter_map(|line| line.trim().strip_prefix("terraform import "))
        .map(|rest| {
            let words: Vec<&str> = rest.split_whitespace().collect();
            match words.as_slice() {
                [address, id] => (address.to_string(), id.to_string()),
                _ => panic!("import.sh line is not `terraform import ADDRESS ID`: {rest}"),
            }
        })
        .collect()
}

/// The first GUID (`8-4-4-4-12` hex digits) in an import id: ids that only the tenant knows,
/// shown as placeholders in the docs.
fn placeholder_guid(id: &str) -> Option<&str> {
    let bytes = id.as_bytes();
    bytes
        .windows(36)
        .position(|w| {
            w.iter().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => *b == b'-',
                _ => b.is_ascii_hexdigit(),
            })
        })
        .map(|start| &id[start..start + 36])
}

fn state_id(tf: &Terraform, address: &str) -> String {
    tf.resource_values(address)
        .and_then(|values| values.get("id")?.as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("{address} has no id in the state"))
}

/// The resource and data source types the provider serves, from `terraform providers schema`.
fn served_types() -> (BTreeSet<String>, BTreeSet<String>) {
    let lab = Lab::start();
    let tf = workspace_with(lab.provider_env());
    tf.write_main(PROVIDER_HCL);
    tf.run(&["init", "-no-color", "-input=false"]).success();
    let out = tf
        .run(&["providers", "schema", "-json", "-no-color"])
        .success();
    let schema: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!("`terraform providers schema -json` printed no JSON: {e}\n{out}")
    });
    let provider = schema["provider_schemas"]
        .as_object()
        .and_then(|providers| providers.values().next())
        .unwrap_or_else(|| panic!("no provider in the schema output\n{out}"));
    let names = |key: &str| -> BTreeSet<String> {
        provider[key]
            .as_object()
            .map(|types| types.keys().cloned().collect())
            .unwrap_or_default()
    };
    (names("resource_schemas"), names("data_source_schemas"))
}

/// The resource and data source types `schemas/index.json` lists (`cargo xtask schemas` writes it
/// from the provider's schemas).
fn indexed_types() -> (BTreeSet<String>, BTreeSet<String>) {
    let path = workspace_root().join("schemas/index.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let index: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let types = |key: &str| -> BTreeSet<String> {
        index[key]
            .as_array()
            .unwrap_or_else(|| panic!("{} has no `{key}` list", path.display()))
            .iter()
            .filter_map(|entry| entry["type"].as_str().map(str::to_string))
            .collect()
    };
    (types("resources"), types("data_sources"))
}

/// The subdirectories of `examples/<kind>`.
fn example_types(kind: &str) -> BTreeSet<String> {
    std::fs::read_dir(examples_dir().join(kind))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_type_has_an_example() {
    let (resources, data_sources) = served_types();
    // The provider's own list, not a count kept by hand: `schemas/index.json` is generated from
    // the provider and kept fresh by `schemas_are_fresh`, so the two lists must agree (and an
    // empty schema output cannot pass for "nothing to check").
    let (indexed_resources, indexed_data_sources) = indexed_types();
    assert!(!resources.is_empty(), "the provider serves no resource");
    assert_eq!(
        (&resources, &data_sources),
        (&indexed_resources, &indexed_data_sources),
        "`terraform providers schema -json` and schemas/index.json disagree (run `cargo xtask schemas`)"
    );
    let mut missing = Vec::new();
    for kind in &resources {
        for file in ["resource.tf", "import.sh"] {
            let path = format!("resources/{kind}/{file}");
            if !examples_dir().join(&path).is_file() {
                missing.push(path);
            }
        }
    }
    for kind in &data_sources {
        let path = format!("data-sources/{kind}/data-source.tf");
        if !examples_dir().join(&path).is_file() {
            missing.push(path);
        }
    }
    assert!(
        missing.is_empty(),
        "examples missing under examples/: {missing:?}"
    );
    let stray: Vec<String> = example_types("resources")
        .difference(&resources)
        .map(|t| format!("resources/{t}"))
        .chain(
            example_types("data-sources")
                .difference(&data_sources)
                .map(|t| format!("data-sources/{t}")),
        )
        .collect();
    assert!(
        stray.is_empty(),
        "examples for types the provider does not serve: {stray:?}"
    );
}

#[test]
fn every_example_directory_is_exercised() {
    let exercised: BTreeSet<&str> = EXERCISED
        .iter()
        .chain(EXERCISED_ELSEWHERE)
        .copied()
        .collect();
    let mut on_disk = BTreeSet::new();
    for top in ["provider", "quickstart"] {
        on_disk.insert(top.to_string());
    }
    for kind in ["resources", "data-sources", "functions", "guides"] {
        for name in example_types(kind) {
            on_disk.insert(format!("{kind}/{name}"));
        }
    }
    let untested: Vec<&String> = on_disk
        .iter()
        .filter(|d| !exercised.contains(d.as_str()))
        .collect();
    assert!(
        untested.is_empty(),
        "example directories no test runs (add them to example_tests!): {untested:?}"
    );
    let gone: Vec<&&str> = exercised
        .iter()
        .filter(|d| !on_disk.contains(**d))
        .collect();
    assert!(gone.is_empty(), "exercised but not on disk: {gone:?}");
}

#[test]
fn placeholder_guids_are_recognised() {
    assert_eq!(
        placeholder_guid("6fa0c91b-0b54-4f5a-9e55-5b1a8d4b3c21"),
        Some("6fa0c91b-0b54-4f5a-9e55-5b1a8d4b3c21")
    );
    assert_eq!(
        placeholder_guid(
            "5d3c2b1a-0f9e-4d8c-b7a6-958473625140_Windows10EnrollmentCompletionPageConfiguration"
        ),
        Some("5d3c2b1a-0f9e-4d8c-b7a6-958473625140")
    );
    assert_eq!(placeholder_guid("PF3A9K2X"), None);
    assert_eq!(placeholder_guid("tag:BRANCH"), None);
}

/// Runs a script of an example with `terraform` and `autopilot-lab` on PATH, in `dir`, with
/// the mirror's CLI configuration and `env`.
fn run_script(
    dir: &Path,
    script: &str,
    env: &[(String, String)],
) -> acceptance_tests::process::Captured {
    let terraform = std::path::absolute(acceptance_tests::paths::terraform_bin())
        .expect("an absolute terraform path");
    let lab =
        std::path::absolute(acceptance_tests::paths::lab_bin()).expect("an absolute lab path");
    let mut path =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect::<Vec<_>>();
    for bin in [&terraform, &lab] {
        path.insert(0, bin.parent().expect("a binary's directory").to_path_buf());
    }
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(script).current_dir(dir);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("TF_") || key.starts_with("ARM_") || key.starts_with("AUTOPILOT_") {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd.env("PATH", std::env::join_paths(path).expect("a PATH"))
        .env("TF_CLI_CONFIG_FILE", mirror_cli_config())
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_CLI_ARGS", "-no-color")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .envs(env.iter().map(|(k, v)| (k, v)));
    acceptance_tests::process::run_captured(&mut cmd, std::time::Duration::from_secs(300))
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"))
}

fn show(captured: &acceptance_tests::process::Captured) -> String {
    format!(
        "exit code {} (timed out: {})\n----- stdout -----\n{}\n----- stderr -----\n{}",
        captured.code, captured.timed_out, captured.stdout, captured.stderr
    )
}

/// The GitOps workflow's first job, as it runs in GitHub Actions: its script starts a lab,
/// replaces the azurerm backend with a local one and plans the whole configuration.
#[test]
fn gitops_pull_request_plan_against_a_throwaway_lab() {
    let dir = tempfile::Builder::new()
        .prefix("autopilot-gitops-")
        .tempdir()
        .expect("a working directory");
    let source = examples_dir().join("guides/gitops");
    for name in ["main.tf", "backend.tf"] {
        std::fs::copy(source.join(name), dir.path().join(name)).expect("copy the guide's HCL");
    }
    std::fs::create_dir_all(dir.path().join("scripts")).expect("scripts/");
    std::fs::copy(
        source.join("scripts/plan-against-lab.sh"),
        dir.path().join("scripts/plan-against-lab.sh"),
    )
    .expect("copy the script");
    let out = run_script(dir.path(), "scripts/plan-against-lab.sh", &[]);
    assert_eq!(out.code, 0, "the lab plan failed\n{}", show(&out));
    assert!(
        out.stdout
            .contains("Plan: 3 to add, 0 to change, 0 to destroy."),
        "{}",
        show(&out)
    );
    assert!(
        !dir.path().join("lab_override.tf").exists(),
        "the script leaves its backend override behind"
    );
}

/// The many tenants guide's configuration in a workspace, against two labs with the given
/// tenant ids: one app registration for both (the labs share the client id and secret), and
/// `terraform.tfvars.json` naming each tenant (with its `environment` when given).
fn many_tenants_workspace(
    contoso_id: &str,
    fabrikam_id: &str,
    environments: [Option<&str>; 2],
) -> (Lab, Lab, Terraform) {
    let contoso = Lab::start_with_args(&["--tenant-id", contoso_id]);
    let fabrikam = Lab::start_with_args(&["--tenant-id", fabrikam_id]);
    let tenant = |lab: &Lab, environment: Option<&str>| {
        let mut tenant = serde_json::json!({
            "tenant_id": lab.info().tenant_id,
            "graph_url": lab.info().graph_url,
            "login_url": lab.info().login_url,
        });
        if let Some(environment) = environment {
            tenant["environment"] = serde_json::json!(environment);
        }
        tenant
    };
    let tf = workspace_with(vec![
        ("ARM_CLIENT_ID".into(), contoso.info().client_id.clone()),
        (
            "ARM_CLIENT_SECRET".into(),
            contoso.info().client_secret.clone(),
        ),
    ]);
    prepare(&examples_dir().join("guides/many-tenants"), &tf);
    std::fs::write(
        tf.dir().join("terraform.tfvars.json"),
        serde_json::json!({"tenants": {
            "contoso": tenant(&contoso, environments[0]),
            "fabrikam": tenant(&fabrikam, environments[1]),
        }})
        .to_string(),
    )
    .expect("write terraform.tfvars.json");
    (contoso, fabrikam, tf)
}

/// Two tenants (two labs with their own tenant ids) from one configuration: each gets its own
/// baseline through its provider alias, and nothing lands in the other tenant.
#[test]
fn many_tenants_one_configuration() {
    const CONTOSO: &str = "c0ffee00-0000-4000-8000-00000000c701";
    const FABRIKAM: &str = "fab00000-0000-4000-8000-00000000fab1";
    let (contoso, fabrikam, tf) = many_tenants_workspace(CONTOSO, FABRIKAM, [None, None]);

    tf.run(&["init", "-no-color", "-input=false"]).success();
    tf.run(&["validate", "-no-color"]).success();
    tf.apply()
        .assert_contains("6 added, 0 changed, 0 destroyed");
    for (lab, prefix, other) in [(&contoso, "CTS", "FAB"), (&fabrikam, "FAB", "CTS")] {
        let names: Vec<String> = [
            "groups",
            "deviceManagement/windowsAutopilotDeploymentProfiles",
        ]
        .iter()
        .flat_map(|collection| {
            lab.graph_get(collection)["value"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|o| o["displayName"].as_str().map(str::to_string))
        .collect();
        assert!(
            names.contains(&format!("{prefix} - Autopilot devices"))
                && names.contains(&format!("{prefix}: Entra join")),
            "the {prefix} tenant lacks its baseline: {names:?}"
        );
        assert!(
            names.iter().all(|n| !n.starts_with(other)),
            "the {prefix} tenant holds the other tenant's objects: {names:?}"
        );
    }
    assert_eq!(
        tf.plan_detailed_exitcode(),
        0,
        "the plan after apply is not empty"
    );
    tf.destroy().assert_contains("6 destroyed");
}

/// The many tenants guide with one customer in GCC High: its baseline is a device preparation
/// policy (the US Government clouds have no classic profiles, which the provider refuses there),
/// the commercial customer's is the deployment profile, and both plan and apply together.
#[test]
fn many_tenants_with_a_us_government_tenant() {
    const CONTOSO: &str = "c0ffee00-0000-4000-8000-00000000c702";
    const FABRIKAM: &str = "fab00000-0000-4000-8000-00000000fab2";
    let (contoso, fabrikam, tf) =
        many_tenants_workspace(CONTOSO, FABRIKAM, [Some("usgovernment"), Some("public")]);

    tf.run(&["init", "-no-color", "-input=false"]).success();
    tf.apply()
        .assert_contains("7 added, 0 changed, 0 destroyed");
    // Profiles carry `displayName`, settings catalog policies `name`.
    let names = |lab: &Lab, collection: &str| -> Vec<String> {
        lab.graph_get(collection)["value"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|o| {
                o["displayName"]
                    .as_str()
                    .or_else(|| o["name"].as_str())
                    .map(str::to_string)
            })
            .collect()
    };
    const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
    const POLICIES: &str = "deviceManagement/configurationPolicies";
    let gov_profiles = names(&contoso, PROFILES);
    assert!(
        gov_profiles.is_empty(),
        "a deployment profile in the US Government tenant: {gov_profiles:?}"
    );
    let gov_policies = names(&contoso, POLICIES);
    assert!(
        gov_policies.iter().any(|n| n == "CTS Device preparation"),
        "no device preparation policy in the US Government tenant: {gov_policies:?}"
    );
    let profiles = names(&fabrikam, PROFILES);
    assert_eq!(
        profiles.len(),
        1,
        "the commercial tenant's profile: {profiles:?}"
    );
    assert!(
        !names(&fabrikam, POLICIES)
            .iter()
            .any(|n| n.starts_with("FAB")),
        "a device preparation policy in the commercial tenant"
    );
    assert_eq!(
        tf.plan_detailed_exitcode(),
        0,
        "the plan after apply is not empty"
    );
    tf.destroy().assert_contains("7 destroyed");
}

/// The rebuild guide: a tenant wiped behind Terraform's back plans as a rebuild (no errors), and
/// rebuild.sh destroys and recreates everything and ends on an empty plan.
#[test]
fn rebuild_lab_tenant_from_scratch() {
    let lab = Lab::start();
    let tf = workspace_with(lab.provider_env());
    prepare(&examples_dir().join("guides/rebuild-lab-tenant"), &tf);
    tf.run(&["init", "-no-color", "-input=false"]).success();
    tf.apply()
        .assert_contains("7 added, 0 changed, 0 destroyed");
    let first_profile = state_id(&tf, "autopilot_deployment_profile.lab");

    // The tenant is wiped (the lab back to its seeded state): the plan recreates every object
    // and registers the CSV's devices again (an in-place update of the set).
    lab.control()
        .reset()
        .unwrap_or_else(|e| panic!("POST /_lab/reset: {e}"));
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("Plan: 6 to add, 1 to change, 0 to destroy.");

    let out = run_script(tf.dir(), "rebuild.sh", &lab.provider_env());
    assert_eq!(out.code, 0, "rebuild.sh failed\n{}", show(&out));
    assert!(
        out.stdout.contains("Apply complete! Resources: 7 added")
            && out.stdout.contains("matches the configuration"),
        "{}",
        show(&out)
    );
    let rebuilt_profile = state_id(&tf, "autopilot_deployment_profile.lab");
    assert_ne!(
        first_profile, rebuilt_profile,
        "the profile was not recreated"
    );
    let profiles = lab.graph_get("deviceManagement/windowsAutopilotDeploymentProfiles");
    assert_eq!(
        profiles["value"].as_array().map(Vec::len),
        Some(1),
        "one profile after the rebuild: {profiles}"
    );
    tf.destroy();
}

/// Every action example (`examples/actions/<type>/action.tf`) validates on Terraform 1.14 and
/// later, names the type of its folder, and the `autopilot_sync` one is invoked against a lab as
/// its comment says. The device actions' examples name a serial number of the reader's tenant,
/// so they are validated, not invoked (the `actions` module invokes each action).
#[test]
fn every_action_example_validates_and_the_sync_example_runs() {
    if !acceptance_tests::paths::terraform_at_least(1, 14, "actions") {
        return;
    }
    let served = schema_types("action_schemas");
    assert_eq!(example_types("actions"), served, "one example per action");
    let csv = std::fs::read_to_string(examples_dir().join("quickstart/hwids.csv"))
        .expect("read the quickstart's hwids.csv");
    for name in &served {
        let lab = Lab::start();
        let tf = Terraform::new(&lab);
        tf.write_main(PROVIDER_HCL);
        let example =
            std::fs::read_to_string(examples_dir().join("actions").join(name).join("action.tf"))
                .expect("read the action example");
        assert!(
            example.contains(&format!("action \"{name}\"")),
            "{name}'s example declares no {name} action"
        );
        std::fs::write(tf.dir().join("example.tf"), example).expect("write the example");
        std::fs::write(tf.dir().join("hwids.csv"), &csv).expect("write hwids.csv");
        tf.run(&["init", "-no-color"]).success();
        tf.run(&["validate", "-no-color"]).success();
        if name == "autopilot_sync" {
            let out = tf
                .run(&[
                    "apply",
                    "-no-color",
                    "-input=false",
                    "-auto-approve",
                    "-invoke=action.autopilot_sync.now",
                ])
                .success();
            let syncs = lab.requests_matching(|r| {
                r.method == "POST" && r.path.ends_with("/windowsAutopilotSettings/sync")
            });
            assert_eq!(syncs.len(), 1, "the invoked sync reached the lab\n{out}");
        }
    }
}

/// Every list resource example (`examples/list-resources/<type>/list.tfquery.hcl`) runs with
/// `terraform query` against a seeded lab on Terraform 1.14 and later.
#[test]
fn every_list_resource_example_queries() {
    if !acceptance_tests::paths::terraform_at_least(1, 14, "list resources") {
        return;
    }
    let served = schema_types("list_resource_schemas");
    assert_eq!(
        example_types("list-resources"),
        served,
        "one example per list resource"
    );
    for name in &served {
        let lab = Lab::start();
        let tf = Terraform::new(&lab);
        tf.write_main(PROVIDER_HCL);
        let example = std::fs::read_to_string(
            examples_dir()
                .join("list-resources")
                .join(name)
                .join("list.tfquery.hcl"),
        )
        .expect("read the list example");
        assert!(
            example.contains(&format!("list \"{name}\"")),
            "{name}'s example declares no {name} list"
        );
        std::fs::write(tf.dir().join("example.tfquery.hcl"), example).expect("write the example");
        tf.run(&["init", "-no-color"]).success();
        tf.run(&["query", "-no-color"]).success();
    }
}

/// The type names under `key` (`action_schemas`, `list_resource_schemas`) in the provider's
/// `terraform providers schema -json`.
fn schema_types(key: &str) -> BTreeSet<String> {
    let lab = Lab::start();
    acceptance_tests::checks::provider_schema_json(&lab)[key]
        .as_object()
        .map(|types| types.keys().cloned().collect())
        .unwrap_or_default()
}
