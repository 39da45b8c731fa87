//! `/deviceManagement/roleScopeTags`: Intune's scope tags (role-based access control). Every
//! tenant has the built-in `Default` tag, id `"0"`, which cannot be changed or deleted; the tags
//! an administrator makes get the next number as their id (Intune's tag ids are numeric
//! strings, and objects name them in `roleScopeTagIds`).

use serde_json::{Map, Value, json};

use super::GraphRequest;
use super::collection::{self, IntuneBackend, Listing, Paging};
use super::schema;
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/roleScopeTags";

/// The id of the built-in `Default` tag.
pub const DEFAULT_TAG_ID: &str = "0";

graph_types!("graph_role_scope_tags");

/// The Intune backend behind the collection, named in wrapped errors.
static INTUNE: IntuneBackend = IntuneBackend {
    path: "RoleBasedAccessControl/StatelessRoleBasedAccessControlService/deviceManagement/roleScopeTags",
};

/// Page size of the listing: Intune clamps `$top` to the maximum.
pub static PAGING: Paging = Paging::new("roleScopeTags", 1000, 1000);

/// The built-in `Default` tag, as every tenant has it.
pub fn default_tag() -> Value {
    json!({
        "@odata.type": ROLE_SCOPE_TAG.odata_type(),
        "id": DEFAULT_TAG_ID,
        "displayName": "Default",
        "description": "",
        "isBuiltIn": true,
    })
}

/// How the collection is listed and read.
fn listing() -> Listing<'static> {
    Listing::plain(&PAGING, COLLECTION_PATH.to_owned(), &ROLE_SCOPE_TAG)
}

/// Routes the segments after `roleScopeTags`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    match rest {
        [] => crate::graph::list_or_create(app, request, list, create),
        [id] => crate::graph::read_update_delete(app, request, id, get, update, delete),
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

fn list(app: &App, request: &GraphRequest) -> GraphResult {
    listing().list_stored(app, request, |tenant| &tenant.role_scope_tags)
}

fn get(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    listing().get_stored(app, request, |tenant| &tenant.role_scope_tags, id, &INTUNE)
}

/// What the tags are called in the log.
const NOUN: &str = "role scope tag";

/// Where the tags live in the store.
fn tags_mut(tenant: &mut crate::store::Tenant) -> &mut crate::store::Collection {
    &mut tenant.role_scope_tags
}

/// The built-in tag refuses every write (the lab's wording: no source quotes Intune's).
fn refuse_built_in(id: &str, url: &str) -> Result<(), GraphError> {
    if id == DEFAULT_TAG_ID {
        return Err(GraphError::intune_bad_request(
            "The built-in scope tag 'Default' cannot be modified or deleted.",
            url,
        ));
    }
    Ok(())
}

/// The next tag id: one more than the highest ever handed out or in use, so that a deleted
/// tag's id is not given again (the lab's assumption: an identity counter).
fn next_id(tenant: &mut crate::store::Tenant) -> String {
    let highest = tenant
        .role_scope_tags
        .values()
        .filter_map(|tag| collection::str_of(tag, "id").parse::<u64>().ok())
        .max()
        .unwrap_or(0)
        .max(tenant.lab.last_scope_tag_id);
    tenant.lab.last_scope_tag_id = highest + 1;
    (highest + 1).to_string()
}

/// `displayName` is required and not empty.
fn require_name(given: &Map<String, Value>, url: &str) -> Result<(), GraphError> {
    collection::require(given, &["displayName"], url)?;
    match given.get("displayName").and_then(Value::as_str) {
        Some(name) if !name.trim().is_empty() => Ok(()),
        _ => Err(GraphError::intune_bad_request(
            "displayName cannot be empty.",
            url,
        )),
    }
}

fn create(app: &App, request: &GraphRequest) -> GraphResult {
    let body = request.json_object()?;
    let given = schema::validate_properties(&ROLE_SCOPE_TAG, &body)?;
    let url = INTUNE.url(None, None);
    require_name(&given, &url)?;
    let field = |name: &str| given.get(name).cloned().unwrap_or(Value::Null);
    let (id, object) = app.store.write(|tenant| {
        let id = next_id(tenant);
        let object = json!({
            "@odata.type": ROLE_SCOPE_TAG.odata_type(),
            "id": id,
            "displayName": field("displayName"),
            "description": field("description"),
            "isBuiltIn": false,
        });
        tenant.role_scope_tags.insert(id.clone(), object.clone());
        Ok::<_, GraphError>((id, object))
    })?;
    tracing::info!(%id, "role scope tag created");
    collection::intune_created(app, request, COLLECTION_PATH, &id, object)
}

fn update(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    let given = schema::validate_properties(&ROLE_SCOPE_TAG, &body)?;
    let url = INTUNE.url(Some(id), None);
    let merged = INTUNE.merge_stored(app, NOUN, tags_mut, id, |_, stored| {
        refuse_built_in(id, &url)?;
        let mut merged = stored.as_object().cloned().unwrap_or_default();
        merged.extend(given);
        require_name(&merged, &url)?;
        Ok(merged)
    })?;
    Ok(collection::patched_response(
        app,
        request,
        COLLECTION_PATH,
        merged,
    ))
}

fn delete(app: &App, id: &str) -> GraphResult {
    INTUNE.delete_stored(app, NOUN, tags_mut, id, |_| {
        refuse_built_in(id, &INTUNE.url(Some(id), None))
    })
}
