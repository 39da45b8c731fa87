//! `/groups`: the group type, and listing, reading, creating, updating and deleting groups.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    MAX_BOUND_AT_CREATE, add_member, add_owner, check_group, check_unchangeable, directory_object,
    directory_properties, directory_timestamp, groups, is_dynamic, is_unified, list_members,
    list_owners, list_visible, note_explicit_rule_nulls, owner_added, plain, reference_id,
    refuse_member, remove_member, remove_owner, security_identifier, visible,
};
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::graph::collection::{self, Paging};
use crate::graph::{GraphRequest, no_content};
use crate::seed;

graph_types!("graph_directory_groups");

/// Routes the segments after `groups`.
pub fn route_groups(app: &App, request: &GraphRequest, rest: &[String]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] => crate::graph::list_or_create(app, request, list_groups, create_group),
        [id] => crate::graph::read_update_delete(
            app,
            request,
            id,
            get_group,
            update_group,
            delete_group,
        ),
        [id, nav] if nav.eq_ignore_ascii_case("owners") => by_method!(method,
            GET => list_owners(app, request, id),
        ),
        [id, nav, reference] if nav.eq_ignore_ascii_case("owners") && reference == "$ref" => {
            by_method!(method,
                POST => add_owner(app, request, id),
            )
        }
        [id, nav, owner, reference]
            if nav.eq_ignore_ascii_case("owners") && reference == "$ref" =>
        {
            by_method!(method,
                DELETE => remove_owner(app, id, owner),
            )
        }
        [id, nav] if nav.eq_ignore_ascii_case("members") => by_method!(method,
            GET => list_members(app, request, id),
        ),
        [id, nav, reference] if nav.eq_ignore_ascii_case("members") && reference == "$ref" => {
            by_method!(method,
                POST => add_member(app, request, id),
            )
        }
        [id, nav, member, reference]
            if nav.eq_ignore_ascii_case("members") && reference == "$ref" =>
        {
            by_method!(method,
                DELETE => remove_member(app, id, member),
            )
        }
        [_, other, ..] => Err(GraphError::segment_not_found(other)),
    }
}

/// Page size of the listing: the directory refuses a `$top` above the maximum.
pub static PAGING: Paging = Paging::new("groups", 100, 999);

pub(super) fn list_groups(app: &App, request: &GraphRequest) -> GraphResult {
    list_visible(app, request, &PAGING, "groups", &GROUP, groups)
}

pub(super) fn get_group(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let select = crate::graph::odata::parse_select(request.query.select.as_deref(), &GROUP, &[])?;
    if request.query.expand.is_some() {
        return Err(GraphError::bad_request(
            "autopilot-lab does not support $expand on groups.",
        ));
    }
    let found = app
        .store
        .read(|tenant| tenant.groups.get(id).cloned())
        .filter(|_| visible(app, id))
        .ok_or_else(|| GraphError::directory_not_found(id))?;
    let object = crate::graph::odata::apply_select(&plain(&found), select.as_deref());
    Ok(collection::entity_response(
        app,
        request,
        StatusCode::OK,
        "groups/$entity",
        object,
    ))
}

pub(super) fn create_group(app: &App, request: &GraphRequest) -> GraphResult {
    let body = request.json_object()?;
    note_explicit_rule_nulls(&body, None);
    let mut given =
        directory_properties(&GROUP, &body, &["owners@odata.bind", "members@odata.bind"])?;
    let owners = bound(&body, "owners")?;
    let members = bound(&body, "members")?;
    if owners.len() + members.len() > MAX_BOUND_AT_CREATE {
        return Err(GraphError::directory_bad_request(format!(
            "At most {MAX_BOUND_AT_CREATE} owners and members can be added when a group is created."
        )));
    }
    if given.get("groupTypes").is_none_or(Value::is_null) {
        given.insert("groupTypes".into(), json!([]));
    }
    if is_dynamic(&given["groupTypes"]) && given.get("membershipRuleProcessingState").is_none() {
        given.insert("membershipRuleProcessingState".into(), json!("On"));
    }
    if given.get("isAssignableToRole") == Some(&json!(true)) && given.get("visibility").is_none() {
        // Groups assignable to roles are always Private.
        given.insert("visibility".into(), json!("Private"));
    }
    check_group(&given)?;

    let uuid = Uuid::new_v4();
    let id = uuid.to_string();
    let group = new_group(app, &uuid, &given);
    app.store.write(|tenant| {
        for owner in &owners {
            let principal =
                tenant.users.contains(owner) || tenant.service_principals.contains(owner);
            if directory_object(app, tenant, owner).is_none() || !principal {
                return Err(not_present(owner));
            }
        }
        for member in &members {
            if let Some(refused) = refuse_member(app, tenant, &group, member, not_present) {
                return Err(refused);
            }
        }
        tenant.groups.insert(id.clone(), group.clone());
        for (ids, relation) in [
            (&owners, &mut tenant.lab.group_owners),
            (&members, &mut tenant.lab.group_members),
        ] {
            if !ids.is_empty() {
                relation.insert(id.clone(), unique(ids));
            }
        }
        Ok(())
    })?;
    app.replication.created(
        &id,
        Duration::from_millis(app.settings.get().replication_delay_ms),
    );
    for owner in &owners {
        owner_added(app, &id, owner);
    }
    tracing::info!(%id, "group created");
    Ok(collection::created_response(
        app,
        request,
        "groups/$entity",
        &format!("groups/{id}"),
        plain(&group),
    ))
}

/// The object ids of `<navigation>@odata.bind` (`owners`, `members`) in a create.
fn bound(body: &Map<String, Value>, navigation: &str) -> Result<Vec<String>, GraphError> {
    match body.get(&format!("{navigation}@odata.bind")) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(reference_id).collect(),
        Some(_) => Err(GraphError::directory_bad_request(format!(
            "{navigation}@odata.bind must be an array of directory object URLs."
        ))),
    }
}

/// The ids without repeats, in their first order.
fn unique(ids: &[String]) -> Vec<String> {
    let mut unique: Vec<String> = Vec::new();
    for id in ids {
        if !unique.contains(id) {
            unique.push(id.clone());
        }
    }
    unique
}

/// A create's 400 for a bound object that does not exist (or has not replicated): the message
/// azuread retries on.
fn not_present(id: &str) -> GraphError {
    GraphError::directory_bad_request(format!(
        "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
    ))
}

/// A new group as the directory stores it, in the directory's property order; unified groups
/// get a mail address in the tenant's domain.
fn new_group(app: &App, uuid: &Uuid, given: &Map<String, Value>) -> Value {
    let now = directory_timestamp(app);
    let field = |name: &str| given.get(name).cloned().unwrap_or(Value::Null);
    let unified = is_unified(&given["groupTypes"]);
    let nickname = given
        .get("mailNickname")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (mail, proxy_addresses) = if unified {
        let address = format!("{nickname}@{}", seed::TENANT_DOMAIN);
        (json!(address), json!([format!("SMTP:{address}")]))
    } else {
        (Value::Null, json!([]))
    };
    json!({
        "@odata.type": "#microsoft.graph.group",
        "id": uuid.to_string(),
        "deletedDateTime": null,
        "classification": field("classification"),
        "createdDateTime": now,
        "description": field("description"),
        "displayName": field("displayName"),
        "expirationDateTime": null,
        "groupTypes": field("groupTypes"),
        "isAssignableToRole": field("isAssignableToRole"),
        "mail": mail,
        "mailEnabled": field("mailEnabled"),
        "mailNickname": field("mailNickname"),
        "membershipRule": field("membershipRule"),
        "membershipRuleProcessingState": field("membershipRuleProcessingState"),
        "onPremisesDomainName": null,
        "onPremisesLastSyncDateTime": null,
        "onPremisesNetBiosName": null,
        "onPremisesSamAccountName": null,
        "onPremisesSecurityIdentifier": null,
        "onPremisesSyncEnabled": null,
        "preferredDataLocation": field("preferredDataLocation"),
        "preferredLanguage": field("preferredLanguage"),
        "proxyAddresses": proxy_addresses,
        "renewedDateTime": now,
        "resourceBehaviorOptions": given.get("resourceBehaviorOptions").cloned().unwrap_or(json!([])),
        "resourceProvisioningOptions": given.get("resourceProvisioningOptions").cloned().unwrap_or(json!([])),
        "securityEnabled": field("securityEnabled"),
        "securityIdentifier": security_identifier(uuid),
        "theme": field("theme"),
        "visibility": field("visibility"),
        "onPremisesProvisioningErrors": [],
        "serviceProvisioningErrors": [],
    })
}

pub(super) fn update_group(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    note_explicit_rule_nulls(&body, Some(id));
    let given = directory_properties(&GROUP, &body, &[])?;
    let updated = app.store.write(|tenant| {
        let group = tenant
            .groups
            .get(id)
            .ok_or_else(|| GraphError::directory_not_found(id))?;
        check_unchangeable(group, &given)?;
        let was_dynamic = is_dynamic(group.get("groupTypes").unwrap_or(&Value::Null));
        let mut merged = group.as_object().cloned().unwrap_or_default();
        for (name, value) in given {
            merged.insert(name, value);
        }
        if is_dynamic(merged.get("groupTypes").unwrap_or(&Value::Null))
            && merged
                .get("membershipRuleProcessingState")
                .is_none_or(Value::is_null)
        {
            merged.insert("membershipRuleProcessingState".into(), json!("On"));
        }
        if !is_dynamic(merged.get("groupTypes").unwrap_or(&Value::Null))
            && body.get("groupTypes").is_some()
            && body.get("membershipRule").is_none()
        {
            // Turning dynamic membership off drops the rule; the processing state is what the
            // client gave (Microsoft's documented conversion pauses it), else none.
            merged.insert("membershipRule".into(), Value::Null);
            let state = body
                .get("membershipRuleProcessingState")
                .cloned()
                .unwrap_or(Value::Null);
            merged.insert("membershipRuleProcessingState".into(), state);
        }
        check_group(&merged)?;
        if !was_dynamic && is_dynamic(merged.get("groupTypes").unwrap_or(&Value::Null)) {
            // Turning a static group dynamic removes its assigned members.
            tenant.lab.group_members.remove(id);
        }
        let merged = Value::Object(merged);
        tenant.groups.insert(id.to_owned(), merged.clone());
        Ok::<_, GraphError>(merged)
    })?;
    tracing::info!(%id, "group updated");
    Ok(collection::patched_response(
        app,
        request,
        "groups",
        plain(&updated),
    ))
}

pub(super) fn delete_group(app: &App, id: &str) -> GraphResult {
    app.store.write(|tenant| {
        tenant
            .groups
            .remove(id)
            .ok_or_else(|| GraphError::directory_not_found(id))?;
        tenant.lab.group_owners.remove(id);
        tenant.lab.group_members.remove(id);
        Ok::<_, GraphError>(())
    })?;
    tracing::info!(%id, "group deleted");
    Ok(no_content())
}
