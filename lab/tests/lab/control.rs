//! The `/_lab/` control API.

use crate::common::{CONFIGS, Lab, expect, send, string_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn request_log_records_graph_and_token_requests_in_order() {
    let lab = Lab::start().await; // one token request
    let id = lab.create_domain_join("DJ").await;
    let _ = lab.get_ok(&format!("{CONFIGS}?$top=5")).await;
    let (status, _) = lab.get(&format!("{CONFIGS}/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(lab.http.get(lab.url(CONFIGS))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let log = lab.request_log().await;
    let summary: Vec<(String, String, Value, u64)> = log
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_owned(),
                e["path"].as_str().unwrap().to_owned(),
                e["query"].clone(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let tenant = &lab.info().tenant_id;
    assert_eq!(
        summary,
        vec![
            (
                "POST".into(),
                format!("/{tenant}/oauth2/v2.0/token"),
                Value::Null,
                200
            ),
            ("POST".into(), CONFIGS.into(), Value::Null, 201),
            ("GET".into(), CONFIGS.into(), json!("$top=5"), 200),
            ("GET".into(), format!("{CONFIGS}/nope"), Value::Null, 404),
            ("GET".into(), CONFIGS.into(), Value::Null, 401),
        ]
    );
    for entry in &log {
        assert!(entry["duration_ms"].is_u64(), "{entry}");
        assert!(entry["request_id"].is_string(), "{entry}");
    }
    assert!(!id.is_empty());

    // /_lab requests are not logged; DELETE clears.
    let response = lab.control_raw(Method::DELETE, "requests").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(lab.request_log().await, Vec::<Value>::new());
    let _ = lab.get_ok(CONFIGS).await;
    let log = lab.request_log().await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["path"], CONFIGS);
}

#[tokio::test]
async fn objects_dump_and_reset() {
    let lab = Lab::start().await;
    let id = lab.create_domain_join("DJ").await;
    let _ = expect(lab
        .post(
            &format!("{CONFIGS}/{id}/assign"),
            json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]}),
        )
        .await, StatusCode::OK);

    let objects = lab.objects().await;
    assert_eq!(objects["deviceConfigurations"][0]["id"], id);
    assert_eq!(objects["deviceConfigurations"][0]["displayName"], "DJ");
    assert_eq!(objects["deviceConfigurationAssignments"][0]["sourceId"], id);

    let response = lab.http.post(lab.url("/_lab/reset")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let objects = lab.objects().await;
    assert_eq!(objects["deviceConfigurations"], json!([]));
    assert_eq!(objects["deviceConfigurationAssignments"], json!([]));
    // The seeded objects are back.
    assert_eq!(
        objects["deviceEnrollmentConfigurations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(lab.request_log().await.is_empty(), "reset clears the log");

    // Tokens survive a reset; the tenant is empty.
    let list = lab.get_ok(CONFIGS).await;
    assert_eq!(list["value"], json!([]));
}

#[tokio::test]
async fn control_api_needs_no_token_and_unknown_paths_are_graph_errors() {
    let lab = Lab::start().await;
    let response = lab.control_raw(Method::GET, "requests").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("request-id"));

    let (status, body) = send(lab.http.get(lab.url("/_lab/nope"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "NotFound");

    let (status, body) = send(lab.http.get(lab.url("/v2/foo"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["message"], "Invalid version: v2");

    let (status, body) = send(lab.http.put(lab.url("/_lab/reset"))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"]["code"], "BadRequest");
}

#[tokio::test]
async fn request_bodies_are_recorded_only_when_asked_and_never_for_tokens() {
    let lab = Lab::start().await;
    lab.create_domain_join("Before").await;
    let log = lab.request_log().await;
    assert!(
        log.iter().all(|e| e.get("body").is_none()),
        "off by default: {log:?}"
    );

    lab.settings(json!({"record_request_bodies": true})).await;
    let id = lab.create_domain_join("After").await;
    let (status, _) = lab
        .patch(&format!("{CONFIGS}/{id}"), json!({"@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration", "description": "d"}))
        .await;
    assert!(status.is_success(), "{status}");
    let _ = lab.get_ok(CONFIGS).await;
    // A fresh token request: its form carries the client secret.
    crate::common::fetch_token(&lab.http, lab.info()).await;

    let log = lab.request_log().await;
    let post = log
        .iter()
        .rfind(|e| e["method"] == "POST" && e["path"] == CONFIGS)
        .unwrap();
    assert_eq!(post["body"], crate::common::domain_join("After"));
    let patch = log.iter().find(|e| e["method"] == "PATCH").unwrap();
    assert_eq!(patch["body"]["description"], "d");
    let get = log.iter().rfind(|e| e["method"] == "GET").unwrap();
    assert!(get.get("body").is_none(), "{get}");
    let token = log.last().unwrap();
    assert!(string_of(&token["path"]).ends_with("/token"), "{token}");
    assert!(token.get("body").is_none(), "{token}");
}
