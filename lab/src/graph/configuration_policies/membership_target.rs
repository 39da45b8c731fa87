//! The enrollment-time device membership target actions: set, retrieve and clear the device
//! group a policy puts devices in at enrollment.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use uuid::Uuid;

use super::INTUNE;
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::graph::assignments;
use crate::graph::collection;
use crate::graph::schema::{self};
use crate::graph::{GraphRequest, json_response};
use crate::seed::PROVISIONING_CLIENT_APP_ID;
use crate::store::Tenant;

/// Why a device group cannot be the enrollment-time target, if it cannot.
pub(super) fn target_problem(app: &App, tenant: &Tenant, group_id: &str) -> Option<&'static str> {
    let Some(group) = tenant.groups.get(group_id) else {
        return Some("securityGroupNotFound");
    };
    if !app.replication.visible(group_id) {
        return Some("securityGroupNotFound");
    }
    if group.get("securityEnabled").and_then(Value::as_bool) != Some(true) {
        return Some("notSecurityGroup");
    }
    let dynamic = group
        .get("groupTypes")
        .and_then(Value::as_array)
        .is_some_and(|types| {
            types.iter().any(|t| {
                t.as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("DynamicMembership"))
            })
        });
    if dynamic {
        return Some("notStaticSecurityGroup");
    }
    // An owner Intune does not see yet (`owner_replication_delay_ms`) does not count.
    let owned = tenant
        .lab
        .group_owners
        .get(group_id)
        .into_iter()
        .flatten()
        .filter(|owner| {
            app.replication
                .visible(&crate::graph::directory::owner_replication_key(
                    group_id, owner,
                ))
        })
        .filter_map(|owner| tenant.service_principals.get(owner))
        .any(|sp| collection::str_of(sp, "appId").eq_ignore_ascii_case(PROVISIONING_CLIENT_APP_ID));
    if !owned {
        return Some("firstPartyAppNotAnOwner");
    }
    None
}

/// `enrollmentTimeDeviceMembershipTargetResult` for `targets`.
pub(super) fn validation_result(app: &App, tenant: &Tenant, targets: &[Value]) -> Value {
    let statuses: Vec<Value> = targets
        .iter()
        .map(|target| {
            let id = collection::str_of(target, "targetId");
            match target_problem(app, tenant, id) {
                Some(code) => json!({
                    "targetId": id,
                    "validationSucceeded": false,
                    "targetValidationErrorCode": code,
                }),
                None => json!({
                    "targetId": id,
                    "validationSucceeded": true,
                    "targetValidationErrorCode": null,
                }),
            }
        })
        .collect();
    let succeeded = statuses
        .iter()
        .all(|s| s["validationSucceeded"] == json!(true));
    json!({
        "validationSucceeded": succeeded,
        "enrollmentTimeDeviceMembershipTargetValidationStatuses": statuses,
    })
}

pub(super) fn result_response(app: &App, request: &GraphRequest, result: Value) -> Response {
    let context = "microsoft.graph.enrollmentTimeDeviceMembershipTargetResult";
    if app.settings.get().complex_action_results_wrapped {
        let mut inner = result;
        if let Some(map) = inner.as_object_mut() {
            map.insert(
                "@odata.type".into(),
                json!("#microsoft.graph.enrollmentTimeDeviceMembershipTargetResult"),
            );
        }
        json_response(
            StatusCode::OK,
            &json!({
                "@odata.context": crate::graph::odata::context_url(&app.graph_url, request.version, context),
                "value": inner,
            }),
        )
    } else {
        collection::entity_response(app, request, StatusCode::OK, context, result)
    }
}

pub(super) fn set_membership_target(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let body = request.json_object()?;
    assignments::only_parameters(
        &body,
        &["enrollmentTimeDeviceMembershipTargets"],
        "setEnrollmentTimeDeviceMembershipTarget",
    )?;
    let items = assignments::array_parameter(
        &body,
        "enrollmentTimeDeviceMembershipTargets",
        "microsoft.graph.enrollmentTimeDeviceMembershipTarget",
    )?;
    let url = INTUNE.url(Some(id), Some("setEnrollmentTimeDeviceMembershipTarget"));
    if app.settings.get().enrollment_time_target_app_token_fails && request.caller.is_app_only() {
        // Observed (deploymenttheory provider, "Known Issues", 2026-03): the DeviceConfigV2
        // backend answers 500 to application tokens, every time; delegated tokens work.
        tracing::info!(%id, "enrollment-time target refused to an app-only token");
        return Err(GraphError::intune(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "An internal server error has occurred",
            url,
        ));
    }
    let mut targets = Vec::with_capacity(items.len());
    for item in items {
        let Some(map) = item.as_object() else {
            return Err(schema::conversion_error(
                item,
                "microsoft.graph.enrollmentTimeDeviceMembershipTarget",
            ));
        };
        schema::validate_properties(&MEMBERSHIP_TARGET, map)?;
        let target_id = map
            .get("targetId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let target_type = map
            .get("targetType")
            .and_then(Value::as_str)
            .unwrap_or("staticSecurityGroup");
        if target_type != "staticSecurityGroup" {
            return Err(GraphError::intune_bad_request(
                format!("targetType '{target_type}' is not supported."),
                url,
            ));
        }
        if Uuid::parse_str(target_id).is_err() {
            return Err(GraphError::intune_bad_request(
                format!("targetId '{target_id}' is not a group id."),
                url,
            ));
        }
        targets.push(json!({"targetId": target_id, "targetType": "staticSecurityGroup"}));
    }
    let result = app.store.write(|tenant| {
        if !tenant.configuration_policies.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        let result = validation_result(app, tenant, &targets);
        if result["validationSucceeded"] == json!(true) {
            tenant
                .lab
                .enrollment_time_targets
                .insert(id.to_owned(), targets.clone());
        }
        Ok(result)
    })?;
    tracing::info!(%id, succeeded = %result["validationSucceeded"], "enrollment-time membership target set");
    Ok(result_response(app, request, result))
}

pub(super) fn retrieve_membership_target(
    app: &App,
    request: &GraphRequest,
    id: &str,
) -> GraphResult {
    let result = app.store.read(|tenant| {
        if !tenant.configuration_policies.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        let targets = tenant
            .lab
            .enrollment_time_targets
            .get(id)
            .cloned()
            .unwrap_or_default();
        Ok(validation_result(app, tenant, &targets))
    })?;
    Ok(result_response(app, request, result))
}

pub(super) fn clear_membership_target(app: &App, request: &GraphRequest, id: &str) -> GraphResult {
    let cleared = app.store.write(|tenant| {
        if !tenant.configuration_policies.contains(id) {
            return Err(INTUNE.not_found(id));
        }
        Ok::<_, GraphError>(tenant.lab.enrollment_time_targets.remove(id).is_some())
    })?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "@odata.context": crate::graph::odata::context_url(&app.graph_url, request.version, "Edm.Boolean"),
            "value": cleared,
        }),
    ))
}

graph_types!("graph_configuration_policies_membership_target");
