//! Binding, routing and serving one lab instance.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::middleware;
use axum::response::Response;
use axum::routing::{any, get, post};
use serde::Serialize;
use tokio::net::TcpListener;

use crate::net::{ConnectionInfo, LabListener};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::{App, SharedApp};
use crate::auth::assertion::{self, AssertionTrust};
use crate::auth::{bearer, discovery, token_endpoint};
use crate::clock::Clock;
use crate::config::LabConfig;
use crate::context::{self, RequestContext};
use crate::errors::GraphError;
use crate::request_log::RequestLog;
use crate::settings::{Settings, SharedSettings};
use crate::store::{Store, StoreError};
use crate::{control, faults, graph, seed};

/// Failures starting or running the lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
    #[error("server task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("unknown role '{0}' in --roles (known roles: see README)")]
    UnknownRole(String),
    #[error(transparent)]
    Credential(#[from] crate::auth::assertion::CredentialError),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// The ready line: where to reach the lab and how to log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ReadyInfo {
    /// `http://127.0.0.1:PORT` (no trailing slash); Graph is at `<graph_url>/beta/...`.
    pub graph_url: String,
    /// `http://127.0.0.1:PORT`; tokens at `<login_url>/<tenant_id>/oauth2/v2.0/token`.
    pub login_url: String,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// With `--tls`: the PEM file of the lab's self-signed certificate, to trust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
}

impl ReadyInfo {
    /// `<login_url>/<tenant_id>/oauth2/v2.0/token`.
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.login_url, self.tenant_id)
    }
}

/// A bound, not yet serving, lab.
pub struct LabServer {
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: Router,
    info: ReadyInfo,
}

impl LabServer {
    /// Opens the state (if any) and binds the listener.
    pub async fn bind(config: LabConfig) -> Result<Self, LabError> {
        let roles = granted_roles(&config)?;
        let trust = load_trust(&config)?;
        let store = Store::open(config.state_file.clone(), seed::seeded_tenant(&config))?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| LabError::Bind {
                addr: config.listen,
                source,
            })?;
        let local = listener.local_addr().map_err(|source| LabError::Bind {
            addr: config.listen,
            source,
        })?;
        let tls = if config.tls {
            let dir = config.tls_dir.clone().unwrap_or_else(|| {
                std::env::temp_dir().join(format!(
                    "autopilot-lab-{}-{}",
                    std::process::id(),
                    local.port()
                ))
            });
            Some(crate::tls::setup(&dir, url_ip(local))?)
        } else {
            None
        };
        let base_url = base_url(local, tls.is_some());
        let info = ReadyInfo {
            graph_url: base_url.clone(),
            login_url: base_url.clone(),
            tenant_id: config.tenant_id.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            ca_cert: tls.as_ref().map(|t| t.ca_cert.display().to_string()),
        };
        let objects = store.read(|tenant| tenant.object_count());
        tracing::info!(
            %local,
            state_file = ?config.state_file,
            objects,
            "autopilot-lab bound"
        );
        let settings = SharedSettings::new(Settings::from_config(&config));
        let app = Arc::new(App {
            config,
            graph_url: base_url,
            store,
            tokens: Default::default(),
            log: RequestLog::default(),
            clock: Clock::default(),
            settings,
            throttle: Default::default(),
            faults: Default::default(),
            replication: Default::default(),
            roles,
            trust,
            device_codes: Default::default(),
        });
        Ok(LabServer {
            listener,
            tls: tls.map(|t| t.acceptor),
            router: router(app),
            info,
        })
    }

    pub fn info(&self) -> &ReadyInfo {
        &self.info
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and returns.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), LabError> {
        let service = self
            .router
            .into_make_service_with_connect_info::<ConnectionInfo>();
        axum::serve(LabListener::new(self.listener, self.tls), service)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(LabError::Serve)?;
        tracing::info!("autopilot-lab stopped");
        Ok(())
    }

    /// Serves on a background task; the returned handle stops it (also when dropped).
    pub fn spawn(self) -> LabHandle {
        let info = self.info.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(self.run_until(async move {
            let _ = rx.await;
        }));
        LabHandle {
            info,
            shutdown: Some(tx),
            task: Some(task),
        }
    }
}

/// Binds and serves a lab in the background: the usual entry point for in-process tests.
pub async fn spawn(config: LabConfig) -> Result<LabHandle, LabError> {
    Ok(LabServer::bind(config).await?.spawn())
}

/// A lab serving in the background.
pub struct LabHandle {
    info: ReadyInfo,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), LabError>>>,
}

impl LabHandle {
    pub fn info(&self) -> &ReadyInfo {
        &self.info
    }

    /// Stops serving and waits for the server to finish.
    pub async fn shutdown(mut self) -> Result<(), LabError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }
}

impl Drop for LabHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Certificates and federated credentials from the configuration.
fn load_trust(config: &LabConfig) -> Result<AssertionTrust, LabError> {
    let mut trust = AssertionTrust {
        federated: config.federated_credentials.clone(),
        ..AssertionTrust::default()
    };
    for path in &config.client_certs {
        trust
            .certificates
            .extend(assertion::load_certificates(path)?);
    }
    if let Some(path) = &config.federated_jwks {
        trust.jwks = assertion::load_jwks(path)?;
    }
    Ok(trust)
}

/// The roles tokens carry: every known one, or those named by `--roles`.
fn granted_roles(config: &LabConfig) -> Result<Vec<String>, LabError> {
    match &config.roles {
        None => Ok(crate::auth::GRANTED_ROLES
            .iter()
            .map(|r| (*r).to_owned())
            .collect()),
        Some(roles) => roles
            .iter()
            .map(|role| {
                crate::auth::KNOWN_ROLES
                    .iter()
                    .find(|known| known.eq_ignore_ascii_case(role))
                    .map(|known| (*known).to_owned())
                    .ok_or_else(|| LabError::UnknownRole(role.clone()))
            })
            .collect(),
    }
}

/// The address clients use: a wildcard bind address is replaced by loopback.
fn url_ip(local: SocketAddr) -> IpAddr {
    match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    }
}

/// `http://ip:port` (or `https://` with TLS), so the URL is usable.
fn base_url(local: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    format!(
        "{scheme}://{}",
        SocketAddr::new(url_ip(local), local.port())
    )
}

/// The whole HTTP surface of one lab.
fn router(app: SharedApp) -> Router {
    let graph = Router::new()
        .route("/beta", any(graph::dispatch))
        .route("/beta/", any(graph::dispatch))
        .route("/beta/{*rest}", any(graph::dispatch))
        .route("/v1.0", any(graph::dispatch))
        .route("/v1.0/", any(graph::dispatch))
        .route("/v1.0/{*rest}", any(graph::dispatch))
        .layer(middleware::from_fn_with_state(
            app.clone(),
            bearer::require_token,
        ));
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token_endpoint::token))
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            post(crate::auth::device_code::device_code),
        )
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(discovery::configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(discovery::keys))
        .route("/common/discovery/instance", get(discovery::instance))
        .merge(graph)
        .merge(control::router())
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(app.clone(), faults::inject))
        .layer(middleware::from_fn_with_state(app.clone(), context::edge))
        .with_state(app)
}

/// Any other path: Graph answers an unknown first segment as an invalid version.
async fn fallback(request: Request) -> Response {
    let ctx = RequestContext::of(&request);
    let path = request.uri().path();
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let error = if first == "_lab" {
        GraphError::new(
            axum::http::StatusCode::NOT_FOUND,
            "NotFound",
            format!("No lab control endpoint at {path}."),
        )
    } else {
        GraphError::invalid_version(first)
    };
    error.render(&ctx)
}
