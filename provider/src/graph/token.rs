//! Access tokens from the login endpoint (client credentials), cached and
//! refreshed a few minutes before they expire.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use super::GraphError;
use crate::config::{ClientSettings, Credential};

const REFRESH_MARGIN: Duration = Duration::from_secs(300);

pub(super) struct TokenCache {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    credential: Credential,
    scope: String,
    current: Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct TokenError {
    error: String,
    #[serde(default)]
    error_description: String,
}

impl TokenCache {
    pub(super) fn new(http: reqwest::Client, settings: &ClientSettings) -> Self {
        let login = settings.login_url.as_str().trim_end_matches('/');
        TokenCache {
            http,
            token_url: format!("{login}/{}/oauth2/v2.0/token", settings.tenant_id),
            client_id: settings.client_id.clone(),
            credential: settings.credential.clone(),
            scope: format!("{}/.default", settings.cloud.graph_url()),
            current: Mutex::new(None),
        }
    }

    /// A valid token, fetching a new one when none is cached or it is about
    /// to expire. Concurrent callers wait for one fetch.
    pub(super) async fn token(&self) -> Result<String, GraphError> {
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

    /// Forgets the cached token (after Graph refused it).
    pub(super) async fn invalidate(&self) {
        *self.current.lock().await = None;
    }

    async fn fetch(&self) -> Result<(String, Duration), GraphError> {
        let Credential::ClientSecret(secret) = &self.credential;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("scope", self.scope.as_str()),
        ];
        tracing::debug!(url = %self.token_url, "requesting an access token");
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
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| GraphError::Transport {
            url: self.token_url.clone(),
            reason: e.to_string(),
        })?;
        if status.is_success() {
            let token: TokenResponse =
                serde_json::from_slice(&bytes).map_err(|e| GraphError::Decode {
                    path: self.token_url.clone(),
                    reason: e.to_string(),
                })?;
            return Ok((token.access_token, Duration::from_secs(token.expires_in)));
        }
        match serde_json::from_slice::<TokenError>(&bytes) {
            Ok(e) => Err(GraphError::Auth {
                code: e.error,
                description: e.error_description,
            }),
            Err(_) => Err(GraphError::Auth {
                code: format!("HTTP {}", status.as_u16()),
                description: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
            }),
        }
    }
}
