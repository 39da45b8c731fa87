//! go-plugin's side services: the controller (Shutdown) and stdio.

use tokio::sync::mpsc;
use tonic::{Request, Response, Status};

use crate::proto::plugin::{StdioData, grpc_controller_server, grpc_stdio_server};

pub(crate) struct Controller {
    shutdown: mpsc::Sender<()>,
}

impl Controller {
    pub(crate) fn new(shutdown: mpsc::Sender<()>) -> Self {
        Controller { shutdown }
    }
}

#[tonic::async_trait]
impl grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _request: Request<()>) -> Result<Response<()>, Status> {
        tracing::debug!("Shutdown requested by the client");
        let _ = self.shutdown.try_send(());
        Ok(Response::new(()))
    }
}

/// Logs go to stderr directly, so the stdio stream stays open and idle.
pub(crate) struct Stdio;

#[tonic::async_trait]
impl grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream = futures::stream::Pending<Result<StdioData, Status>>;

    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(futures::stream::pending()))
    }
}
