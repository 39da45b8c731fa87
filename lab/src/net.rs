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

/// A TCP listener handing out [`KillableStream`]s.
#[derive(Debug)]
pub struct LabListener {
    inner: TcpListener,
}

impl LabListener {
    pub fn new(inner: TcpListener) -> Self {
        LabListener { inner }
    }
}

impl Listener for LabListener {
    type Io = KillableStream;
    type Addr = ConnectionInfo;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let kill = KillSwitch::default();
                    return (
                        KillableStream {
                            inner: stream,
                            kill: kill.clone(),
                        },
                        ConnectionInfo { remote, kill },
                    );
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
