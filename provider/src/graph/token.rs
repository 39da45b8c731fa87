//! Access tokens for Graph: fetched once per credential, cached, refreshed
//! a few minutes before they expire, and invalidated after a 401.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use tokio::sync::Mutex;

use super::credentials::{Credential, OidcSource, Secret};
use super::{GraphError, device_code};
use crate::config::ClientSettings;

const REFRESH_MARGIN: Duration = Duration::from_secs(300);
const GITHUB_AUDIENCE: &str = "api://AzureADTokenExchange";
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub(super) struct TokenCache {
    http: reqwest::Client,
    token_url: String,
    /// The device authorization endpoint (device code sign-in).
    device_code_url: String,
    /// The login root, which a cached sign-in belongs to.
    login_url: String,
    tenant_id: String,
    client_id: String,
    credential: Credential,
    /// The Graph resource (`https://graph.microsoft.com`), whose `/.default` scope is asked for.
    resource: String,
    current: Mutex<Option<(Secret, Instant)>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct TokenError {
    error: String,
    #[serde(default)]
    error_description: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CliToken {
    access_token: String,
    #[serde(default, rename = "expires_on")]
    expires_on: Option<i64>,
}

#[derive(Deserialize)]
struct GitHubToken {
    value: String,
}

/// The login endpoint's error body as an error.
fn token_error(status: u16, bytes: &[u8]) -> GraphError {
    match serde_json::from_slice::<TokenError>(bytes) {
        Ok(e) => auth_error(&e.error, e.error_description),
        Err(_) => auth_error(
            &format!("HTTP {status}"),
            String::from_utf8_lossy(bytes)
                .chars()
                .take(300)
                .collect::<String>(),
        ),
    }
}

fn auth_error(code: &str, description: impl Into<String>) -> GraphError {
    GraphError::Auth {
        code: code.to_string(),
        description: description.into(),
    }
}

/// Seconds from a number or a numeric string.
fn seconds(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl TokenCache {
    pub(super) fn new(http: reqwest::Client, settings: &ClientSettings) -> Self {
        let login = settings.login_url.as_str().trim_end_matches('/');
        TokenCache {
            http,
            token_url: format!("{login}/{}/oauth2/v2.0/token", settings.tenant_id),
            device_code_url: format!("{login}/{}/oauth2/v2.0/devicecode", settings.tenant_id),
            login_url: login.to_string(),
            tenant_id: settings.tenant_id.clone(),
            client_id: settings.client_id.clone(),
            credential: settings.credential.clone(),
            resource: settings.cloud.graph_url().to_string(),
            current: Mutex::new(None),
        }
    }

    /// A valid token; concurrent callers wait for a single fetch.
    pub(super) async fn token(&self) -> Result<Secret, GraphError> {
        let mut current = self.current.lock().await;
        if let Some((token, expires)) = current.as_ref()
            && Instant::now() + REFRESH_MARGIN < *expires
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.fetch().await?;
        *current = Some((token.clone(), Instant::now() + lifetime));
        Ok(token)
    }

    /// Whether the tokens are a user's (delegated) rather than app-only.
    pub(super) fn is_delegated(&self) -> bool {
        self.credential.is_delegated()
    }

    /// Forgets the cached token (after Graph refused it).
    pub(super) async fn invalidate(&self) {
        *self.current.lock().await = None;
    }

    async fn fetch(&self) -> Result<(Secret, Duration), GraphError> {
        tracing::debug!(
            method = self.credential.describe(),
            "requesting an access token"
        );
        match &self.credential {
            Credential::ClientSecret(secret) => {
                self.client_credentials(&[("client_secret", secret.expose())])
                    .await
            }
            Credential::ClientCertificate(certificate) => {
                let assertion = certificate
                    .sign(&self.client_id, &self.token_url)
                    .map_err(|e| auth_error("client_certificate", e.to_string()))?;
                self.assertion_grant(&assertion).await
            }
            Credential::Oidc(source) => {
                let assertion = self.oidc_token(source).await?;
                self.assertion_grant(&assertion).await
            }
            Credential::ManagedIdentity => self.managed_identity().await,
            Credential::AzureCli => self.azure_cli().await,
            Credential::DeviceCode { cache_path } => self.device_code(cache_path).await,
        }
    }

    /// The device code sign-in (see [`device_code`]): the cached refresh
    /// token, else the pending code redeemed, else a new code and the
    /// prompt as the error.
    async fn device_code(&self, cache: &Path) -> Result<(Secret, Duration), GraphError> {
        let login = self.login_url.as_str();
        let mut cached = device_code::load(cache, login, &self.tenant_id, &self.client_id);
        let scope = format!("{}/.default offline_access", self.resource);
        if let Some(refresh) = cached.refresh_token.clone() {
            let form = [
                ("grant_type", "refresh_token"),
                ("client_id", self.client_id.as_str()),
                ("refresh_token", refresh.as_str()),
                ("scope", scope.as_str()),
            ];
            match self.user_tokens(&form).await {
                Ok(tokens) => return self.keep(cache, &mut cached, &tokens),
                Err(e) => {
                    tracing::info!(error = %e, "the cached sign-in no longer works; signing in again");
                    cached.refresh_token = None;
                }
            }
        }
        if let Some(code) = cached.pending.clone().filter(device_code::is_live) {
            let form = [
                ("grant_type", device_code::DEVICE_CODE_GRANT),
                ("client_id", self.client_id.as_str()),
                ("device_code", code.device_code.as_str()),
            ];
            let until = tokio::time::Instant::now() + device_code::redeem_wait(&code);
            loop {
                match self.user_tokens(&form).await {
                    Ok(tokens) => {
                        cached.pending = None;
                        return self.keep(cache, &mut cached, &tokens);
                    }
                    Err(GraphError::Auth { code: error, .. })
                        if error == "authorization_pending" || error == "slow_down" =>
                    {
                        let wait = Duration::from_secs(code.interval);
                        if tokio::time::Instant::now() + wait > until {
                            return Err(device_code::sign_in_required(&code, cache, true));
                        }
                        tokio::time::sleep(wait).await;
                    }
                    Err(e) => {
                        tracing::info!(error = %e, "the pending device code cannot be redeemed; asking for a new one");
                        break;
                    }
                }
            }
        }
        let answer: device_code::DeviceCodeAnswer = self
            .post_form(
                &self.device_code_url,
                &[
                    ("client_id", self.client_id.as_str()),
                    ("scope", scope.as_str()),
                ],
            )
            .await?;
        let code = device_code::pending_from(answer);
        cached.pending = Some(code.clone());
        device_code::save(cache, &cached)?;
        Err(device_code::sign_in_required(&code, cache, false))
    }

    /// Keeps the (rotated) refresh token and returns the access token.
    fn keep(
        &self,
        cache: &Path,
        cached: &mut device_code::Cached,
        tokens: &device_code::Tokens,
    ) -> Result<(Secret, Duration), GraphError> {
        if let Some(refresh) = &tokens.refresh_token {
            cached.refresh_token = Some(refresh.clone());
        }
        device_code::save(cache, cached)?;
        Ok(device_code::access(tokens))
    }

    /// A token request for a user's tokens (device code or refresh token).
    async fn user_tokens(&self, form: &[(&str, &str)]) -> Result<device_code::Tokens, GraphError> {
        self.post_form(&self.token_url, form).await
    }

    /// POSTs a form to the login endpoint and reads its JSON answer; a refusal becomes the
    /// token error it names.
    async fn post_form<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<T, GraphError> {
        let transport = |e: reqwest::Error| GraphError::Transport {
            url: url.to_string(),
            reason: e.to_string(),
        };
        let response = self
            .http
            .post(url)
            .form(form)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if !status.is_success() {
            return Err(token_error(status.as_u16(), &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| GraphError::Decode {
            path: url.to_string(),
            reason: e.to_string(),
        })
    }

    async fn assertion_grant(&self, assertion: &Secret) -> Result<(Secret, Duration), GraphError> {
        self.client_credentials(&[
            ("client_assertion_type", CLIENT_ASSERTION_TYPE),
            ("client_assertion", assertion.expose()),
        ])
        .await
    }

    async fn client_credentials(
        &self,
        proof: &[(&str, &str)],
    ) -> Result<(Secret, Duration), GraphError> {
        let scope = format!("{}/.default", self.resource);
        let mut form: Vec<(&str, &str)> = vec![
            ("grant_type", "client_credentials"),
            ("client_id", &self.client_id),
            ("scope", &scope),
        ];
        form.extend_from_slice(proof);
        let response = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|e| GraphError::Transport {
                url: self.token_url.clone(),
                reason: e.to_string(),
            })?;
        self.token_response(response, &self.token_url).await
    }

    async fn token_response(
        &self,
        response: reqwest::Response,
        url: &str,
    ) -> Result<(Secret, Duration), GraphError> {
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| GraphError::Transport {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        if status.is_success() {
            let token: TokenResponse =
                serde_json::from_slice(&bytes).map_err(|e| GraphError::Decode {
                    path: url.to_string(),
                    reason: e.to_string(),
                })?;
            let lifetime = token
                .expires_in
                .as_ref()
                .and_then(seconds)
                .or_else(|| {
                    let on = token.expires_on.as_ref().and_then(seconds)?;
                    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
                    Some(on.saturating_sub(now))
                })
                .unwrap_or(3600);
            return Ok((
                Secret::new(token.access_token),
                Duration::from_secs(lifetime),
            ));
        }
        Err(token_error(status.as_u16(), &bytes))
    }

    async fn oidc_token(&self, source: &OidcSource) -> Result<Secret, GraphError> {
        match source {
            OidcSource::Token(token) => Ok(token.clone()),
            OidcSource::File(path) => std::fs::read_to_string(path)
                .map(|t| Secret::new(t.trim()))
                .map_err(|e| {
                    auth_error(
                        "oidc_token_file_path",
                        format!("cannot read {}: {e}", path.display()),
                    )
                }),
            OidcSource::GitHubActions {
                request_url,
                request_token,
            } => {
                let separator = if request_url.contains('?') { '&' } else { '?' };
                let url = format!("{request_url}{separator}audience={GITHUB_AUDIENCE}");
                let response = self
                    .http
                    .get(&url)
                    .bearer_auth(request_token.expose())
                    .send()
                    .await
                    .map_err(|e| GraphError::Transport {
                        url: request_url.clone(),
                        reason: e.to_string(),
                    })?;
                if !response.status().is_success() {
                    return Err(auth_error(
                        "github_actions",
                        format!(
                            "the GitHub Actions token service answered HTTP {}",
                            response.status().as_u16()
                        ),
                    ));
                }
                let token: GitHubToken = response.json().await.map_err(|e| GraphError::Decode {
                    path: request_url.clone(),
                    reason: e.to_string(),
                })?;
                Ok(Secret::new(token.value))
            }
        }
    }

    /// App Service's IDENTITY_ENDPOINT when set, else the instance metadata
    /// service (overridable with AUTOPILOT_IMDS_ENDPOINT for tests).
    async fn managed_identity(&self) -> Result<(Secret, Duration), GraphError> {
        let resource = format!("{}/", self.resource);
        let user_assigned = (!self.client_id.is_empty()).then_some(self.client_id.as_str());
        // (endpoint, API version, the header proving the caller runs there)
        let (endpoint, api_version, (header, proof)) = match (
            std::env::var("IDENTITY_ENDPOINT"),
            std::env::var("IDENTITY_HEADER"),
        ) {
            (Ok(endpoint), Ok(header)) => (endpoint, "2019-08-01", ("X-IDENTITY-HEADER", header)),
            _ => (
                std::env::var("AUTOPILOT_IMDS_ENDPOINT").unwrap_or_else(|_| {
                    "http://169.254.169.254/metadata/identity/oauth2/token".to_string()
                }),
                "2018-02-01",
                ("Metadata", "true".to_string()),
            ),
        };
        let mut query = vec![
            ("api-version", api_version),
            ("resource", resource.as_str()),
        ];
        if let Some(id) = user_assigned {
            query.push(("client_id", id));
        }
        let response = self
            .http
            .get(endpoint)
            .query(&query)
            .header(header, proof)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| GraphError::Transport {
                url: "managed identity endpoint".into(),
                reason: e.to_string(),
            })?;
        self.token_response(response, "managed identity endpoint")
            .await
    }

    async fn azure_cli(&self) -> Result<(Secret, Duration), GraphError> {
        let mut command = tokio::process::Command::new("az");
        command.args([
            "account",
            "get-access-token",
            "--resource",
            &self.resource,
            "--output",
            "json",
        ]);
        if !self.tenant_id.is_empty() {
            command.args(["--tenant", &self.tenant_id]);
        }
        let output = command.output().await.map_err(|e| {
            auth_error(
                "azure_cli",
                format!("cannot run `az` (is the Azure CLI installed?): {e}"),
            )
        })?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(auth_error(
                "azure_cli",
                format!(
                    "`az account get-access-token` failed: {}",
                    stderr.trim().chars().take(300).collect::<String>()
                ),
            ));
        }
        let token: CliToken = serde_json::from_slice(&output.stdout)
            .map_err(|e| auth_error("azure_cli", format!("unexpected output from `az`: {e}")))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let lifetime = token
            .expires_on
            .and_then(|on| u64::try_from(on).ok())
            .map(|on| on.saturating_sub(now))
            .unwrap_or(600);
        Ok((
            Secret::new(token.access_token),
            Duration::from_secs(lifetime),
        ))
    }
}
