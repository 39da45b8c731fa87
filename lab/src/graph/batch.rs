//! JSON batching: `POST /{version}/$batch` with up to 20 requests, run in order, `dependsOn`
//! honoured (424 when a dependency failed). Each request goes through the same pipeline as a
//! direct one (permissions, throttling, handlers).

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::odata::QueryOptions;
use super::{ApiVersion, GraphRequest, handle, is_json_media_type, json_response, split_segments};
use crate::app::App;
use crate::auth::tokens::Caller;
use crate::context::RequestContext;
use crate::errors::GraphError;

/// At most this many requests in one batch.
pub const MAX_REQUESTS: usize = 20;

/// Largest sub-response body the lab reads back.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// One request of the batch, parsed.
struct Item {
    id: String,
    method: Method,
    url: String,
    headers: Map<String, Value>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn malformed(message: impl Into<String>) -> GraphError {
    GraphError::bad_request(message)
}

fn parse_items(body: &Value) -> Result<Vec<Item>, GraphError> {
    let Some(map) = body.as_object() else {
        return Err(malformed("Invalid batch payload format."));
    };
    if let Some(other) = map.keys().find(|k| *k != "requests") {
        return Err(malformed(format!(
            "Invalid batch payload format: unknown member '{other}'."
        )));
    }
    let Some(requests) = map.get("requests").and_then(Value::as_array) else {
        return Err(malformed(
            "Invalid batch payload format: 'requests' must be an array.",
        ));
    };
    if requests.is_empty() {
        return Err(malformed("A batch must contain at least one request."));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(malformed(format!(
            "The number of requests in the batch ({}) exceeds the limit of {MAX_REQUESTS}.",
            requests.len()
        )));
    }
    let mut items: Vec<Item> = Vec::with_capacity(requests.len());
    for (index, request) in requests.iter().enumerate() {
        let Some(request) = request.as_object() else {
            return Err(malformed(format!(
                "Request {index} of the batch is not an object."
            )));
        };
        let text = |name: &str| request.get(name).and_then(Value::as_str).map(str::to_owned);
        let id = match request.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(malformed(format!(
                    "Request {index} of the batch has no 'id'."
                )));
            }
        };
        if items.iter().any(|i| i.id == id) {
            return Err(malformed(format!(
                "The batch contains more than one request with id '{id}'; ids must be unique."
            )));
        }
        let method = text("method")
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
            .ok_or_else(|| malformed(format!("Request '{id}' has no valid 'method'.")))?;
        let url = text("url").ok_or_else(|| malformed(format!("Request '{id}' has no 'url'.")))?;
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Err(malformed(format!(
                "Request '{id}': the url must be relative to the version (e.g. /groups), not '{url}'."
            )));
        }
        let headers = match request.get("headers") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(h)) => h.clone(),
            Some(_) => {
                return Err(malformed(format!(
                    "Request '{id}': 'headers' must be an object."
                )));
            }
        };
        let depends_on = match request.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|d| {
                    d.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| malformed(format!("Request '{id}': dependsOn holds ids.")))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(malformed(format!(
                    "Request '{id}': dependsOn must be an array."
                )));
            }
        };
        for dependency in &depends_on {
            if !items.iter().any(|i| &i.id == dependency) {
                return Err(malformed(format!(
                    "Request '{id}' depends on '{dependency}', which is not an earlier request of the batch."
                )));
            }
        }
        items.push(Item {
            id,
            method,
            url,
            headers,
            body: request.get("body").filter(|b| !b.is_null()).cloned(),
            depends_on,
        });
    }
    Ok(items)
}

fn header_value<'m>(headers: &'m Map<String, Value>, name: &str) -> Option<&'m str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

fn error_body(error: &GraphError, ctx: &RequestContext) -> Value {
    error.body(ctx)
}

/// Runs one item and returns its sub-response.
async fn run(
    app: &App,
    version: ApiVersion,
    caller: &Caller,
    outer: &RequestContext,
    item: &Item,
) -> Value {
    let ctx = outer.child(header_value(&item.headers, "client-request-id"));
    let respond = |status: StatusCode, body: Value| json!({"id": item.id, "status": status.as_u16(), "headers": {"Content-Type": "application/json"}, "body": body});
    let (path, query) = match item.url.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (item.url.clone(), None),
    };
    let query = match QueryOptions::parse(query.as_deref()) {
        Ok(query) => query,
        Err(error) => return respond(error.status, error_body(&error, &ctx)),
    };
    let segments = split_segments(path.split('/').filter(|s| !s.is_empty()));
    if segments.first().is_some_and(|s| s == "$batch") {
        let error = GraphError::bad_request("A batch cannot contain another batch.");
        return respond(error.status, error_body(&error, &ctx));
    }
    let content_type = header_value(&item.headers, "content-type");
    let body = match &item.body {
        Some(body) => {
            if content_type.is_none() {
                let error = GraphError::bad_request(
                    "A Content-Type header is required when a request of the batch has a body.",
                );
                return respond(error.status, error_body(&error, &ctx));
            }
            Bytes::from(body.to_string())
        }
        None => Bytes::new(),
    };
    let request = GraphRequest {
        version,
        method: item.method.clone(),
        segments,
        query,
        body,
        json_content: content_type.is_some_and(is_json_media_type),
        ctx,
        caller: caller.clone(),
    };
    let response = handle(app, &request);
    sub_response(&item.id, response).await
}

/// Turns a handler's response into a batch sub-response.
async fn sub_response(id: &str, response: Response) -> Value {
    let status = response.status().as_u16();
    let mut headers = Map::new();
    for (name, canonical) in [
        (header::CONTENT_TYPE, "Content-Type"),
        (header::LOCATION, "Location"),
        (header::RETRY_AFTER, "Retry-After"),
    ] {
        if let Some(value) = response.headers().get(&name).and_then(|v| v.to_str().ok()) {
            headers.insert(canonical.to_owned(), json!(value));
        }
    }
    let bytes = axum::body::to_bytes(response.into_body(), BODY_LIMIT)
        .await
        .unwrap_or_default();
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("status".into(), json!(status));
    out.insert("headers".into(), Value::Object(headers));
    if !bytes.is_empty() {
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        out.insert("body".into(), body);
    }
    Value::Object(out)
}

/// `POST /{version}/$batch`.
pub async fn execute(
    app: &App,
    version: ApiVersion,
    method: &Method,
    headers: &HeaderMap,
    body: &Bytes,
    caller: &Caller,
    ctx: &RequestContext,
) -> Response {
    if *method != Method::POST {
        return GraphError::method_not_allowed(&["POST"]).render(ctx);
    }
    let json_content = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_json_media_type);
    let parsed = if json_content {
        serde_json::from_slice::<Value>(body).ok()
    } else {
        None
    };
    let Some(parsed) = parsed else {
        return GraphError::unreadable_body().render(ctx);
    };
    let items = match parse_items(&parsed) {
        Ok(items) => items,
        Err(error) => return error.render(ctx),
    };
    let mut responses: Vec<Value> = Vec::with_capacity(items.len());
    for item in &items {
        let failed = item.depends_on.iter().find(|dependency| {
            responses
                .iter()
                .find(|r| r["id"] == json!(dependency))
                .and_then(|r| r["status"].as_u64())
                .is_none_or(|status| !(200..300).contains(&status))
        });
        if let Some(dependency) = failed {
            let sub_ctx = ctx.child(None);
            let error = GraphError::new(
                StatusCode::FAILED_DEPENDENCY,
                "FailedDependency",
                format!("The request depends on request '{dependency}', which failed."),
            );
            responses.push(json!({
                "id": item.id,
                "status": 424,
                "headers": {"Content-Type": "application/json"},
                "body": error.body(&sub_ctx),
            }));
            continue;
        }
        responses.push(run(app, version, caller, ctx, item).await);
    }
    json_response(StatusCode::OK, &json!({ "responses": responses }))
}
