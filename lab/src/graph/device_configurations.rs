//! `/deviceManagement/deviceConfigurations`: device configuration profiles. The lab models one
//! derived type, `windowsDomainJoinConfiguration` (the hybrid-join domain join profile), which
//! exists on beta only.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::assignments;
use super::collection::{self, IntuneBackend, Listing, Paging, PatchType};
use super::schema::{self, StructuredType};
use super::{ApiVersion, GraphRequest, no_content};
use crate::app::App;
use crate::clock::graph_timestamp;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/deviceConfigurations";

graph_types!("graph_device_configurations");

/// Target types a device configuration can be assigned to.
const SUPPORTED_TARGETS: &[&StructuredType] = assignments::GROUP_AND_ALL_TARGETS;

/// Inclusive range of `computerNameSuffixRandomCharCount` (Graph docs: "Valid values 3 to 14").
pub const RANDOM_CHAR_COUNT: std::ops::RangeInclusive<i64> = 3..=14;

/// Properties a new domain join configuration must have (non-nullable, no service default).
const REQUIRED_ON_CREATE: &[&str] = &[
    "displayName",
    "activeDirectoryDomainName",
    "computerNameStaticPrefix",
];

/// Derived types the lab models, per API version.
fn derived_types(version: ApiVersion) -> &'static [&'static StructuredType] {
    static BETA: &[&StructuredType] = &[&WINDOWS_DOMAIN_JOIN_CONFIGURATION];
    match version {
        ApiVersion::Beta => BETA,
        ApiVersion::V1 => &[],
    }
}

/// The Intune backend behind the collection, named in wrapped errors.
static INTUNE: IntuneBackend = IntuneBackend {
    path: "DeviceConfiguration/StatelessDeviceConfigurationFEService/deviceManagement/deviceConfigurations",
};

/// Page size of the listing: Intune clamps `$top` to the maximum.
pub static PAGING: Paging = Paging::new("deviceConfigurations", 1000, 1000);

/// How the collection is listed and read.
fn listing(request: &GraphRequest) -> Listing<'static> {
    Listing {
        derived: derived_types(request.version),
        expandable: &["assignments"],
        ..Listing::plain(&PAGING, COLLECTION_PATH.to_owned(), &DEVICE_CONFIGURATION)
    }
}

/// The `assignments` navigation of a configuration (read-only: `assign` writes it).
static ASSIGNMENTS: assignments::Navigation = assignments::Navigation {
    collection_path: COLLECTION_PATH,
    paging: &PAGING,
    assignment_type: &DEVICE_CONFIGURATION_ASSIGNMENT,
    targets: SUPPORTED_TARGETS,
    parents: |tenant| &tenant.device_configurations,
    assignments: |tenant| &tenant.device_configuration_assignments,
    assignments_mut: |tenant| &mut tenant.device_configuration_assignments,
    noun: NOUN,
    backend: &INTUNE,
};

/// What the objects are called in the log.
const NOUN: &str = "device configuration";

/// Where the configurations live in the store.
fn configurations(tenant: &mut Tenant) -> &mut Collection {
    &mut tenant.device_configurations
}

/// Routes the segments after `deviceConfigurations`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] => crate::graph::list_or_create(app, request, list, create),
        [id] => crate::graph::read_update_delete(app, request, id, get, update, delete),
        [id, action] if crate::graph::is_action(action, "assign") => {
            by_method!(method, POST => assign(app, request, id))
        }
        [id, navigation] if navigation.eq_ignore_ascii_case("assignments") => {
            by_method!(method, GET => ASSIGNMENTS.list(app, request, id))
        }
        [id, navigation, assignment_id] if navigation.eq_ignore_ascii_case("assignments") => {
            by_method!(method, GET => ASSIGNMENTS.get(app, request, id, assignment_id))
        }
        [_, navigation, _, extra, ..] if navigation.eq_ignore_ascii_case("assignments") => {
            Err(GraphError::segment_not_found(extra))
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// Lists the configurations (with their assignments when expanded).
fn list(app: &App, request: &GraphRequest) -> GraphResult {
    ASSIGNMENTS.list_owners(app, request, &listing(request))
}

/// Reads one configuration (with its assignments when expanded).
fn get(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    ASSIGNMENTS.get_owner(app, request, &listing(request), id)
}

/// Service-side checks of a domain join configuration after a create or a merge.
fn check_domain_join(object: &Map<String, Value>, url: &str) -> Result<(), GraphError> {
    let count = object
        .get("computerNameSuffixRandomCharCount")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if !RANDOM_CHAR_COUNT.contains(&count) {
        return Err(GraphError::intune_bad_request(
            format!(
                "computerNameSuffixRandomCharCount must be between {} and {} (was {count}).",
                RANDOM_CHAR_COUNT.start(),
                RANDOM_CHAR_COUNT.end()
            ),
            url,
        ));
    }
    Ok(())
}

/// A new domain join configuration as Intune stores it: base type's properties first, then the
/// derived type's.
fn build(ty: &'static StructuredType, id: &str, given: &Map<String, Value>, now: &str) -> Value {
    let field = |name: &str| given.get(name).cloned().unwrap_or(Value::Null);
    json!({
        "@odata.type": ty.odata_type(),
        "id": id,
        "lastModifiedDateTime": now,
        "roleScopeTagIds": collection::role_scope_tags(given),
        "supportsScopeTags": true,
        "deviceManagementApplicabilityRuleOsEdition": field("deviceManagementApplicabilityRuleOsEdition"),
        "deviceManagementApplicabilityRuleOsVersion": field("deviceManagementApplicabilityRuleOsVersion"),
        "deviceManagementApplicabilityRuleDeviceMode": field("deviceManagementApplicabilityRuleDeviceMode"),
        "createdDateTime": now,
        "description": field("description"),
        "displayName": field("displayName"),
        "version": 1,
        "activeDirectoryDomainName": field("activeDirectoryDomainName"),
        "computerNameStaticPrefix": field("computerNameStaticPrefix"),
        "computerNameSuffixRandomCharCount": field("computerNameSuffixRandomCharCount"),
        "organizationalUnit": field("organizationalUnit"),
    })
}

fn create(app: &App, request: &GraphRequest) -> GraphResult {
    let body = request.json_object()?;
    let ty =
        collection::type_to_create(&body, &DEVICE_CONFIGURATION, derived_types(request.version))?;
    let given = schema::validate_properties(ty, &body)?;
    let url = INTUNE.url(None, None);
    collection::require(&given, REQUIRED_ON_CREATE, &url)?;
    check_domain_join(&given, &url)?;

    let id = Uuid::new_v4().to_string();
    let object = build(ty, &id, &given, &graph_timestamp(app.clock.now()));
    let object = INTUNE.insert_new(app, NOUN, configurations, &id, |_| Ok(object))?;
    collection::intune_created(app, request, COLLECTION_PATH, &id, object)
}

fn update(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    let read = PatchType::of(&body, &DEVICE_CONFIGURATION, derived_types(request.version))?;
    let given = schema::validate_properties(read.read_as, &body)?;
    let url = INTUNE.url(Some(id), None);
    let now = graph_timestamp(app.clock.now());

    INTUNE.merge_stored(app, NOUN, configurations, id, |_, stored| {
        read.check_stored(stored, "object", &url)?;
        let merged = collection::merge_versioned(stored, given, &now);
        check_domain_join(&merged, &url)?;
        Ok(merged)
    })?;
    Ok(no_content())
}

fn delete(app: &App, id: &str) -> GraphResult {
    INTUNE.delete_stored(app, NOUN, configurations, id, |tenant| {
        assignments::remove_all(&mut tenant.device_configuration_assignments, id);
        Ok(())
    })
}

/// `assign`: replaces the assignment list and answers it (`deviceConfigurationGroupAssignments`,
/// the older parameter, is accepted and ignored).
fn assign(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    assignments::only_parameters(
        &body,
        &["assignments", "deviceConfigurationGroupAssignments"],
        "assign",
    )?;
    let url = INTUNE.action_url(Some(id), "assign");
    let items = assignments::array_parameter(
        &body,
        "assignments",
        &DEVICE_CONFIGURATION_ASSIGNMENT.qualified(),
    )?;
    let built = assignments::build_assignment_list(
        items,
        id,
        &DEVICE_CONFIGURATION_ASSIGNMENT,
        SUPPORTED_TARGETS,
        &url,
    )?;
    ASSIGNMENTS.store_list(app, id, &built, &url, |_| Ok(()))?;
    Ok(collection::values_response(
        app,
        request,
        "Collection(microsoft.graph.deviceConfigurationAssignment)",
        built,
    ))
}
