//! Application roles: tokens carry them, `--roles` narrows them, Graph answers 403 without them.

use crate::common::{Lab, assert_error, assert_wrapped_contains};
use autopilot_lab::LabConfig;
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn default_tokens_carry_every_role() {
    let lab = Lab::start().await;
    let roles = claims(&lab.token)["roles"].clone();
    for role in [
        "DeviceManagementServiceConfig.ReadWrite.All",
        "DeviceManagementConfiguration.ReadWrite.All",
        "Group.ReadWrite.All",
        "Application.ReadWrite.All",
    ] {
        assert!(roles.as_array().unwrap().contains(&json!(role)), "{roles}");
    }
}

#[tokio::test]
async fn narrowed_roles_give_graphs_403_shapes() {
    let lab = Lab::with_roles(&["DeviceManagementServiceConfig.Read.All", "Group.Read.All"]).await;
    assert_eq!(
        claims(&lab.token)["roles"],
        json!(["DeviceManagementServiceConfig.Read.All", "Group.Read.All"])
    );

    // Reads pass.
    let _ = lab
        .get_ok("/beta/deviceManagement/windowsAutopilotDeploymentProfiles")
        .await;
    let _ = lab.get_ok("/v1.0/groups").await;

    // An Intune write: Forbidden with the wrapped message naming the scopes.
    let (status, error) = lab
        .post(
            "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["error"]["code"], "Forbidden");
    assert_wrapped_contains(&error, "DeviceManagementServiceConfig.ReadWrite.All");
    // Another Intune area: no read either.
    let (status, _) = lab
        .get("/beta/deviceManagement/configurationPolicies")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A directory write: Authorization_RequestDenied.
    assert_error(lab
        .post(
            "/v1.0/groups",
            json!({"displayName": "g", "mailEnabled": false, "mailNickname": "g", "securityEnabled": true}),
        )
        .await, StatusCode::FORBIDDEN, "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.");
    let (status, _) = lab.get("/v1.0/servicePrincipals").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn group_create_alone_is_enough_to_create_groups() {
    let lab = Lab::with_roles(&["Group.Create"]).await;
    let body = lab
        .create(
            "/v1.0/groups",
            json!({
                "displayName": "g",
                "mailEnabled": false,
                "mailNickname": "g",
                "securityEnabled": true,
            }),
        )
        .await;
    let (status, _) = lab
        .patch(
            &format!("/v1.0/groups/{}", body["id"].as_str().unwrap()),
            json!({"description": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn unknown_roles_refuse_to_start() {
    let result = autopilot_lab::spawn(LabConfig {
        roles: Some(vec!["Nope.All".into()]),
        ..LabConfig::default()
    })
    .await;
    let error = result.err().expect("refused");
    assert!(error.to_string().contains("Nope.All"), "{error}");
}
