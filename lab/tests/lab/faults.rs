//! Fault injection (`/_lab/faults`), settings and foreign devices in the control API.

use std::time::{Duration, Instant};

use crate::common::{CONFIGS, Lab, assert_graph_error, domain_join, expect, read};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn set_faults(lab: &Lab, rules: Value) -> Value {
    expect(
        lab.control(Method::PUT, "faults", Some(rules)).await,
        StatusCode::OK,
    )
}

async fn configs_stored(lab: &Lab) -> usize {
    lab.objects().await["deviceConfigurations"]
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn status_with_retry_after_for_the_first_n_matches() {
    let lab = Lab::start().await;
    set_faults(
        &lab,
        json!({"rules": [{"id": "busy", "method": "POST", "path": "^/beta/deviceManagement/deviceConfigurations$",
                          "status": 503, "retry_after": "2.5", "count": 2}]}),
    )
    .await;
    for _ in 0..2 {
        let response = lab
            .call(Method::POST, CONFIGS, Some(domain_join("x")))
            .await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "2.5");
        let (_, body) = read(response).await;
        assert_graph_error(&body, "ServiceUnavailable", "temporarily unavailable");
    }
    assert_eq!(configs_stored(&lab).await, 0, "not applied");
    let _ = lab.create(CONFIGS, domain_join("x")).await;
    let _ = lab.get_ok(CONFIGS).await;

    let (_, rules) = lab.control(Method::GET, "faults", None).await;
    assert_eq!(rules["rules"][0]["fired"], 2);
    assert_eq!(rules["rules"][0]["matched"], 3);
    let log = lab.request_log().await;
    let faulted: Vec<&Value> = log.iter().filter(|e| e.get("fault").is_some()).collect();
    assert_eq!(faulted.len(), 2);
    assert_eq!(faulted[0]["fault"], "busy:status");
    assert_eq!(faulted[0]["status"], 503);

    expect(
        lab.control(Method::DELETE, "faults", None).await,
        StatusCode::NO_CONTENT,
    );
    let (_, rules) = lab.control(Method::GET, "faults", None).await;
    assert_eq!(rules["rules"], json!([]));
}

/// Posts a domain join configuration named `name` and returns the raw outcome: an error when
/// the connection is dropped.
async fn post_raw(lab: &Lab, name: &str) -> reqwest::Result<reqwest::Response> {
    lab.http
        .post(lab.url(CONFIGS))
        .bearer_auth(&lab.token)
        .json(&domain_join(name))
        .send()
        .await
}

#[tokio::test]
async fn after_commit_applies_then_fails_or_drops() {
    let lab = Lab::start().await;
    set_faults(
        &lab,
        json!([{"path": "deviceConfigurations$", "method": "POST", "status": 504, "after_commit": true, "count": 1}]),
    )
    .await;
    let (status, _) = lab.post(CONFIGS, domain_join("committed")).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(configs_stored(&lab).await, 1, "the write happened");

    set_faults(
        &lab,
        json!([{"path": "deviceConfigurations$", "method": "POST", "drop": true, "after_commit": true, "count": 1}]),
    )
    .await;
    let result = post_raw(&lab, "dropped").await;
    assert!(result.is_err(), "the connection is dropped: {result:?}");
    assert_eq!(configs_stored(&lab).await, 2, "the write happened anyway");
    let log = lab.request_log().await;
    assert_eq!(log.last().unwrap()["fault"], "rule-0:drop");

    // A drop before the lab applies anything.
    set_faults(
        &lab,
        json!([{"path": "deviceConfigurations$", "drop": true, "count": 1}]),
    )
    .await;
    let result = post_raw(&lab, "never").await;
    assert!(result.is_err());
    assert_eq!(configs_stored(&lab).await, 2);
    // The lab keeps serving.
    let _ = lab.get_ok(CONFIGS).await;
}

#[tokio::test]
async fn delays_and_seeded_probability() {
    let lab = Lab::start().await;
    set_faults(&lab, json!([{"path": "^/v1.0/users$", "delay_ms": 300}])).await;
    let started = Instant::now();
    let _ = lab.get_ok("/v1.0/users").await;
    assert!(started.elapsed() >= Duration::from_millis(300));

    let rules = json!([{"path": "^/v1.0/users$", "status": 429, "probability": 0.5, "seed": 42}]);
    let mut runs = Vec::new();
    for _ in 0..2 {
        set_faults(&lab, rules.clone()).await;
        let mut statuses = Vec::new();
        for _ in 0..16 {
            let (status, _) = lab.get("/v1.0/users").await;
            statuses.push(status.as_u16());
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1], "the same seed gives the same faults");
    assert!(
        runs[0].contains(&429) && runs[0].contains(&200),
        "{:?}",
        runs[0]
    );

    for bad in [
        json!([{"status": 500}]),
        json!([{"path": "[", "status": 500}]),
        json!([{"path": "x", "status": 500, "drop": true}]),
        json!({"rules": "x"}),
    ] {
        let (status, _) = lab.control(Method::PUT, "faults", Some(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn reset_clears_faults_and_foreign_devices_round_trip() {
    let lab = Lab::start().await;
    set_faults(&lab, json!([{"path": ".", "status": 500}])).await;
    let (status, _) = lab.get(CONFIGS).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    // The token endpoint is matched too.
    let response = lab
        .http
        .post(lab.info().token_url())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    expect(
        lab.control(Method::POST, "reset", None).await,
        StatusCode::NO_CONTENT,
    );
    let _ = lab.get_ok(CONFIGS).await;

    let body = expect(
        lab.control(
            Method::PUT,
            "foreign_devices",
            Some(json!({"serial_numbers": ["A-1", "B-2"]})),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(body["serial_numbers"], json!(["A-1", "B-2"]));
    let (_, body) = lab.control(Method::GET, "foreign_devices", None).await;
    assert_eq!(body["serial_numbers"], json!(["A-1", "B-2"]));
    let (status, _) = lab
        .control(Method::PUT, "foreign_devices", Some(json!({"serials": []})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    expect(
        lab.control(Method::POST, "reset", None).await,
        StatusCode::NO_CONTENT,
    );
    let (_, body) = lab.control(Method::GET, "foreign_devices", None).await;
    assert_eq!(body["serial_numbers"], json!([]));
}
