//! The Graph surface: `/beta/...` and `/v1.0/...`.
//!
//! Graph resolves paths segment by segment, case-insensitively, and names the first segment it
//! cannot resolve in its error. The lab does the same with a small hand-written resolver instead
//! of axum routes: [`dispatch`] parses the request into a [`GraphRequest`], [`route`] walks the
//! segments and hands over to one module per collection. Adding a collection means adding a
//! module, one match arm here and its page size in [`PAGINGS`].

/// Serves a request by its method: each `VERB => handler` arm names a method the path accepts,
/// and any other method is refused with the list of the accepted ones, as Graph does.
macro_rules! by_method {
    ($method:expr, $($verb:ident => $handler:expr),+ $(,)?) => {
        match *$method {
            $(axum::http::Method::$verb => $handler,)+
            _ => Err($crate::graph::method_not_allowed(&[$(stringify!($verb)),+])),
        }
    };
}

/// Declares, in the calling module, the Graph types `lab/graph-types.json` places there
/// (`lab/build.rs` generates one file of `static`s per module).
macro_rules! graph_types {
    ($module:literal) => {
        include!(concat!(env!("OUT_DIR"), "/graph_types/", $module, ".rs"));
    };
}

pub mod assignment_filters;
pub mod assignments;
pub mod batch;
pub mod catalog;
pub mod collection;
pub mod configuration_policies;
pub mod corporate_identifiers;
pub mod deployment_profiles;
pub mod device_configurations;
pub mod device_identities;
pub mod directory;
pub mod enrollment_configurations;
pub mod filter_rules;
pub mod imports;
pub mod managed_devices;
pub mod odata;
pub mod organization;
pub mod permissions;
pub mod profile_rules;
pub mod role_scope_tags;
pub mod schema;
pub mod timers;
pub mod writes;

use std::time::Instant;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::app::{App, SharedApp};
use crate::auth::tokens::Caller;
use crate::context::RequestContext;
use crate::errors::GraphError;
use crate::throttle::retry_after_seconds;
use collection::Paging;
use odata::QueryOptions;

/// The page size of every paged collection, each declared next to its listing; the
/// `page_sizes` setting overrides them by name, and `GET /_lab/settings` shows them in this
/// order.
pub static PAGINGS: &[&Paging] = &[
    &device_configurations::PAGING,
    &deployment_profiles::PAGING,
    &enrollment_configurations::PAGING,
    &configuration_policies::PAGING,
    &configuration_policies::SETTINGS_PAGING,
    &assignment_filters::PAGING,
    &imports::PAGING,
    &device_identities::PAGING,
    &managed_devices::PAGING,
    &catalog::APPS_PAGING,
    &catalog::SCRIPTS_PAGING,
    &directory::GROUPS_PAGING,
    &directory::SERVICE_PRINCIPALS_PAGING,
    &directory::USERS_PAGING,
    &directory::OWNERS_PAGING,
    &directory::MEMBERS_PAGING,
    &directory::DEVICES_PAGING,
    &role_scope_tags::PAGING,
    &corporate_identifiers::PAGING,
];

/// Content type of Graph's successful JSON responses.
pub const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// The API version prefix of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    Beta,
    V1,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::Beta => "beta",
            ApiVersion::V1 => "v1.0",
        }
    }

    fn from_segment(segment: &str) -> Option<Self> {
        match segment {
            "beta" => Some(ApiVersion::Beta),
            "v1.0" => Some(ApiVersion::V1),
            _ => None,
        }
    }
}

/// What a Graph handler answers: a response, or the error Graph would send.
pub type GraphResult = Result<Response, GraphError>;

/// A handler of an entity set's own path.
pub type SetHandler = fn(&App, &GraphRequest) -> GraphResult;
/// A handler of one member of an entity set, by its key.
pub type MemberHandler = fn(&App, &GraphRequest, &str) -> GraphResult;

/// Serves an entity set's own path: `GET` lists, `POST` creates.
pub fn list_or_create(
    app: &App,
    request: &GraphRequest,
    list: SetHandler,
    create: SetHandler,
) -> GraphResult {
    by_method!(&request.method,
        GET => list(app, request),
        POST => create(app, request),
    )
}

/// Serves one member of an entity set: `GET` reads it, `PATCH` updates it, `DELETE` deletes it.
pub fn read_update_delete(
    app: &App,
    request: &GraphRequest,
    id: &str,
    read: MemberHandler,
    update: MemberHandler,
    delete: fn(&App, &str) -> GraphResult,
) -> GraphResult {
    by_method!(&request.method,
        GET => read(app, request, id),
        PATCH => update(app, request, id),
        DELETE => delete(app, id),
    )
}

/// One Graph request, parsed.
#[derive(Debug)]
pub struct GraphRequest {
    pub version: ApiVersion,
    pub method: Method,
    /// Percent-decoded path segments after the version; `name('key')` is split into two.
    pub segments: Vec<String>,
    pub query: QueryOptions,
    pub body: Bytes,
    /// Whether the `Content-Type` is JSON.
    pub json_content: bool,
    pub ctx: RequestContext,
    /// The application calling, from its token.
    pub caller: Caller,
}

impl GraphRequest {
    /// The body as a JSON object, or Graph's "Unable to read JSON request payload".
    pub fn json_object(&self) -> Result<Map<String, Value>, GraphError> {
        if !self.json_content {
            return Err(GraphError::unreadable_body());
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(GraphError::unreadable_body()),
        }
    }
}

/// A JSON response with Graph's OData content type.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON))],
        body.to_string(),
    )
        .into_response()
}

/// 204 No Content.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// The axum handler for every path under `/beta` and `/v1.0`.
#[allow(clippy::too_many_arguments)]
pub async fn dispatch(
    State(app): State<SharedApp>,
    Extension(ctx): Extension<RequestContext>,
    caller: Option<Extension<Caller>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut raw_segments = uri.path().split('/').filter(|s| !s.is_empty());
    let first = raw_segments.next().unwrap_or_default();
    let Some(version) = ApiVersion::from_segment(first) else {
        return GraphError::invalid_version(first).render(&ctx);
    };
    let caller = caller
        .map(|Extension(caller)| caller)
        .unwrap_or_else(|| Caller {
            app_id: app.config.client_id.clone(),
            roles: app.roles.clone(),
            user: None,
        });
    let segments = split_segments(raw_segments);
    if segments.len() == 1 && segments[0] == "$batch" {
        return batch::execute(&app, version, &method, &headers, &body, &caller, &ctx).await;
    }
    let query = match QueryOptions::parse(uri.query()) {
        Ok(query) => query,
        Err(error) => return error.render(&ctx),
    };
    let json_content = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(is_json_media_type);
    let request = GraphRequest {
        version,
        method,
        segments,
        query,
        body,
        json_content,
        ctx,
        caller,
    };
    handle(&app, &request)
}

/// Whether a `Content-Type` value is JSON.
pub fn is_json_media_type(value: &str) -> bool {
    let media = value.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/json") || media.ends_with("+json")
}

/// Serves one parsed Graph request: permission check, throttling, due background work, then
/// the collection's handler. Errors are rendered in Graph's shape.
pub fn handle(app: &App, request: &GraphRequest) -> Response {
    match process(app, request) {
        Ok(response) => response,
        Err(error) => {
            if error.status.is_server_error() {
                tracing::error!(%error, "graph request failed");
            } else {
                tracing::debug!(%error, "graph request refused");
            }
            error.render(&request.ctx)
        }
    }
}

fn process(app: &App, request: &GraphRequest) -> GraphResult {
    if let Some(area) = permissions::area_of(&request.segments) {
        permissions::check(&area, request, &request.caller)?;
        let settings = app.settings.get();
        if settings.throttling {
            app.throttle
                .admit(
                    &request.caller.app_id,
                    area.family,
                    permissions::is_write(&request.method),
                    &settings.throttle_limits,
                    Instant::now(),
                )
                .map_err(|wait| {
                    tracing::info!(family = area.family.name(), "throttled");
                    GraphError::too_many_requests(retry_after_seconds(wait))
                })?;
        }
    }
    imports::advance(app);
    device_identities::advance(app);
    managed_devices::advance(app);
    route(app, request)
}

/// Resolves the first segments and hands over to the collection's module.
fn route(app: &App, request: &GraphRequest) -> GraphResult {
    let segments = &request.segments;
    let Some(first) = segments.first() else {
        return Err(GraphError::bad_request(
            "autopilot-lab does not serve the service document; name a resource.",
        ));
    };
    let rest = &segments[1..];
    match first.to_ascii_lowercase().as_str() {
        "devicemanagement" => device_management(app, request, rest),
        "deviceappmanagement" => match rest {
            [collection, tail @ ..] if collection.eq_ignore_ascii_case("mobileApps") => {
                catalog::route_mobile_apps(app, request, tail)
            }
            [other, ..] => Err(GraphError::segment_not_found(other)),
            [] => Err(GraphError::new(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                "autopilot-lab does not emulate the deviceAppManagement singleton itself.",
            )),
        },
        "groups" => directory::route_groups(app, request, rest),
        "serviceprincipals" => directory::route_service_principals(app, request, rest),
        "users" => directory::route_users(app, request, rest),
        "devices" => directory::route_devices(app, request, rest),
        "directoryobjects" => directory::route_directory_objects(app, request, rest),
        "organization" => organization::route(app, request, rest),
        _ => Err(GraphError::segment_not_found(first)),
    }
}

fn device_management(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    let Some(collection) = rest.first() else {
        return Err(GraphError::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "autopilot-lab does not emulate the deviceManagement singleton itself.",
        ));
    };
    let beta = request.version == ApiVersion::Beta;
    let lower = collection.to_ascii_lowercase();
    match lower.as_str() {
        "deviceconfigurations" => device_configurations::route(app, request, &rest[1..]),
        "deviceenrollmentconfigurations" => {
            enrollment_configurations::route(app, request, &rest[1..])
        }
        "importedwindowsautopilotdeviceidentities" => imports::route(app, request, &rest[1..]),
        "windowsautopilotdeviceidentities" => device_identities::route(app, request, &rest[1..]),
        "manageddevices" => managed_devices::route(app, request, &rest[1..]),
        "rolescopetags" => role_scope_tags::route(app, request, &rest[1..]),
        "windowsautopilotsettings" if beta => {
            device_identities::route_settings(app, request, &rest[1..])
        }
        "importeddeviceidentities" if beta => {
            corporate_identifiers::route(app, request, &rest[1..])
        }
        "assignmentfilters" if beta => assignment_filters::route(app, request, &rest[1..]),
        "configurationpolicies" if beta => configuration_policies::route(app, request, &rest[1..]),
        "devicemanagementscripts" if beta => catalog::route_scripts(app, request, &rest[1..]),
        "windowsautopilotdeploymentprofiles" if beta => {
            deployment_profiles::route(app, request, &rest[1..])
        }
        _ => Err(GraphError::segment_not_found(collection)),
    }
}

/// Percent-decodes the segments and splits OData key syntax: `items('id')` -> `items`, `id`.
pub(crate) fn split_segments<'a>(raw: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut segments = Vec::new();
    for segment in raw.map(percent_decode) {
        match segment.split_once('(') {
            Some((name, rest)) if !name.is_empty() && rest.ends_with(')') => {
                let key = &rest[..rest.len() - 1];
                let key = key
                    .strip_prefix('\'')
                    .and_then(|k| k.strip_suffix('\''))
                    .unwrap_or(key);
                segments.push(name.to_owned());
                segments.push(key.replace("''", "'"));
            }
            _ => segments.push(segment),
        }
    }
    segments
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a path segment names the bound action `name`, bare or qualified
/// (`microsoft.graph.<name>`), in any case, as Graph accepts both.
pub fn is_action(segment: &str, name: &str) -> bool {
    segment.eq_ignore_ascii_case(name)
        || segment.eq_ignore_ascii_case(&format!("microsoft.graph.{name}"))
}

/// The request's method is not one of `allowed` for this path.
pub fn method_not_allowed(allowed: &[&str]) -> GraphError {
    GraphError::method_not_allowed(allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_keys_and_decodes() {
        let got =
            split_segments("deviceManagement/deviceConfigurations('a%27%27b')/assign".split('/'));
        assert_eq!(
            got,
            vec!["deviceManagement", "deviceConfigurations", "a'b", "assign"]
        );
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
