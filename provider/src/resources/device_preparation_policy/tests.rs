//! Unit tests of `autopilot_device_preparation_policy`: schema, plan-time rules, settings and the answers of the device group actions.

use std::collections::BTreeMap;

use serde_json::json;
use tfplugin::Resource;

use super::device_group::*;
use super::graph::*;
use super::model::*;
use super::*;
use crate::resources::assignments::IdSet;

const G: &str = "11111111-1111-4111-8111-111111111111";
const U: &str = "22222222-2222-4222-8222-222222222222";
const APP: &str = "e83d36e1-3ff2-4567-90d9-940919184ad5";

use crate::test_support::set;

fn user_driven() -> DevicePreparationPolicyModel {
    DevicePreparationPolicyModel {
        display_name: Attr::Known("DP".into()),
        deployment_mode: Attr::Known(DeploymentMode::UserDriven),
        device_group_id: Attr::Known(G.into()),
        include_group_ids: Attr::Known(IdSet::from(set(&[U]))),
        ..Default::default()
    }
}

fn errors(model: &DevicePreparationPolicyModel) -> Vec<String> {
    crate::test_support::error_paths(|diags| {
        DevicePreparationPolicy::default().validate(model, diags)
    })
}

#[test]
fn schema_derives_with_limits() {
    let schema = tfplugin::Schema::of::<DevicePreparationPolicyModel>(0).expect("schema");
    let b = &schema.block;
    let timeout = b.attribute("timeout_minutes").expect("timeout");
    assert_eq!(
        (timeout.constraints.minimum, timeout.constraints.maximum),
        (Some(15), Some(720))
    );
    assert!(timeout.optional && timeout.computed && timeout.default.is_none());
    assert_eq!(
        b.attribute("allowed_app_ids")
            .expect("apps")
            .constraints
            .max_items,
        Some(25)
    );
    assert_eq!(
        b.attribute("allowed_script_ids")
            .expect("scripts")
            .constraints
            .max_items,
        Some(10)
    );
    let mode = b.attribute("deployment_mode").expect("mode");
    assert!(mode.force_new);
    assert_eq!(
        mode.constraints.one_of,
        Some(vec!["user_driven".to_string(), "automatic".to_string()])
    );
    assert!(b.attribute("device_group_id").expect("group").required);
    assert!(b.attribute("priority").expect("priority").computed);
}

#[test]
fn automatic_mode_refuses_user_driven_attributes() {
    let mut m = user_driven();
    assert!(errors(&m).is_empty());
    m.deployment_mode = Attr::Known(DeploymentMode::Automatic);
    m.timeout_minutes = Attr::Known(60);
    assert_eq!(errors(&m), ["timeout_minutes", "include_group_ids"]);
    m.include_group_ids = Attr::Null;
    m.timeout_minutes = Attr::Null;
    assert!(errors(&m).is_empty());
    // `all_users = false` is the default and says nothing; `true` is a target.
    m.all_users = Attr::Known(false);
    assert!(errors(&m).is_empty());
    m.all_users = Attr::Known(true);
    assert_eq!(errors(&m), ["all_users"]);
}

#[test]
fn all_users_is_assigned_before_the_groups_and_reads_back() {
    let mut m = user_driven();
    m.all_users = Attr::Known(true);
    let targets = UserTargets::of(&m);
    let body = serde_json::to_value(AssignBody {
        assignments: targets.to_assignments(),
    })
    .expect("json");
    assert_eq!(
        body,
        json!({"assignments": [
            {"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}},
            {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": U}},
        ]})
    );
    let listed: Vec<crate::resources::assignments::Assignment> =
        serde_json::from_value(body["assignments"].clone()).expect("assignments");
    assert_eq!(UserTargets::from_assignments(&listed), targets);
    let alone = UserTargets {
        all_users: true,
        ..Default::default()
    };
    assert!(!alone.is_empty());
    assert!(UserTargets::default().is_empty());
}

#[test]
fn ids_are_checked() {
    let mut m = user_driven();
    m.device_group_id = Attr::Known("devices".into());
    m.allowed_app_ids = Attr::Known(IdSet::from(set(&["app"])));
    assert_eq!(errors(&m), ["device_group_id", "allowed_app_ids"]);
    let mut m = user_driven();
    m.include_group_ids = Attr::Known(IdSet::from(set(&[G])));
    assert_eq!(errors(&m), ["include_group_ids"]);
}

#[test]
fn user_driven_settings_follow_the_reference() {
    let mut m = user_driven();
    m.user_account_type = Attr::Known(UserAccountType::Administrator);
    m.timeout_minutes = Attr::Known(90);
    m.allow_skip = Attr::Known(true);
    m.allowed_app_ids = Attr::Known(IdSet::from(set(&[APP])));
    let types = BTreeMap::from([(APP.to_string(), "#microsoft.graph.win32LobApp".to_string())]);
    let body = serde_json::to_value(m.to_graph(&types)).expect("json");
    assert_eq!(
        body["templateReference"]["templateId"],
        json!(USER_DRIVEN_TEMPLATE)
    );
    assert_eq!(body["platforms"], json!("windows10"));
    assert_eq!(body["technologies"], json!("enrollment"));
    let settings = body["settings"].as_array().expect("settings");
    // No script chosen: the scripts setting is left out, not sent empty.
    assert_eq!(settings.len(), 10);
    assert!(
        !settings
            .iter()
            .any(|s| s["settingInstance"]["settingDefinitionId"]
                == json!("enrollment_autopilot_dpp_allowedscriptids")),
        "{body}"
    );
    let first = &settings[0]["settingInstance"];
    assert_eq!(
        first["settingDefinitionId"],
        json!("enrollment_autopilot_dpp_deploymentmode")
    );
    assert_eq!(
        first["settingInstanceTemplateReference"]["settingInstanceTemplateId"],
        json!("5180aeab-886e-4589-97d4-40855c646315")
    );
    assert_eq!(
        first["choiceSettingValue"]["settingValueTemplateReference"]["settingValueTemplateId"],
        json!("5874c2f6-bcf1-463b-a9eb-bee64e2f2d82")
    );
    assert_eq!(
        first["choiceSettingValue"]["value"],
        json!("enrollment_autopilot_dpp_deploymentmode_0")
    );
    let apps = settings
        .iter()
        .find(|s| {
            s["settingInstance"]["settingDefinitionId"]
                == json!("enrollment_autopilot_dpp_allowedappids")
        })
        .expect("apps");
    assert_eq!(
        apps["settingInstance"]["simpleSettingCollectionValue"][0]["value"],
        json!(format!(
            "{{\"id\":\"{APP}\",\"type\":\"#microsoft.graph.win32LobApp\"}}"
        ))
    );

    // What was sent reads back as the same model.
    let read = ReadSettings::parse(settings);
    let policy = Policy {
        id: Some("p".into()),
        priority_meta_data: Some(PriorityMetaData { priority: Some(3) }),
        ..m.to_graph(&types)
    };
    let targets = UserTargets {
        groups: set(&[U]),
        ..Default::default()
    };
    let state =
        DevicePreparationPolicyModel::from_graph(policy, &read, Some(G.into()), targets, &m);
    assert_eq!(
        state.user_account_type,
        Attr::Known(UserAccountType::Administrator)
    );
    assert_eq!(state.timeout_minutes, Attr::Known(90));
    assert_eq!(state.allow_skip, Attr::Known(true));
    assert_eq!(state.allow_diagnostics, Attr::Known(false));
    assert_eq!(state.join_type, Attr::Known(JoinType::Entra));
    assert_eq!(
        state.custom_error_message,
        Attr::Known(DEFAULT_ERROR_MESSAGE.to_string())
    );
    assert_eq!(state.allowed_app_ids, Attr::Known(IdSet::from(set(&[APP]))));
    assert_eq!(state.allowed_script_ids, Attr::Null);
    assert_eq!(state.device_group_id, Attr::Known(G.into()));
    assert_eq!(state.include_group_ids, Attr::Known(IdSet::from(set(&[U]))));
    assert_eq!(state.priority, Attr::Known(3));
    assert_eq!(
        state.deployment_mode,
        Attr::Known(DeploymentMode::UserDriven)
    );
}

/// The definition ids of the settings in a policy's body, in order.
fn setting_ids(body: &serde_json::Value) -> Vec<&str> {
    body["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .filter_map(|s| s["settingInstance"]["settingDefinitionId"].as_str())
        .collect()
}

#[test]
fn automatic_carries_only_apps_and_scripts() {
    let m = DevicePreparationPolicyModel {
        deployment_mode: Attr::Known(DeploymentMode::Automatic),
        allowed_script_ids: Attr::Known(IdSet::from(set(&[APP]))),
        ..user_driven()
    };
    let body = serde_json::to_value(m.to_graph(&BTreeMap::new())).expect("json");
    assert_eq!(
        body["templateReference"]["templateId"],
        json!(AUTOMATIC_TEMPLATE)
    );
    let ids = setting_ids(&body);
    assert_eq!(ids, ["enrollment_autopilot_dpp_allowedscriptids"]);
    assert_eq!(
        body["settings"][0]["settingInstance"]["settingInstanceTemplateReference"]["settingInstanceTemplateId"],
        json!("ff20a4a9-a2f4-4a2e-84e0-4cd1dc9bed31")
    );
}

#[test]
fn no_apps_and_no_scripts_send_neither_setting() {
    let m = user_driven();
    let body = serde_json::to_value(m.to_graph(&BTreeMap::new())).expect("json");
    let ids = setting_ids(&body);
    assert_eq!(ids.len(), 9, "{ids:?}");
    assert!(!ids.iter().any(|id| id.contains("allowed")), "{ids:?}");
    let automatic = DevicePreparationPolicyModel {
        deployment_mode: Attr::Known(DeploymentMode::Automatic),
        ..user_driven()
    };
    let body = serde_json::to_value(automatic.to_graph(&BTreeMap::new())).expect("json");
    assert_eq!(body["settings"], json!([]));
}

#[test]
fn target_answers_are_read() {
    let ok = json!({"validationSucceeded": true, "enrollmentTimeDeviceMembershipTargetValidationStatuses": []});
    assert!(TargetVerdict::parse(&ok).succeeded);
    let not_owner = json!({"value": {"validationSucceeded": false,
        "enrollmentTimeDeviceMembershipTargetValidationStatuses": [
            {"targetId": G, "targetValidationErrorCode": "firstPartyAppNotAnOwner"}]}});
    let verdict = TargetVerdict::parse(&not_owner);
    assert_eq!(
        verdict,
        TargetVerdict {
            succeeded: false,
            failures: vec![(G.to_string(), "firstPartyAppNotAnOwner".to_string())]
        }
    );
    assert!(!verdict.group_not_seen_yet());
    let (summary, detail) = refusal(G, "firstPartyAppNotAnOwner");
    assert!(summary.contains("Intune Provisioning Client"));
    assert!(detail.contains("provisioning_client_owner = true"));
    let missing = json!({"validationSucceeded": false,
        "enrollmentTimeDeviceMembershipTargetValidationStatuses": [
            {"targetId": G, "targetValidationErrorCode": "securityGroupNotFound"}]});
    assert!(TargetVerdict::parse(&missing).group_not_seen_yet());
    assert_eq!(retrieved_target(&missing), Some(G.to_string()));
    assert_eq!(
        retrieved_target(
            &json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": G}]})
        ),
        Some(G.to_string())
    );
    assert_eq!(
        retrieved_target(&json!({"validationSucceeded": true})),
        None
    );
}

#[test]
fn allowed_app_values_are_read() {
    assert_eq!(
        allowed_app_id(&format!(
            "{{\"id\":\"{APP}\",\"type\":\"#microsoft.graph.winGetApp\"}}"
        )),
        APP
    );
    assert_eq!(allowed_app_id(APP), APP);
}

#[test]
fn the_filter_goes_on_all_users_and_every_group_and_reads_back() {
    use crate::resources::assignments::FilterType;
    let filter_id = "7a5b6c9d-0000-4000-8000-00000000f117";
    let mut m = user_driven();
    m.all_users = Attr::Known(true);
    m.assignment_filter_id = Attr::Known(filter_id.into());
    m.assignment_filter_type = Attr::Known(FilterType::Exclude);
    let targets = UserTargets::of(&m);
    let assignments = targets.to_assignments();
    assert_eq!(assignments.len(), 2, "{assignments:?}");
    for a in &assignments {
        assert_eq!(a.target.filter_id.as_deref(), Some(filter_id), "{a:?}");
        assert_eq!(a.target.filter_type.as_deref(), Some("exclude"), "{a:?}");
    }
    assert_eq!(UserTargets::from_assignments(&assignments), targets);
    // All users alone is a target the filter can narrow.
    m.include_group_ids = Attr::Known(IdSet::default());
    assert!(errors(&m).is_empty(), "{:?}", errors(&m));
    m.all_users = Attr::Known(false);
    assert_eq!(errors(&m), ["assignment_filter_id"]);
    m.assignment_filter_id = Attr::Null;
    assert_eq!(UserTargets::of(&m).filter, None);
}
