//! `/groups/{id}/members`: a group's assigned (static) members, added with `members/$ref` or
//! `members@odata.bind` at creation and removed with `members/{id}/$ref`, and the Entra devices
//! a dynamic group's rule selects.

use serde_json::{Map, Value, json};

use super::{
    DEVICE, GROUP, SERVICE_PRINCIPAL, USER, group_contains_device, is_dynamic,
    limited_unless_readable, reference_id, registration_of, single_reference, visible,
};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::collection::{self, Paging};
use crate::graph::{GraphRequest, GraphResult, json_response, no_content, odata};
use crate::store::Tenant;

/// Page size of a group's members: the directory's default and maximum (`$top` 1..=999).
pub static PAGING: Paging = Paging::new("members", 100, 999);

/// The refusal of a second reference to the same member.
const ALREADY_A_MEMBER: &str = "One or more added object references already exist for the following modified properties: 'members'.";

/// The object a member id names: a user, a group, a service principal or an Entra device.
pub(super) fn member_object<'t>(tenant: &'t Tenant, id: &str) -> Option<&'t Value> {
    tenant
        .users
        .get(id)
        .or_else(|| tenant.groups.get(id))
        .or_else(|| tenant.service_principals.get(id))
        .or_else(|| tenant.devices.get(id))
}

/// The members of `group` (a stored group), with `@odata.type`: its assigned members that still
/// exist, in the order added, then for a dynamic group the Entra devices its rule selects.
pub fn members_of(tenant: &Tenant, group: &Value) -> Vec<Value> {
    let id = collection::str_of(group, "id");
    let mut members: Vec<Value> = tenant
        .lab
        .group_members
        .get(id)
        .into_iter()
        .flatten()
        .filter_map(|member| member_object(tenant, member).cloned())
        .collect();
    if is_dynamic(group.get("groupTypes").unwrap_or(&Value::Null)) {
        members.extend(
            tenant
                .devices
                .values()
                .filter(|device| {
                    registration_of(tenant, device).is_some_and(|r| group_contains_device(group, r))
                })
                .cloned(),
        );
    }
    members
}

/// `GET /groups/{id}/members` (`$select`, `$top` 1..=999, `$skiptoken`): directory paging.
pub(super) fn list_members(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let select = odata::parse_select(
        request.query.select.as_deref(),
        &USER,
        &[&GROUP, &DEVICE, &SERVICE_PRINCIPAL],
    )?;
    let (after, size) = collection::page_request(app, request, &PAGING, true)?;
    let members = app.store.read(|tenant| {
        let group = tenant.groups.get(id).filter(|_| visible(app, id))?;
        Some(members_of(tenant, group))
    });
    let members = members.ok_or_else(|| GraphError::directory_not_found(id))?;
    let page = odata::paginate((1u64..).zip(members), after, size);
    let values: Vec<Value> = page
        .items
        .iter()
        .map(|member| {
            let shown = odata::apply_select(member, select.as_deref());
            limited_unless_readable(&request.caller, member, shown)
        })
        .collect();
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(odata::context_url(
            &app.graph_url,
            request.version,
            "directoryObjects"
        )),
    );
    if let Some(cursor) = page.next_cursor {
        let path = format!("groups/{id}/members");
        body.insert(
            "@odata.nextLink".into(),
            json!(odata::next_link(
                &app.graph_url,
                request.version,
                &path,
                &request.query,
                cursor
            )),
        );
    }
    body.insert("value".into(), Value::Array(values));
    Ok(json_response(
        axum::http::StatusCode::OK,
        &Value::Object(body),
    ))
}

/// Why `member` cannot be added to `group` (a stored group), if it cannot: the group is dynamic,
/// the member is the group itself, or it does not exist (or has not replicated).
pub(super) fn refuse_member(
    app: &App,
    tenant: &Tenant,
    group: &Value,
    member: &str,
    missing: fn(&str) -> GraphError,
) -> Option<GraphError> {
    if is_dynamic(group.get("groupTypes").unwrap_or(&Value::Null)) {
        return Some(dynamic_refusal());
    }
    if collection::str_of(group, "id") == member {
        return Some(GraphError::directory_bad_request(
            "A group cannot be a member of itself.",
        ));
    }
    if member_object(tenant, member).is_none() || !visible(app, member) {
        return Some(missing(member));
    }
    None
}

/// The group `id`, when it exists and has replicated (else the directory's 404).
fn visible_group<'t>(app: &App, tenant: &'t Tenant, id: &str) -> Result<&'t Value, GraphError> {
    tenant
        .groups
        .get(id)
        .filter(|_| visible(app, id))
        .ok_or_else(|| GraphError::directory_not_found(id))
}

/// A dynamic group's members are its rule's (the error text is the lab's).
fn dynamic_refusal() -> GraphError {
    GraphError::directory_bad_request(
        "Members cannot be added to or removed from a group with dynamic membership.",
    )
}

/// `POST /groups/{id}/members/$ref` `{"@odata.id": ".../directoryObjects/{memberId}"}`.
pub(super) fn add_member(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let member = reference_id(&single_reference(request)?)?;
    app.store.write(|tenant| {
        let group = visible_group(app, tenant, id)?;
        if let Some(refused) = refuse_member(app, tenant, group, &member, |m| {
            GraphError::directory_not_found(m)
        }) {
            return Err(refused);
        }
        let members = tenant.lab.group_members.entry(id.to_owned()).or_default();
        if members.contains(&member) {
            return Err(GraphError::directory_bad_request(ALREADY_A_MEMBER));
        }
        members.push(member.clone());
        Ok(())
    })?;
    tracing::info!(group = %id, %member, "group member added");
    Ok(no_content())
}

/// `DELETE /groups/{id}/members/{memberId}/$ref`: 404 when it is not an assigned member.
pub(super) fn remove_member(app: &App, id: &str, member: &str) -> GraphResult {
    app.store.write(|tenant| {
        let group = visible_group(app, tenant, id)?;
        if is_dynamic(group.get("groupTypes").unwrap_or(&Value::Null)) {
            return Err(dynamic_refusal());
        }
        let members = tenant.lab.group_members.entry(id.to_owned()).or_default();
        let Some(position) = members.iter().position(|m| m.eq_ignore_ascii_case(member)) else {
            return Err(GraphError::directory_not_found(member));
        };
        members.remove(position);
        if members.is_empty() {
            tenant.lab.group_members.remove(id);
        }
        Ok(())
    })?;
    tracing::info!(group = %id, %member, "group member removed");
    Ok(no_content())
}
