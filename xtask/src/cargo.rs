//! Cargo invocations: building the binaries, `cargo xtask test` and `cargo xtask lint`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::{release, setup, ui};

pub const PROVIDER_PACKAGE: &str = "terraform-provider-autopilot";
pub const LAB_PACKAGE: &str = "autopilot-lab";

/// Paths of the freshly built binaries.
pub struct Binaries {
    pub provider: PathBuf,
    pub lab: PathBuf,
}

/// The cargo that runs us (`$CARGO`), or `cargo` from PATH.
pub fn cargo_command(root: &Path) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root);
    cmd
}

/// `cargo build -p terraform-provider-autopilot -p autopilot-lab`; returns the executables
/// cargo reports (so `CARGO_TARGET_DIR` and friends are honoured).
pub fn build_binaries(root: &Path) -> Result<Binaries> {
    let mut cmd = cargo_command(root);
    cmd.args(["build", "-p", PROVIDER_PACKAGE, "-p", LAB_PACKAGE])
        .args(["--message-format", "json-render-diagnostics"])
        .stdout(Stdio::piped());
    let shown = ui::display_command(&cmd);
    ui::progress(format!(
        "Building: cargo build -p {PROVIDER_PACKAGE} -p {LAB_PACKAGE}"
    ));
    ui::flush();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start `{shown}`"))?;
    let stdout = child
        .stdout
        .take()
        .context("cargo's stdout was not captured")?;
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
    let mut take = |name: &str| {
        executables.remove(name).with_context(|| {
            format!("cargo built no binary named `{name}` (package `{name}` must have a [[bin]] of that name)")
        })
    };
    let binaries = Binaries {
        provider: take(PROVIDER_PACKAGE)?,
        lab: take(LAB_PACKAGE)?,
    };
    ui::detail(format!("provider: {}", binaries.provider.display()));
    ui::detail(format!("lab:      {}", binaries.lab.display()));
    Ok(binaries)
}

/// `(target name, executable)` from one `--message-format json` line of a binary artifact.
pub fn executable_artifact(line: &str) -> Option<(String, PathBuf)> {
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

/// `cargo xtask test`: setup, build the binaries, `cargo test --workspace` with their paths;
/// then, unless arguments narrow the run, every fuzzing seed through its target's checks (the
/// fuzz crate is outside the workspace; it shares the workspace's target directory so that the
/// provider is not compiled from scratch a second time).
pub fn test(root: &Path, extra_args: &[String]) -> Result<()> {
    let mut args = vec!["--workspace".to_string()];
    args.extend_from_slice(extra_args);
    let mut cmd = test_command(root, &args)?;
    ui::run(&mut cmd).context("the test suite failed")?;
    if extra_args.is_empty() {
        let mut seeds = cargo_command(root);
        seeds
            .args(["test", "--manifest-path", "fuzz/Cargo.toml", "--target-dir"])
            .arg(target_dir(root));
        ui::progress(format!(
            "Running the fuzzing seeds: {}",
            ui::display_command(&seeds)
        ));
        ui::run(&mut seeds).context("a fuzzing seed broke its target's checks")?;
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
pub fn soak(root: &Path, seeds: u32) -> Result<()> {
    let args = [
        "-p",
        "acceptance-tests",
        "--test",
        "faults",
        "quickstart_converges",
        "--",
        "--nocapture",
    ]
    .map(String::from);
    let mut cmd = test_command(root, &args)?;
    cmd.env("AUTOPILOT_FAULT_SEEDS", seeds.to_string());
    ui::detail(format!("AUTOPILOT_FAULT_SEEDS={seeds}"));
    ui::run(&mut cmd).context("the soak run failed")?;
    ui::progress(format!(
        "The quickstart converged under faults with each of {seeds} seeds"
    ));
    Ok(())
}

/// Setup, build the binaries, and a `cargo test <args>` that finds them through the
/// environment.
fn test_command(root: &Path, args: &[String]) -> Result<Command> {
    let terraform = setup::setup(root)?;
    let binaries = build_binaries(root)?;
    let release_dir = release::package_for_tests(&target_dir(root), &binaries.provider)?;
    let mut cmd = cargo_command(root);
    cmd.arg("test")
        .args(args)
        .env("AUTOPILOT_RELEASE_DIR", absolute(&release_dir)?)
        .env("TERRAFORM_BIN", absolute(&terraform)?)
        .env("AUTOPILOT_PROVIDER_BIN", absolute(&binaries.provider)?)
        .env("AUTOPILOT_LAB_BIN", absolute(&binaries.lab)?)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1");
    ui::progress(format!("Running: {}", ui::display_command(&cmd)));
    ui::detail(format!("TERRAFORM_BIN={}", absolute(&terraform)?.display()));
    ui::detail(format!(
        "AUTOPILOT_PROVIDER_BIN={}",
        absolute(&binaries.provider)?.display()
    ));
    ui::detail(format!(
        "AUTOPILOT_LAB_BIN={}",
        absolute(&binaries.lab)?.display()
    ));
    Ok(cmd)
}

/// `cargo xtask lint`: rustfmt check and clippy with warnings denied; runs both, then reports.
pub fn lint(root: &Path) -> Result<()> {
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

pub fn absolute(path: &Path) -> Result<PathBuf> {
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
