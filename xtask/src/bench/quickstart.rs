//! The quickstart (examples/quickstart, read when the benchmark runs) applied and then planned,
//! under the fault profile of issue 8 and, for comparison, without faults.
//!
//! Fault profile, each rule with its own seed: 2% of POSTs dropped after the lab committed
//! them, 20% of requests answered 429 with `Retry-After: 0.25`, 5% answered 503; new groups and
//! service principals stay invisible for 2 s (`replication_delay_ms`). The plan after the apply
//! must be empty, or the benchmark fails.

use std::path::Path;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::Bench;
use super::control::{LabClient, RequestCounts};
use super::devices::peak_mib;
use super::report::{Measurement, millis};
use super::workdir::TimedRun;
use crate::ui;

/// The first rule's seed per run; the others use the next two numbers.
const SEEDS: [u64; 3] = [101, 202, 303];
const BASELINE_RUNS: usize = 3;
const REPLICATION_DELAY_MS: u64 = 2000;

pub(super) fn fault_profile(seed: u64) -> Value {
    json!({"rules": [
        {"id": "post-dropped-after-commit", "method": "POST", "path": "^/(beta|v1\\.0)/",
         "drop": true, "after_commit": true, "probability": 0.02, "seed": seed},
        {"id": "throttled", "path": "^/(beta|v1\\.0)/", "status": 429, "retry_after": "0.25",
         "probability": 0.2, "seed": seed + 1},
        {"id": "unavailable", "path": "^/(beta|v1\\.0)/", "status": 503,
         "probability": 0.05, "seed": seed + 2}
    ]})
}

/// The figures of one apply followed by one plan.
struct Cycle {
    apply: TimedRun,
    apply_counts: RequestCounts,
    plan: TimedRun,
    plan_counts: RequestCounts,
    /// Faults fired during the apply and during the plan (the rules' `fired` counters).
    fired: (u64, u64),
}

#[derive(Default)]
struct Series {
    apply_ms: Vec<f64>,
    apply_requests: Vec<f64>,
    apply_retries: Vec<f64>,
    plan_ms: Vec<f64>,
    plan_requests: Vec<f64>,
    plan_retries: Vec<f64>,
    rss: Vec<f64>,
    detail: Vec<String>,
}

impl Series {
    fn push(&mut self, label: &str, cycle: &Cycle) -> Result<()> {
        self.apply_ms.push(millis(cycle.apply.wall));
        self.apply_requests.push(cycle.apply_counts.graph as f64);
        self.apply_retries.push(cycle.apply_counts.retried as f64);
        self.plan_ms.push(millis(cycle.plan.wall));
        self.plan_requests.push(cycle.plan_counts.graph as f64);
        self.plan_retries.push(cycle.plan_counts.retried as f64);
        self.rss
            .push(peak_mib(&cycle.apply)?.max(peak_mib(&cycle.plan)?));
        let (a, p) = (&cycle.apply_counts, &cycle.plan_counts);
        let (apply_fired, plan_fired) = cycle.fired;
        self.detail.push(format!(
            "{label}: apply {}x429 {}x503 {} dropped ({apply_fired} faults fired), plan {}x429 \
             {}x503 {} dropped ({plan_fired} fired)",
            a.throttled, a.unavailable, a.dropped, p.throttled, p.unavailable, p.dropped
        ));
        Ok(())
    }
}

pub(super) fn run(bench: &Bench) -> Result<Vec<Measurement>> {
    let quickstart = bench.root.join("examples").join("quickstart");
    let mut faulted = Series::default();
    for seed in SEEDS {
        ui::detail(format!(
            "quickstart under faults, seeds {seed}/{}/{}",
            seed + 1,
            seed + 2
        ));
        let cycle = cycle(
            bench,
            &quickstart,
            &format!("quickstart-faults-{seed}"),
            Some(seed),
        )?;
        faulted.push(&format!("seed {seed}"), &cycle)?;
    }
    let mut clean = Series::default();
    for run in 0..BASELINE_RUNS {
        ui::detail(format!(
            "quickstart without faults, run {}/{BASELINE_RUNS}",
            run + 1
        ));
        let cycle = cycle(bench, &quickstart, &format!("quickstart-{run}"), None)?;
        clean.push(&format!("run {run}"), &cycle)?;
    }

    let seeds = SEEDS.len();
    let profile = format!(
        "faults: 2% of POSTs dropped after commit, 20% 429 (Retry-After 0.25), 5% 503, \
         replication delay {REPLICATION_DELAY_MS} ms; {seeds} seeds {SEEDS:?}, a fresh lab each"
    );
    let baseline =
        format!("no fault rules, no replication delay; {BASELINE_RUNS} runs, a fresh lab each");
    let retries = "Graph requests answered 429/503/504 or dropped (each one retried or looked \
                   up by the client)";
    let mut results = Vec::new();
    for (prefix, series, conditions) in [
        ("quickstart_faults", &faulted, &profile),
        ("quickstart", &clean, &baseline),
    ] {
        let Series {
            apply_ms,
            apply_requests,
            apply_retries,
            plan_ms,
            plan_requests,
            plan_retries,
            rss,
            detail,
        } = series;
        results.extend([
            Measurement::new(format!("{prefix}_apply_wall_ms"), "ms", apply_ms.clone()).note(
                format!(
                    "debug build; wall time of `terraform apply` of examples/quickstart from \
                     empty; {conditions}"
                ),
            ),
            Measurement::new(
                format!("{prefix}_apply_graph_requests"),
                "requests",
                apply_requests.clone(),
            )
            .note("debug build; Graph requests of that apply, token requests not counted"),
            Measurement::new(
                format!("{prefix}_apply_retries"),
                "requests",
                apply_retries.clone(),
            )
            .note(format!("debug build; {retries}; {}", detail.join("; "))),
            Measurement::new(format!("{prefix}_plan_wall_ms"), "ms", plan_ms.clone()).note(
                "debug build; wall time of the `terraform plan -detailed-exitcode` right after \
                 that apply (exit 0: no changes), same conditions",
            ),
            Measurement::new(
                format!("{prefix}_plan_graph_requests"),
                "requests",
                plan_requests.clone(),
            )
            .note("debug build; Graph requests of that plan, token requests not counted"),
            Measurement::new(
                format!("{prefix}_plan_retries"),
                "requests",
                plan_retries.clone(),
            )
            .note(format!("debug build; {retries}")),
            Measurement::new(
                format!("{prefix}_provider_peak_rss_mib"),
                "MiB",
                rss.clone(),
            )
            .note(format!(
                "debug build; largest VmHWM of the provider processes of the apply and the \
                     plan, sampled every {} ms",
                super::rss::INTERVAL.as_millis()
            )),
        ]);
    }
    Ok(results)
}

/// A fresh lab (with the fault profile of `seed`), the quickstart applied, then planned.
fn cycle(bench: &Bench, quickstart: &Path, name: &str, seed: Option<u64>) -> Result<Cycle> {
    let lab = bench.start_lab(name)?;
    let client = LabClient::connect(&lab.info)?;
    let work = bench.workdir(name, &lab.info)?;
    let copied = crate::terraform::copy_config(quickstart, &work.dir)?;
    if !copied.iter().any(|f| f.ends_with(".tf")) {
        bail!("{} has no .tf files", quickstart.display());
    }
    if let Some(seed) = seed {
        client.settings(&json!({"replication_delay_ms": REPLICATION_DELAY_MS}))?;
        client.faults(&fault_profile(seed))?;
    }
    client.clear_requests()?;
    let apply = work.apply()?;
    let apply_counts = RequestCounts::of(&client.requests()?);
    let apply_fired = faults_fired(&client)?;
    client.clear_requests()?;
    let plan = work.plan_without_changes()?;
    let plan_counts = RequestCounts::of(&client.requests()?);
    let fired = (
        apply_fired,
        faults_fired(&client)?.saturating_sub(apply_fired),
    );
    if seed.is_some() && apply_fired == 0 {
        bail!("{name}: no fault fired, so the run measured nothing under faults");
    }
    Ok(Cycle {
        apply,
        apply_counts,
        plan,
        plan_counts,
        fired,
    })
}

/// The sum of the fault rules' `fired` counters.
fn faults_fired(client: &LabClient) -> Result<u64> {
    Ok(client
        .get_control("faults")?
        .get("rules")
        .and_then(Value::as_array)
        .map_or(0, |rules| {
            rules
                .iter()
                .filter_map(|r| r.get("fired").and_then(Value::as_u64))
                .sum()
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_has_its_own_seed_and_the_issues_rates() {
        let profile = fault_profile(7);
        let rules = profile["rules"].as_array().cloned().unwrap_or_default();
        let seeds: Vec<u64> = rules.iter().filter_map(|r| r["seed"].as_u64()).collect();
        assert_eq!(seeds, [7, 8, 9]);
        assert_eq!(rules[0]["drop"], true);
        assert_eq!(rules[0]["after_commit"], true);
        assert_eq!(rules[0]["method"], "POST");
        assert_eq!(rules[1]["status"], 429);
        assert_eq!(rules[1]["retry_after"], "0.25");
        assert_eq!(rules[2]["status"], 503);
        let rates: Vec<f64> = rules
            .iter()
            .filter_map(|r| r["probability"].as_f64())
            .collect();
        assert_eq!(rates, [0.02, 0.2, 0.05]);
    }
}
