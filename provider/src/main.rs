//! `terraform-provider-autopilot`: the plugin binary Terraform launches.

use std::process::ExitCode;

use clap::Parser;
use terraform_provider_autopilot::{AutopilotProvider, PROVIDER_ADDRESS};
use tfplugin::server::{ServeError, ServeOptions, serve};

/// Terraform / OpenTofu provider for Windows Autopilot through Microsoft Graph.
///
/// Terraform starts this binary itself. Run it by hand only with --debug,
/// then point Terraform at it with the printed TF_REATTACH_PROVIDERS value.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Serve in the foreground for a debugger and print TF_REATTACH_PROVIDERS.
    #[arg(long)]
    debug: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tfplugin::logging::init(
        "provider.terraform-provider-autopilot",
        &["terraform_provider_autopilot"],
    );
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
    let options = ServeOptions {
        provider_address: PROVIDER_ADDRESS.to_string(),
        debug: cli.debug,
    };
    match runtime.block_on(serve(AutopilotProvider, options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ServeError::NotLaunchedByTerraform) => {
            eprintln!(
                "This binary is a plugin for Terraform and OpenTofu. It is not meant to be run directly:\n\
                 declare the provider `autopilot-iac/autopilot` in your configuration and run terraform.\n\
                 (To debug it, run it with --debug.)"
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("terraform-provider-autopilot: {e}");
            ExitCode::FAILURE
        }
    }
}
