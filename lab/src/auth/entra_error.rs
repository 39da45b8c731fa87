//! Entra ID's token endpoint error body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

use crate::clock::entra_timestamp;
use crate::context::RequestContext;

/// A token endpoint failure: HTTP status, OAuth2 `error`, and the AADSTS code and text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: AADSTS{aadsts}: {description}")]
pub struct EntraError {
    pub status: StatusCode,
    /// OAuth2 error: `invalid_request`, `invalid_client`, `invalid_scope`, ...
    pub error: &'static str,
    pub aadsts: u32,
    /// The text after `AADSTSnnnn: `.
    pub description: String,
}

impl EntraError {
    pub fn new(
        status: StatusCode,
        error: &'static str,
        aadsts: u32,
        description: impl Into<String>,
    ) -> Self {
        EntraError {
            status,
            error,
            aadsts,
            description: description.into(),
        }
    }

    /// AADSTS900144: a required form parameter is missing.
    pub fn missing_parameter(name: &str) -> Self {
        EntraError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }

    /// AADSTS90002: the tenant in the path is unknown.
    pub fn tenant_not_found(tenant: &str) -> Self {
        EntraError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        )
    }

    /// AADSTS70003: a grant type other than client credentials.
    pub fn unsupported_grant_type(grant_type: &str) -> Self {
        EntraError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        )
    }

    /// AADSTS70011: a scope that is not `<resource>/.default`.
    pub fn invalid_scope(scope: &str) -> Self {
        EntraError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        )
    }

    /// AADSTS700016: unknown client id.
    pub fn unknown_application(client_id: &str, tenant: &str) -> Self {
        EntraError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        )
    }

    /// AADSTS7000215: wrong client secret.
    pub fn invalid_secret(client_id: &str) -> Self {
        EntraError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        )
    }

    /// AADSTS7000218: neither a secret nor an assertion.
    pub fn missing_credential() -> Self {
        EntraError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )
    }

    /// Renders the body Entra sends: the description carries the trace and correlation ids and
    /// the timestamp, which are repeated as separate fields.
    pub fn render(&self, ctx: &RequestContext) -> Response {
        let trace_id = ctx.request_id.clone();
        let correlation_id = Uuid::parse_str(&ctx.client_request_id)
            .map(|id| id.to_string())
            .unwrap_or_else(|_| Uuid::new_v4().to_string());
        let timestamp = entra_timestamp(ctx.received);
        let body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
                self.aadsts, self.description
            ),
            "error_codes": [self.aadsts],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.aadsts),
        });
        (
            self.status,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store, no-cache"),
                ),
            ],
            body.to_string(),
        )
            .into_response()
    }
}
