//! `/deviceManagement/deviceEnrollmentConfigurations`: the Enrollment Status Page.

use crate::common::{
    Lab, assert_bad_request, assert_untyped_create_refused, assert_wrapped_contains, expect,
    group_assignment, values_of,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ESPS: &str = "/beta/deviceManagement/deviceEnrollmentConfigurations";
const APP: &str = "7ab1ab00-0000-4000-8000-0000000a0001";
const GROUP: &str = "6f1b5b3e-7c55-4a7e-9a51-2a4c1a4b0c11";

fn esp(name: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
        "displayName": name,
        "description": "",
        "showInstallationProgress": true,
        "blockDeviceSetupRetryByUser": false,
        "allowDeviceResetOnInstallFailure": true,
        "allowLogCollectionOnInstallFailure": true,
        "customErrorMessage": "Contact IT",
        "installProgressTimeoutInMinutes": 60,
        "allowDeviceUseOnInstallFailure": false,
        "selectedMobileAppIds": [APP],
        "allowNonBlockingAppInstallation": false,
        "installQualityUpdates": false,
        "trackInstallProgressForAutopilotOnly": true,
        "disableUserStatusTrackingAfterFirstUser": true,
        "roleScopeTagIds": ["0"],
        "priority": 42
    })
}

async fn create(lab: &Lab, name: &str) -> (String, Value) {
    let body = lab.create(ESPS, esp(name)).await;
    (body["id"].as_str().unwrap().to_owned(), body)
}

fn default_id(lab: &Lab) -> String {
    format!(
        "{}_DefaultWindows10EnrollmentCompletionPageConfiguration",
        lab.info().tenant_id
    )
}

async fn priorities(lab: &Lab) -> Vec<(String, i64)> {
    let (_, list) = lab.get(ESPS).await;
    values_of(&list)
        .iter()
        .map(|c| {
            (
                c["displayName"].as_str().unwrap().to_owned(),
                c["priority"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Asserts the tenant's ESPs ordered by priority: (display name, priority), lowest first.
async fn assert_priorities(lab: &Lab, expected: &[(&str, i64)]) {
    let mut got = priorities(lab).await;
    got.sort_by_key(|(_, p)| *p);
    let expected: Vec<(String, i64)> = expected
        .iter()
        .map(|(name, priority)| ((*name).to_owned(), *priority))
        .collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn the_default_esp_is_seeded_and_cannot_be_deleted() {
    let lab = Lab::start().await;
    let id = default_id(&lab);
    let body = lab.get_ok(&format!("{ESPS}/{id}")).await;
    assert_eq!(body["priority"], 0);
    assert_eq!(body["displayName"], "All users and all devices");
    assert_eq!(body["createdDateTime"], "0001-01-01T00:00:00Z");
    assert_eq!(
        body["deviceEnrollmentConfigurationType"],
        "windows10EnrollmentCompletionPageConfiguration"
    );
    assert_eq!(body["blockDeviceSetupRetryByUser"], true);

    let (status, error) = lab.delete(&format!("{ESPS}/{id}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_wrapped_contains(&error, "cannot be deleted");
    let (status, _) = lab
        .post(&format!("{ESPS}/{id}/setPriority"), json!({"priority": 1}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = lab
        .post(
            &format!("{ESPS}/{id}/assign"),
            json!({"enrollmentConfigurationAssignments": []}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // PATCH works on the default.
    expect(
        lab.patch(
            &format!("{ESPS}/{id}"),
            json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
                   "showInstallationProgress": true}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (_, body) = lab.get(&format!("{ESPS}/{id}")).await;
    assert_eq!(body["showInstallationProgress"], true);
    assert_eq!(body["version"], 1);
    assert_eq!(body["priority"], 0);
}

#[tokio::test]
async fn create_gets_the_next_priority_and_every_property() {
    let lab = Lab::start().await;
    let (id, body) = create(&lab, "ESP-1").await;
    assert!(
        id.ends_with("_Windows10EnrollmentCompletionPageConfiguration"),
        "{id}"
    );
    assert!(uuid::Uuid::parse_str(id.split('_').next().unwrap()).is_ok());
    assert_eq!(body["priority"], 1, "the priority in the body is ignored");
    assert_eq!(body["version"], 1);
    assert_eq!(body["customErrorMessage"], "Contact IT");
    assert_eq!(body["selectedMobileAppIds"], json!([APP]));
    assert_eq!(
        body["deviceEnrollmentConfigurationType"],
        "windows10EnrollmentCompletionPageConfiguration"
    );
    let (_, second) = create(&lab, "ESP-2").await;
    assert_eq!(second["priority"], 2);

    // Minimal body: defaults.
    let minimal = lab
        .create(
            ESPS,
            json!({
                "@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
                "displayName": "ESP-3",
            }),
        )
        .await;
    assert_eq!(minimal["installProgressTimeoutInMinutes"], 60);
    assert_eq!(minimal["selectedMobileAppIds"], json!([]));
    assert_eq!(minimal["showInstallationProgress"], false);
    assert_eq!(minimal["roleScopeTagIds"], json!(["0"]));
    assert_eq!(minimal["priority"], 3);

    // v1.0 shows only what the v1.0 schema declares.
    let v1 = lab
        .get_ok(&format!(
            "/v1.0/deviceManagement/deviceEnrollmentConfigurations/{id}"
        ))
        .await;
    assert_eq!(v1["allowNonBlockingAppInstallation"], false);
    assert!(v1.get("showInstallationProgress").is_none(), "{v1}");
    assert!(v1.get("roleScopeTagIds").is_none(), "{v1}");
    assert_eq!(v1["priority"], 1);
    assert_bad_request(
        &lab.post(
            "/v1.0/deviceManagement/deviceEnrollmentConfigurations",
            esp("x"),
        )
        .await,
        "does not exist on type",
    );
}

#[tokio::test]
async fn create_refusals() {
    let lab = Lab::start().await;
    assert_untyped_create_refused(&lab, ESPS, esp("x")).await;

    let mut body = esp("x");
    body["showProgress"] = json!(true);
    assert_bad_request(
        &lab.post(ESPS, body).await,
        "The property 'showProgress' does not exist",
    );

    let mut body = esp("x");
    body["selectedMobileAppIds"] = json!(["00000000-0000-0000-0000-000000000000"]);
    let (status, error) = lab.post(ESPS, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_wrapped_contains(&error, "does not exist");

    let mut body = esp("x");
    body["installProgressTimeoutInMinutes"] = json!("sixty");
    assert_bad_request(&lab.post(ESPS, body).await, "Edm.Int32");

    let mut body = esp("x");
    body.as_object_mut().unwrap().remove("displayName");
    let (status, _) = lab.post(ESPS, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn set_priority_renumbers_the_others() {
    let lab = Lab::start().await;
    let (a, _) = create(&lab, "A").await;
    let (_b, _) = create(&lab, "B").await;
    let (c, _) = create(&lab, "C").await;

    let (status, body) = lab
        .post(&format!("{ESPS}/{c}/setPriority"), json!({"priority": 1}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_priorities(
        &lab,
        &[
            ("All users and all devices", 0),
            ("C", 1),
            ("A", 2),
            ("B", 3),
        ],
    )
    .await;

    // Deleting leaves a gap; setPriority uses the existing values only.
    expect(
        lab.delete(&format!("{ESPS}/{c}")).await,
        StatusCode::NO_CONTENT,
    );
    let (status, _) = lab
        .post(&format!("{ESPS}/{a}/setPriority"), json!({"priority": 1}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(
        lab.post(&format!("{ESPS}/{a}/setPriority"), json!({"priority": 3}))
            .await,
        StatusCode::NO_CONTENT,
    );
    assert_priorities(
        &lab,
        &[("All users and all devices", 0), ("B", 2), ("A", 3)],
    )
    .await;
    let (_, d) = create(&lab, "D").await;
    assert_eq!(d["priority"], 4);

    let (status, _) = lab
        .post(&format!("{ESPS}/{a}/setPriority"), json!({"priority": "1"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = lab
        .post(&format!("{ESPS}/{a}/setPriority"), json!({"rank": 1}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = lab
        .post(&format!("{ESPS}/nope/setPriority"), json!({"priority": 1}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn assign_replaces_the_list() {
    let lab = Lab::start().await;
    let (id, _) = create(&lab, "ESP").await;
    let assign = format!("{ESPS}/{id}/assign");
    let (status, body) = lab
        .post(
            &assign,
            json!({"enrollmentConfigurationAssignments": [
                group_assignment(GROUP),
                {"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let items = lab.values(&format!("{ESPS}/{id}/assignments")).await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["source"], "direct");
    assert_eq!(items[0]["sourceId"], id);
    assert_eq!(items[0]["id"], format!("{id}_{GROUP}"));
    let one = lab
        .get_ok(&format!("{ESPS}/{id}/assignments/{id}_{GROUP}"))
        .await;
    assert_eq!(one["target"]["groupId"], GROUP);
    let (_, expanded) = lab.get(&format!("{ESPS}/{id}?$expand=assignments")).await;
    assert_eq!(expanded["assignments"].as_array().unwrap().len(), 2);

    expect(
        lab.post(
            &assign,
            json!({"enrollmentConfigurationAssignments": [
                {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}
            ]}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(
        lab.values(&format!("{ESPS}/{id}/assignments")).await.len(),
        1
    );

    // Single-assignment writes are not routed, as in Intune.
    let (status, error) = lab
        .delete(&format!(
            "{ESPS}/{id}/assignments/{id}_adadadad-808e-44e2-905a-0b7873a8a531"
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_wrapped_contains(&error, "No OData route exists");
    let (status, _) = lab
        .post(
            &format!("{ESPS}/{id}/assignments"),
            json!({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Bad bodies.
    let (status, _) = lab.post(&assign, json!({"assignments": []})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = lab
        .post(
            &assign,
            json!({"enrollmentConfigurationAssignments": [
                {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}},
                {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Deleting the ESP deletes its assignments.
    expect(
        lab.delete(&format!("{ESPS}/{id}")).await,
        StatusCode::NO_CONTENT,
    );
    let objects = lab.objects().await;
    assert_eq!(objects["enrollmentConfigurationAssignments"], json!([]));
}
