//! `/deviceManagement/windowsAutopilotDeploymentProfiles`.

use crate::common::{
    Lab, assert_bad_request, assert_error, assert_untyped_create_refused, assert_wrapped_contains,
    expect, group_assignment, string_of, values_of, wrapped_message,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PROFILES: &str = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";
const GROUP: &str = "6f1b5b3e-7c55-4a7e-9a51-2a4c1a4b0c11";

fn entra_profile(name: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "displayName": name,
        "description": "",
        "locale": "os-default",
        "deviceNameTemplate": "CORP-%SERIAL%",
        "deviceType": "windowsPc",
        "preprovisioningAllowed": false,
        "hardwareHashExtractionEnabled": true,
        "roleScopeTagIds": ["0"],
        "outOfBoxExperienceSetting": {
            "deviceUsageType": "singleUser",
            "escapeLinkHidden": true,
            "eulaHidden": true,
            "keyboardSelectionPageSkipped": true,
            "privacySettingsHidden": true,
            "userType": "standard"
        }
    })
}

async fn create(lab: &Lab, body: Value) -> String {
    let created = lab.create(PROFILES, body).await;
    created["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn create_entra_and_hybrid_profiles_with_every_property() {
    let lab = Lab::start().await;
    let body = lab.create(PROFILES, entra_profile("AP UserDriven")).await;
    assert_eq!(
        body["@odata.context"],
        format!(
            "{}/beta/$metadata#deviceManagement/windowsAutopilotDeploymentProfiles/$entity",
            lab.info().graph_url
        )
    );
    assert_eq!(
        body["@odata.type"],
        "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"
    );
    assert_eq!(body["displayName"], "AP UserDriven");
    assert_eq!(body["locale"], "os-default");
    assert_eq!(body["language"], "os-default");
    assert_eq!(body["hardwareHashExtractionEnabled"], true);
    assert_eq!(body["extractHardwareHash"], true, "deprecated name mirrors");
    assert_eq!(body["enableWhiteGlove"], false);
    assert_eq!(body["deviceType"], "windowsPc");
    assert_eq!(body["managementServiceAppId"], Value::Null);
    assert_eq!(body["enrollmentStatusScreenSettings"], Value::Null);
    assert_eq!(body["outOfBoxExperienceSetting"]["userType"], "standard");
    assert_eq!(
        body["outOfBoxExperienceSettings"],
        json!({"deviceUsageType": "singleUser", "hideEscapeLink": true, "hideEULA": true,
               "hidePrivacySettings": true, "skipKeyboardSelectionPage": true, "userType": "standard"})
    );
    assert_eq!(body["createdDateTime"], body["lastModifiedDateTime"]);
    assert!(body.get("hybridAzureADJoinSkipConnectivityCheck").is_none());

    let mut hybrid = entra_profile("AP Hybrid");
    hybrid["@odata.type"] =
        json!("#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile");
    hybrid["hybridAzureADJoinSkipConnectivityCheck"] = json!(true);
    hybrid
        .as_object_mut()
        .unwrap()
        .remove("outOfBoxExperienceSetting");
    hybrid["outOfBoxExperienceSettings"] = json!({"hideEULA": true, "userType": "administrator"});
    hybrid["enrollmentStatusScreenSettings"] = json!({"hideInstallationProgress": true});
    let body = lab.create(PROFILES, hybrid).await;
    assert_eq!(body["hybridAzureADJoinSkipConnectivityCheck"], true);
    assert_eq!(body["outOfBoxExperienceSetting"]["eulaHidden"], true);
    assert_eq!(
        body["outOfBoxExperienceSetting"]["userType"],
        "administrator"
    );
    assert_eq!(
        body["enrollmentStatusScreenSettings"],
        json!({"allowDeviceUseBeforeProfileAndAppInstallComplete": false,
               "allowDeviceUseOnInstallFailure": false, "allowLogCollectionOnInstallFailure": false,
               "blockDeviceSetupRetryByUser": false, "customErrorMessage": null,
               "hideInstallationProgress": true, "installProgressTimeoutInMinutes": null})
    );

    // Defaults for a minimal body.
    let body = lab
        .create(
            PROFILES,
            json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "displayName": "min",
            }),
        )
        .await;
    assert_eq!(body["locale"], "os-default");
    assert_eq!(body["roleScopeTagIds"], json!(["0"]));
    assert_eq!(body["preprovisioningAllowed"], false);
    assert_eq!(body["outOfBoxExperienceSetting"], Value::Null);

    let list = lab.get_ok(PROFILES).await;
    assert_eq!(values_of(&list).len(), 3);
    let list = lab.get_ok(&format!(
            "{PROFILES}?$filter=isof('microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile')"
        )).await;
    assert_eq!(list["value"][0]["displayName"], "AP Hybrid");
    let (_, list) = lab
        .get(&format!(
            "{PROFILES}?$filter=displayName eq 'min'&$select=displayName"
        ))
        .await;
    assert_eq!(values_of(&list).len(), 1);
    assert!(list["value"][0].get("locale").is_none());
}

#[tokio::test]
async fn create_refusals() {
    let lab = Lab::start().await;
    assert_untyped_create_refused(&lab, PROFILES, entra_profile("x")).await;

    let mut body = entra_profile("x");
    body["nope"] = json!(1);
    assert_bad_request(
        &lab.post(PROFILES, body).await,
        "The property 'nope' does not exist on type 'microsoft.graph.azureADWindowsAutopilotDeploymentProfile'",
    );

    let mut body = entra_profile("x");
    body["outOfBoxExperienceSetting"]["hideEULA"] = json!(true);
    assert_bad_request(
        &lab.post(PROFILES, body).await,
        "'hideEULA' does not exist on type 'microsoft.graph.outOfBoxExperienceSetting'",
    );

    let mut body = entra_profile("x");
    body["hybridAzureADJoinSkipConnectivityCheck"] = json!(true);
    let (status, _) = lab.post(PROFILES, body).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "hybrid-only property on Entra join"
    );

    let mut body = entra_profile("x");
    body["deviceType"] = json!("toaster");
    assert_bad_request(
        &lab.post(PROFILES, body).await,
        "Requested value 'toaster' was not found.",
    );

    for template in ["12345", "TOO-LONG-NAME-%RAND:5%", "BAD_CHAR"] {
        let mut body = entra_profile("x");
        body["deviceNameTemplate"] = json!(template);
        let (status, error) = lab.post(PROFILES, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{template}");
        let inner = wrapped_message(&error);
        assert!(
            string_of(&inner["Message"]).contains("deviceNameTemplate"),
            "{inner}"
        );
    }

    let mut body = entra_profile("x");
    body.as_object_mut().unwrap().remove("displayName");
    let (status, error) = lab.post(PROFILES, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_wrapped_contains(&error, "displayName");

    // Profiles are beta only.
    assert_bad_request(
        &lab.post(
            "/v1.0/deviceManagement/windowsAutopilotDeploymentProfiles",
            entra_profile("x"),
        )
        .await,
        "Resource not found for the segment 'windowsAutopilotDeploymentProfiles'.",
    );
}

#[tokio::test]
async fn patch_get_delete() {
    let lab = Lab::start().await;
    let id = create(&lab, entra_profile("AP")).await;
    let path = format!("{PROFILES}/{id}");
    let (_, before) = lab.get(&path).await;

    let (status, body) = lab
        .patch(
            &path,
            json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "description": "new",
                "locale": "en-US",
                "outOfBoxExperienceSetting": {"deviceUsageType": "shared",
                    "escapeLinkHidden": false, "eulaHidden": false, "keyboardSelectionPageSkipped": false,
                    "privacySettingsHidden": false}
            }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let after = lab.get_ok(&path).await;
    assert_eq!(after["description"], "new");
    assert_eq!(after["locale"], "en-US");
    assert_eq!(after["language"], "en-US");
    assert_eq!(
        after["outOfBoxExperienceSettings"]["deviceUsageType"],
        "shared"
    );
    assert!(
        after["outOfBoxExperienceSetting"].get("userType").is_none(),
        "no user type on a shared profile: {after}"
    );
    assert_eq!(after["displayName"], "AP");
    assert!(
        after["lastModifiedDateTime"].as_str().unwrap()
            > before["lastModifiedDateTime"].as_str().unwrap()
    );

    // The join type cannot change.
    let (status, _) = lab
        .patch(
            &path,
            json!({"@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile", "description": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // With the setting on, PATCH answers 200 with the entity.
    lab.settings(json!({"patch_returns_entity": true})).await;
    let body = expect(lab
        .patch(
            &path,
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "description": "y"}),
        )
        .await, StatusCode::OK);
    assert_eq!(body["description"], "y");

    expect(lab.delete(&path).await, StatusCode::NO_CONTENT);
    let (status, error) = lab.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(wrapped_message(&error)["_version"], 3);
    let (status, _) = lab.delete(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn assignments_one_at_a_time_and_delete_rule() {
    let lab = Lab::start().await;
    let id = create(&lab, entra_profile("AP")).await;
    let assignments = format!("{PROFILES}/{id}/assignments");

    let mut assignment = group_assignment(GROUP);
    assignment["@odata.type"] =
        json!("#microsoft.graph.windowsAutopilotDeploymentProfileAssignment");
    let created = lab.create(&assignments, assignment).await;
    assert!(string_of(&created["@odata.context"]).ends_with(&format!(
        "windowsAutopilotDeploymentProfiles('{id}')/assignments/$entity"
    )));
    assert_eq!(created["source"], "direct");
    assert_eq!(created["target"]["groupId"], GROUP);
    assert_eq!(
        created["target"]["deviceAndAppManagementAssignmentFilterType"],
        "none"
    );
    let assignment_id = created["id"].as_str().unwrap().to_owned();

    // The same group again is refused; an exclusion and all devices are fine.
    let (status, _) = lab.post(&assignments, group_assignment(GROUP)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let _ = lab
        .create(
            &assignments,
            json!({"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
                              "groupId": "11111111-2222-4333-8444-555555555555"}}),
        )
        .await;
    let _ = lab
        .create(
            &assignments,
            json!({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}),
        )
        .await;
    // Users are not a profile target; a missing target is refused.
    let (status, _) = lab
        .post(
            &assignments,
            json!({"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = lab.post(&assignments, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Another profile cannot also take All Devices.
    let other = create(&lab, entra_profile("AP 2")).await;
    let (status, error) = lab
        .post(
            &format!("{PROFILES}/{other}/assignments"),
            json!({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        wrapped_message(&error)["Message"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "Another Profile {id} is already assigned to All Devices."
            ))
    );

    let list = lab.get_ok(&assignments).await;
    assert_eq!(values_of(&list).len(), 3);
    let one = lab.get_ok(&format!("{assignments}/{assignment_id}")).await;
    assert_eq!(one["id"], assignment_id);
    let (_, expanded) = lab
        .get(&format!("{PROFILES}/{id}?$expand=assignments"))
        .await;
    assert_eq!(expanded["assignments"].as_array().unwrap().len(), 3);

    // Deleting a profile with assignments fails.
    let (status, error) = lab.delete(&format!("{PROFILES}/{id}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_wrapped_contains(&error, "assignment");

    for a in values_of(&list) {
        expect(
            lab.delete(&format!("{assignments}/{}", a["id"].as_str().unwrap()))
                .await,
            StatusCode::NO_CONTENT,
        );
    }
    let (status, _) = lab.delete(&format!("{assignments}/{assignment_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    expect(
        lab.delete(&format!("{PROFILES}/{id}")).await,
        StatusCode::NO_CONTENT,
    );
    let (status, _) = lab.get(&assignments).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn assigned_devices_is_empty_without_devices_and_assign_needs_known_devices() {
    let lab = Lab::start().await;
    let id = create(&lab, entra_profile("AP")).await;
    let list = lab
        .get_ok(&format!("{PROFILES}/{id}/assignedDevices"))
        .await;
    assert_eq!(list["value"], json!([]));
    let (status, _) = lab
        .post(
            &format!("{PROFILES}/{id}/assign"),
            json!({"deviceIds": ["00000000-0000-0000-0000-000000000000"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(
        lab.post(&format!("{PROFILES}/{id}/assign"), json!({"deviceIds": []}))
            .await,
        StatusCode::NO_CONTENT,
    );
    let (status, _) = lab.get(&format!("{PROFILES}/nope/assignedDevices")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Graph behaviours the lab reproduces (lab/README.md): names and descriptions Intune refuses,
/// no user type on self-deploying profiles, an empty locale stored as `os-default`.
#[tokio::test]
async fn refusals_and_changes_intune_makes() {
    let lab = Lab::start().await;
    // A name with a hyphen: Intune's opaque 500.
    let (status, error) = lab
        .post(PROFILES, entra_profile("Entra join - Sales"))
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{error}");
    assert_eq!(error["error"]["code"], "InternalServerError");
    assert!(
        wrapped_message(&error)["Message"]
            .as_str()
            .unwrap()
            .starts_with("An error has occurred"),
        "{error}"
    );
    // The signs Intune accepts in a name.
    let id = create(&lab, entra_profile("Sales: Kiosk [EU] {2} | A&B @ $5 _x_")).await;
    // A description with a refused sign: 400 without a reason, on PATCH too.
    let mut body = entra_profile("Sales");
    body["description"] = json!("Sales laptops (pilot)");
    assert_error(
        lab.post(PROFILES, body).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "An error has occurred",
    );
    let (status, _) = lab
        .patch(
            &format!("{PROFILES}/{id}"),
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "Sales - EU"}),
        )
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);

    // The rules switched off: a profile from before Intune checked them.
    lab.settings(json!({"profile_text_rules": false})).await;
    let mut body = entra_profile("Sales - EU");
    body["description"] = json!("Pilot - wave 2");
    create(&lab, body).await;
    lab.settings(json!({"profile_text_rules": true})).await;

    // A user type on a self-deploying profile: refused; none is ever returned on one.
    let mut shared = entra_profile("Kiosk");
    shared["outOfBoxExperienceSetting"]["deviceUsageType"] = json!("shared");
    assert_error(
        lab.post(PROFILES, shared.clone()).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "An error has occurred",
    );
    shared["outOfBoxExperienceSetting"]
        .as_object_mut()
        .unwrap()
        .remove("userType");
    shared["locale"] = json!("");
    let kiosk = create(&lab, shared).await;
    let (_, got) = lab.get(&format!("{PROFILES}/{kiosk}")).await;
    assert!(
        got["outOfBoxExperienceSetting"].get("userType").is_none(),
        "{got}"
    );
    assert!(
        got["outOfBoxExperienceSettings"].get("userType").is_none(),
        "{got}"
    );
    assert_eq!(
        got["locale"], "os-default",
        "an empty locale is stored as os-default"
    );
    let (status, _) = lab
        .patch(
            &format!("{PROFILES}/{kiosk}"),
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                   "outOfBoxExperienceSetting": {"userType": "standard"}}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the stored profile is shared"
    );
    // Made user-driven again, it gets a user type.
    expect(lab
        .patch(
            &format!("{PROFILES}/{kiosk}"),
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                   "outOfBoxExperienceSetting": {"deviceUsageType": "singleUser", "userType": "standard"}}),
        )
        .await, StatusCode::NO_CONTENT);
    let (_, got) = lab.get(&format!("{PROFILES}/{kiosk}")).await;
    assert_eq!(got["outOfBoxExperienceSetting"]["userType"], "standard");
}
