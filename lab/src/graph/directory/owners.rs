//! `/groups/{id}/owners`: listing, adding and removing the owners of a group, and how long a
//! new owner takes to replicate.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{SERVICE_PRINCIPAL, USER, reference_id, single_reference, visible};
use crate::app::App;
use crate::auth::tokens::Caller;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::graph::collection::{self, Paging};
use crate::graph::{GraphRequest, no_content};
use crate::store::Tenant;

/// The owners of a group, as full directory objects with `@odata.type`.
pub fn owners_of(tenant: &Tenant, group_id: &str) -> Vec<Value> {
    tenant
        .lab
        .group_owners
        .get(group_id)
        .map(|owners| {
            owners
                .iter()
                .filter_map(|owner| {
                    tenant
                        .service_principals
                        .get(owner)
                        .or_else(|| tenant.users.get(owner))
                        .cloned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Page size of a group's owners as settings show it: the `page_sizes` setting accepts and
/// `effective_page_sizes` shows it, though the lab lists a group's owners in one page.
pub static PAGING: Paging = Paging::new("owners", 100, 999);

pub(super) fn list_owners(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let select = crate::graph::odata::parse_select(
        request.query.select.as_deref(),
        &SERVICE_PRINCIPAL,
        &[&USER],
    )?;
    let owners = app.store.read(|tenant| {
        (tenant.groups.contains(id) && visible(app, id)).then(|| owners_of(tenant, id))
    });
    let owners = owners.ok_or_else(|| GraphError::directory_not_found(id))?;
    let values = owners
        .iter()
        .map(|owner| {
            let shown = crate::graph::odata::apply_select(owner, select.as_deref());
            limited_unless_readable(&request.caller, owner, shown)
        })
        .collect();
    Ok(collection::values_response(
        app,
        request,
        "directoryObjects",
        values,
    ))
}

/// A directory object as Graph lists it among a group's owners or members: whole when the
/// caller may read its kind (a service principal needs Application.Read.All, a user
/// User.Read.All, or Directory.Read.All for either), else a *limited object* with only
/// `@odata.type` and `id` (every other property null). Graph does this rather than refuse the listing ("Limited
/// information returned for inaccessible member objects", Microsoft Graph's permissions
/// overview); a caller without Application.Read.All cannot tell the Intune Provisioning Client
/// among the owners by its `appId`.
pub(super) fn limited_unless_readable(caller: &Caller, owner: &Value, shown: Value) -> Value {
    let kind = collection::str_of(owner, "@odata.type").to_ascii_lowercase();
    let readable = match kind.as_str() {
        "#microsoft.graph.serviceprincipal" => caller.has_any(crate::graph::permissions::SP_READ),
        "#microsoft.graph.user" => caller.has_any(crate::graph::permissions::USER_READ),
        _ => true,
    };
    if readable {
        return shown;
    }
    let mut limited = Map::new();
    limited.insert(
        "@odata.type".to_string(),
        json!(collection::str_of(owner, "@odata.type")),
    );
    limited.insert("id".to_string(), json!(collection::str_of(owner, "id")));
    if let Value::Object(fields) = &shown {
        for name in fields.keys() {
            limited.entry(name.clone()).or_insert(Value::Null);
        }
    }
    Value::Object(limited)
}

pub(super) fn add_owner(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let owner = reference_id(&single_reference(request)?)?;
    app.store.write(|tenant| {
        if !tenant.groups.contains(id) || !visible(app, id) {
            return Err(GraphError::directory_not_found(id));
        }
        let is_principal = tenant.service_principals.contains(&owner) || tenant.users.contains(&owner);
        if !is_principal || !visible(app, &owner) {
            return Err(GraphError::directory_not_found(&owner));
        }
        let owners = tenant.lab.group_owners.entry(id.to_owned()).or_default();
        if owners.contains(&owner) {
            return Err(GraphError::directory_bad_request(
                "One or more added object references already exist for the following modified properties: 'owners'.",
            ));
        }
        owners.push(owner.clone());
        Ok(())
    })?;
    owner_added(app, id, &owner);
    tracing::info!(group = %id, %owner, "group owner added");
    Ok(no_content())
}

/// The key under which Intune's view of a new owner of a group replicates.
pub fn owner_replication_key(group: &str, owner: &str) -> String {
    format!("owner:{group}:{owner}")
}

/// A new owner reaches Intune after the `owner_replication_delay_ms` setting.
pub(super) fn owner_added(app: &App, group: &str, owner: &str) {
    app.replication.created(
        &owner_replication_key(group, owner),
        Duration::from_millis(app.settings.get().owner_replication_delay_ms),
    );
}

pub(super) fn remove_owner(app: &App, id: &str, owner: &str) -> GraphResult {
    app.store.write(|tenant| {
        if !tenant.groups.contains(id) || !visible(app, id) {
            return Err(GraphError::directory_not_found(id));
        }
        let is_user = tenant.users.contains(owner);
        let owners = tenant.lab.group_owners.entry(id.to_owned()).or_default();
        let Some(position) = owners.iter().position(|o| o == owner) else {
            return Err(GraphError::directory_not_found(owner));
        };
        if is_user && owners.len() == 1 {
            return Err(GraphError::directory_bad_request(
                "The group must have at least one owner, hence this owner cannot be removed.",
            ));
        }
        owners.remove(position);
        if owners.is_empty() {
            tenant.lab.group_owners.remove(id);
        }
        Ok(())
    })?;
    tracing::info!(group = %id, %owner, "group owner removed");
    Ok(no_content())
}
