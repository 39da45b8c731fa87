//! The one Graph client: tokens, requests, paging and error mapping.
//! Resources call it and never parse error bodies or build URLs themselves.

mod budget;
pub mod consistency;
mod create;
pub mod credentials;
pub mod deadline;
pub mod device_code;
mod error;
pub mod permissions;
mod response;
mod retry;
mod token;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tfplugin::CancellationToken;
use url::Url;

pub use error::{GraphError, parse_error_body};

use crate::config::ClientSettings;
use budget::Budgets;
pub use create::{Created, NameLookup};
pub use retry::RetryPolicy;
use token::TokenCache;

/// The Graph API version a path is sent to.
#[derive(Debug, Clone, Copy)]
pub enum ApiVersion {
    Beta,
    V1,
}

impl ApiVersion {
    pub(crate) fn segment(self) -> &'static str {
        match self {
            ApiVersion::Beta => "beta",
            ApiVersion::V1 => "v1.0",
        }
    }
}

pub struct GraphClient {
    http: reqwest::Client,
    graph_url: Url,
    tokens: TokenCache,
    budgets: Budgets,
    retry: RetryPolicy,
    cloud: crate::config::Cloud,
    stop: CancellationToken,
    /// Ids of the objects this process created, which a later create of
    /// the same run must never take over as an orphan.
    created_here: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// Whether a request may be sent again when its outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resend {
    /// Doing it twice has the same effect as once (GET, PATCH, PUT, DELETE,
    /// actions that set a state).
    Always,
    /// Doing it twice could duplicate (creates, imports): report instead.
    NotWhenUnknown,
}

/// Why [`GraphClient::send_with`] gave up.
#[derive(Debug)]
enum SendError {
    /// The request failed; Graph did not apply it, or applying it again
    /// was safe and was tried.
    Failed(GraphError),
    /// Graph may or may not have applied the request.
    OutcomeUnknown(GraphError),
}

impl SendError {
    fn into_graph_error(self) -> GraphError {
        match self {
            SendError::Failed(e) | SendError::OutcomeUnknown(e) => e,
        }
    }
}

/// How one attempt at a request ended, when it did not succeed.
enum Failure {
    /// Graph answered with an error status.
    Status {
        status: u16,
        /// The body is Graph's error shape: the service itself answered.
        graph_error_body: bool,
        retry_after: Option<std::time::Duration>,
        error: GraphError,
    },
    /// The connection failed before the request was sent: safe to resend.
    NotSent(GraphError),
    /// The connection failed after the request may have reached Graph.
    Lost(GraphError),
    /// Anything else: not retried.
    Fatal(GraphError),
}

#[derive(serde::Deserialize)]
struct Page<T> {
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

impl GraphClient {
    pub fn new(settings: ClientSettings) -> Result<Self, GraphError> {
        // The provider's one HTTP client (clippy.toml forbids building others): every
        // request goes through it, with its retries, budgets and tokens.
        #[allow(clippy::disallowed_methods)]
        let http = reqwest::Client::builder()
            .user_agent(concat!(
                "terraform-provider-autopilot/",
                env!("CARGO_PKG_VERSION")
            ))
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .map_err(|e| GraphError::Transport {
                url: settings.graph_url.to_string(),
                reason: e.to_string(),
            })?;
        let tokens = TokenCache::new(http.clone(), &settings);
        Ok(GraphClient {
            http,
            cloud: settings.cloud,
            graph_url: settings.graph_url,
            tokens,
            budgets: Budgets::default(),
            retry: RetryPolicy::default(),
            stop: CancellationToken::new(),
            created_here: Default::default(),
        })
    }

    /// The client stops waiting and retrying once `stop` is cancelled
    /// (Terraform's StopProvider).
    pub fn with_stop(mut self, stop: CancellationToken) -> Self {
        self.stop = stop;
        self
    }

    /// Gets a token now (the device code sign-in's prompt must reach the
    /// user at configuration, as a diagnostic, before any resource runs).
    pub async fn sign_in(&self) -> Result<(), GraphError> {
        self.tokens.token().await.map(drop)
    }

    /// Whether the client signs in as a user (delegated tokens: Azure CLI,
    /// device code) rather than as the application itself (app-only).
    pub fn is_delegated(&self) -> bool {
        self.tokens.is_delegated()
    }

    /// The cloud the client talks to (from `environment`).
    pub fn cloud(&self) -> crate::config::Cloud {
        self.cloud
    }

    fn url(&self, version: ApiVersion, path: &str) -> Result<Url, GraphError> {
        let base = self.graph_url.as_str().trim_end_matches('/');
        Url::parse(&format!(
            "{base}/{}/{}",
            version.segment(),
            path.trim_start_matches('/')
        ))
        .map_err(|_| GraphError::Path(path.to_string()))
    }

    /// Sends a request until it succeeds, fails for good, or its deadline
    /// passes: throttling and transient failures are retried here, once the
    /// client-side budget allows, honouring `Retry-After`; a 401 refreshes
    /// the token once. Every failure is resent, including one whose outcome
    /// is unknown: only for requests that may safely be applied twice.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
    ) -> Result<Vec<u8>, GraphError> {
        self.send_with(method, url, body, Resend::Always)
            .await
            .map_err(SendError::into_graph_error)
    }

    /// [`send`](Self::send) to `path` under the API `version`.
    async fn send_to(
        &self,
        method: Method,
        version: ApiVersion,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Vec<u8>, GraphError> {
        self.send(method, self.url(version, path)?, body).await
    }

    /// Sends `body` as JSON to `path` (resent like [`send`](Self::send))
    /// when its answer body is not needed.
    async fn send_body<B: Serialize>(
        &self,
        method: Method,
        version: ApiVersion,
        path: &str,
        body: &B,
    ) -> Result<(), GraphError> {
        let body = to_json(path, body)?;
        self.send_to(method, version, path, Some(body))
            .await
            .map(drop)
    }

    /// [`send`](Self::send) with a choice of what to do when a request's
    /// outcome is unknown (the connection dropped after sending, or a 5xx
    /// other than 503 that Graph may answer after committing).
    async fn send_with(
        &self,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
        resend: Resend,
    ) -> Result<Vec<u8>, SendError> {
        let started = tokio::time::Instant::now();
        let graph_path = graph_relative_path(&url);
        let mut attempt: u32 = 0;
        let mut refreshed = false;
        loop {
            deadline::check(std::time::Duration::ZERO, || {
                format!("{method} {graph_path}")
            })
            .map_err(SendError::Failed)?;
            let spent = self.acquire_budget(&method, &graph_path).await?;
            let outcome = self.send_once(&method, &url, body.as_ref()).await;
            self.budgets.settle(spent).await;
            let failure = match outcome {
                Ok(bytes) => return Ok(bytes),
                Err(failure) => failure,
            };
            let (error, retry_after) = match failure {
                Failure::Status {
                    status: 401, error, ..
                } if !refreshed => {
                    refreshed = true;
                    tracing::debug!(path = %url.path(), reason = %error, "401 from Graph; refreshing the token once");
                    self.tokens.invalidate().await;
                    continue;
                }
                Failure::Status {
                    status,
                    retry_after,
                    error,
                    ..
                } if retry::is_not_processed(status) => (error, retry_after),
                Failure::Status {
                    status,
                    graph_error_body,
                    retry_after,
                    error,
                } if retry::is_outcome_unknown(status, graph_error_body) => match resend {
                    Resend::Always if retry::is_retryable_status(status) => (error, retry_after),
                    Resend::Always => return Err(SendError::Failed(error)),
                    Resend::NotWhenUnknown => return Err(SendError::OutcomeUnknown(error)),
                },
                Failure::NotSent(error) => (error, None),
                Failure::Lost(error) => match resend {
                    Resend::Always => (error, None),
                    Resend::NotWhenUnknown => return Err(SendError::OutcomeUnknown(error)),
                },
                Failure::Status { error, .. } | Failure::Fatal(error) => {
                    return Err(SendError::Failed(error));
                }
            };
            let wait = self.retry.delay(attempt, retry_after, retry::jitter());
            deadline::check(wait, || format!("a retry of {method} {graph_path}"))
                .map_err(SendError::Failed)?;
            if started.elapsed() + wait > self.retry.deadline {
                tracing::warn!(path = %url.path(), attempts = attempt + 1, "giving up: retry deadline reached");
                return Err(SendError::Failed(error));
            }
            tracing::info!(
                method = %method,
                path = %url.path(),
                attempt = attempt + 1,
                wait_ms = wait.as_millis() as u64,
                reason = %error,
                "retrying Graph request"
            );
            self.pause(wait, &format!("waiting to retry {method} {}", url.path()))
                .await
                .map_err(SendError::Failed)?;
            attempt += 1;
        }
    }

    /// Waits for the client-side budget, unless Terraform asks to stop.
    async fn acquire_budget(
        &self,
        method: &Method,
        path: &str,
    ) -> Result<budget::Spent, SendError> {
        let expiry = async {
            match deadline::current() {
                Some(timeout) => {
                    tokio::time::sleep_until(timeout.at()).await;
                    timeout
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            spent = self.budgets.acquire(method, path) => Ok(spent),
            () = self.stop.cancelled() => Err(SendError::Failed(GraphError::Stopped {
                what: format!("waiting for the request budget of {path}"),
            })),
            timeout = expiry => {
                let what = format!("{method} {path} (waiting for the request budget)");
                let refused = deadline::refuse(what.clone()).unwrap_or_else(|| timeout.error(what));
                Err(SendError::Failed(refused))
            }
        }
    }

    /// Sleeps `wait`, or returns [`GraphError::Stopped`] as soon as
    /// Terraform asks the provider to stop. Every wait of the provider
    /// (retries, replication, import polling) goes through here.
    /// Past the deadline of the operation ([`deadline`]), or when `wait`
    /// would end past it, it does not wait and answers
    /// [`GraphError::TimedOut`].
    pub async fn pause(&self, wait: std::time::Duration, what: &str) -> Result<(), GraphError> {
        deadline::check(wait, || what.to_string())?;
        tokio::select! {
            () = tokio::time::sleep(wait) => Ok(()),
            () = self.stop.cancelled() => {
                tracing::info!(what, "stop requested; not waiting any longer");
                Err(GraphError::Stopped { what: what.to_string() })
            }
        }
    }

    fn remember_created(&self, id: String) {
        if let Ok(mut ids) = self.created_here.lock() {
            ids.insert(id);
        }
    }

    fn created_here(&self, id: &str) -> bool {
        self.created_here
            .lock()
            .map(|ids| ids.contains(id))
            .unwrap_or(false)
    }

    /// Whether Terraform has asked the provider to stop.
    pub fn is_stopped(&self) -> bool {
        self.stop.is_cancelled()
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Vec<u8>, Failure> {
        let path = url.path().to_string();
        let token = self.tokens.token().await.map_err(Failure::Fatal)?;
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(token.expose());
        if let Some(body) = body {
            request = request.json(body);
        }
        tracing::debug!(method = %method, path = %path, "graph request");
        let transport = |e: reqwest::Error| GraphError::Transport {
            url: url.to_string(),
            reason: e.to_string(),
        };
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_connect() => return Err(Failure::NotSent(transport(e))),
            Err(e) => return Err(Failure::Lost(transport(e))),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry::parse_retry_after(v, std::time::SystemTime::now()));
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Failure::Lost(transport(e)))?;
        tracing::debug!(method = %method, path = %path, status = status.as_u16(), "graph response");
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        let (code, message, request_id) = parse_error_body(status.as_u16(), &bytes);
        let error = GraphError::Api {
            method: method.to_string(),
            path,
            status: status.as_u16(),
            code,
            message,
            request_id,
        };
        Err(Failure::Status {
            status: status.as_u16(),
            graph_error_body: error::is_graph_error_body(&bytes),
            retry_after,
            error,
        })
    }

    fn decode<T: DeserializeOwned>(path: &str, bytes: &[u8]) -> Result<T, GraphError> {
        response::decode(path, bytes)
    }

    pub async fn get<T: DeserializeOwned>(
        &self,
        version: ApiVersion,
        path: &str,
    ) -> Result<T, GraphError> {
        let bytes = self.send_to(Method::GET, version, path, None).await?;
        Self::decode(path, &bytes)
    }

    /// A GET whose 404 means "gone" rather than an error.
    pub async fn get_optional<T: DeserializeOwned>(
        &self,
        version: ApiVersion,
        path: &str,
    ) -> Result<Option<T>, GraphError> {
        match self.get(version, path).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every item of a collection, following `@odata.nextLink`.
    pub async fn list<T: DeserializeOwned>(
        &self,
        version: ApiVersion,
        path: &str,
    ) -> Result<Vec<T>, GraphError> {
        let mut url = self.url(version, path)?;
        let mut items = Vec::new();
        loop {
            let bytes = self.send(Method::GET, url, None).await?;
            let page: Page<T> = Self::decode(path, &bytes)?;
            items.extend(page.value);
            match page.next_link {
                Some(next) => url = response::next_link(&self.graph_url, path, &next)?,
                None => return Ok(items),
            }
        }
    }

    /// A POST that must not be applied twice (an import): when its
    /// outcome is unknown it is not resent; the error is returned
    /// ([`GraphError::is_outcome_unknown`]) for the caller to find out
    /// what happened. Creates use [`create`](Self::create) instead.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        version: ApiVersion,
        path: &str,
        body: &B,
    ) -> Result<T, GraphError> {
        let body = to_json(path, body)?;
        let bytes = self
            .send_with(
                Method::POST,
                self.url(version, path)?,
                Some(body),
                Resend::NotWhenUnknown,
            )
            .await
            .map_err(SendError::into_graph_error)?;
        Self::decode(path, &bytes)
    }

    /// A POST with an answer that may safely be sent twice (a query such as
    /// `retrieveEnrollmentTimeDeviceMembershipTarget`).
    pub async fn post_idempotent<B: Serialize, T: DeserializeOwned>(
        &self,
        version: ApiVersion,
        path: &str,
        body: &B,
    ) -> Result<T, GraphError> {
        let body = to_json(path, body)?;
        let bytes = self
            .send_to(Method::POST, version, path, Some(body))
            .await?;
        Self::decode(path, &bytes)
    }

    /// A POST without a body (an action that takes no parameters, which
    /// Graph documents as "Do not supply a request body for this method")
    /// whose answer may safely be asked for twice, such as
    /// `retrieveEnrollmentTimeDeviceMembershipTarget`.
    pub async fn post_idempotent_without_body<T: DeserializeOwned>(
        &self,
        version: ApiVersion,
        path: &str,
    ) -> Result<T, GraphError> {
        let bytes = self.send_to(Method::POST, version, path, None).await?;
        Self::decode(path, &bytes)
    }

    /// A POST without a body whose answer is not needed and whose effect is
    /// the same when sent twice (`unassignUserFromDevice`,
    /// `windowsAutopilotSettings/sync`).
    pub async fn post_action_without_body(
        &self,
        version: ApiVersion,
        path: &str,
    ) -> Result<(), GraphError> {
        self.send_to(Method::POST, version, path, None)
            .await
            .map(drop)
    }

    /// A POST whose answer body is not needed (actions answering 200 or
    /// 204) and whose effect is the same when sent twice (`assign`
    /// replaces the whole list, `setPriority`, `updateDeviceProperties`).
    pub async fn post_action<B: Serialize>(
        &self,
        version: ApiVersion,
        path: &str,
        body: &B,
    ) -> Result<(), GraphError> {
        self.send_body(Method::POST, version, path, body).await
    }

    pub async fn patch<B: Serialize>(
        &self,
        version: ApiVersion,
        path: &str,
        body: &B,
    ) -> Result<(), GraphError> {
        self.send_body(Method::PATCH, version, path, body).await
    }

    /// Deletes; an object that is already gone counts as deleted.
    pub async fn delete(&self, version: ApiVersion, path: &str) -> Result<(), GraphError> {
        match self.send_to(Method::DELETE, version, path, None).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn to_json<B: Serialize>(path: &str, body: &B) -> Result<serde_json::Value, GraphError> {
    serde_json::to_value(body).map_err(|e| GraphError::Decode {
        path: path.to_string(),
        reason: e.to_string(),
    })
}

/// The path after the API version (`deviceManagement/...`), for budgets.
fn graph_relative_path(url: &Url) -> String {
    let path = url.path().trim_start_matches('/');
    path.split_once('/')
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_default()
}
