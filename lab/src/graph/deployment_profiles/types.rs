//! The entity types of deployment profiles: the profile and its two join types, the OOBE and
//! enrollment status screen settings, and the profile assignment.

use crate::graph::schema::Kind;

pub const DEVICE_TYPE: Kind = Kind::Enum(
    "windowsAutopilotDeviceType",
    &[
        "windowsPc",
        "holoLens",
        "surfaceHub2",
        "surfaceHub2S",
        "virtualMachine",
        "unknownFutureValue",
    ],
);
graph_types!("graph_deployment_profiles_types");

/// Pairs of (current, deprecated) OOBE property names, mirrored into each other.
pub(super) const OOBE_MIRROR: &[(&str, &str)] = &[
    ("deviceUsageType", "deviceUsageType"),
    ("escapeLinkHidden", "hideEscapeLink"),
    ("eulaHidden", "hideEULA"),
    ("keyboardSelectionPageSkipped", "skipKeyboardSelectionPage"),
    ("privacySettingsHidden", "hidePrivacySettings"),
    ("userType", "userType"),
];
