//! The entity types of device preparation policies: the policy, its assignment, and the settings
//! catalog instance and value types (`StructuredType` tables).

use crate::graph::assignments::SOURCE_KIND;
use crate::graph::schema::{ENTITY, Kind, Property, StructuredType};

pub(super) const PLATFORMS: Kind = Kind::Flags(
    "deviceManagementConfigurationPlatforms",
    &[
        "none",
        "android",
        "iOS",
        "macOS",
        "windows10X",
        "windows10",
        "linux",
        "unknownFutureValue",
        "androidEnterprise",
        "aosp",
        "visionOS",
        "tvOS",
    ],
);
pub(super) const TECHNOLOGIES: Kind = Kind::Flags(
    "deviceManagementConfigurationTechnologies",
    &[
        "none",
        "mdm",
        "windows10XManagement",
        "configManager",
        "intuneManagementExtension",
        "thirdParty",
        "documentGateway",
        "appleRemoteManagement",
        "microsoftSense",
        "exchangeOnline",
        "mobileApplicationManagement",
        "linuxMdm",
        "enrollment",
        "endpointPrivilegeManagement",
        "unknownFutureValue",
        "windowsOsRecovery",
        "android",
    ],
);
pub(super) const TEMPLATE_FAMILY: Kind = Kind::Enum(
    "deviceManagementConfigurationTemplateFamily",
    &[
        "none",
        "endpointSecurityAntivirus",
        "endpointSecurityDiskEncryption",
        "endpointSecurityFirewall",
        "endpointSecurityEndpointDetectionAndResponse",
        "endpointSecurityAttackSurfaceReduction",
        "endpointSecurityAccountProtection",
        "endpointSecurityApplicationControl",
        "endpointSecurityEndpointPrivilegeManagement",
        "enrollmentConfiguration",
        "appQuietTime",
        "baseline",
        "unknownFutureValue",
        "deviceConfigurationScripts",
        "deviceConfigurationPolicies",
        "windowsOsRecoveryPolicies",
        "companyPortal",
        "windowsRecoveryAndRemediationConfiguration",
    ],
);

pub static TEMPLATE_REFERENCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationPolicyTemplateReference",
    base: None,
    is_abstract: false,
    properties: &[
        Property::read_only("templateDisplayName", Kind::String, true),
        Property::read_only("templateDisplayVersion", Kind::String, true),
        Property::read_only("templateFamily", TEMPLATE_FAMILY, false),
        Property::new("templateId", Kind::String, true),
    ],
    navigations: &[],
};

pub static PRIORITY_META_DATA: StructuredType = StructuredType {
    name: "deviceManagementPriorityMetaData",
    base: None,
    is_abstract: false,
    properties: &[Property::new("priority", Kind::Int32, false)],
    navigations: &[],
};

pub static POLICY: StructuredType = StructuredType {
    name: "deviceManagementConfigurationPolicy",
    base: Some(&ENTITY),
    is_abstract: false,
    properties: &[
        Property::read_only("createdDateTime", Kind::DateTimeOffset, false),
        Property::read_only("creationSource", Kind::String, true),
        Property::new("description", Kind::String, true),
        Property::new("disableEntraGroupPolicyAssignment", Kind::Boolean, false),
        Property::read_only("isAssigned", Kind::Boolean, false),
        Property::read_only("lastModifiedDateTime", Kind::DateTimeOffset, false),
        Property::new("name", Kind::String, true),
        Property::new("platforms", PLATFORMS, false),
        Property::read_only("priorityMetaData", Kind::Object(&PRIORITY_META_DATA), true),
        Property::new("roleScopeTagIds", Kind::StringCollection, true),
        Property::read_only("settingCount", Kind::Int32, false),
        Property::new("technologies", TECHNOLOGIES, false),
        Property::new("templateReference", Kind::Object(&TEMPLATE_REFERENCE), true),
    ],
    navigations: &["assignments", "settings"],
};

pub static POLICY_ASSIGNMENT: StructuredType = StructuredType {
    name: "deviceManagementConfigurationPolicyAssignment",
    base: Some(&ENTITY),
    is_abstract: false,
    properties: &[
        Property::read_only("source", SOURCE_KIND, false),
        Property::read_only("sourceId", Kind::String, true),
        Property::new(
            "target",
            Kind::Complex("deviceAndAppManagementAssignmentTarget"),
            true,
        ),
    ],
    navigations: &[],
};

pub static SETTING: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSetting",
    base: Some(&ENTITY),
    is_abstract: false,
    properties: &[Property::new(
        "settingInstance",
        Kind::Complex("deviceManagementConfigurationSettingInstance"),
        false,
    )],
    navigations: &["settingDefinitions"],
};

pub static INSTANCE_TEMPLATE_REFERENCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSettingInstanceTemplateReference",
    base: None,
    is_abstract: false,
    properties: &[Property::new(
        "settingInstanceTemplateId",
        Kind::String,
        false,
    )],
    navigations: &[],
};

pub static VALUE_TEMPLATE_REFERENCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSettingValueTemplateReference",
    base: None,
    is_abstract: false,
    properties: &[
        Property::new("settingValueTemplateId", Kind::String, false),
        Property::new("useTemplateDefault", Kind::Boolean, false),
    ],
    navigations: &[],
};

pub static SETTING_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSettingInstance",
    base: None,
    is_abstract: true,
    properties: &[
        Property::new("settingDefinitionId", Kind::String, false),
        Property::new(
            "settingInstanceTemplateReference",
            Kind::Object(&INSTANCE_TEMPLATE_REFERENCE),
            true,
        ),
    ],
    navigations: &[],
};

pub static CHOICE_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationChoiceSettingInstance",
    base: Some(&SETTING_INSTANCE),
    is_abstract: false,
    properties: &[Property::new(
        "choiceSettingValue",
        Kind::Complex("deviceManagementConfigurationChoiceSettingValue"),
        false,
    )],
    navigations: &[],
};

pub static CHOICE_COLLECTION_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationChoiceSettingCollectionInstance",
    base: Some(&SETTING_INSTANCE),
    is_abstract: false,
    properties: &[Property::new(
        "choiceSettingCollectionValue",
        Kind::ComplexCollection("deviceManagementConfigurationChoiceSettingValue"),
        false,
    )],
    navigations: &[],
};

pub static SIMPLE_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSimpleSettingInstance",
    base: Some(&SETTING_INSTANCE),
    is_abstract: false,
    properties: &[Property::new(
        "simpleSettingValue",
        Kind::Complex("deviceManagementConfigurationSimpleSettingValue"),
        false,
    )],
    navigations: &[],
};

pub static SIMPLE_COLLECTION_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSimpleSettingCollectionInstance",
    base: Some(&SETTING_INSTANCE),
    is_abstract: false,
    properties: &[Property::new(
        "simpleSettingCollectionValue",
        Kind::ComplexCollection("deviceManagementConfigurationSimpleSettingValue"),
        false,
    )],
    navigations: &[],
};

pub static GROUP_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationGroupSettingInstance",
    base: Some(&SETTING_INSTANCE),
    is_abstract: false,
    properties: &[Property::new(
        "groupSettingValue",
        Kind::Complex("deviceManagementConfigurationGroupSettingValue"),
        false,
    )],
    navigations: &[],
};

pub static GROUP_COLLECTION_INSTANCE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationGroupSettingCollectionInstance",
    base: Some(&SETTING_INSTANCE),
    is_abstract: false,
    properties: &[Property::new(
        "groupSettingCollectionValue",
        Kind::ComplexCollection("deviceManagementConfigurationGroupSettingValue"),
        false,
    )],
    navigations: &[],
};

pub static INSTANCE_TYPES: &[&StructuredType] = &[
    &CHOICE_INSTANCE,
    &CHOICE_COLLECTION_INSTANCE,
    &SIMPLE_INSTANCE,
    &SIMPLE_COLLECTION_INSTANCE,
    &GROUP_INSTANCE,
    &GROUP_COLLECTION_INSTANCE,
];

pub static SETTING_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSettingValue",
    base: None,
    is_abstract: true,
    properties: &[Property::new(
        "settingValueTemplateReference",
        Kind::Object(&VALUE_TEMPLATE_REFERENCE),
        true,
    )],
    navigations: &[],
};

pub static CHOICE_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationChoiceSettingValue",
    base: Some(&SETTING_VALUE),
    is_abstract: false,
    properties: &[
        Property::new(
            "children",
            Kind::ComplexCollection("deviceManagementConfigurationSettingInstance"),
            true,
        ),
        Property::new("value", Kind::String, true),
    ],
    navigations: &[],
};

pub static SIMPLE_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSimpleSettingValue",
    base: Some(&SETTING_VALUE),
    is_abstract: true,
    properties: &[],
    navigations: &[],
};

pub static STRING_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationStringSettingValue",
    base: Some(&SIMPLE_VALUE),
    is_abstract: false,
    properties: &[Property::new("value", Kind::String, true)],
    navigations: &[],
};

pub static INTEGER_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationIntegerSettingValue",
    base: Some(&SIMPLE_VALUE),
    is_abstract: false,
    properties: &[Property::new("value", Kind::Int32, false)],
    navigations: &[],
};

pub static SECRET_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationSecretSettingValue",
    base: Some(&SIMPLE_VALUE),
    is_abstract: false,
    properties: &[
        Property::new("value", Kind::String, true),
        Property::new(
            "valueState",
            Kind::Enum(
                "deviceManagementConfigurationSecretSettingValueState",
                &["invalid", "notEncrypted", "encryptedValueToken"],
            ),
            false,
        ),
    ],
    navigations: &[],
};

pub static REFERENCE_VALUE: StructuredType = StructuredType {
    name: "deviceManagementConfigurationReferenceSettingValue",
    base: Some(&STRING_VALUE),
    is_abstract: false,
    properties: &[Property::new("note", Kind::String, true)],
    navigations: &[],
};

pub static SIMPLE_VALUE_TYPES: &[&StructuredType] = &[
    &STRING_VALUE,
    &INTEGER_VALUE,
    &SECRET_VALUE,
    &REFERENCE_VALUE,
];
