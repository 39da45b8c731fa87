//! `terraform-provider-autopilot`: the plugin binary Terraform launches,
//! and the `export` command that writes a live tenant as configuration.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use terraform_provider_autopilot::export::{self, Kind};
use terraform_provider_autopilot::{AutopilotProvider, PROVIDER_ADDRESS};
use tfplugin::server::{ServeError, ServeOptions, serve};
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Terraform / OpenTofu provider for Windows Autopilot through Microsoft Graph.
///
/// Terraform starts this binary itself (without arguments). Run it by hand
/// with --debug, then point Terraform at it with the printed
/// TF_REATTACH_PROVIDERS value, or with `export` to write an existing
/// tenant as configuration.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Serve in the foreground for a debugger and print TF_REATTACH_PROVIDERS.
    #[arg(long)]
    debug: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Write the tenant's Autopilot objects as Terraform configuration, with the commands that import them.
    ///
    /// Reads the tenant with the provider's environment variables (ARM_TENANT_ID, ARM_CLIENT_ID,
    /// ARM_CLIENT_SECRET or another credential, ARM_ENVIRONMENT, AUTOPILOT_GRAPH_URL, ...) and writes
    /// provider.tf, one .tf file per kind and import.sh into --out. Logs go to stderr (TF_LOG_PROVIDER
    /// or TF_LOG sets the level, default info), the summary to stdout.
    Export(ExportArgs),
}

#[derive(Args)]
struct ExportArgs {
    /// The directory to write into (created when missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Export only these kinds (comma separated).
    #[arg(long, value_name = "KIND,...", value_delimiter = ',', value_parser = parse_kind, long_help = only_help())]
    only: Vec<Kind>,
    /// Export only objects whose display name contains TEXT, ignoring case (devices: serial number or name).
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Write imports.tf with `import` blocks (Terraform 1.5 or later) instead of import.sh.
    #[arg(long)]
    import_blocks: bool,
    /// Overwrite the files of an earlier export in DIR.
    #[arg(long)]
    force: bool,
}

/// `--only`'s long help: the kinds the provider's resources declare.
fn only_help() -> String {
    format!(
        "Export only these kinds (comma separated): {}.",
        Kind::names()
    )
}

fn parse_kind(text: &str) -> Result<Kind, String> {
    text.parse::<Kind>().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("terraform-provider-autopilot: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Some(Command::Export(args)) => run_export(&runtime, args),
        None => run_plugin(&runtime, cli.debug),
    }
}

fn run_plugin(runtime: &tokio::runtime::Runtime, debug: bool) -> ExitCode {
    tfplugin::logging::init(
        "provider.terraform-provider-autopilot",
        &["terraform_provider_autopilot"],
    );
    let options = ServeOptions {
        provider_address: PROVIDER_ADDRESS.to_string(),
        debug,
    };
    match runtime.block_on(serve(AutopilotProvider, options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ServeError::NotLaunchedByTerraform) => {
            eprintln!(
                "This binary is a plugin for Terraform and OpenTofu. It is not meant to be run directly:\n\
                 declare the provider `autopilot-iac/autopilot` in your configuration and run terraform.\n\
                 (To debug it, run it with --debug; to write an existing tenant as configuration, run\n\
                 `terraform-provider-autopilot export --out DIR`.)"
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("terraform-provider-autopilot: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Human-readable logs on stderr: the provider's own at TF_LOG_PROVIDER /
/// TF_LOG (info when unset), libraries at most at warn.
fn init_export_logging() {
    let unset = ["TF_LOG_PROVIDER", "TF_LOG"]
        .iter()
        .all(|name| std::env::var_os(name).is_none_or(|v| v.is_empty()));
    let level = if unset {
        LevelFilter::INFO
    } else {
        tfplugin::logging::level_from_env()
    };
    let filter = Targets::new()
        .with_default(level.min(LevelFilter::WARN))
        .with_target("terraform_provider_autopilot", level)
        .with_target("tfplugin", level);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time();
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}

fn run_export(runtime: &tokio::runtime::Runtime, args: ExportArgs) -> ExitCode {
    init_export_logging();
    let options = export::Options {
        out: args.out,
        only: args.only,
        filter: args.filter,
        import_blocks: args.import_blocks,
        force: args.force,
    };
    let result = export::client_from_environment().map(Arc::new);
    let outcome = match result {
        Ok(client) => runtime.block_on(export::export(client, &options)),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("terraform-provider-autopilot export: {e}");
            ExitCode::FAILURE
        }
    }
}
