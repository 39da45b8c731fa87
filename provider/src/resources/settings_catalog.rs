//! Settings catalog settings as a configuration policy's `settings` carry
//! them (`deviceManagementConfigurationSetting`): typed, so that what the
//! provider sends and its JSON Schema come from one type. Built from a
//! template's setting ([`Spec`]) and a value.

use schemars::JsonSchema;
use serde::Serialize;

pub const SETTING: &str = "#microsoft.graph.deviceManagementConfigurationSetting";
pub const CHOICE_INSTANCE: &str =
    "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance";
pub const CHOICE_VALUE: &str = "#microsoft.graph.deviceManagementConfigurationChoiceSettingValue";
pub const SIMPLE_INSTANCE: &str =
    "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance";
pub const COLLECTION_INSTANCE: &str =
    "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance";
pub const INTEGER_VALUE: &str = "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue";
pub const STRING_VALUE: &str = "#microsoft.graph.deviceManagementConfigurationStringSettingValue";

/// One setting of a template: its definition id and its instance and value
/// template ids (graph-api.md §3.3).
pub struct Spec {
    pub id: &'static str,
    pub instance: &'static str,
    pub value: Option<&'static str>,
}

/// A setting of a configuration policy.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Setting {
    #[serde(rename = "@odata.type")]
    #[schemars(extend("const" = SETTING))]
    odata_type: &'static str,
    setting_instance: SettingInstance,
}

/// A setting instance: which setting, from which template, and its value
/// under the key its kind uses (`choiceSettingValue`, ...).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingInstance {
    #[serde(rename = "@odata.type")]
    #[schemars(extend("enum" = [CHOICE_INSTANCE, SIMPLE_INSTANCE, COLLECTION_INSTANCE]))]
    odata_type: &'static str,
    setting_definition_id: &'static str,
    setting_instance_template_reference: InstanceTemplateReference,
    #[serde(flatten)]
    value: InstanceValue,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct InstanceTemplateReference {
    setting_instance_template_id: &'static str,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ValueTemplateReference {
    setting_value_template_id: &'static str,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
enum InstanceValue {
    #[serde(rename = "choiceSettingValue")]
    Choice(ChoiceValue),
    #[serde(rename = "simpleSettingValue")]
    Simple(SimpleValue),
    #[serde(rename = "simpleSettingCollectionValue")]
    Collection(Vec<SimpleValue>),
}

/// The chosen option: the definition id with the option's suffix (`_0`, ...).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct ChoiceValue {
    #[serde(rename = "@odata.type")]
    #[schemars(extend("const" = CHOICE_VALUE))]
    odata_type: &'static str,
    value: String,
    children: Vec<SettingInstance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    setting_value_template_reference: Option<ValueTemplateReference>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct SimpleValue {
    #[serde(rename = "@odata.type")]
    #[schemars(extend("enum" = [INTEGER_VALUE, STRING_VALUE]))]
    odata_type: &'static str,
    value: Scalar,
    #[serde(skip_serializing_if = "Option::is_none")]
    setting_value_template_reference: Option<ValueTemplateReference>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
enum Scalar {
    Integer(i64),
    String(String),
}

impl Spec {
    fn instance(&self, odata_type: &'static str, value: InstanceValue) -> Setting {
        Setting {
            odata_type: SETTING,
            setting_instance: SettingInstance {
                odata_type,
                setting_definition_id: self.id,
                setting_instance_template_reference: InstanceTemplateReference {
                    setting_instance_template_id: self.instance,
                },
                value,
            },
        }
    }

    fn value_template(&self) -> Option<ValueTemplateReference> {
        self.value.map(|id| ValueTemplateReference {
            setting_value_template_id: id,
        })
    }

    fn simple(&self, odata_type: &'static str, value: Scalar) -> Setting {
        let value = SimpleValue {
            odata_type,
            value,
            setting_value_template_reference: self.value_template(),
        };
        self.instance(SIMPLE_INSTANCE, InstanceValue::Simple(value))
    }

    /// The option `<definition id><suffix>` of a choice setting.
    pub fn choice(&self, suffix: &str) -> Setting {
        let value = ChoiceValue {
            odata_type: CHOICE_VALUE,
            value: format!("{}{suffix}", self.id),
            children: Vec::new(),
            setting_value_template_reference: self.value_template(),
        };
        self.instance(CHOICE_INSTANCE, InstanceValue::Choice(value))
    }

    /// An integer setting.
    pub fn integer(&self, value: i64) -> Setting {
        self.simple(INTEGER_VALUE, Scalar::Integer(value))
    }

    /// A string setting.
    pub fn string(&self, value: String) -> Setting {
        self.simple(STRING_VALUE, Scalar::String(value))
    }

    /// A collection of strings (no value template).
    pub fn strings(&self, values: Vec<String>) -> Setting {
        let values = values
            .into_iter()
            .map(|v| SimpleValue {
                odata_type: STRING_VALUE,
                value: Scalar::String(v),
                setting_value_template_reference: None,
            })
            .collect();
        self.instance(COLLECTION_INSTANCE, InstanceValue::Collection(values))
    }
}
