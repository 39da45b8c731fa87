//! `/deviceManagement/assignmentFilters` (beta only): Intune's assignment filters
//! (`deviceAndAppManagementAssignmentFilter`), the `validateFilter` action, and the rule check
//! of [`super::filter_rules`] applied to every create and update.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::collection::{self, IntuneBackend, Listing, Paging};
use super::schema;
use super::{GraphRequest, filter_rules, no_content};
use crate::app::App;
use crate::clock::graph_timestamp;
use crate::errors::GraphError;
use crate::graph::GraphResult;

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/assignmentFilters";

graph_types!("graph_assignment_filters");

/// Properties a new filter must have.
const REQUIRED_ON_CREATE: &[&str] = &["displayName", "platform", "rule"];

/// The Intune backend behind the collection, named in wrapped errors.
static INTUNE: IntuneBackend = IntuneBackend {
    path: "DeviceConfiguration/StatelessDeviceConfigurationFEService/deviceManagement/assignmentFilters",
};

/// Page size of the listing.
pub static PAGING: Paging = Paging::new("assignmentFilters", 1000, 1000);

/// What the filters are called in the log.
const NOUN: &str = "assignment filter";

/// Where the filters live in the store.
fn filters_mut(tenant: &mut crate::store::Tenant) -> &mut crate::store::Collection {
    &mut tenant.assignment_filters
}

fn listing() -> Listing<'static> {
    Listing::plain(&PAGING, COLLECTION_PATH.to_owned(), &ASSIGNMENT_FILTER)
}

/// Routes the segments after `assignmentFilters`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] => crate::graph::list_or_create(app, request, list, create),
        [action] if crate::graph::is_action(action, "validateFilter") => {
            by_method!(method, POST => validate_filter(app, request))
        }
        [id] => crate::graph::read_update_delete(app, request, id, get, update, delete),
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

fn list(app: &App, request: &GraphRequest) -> GraphResult {
    listing().list_stored(app, request, |tenant| &tenant.assignment_filters)
}

fn get(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    listing().get_stored(
        app,
        request,
        |tenant| &tenant.assignment_filters,
        id,
        &INTUNE,
    )
}

/// The body's writable properties, checked against the type (read-only ones are accepted and
/// ignored); the `@odata.type` may be left out or be the filter's own.
fn given(body: &Map<String, Value>) -> Result<Map<String, Value>, GraphError> {
    schema::resolve_type(body, &ASSIGNMENT_FILTER, &[])?;
    schema::validate_properties(&ASSIGNMENT_FILTER, body)
}

/// The service's checks of a whole filter: its rule parses for its management type.
fn check_rule(object: &Map<String, Value>, url: &str) -> Result<(), GraphError> {
    let rule = object.get("rule").and_then(Value::as_str).unwrap_or("");
    let management = object
        .get("assignmentFilterManagementType")
        .and_then(Value::as_str)
        .unwrap_or("devices");
    filter_rules::check(rule, management).map_err(|reason| {
        GraphError::intune_bad_request(format!("The filter rule is invalid: {reason}."), url)
    })
}

fn create(app: &App, request: &GraphRequest) -> GraphResult {
    let body = request.json_object()?;
    let given = given(&body)?;
    let url = INTUNE.url(None, None);
    collection::require(&given, REQUIRED_ON_CREATE, &url)?;
    let field = |name: &str| given.get(name).cloned().unwrap_or(Value::Null);
    let now = graph_timestamp(app.clock.now());
    let id = Uuid::new_v4().to_string();
    let object = json!({
        "@odata.type": ASSIGNMENT_FILTER.odata_type(),
        "id": id,
        "createdDateTime": now,
        "lastModifiedDateTime": now,
        "displayName": field("displayName"),
        "description": field("description"),
        "platform": field("platform"),
        "rule": field("rule"),
        "roleScopeTags": given.get("roleScopeTags").filter(|v| !v.is_null()).cloned().unwrap_or_else(|| json!(["0"])),
        "payloads": [],
        "assignmentFilterManagementType": given.get("assignmentFilterManagementType").cloned().unwrap_or_else(|| json!("devices")),
    });
    if let Some(map) = object.as_object() {
        check_rule(map, &url)?;
    }
    let object = INTUNE.insert_new(app, NOUN, filters_mut, &id, |_| Ok(object))?;
    collection::intune_created(app, request, COLLECTION_PATH, &id, object)
}

fn update(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    let given = given(&body)?;
    let url = INTUNE.url(Some(id), None);
    let now = graph_timestamp(app.clock.now());
    INTUNE.merge_stored(app, NOUN, filters_mut, id, |_, stored| {
        let mut merged = stored.as_object().cloned().unwrap_or_default();
        for (name, value) in given {
            let value = if name == "roleScopeTags" && value.is_null() {
                json!(["0"])
            } else {
                value
            };
            merged.insert(name, value);
        }
        merged.insert("lastModifiedDateTime".into(), Value::String(now.clone()));
        check_rule(&merged, &url)?;
        Ok(merged)
    })?;
    Ok(no_content())
}

/// Whether any assignment of the tenant's Intune objects names the filter `id`.
fn in_use(tenant: &crate::store::Tenant, id: &str) -> bool {
    [
        &tenant.device_configuration_assignments,
        &tenant.windows_autopilot_deployment_profile_assignments,
        &tenant.enrollment_configuration_assignments,
        &tenant.configuration_policy_assignments,
    ]
    .into_iter()
    .flat_map(|assignments| assignments.values())
    .any(|a| {
        a.pointer("/target/deviceAndAppManagementAssignmentFilterId")
            .and_then(Value::as_str)
            .is_some_and(|filter| filter.eq_ignore_ascii_case(id))
    })
}

/// Deletes a filter, unless an assignment uses it (Intune's message, from Microsoft Learn).
fn delete(app: &App, id: &str) -> GraphResult {
    INTUNE.delete_stored(app, NOUN, filters_mut, id, |tenant| {
        if in_use(tenant, id) {
            return Err(GraphError::intune_bad_request(
                "Unable to delete assignment filter - An assignment filter is associated with existing assignments. Delete all the assignments for the filter and try again.",
                INTUNE.url(Some(id), None),
            ));
        }
        Ok(())
    })
}

/// `validateFilter`: whether the rule of the filter in the body parses, as
/// `{"value": {"@odata.type": "microsoft.graph.assignmentFilterValidationResult", "isValidRule": ..}}`
/// (the response the Graph reference shows).
fn validate_filter(app: &App, request: &GraphRequest) -> GraphResult {
    let body = request.json_object()?;
    super::assignments::only_parameters(
        &body,
        &["deviceAndAppManagementAssignmentFilter"],
        "validateFilter",
    )?;
    let filter = match body.get("deviceAndAppManagementAssignmentFilter") {
        Some(Value::Object(filter)) => given(filter)?,
        Some(other) => {
            return Err(schema::conversion_error(
                other,
                &ASSIGNMENT_FILTER.qualified(),
            ));
        }
        None => Map::new(),
    };
    let valid = check_rule(&filter, &INTUNE.action_url(None, "validateFilter")).is_ok();
    tracing::info!(valid, "assignment filter rule validated");
    let result = json!({
        "@odata.type": "microsoft.graph.assignmentFilterValidationResult",
        "isValidRule": valid,
    });
    Ok(super::json_response(
        axum::http::StatusCode::OK,
        &json!({
            "@odata.context": super::odata::context_url(&app.graph_url, request.version, "microsoft.graph.assignmentFilterValidationResult"),
            "value": result,
        }),
    ))
}

/// Why a target's filter cannot be stored: the filter id names no filter of the tenant.
pub fn unknown_filter(
    tenant: &crate::store::Tenant,
    assignments: &[Value],
    url: &str,
) -> Result<(), GraphError> {
    for assignment in assignments {
        let id = assignment
            .pointer("/target/deviceAndAppManagementAssignmentFilterId")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty());
        if let Some(id) = id
            && !tenant.assignment_filters.contains(id)
        {
            return Err(GraphError::intune_bad_request(
                format!("The assignment filter '{id}' does not exist."),
                url,
            ));
        }
    }
    Ok(())
}
