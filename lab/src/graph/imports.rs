//! `/deviceManagement/importedWindowsAutopilotDeviceIdentities` (beta and v1.0): device imports
//! and their state machine. A new import reads `unknown` until `import_processing_ms` has passed
//! (or `windowsAutopilotSettings/sync` runs); then it is `complete`, with the new
//! `windowsAutopilotDeviceIdentity`'s id in `deviceRegistrationId`, or `error` with Autopilot's
//! error code and name.

use axum::http::StatusCode;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::GraphRequest;
use super::assignments;
use super::collection::{self, IntuneBackend, Listing, Paging};
use super::schema::{self};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::store::{Collection, PendingImport, StoreError, Tenant};

/// Path of the collection under the version prefix.
pub const COLLECTION_PATH: &str = "deviceManagement/importedWindowsAutopilotDeviceIdentities";

/// Autopilot's import errors: (code, name).
pub const ALREADY_ASSIGNED: (i64, &str) = (806, "ZtdDeviceAlreadyAssigned");
pub const ASSIGNED_TO_OTHER_TENANT: (i64, &str) = (808, "ZtdDeviceAssignedToOtherTenant");
/// The numeric code of `ZtdDeviceDuplicated` is not documented; 807 is the lab's choice.
pub const DUPLICATED: (i64, &str) = (807, "ZtdDeviceDuplicated");
pub const INVALID_HASH: (i64, &str) = (802, "InvalidZtdHardwareHash");

graph_types!("graph_imports");

/// The Intune backend behind the collection, named in wrapped errors.
static INTUNE: IntuneBackend = IntuneBackend {
    path: "DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/deviceManagement/importedWindowsAutopilotDeviceIdentities",
};

fn imports(tenant: &Tenant) -> &Collection {
    &tenant.imported_windows_autopilot_device_identities
}

/// Routes the segments after `importedWindowsAutopilotDeviceIdentities`.
pub fn route(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] => crate::graph::list_or_create(app, request, list, create),
        [action] if crate::graph::is_action(action, "import") => {
            by_method!(method,
                POST => import(app, request),
            )
        }
        [id] => by_method!(method,
            GET => get(app, request, id),
            DELETE => delete(app, id),
        ),
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// Page size of the listing: Intune clamps `$top` to the maximum.
pub static PAGING: Paging = Paging::new("importedWindowsAutopilotDeviceIdentities", 1000, 1000);

fn list(app: &App, request: &GraphRequest) -> GraphResult {
    let listing = Listing::plain(&PAGING, COLLECTION_PATH.to_owned(), &IMPORTED_IDENTITY);
    listing.list_stored(app, request, imports)
}

fn get(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let select =
        super::odata::parse_select(request.query.select.as_deref(), &IMPORTED_IDENTITY, &[])?;
    let object = app
        .store
        .read(|tenant| {
            tenant
                .imported_windows_autopilot_device_identities
                .get(id)
                .cloned()
        })
        .ok_or_else(|| INTUNE.not_found(id))?;
    Ok(collection::entity_response(
        app,
        request,
        StatusCode::OK,
        &format!("{COLLECTION_PATH}/$entity"),
        super::odata::apply_select(&object, select.as_deref()),
    ))
}

/// Validates one import payload and builds the new record (state `unknown`).
fn build_import(
    request: &GraphRequest,
    value: &Value,
    url: &str,
) -> Result<(String, Value), GraphError> {
    let Some(body) = value.as_object() else {
        return Err(schema::conversion_error(
            value,
            &IMPORTED_IDENTITY.qualified(),
        ));
    };
    schema::resolve_type(body, &IMPORTED_IDENTITY, &[])?;
    let given = schema::validate_properties_in(&IMPORTED_IDENTITY, body, request.version)?;
    for required in ["serialNumber", "hardwareIdentifier"] {
        if given
            .get(required)
            .and_then(Value::as_str)
            .is_none_or(|v| v.trim().is_empty())
        {
            return Err(GraphError::intune_bad_request(
                format!("{required} is required to import a device."),
                url,
            ));
        }
    }
    let id = Uuid::new_v4().to_string();
    let field = |name: &str| given.get(name).cloned().unwrap_or(Value::Null);
    let object = json!({
        "@odata.type": IMPORTED_IDENTITY.odata_type(),
        "id": id,
        "groupTag": field("groupTag"),
        "serialNumber": field("serialNumber"),
        "productKey": field("productKey"),
        "importId": field("importId"),
        "hardwareIdentifier": field("hardwareIdentifier"),
        "state": {
            "deviceImportStatus": "unknown",
            "deviceRegistrationId": "",
            "deviceErrorCode": 0,
            "deviceErrorName": "",
        },
        "assignedUserPrincipalName": field("assignedUserPrincipalName"),
    });
    Ok((id, object))
}

/// When new imports are decided.
fn due_time(app: &App) -> DateTime<Utc> {
    let delay = app.settings.get().import_processing_ms;
    Utc::now() + chrono::Duration::milliseconds(i64::try_from(delay).unwrap_or(i64::MAX / 2))
}

/// Stores a new import and queues it for its decision at `due` (with its `import` batch, if any).
fn store_pending(
    tenant: &mut Tenant,
    id: &str,
    object: &Value,
    due: DateTime<Utc>,
    batch: Option<&str>,
) {
    tenant
        .imported_windows_autopilot_device_identities
        .insert(id.to_owned(), object.clone());
    tenant.lab.pending_imports.push(PendingImport {
        id: id.to_owned(),
        due,
        batch: batch.map(str::to_owned),
    });
}

fn create(app: &App, request: &GraphRequest) -> GraphResult {
    let body = request.json_object()?;
    let url = INTUNE.url(None, None);
    let (id, object) = build_import(request, &Value::Object(body), &url)?;
    let due = due_time(app);
    app.store.write(|tenant| {
        store_pending(tenant, &id, &object, due, None);
        Ok::<_, GraphError>(())
    })?;
    tracing::info!(%id, "device import created");
    let shown = collection::project(&object, &IMPORTED_IDENTITY, &[], request.version);
    collection::intune_created(app, request, COLLECTION_PATH, &id, shown)
}

fn import(app: &App, request: &GraphRequest) -> GraphResult {
    let body = request.json_object()?;
    assignments::only_parameters(
        &body,
        &["importedWindowsAutopilotDeviceIdentities"],
        "import",
    )?;
    let items = assignments::array_parameter(
        &body,
        "importedWindowsAutopilotDeviceIdentities",
        &IMPORTED_IDENTITY.qualified(),
    )?;
    let url = INTUNE.url(None, Some("microsoft.management.services.api.import"));
    let built = items
        .iter()
        .map(|item| build_import(request, item, &url))
        .collect::<Result<Vec<_>, _>>()?;
    let batch = Uuid::new_v4().to_string();
    let due = due_time(app);
    app.store.write(|tenant| {
        for (id, object) in &built {
            store_pending(tenant, id, object, due, Some(&batch));
        }
        Ok::<_, GraphError>(())
    })?;
    tracing::info!(count = built.len(), "device import batch created");
    let values = built
        .into_iter()
        .map(|(_, object)| collection::project(&object, &IMPORTED_IDENTITY, &[], request.version))
        .collect();
    Ok(collection::values_response(
        app,
        request,
        "Collection(microsoft.graph.importedWindowsAutopilotDeviceIdentity)",
        values,
    ))
}

fn delete(app: &App, id: &str) -> GraphResult {
    INTUNE.delete_stored(
        app,
        "imported Autopilot device identity",
        |tenant| &mut tenant.imported_windows_autopilot_device_identities,
        id,
        |tenant| {
            tenant.lab.pending_imports.retain(|p| p.id != id);
            Ok(())
        },
    )
}

/// Whether a hardware hash carries data: it decodes (padded Base64) to at least one byte and
/// the bytes are not all the same.
pub fn hash_is_valid(hash: &str) -> bool {
    match base64::engine::general_purpose::STANDARD.decode(hash) {
        Ok(bytes) => bytes
            .first()
            .is_some_and(|first| bytes.iter().any(|b| b != first)),
        Err(_) => false,
    }
}

/// Decides every import due by `now` (or every pending one when `all`), in arrival order.
pub fn process(tenant: &mut Tenant, now: DateTime<Utc>, all: bool) -> usize {
    let (due, waiting): (Vec<PendingImport>, Vec<PendingImport>) = tenant
        .lab
        .pending_imports
        .drain(..)
        .partition(|p| all || p.due <= now);
    tenant.lab.pending_imports = waiting;
    let mut decided = 0;
    // Serials and hashes seen per batch, for duplicates inside one import call.
    let mut seen: Vec<(Option<String>, String, String)> = Vec::new();
    for pending in due {
        let Some(record) = tenant
            .imported_windows_autopilot_device_identities
            .get(&pending.id)
            .cloned()
        else {
            continue;
        };
        let serial = collection::str_of(&record, "serialNumber").to_owned();
        let hash = collection::str_of(&record, "hardwareIdentifier").to_owned();
        let serial_key = serial.to_ascii_lowercase();
        let duplicate = pending.batch.is_some()
            && seen
                .iter()
                .any(|(batch, s, h)| *batch == pending.batch && (*s == serial_key || *h == hash));
        seen.push((pending.batch.clone(), serial_key.clone(), hash.clone()));
        let foreign = tenant
            .lab
            .foreign_serials
            .iter()
            .any(|s| s.eq_ignore_ascii_case(&serial));
        let registered = tenant
            .windows_autopilot_device_identities
            .values()
            .any(|d| collection::str_of(d, "serialNumber").eq_ignore_ascii_case(&serial));
        let failure = if foreign {
            Some(ASSIGNED_TO_OTHER_TENANT)
        } else if !hash_is_valid(&hash) {
            Some(INVALID_HASH)
        } else if duplicate {
            Some(DUPLICATED)
        } else if registered {
            Some(ALREADY_ASSIGNED)
        } else {
            None
        };
        let state = match failure {
            Some((code, name)) => json!({
                "deviceImportStatus": "error",
                "deviceRegistrationId": "",
                "deviceErrorCode": code,
                "deviceErrorName": name,
            }),
            None => {
                let device_id = Uuid::new_v4().to_string();
                let device = super::device_identities::new_device(&device_id, &record);
                // Registration makes the device's Entra object (enrollment does not have to).
                super::directory::add_registered_entra_device(tenant, &device);
                tenant
                    .windows_autopilot_device_identities
                    .insert(device_id.clone(), device);
                json!({
                    "deviceImportStatus": "complete",
                    "deviceRegistrationId": device_id,
                    "deviceErrorCode": 0,
                    "deviceErrorName": "",
                })
            }
        };
        if let Some(Value::Object(map)) = tenant
            .imported_windows_autopilot_device_identities
            .get_mut(&pending.id)
        {
            map.insert("state".into(), state);
        }
        decided += 1;
    }
    decided
}

/// Decides every import whose processing time has come. Called before each Graph request and
/// by `/_lab/objects`, so a client polling sees the state change on time.
pub fn advance(app: &App) {
    let now = Utc::now();
    let due = app
        .store
        .read(|tenant| tenant.lab.pending_imports.iter().any(|p| p.due <= now));
    if !due {
        return;
    }
    let result = app.store.write(|tenant| {
        let decided = process(tenant, now, false);
        Ok::<_, StoreError>(decided)
    });
    match result {
        Ok(decided) => tracing::info!(decided, "imports processed"),
        Err(error) => tracing::error!(%error, "imports could not be processed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes() {
        assert!(hash_is_valid("T0FBQUFB"));
        assert!(!hash_is_valid("AAAAAAAA"), "all zero bytes");
        assert!(!hash_is_valid(""));
        assert!(!hash_is_valid("T0FBQ"), "bad padding");
    }
}
