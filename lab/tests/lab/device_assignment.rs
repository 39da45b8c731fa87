//! What registration makes in the directory and how a deployment profile reaches a device: the
//! Entra device object a registration creates (with Autopilot's physical ids), its `memberOf`
//! from the dynamic group rules deployment profile targeting evaluates, and the
//! `profile_assignment_delay_ms` setting (`pending`, then `assignedInSync`).

use std::time::Duration;

use crate::common::{Lab, dynamic_device_group, expect, group_assignment, string_of, values_of};
use autopilot_lab::LabConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

const IMPORTS: &str = "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const DEVICES: &str = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const PROFILES: &str = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";

fn hash_of(serial: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("assignment-hash:{serial}"))
}

pub(crate) async fn fast_lab() -> Lab {
    Lab::start_with(LabConfig {
        import_processing_ms: 20,
        ..LabConfig::default()
    })
    .await
}

/// Imports one device with `tag` and returns its registration once the import completed.
pub(crate) async fn register(lab: &Lab, serial: &str, tag: &str) -> Value {
    let created = lab
        .create(
            IMPORTS,
            json!({"@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
                   "groupTag": tag, "serialNumber": serial, "productKey": "",
                   "hardwareIdentifier": hash_of(serial), "assignedUserPrincipalName": ""}),
        )
        .await;
    let import = created["id"].as_str().unwrap().to_owned();
    for _ in 0..200 {
        let record = lab.get_ok(&format!("{IMPORTS}/{import}")).await;
        if record["state"]["deviceImportStatus"] == "complete" {
            let id = record["state"]["deviceRegistrationId"].as_str().unwrap();
            return lab.get_ok(&format!("{DEVICES}/{id}")).await;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("import of {serial} never completed");
}

/// The Entra device object whose `deviceId` is the registration's.
pub(crate) async fn entra_device(lab: &Lab, registration: &Value) -> Value {
    let device_id = registration["azureActiveDirectoryDeviceId"]
        .as_str()
        .unwrap();
    let listed = lab
        .get_ok(&format!("/v1.0/devices?$filter=deviceId eq '{device_id}'"))
        .await;
    let found = values_of(&listed);
    assert_eq!(found.len(), 1, "one Entra device for {device_id}: {listed}");
    found[0].clone()
}

pub(crate) async fn dynamic_group(lab: &Lab, name: &str, tag: &str) -> String {
    let group = lab
        .create(
            "/v1.0/groups",
            dynamic_device_group(
                name,
                &format!("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:{tag}\"))"),
            ),
        )
        .await;
    group["id"].as_str().unwrap().to_owned()
}

/// A profile assigned to `group`; returns its id.
async fn profile_for(lab: &Lab, name: &str, group: &str) -> String {
    let profile = lab
        .create(
            PROFILES,
            json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "displayName": name,
            }),
        )
        .await;
    let id = profile["id"].as_str().unwrap().to_owned();
    lab.create(
        &format!("{PROFILES}/{id}/assignments"),
        group_assignment(group),
    )
    .await;
    id
}

fn ids(listing: &Value) -> Vec<String> {
    values_of(listing)
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn registration_creates_the_entra_device_with_autopilots_physical_ids() {
    let lab = fast_lab().await;
    let registration = register(&lab, "ENTRA-1", "Kiosk").await;
    assert_eq!(registration["enrollmentState"], "notContacted");
    let device = entra_device(&lab, &registration).await;
    assert_eq!(device["displayName"], "ENTRA-1");
    let physical: Vec<&str> = device["physicalIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let ztdid = format!("[ZTDID]:{}", registration["id"].as_str().unwrap());
    assert!(physical.contains(&ztdid.as_str()), "{physical:?}");
    assert!(physical.contains(&"[OrderId]:Kiosk"), "{physical:?}");
    let object = device["id"].as_str().unwrap();
    let read = lab.get_ok(&format!("/v1.0/devices/{object}")).await;
    assert_eq!(
        read["deviceId"],
        registration["azureActiveDirectoryDeviceId"]
    );

    // Without a group tag: no [OrderId].
    let untagged = register(&lab, "ENTRA-2", "").await;
    let device = entra_device(&lab, &untagged).await;
    assert!(
        !device["physicalIds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| string_of(p).starts_with("[OrderId]")),
        "{device}"
    );

    // Deleting the registration keeps the Entra device (removing it is a step of its own).
    lab.settings(json!({"device_deletion_delay_ms": 0})).await;
    let id = registration["id"].as_str().unwrap();
    expect(
        lab.delete(&format!("{DEVICES}/{id}")).await,
        StatusCode::NO_CONTENT,
    );
    entra_device(&lab, &registration).await;
}

#[tokio::test]
async fn member_of_lists_the_dynamic_groups_that_select_the_registration() {
    let lab = fast_lab().await;
    let kiosks = dynamic_group(&lab, "kiosks", "Kiosk").await;
    let _sales = dynamic_group(&lab, "sales", "Sales").await;
    let all_autopilot = lab
        .create(
            "/v1.0/groups",
            dynamic_device_group(
                "autopilot",
                "(device.devicePhysicalIDs -any (_ -contains \"[ZTDID]\"))",
            ),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let registration = register(&lab, "MEMBER-1", "Kiosk").await;
    let object = entra_device(&lab, &registration).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for nav in ["memberOf", "transitiveMemberOf"] {
        let listed = lab.get_ok(&format!("/v1.0/devices/{object}/{nav}")).await;
        let mut got = ids(&listed);
        got.sort();
        let mut want = vec![kiosks.clone(), all_autopilot.clone()];
        want.sort();
        assert_eq!(got, want, "{nav}: {listed}");
        assert!(
            values_of(&listed)
                .iter()
                .all(|g| g["@odata.type"] == "#microsoft.graph.group"),
            "{listed}"
        );
    }
    let selected = lab
        .get_ok(&format!(
            "/beta/devices/{object}/memberOf?$select=id,displayName"
        ))
        .await;
    assert!(
        selected["value"][0].get("displayName").is_some(),
        "{selected}"
    );
    assert!(
        selected["value"][0].get("membershipRule").is_none(),
        "{selected}"
    );

    // A changed group tag moves the device (membership follows the registration).
    lab.settings(json!({"device_properties_after_sync": false}))
        .await;
    let id = registration["id"].as_str().unwrap();
    expect(
        lab.post(
            &format!("{DEVICES}/{id}/updateDeviceProperties"),
            json!({"groupTag": "Sales"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let listed = lab
        .get_ok(&format!("/v1.0/devices/{object}/memberOf"))
        .await;
    assert!(!ids(&listed).contains(&kiosks), "{listed}");
    assert_eq!(ids(&listed).len(), 2, "sales and autopilot: {listed}");

    let (status, _) = lab.get("/v1.0/devices/nope/memberOf").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn status_of(lab: &Lab, id: &str) -> Value {
    lab.get_ok(&format!("{DEVICES}/{id}")).await
}

#[tokio::test]
async fn assignment_is_pending_for_the_delay_after_the_device_became_targeted() {
    let lab = fast_lab().await;
    lab.settings(json!({"profile_assignment_delay_ms": 700}))
        .await;
    let group = dynamic_group(&lab, "kiosks", "Kiosk").await;
    let _profile = profile_for(&lab, "Kiosk", &group).await;

    // Registered into a targeted group: pending, then assigned.
    let registration = register(&lab, "DELAY-1", "Kiosk").await;
    let id = registration["id"].as_str().unwrap().to_owned();
    assert_eq!(registration["deploymentProfileAssignmentStatus"], "pending");
    assert_eq!(
        registration["deploymentProfileAssignedDateTime"],
        "0001-01-01T00:00:00Z"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let device = status_of(&lab, &id).await;
    assert_eq!(
        device["deploymentProfileAssignmentStatus"],
        "assignedInSync"
    );
    assert_ne!(
        device["deploymentProfileAssignedDateTime"],
        "0001-01-01T00:00:00Z"
    );

    // Untargeted: notAssigned, whatever the delay.
    let other = register(&lab, "DELAY-2", "Other").await;
    let other_id = other["id"].as_str().unwrap().to_owned();
    assert_eq!(other["deploymentProfileAssignmentStatus"], "notAssigned");

    // A group change targets it: pending for the delay from then on.
    lab.settings(json!({"device_properties_after_sync": false}))
        .await;
    expect(
        lab.post(
            &format!("{DEVICES}/{other_id}/updateDeviceProperties"),
            json!({"groupTag": "Kiosk"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(
        status_of(&lab, &other_id).await["deploymentProfileAssignmentStatus"],
        "pending"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        status_of(&lab, &other_id).await["deploymentProfileAssignmentStatus"],
        "assignedInSync"
    );

    // A long delay set back to 0: what was pending is assigned at once.
    lab.settings(json!({"profile_assignment_delay_ms": 600_000}))
        .await;
    let slow = register(&lab, "DELAY-3", "Kiosk").await;
    assert_eq!(slow["deploymentProfileAssignmentStatus"], "pending");
    lab.settings(json!({"profile_assignment_delay_ms": 0}))
        .await;
    let slow_id = slow["id"].as_str().unwrap();
    assert_eq!(
        status_of(&lab, slow_id).await["deploymentProfileAssignmentStatus"],
        "assignedInSync"
    );
}

#[tokio::test]
async fn without_a_delay_assignment_is_immediate() {
    let lab = fast_lab().await;
    let settings = lab.settings(json!({})).await;
    assert_eq!(settings["profile_assignment_delay_ms"], 0, "{settings}");
    let group = dynamic_group(&lab, "kiosks", "Kiosk").await;
    profile_for(&lab, "Kiosk", &group).await;
    let registration = register(&lab, "NODELAY-1", "Kiosk").await;
    assert_eq!(
        registration["deploymentProfileAssignmentStatus"],
        "assignedInSync"
    );
}
