//! What every collection does the same way: listing with paging, `$filter`, `$select` and
//! `$expand`; single-entity responses with `@odata.context`; `Location` headers; version
//! projection (v1.0 shows only what its schema declares).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};

use super::odata::{self, Filter};
use super::schema::{self, StructuredType};
use super::{ApiVersion, GraphRequest, json_response, no_content};
use crate::app::App;
use crate::errors::GraphError;
use crate::store::{Collection, Tenant};

/// How a collection is listed.
pub struct Listing<'a> {
    /// Settings key for its page size (see `settings::PAGE_SIZES`).
    pub name: &'static str,
    /// Path after the version, for `@odata.nextLink` (e.g. `groups('x')/owners`).
    pub path: String,
    /// `@odata.context` fragment (defaults to `path`).
    pub context: Option<String>,
    pub base: &'static StructuredType,
    pub derived: &'a [&'static StructuredType],
    /// Navigations `$expand` may name.
    pub expandable: &'a [&'static str],
    /// Directory semantics: `$top` must be within 1..=max (400 otherwise).
    pub directory: bool,
}

impl Listing<'_> {
    /// A listing of `base` objects at `path`: no derived types, nothing to expand, Intune's
    /// `$top` rules, the context fragment equal to the path. Other cases override fields with
    /// struct update syntax.
    pub fn plain(name: &'static str, path: String, base: &'static StructuredType) -> Self {
        Listing {
            name,
            path,
            context: None,
            base,
            derived: &[],
            expandable: &[],
            directory: false,
        }
    }
}

/// What a read asks for beyond the bare object.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    pub select: Option<Vec<&'static str>>,
    pub expand: Vec<&'static str>,
}

impl Shape {
    pub fn parse(
        request: &GraphRequest,
        base: &'static StructuredType,
        derived: &[&'static StructuredType],
        expandable: &[&'static str],
    ) -> Result<Self, GraphError> {
        Ok(Shape {
            select: odata::parse_select(request.query.select.as_deref(), base, derived)?,
            expand: odata::parse_expand(request.query.expand.as_deref(), base, expandable)?,
        })
    }

    pub fn expands(&self, navigation: &str) -> bool {
        self.expand.contains(&navigation)
    }
}

/// The concrete type of a stored object: its `@odata.type` among `derived`, else `base`.
pub fn type_of(
    object: &Value,
    base: &'static StructuredType,
    derived: &[&'static StructuredType],
) -> &'static StructuredType {
    let name = object
        .get("@odata.type")
        .and_then(Value::as_str)
        .map(|t| t.trim_start_matches('#'))
        .unwrap_or_default();
    derived
        .iter()
        .copied()
        .find(|ty| ty.qualified() == name)
        .unwrap_or(base)
}

/// A stored object as `version` shows it: properties the version does not declare dropped.
pub fn project(
    object: &Value,
    base: &'static StructuredType,
    derived: &[&'static StructuredType],
    version: ApiVersion,
) -> Value {
    let mut out = object.clone();
    schema::project(type_of(object, base, derived), &mut out, version);
    out
}

/// Lists a collection: `pick` chooses it from the tenant, `keep` filters (parent, visibility),
/// `render` turns a stored object into what the wire shows; then the version's projection and
/// `$select` apply.
pub fn list<K, R>(
    app: &App,
    request: &GraphRequest,
    listing: &Listing<'_>,
    pick: fn(&Tenant) -> &Collection,
    keep: K,
    render: R,
) -> Result<Response, GraphError>
where
    K: Fn(&Tenant, &Value) -> bool,
    R: Fn(&Tenant, &Value, &Shape) -> Value,
{
    let shape = Shape::parse(request, listing.base, listing.derived, listing.expandable)?;
    let filter = request
        .query
        .filter
        .as_deref()
        .map(|text| Filter::parse(text, listing.base, listing.derived))
        .transpose()?;
    let after = request
        .query
        .skiptoken
        .as_deref()
        .map(odata::decode_skiptoken)
        .transpose()?;
    let sizes = app.settings.get().page_size(listing.name);
    let page_size = match request.query.top {
        Some(top) if listing.directory && (top == 0 || top > sizes.max) => {
            return Err(GraphError::directory_bad_request(format!(
                "Invalid page size specified: '{top}'. Must be between 1 and {} inclusive.",
                sizes.max
            )));
        }
        Some(top) => top.min(sizes.max),
        None => sizes.default,
    };

    let (values, next_cursor) = app.store.read(|tenant| {
        let matching = pick(tenant)
            .values_with_cursor()
            .filter(|(_, object)| keep(tenant, object))
            .filter(|(_, object)| filter.as_ref().is_none_or(|f| f.matches(object)));
        let page = odata::paginate(matching, after, page_size);
        let values: Vec<Value> = page
            .items
            .into_iter()
            .map(|object| {
                let rendered = render(tenant, object, &shape);
                let projected = project(&rendered, listing.base, listing.derived, request.version);
                odata::apply_select(&projected, shape.select.as_deref())
            })
            .collect();
        (values, page.next_cursor)
    });

    let mut body = Map::new();
    let context = listing.context.as_deref().unwrap_or(&listing.path);
    body.insert(
        "@odata.context".into(),
        Value::String(odata::context_url(&app.graph_url, request.version, context)),
    );
    if let Some(cursor) = next_cursor {
        body.insert(
            "@odata.nextLink".into(),
            Value::String(odata::next_link(
                &app.graph_url,
                request.version,
                &listing.path,
                &request.query,
                cursor,
            )),
        );
    }
    body.insert("value".into(), Value::Array(values));
    Ok(json_response(StatusCode::OK, &Value::Object(body)))
}

/// One object with `@odata.context` `<fragment>` in front.
pub fn entity_response(
    app: &App,
    request: &GraphRequest,
    status: StatusCode,
    context: &str,
    object: Value,
) -> Response {
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(odata::context_url(&app.graph_url, request.version, context)),
    );
    if let Value::Object(map) = object {
        body.extend(map);
    }
    json_response(status, &Value::Object(body))
}

/// A 201 with the entity and a `Location` header pointing at `entity_path` (after the version).
pub fn created_response(
    app: &App,
    request: &GraphRequest,
    context: &str,
    entity_path: &str,
    object: Value,
) -> Response {
    let mut response = entity_response(app, request, StatusCode::CREATED, context, object);
    let location = format!(
        "{}/{}/{entity_path}",
        app.graph_url,
        request.version.as_str()
    );
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The answer to a successful PATCH: 204, or 200 with the entity when the
/// `patch_returns_entity` setting is on.
pub fn patched_response(
    app: &App,
    request: &GraphRequest,
    context: &str,
    object: Value,
) -> Response {
    if app.settings.get().patch_returns_entity {
        entity_response(app, request, StatusCode::OK, context, object)
    } else {
        no_content()
    }
}

/// A collection body (`{"@odata.context", "value"}`) without paging, for small navigations and
/// action results.
pub fn values_response(
    app: &App,
    request: &GraphRequest,
    context: &str,
    values: Vec<Value>,
) -> Response {
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(odata::context_url(&app.graph_url, request.version, context)),
    );
    body.insert("value".into(), Value::Array(values));
    json_response(StatusCode::OK, &Value::Object(body))
}

/// Removes the members named in `keys` from an object.
pub fn without(mut object: Value, keys: &[&str]) -> Value {
    if let Some(map) = object.as_object_mut() {
        for key in keys {
            map.remove(*key);
        }
    }
    object
}

/// The string member `name` of a stored object (empty when absent).
pub fn str_of<'v>(object: &'v Value, name: &str) -> &'v str {
    object.get(name).and_then(Value::as_str).unwrap_or_default()
}
