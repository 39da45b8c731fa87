//! The policy handlers: create, PUT, PATCH, delete, the `settings` navigation and `assign`.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::policy_body::*;
use super::types::*;
use super::{ASSIGNMENTS, COLLECTION_PATH, INTUNE, NOUN, SETTINGS_PAGING, policies_mut};
use crate::app::App;
use crate::clock::graph_timestamp;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::graph::assignments;
use crate::graph::collection;
use crate::graph::schema;
use crate::graph::{GraphRequest, json_response, no_content};
use crate::store::Collection;

pub(super) fn create(app: &App, request: &GraphRequest) -> GraphResult {
    let body = request.json_object()?;
    let url = INTUNE.url(None, None);
    let id = Uuid::new_v4().to_string();
    let now = graph_timestamp(app.clock.now());
    let object = INTUNE.insert_new(app, NOUN, policies_mut, &id, |tenant| {
        let parsed = parse_policy(tenant, &body, &url)?;
        let given = &parsed.given;
        let priority = tenant.configuration_policies.len() + 1;
        Ok(json!({
            "id": id,
            "name": given.get("name").cloned().unwrap_or(Value::Null),
            "description": given.get("description").cloned().unwrap_or(json!("")),
            "platforms": "windows10",
            "technologies": "enrollment",
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "settingCount": parsed.settings.len(),
            "creationSource": null,
            "roleScopeTagIds": collection::role_scope_tags(given),
            "isAssigned": false,
            "disableEntraGroupPolicyAssignment": given.get("disableEntraGroupPolicyAssignment").cloned().unwrap_or(json!(false)),
            "templateReference": template_reference(parsed.template),
            "priorityMetaData": {"priority": priority},
            "settings": parsed.settings,
        }))
    })?;
    // The create response has neither settings nor isAssigned nor
    // disableEntraGroupPolicyAssignment (portal capture).
    let shown = collection::without(
        object,
        &[
            "settings",
            "isAssigned",
            "disableEntraGroupPolicyAssignment",
        ],
    );
    collection::intune_created(app, request, COLLECTION_PATH, &id, shown)
}

/// PUT: the full policy again; the settings are replaced. The template cannot change.
pub(super) fn replace(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    let url = INTUNE.url(Some(id), None);
    let now = graph_timestamp(app.clock.now());
    INTUNE.merge_stored(app, NOUN, policies_mut, id, |tenant, existing| {
        let parsed = parse_policy(tenant, &body, &url)?;
        let existing_template = existing
            .get("templateReference")
            .and_then(|t| t.get("templateId"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !existing_template.eq_ignore_ascii_case(parsed.template.id) {
            return Err(GraphError::intune_bad_request(
                format!(
                    "The template of a policy cannot change (was '{existing_template}', now '{}').",
                    parsed.template.id
                ),
                url.clone(),
            ));
        }
        let mut merged = existing.as_object().cloned().unwrap_or_default();
        let given = parsed.given;
        merged.insert(
            "name".into(),
            given.get("name").cloned().unwrap_or(Value::Null),
        );
        merged.insert(
            "description".into(),
            given.get("description").cloned().unwrap_or(json!("")),
        );
        merged.insert(
            "roleScopeTagIds".into(),
            collection::scope_tags_or_default(given.get("roleScopeTagIds")),
        );
        if let Some(flag) = given.get("disableEntraGroupPolicyAssignment") {
            merged.insert("disableEntraGroupPolicyAssignment".into(), flag.clone());
        }
        merged.insert("settingCount".into(), json!(parsed.settings.len()));
        merged.insert("settings".into(), Value::Array(parsed.settings));
        merged.insert("lastModifiedDateTime".into(), json!(now));
        Ok(merged)
    })?;
    Ok(no_content())
}

/// PATCH: name, description, scope tags and the Entra flag only; settings need PUT.
pub(super) fn patch(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    let url = INTUNE.url(Some(id), None);
    if body.contains_key("settings") {
        return Err(GraphError::intune_bad_request(
            "Settings cannot be changed with PATCH; replace the policy with PUT.",
            url,
        ));
    }
    let given = schema::validate_properties(&POLICY, &body)?;
    for fixed in ["platforms", "technologies", "templateReference"] {
        if given.contains_key(fixed) {
            return Err(GraphError::intune_bad_request(
                format!("{fixed} cannot be changed."),
                url,
            ));
        }
    }
    let now = graph_timestamp(app.clock.now());
    let updated = INTUNE.merge_stored(app, NOUN, policies_mut, id, |_, existing| {
        let mut merged = existing.as_object().cloned().unwrap_or_default();
        merged.extend(given);
        if let Some(tags) = merged.get("roleScopeTagIds") {
            let tags = collection::scope_tags_or_default(Some(tags));
            merged.insert("roleScopeTagIds".into(), tags);
        }
        merged.insert("lastModifiedDateTime".into(), json!(now));
        Ok(merged)
    })?;
    Ok(collection::patched_response(
        app,
        request,
        COLLECTION_PATH,
        collection::without(updated, &["settings"]),
    ))
}

pub(super) fn delete(app: &App, id: &str) -> GraphResult {
    INTUNE.delete_stored(app, NOUN, policies_mut, id, |tenant| {
        assignments::remove_all(&mut tenant.configuration_policy_assignments, id);
        tenant.lab.enrollment_time_targets.remove(id);
        Ok(())
    })
}

pub(super) fn list_settings(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let settings = app
        .store
        .read(|tenant| {
            tenant
                .configuration_policies
                .get(id)
                .map(|p| p.get("settings").cloned().unwrap_or(json!([])))
        })
        .ok_or_else(|| INTUNE.not_found(id))?;
    // Page through the inline settings with the generic listing.
    let mut inline = Collection::default();
    for setting in settings.as_array().into_iter().flatten() {
        inline.insert(
            collection::str_of(setting, "id").to_owned(),
            setting.clone(),
        );
    }
    let page_size = SETTINGS_PAGING.page_size(app, request.query.top);
    let after = request
        .query
        .skiptoken
        .as_deref()
        .map(crate::graph::odata::decode_skiptoken)
        .transpose()?;
    if request.query.filter.is_some() || request.query.select.is_some() {
        return Err(GraphError::bad_request(
            "autopilot-lab does not support $filter or $select on settings.",
        ));
    }
    let page = crate::graph::odata::paginate(inline.values_with_cursor(), after, page_size);
    let path = format!("{COLLECTION_PATH}('{id}')/settings");
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(crate::graph::odata::context_url(
            &app.graph_url,
            request.version,
            &path
        )),
    );
    if let Some(cursor) = page.next_cursor {
        body.insert(
            "@odata.nextLink".into(),
            json!(crate::graph::odata::next_link(
                &app.graph_url,
                request.version,
                &path,
                &request.query,
                cursor
            )),
        );
    }
    body.insert(
        "value".into(),
        Value::Array(page.items.into_iter().cloned().collect()),
    );
    Ok(json_response(StatusCode::OK, &Value::Object(body)))
}

pub(super) fn assign(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    let url = INTUNE.url(Some(id), Some("assign"));
    let built = ASSIGNMENTS.assign_list(&body, "assignments", id, &url)?;
    ASSIGNMENTS.store_list(app, id, &built, &url, |tenant| {
        if let Some(Value::Object(policy)) = policies_mut(tenant).get_mut(id) {
            policy.insert("isAssigned".into(), json!(!built.is_empty()));
        }
        Ok(())
    })?;
    Ok(collection::values_response(
        app,
        request,
        "Collection(microsoft.graph.deviceManagementConfigurationPolicyAssignment)",
        built,
    ))
}
