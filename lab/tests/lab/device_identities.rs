//! Device imports, registered device identities and the Autopilot sync.

use std::time::Duration;

use crate::common::{
    Lab, assert_bad_request, assert_wrapped_contains, dynamic_device_group, expect,
    group_assignment, retry_after_seconds, string_of, values_of,
};
use autopilot_lab::LabConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const IMPORTS: &str = "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const DEVICES: &str = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const PROFILES: &str = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";

/// A distinct, valid hash per serial.
fn hash_of(serial: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .encode(format!("lab-hardware-hash:{}", serial.to_lowercase()))
}

fn device(serial: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
        "groupTag": "SITE-A",
        "serialNumber": serial,
        "productKey": "",
        "hardwareIdentifier": hash_of(serial),
        "assignedUserPrincipalName": "",
        "state": {"@odata.type": "microsoft.graph.importedWindowsAutopilotDeviceIdentityState",
                  "deviceImportStatus": "pending", "deviceRegistrationId": "", "deviceErrorCode": 0, "deviceErrorName": ""}
    })
}

async fn fast_lab() -> Lab {
    Lab::start_with(LabConfig {
        import_processing_ms: 50,
        ..LabConfig::default()
    })
    .await
}

/// Polls an import until it leaves `unknown`.
async fn settle(lab: &Lab, id: &str) -> Value {
    for _ in 0..100 {
        let record = lab.get_ok(&format!("{IMPORTS}/{id}")).await;
        if record["state"]["deviceImportStatus"] != "unknown" {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("import {id} never settled");
}

async fn import_one(lab: &Lab, body: Value) -> Value {
    let created = lab.create(IMPORTS, body).await;
    assert_eq!(created["state"]["deviceImportStatus"], "unknown");
    settle(lab, created["id"].as_str().unwrap()).await
}

#[tokio::test]
async fn single_import_completes_and_registers_the_device() {
    let lab = fast_lab().await;
    let created = lab.create(IMPORTS, device("PF1ABCDE")).await;
    assert!(
        string_of(&created["@odata.context"])
            .ends_with("#deviceManagement/importedWindowsAutopilotDeviceIdentities/$entity")
    );
    assert_eq!(
        created["state"],
        json!({"deviceImportStatus": "unknown", "deviceRegistrationId": "", "deviceErrorCode": 0, "deviceErrorName": ""})
    );
    assert_eq!(created["hardwareIdentifier"], hash_of("PF1ABCDE"));
    let id = created["id"].as_str().unwrap().to_owned();
    // Still unknown right away; no device yet.
    let (_, list) = lab.get(DEVICES).await;
    assert_eq!(list["value"], json!([]));

    let record = settle(&lab, &id).await;
    assert_eq!(
        record["state"]["deviceImportStatus"], "complete",
        "{record}"
    );
    assert_eq!(record["state"]["deviceErrorCode"], 0);
    let device_id = record["state"]["deviceRegistrationId"].as_str().unwrap();

    let registered = lab.get_ok(&format!("{DEVICES}/{device_id}")).await;
    assert_eq!(registered["serialNumber"], "PF1ABCDE");
    assert_eq!(registered["groupTag"], "SITE-A");
    assert_eq!(registered["enrollmentState"], "notContacted");
    assert_eq!(
        registered["deploymentProfileAssignmentStatus"],
        "notAssigned"
    );
    let v1 = lab
        .get_ok(&format!(
            "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities/{device_id}"
        ))
        .await;
    assert!(
        v1.get("deploymentProfileAssignmentStatus").is_none(),
        "beta only"
    );
    assert_eq!(v1["serialNumber"], "PF1ABCDE");

    // Importing the same serial again: 806.
    let again = import_one(&lab, device("PF1ABCDE")).await;
    assert_eq!(again["state"]["deviceImportStatus"], "error");
    assert_eq!(again["state"]["deviceErrorCode"], 806);
    assert_eq!(
        again["state"]["deviceErrorName"],
        "ZtdDeviceAlreadyAssigned"
    );

    // The import record can be deleted.
    lab.delete_and_gone(&format!("{IMPORTS}/{id}")).await;
}

#[tokio::test]
async fn import_action_and_error_codes() {
    let lab = fast_lab().await;
    let _ = expect(
        lab.control(
            Method::PUT,
            "foreign_devices",
            Some(json!({"serial_numbers": ["FOREIGN-1"]})),
        )
        .await,
        StatusCode::OK,
    );
    let mut bad_hash = device("ZERO-1");
    bad_hash["hardwareIdentifier"] = json!("AAAAAAAAAAAA");
    let body = expect(
        lab.post(
            &format!("{IMPORTS}/import"),
            json!({"importedWindowsAutopilotDeviceIdentities": [
                device("GOOD-1"), device("FOREIGN-1"), bad_hash, device("DUP-1"), device("dup-1")
            ]}),
        )
        .await,
        StatusCode::OK,
    );
    assert!(
        string_of(&body["@odata.context"])
            .ends_with("#Collection(microsoft.graph.importedWindowsAutopilotDeviceIdentity)")
    );
    let records = values_of(&body).clone();
    assert_eq!(records.len(), 5);
    let mut outcomes = Vec::new();
    for record in &records {
        let settled = settle(&lab, record["id"].as_str().unwrap()).await;
        outcomes.push((
            settled["serialNumber"].as_str().unwrap().to_owned(),
            settled["state"]["deviceImportStatus"]
                .as_str()
                .unwrap()
                .to_owned(),
            settled["state"]["deviceErrorCode"].as_i64().unwrap(),
            settled["state"]["deviceErrorName"]
                .as_str()
                .unwrap()
                .to_owned(),
        ));
    }
    assert_eq!(
        outcomes,
        vec![
            ("GOOD-1".into(), "complete".into(), 0, "".into()),
            (
                "FOREIGN-1".into(),
                "error".into(),
                808,
                "ZtdDeviceAssignedToOtherTenant".into()
            ),
            (
                "ZERO-1".into(),
                "error".into(),
                802,
                "InvalidZtdHardwareHash".into()
            ),
            ("DUP-1".into(), "complete".into(), 0, "".into()),
            (
                "dup-1".into(),
                "error".into(),
                807,
                "ZtdDeviceDuplicated".into()
            ),
        ]
    );
    assert_eq!(
        lab.values(&format!("{IMPORTS}?$filter=serialNumber eq 'GOOD-1'"))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn badly_padded_base64_is_refused_by_odata() {
    let lab = fast_lab().await;
    let mut body = device("PAD-1");
    body["hardwareIdentifier"] = json!("T0FBQ");
    assert_bad_request(
        &lab.post(IMPORTS, body).await,
        "Cannot convert the literal 'T0FBQ' to the expected type 'Edm.Binary'.",
    );
    let mut body = device("PAD-2");
    body["hardwareIdentifier"] = json!("T0FBQ");
    let (status, _) = lab
        .post(
            &format!("{IMPORTS}/import"),
            json!({"importedWindowsAutopilotDeviceIdentities": [device("OK-1"), body]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let objects = lab.objects().await;
    assert_eq!(
        objects["importedWindowsAutopilotDeviceIdentities"],
        json!([]),
        "all or nothing"
    );

    let mut body = device("x");
    body.as_object_mut().unwrap().remove("serialNumber");
    let (status, _) = lab.post(IMPORTS, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut body = device("x");
    body["orderIdentifier"] = json!("legacy");
    assert_bad_request(
        &lab.post(IMPORTS, body).await,
        "'orderIdentifier' does not exist",
    );
}

async fn registered(lab: &Lab, serial: &str) -> String {
    let record = import_one(lab, device(serial)).await;
    assert_eq!(record["state"]["deviceImportStatus"], "complete");
    record["state"]["deviceRegistrationId"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn device_actions_filters_and_delete() {
    let lab = fast_lab().await;
    // Properties at once and deletion at once: their delays have their own test.
    lab.settings(json!({"device_properties_after_sync": false, "device_deletion_delay_ms": 0}))
        .await;
    let id = registered(&lab, "PF1ABCDE").await;
    registered(&lab, "PF2XYZ").await;
    registered(&lab, "OTHER").await;

    assert_eq!(
        lab.values(&format!("{DEVICES}?$filter=contains(serialNumber,'pf')"))
            .await
            .len(),
        2
    );
    assert_eq!(
        lab.values(&format!("{DEVICES}?$filter=startswith(serialNumber,'OTH')"))
            .await
            .len(),
        1
    );
    let (_, page) = lab.get(&format!("{DEVICES}?$top=2")).await;
    assert_eq!(values_of(&page).len(), 2);
    assert!(page["@odata.nextLink"].is_string());

    let action = |name: &str| format!("{DEVICES}/{id}/{name}");
    let (status, body) = lab
        .post(
            &action("updateDeviceProperties"),
            json!({"groupTag": "Sales", "displayName": "CORP-01", "deviceFriendlyName": "kiosk"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, device) = lab.get(&format!("{DEVICES}/{id}")).await;
    assert_eq!(device["groupTag"], "Sales");
    assert_eq!(device["displayName"], "CORP-01");
    assert_eq!(device["deviceFriendlyName"], "kiosk");
    let (status, _) = lab
        .post(
            &action("updateDeviceProperties"),
            json!({"displayName": "NOT_VALID_NAME!"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = lab
        .post(&action("updateDeviceProperties"), json!({"color": "red"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // v1.0 takes only the first four parameters.
    let (status, _) = lab
        .post(
            &format!("/v1.0/deviceManagement/windowsAutopilotDeviceIdentities/{id}/updateDeviceProperties"),
            json!({"deviceFriendlyName": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let upn = "adele.vance@autopilotlab.onmicrosoft.com";
    expect(
        lab.post(
            &action("assignUserToDevice"),
            json!({"userPrincipalName": upn, "addressableUserName": "Adele"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (_, device) = lab.get(&format!("{DEVICES}/{id}")).await;
    assert_eq!(device["userPrincipalName"], upn);
    assert_eq!(device["addressableUserName"], "Adele");
    let (status, error) = lab
        .post(
            &action("assignUserToDevice"),
            json!({"userPrincipalName": "nobody@example.com", "addressableUserName": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_wrapped_contains(&error, "nobody@example.com");
    expect(
        lab.post(&action("unassignUserFromDevice"), json!({})).await,
        StatusCode::NO_CONTENT,
    );
    let (_, device) = lab.get(&format!("{DEVICES}/{id}")).await;
    assert_eq!(device["userPrincipalName"], "");

    lab.delete_and_gone(&format!("{DEVICES}/{id}")).await;
    let (status, _) = lab
        .post(
            &action("assignUserToDevice"),
            json!({"userPrincipalName": upn}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Autopilot shows written properties after a sync, and deletes asynchronously.
#[tokio::test]
async fn properties_show_after_a_sync_and_deletion_takes_a_while() {
    let lab = fast_lab().await;
    lab.settings(json!({"device_deletion_delay_ms": 1500}))
        .await;
    let id = registered(&lab, "SYNC-PROPS").await;
    let action = |name: &str| format!("{DEVICES}/{id}/{name}");
    expect(
        lab.post(
            &action("updateDeviceProperties"),
            json!({"groupTag": "Sales", "displayName": "CORP-01"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let upn = "adele.vance@autopilotlab.onmicrosoft.com";
    expect(
        lab.post(
            &action("assignUserToDevice"),
            json!({"userPrincipalName": upn}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (_, shown) = lab.get(&format!("{DEVICES}/{id}")).await;
    assert_eq!(shown["groupTag"], "SITE-A", "shown before a sync: {shown}");
    assert_eq!(shown["userPrincipalName"], "");
    let objects = lab.objects().await;
    assert_eq!(
        objects["_lab"]["pendingDeviceProperties"][&id]["groupTag"],
        "Sales"
    );
    let response = lab
        .call(
            Method::POST,
            "/beta/deviceManagement/windowsAutopilotSettings/sync",
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, shown) = lab.get(&format!("{DEVICES}/{id}")).await;
    assert_eq!(shown["groupTag"], "Sales");
    assert_eq!(shown["displayName"], "CORP-01");
    assert_eq!(shown["userPrincipalName"], upn);

    // Deleted: still there for a while (and its serial number taken), then gone.
    expect(
        lab.delete(&format!("{DEVICES}/{id}")).await,
        StatusCode::NO_CONTENT,
    );
    let _ = lab.get_ok(&format!("{DEVICES}/{id}")).await;
    let record = import_one(&lab, device("SYNC-PROPS")).await;
    assert_eq!(record["state"]["deviceErrorCode"], 806, "{record}");
    expect(
        lab.delete(&format!("{DEVICES}/{id}")).await,
        StatusCode::NO_CONTENT,
    );
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let (status, _) = lab.get(&format!("{DEVICES}/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let record = import_one(&lab, device("SYNC-PROPS")).await;
    assert_eq!(
        record["state"]["deviceImportStatus"], "complete",
        "{record}"
    );
}

#[tokio::test]
async fn sync_decides_pending_imports_and_is_refused_within_ten_minutes() {
    let lab = Lab::start_with(LabConfig {
        import_processing_ms: 3_600_000,
        ..LabConfig::default()
    })
    .await;
    let (_, created) = lab.post(IMPORTS, device("SYNC-1")).await;
    let id = created["id"].as_str().unwrap();
    let (_, record) = lab.get(&format!("{IMPORTS}/{id}")).await;
    assert_eq!(record["state"]["deviceImportStatus"], "unknown");

    let sync = "/beta/deviceManagement/windowsAutopilotSettings/sync";
    let (status, body) = lab.post(sync, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, record) = lab.get(&format!("{IMPORTS}/{id}")).await;
    assert_eq!(record["state"]["deviceImportStatus"], "complete");
    let settings = lab
        .get_ok("/beta/deviceManagement/windowsAutopilotSettings")
        .await;
    assert_eq!(settings["syncStatus"], "completed");
    assert_ne!(
        settings["lastManualSyncTriggerDateTime"],
        "0001-01-01T00:00:00Z"
    );

    let response = lab.call(Method::POST, sync, Some(json!({}))).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = retry_after_seconds(&response);
    assert!(retry_after > 500 && retry_after <= 600, "{retry_after}");

    lab.settings(json!({"sync_min_interval_ms": 0})).await;
    expect(lab.post(sync, json!({})).await, StatusCode::NO_CONTENT);
    let (status, _) = lab
        .post(
            "/v1.0/deviceManagement/windowsAutopilotSettings/sync",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "beta only");
}

#[tokio::test]
async fn assigned_devices_follow_profiles_and_dynamic_groups() {
    let lab = fast_lab().await;
    let tagged = {
        let mut body = device("TAG-1");
        body["groupTag"] = json!("Kiosk");
        let record = import_one(&lab, body).await;
        record["state"]["deviceRegistrationId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let other = registered(&lab, "NOTAG-1").await;

    let (_, profile) = lab
        .post(
            PROFILES,
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "Kiosk"}),
        )
        .await;
    let profile = profile["id"].as_str().unwrap().to_owned();
    let (_, group) = lab
        .post(
            "/v1.0/groups",
            dynamic_device_group(
                "kiosks",
                "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Kiosk\"))",
            ),
        )
        .await;
    let group = group["id"].as_str().unwrap();
    let _ = lab
        .create(
            &format!("{PROFILES}/{profile}/assignments"),
            group_assignment(group),
        )
        .await;
    let (_, assigned) = lab
        .get(&format!("{PROFILES}/{profile}/assignedDevices"))
        .await;
    let ids: Vec<&str> = values_of(&assigned)
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![tagged.as_str()]);
    let (_, device) = lab.get(&format!("{DEVICES}/{tagged}")).await;
    assert_eq!(
        device["deploymentProfileAssignmentStatus"],
        "assignedInSync"
    );

    // assign with deviceIds adds the other device directly.
    expect(
        lab.post(
            &format!("{PROFILES}/{profile}/assign"),
            json!({"deviceIds": [other]}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(
        lab.values(&format!("{PROFILES}/{profile}/assignedDevices"))
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn allow_next_enrollment_is_beta_only_and_needs_a_registered_device() {
    let lab = fast_lab().await;
    let id = registered(&lab, "SN-ANE-1").await;
    let (status, body) = lab
        .post(&format!("{DEVICES}/{id}/allowNextEnrollment"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let objects = lab.objects().await;
    assert_eq!(
        objects["_lab"]["nextEnrollmentAllowed"],
        json!([id]),
        "{objects}"
    );
    let (status, _) = lab
        .post(
            &format!("{DEVICES}/no-such-device/allowNextEnrollment"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = lab
        .post(
            &format!(
                "/v1.0/deviceManagement/windowsAutopilotDeviceIdentities/{id}/allowNextEnrollment"
            ),
            json!({}),
        )
        .await;
    // v1.0 has no such action: OData's "Resource not found for the segment".
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
