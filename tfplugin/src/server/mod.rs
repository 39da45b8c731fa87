//! Serving a provider the way go-plugin expects: the magic cookie, the
//! handshake line on stdout, a unix socket with AutoMTLS, and the side
//! services (health, controller, stdio) next to `tfplugin6.Provider`.

#[cfg(test)]
mod action_tests;
mod actions;
mod functions;
mod grpc;
#[cfg(test)]
mod grpc_tests;
mod identity;
mod list;
mod side;
mod tls;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use base64::Engine;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;

use crate::proto::plugin::grpc_controller_server::GrpcControllerServer;
use crate::proto::plugin::grpc_stdio_server::GrpcStdioServer;
use crate::proto::tfplugin6::provider_server::ProviderServer;
use crate::resource::Provider;

pub use tls::{AutoMtls, TlsSetupError, auto_mtls};

/// go-plugin's magic cookie for Terraform providers (same for OpenTofu).
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Terraform and OpenTofu accept up to this many bytes per message.
const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("this binary is a Terraform plugin: run it through terraform (or with --debug)")]
    NotLaunchedByTerraform,
    #[error("cannot listen on {path}: {source}")]
    Listen {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    #[error("cannot write the handshake: {0}")]
    Handshake(std::io::Error),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The provider's source address, e.g. `registry.terraform.io/ns/name`,
    /// printed in debug mode for TF_REATTACH_PROVIDERS.
    pub provider_address: String,
    /// Serve in the foreground without Terraform launching the process:
    /// plaintext, prints the TF_REATTACH_PROVIDERS value, stops on Ctrl-C.
    pub debug: bool,
}

/// Serves the provider until Terraform shuts it down.
pub async fn serve<P: Provider>(provider: P, options: ServeOptions) -> Result<(), ServeError> {
    if !options.debug && std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotLaunchedByTerraform);
    }
    if let Ok(versions) = std::env::var("PLUGIN_PROTOCOL_VERSIONS")
        && !versions.split(',').any(|v| v.trim() == "6")
    {
        tracing::warn!(%versions, "the client does not offer protocol 6; it will refuse this plugin");
    }

    let socket_dir = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let socket_path = socket_dir.join(format!("plugin{}", uuid::Uuid::new_v4().simple()));
    let listener = UnixListener::bind(&socket_path).map_err(|source| ServeError::Listen {
        path: socket_path.clone(),
        source,
    })?;
    let _cleanup = RemoveOnDrop(socket_path.clone());

    let mtls = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !options.debug && !pem.trim().is_empty() => Some(auto_mtls(&pem)?),
        _ => None,
    };

    let (shutdown_tx, mut shutdown_rx) = mpsc::channel::<()>(1);
    let incoming = accept_loop(
        listener,
        mtls.as_ref().map(|m| TlsAcceptor::from(m.config.clone())),
    );

    if options.debug {
        print_reattach(&options.provider_address, &socket_path).map_err(ServeError::Handshake)?;
    } else {
        let cert = mtls
            .as_ref()
            .map(|m| base64::engine::general_purpose::STANDARD_NO_PAD.encode(&m.server_cert_der))
            .unwrap_or_default();
        let line = format!("1|6|unix|{}|grpc|{cert}\n", socket_path.display());
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(line.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(ServeError::Handshake)?;
        ignore_interrupts();
    }

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let provider_service = ProviderServer::new(grpc::ProviderService::new(provider))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let debug = options.debug;
    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(side::Controller::new(
            shutdown_tx,
        )))
        .add_service(GrpcStdioServer::new(side::Stdio))
        .add_service(provider_service)
        .serve_with_incoming_shutdown(incoming, async move {
            if debug {
                tokio::select! {
                    _ = shutdown_rx.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            } else {
                shutdown_rx.recv().await;
            }
            tracing::debug!("shutting down");
        })
        .await?;
    Ok(())
}

/// Ctrl-C reaches the whole process group; Terraform stops providers with
/// StopProvider and Shutdown instead, so the signal is swallowed.
fn ignore_interrupts() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) {
        Ok(mut interrupts) => {
            tokio::spawn(async move {
                while interrupts.recv().await.is_some() {
                    tracing::debug!("ignoring SIGINT; waiting for Terraform to stop the provider");
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "cannot install the SIGINT handler"),
    }
}

fn print_reattach(address: &str, socket: &Path) -> std::io::Result<()> {
    let reattach = serde_json::json!({
        address: {
            "Protocol": "grpc",
            "ProtocolVersion": 6,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": {"Network": "unix", "String": socket.display().to_string()}
        }
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "Provider started in debug mode. To attach Terraform, set this in your shell:\n"
    )?;
    writeln!(stdout, "\texport TF_REATTACH_PROVIDERS='{reattach}'\n")?;
    writeln!(stdout, "Press Ctrl-C to stop.")?;
    stdout.flush()
}

/// Accepts connections; with AutoMTLS, only those whose TLS handshake
/// succeeds reach the gRPC server (failed ones are dropped, not fatal).
fn accept_loop(
    listener: UnixListener,
    tls: Option<TlsAcceptor>,
) -> ReceiverStream<std::io::Result<Conn>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            };
            let tx = tx.clone();
            match &tls {
                None => {
                    if tx.send(Ok(Conn::Plain(stream))).await.is_err() {
                        return;
                    }
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        match acceptor.accept(stream).await {
                            Ok(tls) => {
                                let _ = tx.send(Ok(Conn::Tls(Box::new(tls)))).await;
                            }
                            Err(e) => tracing::warn!(error = %e, "TLS handshake refused"),
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

/// A client connection, plaintext or TLS.
pub enum Conn {
    Plain(UnixStream),
    Tls(Box<TlsStream<UnixStream>>),
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
