//! The guides' non-HCL files (their HCL is planned and applied against the lab by
//! `acceptance-tests/tests/acceptance/examples.rs`): the GitHub Actions workflow and the Atlantis
//! repository configuration are valid YAML with the jobs and settings the guides describe.

use std::path::{Path, PathBuf};

use serde_norway::Value;

fn guides() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|root| root.join("examples/guides"))
        .unwrap_or_default()
}

fn read(relative: &str) -> (String, Value) {
    let path = guides().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let yaml = serde_norway::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
    (text, yaml)
}

fn run_lines(job: &Value) -> Vec<String> {
    job["steps"]
        .as_sequence()
        .map(|steps| {
            steps
                .iter()
                .filter_map(|step| step["run"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether one of the job's `run` steps contains `command`.
fn runs(job: &Value, command: &str) -> bool {
    run_lines(job).iter().any(|r| r.contains(command))
}

/// Whether the job's `if` condition contains `text`.
fn condition_has(job: &Value, text: &str) -> bool {
    job["if"].as_str().is_some_and(|c| c.contains(text))
}

#[test]
fn gitops_workflow_plans_on_pull_requests_and_applies_on_merge_without_secrets() {
    let (text, workflow) = read("gitops/.github/workflows/autopilot.yml");
    assert!(
        workflow["on"]["pull_request"].is_mapping() && workflow["on"]["push"].is_mapping(),
        "the workflow runs on pull requests and pushes: {:?}",
        workflow["on"]
    );
    let jobs = &workflow["jobs"];
    let names: Vec<&str> = jobs
        .as_mapping()
        .map(|m| m.keys().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(names, ["plan-lab", "plan-tenant", "apply"]);

    // Plan against a throwaway lab first, with the guide's script.
    let lab = &jobs["plan-lab"];
    assert!(condition_has(lab, "pull_request"), "{lab:?}");
    assert!(
        runs(lab, "./scripts/plan-against-lab.sh"),
        "plan-lab runs the lab script: {lab:?}"
    );
    assert!(
        runs(lab, "autopilot-lab"),
        "plan-lab installs autopilot-lab"
    );
    let script = guides().join("gitops/scripts/plan-against-lab.sh");
    assert!(script.is_file(), "{} is missing", script.display());

    // Then against the tenant, with OIDC, only once the lab plan passed.
    let tenant = &jobs["plan-tenant"];
    assert_eq!(tenant["needs"].as_str(), Some("plan-lab"));
    assert!(runs(tenant, "terraform plan"), "{tenant:?}");

    // Apply on merge to main, in a protected environment.
    let apply = &jobs["apply"];
    let condition = apply["if"].as_str().unwrap_or_default();
    assert!(
        condition.contains("push") && condition.contains("refs/heads/main"),
        "{condition}"
    );
    assert!(apply["environment"].as_str().is_some(), "{apply:?}");
    assert!(runs(apply, "terraform apply"), "{apply:?}");

    // Two app registrations: pull requests plan as the read-only one, only the protected
    // environment applies as the one that may write; fork pull requests stop at the lab plan.
    assert_eq!(
        tenant["env"]["ARM_CLIENT_ID"].as_str(),
        Some("${{ vars.AUTOPILOT_PLAN_CLIENT_ID }}")
    );
    assert_eq!(
        apply["env"]["ARM_CLIENT_ID"].as_str(),
        Some("${{ vars.AUTOPILOT_APPLY_CLIENT_ID }}")
    );
    assert!(
        condition_has(tenant, "head.repo.full_name == github.repository"),
        "plan-tenant skips fork pull requests: {tenant:?}"
    );
    assert!(
        !text.contains("cargo install"),
        "plan-lab downloads the released lab instead of compiling it"
    );

    // OIDC, no stored secret.
    for (name, job) in [("plan-tenant", tenant), ("apply", apply)] {
        assert_eq!(
            job["permissions"]["id-token"].as_str(),
            Some("write"),
            "{name} needs id-token: write for OIDC"
        );
        assert_eq!(job["env"]["ARM_USE_OIDC"].as_str(), Some("true"), "{name}");
    }
    assert!(
        !text.contains("secrets."),
        "the workflow must not use stored secrets"
    );
}

#[test]
fn atlantis_configuration_plans_the_configuration_and_the_csv() {
    let (_, config) = read("terraform-cloud-and-atlantis/atlantis.yaml");
    assert_eq!(config["version"].as_u64(), Some(3));
    let project = &config["projects"][0];
    assert_eq!(project["dir"].as_str(), Some("."));
    let watched: Vec<&str> = project["autoplan"]["when_modified"]
        .as_sequence()
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        watched.contains(&"*.tf") && watched.contains(&"hwids.csv"),
        "{watched:?}"
    );
    let workflow = project["workflow"].as_str().unwrap_or_default();
    assert!(
        config["workflows"][workflow].is_mapping(),
        "the project's workflow `{workflow}` is defined"
    );
}
