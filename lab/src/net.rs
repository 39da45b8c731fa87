//! The listener the lab serves on: TCP connections that a handler can "drop" (fault injection),
//! so the client sees the connection close without a response.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Shared between a connection and the requests it carries: once tripped, every read and write
/// on the connection fails, so hyper closes it without sending what it was about to send.
#[derive(Debug, Clone, Default)]
pub struct KillSwitch(Arc<AtomicBool>);

impl KillSwitch {
    pub fn trip(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn tripped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What a request knows about its connection.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub remote: SocketAddr,
    pub kill: KillSwitch,
}

/// A TCP stream whose connection can be dropped from a handler.
#[derive(Debug)]
pub struct KillableStream {
    inner: TcpStream,
    kill: KillSwitch,
}

fn dropped() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by autopilot-lab fault injection",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.kill.tripped() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.tripped() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.tripped() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A served connection: plain TCP or TLS over it.
#[derive(Debug)]
pub enum LabStream {
    Plain(KillableStream),
    Tls(Box<TlsStream<KillableStream>>),
}

impl AsyncRead for LabStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            LabStream::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            LabStream::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for LabStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            LabStream::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            LabStream::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            LabStream::Plain(stream) => Pin::new(stream).poll_flush(cx),
            LabStream::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            LabStream::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            LabStream::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A TCP listener handing out [`LabStream`]s (TLS when an acceptor is set).
pub struct LabListener {
    inner: TcpListener,
    tls: Option<TlsAcceptor>,
}

impl std::fmt::Debug for LabListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabListener")
            .field("inner", &self.inner)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl LabListener {
    pub fn new(inner: TcpListener, tls: Option<TlsAcceptor>) -> Self {
        LabListener { inner, tls }
    }
}

impl Listener for LabListener {
    type Io = LabStream;
    type Addr = ConnectionInfo;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let kill = KillSwitch::default();
                    let killable = KillableStream {
                        inner: stream,
                        kill: kill.clone(),
                    };
                    let io = match &self.tls {
                        None => LabStream::Plain(killable),
                        Some(acceptor) => {
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(killable))
                                .await
                            {
                                Ok(Ok(tls)) => LabStream::Tls(Box::new(tls)),
                                Ok(Err(error)) => {
                                    tracing::debug!(%error, %remote, "TLS handshake failed");
                                    continue;
                                }
                                Err(_) => {
                                    tracing::debug!(%remote, "TLS handshake timed out");
                                    continue;
                                }
                            }
                        }
                    };
                    return (io, ConnectionInfo { remote, kill });
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off briefly, as axum does.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ConnectionInfo {
            remote: self.inner.local_addr()?,
            kill: KillSwitch::default(),
        })
    }
}

impl Connected<IncomingStream<'_, LabListener>> for ConnectionInfo {
    fn connect_info(stream: IncomingStream<'_, LabListener>) -> Self {
        stream.remote_addr().clone()
    }
}
