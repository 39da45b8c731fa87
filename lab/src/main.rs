//! `autopilot-lab serve`: run an emulated Graph tenant until SIGTERM or SIGINT.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use autopilot_lab::auth::assertion::FederatedCredential;
use autopilot_lab::{LabConfig, LabServer, config};
use clap::{Parser, Subcommand};
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "autopilot-lab",
    version,
    about = "An emulated Microsoft Graph tenant for Windows Autopilot"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the lab. The first stdout line is a JSON object with the URLs and credentials.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Load the tenant from FILE at start (if it exists) and save it after every change.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Tenant id (GUID).
    #[arg(long, value_name = "GUID", default_value = config::DEFAULT_TENANT_ID)]
    tenant_id: Uuid,
    /// Client (application) id (GUID).
    #[arg(long, value_name = "GUID", default_value = config::DEFAULT_CLIENT_ID)]
    client_id: Uuid,
    /// Client secret (default: the well-known lab secret lab/README.md documents; the first
    /// stdout line prints the one in use).
    #[arg(long, value_name = "S", default_value = config::DEFAULT_CLIENT_SECRET, hide_default_value = true)]
    client_secret: String,
    /// Default page size of every collection and cap on $top (default: per collection).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    page_size: Option<u64>,
    /// Start without the Intune Provisioning Client service principal.
    #[arg(long)]
    without_provisioning_client: bool,
    /// Grant only these application roles (comma-separated), e.g.
    /// DeviceManagementServiceConfig.ReadWrite.All,Group.Read.All.
    #[arg(long, value_name = "ROLES", value_delimiter = ',')]
    roles: Option<Vec<String>>,
    /// Do not throttle (no 429s from the documented budgets).
    #[arg(long)]
    no_throttling: bool,
    /// New groups and service principals stay invisible this long.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    replication_delay_ms: u64,
    /// Imports stay `unknown` this long before they complete or fail.
    #[arg(long, value_name = "MS", default_value_t = config::DEFAULT_IMPORT_PROCESSING_MS)]
    import_processing_ms: u64,
    /// Register the certificate(s) in FILE.pem on the client (certificate credentials). Repeatable.
    #[arg(long, value_name = "FILE.pem")]
    client_cert: Vec<PathBuf>,
    /// Trust tokens of an external issuer (workload identity federation). Repeatable.
    #[arg(long, value_name = "issuer=...,subject=...,audience=...", value_parser = parse_federated)]
    federated_credential: Vec<FederatedCredential>,
    /// JWKS file with the signing keys of the federated issuers.
    #[arg(long, value_name = "FILE")]
    federated_jwks: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate; its PEM path is in the ready line as `ca_cert`.
    #[arg(long)]
    tls: bool,
    /// Directory for the TLS certificate (default: a new directory under the system temp dir).
    #[arg(long, value_name = "DIR", requires = "tls")]
    tls_dir: Option<PathBuf>,
}

fn parse_federated(text: &str) -> Result<FederatedCredential, String> {
    FederatedCredential::parse(text).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("autopilot-lab: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Command::Serve(args) = cli.command;
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "autopilot-lab failed");
            eprintln!("autopilot-lab: {error}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

#[derive(Debug, thiserror::Error)]
enum ServeError {
    #[error(transparent)]
    Lab(#[from] autopilot_lab::LabError),
    #[error("cannot write the ready line: {0}")]
    Stdout(std::io::Error),
    #[error("cannot encode the ready line: {0}")]
    Encode(serde_json::Error),
}

async fn serve(args: ServeArgs) -> Result<(), ServeError> {
    let config = LabConfig {
        listen: args.listen,
        state_file: args.state,
        tenant_id: args.tenant_id.to_string(),
        client_id: args.client_id.to_string(),
        client_secret: args.client_secret,
        page_size: args
            .page_size
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        without_provisioning_client: args.without_provisioning_client,
        roles: args.roles.map(|roles| {
            roles
                .into_iter()
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty())
                .collect()
        }),
        throttling: !args.no_throttling,
        replication_delay_ms: args.replication_delay_ms,
        import_processing_ms: args.import_processing_ms,
        client_certs: args.client_cert,
        federated_credentials: args.federated_credential,
        federated_jwks: args.federated_jwks,
        tls: args.tls,
        tls_dir: args.tls_dir,
        ..LabConfig::default()
    };
    let server = LabServer::bind(config).await?;
    let line = serde_json::to_string(server.info()).map_err(ServeError::Encode)?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}").map_err(ServeError::Stdout)?;
        stdout.flush().map_err(ServeError::Stdout)?;
    }
    tracing::info!(graph_url = %server.info().graph_url, "autopilot-lab ready");
    server.run_until(shutdown_signal()).await?;
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
