//! How fast the provider starts, as Terraform sees it.
//!
//! - `provider_start_to_handshake_ms`: spawn (magic cookie, protocol 6, no `PLUGIN_CLIENT_CERT`,
//!   so plaintext gRPC) until the `1|6|unix|<socket>|grpc|` handshake line is read.
//! - `provider_start_to_get_provider_schema_ms`: spawn until a gRPC client connected to that
//!   socket has the answer to `GetProviderSchema`, the first call Terraform makes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hyper_util::rt::TokioIo;
use tfplugin::proto::tfplugin6::get_provider_schema;
use tfplugin::proto::tfplugin6::provider_client::ProviderClient;
use tokio::net::UnixStream;
use tonic::transport::{Endpoint, Uri};

use super::report::{Measurement, millis};
use super::stop_child;
use crate::ui;

const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
pub(super) const RUNS: usize = 20;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
const RPC_TIMEOUT: Duration = Duration::from_secs(30);
/// The schema target of the benchmark report (issue 8).
const SCHEMA_TARGET_MS: f64 = 20.0;
/// Terraform's own gRPC message limit, so a large schema is never refused here first.
const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// Both figures: `RUNS` starts each.
pub(super) fn run(provider: &Path) -> Result<Vec<Measurement>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start a tokio runtime")?;

    let mut handshakes = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let mut started = Started::spawn(provider)?;
        let result = started.handshake();
        stop_child(&mut started.child);
        handshakes.push(millis(result?.at.duration_since(started.at)));
    }

    let mut schemas = Vec::with_capacity(RUNS);
    let mut shape = SchemaShape::default();
    for _ in 0..RUNS {
        let mut started = Started::spawn(provider)?;
        let result = started
            .handshake()
            .and_then(|handshake| runtime.block_on(get_provider_schema(&handshake.socket)));
        let answered = Instant::now();
        stop_child(&mut started.child);
        shape = result?;
        schemas.push(millis(answered.duration_since(started.at)));
    }

    Ok(vec![
        Measurement::new("provider_start_to_handshake_ms", "ms", handshakes).note(format!(
            "debug build; {RUNS} starts: spawn until the `1|6|unix|...|grpc|` handshake line is \
             read (plaintext, no PLUGIN_CLIENT_CERT)"
        )),
        Measurement::new("provider_start_to_get_provider_schema_ms", "ms", schemas)
            .target(SCHEMA_TARGET_MS)
            .note(format!(
                "debug build; {RUNS} starts: spawn until a tonic client on the handshake's unix \
                 socket has the GetProviderSchema answer ({} resource and {} data source \
                 schemas, {} bytes)",
                shape.resources, shape.data_sources, shape.bytes
            )),
    ])
}

/// A provider process and the moment it was spawned.
struct Started {
    child: Child,
    at: Instant,
    first_line: mpsc::Receiver<std::io::Result<(usize, String, Instant)>>,
    shown: String,
}

struct Handshake {
    socket: PathBuf,
    at: Instant,
}

impl Started {
    /// Spawns the provider as Terraform would, without TLS; a thread reads its first line.
    fn spawn(provider: &Path) -> Result<Self> {
        let mut cmd = Command::new(provider);
        cmd.env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env_remove("PLUGIN_CLIENT_CERT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let shown = ui::display_command(&cmd);
        let at = Instant::now();
        let mut child = cmd
            .spawn()
            .with_context(|| format!("could not start `{shown}`"))?;
        let Some(stdout) = child.stdout.take() else {
            stop_child(&mut child);
            bail!("the provider's stdout was not captured");
        };
        let (tx, first_line) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let read = reader
                .read_line(&mut line)
                .map(|n| (n, line, Instant::now()));
            let _ = tx.send(read);
            // Keep draining so the provider never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        Ok(Self {
            child,
            at,
            first_line,
            shown,
        })
    }

    /// Waits for the handshake line and reads the socket path out of it.
    fn handshake(&mut self) -> Result<Handshake> {
        let shown = &self.shown;
        match self.first_line.recv_timeout(HANDSHAKE_TIMEOUT) {
            Ok(Ok((n, line, at))) if n > 0 => Ok(Handshake {
                socket: parse_handshake(&line)
                    .with_context(|| format!("`{shown}` printed an unexpected handshake line"))?,
                at,
            }),
            Ok(Ok(_)) => bail!("`{shown}` closed its stdout without a handshake line"),
            Ok(Err(err)) => bail!("could not read the provider's stdout: {err}"),
            Err(_) => bail!(
                "`{shown}` printed no handshake line within {}s",
                HANDSHAKE_TIMEOUT.as_secs()
            ),
        }
    }
}

/// The unix socket of a `1|6|unix|/path|grpc|` line (plaintext: no certificate field).
fn parse_handshake(line: &str) -> Result<PathBuf> {
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    match fields.as_slice() {
        ["1", "6", "unix", path, "grpc", ..] if !path.is_empty() => Ok(PathBuf::from(path)),
        _ => bail!("{line:?} is not `1|6|unix|<socket>|grpc|`"),
    }
}

#[derive(Default)]
struct SchemaShape {
    resources: usize,
    data_sources: usize,
    bytes: usize,
}

/// Connects to the provider's socket and asks for its schema, as Terraform's first call.
async fn get_provider_schema(socket: &Path) -> Result<SchemaShape> {
    let socket = socket.to_path_buf();
    let channel = Endpoint::from_static("http://provider.invalid")
        .connect_timeout(RPC_TIMEOUT)
        .timeout(RPC_TIMEOUT)
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let socket = socket.clone();
            async move { UnixStream::connect(socket).await.map(TokioIo::new) }
        }))
        .await
        .context("could not connect to the provider's unix socket")?;
    let mut client = ProviderClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE);
    let answer = client
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .context("GetProviderSchema failed")?
        .into_inner();
    if answer.provider.is_none() {
        bail!("GetProviderSchema answered without the provider's own schema");
    }
    if let Some(diagnostic) = answer.diagnostics.first() {
        bail!(
            "GetProviderSchema answered with a diagnostic: {}",
            diagnostic.summary
        );
    }
    if answer.resource_schemas.is_empty() {
        bail!("GetProviderSchema answered with no resource schema");
    }
    Ok(SchemaShape {
        resources: answer.resource_schemas.len(),
        data_sources: answer.data_source_schemas.len(),
        bytes: prost::Message::encoded_len(&answer),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_socket_of_a_plaintext_handshake() -> Result<()> {
        assert_eq!(
            parse_handshake("1|6|unix|/tmp/plugin123|grpc|\n")?,
            PathBuf::from("/tmp/plugin123")
        );
        assert!(parse_handshake("1|5|unix|/tmp/p|grpc|").is_err());
        assert!(parse_handshake("1|6|tcp|127.0.0.1:1234|grpc|").is_err());
        assert!(parse_handshake("1|6|unix||grpc|").is_err());
        assert!(parse_handshake("This binary is a plugin.").is_err());
        Ok(())
    }
}
