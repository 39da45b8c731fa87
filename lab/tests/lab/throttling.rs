//! Throttling per app per tenant: Intune families and the directory, 429 with `Retry-After`.

use std::time::Duration;

use crate::common::{Lab, assert_graph_error, read, retry_after_seconds, values_of};
use autopilot_lab::LabConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

const ESPS: &str = "/beta/deviceManagement/deviceEnrollmentConfigurations";

fn esp(i: usize) -> serde_json::Value {
    json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration", "displayName": format!("ESP-{i}")})
}

#[tokio::test]
async fn documented_intune_write_budget_is_enforced_by_default() {
    let lab = Lab::start().await;
    for i in 0..100 {
        lab.create(ESPS, esp(i)).await;
    }
    let response = lab.call(Method::POST, ESPS, Some(esp(100))).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = retry_after_seconds(&response);
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    let (_, body) = read(response).await;
    assert_graph_error(&body, "TooManyRequests", "Please retry again later.");
    // Reads have their own (larger) budget; other families are not affected.
    let _ = lab.get_ok(ESPS).await;
    let _ = lab
        .create(crate::common::CONFIGS, crate::common::domain_join("DJ"))
        .await;
    // The throttled request did not create anything.
    let objects = lab.objects().await;
    assert_eq!(
        objects["deviceEnrollmentConfigurations"]
            .as_array()
            .unwrap()
            .len(),
        101,
        "100 plus the default ESP"
    );
}

#[tokio::test]
async fn retry_after_is_enough_and_settings_switch_it_off() {
    let lab = Lab::start().await;
    lab.settings(
        json!({"throttle_limits": {"directory_requests": 2, "directory_window_ms": 1000}}),
    )
    .await;
    for _ in 0..2 {
        let _ = lab.get_ok("/v1.0/users").await;
    }
    let response = lab.call(Method::GET, "/v1.0/groups", None).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = retry_after_seconds(&response);
    assert_eq!(retry_after, 1);
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let _ = lab.get_ok("/v1.0/groups").await;

    let settings = lab.settings(json!({"throttling": false})).await;
    assert_eq!(settings["throttling"], false);
    for _ in 0..5 {
        let _ = lab.get_ok("/v1.0/users").await;
    }
    let (status, body) = lab
        .control(Method::PUT, "settings", Some(json!({"throttling": "off"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = lab
        .control(Method::PUT, "settings", Some(json!({"nope": 1})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn throttling_can_be_off_from_the_start() {
    let lab = Lab::start_with(LabConfig {
        throttling: false,
        ..LabConfig::default()
    })
    .await;
    lab.settings(json!({"throttle_limits": {"intune_requests": 1}}))
        .await;
    for _ in 0..3 {
        let _ = lab.get_ok(ESPS).await;
    }
    let (_, settings) = lab.control(Method::GET, "settings", None).await;
    assert_eq!(settings["throttling"], false);
    assert_eq!(
        settings["effective_page_sizes"]["groups"],
        json!({"default": 100, "max": 999})
    );
}

#[tokio::test]
async fn page_sizes_are_settings() {
    let lab = Lab::start().await;
    lab.settings(json!({"page_sizes": {"users": 1}})).await;
    let (_, page) = lab.get("/v1.0/users").await;
    assert_eq!(values_of(&page).len(), 1);
    let (status, _) = lab.get("/v1.0/users?$top=2").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "directory $top above the maximum"
    );
    lab.settings(json!({"page_sizes": {"mobileApps": 2}})).await;
    let (_, page) = lab.get("/beta/deviceAppManagement/mobileApps?$top=4").await;
    assert_eq!(values_of(&page).len(), 2, "Intune caps $top");
    lab.settings(json!({"page_sizes": {"users": null}, "page_size": 2}))
        .await;
    assert_eq!(lab.values("/v1.0/users").await.len(), 2);
}
