//! A temporary Terraform working directory wired to the provider under test via dev_overrides.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::lab::Lab;
use crate::paths;
use crate::process::run_captured;

/// The `terraform` block and provider block every test configuration starts with.
/// Credentials come from the environment ([`Lab::provider_env`]).
pub const PROVIDER_HCL: &str = r#"terraform {
  required_providers {
    autopilot = {
      source = "autopilot-iac/autopilot"
    }
  }
}

provider "autopilot" {}
"#;

/// How long one terraform command may run; override with `ACCEPTANCE_TF_TIMEOUT_SECS`.
const DEFAULT_TIMEOUT_SECS: u64 = 300;

/// Terraform variables the harness keeps from the caller's environment (debug logging).
const KEPT_TF_VARS: [&str; 3] = ["TF_LOG", "TF_LOG_CORE", "TF_LOG_PROVIDER"];

/// The result of one terraform command. Its `Display` shows the command and its full output,
/// which is what every assertion failure prints.
#[derive(Debug, Clone)]
pub struct TfOutput {
    pub command: String,
    pub dir: PathBuf,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl TfOutput {
    /// stdout followed by stderr.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// What the provider and Terraform *said*: the output without Terraform's echo of the
    /// configuration (source snippets such as `  12:   name = "value"`, `on main.tf line 12, ...`,
    /// and the dev_overrides path listing), with box-drawing borders removed and every run of
    /// whitespace collapsed to one space (Terraform wraps diagnostics at 78 columns).
    /// Use it to check a diagnostic's wording without matching the configuration it quotes.
    pub fn diagnostics(&self) -> String {
        collapse_whitespace(&strip_snippets(&self.text()))
    }

    /// Panics (with the whole output) unless the command exited 0.
    #[track_caller]
    pub fn success(self) -> Self {
        if self.code != 0 || self.timed_out {
            panic!("expected `{}` to succeed\n{self}", self.command);
        }
        self
    }

    /// Panics (with the whole output) unless the command exited with `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        if self.code != code || self.timed_out {
            panic!("expected `{}` to exit with {code}\n{self}", self.command);
        }
        self
    }

    /// Panics (with the whole output) unless the command failed on its own (non-zero, no timeout).
    #[track_caller]
    pub fn expect_failure(self) -> Self {
        if self.code == 0 || self.timed_out {
            panic!("expected `{}` to fail\n{self}", self.command);
        }
        self
    }

    /// Panics (with the whole output) unless stdout or stderr contains `needle`.
    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        if !self.text().contains(needle) {
            panic!(
                "expected the output of `{}` to contain {needle:?}\n{self}",
                self.command
            );
        }
        self
    }

    /// Panics (with the whole output) if stdout or stderr contains `needle`.
    #[track_caller]
    pub fn assert_not_contains(&self, needle: &str) -> &Self {
        if self.text().contains(needle) {
            panic!(
                "expected the output of `{}` not to contain {needle:?}\n{self}",
                self.command
            );
        }
        self
    }
}

impl fmt::Display for TfOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "$ {}   [Terraform {}]",
            self.command,
            paths::terraform_version_text()
        )?;
        writeln!(f, "  (in {})", self.dir.display())?;
        if self.timed_out {
            writeln!(f, "TIMED OUT after {:?}, killed", self.elapsed)?;
        }
        writeln!(f, "exit code: {} ({:?})", self.code, self.elapsed)?;
        writeln!(f, "----- stdout -----\n{}", self.stdout.trim_end())?;
        write!(
            f,
            "----- stderr -----\n{}\n------------------",
            self.stderr.trim_end()
        )
    }
}

/// Removes Terraform's source-snippet lines from diagnostics output.
pub fn strip_snippets(text: &str) -> String {
    text.lines()
        .filter(|line| {
            let l = line.trim_start_matches(['│', '╷', '╵', ' ']).trim_start();
            let snippet = l
                .split_once(':')
                .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
            let location = l.starts_with("on ") && l.contains(".tf line ");
            let override_path = l.contains("autopilot-iac/autopilot in ")
                || l.contains("autopilot-iac/conformance in ");
            !snippet && !location && !override_path
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Removes box-drawing borders and collapses whitespace (including line breaks) to single spaces.
pub fn collapse_whitespace(text: &str) -> String {
    text.replace(['│', '╷', '╵'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A per-test Terraform working directory (removed on drop) plus the environment every run gets:
/// a CLI config whose dev_overrides point `autopilot-iac/autopilot` at the provider binary's
/// directory, the lab's credentials, `CHECKPOINT_DISABLE=1`, `TF_IN_AUTOMATION=1`, `TF_INPUT=0`.
pub struct Terraform {
    dir: TempDir,
    bin: PathBuf,
    env: Vec<(String, String)>,
    timeout: Duration,
}

/// Another name for [`Terraform`]: a working directory is what it is.
pub type Workspace = Terraform;

impl Terraform {
    /// A fresh working directory whose provider talks to `lab`.
    pub fn new(lab: &Lab) -> Terraform {
        Terraform::with_env(lab.provider_env())
    }

    /// A fresh working directory whose provider talks to `lab`, its `main.tf` written by
    /// [`write_config`](Self::write_config) from `resources`.
    pub fn configured(lab: &Lab, resources: &str) -> Terraform {
        let tf = Terraform::new(lab);
        tf.write_config(resources);
        tf
    }

    /// A fresh working directory with the given extra environment (e.g. credentials).
    pub fn with_env(extra_env: Vec<(String, String)>) -> Terraform {
        let bin = paths::terraform_bin();
        let provider = paths::provider_bin();
        let provider_dir = provider
            .parent()
            .expect("the provider binary has a parent directory")
            .to_path_buf();
        let dir = tempfile::Builder::new()
            .prefix("autopilot-acc-")
            .tempdir()
            .expect("create a temporary working directory");
        let cli_config = dir.path().join("test.tfrc");
        // The conformance provider is built into the same directory (`cargo xtask test`).
        let config = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"autopilot-iac/autopilot\" = \"{dir}\"\n    \"autopilot-iac/conformance\" = \"{dir}\"\n  }}\n  direct {{}}\n}}\n",
            dir = hcl_escape(&provider_dir.to_string_lossy())
        );
        std::fs::write(&cli_config, config).expect("write the CLI config file");

        let mut env = vec![
            (
                "TF_CLI_CONFIG_FILE".to_string(),
                cli_config.to_string_lossy().into_owned(),
            ),
            ("CHECKPOINT_DISABLE".to_string(), "1".to_string()),
            ("TF_IN_AUTOMATION".to_string(), "1".to_string()),
            ("TF_INPUT".to_string(), "0".to_string()),
            ("NO_PROXY".to_string(), "127.0.0.1,localhost".to_string()),
            ("no_proxy".to_string(), "127.0.0.1,localhost".to_string()),
        ];
        env.extend(extra_env);
        let timeout = std::env::var("ACCEPTANCE_TF_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(DEFAULT_TIMEOUT_SECS);
        Terraform {
            dir,
            bin,
            env,
            timeout: Duration::from_secs(timeout),
        }
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `main.tf` exactly as given.
    pub fn write_main(&self, hcl: &str) {
        std::fs::write(self.dir().join("main.tf"), hcl).expect("write main.tf");
    }

    /// Writes `main.tf` as [`PROVIDER_HCL`] followed by `resources`.
    pub fn write_config(&self, resources: &str) {
        self.write_main(&format!("{PROVIDER_HCL}\n{resources}"));
    }

    /// `terraform <args>` in the working directory with the test environment, not started: for
    /// tests that must signal or kill the run while it works. [`run`](Self::run) is the usual way.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args).current_dir(self.dir());
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            let tf = key.starts_with("TF_") && !KEPT_TF_VARS.contains(&key.as_ref());
            if tf || key.starts_with("ARM_") || key.starts_with("AUTOPILOT_") {
                cmd.env_remove(key.as_ref());
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Runs `terraform <args>` in the working directory. Never panics on a non-zero exit.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        let mut cmd = self.command(args);
        let command = format!("terraform {}", args.join(" "));
        let captured = run_captured(&mut cmd, self.timeout)
            .unwrap_or_else(|e| panic!("cannot run {} ({command}): {e}", self.bin.display()));
        TfOutput {
            command,
            dir: self.dir().to_path_buf(),
            code: captured.code,
            stdout: captured.stdout,
            stderr: captured.stderr,
            timed_out: captured.timed_out,
            elapsed: captured.elapsed,
        }
    }

    /// `terraform plan`; not asserted.
    pub fn plan(&self) -> TfOutput {
        self.run(&["plan", "-no-color", "-input=false"])
    }

    /// `terraform plan -detailed-exitcode`; not asserted (0 no changes, 2 changes, 1 error).
    pub fn plan_detailed(&self) -> TfOutput {
        self.run(&["plan", "-no-color", "-input=false", "-detailed-exitcode"])
    }

    /// The exit code of `terraform plan -detailed-exitcode`: 0 no changes, 2 changes, 1 error.
    pub fn plan_detailed_exitcode(&self) -> i32 {
        let out = self.plan_detailed();
        if !matches!(out.code, 0..=2) || out.timed_out {
            panic!("unexpected exit of `{}`\n{out}", out.command);
        }
        out.code
    }

    /// Panics (with the plan output) unless `terraform plan -detailed-exitcode` reports no changes.
    #[track_caller]
    pub fn assert_no_changes(&self) -> TfOutput {
        self.plan_detailed().expect_code(0)
    }

    /// `terraform apply -auto-approve`; asserted to succeed.
    #[track_caller]
    pub fn apply(&self) -> TfOutput {
        self.try_apply().success()
    }

    /// `terraform apply -auto-approve`; not asserted.
    pub fn try_apply(&self) -> TfOutput {
        self.run(&["apply", "-no-color", "-input=false", "-auto-approve"])
    }

    /// `terraform apply -auto-approve`; asserted to fail.
    #[track_caller]
    pub fn apply_expect_error(&self) -> TfOutput {
        self.try_apply().expect_failure()
    }

    /// `terraform import <addr> <id>`; not asserted.
    pub fn import(&self, addr: &str, id: &str) -> TfOutput {
        self.run(&["import", "-no-color", "-input=false", addr, id])
    }

    /// `terraform destroy -auto-approve`; asserted to succeed.
    #[track_caller]
    pub fn destroy(&self) -> TfOutput {
        self.run(&["destroy", "-no-color", "-input=false", "-auto-approve"])
            .success()
    }

    /// `terraform state show <addr>`; asserted to succeed.
    #[track_caller]
    pub fn state_show(&self, addr: &str) -> TfOutput {
        self.run(&["state", "show", "-no-color", addr]).success()
    }

    /// `terraform output -json`, parsed; asserted to succeed.
    #[track_caller]
    pub fn output_json(&self) -> Value {
        parse_json(&self.run(&["output", "-no-color", "-json"]).success())
    }

    /// `terraform show -json` (the state), parsed; asserted to succeed.
    #[track_caller]
    pub fn show_json(&self) -> Value {
        parse_json(&self.run(&["show", "-no-color", "-json"]).success())
    }

    /// The addresses of the resources in the state (root module).
    #[track_caller]
    pub fn state_addresses(&self) -> Vec<String> {
        root_resources(&self.show_json())
            .iter()
            .filter_map(|r| r.get("address")?.as_str().map(str::to_string))
            .collect()
    }

    /// The attribute values of one resource in the state, `None` when it is not in the state.
    #[track_caller]
    pub fn resource_values(&self, addr: &str) -> Option<Value> {
        root_resources(&self.show_json())
            .into_iter()
            .find(|r| r.get("address").and_then(Value::as_str) == Some(addr))
            .and_then(|r| r.get("values").cloned())
    }
}

fn root_resources(show: &Value) -> Vec<Value> {
    show.pointer("/values/root_module/resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

#[track_caller]
fn parse_json(out: &TfOutput) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("`{}` printed no JSON ({e})\n{out}", out.command))
}

fn hcl_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_snippets_but_keeps_messages() {
        let text = "\
Error: Invalid organizational_unit

  on main.tf line 14, in resource \"autopilot_domain_join_profile\" \"x\":
  14:   organizational_unit = \"CN=Computers,DC=contoso,DC=com\"

Must be an OU= distinguished name, not a container.
│ Error: boxed
│   on main.tf line 3, in resource:
│    3:   x = 1
│ detail";
        let kept = strip_snippets(text);
        assert!(kept.contains("Invalid organizational_unit"));
        assert!(kept.contains("not a container"));
        assert!(kept.contains("│ detail"));
        assert!(!kept.contains("CN=Computers"), "{kept}");
        assert!(!kept.contains("line 14"), "{kept}");
        assert!(!kept.contains("x = 1"), "{kept}");
    }

    #[test]
    fn diagnostics_are_unwrapped() {
        let out = TfOutput {
            command: "terraform plan".into(),
            dir: PathBuf::from("/tmp"),
            code: 1,
            stdout: "Warning: Provider development overrides are in effect\n\n - autopilot-iac/autopilot in /x/15\n".into(),
            stderr: "│ Error: Invalid value\n│ \n│ must be a fully\n│ qualified domain name".into(),
            timed_out: false,
            elapsed: Duration::ZERO,
        };
        let said = out.diagnostics();
        assert!(
            said.contains("must be a fully qualified domain name"),
            "{said}"
        );
        assert!(!said.contains("15"), "{said}");
    }

    #[test]
    fn hcl_escaping() {
        assert_eq!(hcl_escape(r#"a\b"c"#), r#"a\\b\"c"#);
    }
}
