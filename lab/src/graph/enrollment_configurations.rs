//! `/deviceManagement/deviceEnrollmentConfigurations` (beta and v1.0): the Enrollment Status
//! Page (`windows10EnrollmentCompletionPageConfiguration`), including the tenant's default ESP,
//! `assign` (replaces the list, 204), `setPriority` (204) and the `assignments` navigation.

use axum::http::Method;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::assignments;
use super::collection::{self, IntuneBackend, Listing, Paging, PatchType};
use super::schema::{self, Kind, Property, StructuredType};
use super::{GraphRequest, method_not_allowed, no_content};
use crate::app::App;
use crate::clock::graph_timestamp;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/deviceEnrollmentConfigurations";

/// `deviceEnrollmentConfigurationType` of ESPs (also the default one, as real exports show).
const ESP_CONFIGURATION_TYPE: &str = "windows10EnrollmentCompletionPageConfiguration";

/// Suffix of the id of a new ESP: `{guid}_Windows10EnrollmentCompletionPageConfiguration`.
const ESP_ID_SUFFIX: &str = "_Windows10EnrollmentCompletionPageConfiguration";
/// Suffix of the default ESP's id.
const DEFAULT_ESP_SUFFIX: &str = "_DefaultWindows10EnrollmentCompletionPageConfiguration";

/// Longest `customErrorMessage` (Graph's property description).
const MAX_CUSTOM_ERROR_MESSAGE: usize = 10_000;

graph_types!("graph_enrollment_configurations");

pub static DERIVED: &[&StructuredType] = &[&ESP];

/// Target types an ESP can be assigned to.
const SUPPORTED_TARGETS: &[&StructuredType] = assignments::GROUP_AND_ALL_TARGETS;

/// ESP properties in the order Intune returns them (after the base ones).
const ESP_ORDER: &[&str] = &[
    "showInstallationProgress",
    "blockDeviceSetupRetryByUser",
    "allowDeviceResetOnInstallFailure",
    "allowLogCollectionOnInstallFailure",
    "customErrorMessage",
    "installProgressTimeoutInMinutes",
    "allowDeviceUseOnInstallFailure",
    "selectedMobileAppIds",
    "allowNonBlockingAppInstallation",
    "installQualityUpdates",
    "trackInstallProgressForAutopilotOnly",
    "disableUserStatusTrackingAfterFirstUser",
];

/// The Intune backend behind the collection, named in wrapped errors.
static INTUNE: IntuneBackend = IntuneBackend {
    path: "DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/deviceManagement/deviceEnrollmentConfigurations",
};

/// Whether `id` is a default configuration (`{tenantId}_Default...`).
pub fn is_default(id: &str) -> bool {
    id.ends_with(DEFAULT_ESP_SUFFIX)
        || id
            .rsplit_once('_')
            .is_some_and(|(_, tail)| tail.starts_with("Default"))
}

/// The `assignments` navigation of a configuration (read-only: `assign` writes it).
static ASSIGNMENTS: assignments::Navigation = assignments::Navigation {
    collection_path: COLLECTION_PATH,
    paging: &PAGING,
    assignment_type: &ENROLLMENT_CONFIGURATION_ASSIGNMENT,
    targets: SUPPORTED_TARGETS,
    parents: |tenant| &tenant.device_enrollment_configurations,
    assignments: |tenant| &tenant.enrollment_configuration_assignments,
    assignments_mut: |tenant| &mut tenant.enrollment_configuration_assignments,
    noun: NOUN,
    backend: &INTUNE,
};

/// What the objects are called in the log.
const NOUN: &str = "enrollment status page";

/// Where the configurations live in the store.
fn configurations(tenant: &mut Tenant) -> &mut Collection {
    &mut tenant.device_enrollment_configurations
}

/// Routes the segments after `deviceEnrollmentConfigurations`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] => crate::graph::list_or_create(app, request, list, create),
        [id] => crate::graph::read_update_delete(app, request, id, get, update, delete),
        [id, action] if super::is_action(action, "assign") => by_method!(method,
            POST => assign(app, request, id),
        ),
        [id, action] if super::is_action(action, "setPriority") => by_method!(method,
            POST => set_priority(app, request, id),
        ),
        [id, nav] if nav.eq_ignore_ascii_case("assignments") => match *method {
            Method::GET => ASSIGNMENTS.list(app, request, id),
            Method::POST => Err(no_route(id, None, "POST")),
            _ => Err(method_not_allowed(&["GET"])),
        },
        [id, nav, assignment_id] if nav.eq_ignore_ascii_case("assignments") => match *method {
            Method::GET => ASSIGNMENTS.get(app, request, id, assignment_id),
            Method::DELETE | Method::PATCH => {
                Err(no_route(id, Some(assignment_id), method.as_str()))
            }
            _ => Err(method_not_allowed(&["GET"])),
        },
        [_, nav, _, extra, ..] if nav.eq_ignore_ascii_case("assignments") => {
            Err(GraphError::segment_not_found(extra))
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// Intune's answer to writes on the assignments navigation (use `assign`).
fn no_route(id: &str, assignment_id: Option<&str>, verb: &str) -> GraphError {
    let (template, tail) = match assignment_id {
        Some(aid) => (
            "~/singleton/navigation/key/navigation/key",
            format!("assignments('{aid}')"),
        ),
        None => (
            "~/singleton/navigation/key/navigation",
            "assignments".to_owned(),
        ),
    };
    GraphError::intune_bad_request(
        format!(
            "No OData route exists that match template {template} with http verb {verb} for request /DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/deviceManagement/deviceEnrollmentConfigurations('{id}')/{tail}."
        ),
        INTUNE.url(Some(id), Some(&tail)),
    )
}

/// Page size of the listing: Intune clamps `$top` to the maximum.
pub static PAGING: Paging = Paging::new("deviceEnrollmentConfigurations", 1000, 1000);

/// How the collection is listed and read.
fn listing() -> Listing<'static> {
    Listing {
        derived: DERIVED,
        expandable: &["assignments"],
        ..Listing::plain(
            &PAGING,
            COLLECTION_PATH.to_owned(),
            &DEVICE_ENROLLMENT_CONFIGURATION,
        )
    }
}

fn list(app: &App, request: &GraphRequest) -> GraphResult {
    ASSIGNMENTS.list_owners(app, request, &listing())
}

fn get(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    ASSIGNMENTS.get_owner(app, request, &listing(), id)
}

/// Service-side checks after a create or a merge.
fn check_esp(tenant: &Tenant, object: &Map<String, Value>, url: &str) -> Result<(), GraphError> {
    collection::require_display_name(object, url)?;
    collection::at_most_chars(object, "customErrorMessage", MAX_CUSTOM_ERROR_MESSAGE, url)?;
    if let Some(minutes) = object
        .get("installProgressTimeoutInMinutes")
        .and_then(Value::as_i64)
        && minutes < 0
    {
        return Err(GraphError::intune_bad_request(
            format!("installProgressTimeoutInMinutes must not be negative (was {minutes})."),
            url,
        ));
    }
    if let Some(apps) = object.get("selectedMobileAppIds").and_then(Value::as_array) {
        for app_id in apps.iter().filter_map(Value::as_str) {
            if !tenant.mobile_apps.contains(app_id) {
                return Err(GraphError::intune_bad_request(
                    format!("selectedMobileAppIds: mobile app '{app_id}' does not exist."),
                    url,
                ));
            }
        }
    }
    Ok(())
}

/// An ESP with the given properties, in Intune's property order.
fn build_esp(
    id: &str,
    given: &Map<String, Value>,
    priority: i64,
    now: &str,
    role_scope_tag_ids: Value,
) -> Value {
    let mut object = Map::new();
    object.insert("@odata.type".into(), json!(ESP.odata_type()));
    object.insert("id".into(), json!(id));
    object.insert(
        "displayName".into(),
        given.get("displayName").cloned().unwrap_or(Value::Null),
    );
    object.insert(
        "description".into(),
        given.get("description").cloned().unwrap_or(Value::Null),
    );
    object.insert("priority".into(), json!(priority));
    object.insert("createdDateTime".into(), json!(now));
    object.insert("lastModifiedDateTime".into(), json!(now));
    object.insert("version".into(), json!(1));
    object.insert("roleScopeTagIds".into(), role_scope_tag_ids);
    object.insert(
        "deviceEnrollmentConfigurationType".into(),
        json!(ESP_CONFIGURATION_TYPE),
    );
    for name in ESP_ORDER {
        let value = match (given.get(*name), *name) {
            (Some(value), "installProgressTimeoutInMinutes") if value.is_null() => json!(60),
            (Some(value), _) => value.clone(),
            (None, "installProgressTimeoutInMinutes") => json!(60),
            (None, "selectedMobileAppIds") => json!([]),
            (None, "customErrorMessage") => Value::Null,
            (None, _) => json!(false),
        };
        object.insert((*name).to_owned(), value);
    }
    Value::Object(object)
}

/// Priorities of the non-default ESPs, ascending, with their ids.
fn esp_priorities(tenant: &Tenant) -> Vec<(i64, String)> {
    let mut list: Vec<(i64, String)> = tenant
        .device_enrollment_configurations
        .values()
        .filter(|c| !is_default(collection::str_of(c, "id")))
        .map(|c| {
            (
                c.get("priority").and_then(Value::as_i64).unwrap_or(0),
                collection::str_of(c, "id").to_owned(),
            )
        })
        .collect();
    list.sort();
    list
}

/// A stored configuration as the request's version shows it.
fn shown(object: &Value, request: &GraphRequest) -> Value {
    collection::project(
        object,
        &DEVICE_ENROLLMENT_CONFIGURATION,
        DERIVED,
        request.version,
    )
}

fn create(app: &App, request: &GraphRequest) -> GraphResult {
    let body = request.json_object()?;
    let ty = collection::type_to_create(&body, &DEVICE_ENROLLMENT_CONFIGURATION, DERIVED)?;
    let given = schema::validate_properties_in(ty, &body, request.version)?;
    let url = INTUNE.url(None, None);
    let id = format!("{}{ESP_ID_SUFFIX}", Uuid::new_v4());
    let now = graph_timestamp(app.clock.now());
    let role_scope_tag_ids = collection::role_scope_tags(&given);
    let object = INTUNE.insert_new(app, NOUN, configurations, &id, |tenant| {
        check_esp(tenant, &given, &url)?;
        let priority = esp_priorities(tenant)
            .last()
            .map(|(p, _)| p + 1)
            .unwrap_or(1);
        Ok(build_esp(&id, &given, priority, &now, role_scope_tag_ids))
    })?;
    let object = shown(&object, request);
    collection::intune_created(app, request, COLLECTION_PATH, &id, object)
}

fn update(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    let read = PatchType::of(&body, &DEVICE_ENROLLMENT_CONFIGURATION, DERIVED)?;
    let given = schema::validate_properties_in(read.read_as, &body, request.version)?;
    let url = INTUNE.url(Some(id), None);
    let now = graph_timestamp(app.clock.now());
    let updated = INTUNE.merge_stored(app, NOUN, configurations, id, |tenant, stored| {
        read.check_stored(stored, "configuration", &url)?;
        let merged = collection::merge_versioned(stored, given, &now);
        check_esp(tenant, &merged, &url)?;
        Ok(merged)
    })?;
    let updated = shown(&updated, request);
    Ok(collection::patched_response(
        app,
        request,
        COLLECTION_PATH,
        updated,
    ))
}

fn delete(app: &App, id: &str) -> GraphResult {
    INTUNE.delete_stored(app, NOUN, configurations, id, |tenant| {
        if is_default(id) {
            return Err(GraphError::intune_bad_request(
                "The default enrollment configuration cannot be deleted.",
                INTUNE.url(Some(id), None),
            ));
        }
        assignments::remove_all(&mut tenant.enrollment_configuration_assignments, id);
        Ok(())
    })
}

fn assign(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    let url = INTUNE.url(Some(id), Some("microsoft.management.services.api.assign"));
    let built = ASSIGNMENTS.assign_list(&body, "enrollmentConfigurationAssignments", id, &url)?;
    ASSIGNMENTS.store_list(app, id, &built, &url, |_| {
        if is_default(id) {
            return Err(GraphError::intune_bad_request(
                "The default enrollment configuration applies to all users and all devices and cannot be assigned.",
                url.clone(),
            ));
        }
        Ok(())
    })?;
    Ok(no_content())
}

/// `setPriority`: moves the ESP to `priority` among the other ESPs. The set of priority values
/// stays the same (gaps left by deletions stay); the others shift to make room.
fn set_priority(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    assignments::only_parameters(&body, &["priority"], "setPriority")?;
    let priority_value = body.get("priority").cloned().unwrap_or(Value::Null);
    let property = Property::new("priority", Kind::Int32, false);
    schema::check_value(&property, &priority_value)?;
    let wanted = priority_value.as_i64().unwrap_or_default();
    let url = INTUNE.url(
        Some(id),
        Some("microsoft.management.services.api.setPriority"),
    );
    let now = graph_timestamp(app.clock.now());
    app.store.write(|tenant| {
        if !tenant.device_enrollment_configurations.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        if is_default(id) {
            return Err(GraphError::intune_bad_request(
                "The priority of the default enrollment configuration cannot be changed.",
                url.clone(),
            ));
        }
        let current = esp_priorities(tenant);
        let values: Vec<i64> = current.iter().map(|(p, _)| *p).collect();
        let Some(position) = values.iter().position(|p| *p == wanted) else {
            return Err(GraphError::intune_bad_request(
                format!(
                    "Priority {wanted} is not valid; use one of the current priorities {values:?}."
                ),
                url.clone(),
            ));
        };
        let mut order: Vec<String> = current
            .into_iter()
            .map(|(_, other)| other)
            .filter(|other| other != id)
            .collect();
        order.insert(position, id.to_owned());
        for (value, config_id) in values.iter().zip(order.iter()) {
            if let Some(Value::Object(map)) =
                tenant.device_enrollment_configurations.get_mut(config_id)
                && map.get("priority").and_then(Value::as_i64) != Some(*value)
            {
                map.insert("priority".into(), json!(value));
                map.insert("lastModifiedDateTime".into(), json!(now));
            }
        }
        Ok(())
    })?;
    tracing::info!(%id, wanted, "enrollment status page priority set");
    Ok(no_content())
}
