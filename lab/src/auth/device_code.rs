//! The device authorization grant (RFC 8628) as Entra serves it, for clients that sign in as a
//! user through a public client registration: `POST /{tenant}/oauth2/v2.0/devicecode` hands out a
//! device code and a user code; the token endpoint answers `authorization_pending` (AADSTS70016)
//! until the user has signed in (here: `POST /_lab/devicelogin`), then issues a delegated token
//! with a refresh token; `grant_type=refresh_token` renews it. A code is redeemed once and
//! expires after 15 minutes (AADSTS70020).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use uuid::Uuid;

use super::entra_error::EntraError;
use super::token_endpoint::{EntraForm, token_answer};
use super::tokens::TokenRequest;
use crate::app::{App, SharedApp};
use crate::sync::Lock;

/// How long a device code can be redeemed (Entra: 15 minutes).
pub const CODE_LIFETIME: Duration = Duration::from_secs(900);
/// Seconds between polls the client is told to keep (Entra's default).
pub const POLL_INTERVAL: u64 = 5;
/// The grant type of a device code redemption.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[derive(Debug, Clone)]
struct DeviceAuthorization {
    user_code: String,
    client_id: String,
    audience: String,
    expires_at: Instant,
    /// The user who signed in with the user code, once they have.
    user: Option<String>,
}

#[derive(Debug, Clone)]
struct RefreshGrant {
    client_id: String,
    audience: String,
    user: String,
}

/// Device codes handed out and refresh tokens issued.
#[derive(Debug, Default)]
pub struct DeviceCodes {
    codes: Lock<HashMap<String, DeviceAuthorization>>,
    refresh_tokens: Lock<HashMap<String, RefreshGrant>>,
}

/// What the token endpoint does with a device code.
pub enum Redemption {
    Token { user: String, audience: String },
    Failed(EntraError),
}

impl DeviceCodes {
    /// Signs `user` in with `user_code` (the user typed it on the sign-in page). False when no
    /// live code has that user code.
    pub fn approve(&self, user_code: &str, user: &str) -> bool {
        let now = Instant::now();
        let mut codes = self.codes.lock();
        match codes
            .values_mut()
            .find(|c| c.user_code.eq_ignore_ascii_case(user_code) && c.expires_at > now)
        {
            Some(code) => {
                code.user = Some(user.to_owned());
                true
            }
            None => false,
        }
    }

    /// The user codes waiting for a sign-in, for `GET /_lab/devicelogin`.
    pub fn pending_user_codes(&self) -> Vec<String> {
        let now = Instant::now();
        self.codes
            .lock()
            .values()
            .filter(|c| c.user.is_none() && c.expires_at > now)
            .map(|c| c.user_code.clone())
            .collect()
    }

    fn redeem(&self, device_code: &str, client_id: &str) -> Redemption {
        let mut codes = self.codes.lock();
        let Some(code) = codes.get(device_code).cloned() else {
            return Redemption::Failed(invalid_device_code());
        };
        if !code.client_id.eq_ignore_ascii_case(client_id) {
            return Redemption::Failed(invalid_device_code());
        }
        if code.expires_at <= Instant::now() {
            codes.remove(device_code);
            return Redemption::Failed(EntraError::new(
                StatusCode::BAD_REQUEST,
                "expired_token",
                70020,
                "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
            ));
        }
        match code.user {
            None => Redemption::Failed(EntraError::new(
                StatusCode::BAD_REQUEST,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            )),
            Some(user) => {
                codes.remove(device_code);
                Redemption::Token {
                    user,
                    audience: code.audience,
                }
            }
        }
    }

    fn new_refresh_token(&self, grant: RefreshGrant) -> String {
        let token = format!("lab-rt-{}", Uuid::new_v4().simple());
        self.refresh_tokens.lock().insert(token.clone(), grant);
        token
    }

    /// Refresh tokens rotate: the one used is spent.
    fn use_refresh_token(&self, token: &str, client_id: &str) -> Option<RefreshGrant> {
        let mut tokens = self.refresh_tokens.lock();
        match tokens.get(token) {
            Some(grant) if grant.client_id.eq_ignore_ascii_case(client_id) => tokens.remove(token),
            _ => None,
        }
    }

    /// Forgets every code and refresh token (`POST /_lab/reset` keeps tokens; this is for tests).
    pub fn clear(&self) {
        self.codes.lock().clear();
        self.refresh_tokens.lock().clear();
    }
}

fn invalid_device_code() -> EntraError {
    EntraError::new(
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        70000,
        "The provided value for the input parameter 'device_code' is not valid.",
    )
}

/// The Graph resource of a delegated scope list (`https://graph.microsoft.com/.default
/// offline_access`): the resource of its `/.default` scope.
fn audience_of(scope: &str) -> Option<&str> {
    scope
        .split_whitespace()
        .find_map(|s| s.strip_suffix("/.default"))
        .filter(|resource| !resource.is_empty())
}

/// `POST /{tenant}/oauth2/v2.0/devicecode` (`client_id`, `scope`).
pub async fn device_code(State(app): State<SharedApp>, form: EntraForm) -> Response {
    form.answer(&app, start, "device code refused")
}

fn start(app: &App, tenant: &str, form: &HashMap<String, String>) -> Result<Response, EntraError> {
    let config = &app.config;
    if !tenant.eq_ignore_ascii_case(&config.tenant_id) {
        return Err(EntraError::tenant_not_found(tenant));
    }
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let client_id = field("client_id").ok_or_else(|| EntraError::missing_parameter("client_id"))?;
    let scope = field("scope").ok_or_else(|| EntraError::missing_parameter("scope"))?;
    if !client_id.eq_ignore_ascii_case(&config.client_id) {
        return Err(EntraError::unknown_application(client_id, tenant));
    }
    let audience = audience_of(scope).ok_or_else(|| EntraError::invalid_scope(scope))?;
    let device_code = format!("lab-dc-{}", Uuid::new_v4().simple());
    let user_code: String = {
        // Eight characters from an alphabet without look-alikes, from random bytes.
        const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let random = Uuid::new_v4();
        let letters: Vec<char> = random.as_bytes()[..8]
            .iter()
            .map(|b| LETTERS[usize::from(*b) % LETTERS.len()] as char)
            .collect();
        format!(
            "{}-{}",
            letters[..4].iter().collect::<String>(),
            letters[4..].iter().collect::<String>()
        )
    };
    app.device_codes.codes.lock().insert(
        device_code.clone(),
        DeviceAuthorization {
            user_code: user_code.clone(),
            client_id: client_id.to_owned(),
            audience: audience.to_owned(),
            expires_at: Instant::now() + CODE_LIFETIME,
            user: None,
        },
    );
    let verification_uri = format!("{}/_lab/devicelogin", app.graph_url);
    tracing::info!(%user_code, "device code issued");
    Ok(crate::auth::token_endpoint::json_answer(&json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": verification_uri,
        "expires_in": CODE_LIFETIME.as_secs(),
        "interval": POLL_INTERVAL,
        "message": format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."),
    })))
}

/// The token endpoint's device code grant (`client_id`, `device_code`).
pub fn redeem(app: &App, form: &HashMap<String, String>) -> Result<Response, EntraError> {
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let client_id = field("client_id").ok_or_else(|| EntraError::missing_parameter("client_id"))?;
    let device_code =
        field("device_code").ok_or_else(|| EntraError::missing_parameter("device_code"))?;
    match app.device_codes.redeem(device_code, client_id) {
        Redemption::Failed(error) => Err(error),
        Redemption::Token { user, audience } => {
            Ok(issue_user_tokens(app, client_id, &user, &audience))
        }
    }
}

/// The token endpoint's refresh token grant (`client_id`, `refresh_token`).
pub fn refresh(app: &App, form: &HashMap<String, String>) -> Result<Response, EntraError> {
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let client_id = field("client_id").ok_or_else(|| EntraError::missing_parameter("client_id"))?;
    let token =
        field("refresh_token").ok_or_else(|| EntraError::missing_parameter("refresh_token"))?;
    let grant = app
        .device_codes
        .use_refresh_token(token, client_id)
        .ok_or_else(|| {
            EntraError::new(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                9002313,
                "Invalid request. Request is malformed or invalid.",
            )
        })?;
    Ok(issue_user_tokens(
        app,
        &grant.client_id,
        &grant.user,
        &grant.audience,
    ))
}

/// A delegated access token (the granted permissions as `scp`) and a new refresh token.
fn issue_user_tokens(app: &App, client_id: &str, user: &str, audience: &str) -> Response {
    let config = &app.config;
    let graph = crate::auth::token_endpoint::is_graph_audience(audience, &app.graph_url);
    let lifetime = config.token_lifetime;
    let access_token = app.tokens.issue(&TokenRequest {
        tenant_id: &config.tenant_id,
        client_id,
        audience,
        graph,
        roles: &app.roles,
        user: Some(user),
        lifetime,
        now: app.clock.now(),
    });
    let refresh_token = app.device_codes.new_refresh_token(RefreshGrant {
        client_id: client_id.to_owned(),
        audience: audience.to_owned(),
        user: user.to_owned(),
    });
    tracing::info!(audience, graph, "delegated access token issued");
    token_answer(&json!({
        "token_type": "Bearer",
        "scope": app.roles.join(" "),
        "expires_in": lifetime.as_secs(),
        "ext_expires_in": lifetime.as_secs(),
        "access_token": access_token,
        "refresh_token": refresh_token,
    }))
}
