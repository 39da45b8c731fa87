//! This crate's reading of the Graph payloads of device registrations
//! (the lab has its own), and the calls on them. Every call goes through
//! [`GraphClient`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::graph::{ApiVersion, GraphClient, GraphError};

/// `importedWindowsAutopilotDeviceIdentities`: import records.
pub const IMPORTED: &str = "deviceManagement/importedWindowsAutopilotDeviceIdentities";
/// `windowsAutopilotDeviceIdentities`: registered devices.
pub const IDENTITIES: &str = "deviceManagement/windowsAutopilotDeviceIdentities";
/// The Autopilot sync action (`windowsAutopilotSettings/sync`, beta only).
pub const SYNC: &str = "deviceManagement/windowsAutopilotSettings/sync";
/// Intune takes at most this many devices per import.
pub const IMPORT_CHUNK: usize = 500;

const IMPORTED_TYPE: &str = "#microsoft.graph.importedWindowsAutopilotDeviceIdentity";
/// Device properties are beta-only in part (profile assignment status).
pub(crate) const VERSION: ApiVersion = ApiVersion::Beta;

/// A registered Autopilot device (`windowsAutopilotDeviceIdentity`), the
/// properties this provider uses.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeviceIdentity {
    pub id: String,
    pub serial_number: Option<String>,
    pub group_tag: Option<String>,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub product_key: Option<String>,
    pub enrollment_state: Option<String>,
    pub deployment_profile_assignment_status: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub managed_device_id: Option<String>,
    /// When the device last contacted Autopilot; Graph's zero date
    /// (`0001-01-01T00:00:00Z`) for never.
    pub last_contacted_date_time: Option<String>,
    pub azure_ad_device_id: Option<String>,
    pub deployment_profile_assignment_detailed_status: Option<String>,
    pub deployment_profile_assigned_date_time: Option<String>,
    pub purchase_order_identifier: Option<String>,
}

/// What Intune knows about a registered device and Terraform only reads:
/// the read-only attributes of `autopilot_device`, of each row of
/// `autopilot_device_csv.devices` and of the `autopilot_devices` data
/// source, all from the one shared listing. Graph's placeholders (an empty
/// string, the zero GUID, the zero date) read as null.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntuneFacts {
    pub managed_device_id: Option<String>,
    pub entra_device_id: Option<String>,
    pub enrollment_state: String,
    pub deployment_profile_assignment_status: String,
    pub deployment_profile_assignment_detailed_status: Option<String>,
    pub deployment_profile_assigned_date_time: Option<String>,
    pub last_contacted_date_time: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub purchase_order_id: Option<String>,
}

/// A value Graph gives, or `None` for its placeholders of "none".
fn given(value: Option<&String>) -> Option<String> {
    value
        .filter(|v| {
            !v.is_empty()
                && v.as_str() != "00000000-0000-0000-0000-000000000000"
                && !v.starts_with("0001-01-01")
        })
        .cloned()
}

impl DeviceIdentity {
    /// What Intune knows about the device.
    pub fn facts(&self) -> IntuneFacts {
        IntuneFacts {
            managed_device_id: given(self.managed_device_id.as_ref()),
            entra_device_id: given(self.azure_ad_device_id.as_ref()),
            enrollment_state: given(self.enrollment_state.as_ref())
                .unwrap_or_else(|| "unknown".into()),
            deployment_profile_assignment_status: given(
                self.deployment_profile_assignment_status.as_ref(),
            )
            .unwrap_or_else(|| "unknown".into()),
            deployment_profile_assignment_detailed_status: given(
                self.deployment_profile_assignment_detailed_status.as_ref(),
            ),
            deployment_profile_assigned_date_time: given(
                self.deployment_profile_assigned_date_time.as_ref(),
            ),
            last_contacted_date_time: given(self.last_contacted_date_time.as_ref()),
            manufacturer: given(self.manufacturer.as_ref()),
            model: given(self.model.as_ref()),
            purchase_order_id: given(self.purchase_order_identifier.as_ref()),
        }
    }

    /// The last contact, when there was one.
    pub fn last_contact(&self) -> Option<&str> {
        self.last_contacted_date_time
            .as_deref()
            .filter(|t| !t.is_empty() && !t.starts_with("0001-01-01"))
    }

    pub fn is_enrolled(&self) -> bool {
        self.enrollment_state.as_deref() == Some("enrolled")
    }
}

/// An import record (`importedWindowsAutopilotDeviceIdentity`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImportedIdentity {
    pub id: String,
    pub serial_number: Option<String>,
    /// The imported hash (Graph returns it; it is never logged).
    pub hardware_identifier: Option<String>,
    pub state: Option<ImportState>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImportState {
    pub device_import_status: Option<String>,
    pub device_registration_id: Option<String>,
    pub device_error_code: Option<i64>,
    pub device_error_name: Option<String>,
}

/// A device to import: what a CSV row or an `autopilot_device` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub serial_number: String,
    pub product_key: Option<String>,
    /// Padded Base64.
    pub hardware_hash: String,
    pub group_tag: Option<String>,
    pub assigned_user: Option<String>,
}

/// The import payload. Empty strings for unset values, as
/// `Get-WindowsAutopilotInfo -Online` sends them.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImportPayload<'a> {
    #[serde(rename = "@odata.type")]
    #[schemars(extend("const" = IMPORTED_TYPE))]
    odata_type: &'static str,
    serial_number: &'a str,
    product_key: &'a str,
    /// The hardware hash, padded Base64.
    #[schemars(extend("contentEncoding" = "base64"))]
    hardware_identifier: &'a str,
    group_tag: &'a str,
    assigned_user_principal_name: &'a str,
}

impl<'a> From<&'a NewDevice> for ImportPayload<'a> {
    fn from(device: &'a NewDevice) -> Self {
        ImportPayload {
            odata_type: IMPORTED_TYPE,
            serial_number: &device.serial_number,
            product_key: device.product_key.as_deref().unwrap_or_default(),
            hardware_identifier: &device.hardware_hash,
            group_tag: device.group_tag.as_deref().unwrap_or_default(),
            assigned_user_principal_name: device.assigned_user.as_deref().unwrap_or_default(),
        }
    }
}

/// The `import` action: up to 500 devices (`IMPORT_CHUNK`) at a time.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImportAction<'a> {
    #[schemars(length(min = 1, max = IMPORT_CHUNK))]
    imported_windows_autopilot_device_identities: Vec<ImportPayload<'a>>,
}

#[derive(Deserialize)]
struct Collection<T> {
    #[serde(default)]
    value: Vec<T>,
}

/// `updateDeviceProperties`: only the properties given are sent.
#[derive(Serialize, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// `assignUserToDevice`.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignUser<'a> {
    user_principal_name: &'a str,
    addressable_user_name: &'a str,
}

/// Imports one device (POST to the collection, as `Get-WindowsAutopilotInfo
/// -Online` does).
pub async fn submit_one(
    client: &GraphClient,
    device: &NewDevice,
) -> Result<ImportedIdentity, GraphError> {
    client
        .post(VERSION, IMPORTED, &ImportPayload::from(device))
        .await
}

/// Imports up to [`IMPORT_CHUNK`] devices with the `import` action.
pub async fn submit_chunk(
    client: &GraphClient,
    devices: &[&NewDevice],
) -> Result<Vec<ImportedIdentity>, GraphError> {
    let body = ImportAction {
        imported_windows_autopilot_device_identities: devices
            .iter()
            .map(|d| ImportPayload::from(*d))
            .collect(),
    };
    let answer: Collection<ImportedIdentity> = client
        .post(VERSION, &format!("{IMPORTED}/import"), &body)
        .await?;
    Ok(answer.value)
}

pub async fn get_import(
    client: &GraphClient,
    id: &str,
) -> Result<Option<ImportedIdentity>, GraphError> {
    client
        .get_optional(VERSION, &format!("{IMPORTED}/{id}"))
        .await
}

pub async fn list_imports(client: &GraphClient) -> Result<Vec<ImportedIdentity>, GraphError> {
    client.list(VERSION, IMPORTED).await
}

pub async fn delete_import(client: &GraphClient, id: &str) -> Result<(), GraphError> {
    client.delete(VERSION, &format!("{IMPORTED}/{id}")).await
}

pub async fn get_identity(
    client: &GraphClient,
    id: &str,
) -> Result<Option<DeviceIdentity>, GraphError> {
    client
        .get_optional(VERSION, &format!("{IDENTITIES}/{id}"))
        .await
}

pub async fn list_identities(client: &GraphClient) -> Result<Vec<DeviceIdentity>, GraphError> {
    client.list(VERSION, IDENTITIES).await
}

pub async fn update_properties(
    client: &GraphClient,
    id: &str,
    properties: &DeviceProperties,
) -> Result<(), GraphError> {
    client
        .post_action(
            VERSION,
            &format!("{IDENTITIES}/{id}/updateDeviceProperties"),
            properties,
        )
        .await
}

impl<'a> AssignUser<'a> {
    /// The user to assign and the name the device greets them with.
    pub fn new(user_principal_name: &'a str, addressable_user_name: &'a str) -> Self {
        AssignUser {
            user_principal_name,
            addressable_user_name,
        }
    }
}

/// `assignUserToDevice` with a greeting name of the caller's choice.
pub async fn assign_user(
    client: &GraphClient,
    id: &str,
    body: &AssignUser<'_>,
) -> Result<(), GraphError> {
    client
        .post_action(
            VERSION,
            &format!("{IDENTITIES}/{id}/assignUserToDevice"),
            body,
        )
        .await
}

/// Assigns a user (`assignUserToDevice`), or removes the assigned user
/// (`unassignUserFromDevice`) when `user` is `None`.
pub async fn set_user(
    client: &GraphClient,
    id: &str,
    user: Option<&str>,
) -> Result<(), GraphError> {
    match user {
        Some(upn) => {
            let body = AssignUser {
                user_principal_name: upn,
                addressable_user_name: upn,
            };
            client
                .post_action(
                    VERSION,
                    &format!("{IDENTITIES}/{id}/assignUserToDevice"),
                    &body,
                )
                .await
        }
        None => {
            client
                .post_action_without_body(
                    VERSION,
                    &format!("{IDENTITIES}/{id}/unassignUserFromDevice"),
                )
                .await
        }
    }
}

/// Starts an Autopilot sync (posted without a body). A sync within 10
/// minutes of the last one is answered 429 with `Retry-After`, which the
/// client waits out within its retry deadline.
pub async fn sync(client: &GraphClient) -> Result<(), GraphError> {
    client
        .post_action_without_body(ApiVersion::Beta, SYNC)
        .await
}

/// `allowNextEnrollment` (beta only, posted without a body): unblocks the
/// device's next Autopilot enrollment.
pub async fn allow_next_enrollment(client: &GraphClient, id: &str) -> Result<(), GraphError> {
    client
        .post_action_without_body(
            ApiVersion::Beta,
            &format!("{IDENTITIES}/{id}/allowNextEnrollment"),
        )
        .await
}

/// The `windowsAutopilotSettings` singleton (beta only): when the last
/// manual sync was asked for and how the last sync went.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AutopilotSettings {
    pub last_manual_sync_trigger_date_time: Option<String>,
    pub last_sync_date_time: Option<String>,
    pub sync_status: Option<String>,
}

/// The settings singleton (`GET windowsAutopilotSettings`).
pub async fn get_settings(client: &GraphClient) -> Result<AutopilotSettings, GraphError> {
    client
        .get(
            ApiVersion::Beta,
            "deviceManagement/windowsAutopilotSettings",
        )
        .await
}

pub async fn delete_identity(client: &GraphClient, id: &str) -> Result<(), GraphError> {
    client.delete(VERSION, &format!("{IDENTITIES}/{id}")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_payload_shape() {
        let device = NewDevice {
            serial_number: "SN1".into(),
            product_key: None,
            hardware_hash: "QUJD".into(),
            group_tag: Some("SITE-A".into()),
            assigned_user: None,
        };
        let body = ImportAction {
            imported_windows_autopilot_device_identities: vec![ImportPayload::from(&device)],
        };
        let json = serde_json::to_value(&body).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"importedWindowsAutopilotDeviceIdentities": [{
                "@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
                "serialNumber": "SN1",
                "productKey": "",
                "hardwareIdentifier": "QUJD",
                "groupTag": "SITE-A",
                "assignedUserPrincipalName": "",
            }]})
        );
        let props = DeviceProperties {
            group_tag: Some(String::new()),
            display_name: None,
        };
        assert_eq!(
            serde_json::to_value(&props).expect("serializes"),
            serde_json::json!({"groupTag": ""})
        );
    }

    #[test]
    fn records_parse_with_missing_fields() {
        let record: ImportedIdentity = serde_json::from_value(serde_json::json!({
            "id": "i1",
            "serialNumber": "SN1",
            "state": {"deviceImportStatus": "error", "deviceErrorCode": 808,
                      "deviceErrorName": "ZtdDeviceAssignedToOtherTenant", "deviceRegistrationId": null}
        }))
        .expect("parses");
        let state = record.state.expect("state");
        assert_eq!(state.device_error_code, Some(808));
        let device: DeviceIdentity = serde_json::from_value(
            serde_json::json!({"id": "d1", "enrollmentState": "enrolled", "extra": 1}),
        )
        .expect("parses");
        assert!(device.is_enrolled());
    }
}
