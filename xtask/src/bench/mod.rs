//! `cargo xtask bench`: wall-clock, request and memory figures of the debug builds (the ones
//! `test` and `demo` use), printed as a table and written to `bench/results.json`.
//!
//! | group | module | figures |
//! |---|---|---|
//! | `provider` | `provider_start` | start to handshake line; start to answered GetProviderSchema |
//! | `listing` | `listing` | the lab listing 10,000 device identities |
//! | `refresh` | `devices` | plan (no changes) of 2,000 `autopilot_device`: Graph requests, wall time with 20 ms per request, provider peak RSS |
//! | `csv` | `devices` | apply of a 2,000-row `autopilot_device_csv`: import requests, wall time, Graph requests, peak RSS |
//! | `quickstart` | `quickstart` | examples/quickstart applied and planned under faults and without: wall, requests, retries, peak RSS |
//!
//! Figures are measured and reported with their targets, never asserted. Each Terraform-driven
//! benchmark runs against its own lab, in `.terraform-work/bench/<name>`, removed after a run
//! that succeeded.

mod control;
mod devices;
mod listing;
mod provider_start;
mod quickstart;
mod report;
mod rss;
mod state;
mod workdir;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::lab::{Lab, LabInfo};
use crate::{cargo, setup, ui};
use report::Measurement;
use workdir::Workdir;

/// The benchmark groups, in the order they run.
pub(crate) const GROUPS: [&str; 5] = ["provider", "listing", "refresh", "csv", "quickstart"];

/// What every benchmark needs: the binaries and a directory to work in.
pub(crate) struct Bench {
    pub root: PathBuf,
    pub terraform: PathBuf,
    pub provider: PathBuf,
    pub lab: PathBuf,
    pub work: PathBuf,
}

impl Bench {
    /// A lab of its own for one benchmark, logging to `<work>/<name>-lab.log`.
    pub(crate) fn start_lab(&self, name: &str) -> Result<Lab> {
        Lab::start(&self.lab, &self.work.join(format!("{name}-lab.log")))
    }

    /// A Terraform working directory `<work>/<name>` against `lab`.
    pub(crate) fn workdir(&self, name: &str, lab: &LabInfo) -> Result<Workdir> {
        Workdir::create(&self.work, name, &self.terraform, &self.provider, lab)
    }
}

/// `cargo xtask bench [--only group,...]`. With `--only`, the table is printed and
/// `bench/results.json` is left as it is (it always holds one full run).
pub(crate) fn run(root: &Path, only: &[String]) -> Result<()> {
    if let Some(unknown) = only.iter().find(|g| !GROUPS.contains(&g.as_str())) {
        bail!(
            "unknown benchmark group `{unknown}`; the groups are {}",
            GROUPS.join(", ")
        );
    }
    let selected = |group: &str| only.is_empty() || only.iter().any(|g| g == group);
    ui::progress("Benchmarks use the debug builds (the same ones `test` and `demo` use)");
    let terraform = cargo::absolute(&setup::setup(root)?.oldest.path)?;
    let binaries = cargo::build_binaries(root)?;
    let work = root.join(".terraform-work").join("bench");
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("could not remove {}", work.display()))?;
    }
    std::fs::create_dir_all(&work)
        .with_context(|| format!("could not create {}", work.display()))?;
    let bench = Bench {
        root: root.to_path_buf(),
        terraform,
        provider: cargo::absolute(&binaries.provider)?,
        lab: cargo::absolute(&binaries.lab)?,
        work: cargo::absolute(&work)?,
    };

    let started = Instant::now();
    let mut results: Vec<Measurement> = Vec::new();
    let outcome = (|| -> Result<()> {
        for (group, announcement, measure) in groups() {
            if selected(group) {
                announce(announcement);
                results.extend(measure(&bench)?);
            }
        }
        Ok(())
    })();
    if let Err(err) = outcome {
        ui::progress(format!(
            "A benchmark failed; its files (configuration, state, lab logs) are kept in {}",
            bench.work.display()
        ));
        return Err(err);
    }
    report::print_table(&results);
    ui::progress(format!(
        "Benchmarks took {:.0} s",
        started.elapsed().as_secs_f64()
    ));

    if only.is_empty() {
        let cores = std::thread::available_parallelism().map_or(0, usize::from);
        let path = root.join("bench").join("results.json");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("could not create {}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(&report::report_json(&results, cores))? + "\n";
        std::fs::write(&path, text)
            .with_context(|| format!("could not write {}", path.display()))?;
        ui::progress(format!("Wrote {}", path.display()));
    } else {
        ui::progress("--only given: bench/results.json was left as it is");
    }
    let _ = std::fs::remove_dir_all(&bench.work);
    Ok(())
}

/// A benchmark group: its name (one of [`GROUPS`]), what it does, and how it runs.
type Group = (&'static str, String, fn(&Bench) -> Result<Vec<Measurement>>);

/// Every group, in the order they run.
fn groups() -> [Group; 5] {
    [
        (
            "provider",
            format!(
                "provider: {} starts to the handshake, {} to an answered GetProviderSchema",
                provider_start::RUNS,
                provider_start::RUNS
            ),
            |bench| provider_start::run(&bench.provider),
        ),
        (
            "listing",
            "listing: import 10,000 devices into a lab, list them 5 times".into(),
            |bench| Ok(vec![listing::run(bench)?]),
        ),
        (
            "refresh",
            "refresh: terraform plan of 2,000 autopilot_device, 20 ms per request".into(),
            devices::refresh,
        ),
        (
            "csv",
            "csv: terraform apply of a 2,000-row autopilot_device_csv".into(),
            devices::csv_apply,
        ),
        (
            "quickstart",
            "quickstart: apply and plan under faults, then without".into(),
            quickstart::run,
        ),
    ]
}

fn announce(message: impl std::fmt::Display) {
    println!();
    ui::progress(message);
}

/// SIGTERM (so the process can clean up, e.g. the provider its socket), then SIGKILL after a
/// short grace period.
pub(crate) fn stop_child(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let termed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if termed {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}
