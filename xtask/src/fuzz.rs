//! `cargo xtask fuzz`: run every cargo-fuzz target in `fuzz/` for a bounded time.
//!
//! cargo-fuzz is installed on first use into `.tools/cargo-fuzz` (git-ignored), so a fresh
//! machine needs nothing by hand. Targets are built with `--sanitizer none`: the build then
//! passes rustc only `-C` flags (SanitizerCoverage through `-Cpasses=sancov-module`), which
//! the stable toolchain takes, so no nightly and no `RUSTC_BOOTSTRAP` are needed. Each run
//! reads the checked-in seeds (`fuzz/corpus/<target>`, never written to) and grows a scratch
//! corpus under `fuzz/target/corpus/<target>`; a crash leaves its input in
//! `fuzz/artifacts/<target>/` and fails the command.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::{cargo, ui};

/// The cargo-fuzz release installed when none is found.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// The targets of `fuzz/Cargo.toml`, in the order they run.
pub(crate) const TARGETS: [&str; 5] = [
    "msgpack_value",
    "json_value",
    "device_csv",
    "hardware_hash",
    "graph_error",
];

/// What one target's run found.
struct Outcome {
    target: String,
    seconds: u64,
    executions: Option<u64>,
    crash: Option<String>,
    log: PathBuf,
}

/// Runs `targets` (all when empty) for `seconds` each.
pub(crate) fn run(root: &Path, seconds: u64, targets: &[String]) -> Result<()> {
    let targets = chosen_targets(targets)?;
    let cargo_fuzz_bin = ensure_cargo_fuzz(root)?;
    build(root, &cargo_fuzz_bin)?;
    let mut outcomes = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        ui::step(
            i + 1,
            targets.len(),
            format!("{target}: fuzzing for {seconds} s"),
        );
        outcomes.push(run_target(root, &cargo_fuzz_bin, target, seconds)?);
    }
    report(&outcomes)
}

fn chosen_targets(asked: &[String]) -> Result<Vec<String>> {
    if asked.is_empty() {
        return Ok(TARGETS.iter().map(|t| t.to_string()).collect());
    }
    for name in asked {
        if !TARGETS.contains(&name.as_str()) {
            bail!(
                "no fuzz target named {name:?}; the targets are {}",
                TARGETS.join(", ")
            );
        }
    }
    Ok(asked.to_vec())
}

/// The directory holding the `cargo-fuzz` binary, installed there when missing.
fn ensure_cargo_fuzz(root: &Path) -> Result<PathBuf> {
    let install_root = root.join(".tools").join("cargo-fuzz");
    let bin_dir = install_root.join("bin");
    if bin_dir.join("cargo-fuzz").is_file() {
        ui::progress(format!("cargo-fuzz is ready in {}", bin_dir.display()));
        return Ok(bin_dir);
    }
    ui::progress(format!(
        "Installing cargo-fuzz {CARGO_FUZZ_VERSION} into {} (first run only)",
        install_root.display()
    ));
    let mut cmd = cargo::cargo_command(root);
    cmd.args(["install", "cargo-fuzz", "--locked", "--version"])
        .arg(CARGO_FUZZ_VERSION)
        .arg("--root")
        .arg(&install_root);
    ui::run(&mut cmd)?;
    anyhow::ensure!(
        bin_dir.join("cargo-fuzz").is_file(),
        "cargo install finished but {} has no cargo-fuzz",
        bin_dir.display()
    );
    Ok(bin_dir)
}

/// `cargo fuzz <args>` with the installed cargo-fuzz first on PATH.
fn cargo_fuzz(root: &Path, bin_dir: &Path) -> Result<Command> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin_dir.to_path_buf()];
    dirs.extend(std::env::split_paths(&path));
    let path = std::env::join_paths(dirs).context("a PATH entry holds a separator")?;
    let mut cmd = cargo::cargo_command(root);
    cmd.arg("fuzz").env("PATH", path);
    Ok(cmd)
}

fn build(root: &Path, bin_dir: &Path) -> Result<()> {
    ui::progress("Building the fuzz targets: cargo fuzz build --sanitizer none");
    let mut cmd = cargo_fuzz(root, bin_dir)?;
    cmd.args(["build", "--sanitizer", "none"]);
    ui::run(&mut cmd)
}

fn run_target(root: &Path, bin_dir: &Path, target: &str, seconds: u64) -> Result<Outcome> {
    let fuzz_dir = root.join("fuzz");
    let seeds = fuzz_dir.join("corpus").join(target);
    let scratch = fuzz_dir.join("target").join("corpus").join(target);
    let logs = fuzz_dir.join("target").join("logs");
    fs::create_dir_all(&scratch).with_context(|| format!("cannot create {}", scratch.display()))?;
    fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let log = logs.join(format!("{target}.log"));
    let log_file =
        File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
    let mut cmd = cargo_fuzz(root, bin_dir)?;
    cmd.args(["run", "--sanitizer", "none", target])
        .arg(&scratch)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .args(["-print_final_stats=1", "-timeout=10", "-rss_limit_mb=2048"])
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
    let status = ui::status(&mut cmd)?;
    let text = fs::read_to_string(&log).unwrap_or_default();
    let executions = final_stat(&text, "stat::number_of_executed_units");
    let crash = (!status.success()).then(|| crash_summary(&text, status));
    match (&crash, executions) {
        (None, Some(runs)) => ui::detail(format!("{runs} executions, no failure")),
        (None, None) => ui::detail("finished; libFuzzer printed no statistics"),
        (Some(what), _) => ui::detail(format!("FAILED: {what}")),
    }
    ui::detail(format!("log: {}", log.display()));
    Ok(Outcome {
        target: target.to_string(),
        seconds,
        executions,
        crash,
        log,
    })
}

/// A number from libFuzzer's `-print_final_stats=1` block (`stat::name: value`).
fn final_stat(log: &str, name: &str) -> Option<u64> {
    log.lines().rev().find_map(|line| {
        line.trim()
            .strip_prefix(name)?
            .strip_prefix(':')?
            .trim()
            .parse()
            .ok()
    })
}

/// What a failed run said: the panic message and where the input was saved.
fn crash_summary(log: &str, status: std::process::ExitStatus) -> String {
    let panic = log
        .lines()
        .find(|l| l.contains("panicked at"))
        .map(|l| l.trim().to_string());
    let artifact = log
        .lines()
        .find_map(|l| l.split_once("Test unit written to "))
        .map(|(_, path)| path.trim().to_string());
    let libfuzzer = log
        .lines()
        .find(|l| l.contains("ERROR: libFuzzer:"))
        .map(|l| l.trim().to_string());
    let mut parts = Vec::new();
    parts.extend(panic.or(libfuzzer));
    if let Some(path) = artifact {
        parts.push(format!("input saved to {path}"));
    }
    if parts.is_empty() {
        parts.push(format!(
            "cargo fuzz run failed ({})",
            ui::describe_status(status)
        ));
    }
    parts.join("; ")
}

fn report(outcomes: &[Outcome]) -> Result<()> {
    ui::outcome("Fuzzing summary");
    println!(
        "    {:<15} {:>8} {:>14} {:>10}  result",
        "target", "seconds", "executions", "exec/s"
    );
    for o in outcomes {
        let runs = o.executions.map_or("?".to_string(), |n| n.to_string());
        let rate = o
            .executions
            .map_or("?".to_string(), |n| (n / o.seconds.max(1)).to_string());
        let result = o.crash.as_deref().unwrap_or("ok");
        println!(
            "    {:<15} {:>8} {:>14} {:>10}  {result}",
            o.target, o.seconds, runs, rate
        );
    }
    ui::flush();
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.crash.is_some()).collect();
    if failed.is_empty() {
        return Ok(());
    }
    let logs: Vec<String> = failed.iter().map(|o| o.log.display().to_string()).collect();
    bail!(
        "{} fuzz target(s) found a failure; reproduce with `cargo fuzz run --sanitizer none <target> <input>` (logs: {})",
        failed.len(),
        logs.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_stats_are_read() {
        let log = "#1024 pulse cov: 10\nDone 1234 runs in 2 second(s)\nstat::number_of_executed_units: 1234\nstat::average_exec_per_sec:     617\n";
        assert_eq!(
            final_stat(log, "stat::number_of_executed_units"),
            Some(1234)
        );
        assert_eq!(final_stat(log, "stat::average_exec_per_sec"), Some(617));
        assert_eq!(final_stat(log, "stat::peak_rss_mb"), None);
    }

    #[test]
    fn unknown_targets_are_refused() {
        assert!(chosen_targets(&["nope".to_string()]).is_err());
        assert_eq!(
            chosen_targets(&[]).map(|t| t.len()).ok(),
            Some(TARGETS.len())
        );
    }

    #[test]
    fn targets_match_the_fuzz_manifest() {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/Cargo.toml");
        let text = fs::read_to_string(&manifest).expect("fuzz/Cargo.toml");
        let declared: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("name = \""))
            .filter_map(|l| l.strip_suffix('"'))
            .filter(|name| *name != "autopilot-fuzz")
            .collect();
        assert_eq!(declared, TARGETS);
    }
}
