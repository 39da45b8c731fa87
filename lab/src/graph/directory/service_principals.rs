//! `/servicePrincipals`: the service principal type, addressed by id or by `appId`.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use super::{
    directory_properties, get_plain, list_visible, plain, required, service_principals, visible,
};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::graph::collection::{self, Paging};
use crate::graph::{GraphRequest, no_content};
use crate::seed;
use crate::store::Tenant;

graph_types!("graph_directory_service_principals");

/// `appId='...'` (alternate key) or an object id.
pub(super) enum SpKey {
    Id(String),
    AppId(String),
}

pub(super) fn sp_key(segment: &str) -> SpKey {
    let lower = segment.to_ascii_lowercase();
    if lower.starts_with("appid=") {
        let value = segment[6..].trim_matches('\'').replace("''", "'");
        SpKey::AppId(value)
    } else {
        SpKey::Id(segment.to_owned())
    }
}

pub(super) fn find_sp(app: &App, tenant: &Tenant, key: &SpKey) -> Option<Value> {
    let found = match key {
        SpKey::Id(id) => tenant.service_principals.get(id).cloned(),
        SpKey::AppId(app_id) => tenant
            .service_principals
            .values()
            .find(|sp| collection::str_of(sp, "appId").eq_ignore_ascii_case(app_id))
            .cloned(),
    }?;
    visible(app, collection::str_of(&found, "id")).then_some(found)
}

pub(super) fn sp_not_found(key: &SpKey) -> GraphError {
    match key {
        SpKey::Id(id) => GraphError::directory_not_found(id),
        SpKey::AppId(app_id) => GraphError::directory_not_found(&format!("appId='{app_id}'")),
    }
}

/// Routes the segments after `servicePrincipals`.
pub fn route_service_principals(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] => crate::graph::list_or_create(
            app,
            request,
            list_service_principals,
            create_service_principal,
        ),
        [key] => {
            let key = sp_key(key);
            by_method!(method,
                GET => get_service_principal(app, request, &key),
                PATCH => update_service_principal(app, request, &key),
                DELETE => delete_service_principal(app, &key),
            )
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// Page size of the listing: the directory refuses a `$top` above the maximum.
pub static PAGING: Paging = Paging::new("servicePrincipals", 100, 999);

pub(super) fn list_service_principals(app: &App, request: &GraphRequest) -> GraphResult {
    list_visible(
        app,
        request,
        &PAGING,
        "servicePrincipals",
        &SERVICE_PRINCIPAL,
        service_principals,
    )
}

pub(super) fn get_service_principal(app: &App, request: &GraphRequest, key: &SpKey) -> GraphResult {
    get_plain(
        app,
        request,
        "servicePrincipals",
        &SERVICE_PRINCIPAL,
        |tenant| find_sp(app, tenant, key),
        || sp_not_found(key),
    )
}

pub(super) fn create_service_principal(app: &App, request: &GraphRequest) -> GraphResult {
    let body = request.json_object()?;
    let given = directory_properties(&SERVICE_PRINCIPAL, &body, &[])?;
    let app_id = given
        .get("appId")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| required("appId", "ServicePrincipal"))?
        .to_ascii_lowercase();
    let known = seed::FIRST_PARTY_APPS
        .iter()
        .find(|(known, _, _)| known.eq_ignore_ascii_case(&app_id))
        .map(|(_, name, _)| ((*name).to_owned(), seed::MICROSOFT_TENANT_ID.to_owned()))
        .or_else(|| {
            app.config.client_id.eq_ignore_ascii_case(&app_id).then(|| {
                (
                    "autopilot-lab client".to_owned(),
                    app.config.tenant_id.clone(),
                )
            })
        });
    let Some((name, owner_tenant)) = known else {
        return Err(GraphError::directory_bad_request(format!(
            "The appId '{app_id}' of the service principal does not reference a valid application object."
        )));
    };
    let id = Uuid::new_v4().to_string();
    let mut sp = seed::service_principal(&id, &app_id, &name, &owner_tenant);
    if let Some(map) = sp.as_object_mut() {
        for (property, value) in &given {
            if property != "appId" {
                map.insert(property.clone(), value.clone());
            }
        }
    }
    app.store.write(|tenant| {
        let exists = tenant
            .service_principals
            .values()
            .any(|sp| collection::str_of(sp, "appId").eq_ignore_ascii_case(&app_id));
        if exists {
            return Err(GraphError::new(
                StatusCode::CONFLICT,
                "Request_MultipleObjectsWithSameKeyValue",
                "Another object with the same value for property servicePrincipalNames already exists.",
            ));
        }
        tenant.service_principals.insert(id.clone(), sp.clone());
        Ok(())
    })?;
    app.replication.created(
        &id,
        Duration::from_millis(app.settings.get().replication_delay_ms),
    );
    tracing::info!(%id, %app_id, "service principal created");
    Ok(collection::created_response(
        app,
        request,
        "servicePrincipals/$entity",
        &format!("servicePrincipals/{id}"),
        plain(&sp),
    ))
}

pub(super) fn update_service_principal(
    app: &App,
    request: &GraphRequest,
    key: &SpKey,
) -> GraphResult {
    let body = request.json_object()?;
    let given = directory_properties(&SERVICE_PRINCIPAL, &body, &[])?;
    if given.contains_key("appId") {
        return Err(GraphError::directory_bad_request(
            "Property 'appId' is read-only and cannot be set.",
        ));
    }
    let updated = app.store.write(|tenant| {
        let found = find_sp(app, tenant, key).ok_or_else(|| sp_not_found(key))?;
        let id = collection::str_of(&found, "id").to_owned();
        let mut merged = found.as_object().cloned().unwrap_or_default();
        merged.extend(given);
        let merged = Value::Object(merged);
        tenant.service_principals.insert(id, merged.clone());
        Ok::<_, GraphError>(merged)
    })?;
    Ok(collection::patched_response(
        app,
        request,
        "servicePrincipals",
        plain(&updated),
    ))
}

pub(super) fn delete_service_principal(app: &App, key: &SpKey) -> GraphResult {
    app.store.write(|tenant| {
        let found = find_sp(app, tenant, key).ok_or_else(|| sp_not_found(key))?;
        let id = collection::str_of(&found, "id").to_owned();
        tenant.service_principals.remove(&id);
        for owners in tenant.lab.group_owners.values_mut() {
            owners.retain(|o| *o != id);
        }
        tenant
            .lab
            .group_owners
            .retain(|_, owners| !owners.is_empty());
        Ok::<_, GraphError>(())
    })?;
    Ok(no_content())
}
