//! Graph's errors as typed values, including Intune's habit of putting a
//! JSON document inside `error.message`.

use serde_json::Value as Json;

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
    /// The operation's timeout (`timeouts.<operation>`) ran out, or would
    /// have before this request or wait ended: it was not made.
    #[error("{operation} timed out after {}: {what} was not started", crate::graph::deadline::display_duration(*.budget))]
    TimedOut {
        operation: &'static str,
        budget: std::time::Duration,
        what: String,
    },
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

/// The least-privileged application permission for a Graph call: the table in
/// [`super::permissions`], which the docs' "API Permissions" sections are made from too.
pub(super) fn required_permission(method: &str, path: &str) -> &'static str {
    super::permissions::required_permission(method, path)
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
    /// or server error that can come after the change committed (see
    /// [`retry::is_outcome_unknown`](super::retry::is_outcome_unknown): a
    /// 500 with Graph's error body is a decided failure).
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            GraphError::Transport { .. } => true,
            GraphError::Api { status, code, .. } => {
                super::retry::is_outcome_unknown(*status, *code != fallback_code(*status))
            }
            _ => false,
        }
    }
}

/// How much of an error message is kept: Graph's own messages are short; a
/// proxy's page or a runaway body is cut.
pub(super) const MAX_MESSAGE_CHARS: usize = 1_000;

/// The parts of a Graph error body: code, readable message, request id.
/// Never fails and never gives an empty code or message: a body that is
/// not Graph's shape (empty, cut off, an HTML page from a proxy, wrong
/// types) becomes a message that says what it was.
pub fn parse_error_body(status: u16, body: &[u8]) -> (String, String, Option<String>) {
    let fallback_code = fallback_code(status);
    let json = serde_json::from_slice::<Json>(body).ok();
    match json.as_ref().and_then(|j| j.get("error")) {
        Some(Json::Object(error)) => {
            let code = text(error.get("code")).unwrap_or(fallback_code);
            let message = text(error.get("message"))
                .map(|m| unwrap_intune_message(&m).unwrap_or(m))
                .unwrap_or_else(|| format!("HTTP {status} with no error message"));
            let request_id = ["innerError", "innererror"]
                .iter()
                .find_map(|key| error.get(*key))
                .and_then(|inner| inner.get("request-id"))
                .and_then(Json::as_str)
                .map(str::to_string);
            (code, clip(&message), request_id)
        }
        // The login endpoint's shape: `{"error":"invalid_client","error_description":"..."}`.
        Some(Json::String(code)) if !code.trim().is_empty() => {
            let message = text(json.as_ref().and_then(|j| j.get("error_description")))
                .unwrap_or_else(|| format!("HTTP {status} with error {code:?}"));
            (code.clone(), clip(&message), None)
        }
        _ => (
            fallback_code,
            unreadable_error_body(status, body, json.is_some()),
            None,
        ),
    }
}

/// The code of an error whose body is not Graph's shape (`HTTP500`).
pub(crate) fn fallback_code(status: u16) -> String {
    format!("HTTP{status}")
}

/// Whether an error body has Graph's shape, `{"error":{"code":...}}`: the
/// service itself answered (not a gateway or proxy).
pub(crate) fn is_graph_error_body(body: &[u8]) -> bool {
    serde_json::from_slice::<Json>(body)
        .ok()
        .and_then(|j| j.get("error").and_then(|e| text(e.get("code"))))
        .is_some()
}

/// A string, number or boolean as text; `None` for anything else or blank.
fn text(value: Option<&Json>) -> Option<String> {
    let text = match value? {
        Json::String(s) => s.clone(),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!text.trim().is_empty()).then_some(text)
}

/// Intune's `{"_version":3,"Message":"...",...}` inside `error.message`.
fn unwrap_intune_message(message: &str) -> Option<String> {
    let inner: Json = serde_json::from_str(message).ok()?;
    text(inner.get("Message"))
}

fn clip(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_string();
    }
    let mut clipped: String = message.chars().take(MAX_MESSAGE_CHARS - 1).collect();
    clipped.push('…');
    clipped
}

/// The message for an error body that is not Graph's error shape.
fn unreadable_error_body(status: u16, body: &[u8], is_json: bool) -> String {
    if let Some(kind) = super::response::describe_non_json(body) {
        return format!("HTTP {status} with {kind} instead of Graph's JSON error");
    }
    let text = String::from_utf8_lossy(body);
    let excerpt: String = text.trim().chars().take(500).collect();
    if is_json {
        format!("HTTP {status} with JSON that is not Graph's error shape: {excerpt}")
    } else {
        format!("HTTP {status} with a body that is not JSON: {excerpt}")
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
        assert_eq!(
            parse_error_body(502, b"").1,
            "HTTP 502 with an empty body instead of Graph's JSON error"
        );
        let (code, message, _) = parse_error_body(500, b"{\"error\": 42");
        assert_eq!(code, "HTTP500");
        assert_eq!(
            message,
            "HTTP 500 with a cut-off JSON body instead of Graph's JSON error"
        );
        let page = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>nginx</h1></body></html>";
        assert_eq!(
            parse_error_body(502, page).1,
            "HTTP 502 with an HTML page (\"502 Bad Gateway\") instead of Graph's JSON error"
        );
        let (code, message, _) = parse_error_body(400, br#"{"value": []}"#);
        assert_eq!(code, "HTTP400");
        assert!(message.contains("not Graph's error shape"), "{message}");
    }

    #[test]
    fn wrong_types_inside_graphs_shape_still_give_a_code_and_message() {
        let (code, message, id) = parse_error_body(
            400,
            br#"{"error":{"code":5,"message":["x"],"innerError":{"request-id":7}}}"#,
        );
        assert_eq!(
            (code.as_str(), message.as_str(), id),
            ("5", "HTTP 400 with no error message", None)
        );
        let (code, message, _) = parse_error_body(409, br#"{"error":{"code":"","message":"  "}}"#);
        assert_eq!(code, "HTTP409");
        assert_eq!(message, "HTTP 409 with no error message");
    }

    #[test]
    fn login_style_errors_and_lowercase_inner_error() {
        let (code, message, _) = parse_error_body(
            401,
            br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret."}"#,
        );
        assert_eq!(code, "invalid_client");
        assert!(message.starts_with("AADSTS7000215"), "{message}");
        let (_, _, id) = parse_error_body(
            500,
            br#"{"error":{"code":"x","message":"y","innererror":{"request-id":"r-1"}}}"#,
        );
        assert_eq!(id.as_deref(), Some("r-1"));
    }

    #[test]
    fn long_messages_are_clipped() {
        let body = serde_json::json!({"error": {"code": "X", "message": "m".repeat(5_000)}});
        let (_, message, _) = parse_error_body(500, body.to_string().as_bytes());
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS);
        assert!(message.ends_with('…'));
    }
}
