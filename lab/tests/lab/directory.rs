//! `/groups`, `/servicePrincipals`, `/users`, `/directoryObjects`.

use std::time::Duration;

use crate::common::{Lab, PROVISIONING_SP, assert_error, expect, string_of, values_of};
use autopilot_lab::LabConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PROVISIONING_APP: &str = "f1346770-5b25-470b-88bd-d5744ab7952c";
const ADELE: &str = "7ab1ab00-0000-4000-8000-0000000b0001";

fn security_group(name: &str) -> Value {
    json!({
        "displayName": name,
        "description": "",
        "mailEnabled": false,
        "mailNickname": name.to_lowercase(),
        "securityEnabled": true,
        "groupTypes": []
    })
}

/// A security group `x` with `property` set to `value`, or without it when `value` is `None`.
fn security_group_with(property: &str, value: Option<Value>) -> Value {
    let mut body = security_group("x");
    match value {
        Some(value) => body[property] = value,
        None => {
            body.as_object_mut().map(|b| b.remove(property));
        }
    }
    body
}

async fn create_group(lab: &Lab, body: Value) -> String {
    let created = lab.create("/v1.0/groups", body).await;
    created["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn create_security_group_and_read_it_back() {
    let lab = Lab::start().await;
    let body = lab
        .create("/v1.0/groups", security_group("AP-Devices"))
        .await;
    assert_eq!(
        body["@odata.context"],
        format!("{}/v1.0/$metadata#groups/$entity", lab.info().graph_url)
    );
    assert!(body.get("@odata.type").is_none());
    let id = body["id"].as_str().unwrap();
    assert_eq!(body["groupTypes"], json!([]));
    assert_eq!(body["securityEnabled"], true);
    assert_eq!(body["mail"], Value::Null);
    assert_eq!(body["proxyAddresses"], json!([]));
    assert!(string_of(&body["securityIdentifier"]).starts_with("S-1-12-1-"));
    let created = body["createdDateTime"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 20, "{created}");

    for version in ["v1.0", "beta"] {
        let got = lab.get_ok(&format!("/{version}/groups/{id}")).await;
        assert_eq!(got["displayName"], "AP-Devices");
    }
    let (_, list) = lab
        .get("/v1.0/groups?$filter=displayName eq 'AP-Devices'&$select=id,displayName")
        .await;
    assert_eq!(values_of(&list).len(), 1);
    assert!(list["value"][0].get("mailNickname").is_none());
    let _ = lab
        .get_ok("/v1.0/groups?$filter=startswith(displayName,'AP-')")
        .await;

    let object = lab.get_ok(&format!("/v1.0/directoryObjects/{id}")).await;
    assert_eq!(object["@odata.type"], "#microsoft.graph.group");
}

#[tokio::test]
async fn group_validation() {
    let lab = Lab::start().await;
    for (body, code, needle) in [
        (
            security_group_with("mailNickname", Some(json!("has space"))),
            "Request_BadRequest",
            "Invalid value specified for property 'mailNickname' of resource 'Group'.",
        ),
        (
            security_group_with("mailNickname", None),
            "Request_BadRequest",
            "A value is required for property 'mailNickname' of resource 'Group'.",
        ),
        (
            security_group_with("displayName", None),
            "Request_BadRequest",
            "A value is required for property 'displayName'",
        ),
        (
            security_group_with("mailEnabled", Some(json!(true))),
            "Request_BadRequest",
            "does not currently support writes of mail-enabled groups",
        ),
        (
            security_group_with("colour", Some(json!("blue"))),
            "Request_BadRequest",
            "Invalid property 'colour'.",
        ),
        (
            security_group_with("createdDateTime", Some(json!("2025-01-01T00:00:00Z"))),
            "Request_BadRequest",
            "read-only",
        ),
        (
            security_group_with("groupTypes", Some(json!(["DynamicMembership"]))),
            "Request_BadRequest",
            "membershipRule",
        ),
        (
            security_group_with(
                "membershipRule",
                Some(json!("(device.deviceOSType -eq \"Windows\")")),
            ),
            "Request_BadRequest",
            "DynamicMembership",
        ),
    ] {
        assert_error(
            lab.post("/v1.0/groups", body).await,
            StatusCode::BAD_REQUEST,
            code,
            needle,
        );
    }
    assert_error(
        lab.get("/v1.0/groups/6f1b5b3e-7c55-4a7e-9a51-2a4c1a4b0c11")
            .await,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        "Resource '6f1b5b3e-7c55-4a7e-9a51-2a4c1a4b0c11' does not exist",
    );
    assert_error(
        lab.get("/v1.0/groups?$top=1000").await,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "Must be between 1 and 999",
    );
}

#[tokio::test]
async fn dynamic_group_patch_and_delete() {
    let lab = Lab::start().await;
    let mut body = security_group("AP-All");
    body["groupTypes"] = json!(["DynamicMembership"]);
    body["membershipRule"] = json!(r#"(device.devicePhysicalIDs -any (_ -contains "[ZTDID]"))"#);
    let created = lab.create("/beta/groups", body).await;
    assert_eq!(created["membershipRuleProcessingState"], "On");
    let id = created["id"].as_str().unwrap();

    expect(
        lab.patch(
            &format!("/beta/groups/{id}"),
            json!({"membershipRuleProcessingState": "Paused", "description": "paused"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let (_, got) = lab.get(&format!("/beta/groups/{id}")).await;
    assert_eq!(got["membershipRuleProcessingState"], "Paused");
    assert_eq!(got["description"], "paused");

    assert_error(
        lab.patch(
            &format!("/beta/groups/{id}"),
            json!({"mailNickname": "a:b"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "mailNickname",
    );

    // Static again: the rule goes away.
    expect(
        lab.patch(&format!("/beta/groups/{id}"), json!({"groupTypes": []}))
            .await,
        StatusCode::NO_CONTENT,
    );
    let (_, got) = lab.get(&format!("/beta/groups/{id}")).await;
    assert_eq!(got["membershipRule"], Value::Null);

    expect(
        lab.delete(&format!("/beta/groups/{id}")).await,
        StatusCode::NO_CONTENT,
    );
    let (status, _) = lab.delete(&format!("/beta/groups/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Graph lists owners the caller may not read as limited objects: `@odata.type` and `id`, every
/// other property null. Application.Read.All shows service principals whole, Directory.Read.All
/// both kinds.
#[tokio::test]
async fn owners_the_caller_may_not_read_are_limited_objects() {
    async fn owners_seen_with(roles: &[&str]) -> Vec<Value> {
        let lab = Lab::start_with(LabConfig {
            roles: Some(roles.iter().map(|r| r.to_string()).collect()),
            ..LabConfig::default()
        })
        .await;
        let id = create_group(&lab, security_group("AP-Limited")).await;
        for owner in [PROVISIONING_SP, ADELE] {
            let reference = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{owner}")});
            let (status, body) = lab
                .post(&format!("/v1.0/groups/{id}/owners/$ref"), reference)
                .await;
            assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        }
        let owners = lab.get_ok(&format!("/v1.0/groups/{id}/owners")).await;
        owners["value"].as_array().cloned().unwrap_or_default()
    }

    let limited = owners_seen_with(&["Group.ReadWrite.All"]).await;
    assert_eq!(limited.len(), 2, "{limited:?}");
    for owner in &limited {
        assert!(owner["id"].is_string(), "{owner}");
        assert!(owner["@odata.type"].is_string(), "{owner}");
        assert_eq!(owner["displayName"], Value::Null, "{owner}");
    }
    assert_eq!(limited[0]["appId"], Value::Null, "{limited:?}");

    let apps = owners_seen_with(&["Group.ReadWrite.All", "Application.Read.All"]).await;
    assert_eq!(apps[0]["appId"], PROVISIONING_APP, "{apps:?}");
    assert_eq!(apps[1]["displayName"], Value::Null, "{apps:?}");

    let all = owners_seen_with(&["Group.ReadWrite.All", "Directory.Read.All"]).await;
    assert_eq!(all[0]["appId"], PROVISIONING_APP, "{all:?}");
    assert!(all[1]["displayName"].is_string(), "{all:?}");
}

#[tokio::test]
async fn owners_add_list_remove() {
    let lab = Lab::start().await;
    let id = create_group(&lab, security_group("AP-Owned")).await;
    let reference = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{PROVISIONING_SP}")});
    let (status, body) = lab
        .post(&format!("/v1.0/groups/{id}/owners/$ref"), reference.clone())
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_error(
        lab.post(&format!("/v1.0/groups/{id}/owners/$ref"), reference)
            .await,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "One or more added object references already exist for the following modified properties: 'owners'.",
    );
    expect(
        lab.post(
            &format!("/v1.0/groups/{id}/owners/$ref"),
            json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{ADELE}")}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_error(lab
        .post(
            &format!("/v1.0/groups/{id}/owners/$ref"),
            json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/11111111-2222-4333-8444-555555555555"}),
        )
        .await, StatusCode::NOT_FOUND, "Request_ResourceNotFound",
        "11111111-2222-4333-8444-555555555555");
    let (status, _) = lab
        .post(
            &format!("/v1.0/groups/{id}/owners/$ref"),
            json!({"@odata.id": "not a url"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let owners = lab.get_ok(&format!("/v1.0/groups/{id}/owners")).await;
    assert!(string_of(&owners["@odata.context"]).ends_with("#directoryObjects"));
    let owners = values_of(&owners);
    assert_eq!(owners.len(), 2);
    assert_eq!(
        owners[0]["@odata.type"],
        "#microsoft.graph.servicePrincipal"
    );
    assert_eq!(owners[0]["appId"], PROVISIONING_APP);
    assert_eq!(owners[1]["@odata.type"], "#microsoft.graph.user");

    expect(
        lab.delete(&format!("/v1.0/groups/{id}/owners/{PROVISIONING_SP}/$ref"))
            .await,
        StatusCode::NO_CONTENT,
    );
    let (status, _) = lab
        .delete(&format!("/v1.0/groups/{id}/owners/{PROVISIONING_SP}/$ref"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The last owner, a user, stays.
    assert_error(
        lab.delete(&format!("/v1.0/groups/{id}/owners/{ADELE}/$ref"))
            .await,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "at least one owner",
    );

    // owners@odata.bind at creation.
    let mut body = security_group("AP-Bound");
    body["owners@odata.bind"] = json!([format!(
        "https://graph.microsoft.com/v1.0/directoryObjects/{PROVISIONING_SP}"
    )]);
    let bound = create_group(&lab, body).await;
    let (_, owners) = lab.get(&format!("/v1.0/groups/{bound}/owners")).await;
    assert_eq!(owners["value"][0]["id"], PROVISIONING_SP);
    let mut body = security_group("AP-Bad");
    body["owners@odata.bind"] = json!([
        "https://graph.microsoft.com/v1.0/directoryObjects/11111111-2222-4333-8444-555555555555"
    ]);
    assert_error(
        lab.post("/v1.0/groups", body).await,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "does not exist",
    );
}

#[tokio::test]
async fn service_principals_by_app_id_and_create() {
    let lab = Lab::start().await;
    let path = format!("/v1.0/servicePrincipals(appId='{PROVISIONING_APP}')");
    let sp = lab.get_ok(&path).await;
    assert_eq!(sp["id"], PROVISIONING_SP);
    assert_eq!(sp["displayName"], "Intune Provisioning Client");
    assert!(string_of(&sp["@odata.context"]).ends_with("#servicePrincipals/$entity"));
    assert_eq!(lab.values(&format!(
            "/v1.0/servicePrincipals?$filter=appId eq '{PROVISIONING_APP}'&$select=id,appId,displayName"
        )).await.len(), 1);

    assert_error(
        lab.post(
            "/v1.0/servicePrincipals",
            json!({"appId": PROVISIONING_APP}),
        )
        .await,
        StatusCode::CONFLICT,
        "Request_MultipleObjectsWithSameKeyValue",
        "already exists",
    );
    assert_error(
        lab.post(
            "/v1.0/servicePrincipals",
            json!({"appId": "11111111-2222-4333-8444-555555555555"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "does not reference a valid application",
    );
    let (status, _) = lab.post("/v1.0/servicePrincipals", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Delete by alternate key, then create again.
    expect(lab.delete(&path).await, StatusCode::NO_CONTENT);
    let (status, error) = lab.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["error"]["code"], "Request_ResourceNotFound");
    let created = lab
        .create(
            "/beta/servicePrincipals",
            json!({"appId": PROVISIONING_APP}),
        )
        .await;
    assert_ne!(created["id"], PROVISIONING_SP);
    assert_eq!(created["appId"], PROVISIONING_APP);
}

#[tokio::test]
async fn without_provisioning_client_flag() {
    let lab = Lab::start_with(LabConfig {
        without_provisioning_client: true,
        ..LabConfig::default()
    })
    .await;
    let (status, _) = lab
        .get(&format!(
            "/v1.0/servicePrincipals(appId='{PROVISIONING_APP}')"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let _ = lab
        .create(
            "/v1.0/servicePrincipals",
            json!({"appId": PROVISIONING_APP}),
        )
        .await;
}

#[tokio::test]
async fn replication_delay_hides_new_objects() {
    let lab = Lab::start().await;
    lab.settings(json!({"replication_delay_ms": 400})).await;
    let id = create_group(&lab, security_group("AP-Slow")).await;
    assert_error(
        lab.get(&format!("/v1.0/groups/{id}")).await,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        &id,
    );
    let (_, list) = lab.get("/v1.0/groups").await;
    assert_eq!(list["value"], json!([]));
    let (status, _) = lab
        .post(
            &format!("/v1.0/groups/{id}/owners/$ref"),
            json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{PROVISIONING_SP}")}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = lab.get_ok(&format!("/v1.0/groups/{id}")).await;
    lab.add_provisioning_owner(&id).await;
}

#[tokio::test]
async fn users_are_seeded() {
    let lab = Lab::start().await;
    let list = lab.get_ok("/v1.0/users").await;
    assert_eq!(values_of(&list).len(), 3);
    let user = lab
        .get_ok("/v1.0/users/adele.vance@autopilotlab.onmicrosoft.com")
        .await;
    assert_eq!(user["id"], ADELE);
    let (status, _) = lab.get("/v1.0/users/nobody@example.com").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Writing users needs User.ReadWrite.All, which the lab does not grant.
    assert_error(
        lab.post("/v1.0/users", json!({})).await,
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges",
    );
    let (_, page) = lab.get("/v1.0/users?$top=2").await;
    assert_eq!(values_of(&page).len(), 2);
    assert!(page["@odata.nextLink"].is_string());
}

#[tokio::test]
async fn organization_is_the_tenant_with_its_default_domain() {
    let lab = Lab::start().await;
    let tenant = lab.info().tenant_id.clone();
    for version in ["v1.0", "beta"] {
        let body = lab.get_ok(&format!("/{version}/organization")).await;
        let organizations = values_of(&body);
        assert_eq!(organizations.len(), 1, "{body}");
        let organization = &organizations[0];
        assert_eq!(organization["id"], json!(tenant));
        let domains = organization["verifiedDomains"].as_array().unwrap();
        let default: Vec<&Value> = domains.iter().filter(|d| d["isDefault"] == true).collect();
        assert_eq!(default.len(), 1, "{body}");
        assert_eq!(default[0]["name"], "autopilotlab.onmicrosoft.com");

        let one = lab
            .get_ok(&format!("/{version}/organization/{tenant}"))
            .await;
        assert_eq!(one["id"], json!(tenant));
        assert!(string_of(&one["@odata.context"]).ends_with("#organization/$entity"));
    }
    let (status, body) = lab
        .get("/v1.0/organization/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = lab.post("/v1.0/organization", json!({})).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn organization_needs_a_directory_or_organization_role() {
    let lab = Lab::with_roles(&["Group.Read.All"]).await;
    assert_error(
        lab.get("/v1.0/organization").await,
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "privileges",
    );

    let lab = Lab::with_roles(&["Organization.Read.All"]).await;
    lab.get_ok("/v1.0/organization").await;
}
