//! Delegated sign-in with the OAuth 2.0 device authorization grant, for
//! users whose own public client registration carries Intune's delegated
//! permissions (the Azure CLI's application is not granted them).
//!
//! Terraform shows a provider's diagnostics, not its stderr, so the prompt
//! cannot be printed while the provider waits: the first run asks Entra for
//! a device code, remembers it in a cache file and fails with the prompt
//! ("open ... and enter the code ..."); the user signs in and runs the
//! command again, which redeems the code. The refresh token Entra returns is
//! kept in the same file (readable by its owner only), so later runs sign in
//! without a prompt until it expires.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::GraphError;
use super::credentials::Secret;

/// The grant type of a device code redemption (RFC 8628).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// How long a run waits for a sign-in that is not complete yet, at most.
const REDEEM_WAIT: Duration = Duration::from_secs(15);

/// What the cache file holds (one sign-in: one tenant, client and login
/// endpoint).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Cached {
    pub login_url: String,
    pub tenant_id: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingCode>,
}

/// A device code waiting for the user to sign in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingCode {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    /// Unix seconds.
    pub expires_at: u64,
    /// Seconds between polls.
    pub interval: u64,
}

/// The device authorization endpoint's answer.
#[derive(Debug, Deserialize)]
pub struct DeviceCodeAnswer {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub interval: Option<u64>,
}

/// Tokens from a redemption or a refresh.
#[derive(Debug, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<serde_json::Value>,
}

pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The default cache file: under `$XDG_CACHE_HOME` (or `~/.cache`), one
/// per tenant and client.
pub fn default_cache_path(tenant_id: &str, client_id: &str) -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })
        .unwrap_or_else(std::env::temp_dir);
    let safe = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    base.join("terraform-provider-autopilot").join(format!(
        "device-code-{}-{}.json",
        safe(tenant_id),
        safe(client_id)
    ))
}

/// Reads the cache file for this sign-in; a missing, unreadable or foreign
/// file counts as empty.
pub fn load(path: &Path, login_url: &str, tenant_id: &str, client_id: &str) -> Cached {
    let fresh = || Cached {
        login_url: login_url.to_string(),
        tenant_id: tenant_id.to_string(),
        client_id: client_id.to_string(),
        ..Cached::default()
    };
    let Ok(text) = std::fs::read_to_string(path) else {
        return fresh();
    };
    match serde_json::from_str::<Cached>(&text) {
        Ok(cached)
            if cached.login_url == login_url
                && cached.tenant_id.eq_ignore_ascii_case(tenant_id)
                && cached.client_id.eq_ignore_ascii_case(client_id) =>
        {
            cached
        }
        Ok(_) => fresh(),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "ignoring an unreadable token cache file");
            fresh()
        }
    }
}

/// Writes the cache file atomically, readable by its owner only.
pub fn save(path: &Path, cached: &Cached) -> Result<(), GraphError> {
    let failed = |e: std::io::Error| GraphError::Auth {
        code: "token_cache".into(),
        description: format!("cannot write the token cache {}: {e}", path.display()),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let text = serde_json::to_string_pretty(cached).map_err(|e| GraphError::Auth {
        code: "token_cache".into(),
        description: e.to_string(),
    })?;
    let temporary = path.with_extension("json.tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary).map_err(failed)?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(failed)?;
        file.sync_all().map_err(failed)?;
    }
    std::fs::rename(&temporary, path).map_err(failed)
}

/// The error that carries the sign-in prompt to the user.
pub fn sign_in_required(code: &PendingCode, cache: &Path, again: bool) -> GraphError {
    let until = chrono::DateTime::from_timestamp(i64::try_from(code.expires_at).unwrap_or(0), 0)
        .map(|t| t.format("%H:%M UTC").to_string())
        .unwrap_or_default();
    let first = if again {
        "The sign-in is not complete yet. "
    } else {
        ""
    };
    GraphError::Auth {
        code: "device_code_sign_in".into(),
        description: format!(
            "{first}To sign in, open {} in a browser and enter the code {} (valid until {until}), as the user \
             whose rights the provider should use. Then run the Terraform command again; the sign-in is \
             remembered in {} until its refresh token expires.",
            code.verification_uri,
            code.user_code,
            cache.display()
        ),
    }
}

/// Whether a pending code can still be redeemed.
pub fn is_live(code: &PendingCode) -> bool {
    code.expires_at > now_unix() + 5
}

/// How long to keep polling a pending code in this run.
pub fn redeem_wait(code: &PendingCode) -> Duration {
    let left = code.expires_at.saturating_sub(now_unix());
    REDEEM_WAIT.min(Duration::from_secs(left))
}

/// A pending code from the device authorization endpoint's answer.
pub fn pending_from(answer: DeviceCodeAnswer) -> PendingCode {
    PendingCode {
        device_code: answer.device_code,
        user_code: answer.user_code,
        verification_uri: answer.verification_uri,
        expires_at: now_unix() + answer.expires_in.unwrap_or(900),
        interval: answer.interval.unwrap_or(5).clamp(1, 60),
    }
}

/// The access token and its lifetime from a token answer.
pub fn access(tokens: &Tokens) -> (Secret, Duration) {
    let lifetime = match &tokens.expires_in {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .unwrap_or(3600);
    (
        Secret::new(tokens.access_token.clone()),
        Duration::from_secs(lifetime),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_round_trips_and_ignores_other_sign_ins() {
        let dir = std::env::temp_dir().join(format!("autopilot-dc-{}", uuid::Uuid::new_v4()));
        let path = dir.join("cache.json");
        let mut cached = load(&path, "https://login", "t1", "c1");
        assert!(cached.refresh_token.is_none());
        cached.refresh_token = Some("rt".into());
        save(&path, &cached).expect("saved");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("file").permissions().mode();
            assert_eq!(mode & 0o077, 0, "only the owner may read it");
        }
        assert_eq!(
            load(&path, "https://login", "T1", "c1")
                .refresh_token
                .as_deref(),
            Some("rt")
        );
        assert!(
            load(&path, "https://login", "t2", "c1")
                .refresh_token
                .is_none()
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_prompt_names_the_page_and_the_code_but_not_the_device_code() {
        let code = PendingCode {
            device_code: "secret-device-code".into(),
            user_code: "ABCD-EFGH".into(),
            verification_uri: "https://microsoft.com/devicelogin".into(),
            expires_at: now_unix() + 600,
            interval: 5,
        };
        let text = sign_in_required(&code, Path::new("/tmp/x.json"), false).to_string();
        assert!(text.contains("https://microsoft.com/devicelogin"), "{text}");
        assert!(text.contains("ABCD-EFGH"), "{text}");
        assert!(!text.contains("secret-device-code"), "{text}");
        assert!(is_live(&code));
    }
}
