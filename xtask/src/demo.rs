//! `cargo xtask demo`: the quickstart, end to end, against an emulated tenant.
//!
//! setup -> build -> start the lab -> mirror + CLI config -> init -> plan -> apply (the whole
//! quickstart tenant: both join tracks, ESP, device preparation, devices) -> plan (quiet)
//! -> change the domain join profile out of band through Graph -> plan shows the drift
//! -> destroy -> stop.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::graph::{self, DOMAIN_JOIN_ODATA_TYPE, Fetched, Graph};
use crate::lab::Lab;
use crate::terraform::{self, Terraform};
use crate::{cargo, setup, ui};

const TOTAL_STEPS: usize = 12;
const RESOURCE_TYPE: &str = "autopilot_domain_join_profile";
/// The output `examples/quickstart/outputs.tf` declares for the profile's id.
const ID_OUTPUT: &str = "domain_join_profile_id";
const CONFIGURATIONS_PATH: &str = "/beta/deviceManagement/deviceConfigurations";
/// The description the demo writes behind Terraform's back.
const DRIFT_DESCRIPTION: &str = "Changed outside Terraform by cargo xtask demo";

pub(crate) fn run(root: &Path) -> Result<()> {
    let started = Instant::now();
    let work = root.join(".terraform-work").join("demo");
    if work.exists() {
        fs::remove_dir_all(&work)
            .with_context(|| format!("could not remove the previous run's {}", work.display()))?;
    }
    let outcome = run_steps(root, &work);
    match &outcome {
        Ok(summary) => {
            println!();
            println!("{}", "=".repeat(72));
            ui::progress(format!(
                "Demo finished in {:.1}s: every step passed",
                started.elapsed().as_secs_f64()
            ));
            for line in summary {
                ui::detail(line);
            }
        }
        Err(_) => {
            println!();
            ui::progress(format!(
                "Demo FAILED after {:.1}s",
                started.elapsed().as_secs_f64()
            ));
            if work.exists() {
                ui::detail(format!(
                    "its files (configuration, state, lab.log) are kept in {}",
                    work.display()
                ));
            }
        }
    }
    outcome.map(|_| ())
}

/// Runs every step; the lab is stopped when this returns (its guard drops), success or not.
fn run_steps(root: &Path, work: &Path) -> Result<Vec<String>> {
    let mut summary = Vec::new();
    let (tf, mut lab) = start_tenant(root, work)?;
    init_plan_apply(&tf, &mut summary)?;
    expect_quiet_plan(&tf, &mut summary)?;
    let drift = change_out_of_band(&tf, &lab, &mut summary)?;
    expect_drift_in_plan(&tf, &mut summary)?;
    destroy_and_check(&tf, &drift, &mut summary)?;
    stop_lab(&mut lab, work, &mut summary)?;
    Ok(summary)
}

/// Steps 1 to 4: Terraform, the binaries, the working directory and the lab; returns a
/// Terraform runner already pointed at the lab.
fn start_tenant(root: &Path, work: &Path) -> Result<(Terraform, Lab)> {
    ui::step(1, TOTAL_STEPS, "Terraform CLI (cargo xtask setup)");
    let terraform_bin = setup::setup(root)
        .context("step 1: could not set up Terraform")?
        .oldest
        .path;

    ui::step(2, TOTAL_STEPS, "Build the provider and the lab");
    let binaries =
        cargo::build_binaries(root).context("step 2: could not build the provider and the lab")?;

    ui::step(3, TOTAL_STEPS, "Prepare the working directory");
    let layout = prepare_work_dir(root, work, &binaries.provider)
        .context("step 3: could not prepare the working directory")?;

    ui::step(4, TOTAL_STEPS, "Start autopilot-lab (emulated tenant)");
    let lab = Lab::start(&binaries.lab, &work.join("lab.log"))
        .context("step 4: could not start autopilot-lab")?;
    ui::progress(format!("Lab is serving Graph at {}", lab.info.graph_url));
    ui::detail(format!("login endpoint: {}", lab.info.login_url));
    ui::detail(format!("tenant id:      {}", lab.info.tenant_id));
    ui::detail(format!("client id:      {}", lab.info.client_id));
    ui::detail(format!("lab log:        {}", lab.log.display()));
    ui::detail("the provider gets these through ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET,");
    ui::detail("AUTOPILOT_GRAPH_URL and AUTOPILOT_LOGIN_URL");

    let mut tf = Terraform::new(
        &cargo::absolute(&terraform_bin)?,
        &layout.config,
        &layout.cli_config,
    );
    for (name, value) in lab.info.provider_env() {
        tf.env(name, &value);
    }
    Ok((tf, lab))
}

/// Steps 5 to 7: init, plan and apply the quickstart, then count what the state holds.
fn init_plan_apply(tf: &Terraform, summary: &mut Vec<String>) -> Result<()> {
    ui::step(
        5,
        TOTAL_STEPS,
        "terraform init (provider from the local filesystem mirror)",
    );
    tf.run(&["init", "-input=false"])
        .context("step 5: terraform init failed")?;

    ui::step(6, TOTAL_STEPS, "terraform plan");
    tf.run(&["plan", "-input=false"])
        .context("step 6: terraform plan failed")?;

    ui::step(7, TOTAL_STEPS, "terraform apply -auto-approve");
    tf.run(&["apply", "-auto-approve", "-input=false"])
        .context("step 7: terraform apply failed")?;
    match tf
        .output(&["show", "-json"])
        .map(|json| managed_resources(&json))
    {
        Ok(kinds) if !kinds.is_empty() => {
            let total: usize = kinds.values().sum();
            let listed: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} x{n}")).collect();
            ui::outcome(format!("The tenant holds {total} managed objects"));
            ui::detail(listed.join(", "));
            summary.push(format!("apply: {total} objects of {} kinds", kinds.len()));
        }
        Ok(_) => bail!("step 7: the state holds no resource after terraform apply"),
        Err(err) => ui::detail(format!("(could not read the state: {err:#})")),
    }
    Ok(())
}

/// Step `step`: `terraform plan -detailed-exitcode`, announced as expecting `expect`. Returns
/// its exit status and output.
fn detailed_plan(tf: &Terraform, step: usize, expect: &str) -> Result<(ExitStatus, String)> {
    ui::step(
        step,
        TOTAL_STEPS,
        format!("terraform plan -detailed-exitcode (expect {expect})"),
    );
    tf.run_tee(&["plan", "-detailed-exitcode", "-input=false"])
        .with_context(|| format!("step {step}: could not run terraform plan"))
}

/// Step 8: the plan right after apply must be empty (no perpetual diff).
fn expect_quiet_plan(tf: &Terraform, summary: &mut Vec<String>) -> Result<()> {
    let (status, _) = detailed_plan(tf, 8, "no changes")?;
    match status.code() {
        Some(0) => ui::outcome("No changes: the plan after apply is quiet"),
        Some(2) => bail!(
            "step 8: the plan right after apply is not empty (exit code 2): the provider has a \
             perpetual diff; see the plan above"
        ),
        _ => bail!(
            "step 8: terraform plan failed ({})",
            ui::describe_status(status)
        ),
    }
    summary.push("plan after apply: no changes".to_string());
    Ok(())
}

/// The domain join profile the demo changed behind Terraform's back, for the destroy check.
struct Drifted {
    graph: Graph,
    url: String,
    id: String,
}

/// Step 9: PATCH the domain join profile's description through Graph, outside Terraform.
fn change_out_of_band(tf: &Terraform, lab: &Lab, summary: &mut Vec<String>) -> Result<Drifted> {
    ui::step(
        9,
        TOTAL_STEPS,
        "Change the profile outside Terraform (Graph PATCH)",
    );
    let (id, source) =
        find_profile_id(tf, lab).context("step 9: could not find the profile's id")?;
    ui::progress(format!("Domain join profile id: {id} (from {source})"));
    summary.push(format!("domain join profile {id} (id read from {source})"));
    let graph =
        Graph::connect(&lab.info).context("step 9: could not get a Graph token from the lab")?;
    let url = graph.url(&format!("{CONFIGURATIONS_PATH}/{id}"));
    let before = match graph
        .get(&url)
        .context("step 9: could not read the profile")?
    {
        Fetched::Found(object) => object,
        Fetched::NotFound => bail!("step 9: GET {url} returned 404 right after apply"),
    };
    ui::detail(format!(
        "before: description = {}",
        before.get("description").unwrap_or(&Value::Null)
    ));
    graph
        .patch(
            &url,
            &json!({ "@odata.type": DOMAIN_JOIN_ODATA_TYPE, "description": DRIFT_DESCRIPTION }),
        )
        .context("step 9: the out-of-band PATCH failed")?;
    ui::progress(format!("PATCH {url}"));
    ui::detail(format!("after:  description = \"{DRIFT_DESCRIPTION}\""));
    Ok(Drifted { graph, url, id })
}

/// Step 10: the next plan must report the out-of-band change to `description`.
fn expect_drift_in_plan(tf: &Terraform, summary: &mut Vec<String>) -> Result<()> {
    let (status, plan) = detailed_plan(tf, 10, "the drift")?;
    match status.code() {
        Some(2) if plan.contains("description") => {
            ui::outcome("Drift detected: the plan puts the description back (exit code 2)");
        }
        Some(2) => bail!(
            "step 10: the plan has changes (exit code 2) but none mentions `description`; \
             the out-of-band change was not reported"
        ),
        Some(0) => bail!(
            "step 10: drift NOT detected: terraform plan reports no changes after the \
             description was changed through Graph"
        ),
        _ => bail!(
            "step 10: terraform plan failed ({})",
            ui::describe_status(status)
        ),
    }
    summary.push("out-of-band change of `description`: detected by plan (exit code 2)".to_string());
    Ok(())
}

/// Step 11: destroy, then check through Graph that the profile is gone.
fn destroy_and_check(tf: &Terraform, drift: &Drifted, summary: &mut Vec<String>) -> Result<()> {
    let Drifted { graph, url, id } = drift;
    ui::step(11, TOTAL_STEPS, "terraform destroy -auto-approve");
    tf.run(&["destroy", "-auto-approve", "-input=false"])
        .context("step 11: terraform destroy failed")?;
    match graph
        .get(url)
        .context("step 11: could not check the profile after destroy")?
    {
        Fetched::NotFound => ui::outcome(format!("GET {url} -> 404: the profile is gone")),
        Fetched::Found(_) => {
            bail!("step 11: the profile {id} still exists after terraform destroy")
        }
    }
    summary.push("destroy: the profile is gone from the tenant".to_string());
    Ok(())
}

/// Step 12: record what the lab served, then stop it.
fn stop_lab(lab: &mut Lab, work: &Path, summary: &mut Vec<String>) -> Result<()> {
    ui::step(12, TOTAL_STEPS, "Stop the lab");
    match graph::lab_requests(&lab.info) {
        Ok(requests) => summary.push(format!(
            "requests served by the lab: {}",
            describe_requests(&requests)
        )),
        Err(err) => ui::detail(format!("(could not read the lab's request log: {err:#})")),
    }
    lab.stop().context("step 12: could not stop the lab")?;
    ui::progress("Lab stopped");
    summary.push(format!("working directory: {}", work.display()));
    Ok(())
}

struct Layout {
    config: PathBuf,
    cli_config: PathBuf,
}

/// A fresh `<work>` with `mirror/`, `terraform.rc` and `config/` (a copy of the quickstart).
fn prepare_work_dir(root: &Path, work: &Path, provider_bin: &Path) -> Result<Layout> {
    if work.exists() {
        fs::remove_dir_all(work).with_context(|| format!("could not remove {}", work.display()))?;
    }
    fs::create_dir_all(work).with_context(|| format!("could not create {}", work.display()))?;
    let work = cargo::absolute(work)?;

    let mirror = work.join("mirror");
    let copied = terraform::populate_mirror(&mirror, provider_bin, env!("CARGO_PKG_VERSION"))?;
    ui::progress(format!("Filesystem mirror: {}", copied.display()));

    let cli_config = work.join("terraform.rc");
    fs::write(&cli_config, terraform::cli_config(&mirror))
        .with_context(|| format!("could not write {}", cli_config.display()))?;
    ui::progress(format!(
        "CLI configuration (TF_CLI_CONFIG_FILE): {}",
        cli_config.display()
    ));

    let quickstart = root.join("examples").join("quickstart");
    let config = work.join("config");
    let copied = terraform::copy_config(&quickstart, &config)?;
    if !copied.iter().any(|name| name.ends_with(".tf")) {
        bail!("{} has no .tf files", quickstart.display());
    }
    ui::progress(format!(
        "Configuration: {} (copied from examples/quickstart: {})",
        config.display(),
        copied.join(", ")
    ));
    Ok(Layout { config, cli_config })
}

/// The profile's id: from `terraform output`, else from the state, else by listing Graph.
fn find_profile_id(tf: &Terraform, lab: &Lab) -> Result<(String, &'static str)> {
    let outputs = tf.output(&["output", "-json"]);
    if let Some(id) = outputs.as_ref().ok().and_then(|o| id_from_outputs(o)) {
        return Ok((id, "terraform output"));
    }
    let state = tf.output(&["show", "-json"]);
    if let Some(id) = state.as_ref().ok().and_then(|s| id_from_state(s)) {
        return Ok((id, "terraform show -json"));
    }
    let graph = Graph::connect(&lab.info)?;
    let objects = graph.list(&graph.url(CONFIGURATIONS_PATH))?;
    let matching: Vec<&str> = objects
        .iter()
        .filter(|o| o.get("@odata.type").and_then(Value::as_str) == Some(DOMAIN_JOIN_ODATA_TYPE))
        .filter_map(|o| o.get("id").and_then(Value::as_str))
        .collect();
    match matching.as_slice() {
        [id] => Ok((id.to_string(), "listing deviceConfigurations")),
        [] => bail!(
            "no domain join profile id: not in `terraform output` ({}), not in the \
             state, and the lab has no {DOMAIN_JOIN_ODATA_TYPE}",
            outputs
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_else(|| format!("no `{ID_OUTPUT}` output")),
        ),
        _ => bail!(
            "no id in `terraform output` or the state, and the lab has {} domain join \
             profiles",
            matching.len()
        ),
    }
}

/// `terraform output -json` -> the `domain_join_profile_id` value.
fn id_from_outputs(json: &str) -> Option<String> {
    let outputs: Value = serde_json::from_str(json).ok()?;
    let id = outputs.get(ID_OUTPUT)?.get("value")?.as_str()?;
    (!id.is_empty()).then(|| id.to_string())
}

/// `terraform show -json` -> the id of the one `autopilot_domain_join_profile` in the root module.
fn id_from_state(json: &str) -> Option<String> {
    let state: Value = serde_json::from_str(json).ok()?;
    let resources = state
        .get("values")?
        .get("root_module")?
        .get("resources")?
        .as_array()?;
    let ids: Vec<&str> = resources
        .iter()
        .filter(|r| r.get("type").and_then(Value::as_str) == Some(RESOURCE_TYPE))
        .filter(|r| r.get("mode").and_then(Value::as_str) == Some("managed"))
        .filter_map(|r| r.get("values")?.get("id")?.as_str())
        .collect();
    match ids.as_slice() {
        [id] if !id.is_empty() => Some(id.to_string()),
        _ => None,
    }
}

/// `terraform show -json` -> the number of managed resources of each type in the root module.
fn managed_resources(json: &str) -> BTreeMap<String, usize> {
    let mut kinds = BTreeMap::new();
    let state: Value = serde_json::from_str(json).unwrap_or(Value::Null);
    let resources = state
        .pointer("/values/root_module/resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for resource in resources {
        if resource.get("mode").and_then(Value::as_str) != Some("managed") {
            continue;
        }
        if let Some(kind) = resource.get("type").and_then(Value::as_str) {
            *kinds.entry(kind.to_string()).or_default() += 1;
        }
    }
    kinds
}

/// `20 (DELETE 1, GET 10, ...); statuses: 200 x12, 204 x2, 404 x1`.
fn describe_requests(requests: &[Value]) -> String {
    let mut by_method: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_status: BTreeMap<u64, usize> = BTreeMap::new();
    for request in requests {
        let method = request
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        *by_method.entry(method).or_default() += 1;
        let status = request.get("status").and_then(Value::as_u64).unwrap_or(0);
        *by_status.entry(status).or_default() += 1;
    }
    let methods: Vec<String> = by_method.iter().map(|(m, n)| format!("{m} {n}")).collect();
    let statuses: Vec<String> = by_status.iter().map(|(s, n)| format!("{s} x{n}")).collect();
    format!(
        "{} ({}); statuses: {}",
        requests.len(),
        methods.join(", "),
        statuses.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_from_terraform_output() {
        let json =
            r#"{"domain_join_profile_id":{"sensitive":false,"type":"string","value":"abc-123"}}"#;
        assert_eq!(id_from_outputs(json).as_deref(), Some("abc-123"));
        assert_eq!(id_from_outputs("{}"), None);
    }

    #[test]
    fn id_from_terraform_state() {
        let json = r#"{"format_version":"0.2","values":{"root_module":{"resources":[
            {"address":"autopilot_group.g","mode":"managed","type":"autopilot_group","values":{"id":"g1"}},
            {"address":"autopilot_domain_join_profile.contoso","mode":"managed","type":"autopilot_domain_join_profile","values":{"id":"dj1"}}
        ]}}}"#;
        assert_eq!(id_from_state(json).as_deref(), Some("dj1"));
        assert_eq!(id_from_state(r#"{"format_version":"0.2"}"#), None);
    }

    #[test]
    fn counts_managed_resources_by_type() {
        let json = r#"{"values":{"root_module":{"resources":[
            {"mode":"managed","type":"autopilot_group"},
            {"mode":"managed","type":"autopilot_group"},
            {"mode":"data","type":"autopilot_provisioning_client"},
            {"mode":"managed","type":"autopilot_device_csv"}
        ]}}}"#;
        let kinds = managed_resources(json);
        assert_eq!(
            kinds.into_iter().collect::<Vec<_>>(),
            [
                ("autopilot_device_csv".to_string(), 1),
                ("autopilot_group".to_string(), 2)
            ]
        );
        assert!(managed_resources("not json").is_empty());
    }

    #[test]
    fn describes_lab_requests() {
        let requests = vec![
            json!({"method":"GET","path":"/a","status":200}),
            json!({"method":"GET","path":"/b","status":404}),
            json!({"method":"PATCH","path":"/a","status":204}),
        ];
        assert_eq!(
            describe_requests(&requests),
            "3 (GET 2, PATCH 1); statuses: 200 x1, 204 x1, 404 x1"
        );
    }
}
