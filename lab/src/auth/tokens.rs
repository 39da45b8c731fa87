//! Access tokens issued by the lab.
//!
//! A token looks like an unsigned JWT (`alg: none`) so that clients which peek at `exp` or `tid`
//! work, but the lab never trusts its content: a token is valid only if the lab issued it, it has
//! not expired, and its audience is Graph.

use crate::sync::Lock;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

/// Expired tokens are remembered this long so that they are reported as expired, not unknown.
const EXPIRED_RETENTION: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
struct Issued {
    audience: String,
    graph: bool,
    expires_at: Instant,
    caller: Caller,
}

/// Who is calling Graph, from the token: the application and its roles. Handlers find it in the
/// request extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub app_id: String,
    /// Application permissions (app-only tokens) or delegated scopes (user tokens).
    pub roles: Vec<String>,
    /// The signed-in user's principal name for a delegated token; `None` for an app-only token.
    pub user: Option<String>,
}

impl Caller {
    /// Whether the token is an application (app-only) token rather than a user's.
    pub fn is_app_only(&self) -> bool {
        self.user.is_none()
    }

    pub fn has_any(&self, roles: &[&str]) -> bool {
        roles
            .iter()
            .any(|wanted| self.roles.iter().any(|r| r.eq_ignore_ascii_case(wanted)))
    }
}

/// Outcome of checking a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    Valid(Caller),
    /// Issued by the lab for another resource.
    WrongAudience(String),
    Expired,
    /// Not issued by this lab instance.
    Unknown,
}

/// What to put into a new token.
#[derive(Debug, Clone)]
pub struct TokenRequest<'a> {
    pub tenant_id: &'a str,
    pub client_id: &'a str,
    /// Resource the token is for (the scope without `/.default`).
    pub audience: &'a str,
    /// Whether Graph accepts this audience.
    pub graph: bool,
    pub roles: &'a [String],
    /// The signed-in user (a delegated token, `scp` instead of `roles`); `None`: app-only.
    pub user: Option<&'a str>,
    pub lifetime: Duration,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct TokenStore {
    tokens: Lock<HashMap<String, Issued>>,
}

impl TokenStore {
    /// Issues and remembers a new token.
    pub fn issue(&self, request: &TokenRequest<'_>) -> String {
        let iat = request.now.timestamp();
        let lifetime = i64::try_from(request.lifetime.as_secs()).unwrap_or(i64::MAX / 2);
        let header = json!({ "typ": "JWT", "alg": "none" });
        let mut claims = json!({
            "aud": request.audience,
            "iss": format!("https://sts.windows.net/{}/", request.tenant_id),
            "iat": iat,
            "nbf": iat,
            "exp": iat.saturating_add(lifetime),
            "appid": request.client_id,
            "idtyp": "app",
            "tid": request.tenant_id,
            "roles": request.roles,
            "uti": Uuid::new_v4().simple().to_string(),
            "ver": "1.0",
        });
        if let (Some(user), Some(map)) = (request.user, claims.as_object_mut()) {
            // A delegated token: the user, and the scopes in `scp` (space separated).
            map.remove("roles");
            map.insert("idtyp".into(), json!("user"));
            map.insert("upn".into(), json!(user));
            map.insert("scp".into(), json!(request.roles.join(" ")));
        }
        let token = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let now = Instant::now();
        let mut tokens = self.tokens.lock();
        tokens.retain(|_, issued| issued.expires_at + EXPIRED_RETENTION > now);
        tokens.insert(
            token.clone(),
            Issued {
                audience: request.audience.to_owned(),
                graph: request.graph,
                expires_at: now + request.lifetime,
                caller: Caller {
                    app_id: request.client_id.to_owned(),
                    roles: request.roles.to_vec(),
                    user: request.user.map(str::to_owned),
                },
            },
        );
        token
    }

    pub fn check(&self, token: &str) -> TokenCheck {
        match self.tokens.lock().get(token) {
            None => TokenCheck::Unknown,
            Some(issued) if issued.expires_at <= Instant::now() => TokenCheck::Expired,
            Some(issued) if !issued.graph => TokenCheck::WrongAudience(issued.audience.clone()),
            Some(issued) => TokenCheck::Valid(issued.caller.clone()),
        }
    }

    /// Forgets every token (clients must log in again).
    pub fn revoke_all(&self) {
        self.tokens.lock().clear();
    }
}
