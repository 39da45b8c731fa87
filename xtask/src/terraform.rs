//! Running the Terraform CLI against a local filesystem mirror of the provider.

use std::fs;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result, bail};

use crate::ui;

/// The provider's source address on the public registry.
pub(crate) const PROVIDER_HOST: &str = "registry.terraform.io";
pub(crate) const PROVIDER_NAMESPACE: &str = "autopilot-iac";
pub(crate) const PROVIDER_TYPE: &str = "autopilot";

/// Environment variables that must not leak from the caller into a demo run: they would change
/// the provider's credentials or endpoints, or Terraform's behaviour.
fn is_scrubbed(name: &str) -> bool {
    name.starts_with("ARM_")
        || name.starts_with("AUTOPILOT_")
        || name.starts_with("TF_CLI_ARGS")
        || matches!(
            name,
            "TF_CLI_CONFIG_FILE"
                | "TF_PLUGIN_CACHE_DIR"
                | "TF_DATA_DIR"
                | "TF_WORKSPACE"
                | "TF_REATTACH_PROVIDERS"
        )
}

/// `linux_amd64` and friends, as Terraform names platforms.
pub(crate) fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{os}_{arch}")
}

/// Lays out `<mirror>/registry.terraform.io/autopilot-iac/autopilot/<version>/<os_arch>/`
/// with a copy of the provider binary; returns the copied binary's path.
pub(crate) fn populate_mirror(
    mirror: &Path,
    provider_bin: &Path,
    version: &str,
) -> Result<PathBuf> {
    let dir = mirror
        .join(PROVIDER_HOST)
        .join(PROVIDER_NAMESPACE)
        .join(PROVIDER_TYPE)
        .join(version)
        .join(platform());
    fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    let dest = dir.join(format!("terraform-provider-{PROVIDER_TYPE}_v{version}"));
    fs::copy(provider_bin, &dest).with_context(|| {
        format!(
            "could not copy {} to {}",
            provider_bin.display(),
            dest.display()
        )
    })?;
    Ok(dest)
}

/// A CLI configuration that installs `autopilot-iac/*` from `mirror` and nothing else from it.
pub(crate) fn cli_config(mirror: &Path) -> String {
    let path = hcl_string(&mirror.display().to_string());
    let include = hcl_string(&format!("{PROVIDER_HOST}/{PROVIDER_NAMESPACE}/*"));
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = {path}\n    include = [{include}]\n  }}\n  direct {{\n    exclude = [{include}]\n  }}\n}}\n"
    )
}

fn hcl_string(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

/// Terraform in one working directory with a fixed environment.
pub(crate) struct Terraform {
    bin: PathBuf,
    dir: PathBuf,
    env: Vec<(String, String)>,
    color: bool,
}

impl Terraform {
    pub(crate) fn new(bin: &Path, dir: &Path, cli_config: &Path) -> Self {
        let env = vec![
            ("CHECKPOINT_DISABLE".to_string(), "1".to_string()),
            ("TF_IN_AUTOMATION".to_string(), "1".to_string()),
            ("TF_INPUT".to_string(), "0".to_string()),
            (
                "TF_CLI_CONFIG_FILE".to_string(),
                cli_config.display().to_string(),
            ),
        ];
        Self {
            bin: bin.to_path_buf(),
            dir: dir.to_path_buf(),
            env,
            color: std::io::stdout().is_terminal(),
        }
    }

    pub(crate) fn env(&mut self, name: &str, value: &str) {
        self.env.push((name.to_string(), value.to_string()));
    }

    /// `terraform <args>` (plus `-no-color` when not on a terminal and `color_flag` is set).
    fn command(&self, args: &[&str], color_flag: bool) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(&self.dir).stdin(Stdio::null());
        let mut args: Vec<&str> = args.to_vec();
        if color_flag && !self.color {
            args.insert(1.min(args.len()), "-no-color");
        }
        cmd.args(&args);
        for (name, _) in std::env::vars_os() {
            if let Some(name) = name.to_str()
                && is_scrubbed(name)
            {
                cmd.env_remove(name);
            }
        }
        for (name, value) in &self.env {
            cmd.env(name, value);
        }
        cmd
    }

    /// `terraform <args>` with `-no-color`, for callers that capture its output and wait for
    /// it themselves.
    pub(crate) fn plain_command(&self, args: &[&str]) -> Command {
        let mut args: Vec<&str> = args.to_vec();
        args.insert(1.min(args.len()), "-no-color");
        self.command(&args, false)
    }

    /// Runs a command with its output streamed; fails unless it exits 0.
    pub(crate) fn run(&self, args: &[&str]) -> Result<()> {
        let mut cmd = self.command(args, true);
        ui::run(&mut cmd)
    }

    /// Runs a command with stdout streamed and also captured; returns status and stdout.
    pub(crate) fn run_tee(&self, args: &[&str]) -> Result<(ExitStatus, String)> {
        let mut cmd = self.command(args, true);
        ui::flush();
        let (mut child, stdout, shown) = ui::spawn_reading_stdout(&mut cmd, "terraform")?;
        let mut captured = String::new();
        let mut out = std::io::stdout();
        for line in BufReader::new(stdout).lines() {
            let line = line.with_context(|| format!("could not read the output of `{shown}`"))?;
            let _ = writeln!(out, "{line}");
            captured.push_str(&line);
            captured.push('\n');
        }
        let _ = out.flush();
        let status = child
            .wait()
            .with_context(|| format!("could not wait for `{shown}`"))?;
        Ok((status, captured))
    }

    /// Runs a command quietly and returns its stdout; fails (with its stderr) unless it exits 0.
    pub(crate) fn output(&self, args: &[&str]) -> Result<String> {
        let mut cmd = self.command(args, false);
        let shown = ui::display_command(&cmd);
        let output = cmd
            .output()
            .with_context(|| format!("could not start `{shown}`"))?;
        if !output.status.success() {
            bail!(
                "`{shown}` failed ({}): {}",
                ui::describe_status(output.status),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        String::from_utf8(output.stdout).with_context(|| format!("`{shown}` printed non-UTF-8"))
    }
}

/// Copies the regular files of `from` into a new `to`, leaving out Terraform's local state
/// (`.terraform*`, `terraform.tfstate*`) and hidden files. Returns the names copied.
pub(crate) fn copy_config(from: &Path, to: &Path) -> Result<Vec<String>> {
    fs::create_dir_all(to).with_context(|| format!("could not create {}", to.display()))?;
    let mut copied = Vec::new();
    let entries =
        fs::read_dir(from).with_context(|| format!("could not list {}", from.display()))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with("terraform.tfstate") || name == "crash.log" {
            continue;
        }
        if !entry.file_type()?.is_file() {
            continue;
        }
        fs::copy(entry.path(), to.join(&name))
            .with_context(|| format!("could not copy {}", entry.path().display()))?;
        copied.push(name);
    }
    copied.sort();
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_config_mirrors_only_our_namespace() {
        let config = cli_config(Path::new("/work/.terraform-work/demo/mirror"));
        assert!(config.contains("path    = \"/work/.terraform-work/demo/mirror\""));
        assert!(config.contains("include = [\"registry.terraform.io/autopilot-iac/*\"]"));
        assert!(config.contains("exclude = [\"registry.terraform.io/autopilot-iac/*\"]"));
        assert_eq!(config.matches('{').count(), config.matches('}').count());
    }

    #[test]
    fn scrubs_credentials_and_terraform_overrides() {
        assert!(is_scrubbed("ARM_CLIENT_SECRET"));
        assert!(is_scrubbed("ARM_USE_MSI"));
        assert!(is_scrubbed("AUTOPILOT_GRAPH_URL"));
        assert!(is_scrubbed("TF_CLI_ARGS_plan"));
        assert!(is_scrubbed("TF_PLUGIN_CACHE_DIR"));
        assert!(!is_scrubbed("PATH"));
        assert!(!is_scrubbed("TF_LOG"));
    }

    #[test]
    fn mirror_layout_matches_terraform_unpacked_layout() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("xtask-mirror-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir)?;
        let fake = dir.join("bin");
        fs::write(&fake, b"provider")?;
        let copied = populate_mirror(&dir.join("mirror"), &fake, "0.1.0")?;
        let expected = dir.join(format!(
            "mirror/registry.terraform.io/autopilot-iac/autopilot/0.1.0/{}/terraform-provider-autopilot_v0.1.0",
            platform()
        ));
        assert_eq!(copied, expected);
        assert!(expected.is_file());
        fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn copies_configuration_but_not_local_state() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("xtask-copy-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let from = dir.join("from");
        fs::create_dir_all(from.join(".terraform"))?;
        for name in [
            "main.tf",
            "outputs.tf",
            "devices.csv",
            "terraform.tfstate",
            ".terraform.lock.hcl",
        ] {
            fs::write(from.join(name), name)?;
        }
        let copied = copy_config(&from, &dir.join("to"))?;
        assert_eq!(copied, vec!["devices.csv", "main.tf", "outputs.tf"]);
        fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
