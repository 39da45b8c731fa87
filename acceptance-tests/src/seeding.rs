//! What tests seed in a lab through Graph, as an administrator in the portal would: the lab's
//! seeded ids, group ids for configurations and the settings of a user-driven device preparation
//! policy.

use serde_json::{Value, json};

/// The lab's seeded Intune Provisioning Client service principal.
pub const PC_SP: &str = "7ab1ab00-0000-4000-8000-00000000e003";
/// A seeded Win32 app, allowed in the device preparation policies tests seed.
pub const VPN_APP: &str = "7ab1ab00-0000-4000-8000-0000000a0001";
/// A seeded platform script.
pub const TIME_ZONE_SCRIPT: &str = "7ab1ab00-0000-4000-8000-0000000c0001";
/// A seeded user (Adele Vance).
pub const ADELE: &str = "7ab1ab00-0000-4000-8000-0000000b0001";
/// The template of user-driven device preparation policies.
pub const USER_DRIVEN_TEMPLATE: &str = "80d33118-b7b4-40d8-b15f-81be745e053f_1";

/// Group object ids for configurations that only name groups (the lab accepts any GUID as an
/// assignment target).
pub const G1: &str = "11111111-1111-4111-8111-111111111111";
pub const G2: &str = "22222222-2222-4222-8222-222222222222";
pub const G3: &str = "33333333-3333-4333-8333-333333333333";
pub const G4: &str = "44444444-4444-4444-8444-444444444444";
pub const G5: &str = "55555555-5555-4555-8555-555555555555";

/// The choices of a user-driven device preparation policy that tests vary.
#[derive(Debug, Clone, Copy)]
pub struct UserDrivenSettings<'a> {
    /// Users are local administrators of the device (else standard users).
    pub administrator: bool,
    pub timeout_minutes: u32,
    pub error_message: &'a str,
    pub allow_skip: bool,
    pub script_ids: &'a [&'a str],
}

/// One setting instance of a policy's `settings`, with its template reference; `value` is the
/// instance's value property and its content.
fn setting_instance(kind: &str, id: &str, template: &str, value: (&str, Value)) -> Value {
    let mut setting = json!({
        "@odata.type": format!("#microsoft.graph.deviceManagementConfiguration{kind}Instance"),
        "settingDefinitionId": id,
        "settingInstanceTemplateReference": {"settingInstanceTemplateId": template},
    });
    setting[value.0] = value.1;
    json!({ "settingInstance": setting })
}

/// A choice setting set to its option `n` (`<id>_<n>`).
fn choice_setting(id: &str, template: &str, value_template: &str, n: u8) -> Value {
    let value = json!({
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingValue",
        "value": format!("{id}_{n}"),
        "children": [],
        "settingValueTemplateReference": {"settingValueTemplateId": value_template},
    });
    setting_instance("ChoiceSetting", id, template, ("choiceSettingValue", value))
}

/// A simple setting holding `v`, of the value `kind` (`Integer`, `String`).
fn simple_setting(id: &str, template: &str, value_template: &str, kind: &str, v: &Value) -> Value {
    let value = json!({
        "@odata.type": format!("#microsoft.graph.deviceManagementConfiguration{kind}SettingValue"),
        "value": v,
        "settingValueTemplateReference": {"settingValueTemplateId": value_template},
    });
    setting_instance("SimpleSetting", id, template, ("simpleSettingValue", value))
}

/// A collection setting of strings.
fn string_list_setting(id: &str, template: &str, values: Vec<String>) -> Value {
    let values: Vec<Value> = values
        .into_iter()
        .map(|v| json!({"@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue", "value": v}))
        .collect();
    setting_instance(
        "SimpleSettingCollection",
        id,
        template,
        ("simpleSettingCollectionValue", json!(values)),
    )
}

/// The `settings` of a user-driven device preparation policy as the portal writes them: every
/// setting instance with its template references, the [`VPN_APP`] allowed, no device group.
pub fn user_driven_settings(policy: &UserDrivenSettings<'_>) -> Value {
    json!([
        choice_setting(
            "enrollment_autopilot_dpp_deploymentmode",
            "5180aeab-886e-4589-97d4-40855c646315",
            "5874c2f6-bcf1-463b-a9eb-bee64e2f2d82",
            0
        ),
        choice_setting(
            "enrollment_autopilot_dpp_deploymenttype",
            "f4184296-fa9f-4b67-8b12-1723b3f8456b",
            "e0af022f-37f3-4a40-916d-1ab7281c88d9",
            0
        ),
        choice_setting(
            "enrollment_autopilot_dpp_jointype",
            "6310e95d-6cfa-4d2f-aae0-1e7af12e2182",
            "1fa84eb3-fcfa-4ed6-9687-0f3d486402c4",
            0
        ),
        choice_setting(
            "enrollment_autopilot_dpp_accountype",
            "d4f2a840-86d5-4162-9a08-fa8cc608b94e",
            "bf13bb47-69ef-4e06-97c1-50c2859a49c2",
            u8::from(policy.administrator)
        ),
        simple_setting(
            "enrollment_autopilot_dpp_timeout",
            "6dec0657-dfb8-4906-a7ee-3ac6ee1edecb",
            "0bbcce5b-a55a-4e05-821a-94bf576d6cc8",
            "Integer",
            &json!(policy.timeout_minutes)
        ),
        simple_setting(
            "enrollment_autopilot_dpp_customerrormessage",
            "2ddf0619-2b7a-46de-b29b-c6191e9dda6e",
            "fe5002d5-fbe9-4920-9e2d-26bfc4b4cc97",
            "String",
            &json!(policy.error_message)
        ),
        choice_setting(
            "enrollment_autopilot_dpp_allowskip",
            "2a71dc89-0f17-4ba9-bb27-af2521d34710",
            "a2323e5e-ac56-4517-8847-b0a6fdb467e7",
            u8::from(policy.allow_skip)
        ),
        choice_setting(
            "enrollment_autopilot_dpp_allowdiagnostics",
            "e2b7a81b-f243-4abd-bce3-c1856345f405",
            "c59d26fd-3460-4b26-b47a-f7e202e7d5a3",
            0
        ),
        simple_setting(
            "enrollment_autopilot_dpp_devicesecuritygroupids",
            "a46a50ab-3076-4968-9366-75a40dde950e",
            "5f7d09e1-1a90-44ad-9c9f-ad90ba509e60",
            "String",
            &json!("")
        ),
        string_list_setting(
            "enrollment_autopilot_dpp_allowedappids",
            "70d22a8a-a03c-4f62-b8df-dded3e327639",
            vec![format!(
                r##"{{"id":"{VPN_APP}","type":"#microsoft.graph.win32LobApp"}}"##
            )]
        ),
        string_list_setting(
            "enrollment_autopilot_dpp_allowedscriptids",
            "1bc67702-800c-4271-8fd9-609351cc19cf",
            policy.script_ids.iter().map(|s| s.to_string()).collect()
        ),
    ])
}
