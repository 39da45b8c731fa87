//! `/deviceManagement/deviceConfigurations`: device configuration profiles. The lab models one
//! derived type, `windowsDomainJoinConfiguration` (the hybrid-join domain join profile), which
//! exists on beta only.

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::assignments::{self, SOURCE_DIRECT, SOURCE_KIND, Target};
use super::odata::{self, Filter};
use super::schema::{
    self, ENTITY, Kind, Property, ResolvedType, StructuredType, abstract_type_error,
};
use super::{ApiVersion, GraphRequest, json_response, method_not_allowed, no_content};
use crate::app::App;
use crate::clock::graph_timestamp;
use crate::errors::{GraphError, INTUNE_FAKE_HOST};
use crate::store::Tenant;

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/deviceConfigurations";

pub static DEVICE_CONFIGURATION: StructuredType = StructuredType {
    name: "deviceConfiguration",
    base: Some(&ENTITY),
    is_abstract: true,
    properties: &[
        Property::read_only("createdDateTime", Kind::DateTimeOffset, false),
        Property::new("description", Kind::String, true),
        Property::new(
            "deviceManagementApplicabilityRuleDeviceMode",
            Kind::Complex("deviceManagementApplicabilityRuleDeviceMode"),
            true,
        ),
        Property::new(
            "deviceManagementApplicabilityRuleOsEdition",
            Kind::Complex("deviceManagementApplicabilityRuleOsEdition"),
            true,
        ),
        Property::new(
            "deviceManagementApplicabilityRuleOsVersion",
            Kind::Complex("deviceManagementApplicabilityRuleOsVersion"),
            true,
        ),
        Property::new("displayName", Kind::String, false),
        Property::read_only("lastModifiedDateTime", Kind::DateTimeOffset, false),
        Property::new("roleScopeTagIds", Kind::StringCollection, true),
        Property::read_only("supportsScopeTags", Kind::Boolean, false),
        Property::read_only("version", Kind::Int32, false),
    ],
    navigations: &[
        "assignments",
        "deviceSettingStateSummaries",
        "deviceStatuses",
        "deviceStatusOverview",
        "groupAssignments",
        "userStatuses",
        "userStatusOverview",
    ],
};

pub static WINDOWS_DOMAIN_JOIN_CONFIGURATION: StructuredType = StructuredType {
    name: "windowsDomainJoinConfiguration",
    base: Some(&DEVICE_CONFIGURATION),
    is_abstract: false,
    properties: &[
        Property::new("activeDirectoryDomainName", Kind::String, false),
        Property::new("computerNameStaticPrefix", Kind::String, false),
        Property::new("computerNameSuffixRandomCharCount", Kind::Int32, false),
        Property::new("organizationalUnit", Kind::String, true),
    ],
    navigations: &["networkAccessConfigurations"],
};

pub static DEVICE_CONFIGURATION_ASSIGNMENT: StructuredType = StructuredType {
    name: "deviceConfigurationAssignment",
    base: Some(&ENTITY),
    is_abstract: false,
    properties: &[
        Property::new(
            "intent",
            Kind::Enum("deviceConfigAssignmentIntent", &["apply", "remove"]),
            true,
        ),
        Property::read_only("source", SOURCE_KIND, false),
        Property::read_only("sourceId", Kind::String, true),
        Property::new(
            "target",
            Kind::Complex("deviceAndAppManagementAssignmentTarget"),
            true,
        ),
    ],
    navigations: &[],
};

/// Target types a device configuration can be assigned to.
const SUPPORTED_TARGETS: &[&StructuredType] = &[
    &assignments::GROUP_TARGET,
    &assignments::EXCLUSION_GROUP_TARGET,
    &assignments::ALL_DEVICES_TARGET,
    &assignments::ALL_LICENSED_USERS_TARGET,
];

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

/// The Intune backend URL reported in wrapped error messages.
fn intune_url(id: Option<&str>, action: Option<&str>) -> String {
    let mut url = format!(
        "{INTUNE_FAKE_HOST}/DeviceConfiguration/StatelessDeviceConfigurationFEService/deviceManagement/deviceConfigurations"
    );
    if let Some(id) = id {
        url.push_str(&format!("('{id}')"));
    }
    if let Some(action) = action {
        url.push_str(&format!("/microsoft.management.services.api.{action}"));
    }
    url.push_str("?api-version=5025-01-28");
    url
}

/// Routes the segments after `deviceConfigurations`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> Result<Response, GraphError> {
    let method = &request.method;
    match rest {
        [] => match *method {
            Method::GET => list(app, request),
            Method::POST => create(app, request),
            _ => Err(method_not_allowed(&["GET", "POST"])),
        },
        [id] => match *method {
            Method::GET => get(app, request, id),
            Method::PATCH => update(app, request, id),
            Method::DELETE => delete(app, request, id),
            _ => Err(method_not_allowed(&["GET", "PATCH", "DELETE"])),
        },
        [id, action]
            if action.eq_ignore_ascii_case("assign")
                || action.eq_ignore_ascii_case("microsoft.graph.assign") =>
        {
            match *method {
                Method::POST => assign(app, request, id),
                _ => Err(method_not_allowed(&["POST"])),
            }
        }
        [id, navigation] if navigation.eq_ignore_ascii_case("assignments") => match *method {
            Method::GET => list_assignments(app, request, id),
            _ => Err(method_not_allowed(&["GET"])),
        },
        [id, navigation, assignment_id] if navigation.eq_ignore_ascii_case("assignments") => {
            match *method {
                Method::GET => get_assignment(app, request, id, assignment_id),
                _ => Err(method_not_allowed(&["GET"])),
            }
        }
        [_, navigation, _, extra, ..] if navigation.eq_ignore_ascii_case("assignments") => {
            Err(GraphError::segment_not_found(extra))
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// What a GET asks for beyond the bare object.
struct ReadShape {
    select: Option<Vec<&'static str>>,
    expand_assignments: bool,
}

impl ReadShape {
    fn parse(request: &GraphRequest) -> Result<Self, GraphError> {
        let derived = derived_types(request.version);
        let select = odata::parse_select(
            request.query.select.as_deref(),
            &DEVICE_CONFIGURATION,
            derived,
        )?;
        let expand = odata::parse_expand(
            request.query.expand.as_deref(),
            &DEVICE_CONFIGURATION,
            &["assignments"],
        )?;
        Ok(ReadShape {
            select,
            expand_assignments: expand.contains(&"assignments"),
        })
    }

    /// The object as returned: selected properties, then expanded navigations.
    fn render(&self, app: &App, request: &GraphRequest, tenant: &Tenant, object: &Value) -> Value {
        let mut out = odata::apply_select(object, self.select.as_deref());
        if self.expand_assignments {
            let id = object.get("id").and_then(Value::as_str).unwrap_or_default();
            if let Some(map) = out.as_object_mut() {
                map.insert(
                    "assignments@odata.context".into(),
                    Value::String(odata::context_url(
                        &app.graph_url,
                        request.version,
                        &format!("{COLLECTION_PATH}('{id}')/assignments"),
                    )),
                );
                map.insert(
                    "assignments".into(),
                    Value::Array(assignments::of(
                        &tenant.device_configuration_assignments,
                        id,
                    )),
                );
            }
        }
        out
    }
}

fn not_found(id: &str) -> GraphError {
    GraphError::intune_not_found(intune_url(Some(id), None))
}

fn list(app: &App, request: &GraphRequest) -> Result<Response, GraphError> {
    let shape = ReadShape::parse(request)?;
    let filter = request
        .query
        .filter
        .as_deref()
        .map(|text| Filter::parse(text, &DEVICE_CONFIGURATION, derived_types(request.version)))
        .transpose()?;
    let after = request
        .query
        .skiptoken
        .as_deref()
        .map(odata::decode_skiptoken)
        .transpose()?;
    let sizes = app.settings.get().page_size("deviceConfigurations");
    let page_size = request.query.top.unwrap_or(sizes.default).min(sizes.max);

    let (values, next_cursor) = app.store.read(|tenant| {
        let matching = tenant
            .device_configurations
            .values_with_cursor()
            .filter(|(_, object)| filter.as_ref().is_none_or(|f| f.matches(object)));
        let page = odata::paginate(matching, after, page_size);
        let values: Vec<Value> = page
            .items
            .into_iter()
            .map(|object| shape.render(app, request, tenant, object))
            .collect();
        (values, page.next_cursor)
    });

    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(odata::context_url(
            &app.graph_url,
            request.version,
            COLLECTION_PATH,
        )),
    );
    if let Some(cursor) = next_cursor {
        body.insert(
            "@odata.nextLink".into(),
            Value::String(odata::next_link(
                &app.graph_url,
                request.version,
                COLLECTION_PATH,
                &request.query,
                cursor,
            )),
        );
    }
    body.insert("value".into(), Value::Array(values));
    Ok(json_response(StatusCode::OK, &Value::Object(body)))
}

fn entity_response(
    app: &App,
    request: &GraphRequest,
    status: StatusCode,
    object: Value,
) -> Response {
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(odata::context_url(
            &app.graph_url,
            request.version,
            &format!("{COLLECTION_PATH}/$entity"),
        )),
    );
    if let Value::Object(map) = object {
        body.extend(map);
    }
    json_response(status, &Value::Object(body))
}

fn get(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let shape = ReadShape::parse(request)?;
    let object = app.store.read(|tenant| {
        tenant
            .device_configurations
            .get(id)
            .map(|object| shape.render(app, request, tenant, object))
    });
    let object = object.ok_or_else(|| not_found(id))?;
    Ok(entity_response(app, request, StatusCode::OK, object))
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

fn create(app: &App, request: &GraphRequest) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    let ty =
        match schema::resolve_type(&body, &DEVICE_CONFIGURATION, derived_types(request.version))? {
            ResolvedType::Absent | ResolvedType::Base => return Err(abstract_type_error()),
            ResolvedType::Derived(ty) => ty,
        };
    let given = schema::validate_properties(ty, &body)?;
    let url = intune_url(None, None);
    if let Some(missing) = REQUIRED_ON_CREATE
        .iter()
        .find(|name| given.get(**name).is_none_or(Value::is_null))
    {
        return Err(GraphError::intune_bad_request(
            format!("Required property '{missing}' is missing."),
            url,
        ));
    }
    check_domain_join(&given, &url)?;

    let id = Uuid::new_v4().to_string();
    let now = graph_timestamp(app.clock.now());
    let field = |name: &str| given.get(name).cloned().unwrap_or(Value::Null);
    let role_scope_tag_ids = given
        .get("roleScopeTagIds")
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or_else(|| json!(["0"]));
    // Intune's property order: base type first, then the derived type's.
    let object = json!({
        "@odata.type": ty.odata_type(),
        "id": id,
        "lastModifiedDateTime": now,
        "roleScopeTagIds": role_scope_tag_ids,
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
    });
    app.store.write(|tenant| {
        tenant
            .device_configurations
            .insert(id.clone(), object.clone());
        Ok::<_, GraphError>(())
    })?;
    tracing::info!(%id, "device configuration created");
    let mut response = entity_response(app, request, StatusCode::CREATED, object);
    let location = format!(
        "{}/{}/{COLLECTION_PATH}('{id}')",
        app.graph_url,
        request.version.as_str()
    );
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

fn update(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    // Without `@odata.type` the payload is read as the collection's base type, as OData does:
    // properties of the derived type are then unknown.
    let declared =
        schema::resolve_type(&body, &DEVICE_CONFIGURATION, derived_types(request.version))?;
    let read_as = match declared {
        ResolvedType::Absent | ResolvedType::Base => &DEVICE_CONFIGURATION,
        ResolvedType::Derived(ty) => ty,
    };
    let given = schema::validate_properties(read_as, &body)?;
    let url = intune_url(Some(id), None);
    let now = graph_timestamp(app.clock.now());

    app.store.write(|tenant| {
        let object = tenant
            .device_configurations
            .get(id)
            .ok_or_else(|| not_found(id))?;
        let stored_type = object
            .get("@odata.type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let ResolvedType::Derived(ty) = declared
            && ty.odata_type() != stored_type
        {
            return Err(GraphError::intune_bad_request(
                format!(
                    "The type '{}' does not match the type of the existing object '{}'.",
                    ty.qualified(),
                    stored_type.trim_start_matches('#')
                ),
                url.clone(),
            ));
        }
        let mut merged = object.as_object().cloned().unwrap_or_default();
        for (name, value) in given {
            let value = if name == "roleScopeTagIds" && value.is_null() {
                json!(["0"])
            } else {
                value
            };
            merged.insert(name, value);
        }
        check_domain_join(&merged, &url)?;
        let version = merged.get("version").and_then(Value::as_i64).unwrap_or(0) + 1;
        merged.insert("version".into(), json!(version));
        merged.insert("lastModifiedDateTime".into(), Value::String(now.clone()));
        tenant
            .device_configurations
            .insert(id.to_owned(), Value::Object(merged));
        Ok(())
    })?;
    tracing::info!(%id, "device configuration updated");
    Ok(no_content())
}

fn delete(app: &App, _request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    app.store.write(|tenant| {
        tenant
            .device_configurations
            .remove(id)
            .ok_or_else(|| not_found(id))?;
        assignments::remove_all(&mut tenant.device_configuration_assignments, id);
        Ok::<_, GraphError>(())
    })?;
    tracing::info!(%id, "device configuration deleted");
    Ok(no_content())
}

/// Validates one element of the `assignments` parameter and builds the stored assignment.
fn build_assignment(
    config_id: &str,
    value: &Value,
    url: &str,
) -> Result<(Value, Target), GraphError> {
    let Some(body) = value.as_object() else {
        return Err(GraphError::bad_request(format!(
            "Cannot convert the literal '{value}' to the expected type '{}'.",
            DEVICE_CONFIGURATION_ASSIGNMENT.qualified()
        )));
    };
    // Only checks the annotation: the assignment type has no derived types.
    schema::resolve_type(body, &DEVICE_CONFIGURATION_ASSIGNMENT, &[])?;
    let given = schema::validate_properties(&DEVICE_CONFIGURATION_ASSIGNMENT, body)?;
    let target_value = given
        .get("target")
        .filter(|t| !t.is_null())
        .ok_or_else(|| GraphError::intune_bad_request("An assignment needs a target.", url))?;
    let target = assignments::parse_target(target_value, SUPPORTED_TARGETS, url)?;
    let intent = given
        .get("intent")
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or_else(|| json!("apply"));
    let assignment = json!({
        "id": format!("{config_id}_{}", target.group_key),
        "intent": intent,
        "source": SOURCE_DIRECT,
        "sourceId": config_id,
        "target": target.value,
    });
    Ok((assignment, target))
}

fn assign(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let body = request.json_object()?;
    for name in body.keys() {
        if name != "assignments" && name != "deviceConfigurationGroupAssignments" {
            return Err(GraphError::bad_request(format!(
                "The parameter '{name}' in the request payload is not a valid parameter for the operation 'assign'."
            )));
        }
    }
    let items = match body.get("assignments") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(Value::Null) | None => &[],
        Some(other) => {
            return Err(GraphError::bad_request(format!(
                "Cannot convert the literal '{other}' to the expected type 'Collection(microsoft.graph.deviceConfigurationAssignment)'."
            )));
        }
    };
    let url = intune_url(Some(id), Some("assign"));
    let mut built: Vec<Value> = Vec::with_capacity(items.len());
    let mut seen: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let (assignment, target) = build_assignment(id, item, &url)?;
        if seen.contains(&target.group_key) {
            return Err(GraphError::intune_bad_request(
                format!(
                    "The assignment list targets '{}' more than once.",
                    target.group_key
                ),
                url,
            ));
        }
        seen.push(target.group_key);
        built.push(assignment);
    }

    app.store.write(|tenant| {
        if !tenant.device_configurations.contains(id) {
            return Err(not_found(id));
        }
        assignments::replace(&mut tenant.device_configuration_assignments, id, &built);
        Ok(())
    })?;
    tracing::info!(%id, count = built.len(), "device configuration assigned");
    let body = json!({
        "@odata.context": odata::context_url(
            &app.graph_url,
            request.version,
            "Collection(microsoft.graph.deviceConfigurationAssignment)",
        ),
        "value": built,
    });
    Ok(json_response(StatusCode::OK, &body))
}

fn list_assignments(app: &App, request: &GraphRequest, id: &str) -> Result<Response, GraphError> {
    let values = app.store.read(|tenant| {
        tenant
            .device_configurations
            .contains(id)
            .then(|| assignments::of(&tenant.device_configuration_assignments, id))
    });
    let values = values.ok_or_else(|| not_found(id))?;
    let body = json!({
        "@odata.context": odata::context_url(
            &app.graph_url,
            request.version,
            &format!("{COLLECTION_PATH}('{id}')/assignments"),
        ),
        "value": values,
    });
    Ok(json_response(StatusCode::OK, &body))
}

fn get_assignment(
    app: &App,
    request: &GraphRequest,
    id: &str,
    assignment_id: &str,
) -> Result<Response, GraphError> {
    let found = app.store.read(|tenant| {
        tenant
            .device_configuration_assignments
            .get(assignment_id)
            .filter(|a| a.get("sourceId").and_then(Value::as_str) == Some(id))
            .cloned()
    });
    let assignment = found
        .ok_or_else(|| GraphError::intune_not_found(intune_url(Some(id), Some("assignments"))))?;
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(odata::context_url(
            &app.graph_url,
            request.version,
            &format!("{COLLECTION_PATH}('{id}')/assignments/$entity"),
        )),
    );
    if let Value::Object(map) = assignment {
        body.extend(map);
    }
    Ok(json_response(StatusCode::OK, &Value::Object(body)))
}
