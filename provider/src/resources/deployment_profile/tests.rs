//! Unit tests of `autopilot_deployment_profile`: schema, plan-time rules and the Graph mapping.

use super::*;
use tfplugin::Severity;

#[test]
fn schema_derives() {
    let schema = tfplugin::Schema::of::<DeploymentProfileModel>(0).expect("schema");
    let join = schema.block.attribute("join_type").expect("join_type");
    assert!(join.required && join.force_new);
    assert_eq!(
        join.constraints.one_of,
        Some(vec!["entra".to_string(), "hybrid".to_string()])
    );
    let device = schema.block.attribute("device_type").expect("device_type");
    assert_eq!(
        device.default,
        Some(tfplugin::Value::String("windows_pc".into()))
    );
    assert_eq!(
        device.constraints.one_of.as_deref().map(<[String]>::len),
        Some(5)
    );
    let user = schema.block.attribute("user_type").expect("user_type");
    assert!(user.optional && user.computed && user.default.is_none());
}

fn config(join: JoinType) -> DeploymentProfileModel {
    DeploymentProfileModel {
        display_name: Attr::Known("AP".into()),
        join_type: Attr::Known(join),
        ..Default::default()
    }
}

fn paths(model: &DeploymentProfileModel, severity: Severity) -> Vec<String> {
    crate::test_support::reported_paths(severity, |diags| validate_profile(model, diags))
}

fn with_template(join: JoinType, template: &str) -> DeploymentProfileModel {
    DeploymentProfileModel {
        device_name_template: Attr::Known(template.into()),
        ..config(join)
    }
}

#[test]
fn name_template_rules() {
    let ok = |t: &str| paths(&with_template(JoinType::Entra, t), Severity::Error).is_empty();
    assert!(ok("CORP-%SERIAL%"));
    assert!(ok("AP-%RAND:5%"));
    assert!(ok("ABCDEFGHIJKLMNO"));
    assert!(!ok("ABCDEFGHIJKLMNOP"));
    assert!(!ok("CORP-%RAND:11%"));
    assert!(!ok("123456"));
    assert!(!ok("%RAND:6%"));
    assert!(ok("12-%RAND:3%"));
    assert!(ok("1234%SERIAL%"));
    assert!(!ok("CORP_%SERIAL%"));
    assert!(!ok("CORP-%SERIAL"));
    assert_eq!(
        paths(
            &with_template(JoinType::Entra, "CONTOSO-%SERIAL%"),
            Severity::Warning
        ),
        ["device_name_template"]
    );
    assert!(
        paths(
            &with_template(JoinType::Entra, "CTS-%SERIAL%"),
            Severity::Warning
        )
        .is_empty()
    );
    assert_eq!(
        paths(
            &with_template(JoinType::Hybrid, "CTS-%SERIAL%"),
            Severity::Error
        ),
        ["device_name_template"]
    );
}

#[test]
fn join_type_rules() {
    let mut m = config(JoinType::Hybrid);
    m.deployment_mode = Attr::Known(DeploymentMode::SelfDeploying);
    assert_eq!(paths(&m, Severity::Error), ["deployment_mode"]);
    m.join_type = Attr::Known(JoinType::Entra);
    assert!(paths(&m, Severity::Error).is_empty());
    m.hybrid_azure_ad_join_skip_connectivity_check = Attr::Known(true);
    assert_eq!(
        paths(&m, Severity::Error),
        ["hybrid_azure_ad_join_skip_connectivity_check"]
    );
    m.join_type = Attr::Known(JoinType::Hybrid);
    m.deployment_mode = Attr::Known(DeploymentMode::UserDriven);
    assert!(paths(&m, Severity::Error).is_empty());
}

#[test]
fn exclusions_with_all_devices_and_locale() {
    let mut m = config(JoinType::Entra);
    m.all_devices = Attr::Known(true);
    m.exclude_group_ids = Attr::Known(BTreeSet::from([
        "22222222-2222-4222-8222-222222222222".to_string()
    ]));
    assert_eq!(paths(&m, Severity::Error), ["exclude_group_ids"]);
    let mut m = config(JoinType::Entra);
    m.locale = Attr::Known("english".into());
    assert_eq!(paths(&m, Severity::Error), ["locale"]);
}

#[test]
fn unknown_values_are_not_validated() {
    let mut m = with_template(JoinType::Hybrid, "CTS-%SERIAL%");
    m.join_type = Attr::Unknown;
    m.device_name_template = Attr::Unknown;
    assert!(paths(&m, Severity::Error).is_empty());
}

#[test]
fn graph_round_trip() {
    let mut m = with_template(JoinType::Entra, "CORP-%SERIAL%");
    m.deployment_mode = Attr::Known(DeploymentMode::SelfDeploying);
    m.user_type = Attr::Known(UserType::Standard);
    m.eula_hidden = Attr::Known(true);
    m.locale = Attr::Known("en-US".into());
    let payload = m.to_graph();
    let json = serde_json::to_value(&payload).expect("json");
    assert_eq!(
        json["@odata.type"],
        "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"
    );
    assert!(json.get("hybridAzureADJoinSkipConnectivityCheck").is_none());
    assert_eq!(
        json["outOfBoxExperienceSetting"]["deviceUsageType"],
        "shared"
    );
    assert!(
        json["outOfBoxExperienceSetting"].get("userType").is_none(),
        "no user type on a self-deploying profile: {json}"
    );
    assert_eq!(json["deviceType"], "windowsPc");
    assert!(json.get("id").is_none() && json.get("createdDateTime").is_none());

    let mut back: ProfilePayload = serde_json::from_value(json).expect("back");
    back.id = Some("p1".into());
    let state = DeploymentProfileModel::from_graph(back, Targets::default(), &m).expect("state");
    assert_eq!(
        state.deployment_mode,
        Attr::Known(DeploymentMode::SelfDeploying)
    );
    assert_eq!(state.eula_hidden, Attr::Known(true));
    assert_eq!(state.user_type, Attr::Null);
    assert_eq!(state.locale, Attr::Known("en-US".into()));
    assert_eq!(state.include_group_ids, Attr::Null);
    assert_eq!(
        state.device_name_template,
        Attr::Known("CORP-%SERIAL%".into())
    );
}

#[test]
fn names_descriptions_and_user_types_intune_refuses() {
    let mut m = config(JoinType::Entra);
    m.display_name = Attr::Known("Entra join - Sales".into());
    m.description = Attr::Known("Sales (pilot)".into());
    assert_eq!(paths(&m, Severity::Error), ["display_name", "description"]);
    let mut m = config(JoinType::Entra);
    m.deployment_mode = Attr::Known(DeploymentMode::SelfDeploying);
    m.user_type = Attr::Known(UserType::Administrator);
    assert_eq!(paths(&m, Severity::Error), ["user_type"]);
    m.deployment_mode = Attr::Known(DeploymentMode::UserDriven);
    assert!(paths(&m, Severity::Error).is_empty());
    let mut m = config(JoinType::Entra);
    m.locale = Attr::Known(String::new());
    assert_eq!(paths(&m, Severity::Error), ["locale"]);
}

#[test]
fn user_type_is_planned_from_the_mode() {
    let mut m = config(JoinType::Entra);
    m.deployment_mode = Attr::Known(DeploymentMode::SelfDeploying);
    assert_eq!(m.planned_user_type(&Attr::Null), Attr::Null);
    m.deployment_mode = Attr::Known(DeploymentMode::UserDriven);
    assert_eq!(
        m.planned_user_type(&Attr::Null),
        Attr::Known(UserType::Standard)
    );
    assert_eq!(
        m.planned_user_type(&Attr::Known(UserType::Standard)),
        Attr::Known(UserType::Standard)
    );
    m.deployment_mode = Attr::Unknown;
    assert_eq!(m.planned_user_type(&Attr::Null), Attr::Unknown);
    let json = serde_json::to_value(m.to_graph()).expect("json");
    assert_eq!(json["outOfBoxExperienceSetting"]["userType"], "standard");
}

/// The state of a profile Graph answered with `json`, read without
/// assignments or prior state.
fn state_from(json: serde_json::Value) -> Result<DeploymentProfileModel, String> {
    let payload: ProfilePayload = serde_json::from_value(json).expect("payload");
    DeploymentProfileModel::from_graph(
        payload,
        Targets::default(),
        &DeploymentProfileModel::default(),
    )
}

#[test]
fn legacy_oobe_block_is_read() {
    let state = state_from(serde_json::json!({
        "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
        "id": "p", "displayName": "x", "deviceNameTemplate": "",
        "hybridAzureADJoinSkipConnectivityCheck": true,
        "outOfBoxExperienceSettings": {"hideEULA": true, "userType": "standard", "deviceUsageType": "singleUser"}
    }))
    .expect("state");
    assert_eq!(state.join_type, Attr::Known(JoinType::Hybrid));
    assert_eq!(state.eula_hidden, Attr::Known(true));
    assert_eq!(state.user_type, Attr::Known(UserType::Standard));
    assert_eq!(state.device_name_template, Attr::Null);
    assert_eq!(
        state.hybrid_azure_ad_join_skip_connectivity_check,
        Attr::Known(true)
    );
}

#[test]
fn unsupported_graph_values_fail_clearly() {
    let err = state_from(serde_json::json!({
        "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "id": "p", "deviceType": "unknownFutureValue"
    }))
    .expect_err("unsupported");
    assert!(err.contains("unknownFutureValue"));
}
