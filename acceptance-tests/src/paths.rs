//! Where the binaries under test live.
//!
//! `cargo xtask test` sets `TERRAFORM_BIN`, `AUTOPILOT_PROVIDER_BIN` and `AUTOPILOT_LAB_BIN`. Without
//! them the suite falls back to paths relative to the workspace root. A missing binary is a test
//! failure, never a skip: a suite that passes because nothing ran proves nothing.

use std::path::{Path, PathBuf};

/// Environment variable naming the Terraform binary.
pub const TERRAFORM_BIN: &str = "TERRAFORM_BIN";
/// Environment variable naming the provider binary.
pub const PROVIDER_BIN: &str = "AUTOPILOT_PROVIDER_BIN";
/// Environment variable naming the lab binary.
pub const LAB_BIN: &str = "AUTOPILOT_LAB_BIN";
/// Environment variable naming the conformance provider's binary.
pub const CONFORMANCE_BIN: &str = "CONFORMANCE_PROVIDER_BIN";
/// Environment variable naming a directory with the provider packaged as a release (the zip,
/// SHA256SUMS and the manifest that `cargo xtask release` writes).
pub const RELEASE_DIR: &str = "AUTOPILOT_RELEASE_DIR";

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acceptance-tests lives inside the workspace")
        .to_path_buf()
}

/// The `terraform` binary (`TERRAFORM_BIN`, else `.tools/terraform/terraform`).
pub fn terraform_bin() -> PathBuf {
    locate(TERRAFORM_BIN, ".tools/terraform/terraform", "terraform")
}

/// The provider binary (`AUTOPILOT_PROVIDER_BIN`, else `target/debug/terraform-provider-autopilot`).
pub fn provider_bin() -> PathBuf {
    locate(
        PROVIDER_BIN,
        "target/debug/terraform-provider-autopilot",
        "the provider binary (terraform-provider-autopilot)",
    )
}

/// The lab binary (`AUTOPILOT_LAB_BIN`, else `target/debug/autopilot-lab`).
pub fn lab_bin() -> PathBuf {
    locate(
        LAB_BIN,
        "target/debug/autopilot-lab",
        "the lab binary (autopilot-lab)",
    )
}

/// The conformance provider's binary (`CONFORMANCE_PROVIDER_BIN`, else
/// `target/debug/terraform-provider-conformance`).
pub fn conformance_bin() -> PathBuf {
    locate(
        CONFORMANCE_BIN,
        "target/debug/terraform-provider-conformance",
        "the conformance provider binary (terraform-provider-conformance)",
    )
}

/// The version of the Terraform under test, as `(major, minor, patch)`, read once from
/// `terraform version`.
pub fn terraform_version() -> (u32, u32, u32) {
    static VERSION: std::sync::OnceLock<(u32, u32, u32)> = std::sync::OnceLock::new();
    *VERSION.get_or_init(|| {
        let bin = terraform_bin();
        let output = std::process::Command::new(&bin)
            .arg("version")
            .env("CHECKPOINT_DISABLE", "1")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {} version: {e}", bin.display()));
        let stdout = String::from_utf8_lossy(&output.stdout);
        parse_version(&stdout)
            .unwrap_or_else(|| panic!("unexpected `terraform version` output: {stdout:?}"))
    })
}

/// `Terraform v1.15.5\n...` -> `(1, 15, 5)`.
fn parse_version(stdout: &str) -> Option<(u32, u32, u32)> {
    let text = stdout.lines().next()?.trim().strip_prefix("Terraform v")?;
    let mut parts = text.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

/// The Terraform version under test as text, e.g. `1.15.5`.
pub fn terraform_version_text() -> String {
    let (major, minor, patch) = terraform_version();
    format!("{major}.{minor}.{patch}")
}

/// True when the Terraform under test is at least `major.minor`. When it is older, says on
/// stderr that the calling test checks nothing on this version and why; the suite's pass with
/// Terraform 1.15.5 runs it.
pub fn terraform_at_least(major: u32, minor: u32, feature: &str) -> bool {
    let (have_major, have_minor, _) = terraform_version();
    let ok = (have_major, have_minor) >= (major, minor);
    if !ok {
        eprintln!(
            "not run on Terraform {}: {feature} needs Terraform {major}.{minor} or later \
             (the pass with Terraform 1.15.5 runs it)",
            terraform_version_text()
        );
    }
    ok
}

/// The packaged release (`AUTOPILOT_RELEASE_DIR`, else `dist/`): `cargo xtask test` packages
/// the provider it built the way `cargo xtask release --profile dev` does and sets the variable.
pub fn release_dir() -> PathBuf {
    let root = workspace_root();
    let (path, origin) = match std::env::var_os(RELEASE_DIR).filter(|v| !v.is_empty()) {
        Some(value) => (root.join(value), format!("from ${RELEASE_DIR}")),
        None => (
            root.join("dist"),
            format!("fallback, ${RELEASE_DIR} is not set"),
        ),
    };
    if !path.is_dir() {
        panic!(
            "no packaged release at {} ({origin}).\n\
             Run the acceptance tests with `cargo xtask test` (it packages the provider it builds \
             and sets {RELEASE_DIR}), or run `cargo xtask release --profile dev` first.",
            path.display()
        );
    }
    path
}

fn locate(var: &str, fallback: &str, what: &str) -> PathBuf {
    let root = workspace_root();
    let (path, origin) = match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(value) => (root.join(value), format!("from ${var}")),
        None => (root.join(fallback), format!("fallback, ${var} is not set")),
    };
    if !path.is_file() {
        panic!(
            "{what} not found at {} ({origin}).\n\
             Run the acceptance tests with `cargo xtask test`: it installs Terraform, builds the \
             provider and the lab, and sets {TERRAFORM_BIN}, {PROVIDER_BIN} and {LAB_BIN}.",
            path.display()
        );
    }
    // Absolute, so that the paths survive a change of working directory (terraform runs in a
    // temporary directory, and dev_overrides wants an absolute directory).
    path.canonicalize().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_terraform_versions() {
        assert_eq!(
            parse_version("Terraform v1.0.3\non linux_amd64\n"),
            Some((1, 0, 3))
        );
        assert_eq!(parse_version("Terraform v1.15.5\n"), Some((1, 15, 5)));
        assert_eq!(parse_version("Terraform v1.6.0-beta1\n"), Some((1, 6, 0)));
        assert_eq!(parse_version("OpenTofu v1.8.0\n"), None);
    }
}
