//! What every collection does the same way: listing with paging, `$filter`, `$select` and
//! `$expand`; single-entity responses with `@odata.context`; `Location` headers; version
//! projection (v1.0 shows only what its schema declares).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::odata::{self, Filter};
use super::schema::{self, ResolvedType, StructuredType, abstract_type_error};
use super::{ApiVersion, GraphRequest, json_response, no_content};
use crate::app::App;
use crate::errors::{GraphError, INTUNE_FAKE_HOST};
use crate::graph::GraphResult;
use crate::settings::PageSize;
use crate::store::{Collection, Tenant};

/// The Intune backend service behind a collection. Intune wraps its errors in a message that
/// names the backend URL of the object concerned; the lab names the same URLs.
pub struct IntuneBackend {
    /// Service and collection path after the host, e.g.
    /// `DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/deviceManagement/...`.
    pub path: &'static str,
}

impl IntuneBackend {
    /// The backend URL of the collection, of object `id` in it, and of `tail` under that.
    pub fn url(&self, id: Option<&str>, tail: Option<&str>) -> String {
        let mut url = format!("{INTUNE_FAKE_HOST}/{}", self.path);
        if let Some(id) = id {
            url.push_str(&format!("('{id}')"));
        }
        if let Some(tail) = tail {
            url.push('/');
            url.push_str(tail);
        }
        url.push_str("?api-version=5025-01-28");
        url
    }

    /// The backend URL of action `action` on object `id`, as Intune names its actions.
    pub fn action_url(&self, id: Option<&str>, action: &str) -> String {
        self.url(
            id,
            Some(&format!("microsoft.management.services.api.{action}")),
        )
    }

    /// Intune's wrapped 404 for object `id`.
    pub fn not_found(&self, id: &str) -> GraphError {
        GraphError::intune_not_found(self.url(Some(id), None))
    }
}

/// A collection's page size, declared next to its listing, and the name by which the
/// `page_sizes` setting overrides it. Every one is registered in [`super::PAGINGS`].
#[derive(Debug)]
pub struct Paging {
    pub name: &'static str,
    pub size: PageSize,
}

impl Paging {
    pub const fn new(name: &'static str, default: usize, max: usize) -> Self {
        Paging {
            name,
            size: PageSize { default, max },
        }
    }

    /// The page size a request gets: `$top` (at most the maximum), else the default, after the
    /// settings' overrides.
    pub fn page_size(&self, app: &App, top: Option<usize>) -> usize {
        let sizes = app.settings.get().page_size(self);
        top.unwrap_or(sizes.default).min(sizes.max)
    }
}

/// How a collection is listed.
pub struct Listing<'a> {
    /// Its page size.
    pub paging: &'static Paging,
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
    pub fn plain(paging: &'static Paging, path: String, base: &'static StructuredType) -> Self {
        Listing {
            paging,
            path,
            context: None,
            base,
            derived: &[],
            expandable: &[],
            directory: false,
        }
    }
}

impl Listing<'_> {
    /// What the request's `$select` and `$expand` ask of this collection.
    pub fn shape(&self, request: &GraphRequest) -> Result<Shape, GraphError> {
        Shape::parse(request, self.base, self.derived, self.expandable)
    }

    /// A rendered object as the request sees it: the version's projection, then `$select`.
    fn show(&self, request: &GraphRequest, shape: &Shape, rendered: &Value) -> Value {
        shape.select(&project(rendered, self.base, self.derived, request.version))
    }

    /// `GET <path>/<id>`: the object `pick` holds under `id`, rendered and shown as a listed one
    /// would be, with the `<context>/$entity` context; `missing` is the 404 when there is none.
    pub fn get<R>(
        &self,
        app: &App,
        request: &GraphRequest,
        pick: fn(&Tenant) -> &Collection,
        id: &str,
        missing: impl FnOnce() -> GraphError,
        render: R,
    ) -> GraphResult
    where
        R: Fn(&Tenant, &Value, &Shape) -> Value,
    {
        let shape = self.shape(request)?;
        let rendered = app
            .store
            .read(|tenant| {
                pick(tenant)
                    .get(id)
                    .map(|object| render(tenant, object, &shape))
            })
            .ok_or_else(missing)?;
        let context = self.context.as_deref().unwrap_or(&self.path);
        Ok(entity_response(
            app,
            request,
            StatusCode::OK,
            &format!("{context}/$entity"),
            self.show(request, &shape, &rendered),
        ))
    }

    /// `GET <path>`: every object `pick` holds, as stored.
    pub fn list_stored(
        &self,
        app: &App,
        request: &GraphRequest,
        pick: fn(&Tenant) -> &Collection,
    ) -> GraphResult {
        list(app, request, self, pick, |_, _| true, stored)
    }

    /// `GET <path>/<id>`: the object `pick` holds under `id`, as stored; `backend`'s 404 when
    /// there is none.
    pub fn get_stored(
        &self,
        app: &App,
        request: &GraphRequest,
        pick: fn(&Tenant) -> &Collection,
        id: &str,
        backend: &IntuneBackend,
    ) -> GraphResult {
        self.get(app, request, pick, id, || backend.not_found(id), stored)
    }
}

/// A stored object as the wire shows it, before projection and `$select`.
pub fn stored(_: &Tenant, object: &Value, _: &Shape) -> Value {
    object.clone()
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

    /// Applies `$select` to a rendered object. Expanded navigations (and their
    /// `@odata.context`) stay: `$select` names properties, `$expand` adds navigations.
    pub fn select(&self, object: &Value) -> Value {
        let mut out = odata::apply_select(object, self.select.as_deref());
        if self.select.is_some()
            && let (Some(from), Some(to)) = (object.as_object(), out.as_object_mut())
        {
            for navigation in &self.expand {
                for key in [
                    format!("{navigation}@odata.context"),
                    (*navigation).to_owned(),
                ] {
                    if let Some(value) = from.get(&key) {
                        to.insert(key, value.clone());
                    }
                }
            }
        }
        out
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
) -> GraphResult
where
    K: Fn(&Tenant, &Value) -> bool,
    R: Fn(&Tenant, &Value, &Shape) -> Value,
{
    let shape = listing.shape(request)?;
    let filter = request
        .query
        .filter
        .as_deref()
        .map(|text| Filter::parse(text, listing.base, listing.derived))
        .transpose()?;
    let (after, page_size) = page_request(app, request, listing.paging, listing.directory)?;

    let (values, next_cursor) = app.store.read(|tenant| {
        let matching = pick(tenant)
            .values_with_cursor()
            .filter(|(_, object)| keep(tenant, object))
            .filter(|(_, object)| filter.as_ref().is_none_or(|f| f.matches(object)));
        let page = odata::paginate(matching, after, page_size);
        let values: Vec<Value> = page
            .items
            .into_iter()
            .map(|object| listing.show(request, &shape, &render(tenant, object, &shape)))
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

/// Where a listing's page starts (`$skiptoken`) and how long it is (`$top`, at most the
/// maximum; the directory refuses 0 and more than the maximum).
pub fn page_request(
    app: &App,
    request: &GraphRequest,
    paging: &Paging,
    directory: bool,
) -> Result<(Option<u64>, usize), GraphError> {
    let after = request
        .query
        .skiptoken
        .as_deref()
        .map(odata::decode_skiptoken)
        .transpose()?;
    let sizes = app.settings.get().page_size(paging);
    let page_size = match request.query.top {
        Some(top) if directory && (top == 0 || top > sizes.max) => {
            return Err(GraphError::directory_bad_request(format!(
                "Invalid page size specified: '{top}'. Must be between 1 and {} inclusive.",
                sizes.max
            )));
        }
        Some(top) => top.min(sizes.max),
        None => sizes.default,
    };
    Ok((after, page_size))
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

/// The answer to a create in the Intune collection at `collection_path`: a 201 with context
/// `{collection_path}/$entity` and `Location` `{collection_path}('{id}')`.
pub fn intune_created(
    app: &App,
    request: &GraphRequest,
    collection_path: &str,
    id: &str,
    object: Value,
) -> GraphResult {
    Ok(created_response(
        app,
        request,
        &format!("{collection_path}/$entity"),
        &format!("{collection_path}('{id}')"),
        object,
    ))
}

/// The answer to a successful PATCH: 204, or 200 with the entity when the
/// `patch_returns_entity` setting is on (context `{collection_path}/$entity`).
pub fn patched_response(
    app: &App,
    request: &GraphRequest,
    collection_path: &str,
    object: Value,
) -> Response {
    if app.settings.get().patch_returns_entity {
        let context = format!("{collection_path}/$entity");
        entity_response(app, request, StatusCode::OK, &context, object)
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

/// The concrete type a POST creates: the body's `@odata.type` among `derived`. Without one, or
/// with the base type's, the create is refused: the base type is abstract.
pub fn type_to_create(
    body: &Map<String, Value>,
    base: &'static StructuredType,
    derived: &[&'static StructuredType],
) -> Result<&'static StructuredType, GraphError> {
    match schema::resolve_type(body, base, derived)? {
        ResolvedType::Absent | ResolvedType::Base => Err(abstract_type_error()),
        ResolvedType::Derived(ty) => Ok(ty),
    }
}

/// How a PATCH body is read.
#[derive(Debug, Clone, Copy)]
pub struct PatchType {
    /// The derived type the body names in `@odata.type`, if any.
    pub declared: Option<&'static StructuredType>,
    /// The type its properties are checked against. Without `@odata.type` the payload is read
    /// as the collection's base type, as OData does: properties of derived types are unknown.
    pub read_as: &'static StructuredType,
}

impl PatchType {
    pub fn of(
        body: &Map<String, Value>,
        base: &'static StructuredType,
        derived: &[&'static StructuredType],
    ) -> Result<Self, GraphError> {
        Ok(match schema::resolve_type(body, base, derived)? {
            ResolvedType::Absent | ResolvedType::Base => PatchType {
                declared: None,
                read_as: base,
            },
            ResolvedType::Derived(ty) => PatchType {
                declared: Some(ty),
                read_as: ty,
            },
        })
    }

    /// Intune refuses a PATCH whose `@odata.type` is not the stored object's type; `noun`
    /// names the object in the message ("object", "configuration").
    pub fn check_stored(&self, stored: &Value, noun: &str, url: &str) -> Result<(), GraphError> {
        let stored_type = str_of(stored, "@odata.type");
        match self.declared {
            Some(ty) if ty.odata_type() != stored_type => Err(GraphError::intune_bad_request(
                format!(
                    "The type '{}' does not match the type of the existing {noun} '{}'.",
                    ty.qualified(),
                    stored_type.trim_start_matches('#')
                ),
                url,
            )),
            _ => Ok(()),
        }
    }
}

/// Intune's refusal of a create that lacks one of `required` (non-nullable properties without a
/// service default).
pub fn require(given: &Map<String, Value>, required: &[&str], url: &str) -> Result<(), GraphError> {
    match required
        .iter()
        .find(|name| given.get(**name).is_none_or(Value::is_null))
    {
        Some(missing) => Err(GraphError::intune_bad_request(
            format!("Required property '{missing}' is missing."),
            url,
        )),
        None => Ok(()),
    }
}

/// Intune's refusal of an object whose `displayName` is missing or blank.
pub fn require_display_name(object: &Map<String, Value>, url: &str) -> Result<(), GraphError> {
    match object.get("displayName").and_then(Value::as_str) {
        Some(name) if !name.trim().is_empty() => Ok(()),
        _ => Err(GraphError::intune_bad_request(
            "displayName is required.",
            url,
        )),
    }
}

/// Intune's refusal of a text property `name` longer than `max` characters.
pub fn at_most_chars(
    object: &Map<String, Value>,
    name: &str,
    max: usize,
    url: &str,
) -> Result<(), GraphError> {
    match object.get(name).and_then(Value::as_str) {
        Some(text) if text.chars().count() > max => Err(GraphError::intune_bad_request(
            format!("{name} must be at most {max} characters."),
            url,
        )),
        _ => Ok(()),
    }
}

/// `roleScopeTagIds` of a new Intune object: as given, else Intune's default scope tag `["0"]`.
pub fn role_scope_tags(given: &Map<String, Value>) -> Value {
    scope_tags_or_default(given.get("roleScopeTagIds"))
}

/// A `roleScopeTagIds` value as Intune stores it: missing, `null` or empty is the `Default`
/// tag, `["0"]` (an object always has a tag); a list is kept as given.
pub fn scope_tags_or_default(value: Option<&Value>) -> Value {
    match value {
        Some(Value::Array(ids)) if !ids.is_empty() => Value::Array(ids.clone()),
        Some(other) if !other.is_null() && !other.is_array() => other.clone(),
        _ => json!(["0"]),
    }
}

/// A stored Intune object with a PATCH's properties merged in: `roleScopeTagIds` `null` or `[]`
/// means the default scope tag again, `version` goes up by one and `lastModifiedDateTime` becomes `now`.
/// The caller checks the merged object before it stores it.
pub fn merge_versioned(stored: &Value, given: Map<String, Value>, now: &str) -> Map<String, Value> {
    let mut merged = stored.as_object().cloned().unwrap_or_default();
    for (name, value) in given {
        let value = if name == "roleScopeTagIds" {
            scope_tags_or_default(Some(&value))
        } else {
            value
        };
        merged.insert(name, value);
    }
    let version = merged.get("version").and_then(Value::as_i64).unwrap_or(0) + 1;
    merged.insert("version".into(), json!(version));
    merged.insert("lastModifiedDateTime".into(), Value::String(now.to_owned()));
    merged
}
