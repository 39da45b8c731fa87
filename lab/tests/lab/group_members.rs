//! `/groups/{id}/members`: assigned members bound at creation, added and removed by `$ref`,
//! listed with directory paging; the refusals of Graph (a member twice, a missing object, a
//! dynamic group); a device's `memberOf`; and the create-only properties `isAssignableToRole`
//! and `HiddenMembership` visibility.

use crate::common::{Lab, assert_error, assert_graph_error, expect, values_of};
use crate::device_assignment::{dynamic_group, entra_device, fast_lab, register};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ADELE: &str = "7ab1ab00-0000-4000-8000-0000000b0001";
const ALEX: &str = "7ab1ab00-0000-4000-8000-0000000b0002";
const MISSING: &str = "00000000-0000-4000-8000-000000000009";

fn object_url(lab: &Lab, id: &str) -> String {
    format!("{}/v1.0/directoryObjects/{id}", lab.info().graph_url)
}

fn group_body(name: &str) -> Value {
    json!({"displayName": name, "mailEnabled": false, "mailNickname": name,
           "securityEnabled": true, "groupTypes": []})
}

/// The member ids `GET /groups/{id}/members` lists, following `@odata.nextLink`.
async fn member_ids(lab: &Lab, group: &str, top: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut next = Some(format!(
        "/v1.0/groups/{group}/members?$select=id&$top={top}"
    ));
    while let Some(path) = next {
        let page = lab.get_ok(&path).await;
        for member in values_of(&page) {
            assert!(member["@odata.type"].is_string(), "{member}");
            ids.push(member["id"].as_str().unwrap().to_owned());
        }
        next = page["@odata.nextLink"]
            .as_str()
            .map(|link| link.trim_start_matches(&lab.info().graph_url).to_owned());
    }
    ids
}

/// `POST /groups/{group}/members/$ref` for `member`.
async fn add(lab: &Lab, group: &str, member: &str) -> (StatusCode, Value) {
    let body = json!({"@odata.id": object_url(lab, member)});
    lab.post(&format!("/v1.0/groups/{group}/members/$ref"), body)
        .await
}

#[tokio::test]
async fn members_bound_at_creation_added_listed_and_removed() {
    let lab = fast_lab().await;
    let device = entra_device(&lab, &register(&lab, "MEMBER-1", "").await).await;
    let device_id = device["id"].as_str().unwrap().to_owned();
    let nested = lab.create("/v1.0/groups", group_body("nested")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut body = group_body("members");
    body["members@odata.bind"] = json!([object_url(&lab, ADELE), object_url(&lab, &device_id)]);
    let group = lab.create("/v1.0/groups", body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(member_ids(&lab, &group, 999).await, [ADELE, &device_id]);

    // Added by reference, listed page by page in the order added.
    for id in [ALEX, &nested] {
        assert_eq!(add(&lab, &group, id).await.0, StatusCode::NO_CONTENT);
    }
    assert_eq!(
        member_ids(&lab, &group, 1).await,
        [ADELE, &device_id, ALEX, &nested]
    );
    let memberships = lab
        .get_ok(&format!("/v1.0/devices/{device_id}/memberOf"))
        .await;
    assert_eq!(memberships["value"][0]["id"], json!(group), "{memberships}");

    // Graph's refusals.
    let twice = assert_error(
        add(&lab, &group, ALEX).await,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "already exist",
    );
    assert_graph_error(&twice, "Request_BadRequest", "'members'");
    assert_error(
        add(&lab, &group, MISSING).await,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        MISSING,
    );
    let (status, _) = add(&lab, &group, &group).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = lab
        .get(&format!("/v1.0/groups/{group}/members?$top=1000"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Removed by reference; a member removed twice is 404.
    let remove = format!("/v1.0/groups/{group}/members/{ALEX}/$ref");
    assert_eq!(lab.delete(&remove).await.0, StatusCode::NO_CONTENT);
    assert_eq!(lab.delete(&remove).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        member_ids(&lab, &group, 100).await,
        [ADELE, &device_id, &nested]
    );

    // A member that is deleted leaves the group.
    assert_eq!(
        lab.delete(&format!("/v1.0/groups/{nested}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(member_ids(&lab, &group, 100).await, [ADELE, &device_id]);

    // Turning the group dynamic removes its assigned members; the rule's devices are members.
    let rule = r#"(device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]"))"#;
    expect(
        lab.patch(
            &format!("/v1.0/groups/{group}"),
            json!({"groupTypes": ["DynamicMembership"], "membershipRule": rule,
                   "membershipRuleProcessingState": "On"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(member_ids(&lab, &group, 100).await, [device_id.as_str()]);
}

#[tokio::test]
async fn dynamic_groups_and_bad_bindings_refuse_members() {
    let lab = fast_lab().await;
    let dynamic = dynamic_group(&lab, "dyn", "Sales").await;
    assert_error(
        add(&lab, &dynamic, ADELE).await,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "dynamic membership",
    );

    // A missing member at creation: 400, and no group is made.
    let mut body = group_body("missing-member");
    body["members@odata.bind"] = json!([object_url(&lab, MISSING)]);
    assert_error(
        lab.post("/v1.0/groups", body).await,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "does not exist",
    );
    // More than 20 owners and members at once.
    let mut body = group_body("too-many");
    body["members@odata.bind"] = json!(vec![object_url(&lab, ADELE); 21]);
    assert_eq!(
        lab.post("/v1.0/groups", body).await.0,
        StatusCode::BAD_REQUEST
    );
    let listed = lab
        .get_ok("/v1.0/groups?$filter=displayName eq 'missing-member'")
        .await;
    assert_eq!(listed["value"], json!([]));
}

#[tokio::test]
async fn role_assignable_groups_and_hidden_membership_are_set_at_creation() {
    let lab = Lab::start().await;
    let mut body = group_body("admins");
    body["isAssignableToRole"] = json!(true);
    let created = lab.create("/v1.0/groups", body).await;
    assert_eq!(created["visibility"], "Private", "{created}");
    let id = created["id"].as_str().unwrap();
    assert_error(
        lab.patch(
            &format!("/v1.0/groups/{id}"),
            json!({"isAssignableToRole": false}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        "isAssignableToRole",
    );

    let refused = [
        json!({"isAssignableToRole": true, "visibility": "Public"}),
        json!({"isAssignableToRole": true, "groupTypes": ["DynamicMembership"],
               "membershipRule": "(device.deviceOSType -eq \"Windows\")"}),
        json!({"visibility": "HiddenMembership"}),
        json!({"visibility": "Secret"}),
    ];
    for extra in refused {
        let mut body = group_body("refused");
        for (name, value) in extra.as_object().unwrap() {
            body[name] = value.clone();
        }
        let (status, answer) = lab.post("/v1.0/groups", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{extra}: {answer}");
    }

    // Private and Public change in place.
    let plain = lab.create("/v1.0/groups", group_body("plain")).await;
    let plain = plain["id"].as_str().unwrap();
    expect(
        lab.patch(
            &format!("/v1.0/groups/{plain}"),
            json!({"visibility": "Public"}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let read = lab.get_ok(&format!("/v1.0/groups/{plain}")).await;
    assert_eq!(read["visibility"], "Public");
}
