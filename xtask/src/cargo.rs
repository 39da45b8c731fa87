//! Cargo invocations: building the binaries, `cargo xtask test` and `cargo xtask lint`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{release, setup, ui};

pub(crate) const PROVIDER_PACKAGE: &str = "terraform-provider-autopilot";
pub(crate) const LAB_PACKAGE: &str = "autopilot-lab";
pub(crate) const CONFORMANCE_PACKAGE: &str = "terraform-provider-conformance";

/// Paths of the freshly built binaries.
pub(crate) struct Binaries {
    pub provider: PathBuf,
    pub lab: PathBuf,
    /// The provider that echoes its configuration (tfplugin's conformance target).
    pub conformance: PathBuf,
}

/// The cargo that runs us (`$CARGO`), or `cargo` from PATH.
pub(crate) fn cargo_command(root: &Path) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root);
    cmd
}

/// `cargo build -p terraform-provider-autopilot -p autopilot-lab -p terraform-provider-conformance`;
/// returns the executables
/// cargo reports (so `CARGO_TARGET_DIR` and friends are honoured).
pub(crate) fn build_binaries(root: &Path) -> Result<Binaries> {
    let mut cmd = cargo_command(root);
    cmd.args(["build", "-p", PROVIDER_PACKAGE, "-p", LAB_PACKAGE])
        .args(["-p", CONFORMANCE_PACKAGE]);
    let mut executables = build_executables(cmd)?;
    let mut take = |name: &str| {
        executables.remove(name).with_context(|| {
            format!("cargo built no binary named `{name}` (package `{name}` must have a [[bin]] of that name)")
        })
    };
    let binaries = Binaries {
        provider: take(PROVIDER_PACKAGE)?,
        lab: take(LAB_PACKAGE)?,
        conformance: take(CONFORMANCE_PACKAGE)?,
    };
    ui::detail(format!("provider: {}", binaries.provider.display()));
    ui::detail(format!("lab:      {}", binaries.lab.display()));
    Ok(binaries)
}

/// Runs a `cargo build` with `--message-format json-render-diagnostics` added and returns the
/// executables cargo reports, by target name (so `CARGO_TARGET_DIR`, profiles and targets are
/// honoured).
pub(crate) fn build_executables(mut cmd: Command) -> Result<BTreeMap<String, PathBuf>> {
    cmd.args(["--message-format", "json-render-diagnostics"]);
    ui::progress(format!("Building: {}", ui::display_command(&cmd)));
    ui::flush();
    let (mut child, stdout, shown) = ui::spawn_reading_stdout(&mut cmd, "cargo")?;
    let mut executables = BTreeMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("could not read cargo's output")?;
        if let Some((name, path)) = executable_artifact(&line) {
            executables.insert(name, path);
        }
    }
    let status = child.wait().context("could not wait for cargo")?;
    if !status.success() {
        bail!("`{shown}` failed ({})", ui::describe_status(status));
    }
    Ok(executables)
}

/// `(target name, executable)` from one `--message-format json` line of a binary artifact.
pub(crate) fn executable_artifact(line: &str) -> Option<(String, PathBuf)> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let executable = message.get("executable")?.as_str()?;
    let target = message.get("target")?;
    let is_bin = target
        .get("kind")?
        .as_array()?
        .iter()
        .any(|kind| kind.as_str() == Some("bin"));
    if !is_bin {
        return None;
    }
    let name = target.get("name")?.as_str()?;
    Some((name.to_string(), PathBuf::from(executable)))
}

/// `cargo xtask test`: setup (both Terraform CLIs), build the binaries, then one pass of
/// `cargo test` per Terraform version, each finding its CLI through `TERRAFORM_BIN`:
///
/// - without arguments: `cargo test --workspace` with Terraform 1.0.3, then
///   `cargo test -p acceptance-tests` with Terraform 1.15.5 (only the acceptance suite drives
///   Terraform), then every fuzzing seed through its target's checks (the fuzz crate is outside
///   the workspace; it shares the workspace's target directory so that the provider is not
///   compiled from scratch a second time);
/// - with arguments: `cargo test <args>` once per Terraform version.
///
/// `only` restricts the passes to the Terraform versions named (`--terraform 1.15.5`).
pub(crate) fn test(root: &Path, only: &[String], extra_args: &[String]) -> Result<()> {
    let terraforms = setup::setup(root)?;
    let selected: Vec<&setup::Terraform> = terraforms
        .all()
        .into_iter()
        .filter(|tf| only.is_empty() || only.iter().any(|v| v == tf.version))
        .collect();
    if selected.is_empty() {
        bail!(
            "no Terraform version matches --terraform {}; the suite runs on {}",
            only.join(", "),
            terraforms.all().map(|tf| tf.version).join(" and ")
        );
    }
    let binaries = build_binaries(root)?;
    let mut timings = Vec::new();
    for (pass, terraform) in selected.iter().enumerate() {
        let args: Vec<String> = if !extra_args.is_empty() {
            extra_args.to_vec()
        } else if pass == 0 {
            vec!["--workspace".to_string(), "--no-fail-fast".to_string()]
        } else {
            ["-p", "acceptance-tests", "--no-fail-fast"]
                .map(String::from)
                .to_vec()
        };
        ui::progress(format!(
            "Pass {} of {}: Terraform v{}",
            pass + 1,
            selected.len(),
            terraform.version
        ));
        let started = std::time::Instant::now();
        let mut cmd = test_command(root, terraform, &binaries, &args)?;
        ui::run(&mut cmd).with_context(|| {
            format!(
                "the test suite failed with Terraform v{}",
                terraform.version
            )
        })?;
        timings.push(format!(
            "Terraform v{}: {} in {:.0} s",
            terraform.version,
            args.join(" "),
            started.elapsed().as_secs_f64()
        ));
    }
    if extra_args.is_empty() {
        let started = std::time::Instant::now();
        let mut seeds = cargo_command(root);
        seeds
            .args(["test", "--manifest-path", "fuzz/Cargo.toml", "--target-dir"])
            .arg(target_dir(root));
        ui::progress(format!(
            "Running the fuzzing seeds: {}",
            ui::display_command(&seeds)
        ));
        ui::run(&mut seeds).context("a fuzzing seed broke its target's checks")?;
        timings.push(format!(
            "fuzzing seeds in {:.0} s",
            started.elapsed().as_secs_f64()
        ));
    }
    for line in &timings {
        ui::detail(line);
    }
    ui::progress("All tests passed");
    Ok(())
}

/// The workspace's target directory (`CARGO_TARGET_DIR` when set).
fn target_dir(root: &Path) -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// `cargo xtask soak`: the fault-injection suite over the quickstart with `seeds` fault seeds
/// (the test suite runs it with two).
pub(crate) fn soak(root: &Path, seeds: u32) -> Result<()> {
    let args = [
        "-p",
        "acceptance-tests",
        "--test",
        "acceptance",
        "faults::quickstart_converges",
        "--",
        "--nocapture",
    ]
    .map(String::from);
    let terraforms = setup::setup(root)?;
    let binaries = build_binaries(root)?;
    let mut cmd = test_command(root, &terraforms.oldest, &binaries, &args)?;
    cmd.env("AUTOPILOT_FAULT_SEEDS", seeds.to_string());
    ui::detail(format!("AUTOPILOT_FAULT_SEEDS={seeds}"));
    ui::run(&mut cmd).context("the soak run failed")?;
    ui::progress(format!(
        "The quickstart converged under faults with each of {seeds} seeds"
    ));
    Ok(())
}

/// `cargo xtask conformance`: the generated-configuration modules of the acceptance binary
/// (`conformance`: the echo provider; `group_references`: the real resources against a lab) with `seeds` seeds of
/// `resources` echo resources each, once per Terraform version (or those in `only`).
pub(crate) fn conformance(root: &Path, seeds: u64, resources: u64, only: &[String]) -> Result<()> {
    let terraforms = setup::setup(root)?;
    let binaries = build_binaries(root)?;
    let args = [
        "-p",
        "acceptance-tests",
        "--test",
        "acceptance",
        "--",
        "--nocapture",
        // libtest runs the tests that match any of its filters.
        "conformance::",
        "group_references::",
    ]
    .map(String::from);
    for terraform in terraforms
        .all()
        .into_iter()
        .filter(|tf| only.is_empty() || only.iter().any(|v| v == tf.version))
    {
        let started = std::time::Instant::now();
        let mut cmd = test_command(root, terraform, &binaries, &args)?;
        cmd.env("CONFORMANCE_SEEDS", seeds.to_string())
            .env("CONFORMANCE_RESOURCES", resources.to_string());
        ui::detail(format!(
            "CONFORMANCE_SEEDS={seeds} CONFORMANCE_RESOURCES={resources}"
        ));
        ui::run(&mut cmd).with_context(|| {
            format!(
                "the conformance suite failed with Terraform v{}",
                terraform.version
            )
        })?;
        ui::progress(format!(
            "Terraform v{}: {seeds} seeds of {} generated resources passed in {:.0} s",
            terraform.version,
            resources + 4,
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}

/// A `cargo test <args>` that finds `terraform` and the built binaries through the environment.
fn test_command(
    root: &Path,
    terraform: &setup::Terraform,
    binaries: &Binaries,
    args: &[String],
) -> Result<Command> {
    let terraform_bin = absolute(&terraform.path)?;
    let provider = absolute(&binaries.provider)?;
    let lab = absolute(&binaries.lab)?;
    let conformance = absolute(&binaries.conformance)?;
    let release_dir = absolute(&release::package_for_tests(
        &target_dir(root),
        &binaries.provider,
    )?)?;
    let mut cmd = cargo_command(root);
    cmd.arg("test")
        .args(args)
        .env("AUTOPILOT_RELEASE_DIR", &release_dir)
        .env("TERRAFORM_BIN", &terraform_bin)
        .env("AUTOPILOT_PROVIDER_BIN", &provider)
        .env("AUTOPILOT_LAB_BIN", &lab)
        .env("CONFORMANCE_PROVIDER_BIN", &conformance)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1");
    ui::progress(format!("Running: {}", ui::display_command(&cmd)));
    ui::detail(format!("TERRAFORM_BIN={}", terraform_bin.display()));
    ui::detail(format!("AUTOPILOT_PROVIDER_BIN={}", provider.display()));
    ui::detail(format!("AUTOPILOT_LAB_BIN={}", lab.display()));
    ui::detail(format!(
        "CONFORMANCE_PROVIDER_BIN={}",
        conformance.display()
    ));
    Ok(cmd)
}

/// `cargo xtask lint`: rustfmt check and clippy with warnings denied; runs both, then reports.
pub(crate) fn lint(root: &Path) -> Result<()> {
    let mut failures = Vec::new();

    let mut fmt = cargo_command(root);
    fmt.args(["fmt", "--all", "--", "--check"]);
    ui::progress(format!("Running: {}", ui::display_command(&fmt)));
    if let Err(err) = ui::run(&mut fmt) {
        failures.push(format!("{err:#} (run `cargo fmt --all` to fix)"));
    }

    let mut clippy = cargo_command(root);
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    ui::progress(format!("Running: {}", ui::display_command(&clippy)));
    if let Err(err) = ui::run(&mut clippy) {
        failures.push(format!("{err:#}"));
    }

    if !failures.is_empty() {
        bail!("lint failed:\n  - {}", failures.join("\n  - "));
    }
    ui::progress("Formatting and clippy are clean");
    Ok(())
}

pub(crate) fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("could not make {} absolute", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_binary_artifacts_from_cargo_json() {
        let bin = r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"autopilot-lab"},"executable":"/t/debug/autopilot-lab"}"#;
        let lib = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"tfplugin"},"executable":null}"#;
        let done = r#"{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executable_artifact(bin),
            Some((
                "autopilot-lab".to_string(),
                PathBuf::from("/t/debug/autopilot-lab")
            ))
        );
        assert_eq!(executable_artifact(lib), None);
        assert_eq!(executable_artifact(done), None);
        assert_eq!(executable_artifact("not json"), None);
    }
}
