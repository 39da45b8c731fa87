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
