//! `terraform-provider-conformance`: the plugin binary Terraform launches (source address
//! `autopilot-iac/conformance`). See the crate's README.

use std::process::ExitCode;

use terraform_provider_conformance::{ConformanceProvider, PROVIDER_ADDRESS};
use tfplugin::server::{ServeOptions, serve};

fn main() -> ExitCode {
    tfplugin::logging::init(
        "provider.terraform-provider-conformance",
        &["terraform_provider_conformance"],
    );
    let debug = std::env::args().any(|arg| arg == "--debug");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("terraform-provider-conformance: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = ServeOptions {
        provider_address: PROVIDER_ADDRESS.to_string(),
        debug,
    };
    match runtime.block_on(serve(ConformanceProvider, options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-conformance: {e}");
            ExitCode::FAILURE
        }
    }
}
