//! The entity types of device preparation policies: the policy, its assignment, and the settings
//! catalog instance and value types (`StructuredType` tables).

use crate::graph::assignments;
use crate::graph::schema::{self, ENTITY, Kind, Property, StructuredType};

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

pub static TEMPLATE_REFERENCE: StructuredType = StructuredType::root(
    "deviceManagementConfigurationPolicyTemplateReference",
    &[
        Property::read_only("templateDisplayName", Kind::String, true),
        Property::read_only("templateDisplayVersion", Kind::String, true),
        Property::read_only("templateFamily", TEMPLATE_FAMILY, false),
        Property::new("templateId", Kind::String, true),
    ],
);

pub static PRIORITY_META_DATA: StructuredType = StructuredType::root(
    "deviceManagementPriorityMetaData",
    &[Property::new("priority", Kind::Int32, false)],
);

pub static POLICY: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationPolicy",
    &ENTITY,
    &[
        schema::CREATED_DATE_TIME,
        Property::read_only("creationSource", Kind::String, true),
        schema::DESCRIPTION,
        Property::new("disableEntraGroupPolicyAssignment", Kind::Boolean, false),
        Property::read_only("isAssigned", Kind::Boolean, false),
        schema::LAST_MODIFIED_DATE_TIME,
        Property::new("name", Kind::String, true),
        Property::new("platforms", PLATFORMS, false),
        Property::read_only("priorityMetaData", Kind::Object(&PRIORITY_META_DATA), true),
        schema::ROLE_SCOPE_TAG_IDS,
        Property::read_only("settingCount", Kind::Int32, false),
        Property::new("technologies", TECHNOLOGIES, false),
        Property::new("templateReference", Kind::Object(&TEMPLATE_REFERENCE), true),
    ],
)
.with_navigations(&["assignments", "settings"]);

pub static POLICY_ASSIGNMENT: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationPolicyAssignment",
    &ENTITY,
    &[
        assignments::SOURCE,
        assignments::SOURCE_ID,
        assignments::TARGET,
    ],
);

pub static SETTING: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationSetting",
    &ENTITY,
    &[Property::new(
        "settingInstance",
        Kind::Complex("deviceManagementConfigurationSettingInstance"),
        false,
    )],
)
.with_navigations(&["settingDefinitions"]);

pub static INSTANCE_TEMPLATE_REFERENCE: StructuredType = StructuredType::root(
    "deviceManagementConfigurationSettingInstanceTemplateReference",
    &[Property::new(
        "settingInstanceTemplateId",
        Kind::String,
        false,
    )],
);

pub static VALUE_TEMPLATE_REFERENCE: StructuredType = StructuredType::root(
    "deviceManagementConfigurationSettingValueTemplateReference",
    &[
        Property::new("settingValueTemplateId", Kind::String, false),
        Property::new("useTemplateDefault", Kind::Boolean, false),
    ],
);

pub static SETTING_INSTANCE: StructuredType = StructuredType::root(
    "deviceManagementConfigurationSettingInstance",
    &[
        Property::new("settingDefinitionId", Kind::String, false),
        Property::new(
            "settingInstanceTemplateReference",
            Kind::Object(&INSTANCE_TEMPLATE_REFERENCE),
            true,
        ),
    ],
)
.as_abstract();

pub static CHOICE_INSTANCE: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationChoiceSettingInstance",
    &SETTING_INSTANCE,
    &[Property::new(
        "choiceSettingValue",
        Kind::Complex("deviceManagementConfigurationChoiceSettingValue"),
        false,
    )],
);

pub static CHOICE_COLLECTION_INSTANCE: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationChoiceSettingCollectionInstance",
    &SETTING_INSTANCE,
    &[Property::new(
        "choiceSettingCollectionValue",
        Kind::ComplexCollection("deviceManagementConfigurationChoiceSettingValue"),
        false,
    )],
);

pub static SIMPLE_INSTANCE: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationSimpleSettingInstance",
    &SETTING_INSTANCE,
    &[Property::new(
        "simpleSettingValue",
        Kind::Complex("deviceManagementConfigurationSimpleSettingValue"),
        false,
    )],
);

pub static SIMPLE_COLLECTION_INSTANCE: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationSimpleSettingCollectionInstance",
    &SETTING_INSTANCE,
    &[Property::new(
        "simpleSettingCollectionValue",
        Kind::ComplexCollection("deviceManagementConfigurationSimpleSettingValue"),
        false,
    )],
);

pub static GROUP_INSTANCE: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationGroupSettingInstance",
    &SETTING_INSTANCE,
    &[Property::new(
        "groupSettingValue",
        Kind::Complex("deviceManagementConfigurationGroupSettingValue"),
        false,
    )],
);

pub static GROUP_COLLECTION_INSTANCE: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationGroupSettingCollectionInstance",
    &SETTING_INSTANCE,
    &[Property::new(
        "groupSettingCollectionValue",
        Kind::ComplexCollection("deviceManagementConfigurationGroupSettingValue"),
        false,
    )],
);

pub static INSTANCE_TYPES: &[&StructuredType] = &[
    &CHOICE_INSTANCE,
    &CHOICE_COLLECTION_INSTANCE,
    &SIMPLE_INSTANCE,
    &SIMPLE_COLLECTION_INSTANCE,
    &GROUP_INSTANCE,
    &GROUP_COLLECTION_INSTANCE,
];

pub static SETTING_VALUE: StructuredType = StructuredType::root(
    "deviceManagementConfigurationSettingValue",
    &[Property::new(
        "settingValueTemplateReference",
        Kind::Object(&VALUE_TEMPLATE_REFERENCE),
        true,
    )],
)
.as_abstract();

pub static CHOICE_VALUE: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationChoiceSettingValue",
    &SETTING_VALUE,
    &[
        Property::new(
            "children",
            Kind::ComplexCollection("deviceManagementConfigurationSettingInstance"),
            true,
        ),
        Property::new("value", Kind::String, true),
    ],
);

pub static SIMPLE_VALUE: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationSimpleSettingValue",
    &SETTING_VALUE,
    &[],
)
.as_abstract();

pub static STRING_VALUE: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationStringSettingValue",
    &SIMPLE_VALUE,
    &[Property::new("value", Kind::String, true)],
);

pub static INTEGER_VALUE: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationIntegerSettingValue",
    &SIMPLE_VALUE,
    &[Property::new("value", Kind::Int32, false)],
);

pub static SECRET_VALUE: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationSecretSettingValue",
    &SIMPLE_VALUE,
    &[
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
);

pub static REFERENCE_VALUE: StructuredType = StructuredType::derived(
    "deviceManagementConfigurationReferenceSettingValue",
    &STRING_VALUE,
    &[Property::new("note", Kind::String, true)],
);

pub static SIMPLE_VALUE_TYPES: &[&StructuredType] = &[
    &STRING_VALUE,
    &INTEGER_VALUE,
    &SECRET_VALUE,
    &REFERENCE_VALUE,
];
