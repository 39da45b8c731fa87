//! The per-request context every response and error refers to, and the edge middleware that
//! creates it: request ids, the request log, standard headers, and Graph-shaped 405s.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::app::SharedApp;
use crate::errors::GraphError;
use crate::request_log::LogEntry;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
pub const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");
const AGS_DIAGNOSTIC: HeaderName = HeaderName::from_static("x-ms-ags-diagnostic");
const AGS_DIAGNOSTIC_VALUE: &str = r#"{"ServerInfo":{"DataCenter":"Lab","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"autopilot-lab"}}"#;

/// Identity of one request, as reported in headers and `innerError`.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// `request-id`: a fresh GUID per request.
    pub request_id: String,
    /// `client-request-id`: echoed from the request, or the request id when none was sent.
    pub client_request_id: String,
    /// When the request arrived.
    pub received: DateTime<Utc>,
}

impl RequestContext {
    fn from_headers(headers: &HeaderMap, received: DateTime<Utc>) -> Self {
        let request_id = Uuid::new_v4().to_string();
        let client_request_id = headers
            .get(&CLIENT_REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| request_id.clone());
        RequestContext {
            request_id,
            client_request_id,
            received,
        }
    }

    /// The context the edge middleware attached to `request` (a fresh one if it is missing).
    pub fn of<B>(request: &axum::http::Request<B>) -> Self {
        request
            .extensions()
            .get::<RequestContext>()
            .cloned()
            .unwrap_or_else(|| RequestContext::from_headers(request.headers(), Utc::now()))
    }

    /// A context for a request carried inside this one (a `$batch` item): a fresh request id,
    /// the item's `client-request-id` or the fresh id.
    pub fn child(&self, client_request_id: Option<&str>) -> Self {
        let request_id = Uuid::new_v4().to_string();
        RequestContext {
            client_request_id: client_request_id
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| request_id.clone()),
            request_id,
            received: self.received,
        }
    }

    #[cfg(test)]
    pub fn for_tests() -> Self {
        RequestContext::from_headers(&HeaderMap::new(), Utc::now())
    }
}

/// Outermost middleware: assigns the request ids, stamps the standard headers, turns axum's bare
/// 405s into Graph error bodies, and records Graph and token requests in the request log.
pub async fn edge(State(app): State<SharedApp>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let ctx = RequestContext::from_headers(request.headers(), app.clock.now());
    request.extensions_mut().insert(ctx.clone());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let body = if records_body(&app, &method, &path) {
        let (parts, body) = request.into_parts();
        // A body that cannot be read (the client went away) reaches the handler empty.
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let recorded = recorded_body(&bytes);
        request = Request::from_parts(parts, axum::body::Body::from(bytes));
        recorded
    } else {
        None
    };

    let mut response = next.run(request).await;

    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && !response.headers().contains_key(header::CONTENT_TYPE)
    {
        let allow = response.headers().get(header::ALLOW).cloned();
        response = GraphError::method_not_allowed(&[]).render(&ctx);
        if let Some(allow) = allow {
            response.headers_mut().insert(header::ALLOW, allow);
        }
    }

    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert(REQUEST_ID, value);
    }
    if let Ok(value) = HeaderValue::from_str(&ctx.client_request_id) {
        headers.insert(CLIENT_REQUEST_ID, value);
    }
    headers.insert(
        AGS_DIAGNOSTIC,
        HeaderValue::from_static(AGS_DIAGNOSTIC_VALUE),
    );

    let fault = response
        .extensions()
        .get::<crate::faults::FaultMarker>()
        .map(|marker| marker.0.clone());
    let duration = started.elapsed();
    let status = response.status().as_u16();
    if path.starts_with("/_lab") {
        tracing::debug!(%method, %path, status, "control request");
    } else {
        // Paths and query strings never carry secrets (the token endpoint takes a form body).
        tracing::info!(
            %method,
            %path,
            query = query.as_deref().unwrap_or(""),
            status,
            duration_ms = duration.as_millis() as u64,
            request_id = %ctx.request_id,
            "request"
        );
        app.log.push(LogEntry {
            method: method.to_string(),
            path,
            query,
            status,
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            request_id: ctx.request_id,
            client_request_id: ctx.client_request_id,
            time: crate::clock::graph_timestamp(ctx.received),
            fault,
            body,
        });
    }
    response
}

/// Whether the body of this request goes into the request log: only with the
/// `record_request_bodies` setting, only Graph writes (never the token endpoint, whose form
/// carries the client secret).
fn records_body(app: &SharedApp, method: &axum::http::Method, path: &str) -> bool {
    let write = matches!(method.as_str(), "POST" | "PUT" | "PATCH");
    let graph = path.starts_with("/beta/") || path.starts_with("/v1.0/");
    write && graph && app.settings.get().record_request_bodies
}

/// A recorded body: its JSON, or its text when it is not JSON; nothing when empty.
fn recorded_body(bytes: &[u8]) -> Option<serde_json::Value> {
    if bytes.is_empty() {
        return None;
    }
    Some(
        serde_json::from_slice(bytes).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned())
        }),
    )
}
