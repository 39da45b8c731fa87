//! `/deviceManagement/configurationPolicies`: device preparation policies, and the seeded
//! catalogs they reference.

use crate::common::{
    Lab, PROVISIONING_SP, assert_bad_request, assign_to_group, expect, string_of, values_of,
    wrapped_message,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const POLICIES: &str = "/beta/deviceManagement/configurationPolicies";
const USER_DRIVEN: &str = "80d33118-b7b4-40d8-b15f-81be745e053f_1";
const AUTOMATIC: &str = "a6157a7f-aa00-42d9-ac82-7d2479f545db_1";
const WIN32_APP: &str = "7ab1ab00-0000-4000-8000-0000000a0001";
const SCRIPT: &str = "7ab1ab00-0000-4000-8000-0000000c0001";

fn choice(definition: &str, option: &str, instance: &str, value: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.deviceManagementConfigurationSetting",
        "settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
            "settingDefinitionId": definition,
            "settingInstanceTemplateReference": {"settingInstanceTemplateId": instance},
            "choiceSettingValue": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingValue",
                "value": format!("{definition}_{option}"),
                "children": [],
                "settingValueTemplateReference": {"settingValueTemplateId": value}
            }
        }
    })
}

fn timeout(minutes: i64) -> Value {
    json!({
        "settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
            "settingDefinitionId": "enrollment_autopilot_dpp_timeout",
            "settingInstanceTemplateReference": {"settingInstanceTemplateId": "6dec0657-dfb8-4906-a7ee-3ac6ee1edecb"},
            "simpleSettingValue": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue",
                "value": minutes,
                "settingValueTemplateReference": {"settingValueTemplateId": "0bbcce5b-a55a-4e05-821a-94bf576d6cc8"}
            }
        }
    })
}

fn text(definition: &str, instance: &str, value_template: &str, value: &str) -> Value {
    json!({
        "settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
            "settingDefinitionId": definition,
            "settingInstanceTemplateReference": {"settingInstanceTemplateId": instance},
            "simpleSettingValue": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue",
                "value": value,
                "settingValueTemplateReference": {"settingValueTemplateId": value_template}
            }
        }
    })
}

fn collection(definition: &str, instance: &str, values: &[String]) -> Value {
    let values: Vec<Value> = values
        .iter()
        .map(|v| {
            json!({
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue",
                "@odata.": "ignored-junk",
                "value": v
            })
        })
        .collect();
    json!({
        "settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance",
            "settingDefinitionId": definition,
            "settingInstanceTemplateReference": {"settingInstanceTemplateId": instance},
            "simpleSettingCollectionValue": values
        }
    })
}

fn app_ref(id: &str, kind: &str) -> String {
    json!({"id": id, "type": kind}).to_string()
}

fn user_driven(name: &str, settings: Vec<Value>) -> Value {
    json!({
        "name": name,
        "description": "",
        "roleScopeTagIds": ["0"],
        "platforms": "windows10",
        "technologies": "enrollment",
        "templateReference": {"templateId": USER_DRIVEN},
        "settings": Value::Array(settings)
    })
}

fn all_settings() -> Vec<Value> {
    vec![
        choice(
            "enrollment_autopilot_dpp_deploymentmode",
            "0",
            "5180aeab-886e-4589-97d4-40855c646315",
            "5874c2f6-bcf1-463b-a9eb-bee64e2f2d82",
        ),
        choice(
            "enrollment_autopilot_dpp_deploymenttype",
            "0",
            "f4184296-fa9f-4b67-8b12-1723b3f8456b",
            "e0af022f-37f3-4a40-916d-1ab7281c88d9",
        ),
        choice(
            "enrollment_autopilot_dpp_jointype",
            "0",
            "6310e95d-6cfa-4d2f-aae0-1e7af12e2182",
            "1fa84eb3-fcfa-4ed6-9687-0f3d486402c4",
        ),
        choice(
            "enrollment_autopilot_dpp_accountype",
            "1",
            "d4f2a840-86d5-4162-9a08-fa8cc608b94e",
            "bf13bb47-69ef-4e06-97c1-50c2859a49c2",
        ),
        timeout(60),
        text(
            "enrollment_autopilot_dpp_customerrormessage",
            "2ddf0619-2b7a-46de-b29b-c6191e9dda6e",
            "fe5002d5-fbe9-4920-9e2d-26bfc4b4cc97",
            "Contact your organization’s support person for help.",
        ),
        choice(
            "enrollment_autopilot_dpp_allowskip",
            "0",
            "2a71dc89-0f17-4ba9-bb27-af2521d34710",
            "a2323e5e-ac56-4517-8847-b0a6fdb467e7",
        ),
        choice(
            "enrollment_autopilot_dpp_allowdiagnostics",
            "1",
            "e2b7a81b-f243-4abd-bce3-c1856345f405",
            "c59d26fd-3460-4b26-b47a-f7e202e7d5a3",
        ),
        text(
            "enrollment_autopilot_dpp_devicesecuritygroupids",
            "a46a50ab-3076-4968-9366-75a40dde950e",
            "5f7d09e1-1a90-44ad-9c9f-ad90ba509e60",
            "",
        ),
        collection(
            "enrollment_autopilot_dpp_allowedappids",
            "70d22a8a-a03c-4f62-b8df-dded3e327639",
            &[app_ref(WIN32_APP, "#microsoft.graph.win32LobApp")],
        ),
        collection(
            "enrollment_autopilot_dpp_allowedscriptids",
            "1bc67702-800c-4271-8fd9-609351cc19cf",
            &[SCRIPT.to_owned()],
        ),
    ]
}

async fn create(lab: &Lab, body: Value) -> String {
    let created = lab.create(POLICIES, body).await;
    created["id"].as_str().unwrap().to_owned()
}

fn message(error: &Value) -> String {
    wrapped_message(error)["Message"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn create_read_settings_and_put() {
    let lab = Lab::start().await;
    let body = lab
        .create(POLICIES, user_driven("DP", all_settings()))
        .await;
    assert_eq!(
        body["@odata.context"],
        format!(
            "{}/beta/$metadata#deviceManagement/configurationPolicies/$entity",
            lab.info().graph_url
        )
    );
    assert_eq!(body["settingCount"], 11);
    assert_eq!(body["platforms"], "windows10");
    assert_eq!(body["technologies"], "enrollment");
    assert_eq!(body["creationSource"], Value::Null);
    assert_eq!(
        body["templateReference"],
        json!({"templateId": USER_DRIVEN, "templateFamily": "enrollmentConfiguration",
               "templateDisplayName": "Device Preparation", "templateDisplayVersion": "Version 1"})
    );
    assert_eq!(body["priorityMetaData"], json!({"priority": 1}));
    for absent in [
        "settings",
        "isAssigned",
        "disableEntraGroupPolicyAssignment",
    ] {
        assert!(body.get(absent).is_none(), "{absent} in {body}");
    }
    let id = body["id"].as_str().unwrap().to_owned();

    let got = lab.get_ok(&format!("{POLICIES}/{id}")).await;
    assert_eq!(got["isAssigned"], false);
    assert!(got.get("settings").is_none());
    let (_, expanded) = lab.get(&format!("{POLICIES}/{id}?$expand=settings")).await;
    assert_eq!(expanded["settings"].as_array().unwrap().len(), 11);

    let settings = lab.get_ok(&format!("{POLICIES}/{id}/settings")).await;
    let items = values_of(&settings);
    assert_eq!(items.len(), 11);
    assert_eq!(items[0]["id"], "0");
    assert_eq!(
        items[4]["settingInstance"]["simpleSettingValue"]["value"],
        60
    );
    // The settings navigation pages at 25 by default; $top pages smaller.
    let (_, page) = lab.get(&format!("{POLICIES}/{id}/settings?$top=5")).await;
    assert_eq!(values_of(&page).len(), 5);
    let next = page["@odata.nextLink"].as_str().unwrap();
    let (_, page2) = crate::common::send(lab.http.get(next).bearer_auth(&lab.token)).await;
    assert_eq!(page2["value"][0]["id"], "5");

    // PUT replaces the settings.
    let mut settings = all_settings();
    settings.truncate(5);
    let (status, body) = lab
        .put(
            &format!("{POLICIES}/{id}"),
            user_driven("DP renamed", settings),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, got) = lab.get(&format!("{POLICIES}/{id}")).await;
    assert_eq!(got["settingCount"], 5);
    assert_eq!(got["name"], "DP renamed");
    // PATCH cannot touch settings but can rename.
    let (status, _) = lab
        .patch(&format!("{POLICIES}/{id}"), json!({"settings": []}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(
        lab.patch(&format!("{POLICIES}/{id}"), json!({"description": "d"}))
            .await,
        StatusCode::NO_CONTENT,
    );
    // The template cannot change.
    let mut other = user_driven("DP", vec![]);
    other["templateReference"] = json!({"templateId": AUTOMATIC});
    let (status, _) = lab.put(&format!("{POLICIES}/{id}"), other).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    expect(
        lab.delete(&format!("{POLICIES}/{id}")).await,
        StatusCode::NO_CONTENT,
    );
    let (status, _) = lab.get(&format!("{POLICIES}/{id}/settings")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Beta only.
    lab.assert_beta_only("deviceManagement/configurationPolicies")
        .await;
}

#[tokio::test]
async fn settings_are_validated_against_the_template() {
    let lab = Lab::start().await;
    let cases: Vec<(Vec<Value>, &str)> = vec![
        (vec![timeout(14)], "between 15 and 720"),
        (vec![timeout(721)], "between 15 and 720"),
        (
            vec![choice(
                "enrollment_autopilot_dpp_jointype",
                "1",
                "6310e95d-6cfa-4d2f-aae0-1e7af12e2182",
                "1fa84eb3-fcfa-4ed6-9687-0f3d486402c4",
            )],
            "is not one of",
        ),
        (
            vec![choice("enrollment_autopilot_dpp_nope", "0", "x", "y")],
            "is not part of template",
        ),
        (
            vec![choice(
                "enrollment_autopilot_dpp_allowskip",
                "0",
                "00000000-0000-0000-0000-000000000000",
                "a2323e5e-ac56-4517-8847-b0a6fdb467e7",
            )],
            "settingInstanceTemplateId",
        ),
        (
            vec![text(
                "enrollment_autopilot_dpp_timeout",
                "6dec0657-dfb8-4906-a7ee-3ac6ee1edecb",
                "0bbcce5b-a55a-4e05-821a-94bf576d6cc8",
                "60",
            )],
            "takes a deviceManagementConfigurationIntegerSettingValue",
        ),
        (
            vec![collection(
                "enrollment_autopilot_dpp_allowedappids",
                "70d22a8a-a03c-4f62-b8df-dded3e327639",
                &vec![app_ref(WIN32_APP, "#microsoft.graph.win32LobApp"); 26],
            )],
            "at most 25 apps",
        ),
        (
            vec![collection(
                "enrollment_autopilot_dpp_allowedscriptids",
                "1bc67702-800c-4271-8fd9-609351cc19cf",
                &vec![SCRIPT.to_owned(); 11],
            )],
            "at most 10 scripts",
        ),
        (
            vec![collection(
                "enrollment_autopilot_dpp_allowedappids",
                "70d22a8a-a03c-4f62-b8df-dded3e327639",
                &[app_ref(WIN32_APP, "#microsoft.graph.winGetApp")],
            )],
            "is a #microsoft.graph.win32LobApp",
        ),
        (
            vec![collection(
                "enrollment_autopilot_dpp_allowedappids",
                "70d22a8a-a03c-4f62-b8df-dded3e327639",
                &["not json".to_owned()],
            )],
            "must be a JSON string",
        ),
        (
            vec![collection(
                "enrollment_autopilot_dpp_allowedscriptids",
                "1bc67702-800c-4271-8fd9-609351cc19cf",
                &["11111111-2222-4333-8444-555555555555".to_owned()],
            )],
            "does not exist",
        ),
        (vec![timeout(60), timeout(90)], "more than once"),
    ];
    for (settings, needle) in cases {
        let (status, error) = lab.post(POLICIES, user_driven("x", settings)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{needle}: {error}");
        let text = message(&error);
        assert!(text.contains(needle), "{needle}: {text}");
    }

    // OData-level refusals: an instance without @odata.type, an unknown property.
    let mut setting = timeout(60);
    setting["settingInstance"]
        .as_object_mut()
        .unwrap()
        .remove("@odata.type");
    assert_bad_request(
        &lab.post(POLICIES, user_driven("x", vec![setting])).await,
        "Cannot create an abstract class.",
    );
    let mut setting = timeout(60);
    setting["settingInstance"]["simpleSettingValue"]["bogus"] = json!(1);
    assert_bad_request(
        &lab.post(POLICIES, user_driven("x", vec![setting])).await,
        "The property 'bogus' does not exist",
    );

    // Unknown template, wrong platform, missing name.
    let mut body = user_driven("x", vec![]);
    body["templateReference"] = json!({"templateId": "nope_1"});
    let (status, error) = lab.post(POLICIES, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&error).contains("not known"));
    let mut body = user_driven("x", vec![]);
    body["platforms"] = json!("macOS");
    let (status, _) = lab.post(POLICIES, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut body = user_driven("x", vec![]);
    body.as_object_mut().unwrap().remove("name");
    let (status, _) = lab.post(POLICIES, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The automatic template takes apps and scripts only.
    let mut body = user_driven("auto", vec![timeout(60)]);
    body["templateReference"] = json!({"templateId": AUTOMATIC});
    let (status, _) = lab.post(POLICIES, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut body = user_driven(
        "auto",
        vec![collection(
            "enrollment_autopilot_dpp_allowedscriptids",
            "ff20a4a9-a2f4-4a2e-84e0-4cd1dc9bed31",
            &[SCRIPT.to_owned()],
        )],
    );
    body["templateReference"] = json!({"templateId": AUTOMATIC});
    let created = lab.create(POLICIES, body).await;
    assert_eq!(created["templateReference"]["templateId"], AUTOMATIC);
}

#[tokio::test]
async fn assign_returns_the_list() {
    let lab = Lab::start().await;
    let id = create(&lab, user_driven("DP", all_settings())).await;
    let group = "6f1b5b3e-7c55-4a7e-9a51-2a4c1a4b0c11";
    let body = expect(
        lab.post(&format!("{POLICIES}/{id}/assign"), assign_to_group(group))
            .await,
        StatusCode::OK,
    );
    assert!(
        string_of(&body["@odata.context"]).ends_with(
            "#Collection(microsoft.graph.deviceManagementConfigurationPolicyAssignment)"
        )
    );
    assert_eq!(body["value"][0]["id"], format!("{id}_{group}"));
    assert_eq!(body["value"][0]["sourceId"], id);
    let (_, got) = lab.get(&format!("{POLICIES}/{id}")).await;
    assert_eq!(got["isAssigned"], true);
    assert_eq!(
        lab.values(&format!("{POLICIES}/{id}/assignments"))
            .await
            .len(),
        1
    );
    let _ = lab
        .get_ok(&format!("{POLICIES}/{id}/assignments/{id}_{group}"))
        .await;
    let body = expect(
        lab.post(
            &format!("{POLICIES}/{id}/assign"),
            json!({"assignments": []}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(body["value"], json!([]));
    let (_, got) = lab.get(&format!("{POLICIES}/{id}")).await;
    assert_eq!(got["isAssigned"], false);
}

async fn group(lab: &Lab, name: &str, dynamic: bool, owned: bool) -> String {
    let mut body = json!({"displayName": name, "mailEnabled": false, "mailNickname": name,
                          "securityEnabled": true, "groupTypes": []});
    if dynamic {
        body["groupTypes"] = json!(["DynamicMembership"]);
        body["membershipRule"] =
            json!(r#"(device.devicePhysicalIDs -any (_ -contains "[ZTDID]"))"#);
    }
    let created = lab.create("/v1.0/groups", body).await;
    let id = created["id"].as_str().unwrap().to_owned();
    if owned {
        lab.add_provisioning_owner(&id).await;
    }
    id
}

#[tokio::test]
async fn enrollment_time_membership_target() {
    let lab = Lab::start().await;
    let id = create(&lab, user_driven("DP", all_settings())).await;
    let set = format!("{POLICIES}/{id}/setEnrollmentTimeDeviceMembershipTarget");
    let target = |group: &str| json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": group}]});

    let missing = "11111111-2222-4333-8444-555555555555".to_owned();
    let dynamic = group(&lab, "dyn", true, true).await;
    let unowned = group(&lab, "unowned", false, false).await;
    for (group_id, code) in [
        (&missing, "securityGroupNotFound"),
        (&dynamic, "notStaticSecurityGroup"),
        (&unowned, "firstPartyAppNotAnOwner"),
    ] {
        let result = expect(lab.post(&set, target(group_id)).await, StatusCode::OK);
        assert_eq!(result["validationSucceeded"], false, "{result}");
        let statuses = &result["enrollmentTimeDeviceMembershipTargetValidationStatuses"];
        assert_eq!(statuses[0]["targetId"], group_id.as_str());
        assert_eq!(statuses[0]["targetValidationErrorCode"], code);
    }
    // Nothing was kept.
    let retrieve = format!("{POLICIES}/{id}/retrieveEnrollmentTimeDeviceMembershipTarget");
    let result = expect(lab.post(&retrieve, json!({})).await, StatusCode::OK);
    assert_eq!(
        result["enrollmentTimeDeviceMembershipTargetValidationStatuses"],
        json!([])
    );

    let good = group(&lab, "devices", false, true).await;
    let result = expect(lab.post(&set, target(&good)).await, StatusCode::OK);
    assert_eq!(result["validationSucceeded"], true, "{result}");
    assert!(
        string_of(&result["@odata.context"])
            .ends_with("#microsoft.graph.enrollmentTimeDeviceMembershipTargetResult")
    );
    let (_, result) = lab.post(&retrieve, json!({})).await;
    assert_eq!(
        result["enrollmentTimeDeviceMembershipTargetValidationStatuses"][0]["targetId"],
        good.as_str()
    );
    assert_eq!(result["validationSucceeded"], true);

    // Removing the owner shows up on retrieve.
    expect(
        lab.delete(&format!(
            "/v1.0/groups/{good}/owners/{PROVISIONING_SP}/$ref"
        ))
        .await,
        StatusCode::NO_CONTENT,
    );
    let (_, result) = lab.post(&retrieve, json!({})).await;
    assert_eq!(result["validationSucceeded"], false);

    // The wrapped shape is a setting.
    lab.settings(json!({"complex_action_results_wrapped": true}))
        .await;
    let (_, result) = lab.post(&retrieve, json!({})).await;
    assert_eq!(result["value"]["validationSucceeded"], false, "{result}");

    let clear = format!("{POLICIES}/{id}/clearEnrollmentTimeDeviceMembershipTarget");
    let result = expect(lab.post(&clear, json!({})).await, StatusCode::OK);
    assert_eq!(result["value"], true);
    let (_, result) = lab.post(&clear, json!({})).await;
    assert_eq!(result["value"], false);

    let (status, _) = lab.post(&set, json!({"targets": []})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = lab
        .post(
            &format!("{POLICIES}/nope/retrieveEnrollmentTimeDeviceMembershipTarget"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn seeded_catalogs() {
    let lab = Lab::start().await;
    let apps = lab.get_ok("/beta/deviceAppManagement/mobileApps").await;
    assert_eq!(values_of(&apps).len(), 5);
    assert_eq!(
        lab.values(
            "/beta/deviceAppManagement/mobileApps?$filter=isof('microsoft.graph.win32LobApp')"
        )
        .await
        .len(),
        2
    );
    let app = lab
        .get_ok(&format!("/v1.0/deviceAppManagement/mobileApps/{WIN32_APP}"))
        .await;
    assert_eq!(app["@odata.type"], "#microsoft.graph.win32LobApp");
    assert!(app.get("roleScopeTagIds").is_none(), "beta-only on v1.0");
    let scripts = lab
        .get_ok("/beta/deviceManagement/deviceManagementScripts")
        .await;
    assert_eq!(values_of(&scripts).len(), 3);
    let _ = lab
        .get_ok(&format!(
            "/beta/deviceManagement/deviceManagementScripts/{SCRIPT}"
        ))
        .await;
    let (status, _) = lab
        .post("/beta/deviceAppManagement/mobileApps", json!({}))
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}
