//! `--state FILE`: the tenant survives a restart.

use crate::common::{CONFIGS, Lab, values_of};
use autopilot_lab::LabConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn tenant_survives_restart_through_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let config = LabConfig {
        state_file: Some(state.clone()),
        ..LabConfig::default()
    };

    let first = Lab::start_with(config.clone()).await;
    let kept = first.create_domain_join("DJ-kept").await;
    let gone = first.create_domain_join("DJ-gone").await;
    let (status, _) = first
        .post(
            &format!("{CONFIGS}/{kept}/assign"),
            json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = first.delete(&format!("{CONFIGS}/{gone}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, before) = first
        .get(&format!("{CONFIGS}/{kept}?$expand=assignments"))
        .await;

    // The file is written after each change, is valid JSON and has no temporary leftovers.
    let file: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(file["formatVersion"], 1);
    assert_eq!(
        file["tenant"]["deviceConfigurations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "tenant.json")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    first.handle.shutdown().await.unwrap();

    let second = Lab::start_with(config).await;
    assert_ne!(second.info().graph_url, "", "new instance is serving");
    let (status, after) = second
        .get(&format!("{CONFIGS}/{kept}?$expand=assignments"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let strip = |mut v: Value| {
        // The context URL carries the port, which differs between instances.
        let map = v.as_object_mut().unwrap();
        map.remove("@odata.context");
        map.remove("assignments@odata.context");
        v
    };
    assert_eq!(strip(after), strip(before));
    let (status, _) = second.get(&format!("{CONFIGS}/{gone}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // New objects continue after the loaded ones in listing order.
    let newer = second.create_domain_join("DJ-new").await;
    let (_, list) = second.get(CONFIGS).await;
    let ids: Vec<&str> = values_of(&list)
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![kept.as_str(), newer.as_str()]);

    // Reset is persisted too.
    let response = second.control_raw(Method::POST, "reset").await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    second.handle.shutdown().await.unwrap();
    let third = Lab::start_with(LabConfig {
        state_file: Some(state),
        ..LabConfig::default()
    })
    .await;
    let (_, list) = third.get(CONFIGS).await;
    assert_eq!(list["value"], json!([]));
}

#[tokio::test]
async fn a_corrupt_state_file_is_an_error_not_an_empty_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    std::fs::write(&state, "{ not json").unwrap();
    let result = autopilot_lab::spawn(LabConfig {
        state_file: Some(state),
        ..LabConfig::default()
    })
    .await;
    let error = result.err().expect("refuses to start");
    assert!(
        error
            .to_string()
            .contains("not a valid autopilot-lab state"),
        "{error}"
    );
}
