//! Assignment targets (`deviceAndAppManagementAssignmentTarget` and derived types), shared by
//! every collection whose objects are assigned to groups or to all devices/users; `assign`
//! lists; the stored assignments of an object (each one's `sourceId` names it); and
//! [`Navigation`], the paged `assignments` navigation of deployment profiles, ESPs and
//! configuration policies.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::collection::{self, Listing, Shape};
use super::schema::{self, Kind, Property, ResolvedType, StructuredType, abstract_type_error};
use super::{GraphRequest, odata};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

/// Group id Intune uses for the virtual "All devices" group (it appears in assignment ids).
pub const ALL_DEVICES_GROUP_ID: &str = "adadadad-808e-44e2-905a-0b7873a8a531";
/// Group id Intune uses for the virtual "All users" group.
pub const ALL_USERS_GROUP_ID: &str = "acacacac-9df4-4c7d-9d50-4ef0226f57a9";

graph_types!("graph_assignments");

/// Every target type in the schema.
pub static TARGET_TYPES: &[&StructuredType] = &[
    &GROUP_TARGET,
    &EXCLUSION_GROUP_TARGET,
    &ALL_DEVICES_TARGET,
    &ALL_LICENSED_USERS_TARGET,
    &CONFIGURATION_MANAGER_COLLECTION_TARGET,
];

/// The targets every Intune collection but deployment profiles accepts: groups, exclusions,
/// all devices and all licensed users (no Configuration Manager collections).
pub const GROUP_AND_ALL_TARGETS: &[&StructuredType] = &[
    &GROUP_TARGET,
    &EXCLUSION_GROUP_TARGET,
    &ALL_DEVICES_TARGET,
    &ALL_LICENSED_USERS_TARGET,
];

/// The source of every assignment the lab creates.
pub const SOURCE_DIRECT: &str = "direct";

/// The `source` property every Intune assignment type has
/// (`deviceAndAppManagementAssignmentSource`).
pub const SOURCE: Property = Property::read_only(
    "source",
    Kind::Enum(
        "deviceAndAppManagementAssignmentSource",
        &["direct", "policySets"],
    ),
    false,
);

/// The `sourceId` property every Intune assignment type has.
pub const SOURCE_ID: Property = Property::read_only("sourceId", Kind::String, true);

/// The `target` property every Intune assignment type has: one of the target types.
pub const TARGET: Property = Property::new(
    "target",
    Kind::Complex("deviceAndAppManagementAssignmentTarget"),
    true,
);

/// A validated target, in the shape Graph returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The target object, with `@odata.type`, the filter properties and `groupId` when it has one.
    pub value: Value,
    /// The group the target points at: the real group id, or the virtual "All devices" / "All
    /// users" group id. Used in assignment ids and to detect duplicate targets.
    pub group_key: String,
}

/// Validates a `target` from a request body. `supported` lists the target types the owning
/// object accepts; `intune_url` goes into wrapped (service-side) errors.
pub fn parse_target(
    value: &Value,
    supported: &[&'static StructuredType],
    intune_url: &str,
) -> Result<Target, GraphError> {
    let Some(body) = value.as_object() else {
        return Err(GraphError::bad_request(format!(
            "Cannot convert the literal '{value}' to the expected type '{}'.",
            ASSIGNMENT_TARGET.qualified()
        )));
    };
    let ty = match schema::resolve_type(body, &ASSIGNMENT_TARGET, TARGET_TYPES)? {
        ResolvedType::Absent | ResolvedType::Base => return Err(abstract_type_error()),
        ResolvedType::Derived(ty) => ty,
    };
    if !supported.iter().any(|s| std::ptr::eq(*s, ty)) {
        return Err(GraphError::intune_bad_request(
            format!(
                "Assignment target type '{}' is not supported for this object.",
                ty.qualified()
            ),
            intune_url,
        ));
    }
    let given = schema::validate_properties(ty, body)?;
    let mut target = Map::new();
    target.insert("@odata.type".into(), Value::String(ty.odata_type()));
    target.insert(
        "deviceAndAppManagementAssignmentFilterId".into(),
        given
            .get("deviceAndAppManagementAssignmentFilterId")
            .cloned()
            .unwrap_or(Value::Null),
    );
    target.insert(
        "deviceAndAppManagementAssignmentFilterType".into(),
        given
            .get("deviceAndAppManagementAssignmentFilterType")
            .cloned()
            .unwrap_or_else(|| json!("none")),
    );
    let group_key = if ty.is_a(&GROUP_TARGET) {
        let group_id = given
            .get("groupId")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                GraphError::intune_bad_request(
                    format!("A {} needs a groupId.", ty.name),
                    intune_url,
                )
            })?;
        let parsed = Uuid::parse_str(group_id).map_err(|_| {
            GraphError::intune_bad_request(
                format!("'{group_id}' is not a valid group id."),
                intune_url,
            )
        })?;
        target.insert("groupId".into(), Value::String(group_id.to_owned()));
        parsed.to_string()
    } else if std::ptr::eq(ty, &ALL_DEVICES_TARGET) {
        ALL_DEVICES_GROUP_ID.to_owned()
    } else if std::ptr::eq(ty, &ALL_LICENSED_USERS_TARGET) {
        ALL_USERS_GROUP_ID.to_owned()
    } else {
        let collection = given
            .get("collectionId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        target.insert("collectionId".into(), Value::String(collection.clone()));
        collection
    };
    Ok(Target {
        value: Value::Object(target),
        group_key,
    })
}

/// Drops what `version` does not declare from an assignment target (v1.0 has no filter
/// properties).
pub fn project_target(target: &mut Value, version: super::ApiVersion) {
    let name = target
        .get("@odata.type")
        .and_then(Value::as_str)
        .map(|t| t.trim_start_matches('#').to_owned())
        .unwrap_or_default();
    let ty = TARGET_TYPES
        .iter()
        .copied()
        .find(|ty| ty.qualified() == name)
        .unwrap_or(&ASSIGNMENT_TARGET);
    schema::project(ty, target, version);
}

/// Validates the assignments of an `assign` action and builds the stored objects:
/// `{"id": "<parent>_<group>", ["intent",] "source": "direct", "sourceId": <parent>, "target"}`.
/// The same group (or All devices / All users) twice is refused.
pub fn build_assignment_list(
    items: &[Value],
    parent_id: &str,
    assignment_type: &'static StructuredType,
    supported: &[&'static StructuredType],
    url: &str,
) -> Result<Vec<Value>, GraphError> {
    let mut built = Vec::with_capacity(items.len());
    let mut seen: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let Some(body) = item.as_object() else {
            return Err(schema::conversion_error(item, &assignment_type.qualified()));
        };
        schema::resolve_type(body, assignment_type, &[])?;
        let given = schema::validate_properties(assignment_type, body)?;
        let target_value = given
            .get("target")
            .filter(|t| !t.is_null())
            .ok_or_else(|| GraphError::intune_bad_request("An assignment needs a target.", url))?;
        let target = parse_target(target_value, supported, url)?;
        if seen.contains(&target.group_key) {
            return Err(GraphError::intune_bad_request(
                format!(
                    "The assignment list targets '{}' more than once.",
                    target.group_key
                ),
                url,
            ));
        }
        let mut assignment = Map::new();
        assignment.insert(
            "id".into(),
            Value::String(format!("{parent_id}_{}", target.group_key)),
        );
        if assignment_type.property("intent").is_some() {
            assignment.insert(
                "intent".into(),
                given
                    .get("intent")
                    .filter(|v| !v.is_null())
                    .cloned()
                    .unwrap_or_else(|| json!("apply")),
            );
        }
        assignment.insert("source".into(), json!(SOURCE_DIRECT));
        assignment.insert("sourceId".into(), json!(parent_id));
        assignment.insert("target".into(), target.value);
        seen.push(target.group_key);
        built.push(Value::Object(assignment));
    }
    Ok(built)
}

/// The array parameter `name` of an action body (`null` or absent is empty).
pub fn array_parameter<'b>(
    body: &'b Map<String, Value>,
    name: &str,
    element_type: &str,
) -> Result<&'b [Value], GraphError> {
    match body.get(name) {
        Some(Value::Array(items)) => Ok(items.as_slice()),
        Some(Value::Null) | None => Ok(&[]),
        Some(other) => Err(schema::conversion_error(
            other,
            &format!("Collection({element_type})"),
        )),
    }
}

/// Refuses action parameters other than `allowed`, as OData does.
pub fn only_parameters(
    body: &Map<String, Value>,
    allowed: &[&str],
    action: &str,
) -> Result<(), GraphError> {
    match body
        .keys()
        .find(|k| !allowed.contains(&k.as_str()) && !k.contains('@'))
    {
        Some(name) => Err(GraphError::bad_request(format!(
            "The parameter '{name}' in the request payload is not a valid parameter for the operation '{action}'."
        ))),
        None => Ok(()),
    }
}

/// The assignments of object `parent_id` in `assignments`, in creation order.
pub fn of(assignments: &Collection, parent_id: &str) -> Vec<Value> {
    assignments
        .values()
        .filter(|a| collection::str_of(a, "sourceId") == parent_id)
        .cloned()
        .collect()
}

/// Deletes every assignment of object `parent_id` (its deletion, or an `assign` that replaces
/// the list).
pub fn remove_all(assignments: &mut Collection, parent_id: &str) {
    assignments.retain(|a| collection::str_of(a, "sourceId") != parent_id);
}

/// What an `assign` action stores: the assignments of `parent_id` become `built` (from
/// [`build_assignment_list`]), keyed by their ids.
pub fn replace(assignments: &mut Collection, parent_id: &str, built: &[Value]) {
    remove_all(assignments, parent_id);
    for assignment in built {
        assignments.insert(
            collection::str_of(assignment, "id").to_owned(),
            assignment.clone(),
        );
    }
}

/// The `assignments` navigation of an Intune collection whose assignments are stored in a
/// collection of their own: what differs between those collections, so that listing, single
/// reads, `$expand=assignments` and reading an `assign` body are written once.
pub struct Navigation {
    /// Path of the owning collection under the version prefix (its `COLLECTION_PATH`).
    pub collection_path: &'static str,
    /// Page size of the listing: the owning collection's.
    pub paging: &'static collection::Paging,
    /// The assignment entity type.
    pub assignment_type: &'static StructuredType,
    /// Target types the owning objects accept.
    pub targets: &'static [&'static StructuredType],
    /// The owning collection in the store.
    pub parents: fn(&Tenant) -> &Collection,
    /// The assignments in the store.
    pub assignments: fn(&Tenant) -> &Collection,
    /// The same, to write them.
    pub assignments_mut: fn(&mut Tenant) -> &mut Collection,
    /// What the owning objects are called in the log.
    pub noun: &'static str,
    /// The Intune backend of the owning collection, for wrapped errors.
    pub backend: &'static collection::IntuneBackend,
}

impl Navigation {
    /// `<collection>('<id>')/assignments`, after the version.
    fn path(&self, id: &str) -> String {
        format!("{}('{id}')/assignments", self.collection_path)
    }

    /// Intune's 404 for an owning object that does not exist.
    fn not_found(&self, id: &str) -> GraphError {
        self.backend.not_found(id)
    }

    /// The assignment `assignment_id` of object `id`: 404 when the object does not exist, 404
    /// on the assignment's URL when it is not one of the object's assignments.
    pub fn find<'t>(
        &self,
        tenant: &'t Tenant,
        id: &str,
        assignment_id: &str,
    ) -> Result<&'t Value, GraphError> {
        if !(self.parents)(tenant).contains(id) {
            return Err(self.not_found(id));
        }
        (self.assignments)(tenant)
            .get(assignment_id)
            .filter(|a| collection::str_of(a, "sourceId") == id)
            .ok_or_else(|| {
                GraphError::intune_not_found(
                    self.backend
                        .url(Some(id), Some(&format!("assignments('{assignment_id}')"))),
                )
            })
    }

    /// `GET <collection>('<id>')/assignments`: the object's assignments, paged like any
    /// collection and shown as the request's version declares them.
    pub fn list(&self, app: &App, request: &GraphRequest, id: &str) -> GraphResult {
        if !app.store.read(|tenant| (self.parents)(tenant).contains(id)) {
            return Err(self.not_found(id));
        }
        let owner = id.to_owned();
        let listing = Listing::plain(self.paging, self.path(id), self.assignment_type);
        collection::list(
            app,
            request,
            &listing,
            self.assignments,
            move |_, a| collection::str_of(a, "sourceId") == owner,
            collection::stored,
        )
    }

    /// `GET <collection>('<id>')/assignments('<assignmentId>')`, shown as the request's version
    /// declares it (v1.0 has no assignment filter properties).
    pub fn get(
        &self,
        app: &App,
        request: &GraphRequest,
        id: &str,
        assignment_id: &str,
    ) -> GraphResult {
        let found = app
            .store
            .read(|tenant| self.find(tenant, id, assignment_id).cloned())?;
        let found = collection::project(&found, self.assignment_type, &[], request.version);
        Ok(collection::entity_response(
            app,
            request,
            StatusCode::OK,
            &format!("{}/$entity", self.path(id)),
            found,
        ))
    }

    /// `$expand=assignments`: adds `assignments@odata.context` and the object's assignments
    /// (shown as the request's version declares them) to a rendered object.
    pub fn expand_into(
        &self,
        app: &App,
        request: &GraphRequest,
        tenant: &Tenant,
        object: &mut Value,
    ) {
        let id = collection::str_of(object, "id").to_owned();
        let context = odata::context_url(&app.graph_url, request.version, &self.path(&id));
        let assigned = of((self.assignments)(tenant), &id)
            .iter()
            .map(|a| collection::project(a, self.assignment_type, &[], request.version))
            .collect();
        if let Some(map) = object.as_object_mut() {
            map.insert("assignments@odata.context".into(), Value::String(context));
            map.insert("assignments".into(), Value::Array(assigned));
        }
    }

    /// An owning object as reads show it: with its assignments when `$expand=assignments` asks.
    pub fn render(
        &self,
        app: &App,
        request: &GraphRequest,
        tenant: &Tenant,
        object: &Value,
        shape: &Shape,
    ) -> Value {
        let mut out = object.clone();
        if shape.expands("assignments") {
            self.expand_into(app, request, tenant, &mut out);
        }
        out
    }

    /// `GET <collection>`: the owning collection as `listing` describes it, each object rendered
    /// by [`Navigation::render`].
    pub fn list_owners(
        &self,
        app: &App,
        request: &GraphRequest,
        listing: &Listing<'_>,
    ) -> GraphResult {
        collection::list(
            app,
            request,
            listing,
            self.parents,
            |_, _| true,
            |tenant, object, shape| self.render(app, request, tenant, object, shape),
        )
    }

    /// `GET <collection>('<id>')`: one owning object, rendered by [`Navigation::render`]; Intune's
    /// 404 when there is none.
    pub fn get_owner(
        &self,
        app: &App,
        request: &GraphRequest,
        listing: &Listing<'_>,
        id: &str,
    ) -> GraphResult {
        listing.get(
            app,
            request,
            self.parents,
            id,
            || self.not_found(id),
            |tenant, object, shape| self.render(app, request, tenant, object, shape),
        )
    }

    /// Reads the body of `assign` on object `id`, whose one parameter is the array `parameter`,
    /// and builds the object's new assignment list (see [`build_assignment_list`]); `url` goes
    /// into wrapped errors.
    pub fn assign_list(
        &self,
        body: &Map<String, Value>,
        parameter: &str,
        id: &str,
        url: &str,
    ) -> Result<Vec<Value>, GraphError> {
        only_parameters(body, &[parameter], "assign")?;
        let items = array_parameter(body, parameter, &self.assignment_type.qualified())?;
        build_assignment_list(items, id, self.assignment_type, self.targets, url)
    }

    /// The end of `assign` on object `id`: `built` (from [`Navigation::assign_list`]) becomes
    /// its assignment list. Intune's 404 when the object does not exist; `check` then may refuse
    /// or mark the object; an assignment naming a filter that does not exist is refused.
    pub fn store_list(
        &self,
        app: &App,
        id: &str,
        built: &[Value],
        url: &str,
        check: impl FnOnce(&mut Tenant) -> Result<(), GraphError>,
    ) -> Result<(), GraphError> {
        app.store.write(|tenant| {
            if !(self.parents)(tenant).contains(id) {
                return Err(self.not_found(id));
            }
            check(tenant)?;
            crate::graph::assignment_filters::unknown_filter(tenant, built, url)?;
            replace((self.assignments_mut)(tenant), id, built);
            Ok(())
        })?;
        tracing::info!(%id, count = built.len(), "{} assigned", self.noun);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUPPORTED: &[&StructuredType] = &[
        &GROUP_TARGET,
        &EXCLUSION_GROUP_TARGET,
        &ALL_DEVICES_TARGET,
        &ALL_LICENSED_USERS_TARGET,
    ];

    #[test]
    fn group_target_gets_defaults() {
        let group = "6f1b5b3e-7c55-4a7e-9a51-2a4c1a4b0c11";
        let t = parse_target(
            &json!({"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": group}),
            SUPPORTED,
            "u",
        )
        .unwrap();
        assert_eq!(t.group_key, group);
        assert_eq!(
            t.value,
            json!({
                "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
                "deviceAndAppManagementAssignmentFilterId": null,
                "deviceAndAppManagementAssignmentFilterType": "none",
                "groupId": group,
            })
        );
    }

    #[test]
    fn refusals() {
        assert!(parse_target(&json!({"groupId": "x"}), SUPPORTED, "u").is_err());
        let err = parse_target(
            &json!({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget", "groupId": "x"}),
            SUPPORTED,
            "u",
        )
        .unwrap_err();
        assert!(err.to_string().contains(
            "'groupId' does not exist on type 'microsoft.graph.allDevicesAssignmentTarget'"
        ));
        assert!(
            parse_target(
                &json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget"}),
                SUPPORTED,
                "u"
            )
            .is_err()
        );
        assert!(parse_target(&json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "nope"}), SUPPORTED, "u").is_err());
        assert!(parse_target(&json!({"@odata.type": "#microsoft.graph.configurationManagerCollectionAssignmentTarget"}), SUPPORTED, "u").is_err());
    }
}
