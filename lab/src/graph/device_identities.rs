//! `/deviceManagement/windowsAutopilotDeviceIdentities`: registered Autopilot devices.

use serde_json::{Value, json};

use super::collection;
use super::deployment_profiles;
use super::schema::{ENTITY, Kind, Property, StructuredType};
use crate::store::Tenant;

const ENROLLMENT_STATE: Kind = Kind::Enum(
    "enrollmentState",
    &[
        "unknown",
        "enrolled",
        "pendingReset",
        "failed",
        "notContacted",
        "blocked",
    ],
);
const ASSIGNMENT_STATUS: Kind = Kind::Enum(
    "windowsAutopilotProfileAssignmentStatus",
    &[
        "unknown",
        "assignedInSync",
        "assignedOutOfSync",
        "assignedUnkownSyncState",
        "notAssigned",
        "pending",
        "failed",
    ],
);
const ASSIGNMENT_DETAILED_STATUS: Kind = Kind::Enum(
    "windowsAutopilotProfileAssignmentDetailedStatus",
    &[
        "none",
        "hardwareRequirementsNotMet",
        "surfaceHubProfileNotSupported",
        "holoLensProfileNotSupported",
        "windowsPcProfileNotSupported",
        "surfaceHub2SProfileNotSupported",
        "unknownFutureValue",
    ],
);
const REMEDIATION_STATE: Kind = Kind::Enum(
    "windowsAutopilotDeviceRemediationState",
    &[
        "unknown",
        "noRemediationRequired",
        "automaticRemediationRequired",
        "manualRemediationRequired",
        "unknownFutureValue",
    ],
);
const USERLESS_STATUS: Kind = Kind::Enum(
    "windowsAutopilotUserlessEnrollmentStatus",
    &["unknown", "allowed", "blocked", "unknownFutureValue"],
);

pub static DEVICE_IDENTITY: StructuredType = StructuredType {
    name: "windowsAutopilotDeviceIdentity",
    base: Some(&ENTITY),
    is_abstract: false,
    properties: &[
        Property::new("addressableUserName", Kind::String, true),
        Property::new("azureActiveDirectoryDeviceId", Kind::String, true),
        Property::new("azureAdDeviceId", Kind::String, true).beta(),
        Property::read_only(
            "deploymentProfileAssignedDateTime",
            Kind::DateTimeOffset,
            false,
        )
        .beta(),
        Property::read_only(
            "deploymentProfileAssignmentDetailedStatus",
            ASSIGNMENT_DETAILED_STATUS,
            false,
        )
        .beta(),
        Property::read_only(
            "deploymentProfileAssignmentStatus",
            ASSIGNMENT_STATUS,
            false,
        )
        .beta(),
        Property::new("deviceAccountPassword", Kind::String, true).beta(),
        Property::new("deviceAccountUpn", Kind::String, true).beta(),
        Property::new("deviceFriendlyName", Kind::String, true).beta(),
        Property::new("displayName", Kind::String, true),
        Property::read_only("enrollmentState", ENROLLMENT_STATE, false),
        Property::new("groupTag", Kind::String, true),
        Property::read_only("lastContactedDateTime", Kind::DateTimeOffset, false),
        Property::read_only("managedDeviceId", Kind::String, true),
        Property::read_only("manufacturer", Kind::String, true),
        Property::read_only("model", Kind::String, true),
        Property::read_only("productKey", Kind::String, true),
        Property::new("purchaseOrderIdentifier", Kind::String, true),
        Property::read_only("remediationState", REMEDIATION_STATE, false).beta(),
        Property::read_only(
            "remediationStateLastModifiedDateTime",
            Kind::DateTimeOffset,
            false,
        )
        .beta(),
        Property::read_only("resourceName", Kind::String, true),
        Property::read_only("serialNumber", Kind::String, true),
        Property::read_only("skuNumber", Kind::String, true),
        Property::read_only("systemFamily", Kind::String, true),
        Property::read_only("userlessEnrollmentStatus", USERLESS_STATUS, false).beta(),
        Property::new("userPrincipalName", Kind::String, true),
    ],
    navigations: &["deploymentProfile", "intendedDeploymentProfile"],
};

/// A device identity as Graph shows it: the profile assignment status follows the profiles
/// assigned to it now.
pub fn render_device(tenant: &Tenant, device: &Value) -> Value {
    let mut out = device.clone();
    let profile = deployment_profiles::effective_profile(tenant, device);
    if let Some(map) = out.as_object_mut() {
        match profile.and_then(|id| tenant.windows_autopilot_deployment_profiles.get(&id)) {
            Some(profile) => {
                map.insert(
                    "deploymentProfileAssignmentStatus".into(),
                    json!("assignedInSync"),
                );
                map.insert(
                    "deploymentProfileAssignedDateTime".into(),
                    json!(collection::str_of(profile, "createdDateTime")),
                );
            }
            None => {
                map.insert(
                    "deploymentProfileAssignmentStatus".into(),
                    json!("notAssigned"),
                );
                map.insert(
                    "deploymentProfileAssignedDateTime".into(),
                    json!("0001-01-01T00:00:00Z"),
                );
            }
        }
    }
    out
}
