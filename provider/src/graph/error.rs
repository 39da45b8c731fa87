//! Graph's errors as typed values, including Intune's habit of putting a
//! JSON document inside `error.message`.

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with an error status.
    #[error("{method} {path} failed with HTTP {status} {code}: {message}{}{}", request_id_suffix(.request_id), permission_hint(*.status, .method, .path))]
    Api {
        method: String,
        path: String,
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// The login endpoint refused the credentials.
    #[error("authentication failed ({code}): {description}")]
    Auth { code: String, description: String },
    #[error("cannot reach {url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("unexpected response from {path}: {reason}")]
    Decode { path: String, reason: String },
    #[error("invalid request path {0:?}")]
    Path(String),
    /// Terraform asked the provider to stop (Ctrl-C) while this request
    /// was waiting to be sent again.
    #[error("stopped while {what}: Terraform asked the provider to stop")]
    Stopped { what: String },
    /// A create's answer was lost and more than one new object with its
    /// name appeared: which one it made cannot be told.
    #[error(
        "the answer to creating {name:?} in {collection} was lost, and several new objects with that name appeared ({}); delete the extra ones, then import the one to keep",
        .ids.join(", ")
    )]
    AmbiguousCreate {
        collection: String,
        name: String,
        ids: Vec<String>,
    },
}

/// For a 403, the Graph application permission the call needs.
fn permission_hint(status: u16, method: &str, path: &str) -> String {
    if status != 403 {
        return String::new();
    }
    format!(
        ". The app registration needs the Microsoft Graph application permission {} (with admin consent)",
        required_permission(method, path)
    )
}

/// The least-privileged application permission for a Graph call
/// (graph-api.md §7.7).
pub fn required_permission(method: &str, path: &str) -> &'static str {
    let rel = path.trim_start_matches('/');
    let rel = rel
        .strip_prefix("beta/")
        .or_else(|| rel.strip_prefix("v1.0/"))
        .unwrap_or(rel)
        .to_ascii_lowercase();
    let write = !method.eq_ignore_ascii_case("GET");
    let service_config = [
        "devicemanagement/windowsautopilot",
        "devicemanagement/deviceenrollmentconfigurations",
        "devicemanagement/importedwindowsautopilot",
    ];
    if service_config.iter().any(|p| rel.starts_with(p)) {
        if write {
            "DeviceManagementServiceConfig.ReadWrite.All"
        } else {
            "DeviceManagementServiceConfig.Read.All"
        }
    } else if rel.starts_with("devicemanagement/") {
        if write {
            "DeviceManagementConfiguration.ReadWrite.All"
        } else {
            "DeviceManagementConfiguration.Read.All"
        }
    } else if rel.starts_with("deviceappmanagement/") {
        "DeviceManagementApps.Read.All"
    } else if rel.starts_with("groups") || rel.starts_with("directoryobjects") {
        if write {
            "Group.ReadWrite.All"
        } else {
            "Group.Read.All"
        }
    } else if rel.starts_with("serviceprincipals") {
        if write {
            "Application.ReadWrite.All"
        } else {
            "Application.Read.All"
        }
    } else if rel.starts_with("users") {
        "User.Read.All"
    } else {
        "(see the provider documentation's permissions table)"
    }
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    request_id
        .as_ref()
        .map(|id| format!(" (request-id {id})"))
        .unwrap_or_default()
}

impl GraphError {
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether Graph may have applied the request although it failed: the
    /// connection dropped once the request was sent, or a gateway timeout
    /// or server error that can come after the change committed.
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            GraphError::Transport { .. } => true,
            GraphError::Api { status, .. } => super::retry::is_outcome_unknown(*status),
            _ => false,
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    error: Body,
}

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default, rename = "innerError")]
    inner_error: Option<Inner>,
}

#[derive(Deserialize)]
struct Inner {
    #[serde(rename = "request-id")]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct IntuneMessage {
    #[serde(rename = "Message")]
    message: String,
}

/// The parts of a Graph error body: code, readable message, request id.
/// Never fails: a body that is not Graph's shape becomes its own message.
pub fn parse_error_body(status: u16, body: &[u8]) -> (String, String, Option<String>) {
    match serde_json::from_slice::<Envelope>(body) {
        Ok(Envelope { error }) => {
            let message = serde_json::from_str::<IntuneMessage>(&error.message)
                .map(|m| m.message)
                .unwrap_or(error.message);
            let request_id = error.inner_error.and_then(|i| i.request_id);
            (error.code, message, request_id)
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let message = if text.is_empty() {
                format!("HTTP {status} with an empty body")
            } else {
                text.chars().take(500).collect()
            };
            (format!("HTTP{status}"), message, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_names_the_permission() {
        let error = GraphError::Api {
            method: "POST".into(),
            path: "/beta/deviceManagement/windowsAutopilotDeploymentProfiles".into(),
            status: 403,
            code: "Forbidden".into(),
            message: "denied".into(),
            request_id: None,
        };
        assert!(
            error
                .to_string()
                .contains("DeviceManagementServiceConfig.ReadWrite.All")
        );
        assert_eq!(
            required_permission("POST", "/v1.0/servicePrincipals"),
            "Application.ReadWrite.All"
        );
        assert_eq!(
            required_permission("GET", "/beta/groups/x/owners"),
            "Group.Read.All"
        );
        assert_eq!(
            required_permission("PUT", "/beta/deviceManagement/configurationPolicies/x"),
            "DeviceManagementConfiguration.ReadWrite.All"
        );
    }

    #[test]
    fn plain_graph_error() {
        let body = br#"{"error":{"code":"Request_BadRequest","message":"Invalid value","innerError":{"date":"2025-02-13T10:21:18","request-id":"abc","client-request-id":"abc"}}}"#;
        let (code, message, id) = parse_error_body(400, body);
        assert_eq!(
            (code.as_str(), message.as_str(), id.as_deref()),
            ("Request_BadRequest", "Invalid value", Some("abc"))
        );
    }

    #[test]
    fn intune_wrapped_message_is_unwrapped() {
        let body = br#"{"error":{"code":"BadRequest","message":"{\r\n  \"_version\": 3,\r\n  \"Message\": \"An error has occurred - Operation ID: 1\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null\r\n}","innerError":{"request-id":"r"}}}"#;
        let (code, message, _) = parse_error_body(400, body);
        assert_eq!(code, "BadRequest");
        assert_eq!(message, "An error has occurred - Operation ID: 1");
    }

    #[test]
    fn malformed_bodies_become_messages() {
        assert_eq!(parse_error_body(502, b"").1, "HTTP 502 with an empty body");
        assert_eq!(parse_error_body(500, b"{\"error\": 42").0, "HTTP500");
        assert_eq!(
            parse_error_body(500, b"<html>oops</html>").1,
            "<html>oops</html>"
        );
    }
}
