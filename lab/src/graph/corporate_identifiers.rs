//! `/deviceManagement/importedDeviceIdentities` (beta only): corporate device identifiers, the
//! IMEI, serial numbers and (Windows) `manufacturer,model,serial` triples Intune matches at
//! enrollment to mark a device corporate-owned. The `importDeviceIdentityList` action adds many
//! at once and answers one `importedDeviceIdentityResult` per identity, with `status` false for
//! one it did not add. What the lab decides without a source (recorded in the README): an
//! identity is the same as a stored one when its type matches and its identifier matches
//! ignoring case; `importDeviceIdentityList` without `overwriteImportedDeviceIdentities` leaves
//! such a one as it is and answers `status: false`, with it only its description changes; a
//! `manufacturerModelSerial` identifier must have three non-empty comma-separated parts.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::GraphRequest;
use super::assignments;
use super::collection::{self, IntuneBackend, Listing, Paging};
use super::schema;
use crate::app::App;
use crate::clock::graph_timestamp;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/importedDeviceIdentities";

/// The identity type of Windows corporate identifiers.
pub const MANUFACTURER_MODEL_SERIAL: &str = "manufacturerModelSerial";

/// What Graph shows for a date that never happened (a device that never contacted Intune).
const NEVER: &str = "0001-01-01T00:00:00Z";

graph_types!("graph_corporate_identifiers");

/// The Intune backend behind the collection, named in wrapped errors.
static INTUNE: IntuneBackend = IntuneBackend {
    path: "DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/deviceManagement/importedDeviceIdentities",
};

/// Page size of the listing (the lab's choice: no source gives Intune's).
pub static PAGING: Paging = Paging::new("importedDeviceIdentities", 1000, 1000);

fn identities(tenant: &Tenant) -> &Collection {
    &tenant.imported_device_identities
}

/// Routes the segments after `importedDeviceIdentities`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] => crate::graph::list_or_create(app, request, list, create),
        [action] if crate::graph::is_action(action, "importDeviceIdentityList") => {
            by_method!(method, POST => import_list(app, request))
        }
        [id] => by_method!(method,
            GET => get(app, request, id),
            DELETE => delete(app, id),
        ),
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

fn listing() -> Listing<'static> {
    Listing::plain(
        &PAGING,
        COLLECTION_PATH.to_owned(),
        &IMPORTED_DEVICE_IDENTITY,
    )
}

fn list(app: &App, request: &GraphRequest) -> GraphResult {
    listing().list_stored(app, request, identities)
}

fn get(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    listing().get_stored(app, request, identities, id, &INTUNE)
}

/// Why an identity cannot be stored, if it cannot: a missing identifier, or a Windows one
/// that is not three non-empty comma-separated parts.
fn refusal(given: &Map<String, Value>) -> Option<String> {
    let identifier = given
        .get("importedDeviceIdentifier")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if identifier.trim().is_empty() {
        return Some("importedDeviceIdentifier is required.".to_owned());
    }
    let kind = given
        .get("importedDeviceIdentityType")
        .and_then(Value::as_str);
    match kind {
        None | Some("unknown") => Some("importedDeviceIdentityType is required.".to_owned()),
        Some(MANUFACTURER_MODEL_SERIAL) => {
            let parts: Vec<&str> = identifier.split(',').collect();
            (parts.len() != 3 || parts.iter().any(|p| p.trim().is_empty())).then(|| {
                format!(
                    "'{identifier}' is not a manufacturer, model and serial number separated by commas."
                )
            })
        }
        Some(_) => None,
    }
}

/// The stored identity with the same type and identifier (ignoring case), if any.
fn existing(tenant: &Tenant, given: &Map<String, Value>) -> Option<String> {
    let kind = given.get("importedDeviceIdentityType")?;
    let identifier = given.get("importedDeviceIdentifier")?.as_str()?;
    tenant
        .imported_device_identities
        .values()
        .find(|stored| {
            stored.get("importedDeviceIdentityType") == Some(kind)
                && collection::str_of(stored, "importedDeviceIdentifier")
                    .eq_ignore_ascii_case(identifier)
        })
        .map(|stored| collection::str_of(stored, "id").to_owned())
}

/// A new identity as Intune stores it: not yet contacted; Windows for a
/// `manufacturerModelSerial` one unless the body names a platform.
fn build(given: &Map<String, Value>, now: &str) -> Value {
    let field = |name: &str| given.get(name).cloned().unwrap_or(Value::Null);
    let kind = field("importedDeviceIdentityType");
    let platform = match given.get("platform") {
        Some(Value::String(p)) => p.clone(),
        _ if kind == MANUFACTURER_MODEL_SERIAL => "windows".to_owned(),
        _ => "unknown".to_owned(),
    };
    json!({
        "@odata.type": IMPORTED_DEVICE_IDENTITY.odata_type(),
        "id": Uuid::new_v4().to_string(),
        "importedDeviceIdentifier": field("importedDeviceIdentifier"),
        "importedDeviceIdentityType": kind,
        "lastModifiedDateTime": now,
        "createdDateTime": now,
        "lastContactedDateTime": NEVER,
        "description": field("description"),
        "enrollmentState": "notContacted",
        "platform": platform,
    })
}

fn create(app: &App, request: &GraphRequest) -> GraphResult {
    let body = request.json_object()?;
    let given = schema::validate_properties(&IMPORTED_DEVICE_IDENTITY, &body)?;
    let url = INTUNE.url(None, None);
    if let Some(why) = refusal(&given) {
        return Err(GraphError::intune_bad_request(why, &url));
    }
    let object = build(&given, &graph_timestamp(app.clock.now()));
    let id = collection::str_of(&object, "id").to_owned();
    app.store.write(|tenant| {
        if existing(tenant, &given).is_some() {
            return Err(GraphError::intune_bad_request(
                "An imported device identity with this identifier already exists.",
                &url,
            ));
        }
        tenant
            .imported_device_identities
            .insert(id.clone(), object.clone());
        Ok(())
    })?;
    tracing::info!(%id, "imported device identity created");
    collection::intune_created(app, request, COLLECTION_PATH, &id, object)
}

/// The result of one identity of an `importDeviceIdentityList` call.
fn result_of(object: &Value, status: bool) -> Value {
    let mut result = object.as_object().cloned().unwrap_or_default();
    result.insert(
        "@odata.type".into(),
        Value::String(IMPORTED_DEVICE_IDENTITY_RESULT.odata_type()),
    );
    result.insert("status".into(), Value::Bool(status));
    Value::Object(result)
}

/// Adds (or with `overwrite` updates) one identity; answers its result.
fn import_one(
    tenant: &mut Tenant,
    given: &Map<String, Value>,
    overwrite: bool,
    now: &str,
) -> Value {
    if refusal(given).is_some() {
        let mut refused = build(given, now);
        if let Some(map) = refused.as_object_mut() {
            map.insert("id".into(), Value::String(String::new()));
        }
        return result_of(&refused, false);
    }
    if let Some(id) = existing(tenant, given) {
        let Some(stored) = tenant.imported_device_identities.get_mut(&id) else {
            return result_of(&build(given, now), false);
        };
        if overwrite && let Some(map) = stored.as_object_mut() {
            map.insert(
                "description".into(),
                given.get("description").cloned().unwrap_or(Value::Null),
            );
            map.insert("lastModifiedDateTime".into(), Value::String(now.to_owned()));
        }
        return result_of(stored, overwrite);
    }
    let object = build(given, now);
    let id = collection::str_of(&object, "id").to_owned();
    tenant.imported_device_identities.insert(id, object.clone());
    result_of(&object, true)
}

fn import_list(app: &App, request: &GraphRequest) -> GraphResult {
    let body = request.json_object()?;
    const LIST: &str = "importedDeviceIdentities";
    const OVERWRITE: &str = "overwriteImportedDeviceIdentities";
    assignments::only_parameters(&body, &[LIST, OVERWRITE], "importDeviceIdentityList")?;
    let items = assignments::array_parameter(&body, LIST, &IMPORTED_DEVICE_IDENTITY.qualified())?;
    let overwrite = match body.get(OVERWRITE) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(schema::conversion_error(other, "Edm.Boolean")),
    };
    let given = items
        .iter()
        .map(|item| match item.as_object() {
            Some(object) => schema::validate_properties(&IMPORTED_DEVICE_IDENTITY, object),
            None => Err(schema::conversion_error(
                item,
                &IMPORTED_DEVICE_IDENTITY.qualified(),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let now = graph_timestamp(app.clock.now());
    let results = app.store.write(|tenant| {
        let results: Vec<Value> = given
            .iter()
            .map(|one| import_one(tenant, one, overwrite, &now))
            .collect();
        Ok::<_, GraphError>(results)
    })?;
    tracing::info!(count = results.len(), "imported device identity list");
    Ok(collection::values_response(
        app,
        request,
        "Collection(microsoft.graph.importedDeviceIdentityResult)",
        results,
    ))
}

fn delete(app: &App, id: &str) -> GraphResult {
    INTUNE.delete_stored(
        app,
        "imported device identity",
        |tenant| &mut tenant.imported_device_identities,
        id,
        |_| Ok(()),
    )
}
