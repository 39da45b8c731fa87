//! The device registration benchmarks (issue 6).
//!
//! - Refresh of 2,000 `autopilot_device` resources: a `terraform plan` that finds no change,
//!   with the lab waiting 20 ms before every Graph answer. The devices are registered through
//!   Graph and the state is written directly (see `state.rs`); one device is applied for real
//!   to learn the state's exact shape.
//! - Apply of a 2,000-row CSV with `autopilot_device_csv`.

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::Bench;
use super::control::{BenchDevice, LabClient, RequestCounts, csv};
use super::listing::wait_until_listed;
use super::report::{Measurement, millis};
use super::state;
use super::workdir::{TimedRun, Workdir};
use crate::ui;

const DEVICES: usize = 2_000;
const TAG: &str = "BENCH";
const REFRESH_RUNS: usize = 3;
const LATENCY_MS: u64 = 20;
/// One apply takes minutes (see the note), so it runs once.
const CSV_RUNS: usize = 1;
/// Imports of at most 500 rows each.
const CSV_IMPORT_TARGET: f64 = 4.0;

const DEVICE_CONFIG: &str = r#"terraform {
  required_providers {
    autopilot = { source = "autopilot-iac/autopilot" }
  }
}

provider "autopilot" {}

locals {
  devices = jsondecode(file("${path.module}/devices.json"))
}

resource "autopilot_device" "bench" {
  for_each      = local.devices
  serial_number = each.key
  hardware_hash = each.value
  group_tag     = "BENCH"
}
"#;

const CSV_CONFIG: &str = r#"terraform {
  required_providers {
    autopilot = { source = "autopilot-iac/autopilot" }
  }
}

provider "autopilot" {}

resource "autopilot_device_csv" "bench" {
  content = file("${path.module}/hwids.csv")
}
"#;

/// `{"<serial>": "<hash>", ...}`, what the configuration's `for_each` reads.
fn devices_json(devices: &[BenchDevice]) -> Result<String> {
    let map: serde_json::Map<String, Value> = devices
        .iter()
        .map(|d| (d.serial.clone(), Value::String(d.hash.clone())))
        .collect();
    Ok(serde_json::to_string_pretty(&Value::Object(map))? + "\n")
}

pub(super) fn refresh(bench: &Bench) -> Result<Vec<Measurement>> {
    let lab = bench.start_lab("refresh")?;
    let client = LabClient::connect(&lab.info)?;
    let devices: Vec<BenchDevice> = (1..=DEVICES)
        .map(|i| BenchDevice::numbered("REFRESH", i, TAG))
        .collect();
    let work = bench.workdir("refresh", &lab.info)?;

    let applied = apply_one_device(&work, &devices)?;
    register_the_rest(&client, &work, &devices, &applied)?;

    ui::detail(format!(
        "check that the plan of {DEVICES} devices has no changes"
    ));
    work.plan_without_changes()?;

    let page_size = client.page_size("windowsAutopilotDeviceIdentities")?;
    let pages = DEVICES.div_ceil(usize::try_from(page_size)?);
    let timed = timed_refreshes(&client, &work)?;
    let unrefreshed = plan_without_refresh(&work)?;
    Ok(refresh_measurements(timed, &unrefreshed, page_size, pages))
}

/// Applies the first device for real and returns the state it left, whose shape the
/// directly written state copies.
fn apply_one_device(work: &Workdir, devices: &[BenchDevice]) -> Result<Value> {
    ui::detail("apply one autopilot_device for real, to learn the state's shape");
    work.write("main.tf", DEVICE_CONFIG)?;
    work.write("devices.json", &devices_json(&devices[..1])?)?;
    work.apply()?;
    serde_json::from_str(&work.read("terraform.tfstate")?).context("terraform.tfstate is not JSON")
}

/// Registers the other devices through Graph's import action and writes the state and the
/// configuration's input for all of them.
fn register_the_rest(
    client: &LabClient,
    work: &Workdir,
    devices: &[BenchDevice],
    applied: &Value,
) -> Result<()> {
    ui::detail(format!(
        "register the other {} devices through Graph's import action",
        DEVICES - 1
    ));
    client.settings(&json!({"import_processing_ms": 0}))?;
    client.import_devices(&devices[1..])?;
    let identities = wait_until_listed(client, DEVICES)?;
    let by_serial: HashMap<&str, &Value> = identities
        .iter()
        .filter_map(|i| Some((i.get("serialNumber")?.as_str()?, i)))
        .collect();
    let mut targets = Vec::with_capacity(DEVICES);
    for device in devices {
        let identity = by_serial
            .get(device.serial.as_str())
            .with_context(|| format!("the lab lists no device {}", device.serial))?;
        targets.push((device.clone(), (*identity).clone()));
    }
    let applied_identity = targets[0].1.clone();
    let written = state::with_devices(applied, &applied_identity, &targets)?;
    work.write("devices.json", &devices_json(devices)?)?;
    work.write(
        "terraform.tfstate",
        &(serde_json::to_string_pretty(&written)? + "\n"),
    )
}

/// What the timed plans measured, one entry per run.
struct TimedRefreshes {
    walls: Vec<f64>,
    graph: Vec<f64>,
    rss: Vec<f64>,
    tokens: Vec<usize>,
    listings: Vec<usize>,
}

/// The timed plans, with the lab adding latency to every Graph request.
fn timed_refreshes(client: &LabClient, work: &Workdir) -> Result<TimedRefreshes> {
    client.faults(&json!({"rules": [
        {"id": "latency", "path": "^/(beta|v1\\.0)/", "delay_ms": LATENCY_MS}
    ]}))?;
    ui::detail(format!(
        "{REFRESH_RUNS} timed plans with {LATENCY_MS} ms added to every Graph request"
    ));
    let mut timed = TimedRefreshes {
        walls: Vec::new(),
        graph: Vec::new(),
        rss: Vec::new(),
        tokens: Vec::new(),
        listings: Vec::new(),
    };
    for _ in 0..REFRESH_RUNS {
        client.clear_requests()?;
        let run = work.plan_without_changes()?;
        let log = client.requests()?;
        let counts = RequestCounts::of(&log);
        timed.walls.push(millis(run.wall));
        timed.graph.push(counts.graph as f64);
        timed.tokens.push(counts.token);
        timed.listings.push(
            log.iter()
                .filter(|r| {
                    r.method == "GET" && r.path.ends_with("/windowsAutopilotDeviceIdentities")
                })
                .count(),
        );
        timed.rss.push(peak_mib(&run)?);
    }
    Ok(timed)
}

/// One plan with `-refresh=false`, which must find no changes either.
fn plan_without_refresh(work: &Workdir) -> Result<TimedRun> {
    ui::detail("one plan with -refresh=false: Terraform's own share of that time");
    let unrefreshed = work.run(&[
        "plan",
        "-refresh=false",
        "-detailed-exitcode",
        "-input=false",
    ])?;
    if unrefreshed.status.code() != Some(0) {
        bail!(
            "terraform plan -refresh=false did not end with no changes ({}):{}",
            ui::describe_status(unrefreshed.status),
            unrefreshed.tail(40)
        );
    }
    Ok(unrefreshed)
}

/// The refresh benchmark's measurements, with the notes that say how each was taken.
fn refresh_measurements(
    timed: TimedRefreshes,
    unrefreshed: &TimedRun,
    page_size: u64,
    pages: usize,
) -> Vec<Measurement> {
    let TimedRefreshes {
        walls,
        graph,
        rss,
        tokens,
        listings,
    } = timed;
    let name = "refresh_2000_devices";
    vec![
        Measurement::new(format!("{name}_graph_requests"), "requests", graph)
            .target((pages + 10) as f64)
            .note(format!(
                "debug build; Graph requests (/beta, /v1.0) of `terraform plan` over {DEVICES} \
                 autopilot_device (no changes) in {REFRESH_RUNS} runs; target = {pages} pages \
                 (lab page size {page_size}) + 10; token requests not counted ({tokens:?} per \
                 run); GETs of the identities collection per run: {listings:?}"
            )),
        Measurement::new(format!("{name}_wall_ms"), "ms", walls).note(format!(
            "debug build; wall time of that `terraform plan -detailed-exitcode` (exit 0), the \
             lab adding {LATENCY_MS} ms before every Graph answer; includes Terraform's own \
             work on {DEVICES} instances"
        )),
        Measurement::new(
            "plan_2000_devices_without_refresh_wall_ms",
            "ms",
            vec![millis(unrefreshed.wall)],
        )
        .note(
            "debug build; for comparison, one `terraform plan -refresh=false` of the same \
             configuration and state: no ReadResource, so what is left is Terraform's own work \
             and the provider's PlanResourceChange for 2000 instances",
        ),
        Measurement::new(format!("{name}_provider_peak_rss_mib"), "MiB", rss).note(format!(
            "debug build; largest VmHWM of the provider processes that plan started, sampled \
             from /proc every {} ms",
            super::rss::INTERVAL.as_millis()
        )),
    ]
}

pub(super) fn csv_apply(bench: &Bench) -> Result<Vec<Measurement>> {
    let devices: Vec<BenchDevice> = (1..=DEVICES)
        .map(|i| BenchDevice::numbered("CSV", i, TAG))
        .collect();
    let text = csv(&devices);
    let mut walls = Vec::new();
    let mut imports = Vec::new();
    let mut graph = Vec::new();
    let mut rss = Vec::new();
    let mut detail = Vec::new();
    for run in 0..CSV_RUNS {
        let name = format!("csv-{run}");
        let lab = bench.start_lab(&name)?;
        let client = LabClient::connect(&lab.info)?;
        let work = bench.workdir(&name, &lab.info)?;
        work.write("main.tf", CSV_CONFIG)?;
        work.write("hwids.csv", &text)?;
        client.clear_requests()?;
        ui::detail(format!(
            "run {}/{CSV_RUNS}: terraform apply of a {DEVICES}-row CSV",
            run + 1
        ));
        let applied = work.apply()?;
        let log = client.requests()?;
        let counts = RequestCounts::of(&log);

        let listed = client.list(super::control::IDENTITIES_PATH)?.0.len();
        let in_state = csv_devices_in_state(&work.read("terraform.tfstate")?)?;
        if listed != DEVICES || in_state != DEVICES {
            bail!(
                "after the CSV apply the lab lists {listed} devices and the state holds \
                 {in_state}; expected {DEVICES} each"
            );
        }
        work.plan_without_changes()?;

        let deletes = log
            .iter()
            .filter(|r| r.is_graph() && r.method == "DELETE")
            .count();
        detail.push(format!(
            "{} Graph requests: {} imports, {deletes} DELETEs, {} answered 429; {} token \
             requests",
            counts.graph, counts.imports, counts.throttled, counts.token
        ));
        walls.push(millis(applied.wall));
        imports.push(counts.imports as f64);
        graph.push(counts.graph as f64);
        rss.push(peak_mib(&applied)?);
    }
    let name = "csv_apply_2000_rows";
    let runs = format!("{CSV_RUNS} run{}", if CSV_RUNS == 1 { "" } else { "s" });
    Ok(vec![
        Measurement::new(format!("{name}_import_requests"), "requests", imports)
            .target(CSV_IMPORT_TARGET)
            .note(format!(
                "debug build; POSTs of .../importedWindowsAutopilotDeviceIdentities/import in \
                 `terraform apply` of one autopilot_device_csv with {DEVICES} rows ({runs}, a \
                 fresh lab each, lab defaults: throttling on, imports processed after 200 ms)"
            )),
        Measurement::new(format!("{name}_wall_ms"), "ms", walls).note(format!(
            "debug build; wall time of that apply ({runs}; no injected latency): {}",
            detail.join("; ")
        )),
        Measurement::new(format!("{name}_graph_requests"), "requests", graph).note(
            "debug build; every Graph request of that apply, token requests not counted"
                .to_string(),
        ),
        Measurement::new(format!("{name}_provider_peak_rss_mib"), "MiB", rss).note(format!(
            "debug build; largest VmHWM of the provider processes of that apply, sampled every \
             {} ms",
            super::rss::INTERVAL.as_millis()
        )),
    ])
}

/// How many devices the `devices` map of the state's `autopilot_device_csv` holds.
fn csv_devices_in_state(text: &str) -> Result<usize> {
    let state: Value = serde_json::from_str(text).context("terraform.tfstate is not JSON")?;
    state
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| r.get("type").and_then(Value::as_str) == Some("autopilot_device_csv"))
        .flat_map(|r| {
            r.get("instances")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .map(|i| {
            i.pointer("/attributes/devices")
                .and_then(Value::as_object)
                .map_or(0, serde_json::Map::len)
        })
        .max()
        .context("the state holds no autopilot_device_csv")
}

/// The run's provider peak in MiB; a run that started no provider the sampler saw is an error.
pub(super) fn peak_mib(run: &TimedRun) -> Result<f64> {
    run.rss.mib().context(
        "no terraform-provider-autopilot process of this run was seen in /proc, so its peak \
         RSS is unknown",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_json_maps_serials_to_hashes() -> Result<()> {
        let devices = [
            BenchDevice::numbered("R", 1, TAG),
            BenchDevice::numbered("R", 2, TAG),
        ];
        let parsed: Value = serde_json::from_str(&devices_json(&devices)?)?;
        assert_eq!(parsed["R-00001"], devices[0].hash.as_str());
        assert_eq!(parsed.as_object().map(serde_json::Map::len), Some(2));
        Ok(())
    }

    #[test]
    fn counts_the_csv_devices_in_a_state() -> Result<()> {
        let state = json!({"resources": [
            {"type": "autopilot_group", "instances": [{"attributes": {}}]},
            {"type": "autopilot_device_csv", "instances": [{"attributes": {"devices": {"A": {}, "B": {}}}}]}
        ]});
        assert_eq!(csv_devices_in_state(&state.to_string())?, 2);
        assert!(csv_devices_in_state(r#"{"resources": []}"#).is_err());
        Ok(())
    }
}
