//! The entity types of deployment profiles: the profile and its two join types, the OOBE and
//! enrollment status screen settings, and the profile assignment.

use crate::graph::assignments;
use crate::graph::schema::{self, ENTITY, Kind, Property, StructuredType};

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
pub(super) const DEVICE_USAGE_TYPE: Kind = Kind::Enum(
    "windowsDeviceUsageType",
    &["singleUser", "shared", "unknownFutureValue"],
);
pub(super) const USER_TYPE: Kind = Kind::Enum(
    "windowsUserType",
    &["administrator", "standard", "unknownFutureValue"],
);

/// `outOfBoxExperienceSetting` (current names).
pub static OOBE_SETTING: StructuredType = StructuredType::root(
    "outOfBoxExperienceSetting",
    &[
        Property::new("deviceUsageType", DEVICE_USAGE_TYPE, false),
        Property::new("escapeLinkHidden", Kind::Boolean, false),
        Property::new("eulaHidden", Kind::Boolean, false),
        Property::new("keyboardSelectionPageSkipped", Kind::Boolean, false),
        Property::new("privacySettingsHidden", Kind::Boolean, false),
        Property::new("userType", USER_TYPE, false),
    ],
);

/// `outOfBoxExperienceSettings` (deprecated names, beta only).
pub static OOBE_SETTINGS: StructuredType = StructuredType::root(
    "outOfBoxExperienceSettings",
    &[
        Property::new("deviceUsageType", DEVICE_USAGE_TYPE, false),
        Property::new("hideEscapeLink", Kind::Boolean, false),
        Property::new("hideEULA", Kind::Boolean, false),
        Property::new("hidePrivacySettings", Kind::Boolean, false),
        Property::new("skipKeyboardSelectionPage", Kind::Boolean, false),
        Property::new("userType", USER_TYPE, false),
    ],
);

/// Pairs of (current, deprecated) OOBE property names, mirrored into each other.
pub(super) const OOBE_MIRROR: &[(&str, &str)] = &[
    ("deviceUsageType", "deviceUsageType"),
    ("escapeLinkHidden", "hideEscapeLink"),
    ("eulaHidden", "hideEULA"),
    ("keyboardSelectionPageSkipped", "skipKeyboardSelectionPage"),
    ("privacySettingsHidden", "hidePrivacySettings"),
    ("userType", "userType"),
];

/// `windowsEnrollmentStatusScreenSettings` (profile-embedded ESP settings, beta only).
pub static ENROLLMENT_STATUS_SCREEN_SETTINGS: StructuredType = StructuredType::root(
    "windowsEnrollmentStatusScreenSettings",
    &[
        Property::new(
            "allowDeviceUseBeforeProfileAndAppInstallComplete",
            Kind::Boolean,
            false,
        ),
        Property::new("allowDeviceUseOnInstallFailure", Kind::Boolean, false),
        Property::new("allowLogCollectionOnInstallFailure", Kind::Boolean, false),
        Property::new("blockDeviceSetupRetryByUser", Kind::Boolean, false),
        Property::new("customErrorMessage", Kind::String, true),
        Property::new("hideInstallationProgress", Kind::Boolean, false),
        Property::new("installProgressTimeoutInMinutes", Kind::Int32, true),
    ],
);

pub static DEPLOYMENT_PROFILE: StructuredType = StructuredType::derived(
    "windowsAutopilotDeploymentProfile",
    &ENTITY,
    &[
        schema::CREATED_DATE_TIME,
        schema::DESCRIPTION,
        Property::new("deviceNameTemplate", Kind::String, true),
        Property::new("deviceType", DEVICE_TYPE, false),
        schema::DISPLAY_NAME,
        Property::new("enableWhiteGlove", Kind::Boolean, false).beta(),
        Property::new(
            "enrollmentStatusScreenSettings",
            Kind::Object(&ENROLLMENT_STATUS_SCREEN_SETTINGS),
            true,
        )
        .beta(),
        Property::new("extractHardwareHash", Kind::Boolean, false).beta(),
        Property::new("hardwareHashExtractionEnabled", Kind::Boolean, true),
        Property::new("language", Kind::String, true).beta(),
        schema::LAST_MODIFIED_DATE_TIME,
        Property::new("locale", Kind::String, true),
        Property::new("managementServiceAppId", Kind::String, true),
        Property::new(
            "outOfBoxExperienceSetting",
            Kind::Object(&OOBE_SETTING),
            true,
        ),
        Property::new(
            "outOfBoxExperienceSettings",
            Kind::Object(&OOBE_SETTINGS),
            true,
        )
        .beta(),
        Property::new("preprovisioningAllowed", Kind::Boolean, true),
        schema::ROLE_SCOPE_TAG_IDS,
    ],
)
.as_abstract()
.with_navigations(&["assignedDevices", "assignments"]);

pub static AZURE_AD_PROFILE: StructuredType = StructuredType::derived(
    "azureADWindowsAutopilotDeploymentProfile",
    &DEPLOYMENT_PROFILE,
    &[],
);

pub static ACTIVE_DIRECTORY_PROFILE: StructuredType = StructuredType::derived(
    "activeDirectoryWindowsAutopilotDeploymentProfile",
    &DEPLOYMENT_PROFILE,
    &[Property::new(
        "hybridAzureADJoinSkipConnectivityCheck",
        Kind::Boolean,
        false,
    )],
)
.with_navigations(&["domainJoinConfiguration"]);

pub static PROFILE_ASSIGNMENT: StructuredType = StructuredType::derived(
    "windowsAutopilotDeploymentProfileAssignment",
    &ENTITY,
    &[
        assignments::SOURCE.beta(),
        assignments::SOURCE_ID.beta(),
        assignments::TARGET.beta(),
    ],
);
