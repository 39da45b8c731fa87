//! `POST /{version}/$batch`.

use crate::common::{Lab, assert_graph_error, expect};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn by_id<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no response {id}: {body}"))
}

#[tokio::test]
async fn runs_requests_with_dependencies() {
    let lab = Lab::start().await;
    let body = expect(lab
        .post(
            "/v1.0/$batch",
            json!({"requests": [
                {"id": "1", "method": "POST", "url": "/groups",
                 "headers": {"Content-Type": "application/json"},
                 "body": {"displayName": "B", "mailEnabled": false, "mailNickname": "b", "securityEnabled": true}},
                {"id": "2", "method": "GET", "url": "/servicePrincipals(appId='f1346770-5b25-470b-88bd-d5744ab7952c')?$select=id,appId", "dependsOn": ["1"]},
                {"id": "3", "method": "GET", "url": "groups/11111111-2222-4333-8444-555555555555"},
                {"id": "4", "method": "GET", "url": "/users", "dependsOn": ["3"]},
                {"id": "5", "method": "GET", "url": "/users?$top=1", "dependsOn": ["4"]}
            ]}),
        )
        .await, StatusCode::OK);
    let created = by_id(&body, "1");
    assert_eq!(created["status"], 201);
    assert_eq!(created["body"]["displayName"], "B");
    assert!(created["headers"]["Location"].is_string());
    let sp = by_id(&body, "2");
    assert_eq!(sp["status"], 200);
    assert_eq!(sp["body"]["appId"], "f1346770-5b25-470b-88bd-d5744ab7952c");
    let missing = by_id(&body, "3");
    assert_eq!(missing["status"], 404);
    assert_eq!(missing["body"]["error"]["code"], "Request_ResourceNotFound");
    assert_eq!(by_id(&body, "4")["status"], 424);
    assert_eq!(
        by_id(&body, "4")["body"]["error"]["code"],
        "FailedDependency"
    );
    assert_eq!(by_id(&body, "5")["status"], 424, "failures propagate");

    // Intune paths on beta, with per-item validation errors.
    let body = expect(lab
        .post(
            "/beta/$batch",
            json!({"requests": [
                {"id": "a", "method": "GET", "url": "/deviceManagement/deviceEnrollmentConfigurations"},
                {"id": "b", "method": "POST", "url": "/deviceManagement/deviceConfigurations",
                 "headers": {"content-type": "application/json"}, "body": {"displayName": "x"}},
                {"id": "c", "method": "POST", "url": "/groups", "body": {"displayName": "x"}},
                {"id": "d", "method": "GET", "url": "/$batch"}
            ]}),
        )
        .await, StatusCode::OK);
    assert_eq!(by_id(&body, "a")["status"], 200);
    assert_eq!(by_id(&body, "b")["status"], 400);
    assert_eq!(
        by_id(&body, "c")["status"],
        400,
        "a body needs a Content-Type"
    );
    assert_eq!(by_id(&body, "d")["status"], 400);
}

#[tokio::test]
async fn malformed_batches_are_refused_whole() {
    let lab = Lab::start().await;
    let get = |id: &str| json!({"id": id, "method": "GET", "url": "/users"});
    let too_many: Vec<Value> = (0..21).map(|i| get(&i.to_string())).collect();
    for (body, needle) in [
        (json!({"requests": too_many}), "exceeds the limit of 20"),
        (
            json!({"requests": [get("1"), get("1")]}),
            "ids must be unique",
        ),
        (
            json!({"requests": [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/users"}]}),
            "must be relative",
        ),
        (
            json!({"requests": [{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["2"]}, get("2")]}),
            "not an earlier request",
        ),
        (json!({"requests": []}), "at least one request"),
        (json!({"nope": []}), "Invalid batch payload format"),
    ] {
        let (status, error) = lab.post("/v1.0/$batch", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{needle}: {error}");
        assert_graph_error(&error, "BadRequest", needle);
    }
    let (status, _) = lab.get("/v1.0/$batch").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn items_are_throttled_one_by_one() {
    let lab = Lab::start().await;
    lab.settings(json!({"throttle_limits": {"intune_requests": 2}}))
        .await;
    let get = |id: &str| json!({"id": id, "method": "GET", "url": "/deviceManagement/deviceEnrollmentConfigurations"});
    let body = expect(
        lab.post(
            "/beta/$batch",
            json!({"requests": [get("1"), get("2"), get("3")]}),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(by_id(&body, "1")["status"], 200);
    assert_eq!(by_id(&body, "2")["status"], 200);
    let throttled = by_id(&body, "3");
    assert_eq!(throttled["status"], 429);
    assert!(
        throttled["headers"]["Retry-After"].is_string(),
        "{throttled}"
    );
}
