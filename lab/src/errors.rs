//! Graph's error shapes.
//!
//! Every Graph error is `{"error":{"code","message","innerError":{"date","request-id",
//! "client-request-id"}}}`. Errors raised by the Intune service behind Graph carry the "wrapped
//! message" quirk: `message` is itself a JSON document serialized into a string (`_version: 3`,
//! `Message`, `CustomApiErrorPhrase`, `RetryAfter`, `ErrorSourceService`, `HttpHeaders`).
//! Errors raised by Graph's OData layer (unknown segment, unknown property, bad `@odata.type`,
//! malformed JSON) carry a plain message.

use std::fmt;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::clock::inner_error_date;
use crate::context::RequestContext;

/// Host used in the `Url` of Intune wrapped messages. Real ones point at an Intune scale unit
/// (`https://fef.msua06.manage.microsoft.com/...`); the lab's is visibly fake.
pub const INTUNE_FAKE_HOST: &str = "https://fef.autopilot-lab.invalid";

/// The `message` of a Graph error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorMessage {
    /// A plain string (Graph gateway / OData layer).
    Plain(String),
    /// Intune's JSON-in-a-string message. `text` goes in front of the Operation/Activity ids of
    /// `Message`; `url` is the backend URL Intune reports.
    IntuneWrapped { text: String, url: String },
}

impl fmt::Display for ErrorMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorMessage::Plain(text) => f.write_str(text),
            ErrorMessage::IntuneWrapped { text, url } => write!(f, "{text} (Intune url {url})"),
        }
    }
}

/// A Graph error response, rendered against the request it answers.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct GraphError {
    pub status: StatusCode,
    pub code: String,
    pub message: ErrorMessage,
    /// Extra response headers (`Allow`, `WWW-Authenticate`, later `Retry-After`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl GraphError {
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code: code.into(),
            message: ErrorMessage::Plain(message.into()),
            headers: Vec::new(),
        }
    }

    /// An error from the Intune service, with the wrapped message.
    pub fn intune(
        status: StatusCode,
        code: impl Into<String>,
        text: impl Into<String>,
        url: impl Into<String>,
    ) -> Self {
        GraphError {
            status,
            code: code.into(),
            message: ErrorMessage::IntuneWrapped {
                text: text.into(),
                url: url.into(),
            },
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// 400 `BadRequest` with a plain message (OData-layer validation).
    pub fn bad_request(message: impl Into<String>) -> Self {
        GraphError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// 400 for a path segment Graph does not know.
    pub fn segment_not_found(segment: &str) -> Self {
        GraphError::bad_request(format!("Resource not found for the segment '{segment}'."))
    }

    /// 400 for a first path segment that is not an API version.
    pub fn invalid_version(segment: &str) -> Self {
        GraphError::bad_request(format!("Invalid version: {segment}"))
    }

    /// 400 for a body that is not a JSON object (or has no JSON content type).
    pub fn unreadable_body() -> Self {
        GraphError::bad_request(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )
    }

    /// 404 from Intune for an object that does not exist, with the wrapped message.
    pub fn intune_not_found(url: impl Into<String>) -> Self {
        GraphError::intune(
            StatusCode::NOT_FOUND,
            "NotFound",
            "An error has occurred",
            url,
        )
    }

    /// 400 from Intune (service-side validation), with the wrapped message.
    pub fn intune_bad_request(text: impl Into<String>, url: impl Into<String>) -> Self {
        GraphError::intune(StatusCode::BAD_REQUEST, "BadRequest", text, url)
    }

    /// 400 from the directory (groups, service principals): code `Request_BadRequest`.
    pub fn directory_bad_request(message: impl Into<String>) -> Self {
        GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    /// 404 from the directory for an object that does not exist (or has not replicated yet).
    pub fn directory_not_found(id: &str) -> Self {
        GraphError::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    /// 403 from the directory when the app lacks the permission.
    pub fn directory_forbidden() -> Self {
        GraphError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    /// 403 from Intune when the app lacks the permission (wrapped message naming the scopes).
    pub fn intune_forbidden(scopes: &[&str], url: impl Into<String>) -> Self {
        GraphError::intune(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!(
                "Application is not authorized to perform this operation. Application must have one of the following scopes: {}",
                scopes.join(", ")
            ),
            url,
        )
    }

    /// 429 with `Retry-After` (whole seconds).
    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        let error = GraphError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Please retry again later.",
        );
        match HeaderValue::from_str(&retry_after_seconds.to_string()) {
            Ok(value) => error.with_header(header::RETRY_AFTER, value),
            Err(_) => error,
        }
    }

    /// 401 `InvalidAuthenticationToken`.
    pub fn invalid_token(message: impl Into<String>) -> Self {
        GraphError::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
            ),
        )
    }

    /// 405 for a known path with a method it does not support.
    pub fn method_not_allowed(allowed: &[&str]) -> Self {
        let error = GraphError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        );
        match HeaderValue::from_str(&allowed.join(",")) {
            Ok(value) if !allowed.is_empty() => error.with_header(header::ALLOW, value),
            _ => error,
        }
    }

    /// 500, for faults of the lab itself (for example a state file that cannot be written).
    pub fn internal(message: impl Into<String>) -> Self {
        GraphError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            message,
        )
    }

    /// The `message` string as it goes on the wire.
    pub fn wire_message(&self, ctx: &RequestContext) -> String {
        match &self.message {
            ErrorMessage::Plain(text) => text.clone(),
            ErrorMessage::IntuneWrapped { text, url } => intune_wrapped_message(text, url, ctx),
        }
    }

    /// The JSON body.
    pub fn body(&self, ctx: &RequestContext) -> Value {
        json!({
            "error": {
                "code": self.code,
                "message": self.wire_message(ctx),
                "innerError": {
                    "date": inner_error_date(ctx.received),
                    "request-id": ctx.request_id,
                    "client-request-id": ctx.client_request_id,
                }
            }
        })
    }

    /// The full response: status, extra headers, JSON body.
    pub fn render(&self, ctx: &RequestContext) -> Response {
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            self.body(ctx).to_string(),
        )
            .into_response();
        for (name, value) in &self.headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}

impl From<crate::store::StoreError> for GraphError {
    fn from(err: crate::store::StoreError) -> Self {
        tracing::error!(error = %err, "tenant state could not be saved; change rolled back");
        GraphError::internal(format!("autopilot-lab could not save its state: {err}"))
    }
}

/// Builds Intune's wrapped message: a pretty-printed JSON document with CRLF line breaks,
/// serialized into the `message` string.
fn intune_wrapped_message(text: &str, url: &str, ctx: &RequestContext) -> String {
    let inner = json!({
        "_version": 3,
        "Message": format!(
            "{text} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: {} - Url: {url}",
            ctx.request_id
        ),
        "CustomApiErrorPhrase": "",
        "RetryAfter": null,
        "ErrorSourceService": "",
        "HttpHeaders": "{}",
    });
    // Pretty printing a Value cannot fail; fall back to the compact form anyway.
    serde_json::to_string_pretty(&inner)
        .unwrap_or_else(|_| inner.to_string())
        .replace('\n', "\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_message_is_json_with_crlf() {
        let ctx = RequestContext::for_tests();
        let err = GraphError::intune_not_found("https://x/deviceConfigurations('1')");
        let body = err.body(&ctx);
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("{\r\n  \"_version\": 3,\r\n"));
        let inner: Value = serde_json::from_str(message).unwrap();
        assert_eq!(inner["_version"], 3);
        assert!(
            inner["Message"]
                .as_str()
                .unwrap()
                .contains(&format!("Activity ID: {}", ctx.request_id))
        );
        assert_eq!(inner["RetryAfter"], Value::Null);
        assert_eq!(body["error"]["code"], "NotFound");
        assert_eq!(body["error"]["innerError"]["request-id"], ctx.request_id);
    }
}
