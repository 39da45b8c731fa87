//! `/deviceManagement/roleScopeTags`: the built-in `Default` tag, numeric ids, the writes the
//! built-in tag refuses, paging and `$filter`, and the `roleScopeTagIds` default of the scoped
//! collections.

use crate::common::{CONFIGS, Lab, assert_wrapped_contains, domain_join, expect, values_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TAGS: &str = "/beta/deviceManagement/roleScopeTags";

fn tag(name: &str) -> Value {
    json!({"displayName": name, "description": format!("{name} admins")})
}

#[tokio::test]
async fn the_default_tag_is_built_in_and_cannot_be_changed_or_deleted() {
    let lab = Lab::start().await;
    let body = lab.get_ok(TAGS).await;
    let tags = values_of(&body);
    assert_eq!(tags.len(), 1, "{body}");
    assert_eq!(tags[0]["id"], "0");
    assert_eq!(tags[0]["displayName"], "Default");
    assert_eq!(tags[0]["isBuiltIn"], true);
    assert_eq!(tags[0]["@odata.type"], "#microsoft.graph.roleScopeTag");

    let (status, body) = lab
        .patch(&format!("{TAGS}/0"), json!({"displayName": "Mine"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_wrapped_contains(&body, "cannot be modified or deleted");
    let (status, body) = lab.delete(&format!("{TAGS}/0")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let body = lab.get_ok(&format!("{TAGS}/0")).await;
    assert_eq!(body["displayName"], "Default");
}

#[tokio::test]
async fn created_tags_get_numeric_ids_and_can_be_changed_and_deleted() {
    let lab = Lab::start().await;
    let first = lab.create(TAGS, tag("Paris")).await;
    assert_eq!(first["id"], "1");
    assert_eq!(first["isBuiltIn"], false);
    assert_eq!(first["description"], "Paris admins");
    let second = lab.create(TAGS, tag("London")).await;
    assert_eq!(second["id"], "2");

    expect(
        lab.patch(&format!("{TAGS}/1"), json!({"description": "changed"}))
            .await,
        StatusCode::NO_CONTENT,
    );
    let read = lab.get_ok(&format!("{TAGS}/1")).await;
    assert_eq!(read["description"], "changed");
    assert_eq!(read["displayName"], "Paris");

    lab.delete_and_gone(&format!("{TAGS}/1")).await;
    // A freed id is not given again, even once it is the highest.
    let third = lab.create(TAGS, tag("Oslo")).await;
    assert_eq!(third["id"], "3");
    expect(
        lab.delete(&format!("{TAGS}/3")).await,
        StatusCode::NO_CONTENT,
    );
    let fourth = lab.create(TAGS, tag("Rome")).await;
    assert_eq!(fourth["id"], "4");
}

#[tokio::test]
async fn bad_payloads_are_refused() {
    let lab = Lab::start().await;
    let (status, body) = lab.post(TAGS, json!({"description": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = lab.post(TAGS, json!({"displayName": " "})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = lab
        .post(TAGS, json!({"displayName": "x", "colour": "red"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let listed = lab.get_ok(TAGS).await;
    assert_eq!(values_of(&listed).len(), 1);
}

#[tokio::test]
async fn listing_pages_and_filters() {
    let lab = Lab::start().await;
    for name in ["A", "B", "C"] {
        lab.create(TAGS, tag(name)).await;
    }
    let page = lab.get_ok(&format!("{TAGS}?$top=2")).await;
    assert_eq!(values_of(&page).len(), 2);
    let next = page["@odata.nextLink"].as_str().expect("a next page");
    let rest = next.split("/beta/").nth(1).unwrap();
    let page = lab.get_ok(&format!("/beta/{rest}")).await;
    assert_eq!(values_of(&page).len(), 2);
    let found = lab
        .values(&format!("{TAGS}?$filter=displayName%20eq%20'b'"))
        .await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["displayName"], "B");
    // v1.0 has the collection too.
    lab.get_ok("/v1.0/deviceManagement/roleScopeTags").await;
}

#[tokio::test]
async fn an_empty_scope_tag_list_is_stored_as_the_default_tag() {
    let lab = Lab::start().await;
    let mut payload = domain_join("DJ");
    payload["roleScopeTagIds"] = json!([]);
    let created = lab.create(CONFIGS, payload).await;
    assert_eq!(created["roleScopeTagIds"], json!(["0"]));
    let id = created["id"].as_str().unwrap();
    let path = format!("{CONFIGS}/{id}");
    let patch = json!({"@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration", "roleScopeTagIds": ["1"]});
    expect(lab.patch(&path, patch).await, StatusCode::NO_CONTENT);
    assert_eq!(lab.get_ok(&path).await["roleScopeTagIds"], json!(["1"]));
    let patch = json!({"@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration", "roleScopeTagIds": []});
    expect(lab.patch(&path, patch).await, StatusCode::NO_CONTENT);
    assert_eq!(lab.get_ok(&path).await["roleScopeTagIds"], json!(["0"]));
}
