//! `/deviceManagement/assignmentFilters`: filters, `validateFilter`, the rule check, filters on
//! assignments and the refusal to delete a filter in use.

use crate::common::{CONFIGS, Lab, assert_bad_request, expect, values_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

const FILTERS: &str = "/beta/deviceManagement/assignmentFilters";

fn filter(name: &str, rule: &str) -> Value {
    json!({
        "displayName": name,
        "platform": "windows10AndLater",
        "rule": rule,
        "assignmentFilterManagementType": "devices",
    })
}

async fn create(lab: &Lab, name: &str) -> String {
    let body = lab
        .create(FILTERS, filter(name, r#"(device.model -eq "Surface")"#))
        .await;
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn lifecycle_in_graphs_shape() {
    let lab = Lab::start().await;
    let id = create(&lab, "Surfaces").await;
    let body = lab.get_ok(&format!("{FILTERS}/{id}")).await;
    assert_eq!(
        body["@odata.type"],
        "#microsoft.graph.deviceAndAppManagementAssignmentFilter"
    );
    assert_eq!(body["roleScopeTags"], json!(["0"]));
    assert_eq!(body["payloads"], json!([]));
    assert_eq!(body["platform"], "windows10AndLater");

    expect(
        lab.patch(
            &format!("{FILTERS}/{id}"),
            json!({"rule": r#"(device.manufacturer -startsWith "Micro")"#, "roleScopeTags": ["0", "7"]}),
        )
        .await,
        StatusCode::NO_CONTENT,
    );
    let listed = lab
        .get_ok(&format!("{FILTERS}?$filter=displayName eq 'Surfaces'"))
        .await;
    assert_eq!(values_of(&listed).len(), 1);
    assert_eq!(
        listed["value"][0]["rule"],
        r#"(device.manufacturer -startsWith "Micro")"#
    );
    assert_eq!(listed["value"][0]["roleScopeTags"], json!(["0", "7"]));

    expect(
        lab.delete(&format!("{FILTERS}/{id}")).await,
        StatusCode::NO_CONTENT,
    );
    expect(
        lab.get(&format!("{FILTERS}/{id}")).await,
        StatusCode::NOT_FOUND,
    );
    // Beta only.
    lab.assert_beta_only("deviceManagement/assignmentFilters")
        .await;
}

#[tokio::test]
async fn bad_rules_are_refused_and_validate_filter_answers() {
    let lab = Lab::start().await;
    let refused = lab
        .post(FILTERS, filter("Broken", r#"(device.colour -eq "red")"#))
        .await;
    assert_bad_request(&refused, "device.colour");
    assert_eq!(lab.objects().await["assignmentFilters"], json!([]));

    for (rule, valid) in [
        (
            r#"(device.model -in ["A", "B"]) and (device.deviceName -startsWith "X")"#,
            true,
        ),
        (r#"(device.model -eq "A""#, false),
    ] {
        let body = expect(
            lab.post(
                &format!("{FILTERS}/validateFilter"),
                json!({"deviceAndAppManagementAssignmentFilter": filter("x", rule)}),
            )
            .await,
            StatusCode::OK,
        );
        assert_eq!(body["value"]["isValidRule"], valid, "{rule}: {body}");
    }
}

#[tokio::test]
async fn assignments_name_existing_filters_and_keep_them_in_use() {
    let lab = Lab::start().await;
    let config = lab.create_domain_join("DJ").await;
    let filter_id = create(&lab, "Surfaces").await;
    let target = |filter: &str| {
        json!({"assignments": [{"target": {
            "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
            "deviceAndAppManagementAssignmentFilterId": filter,
            "deviceAndAppManagementAssignmentFilterType": "include",
        }}]})
    };
    let assign = format!("{CONFIGS}/{config}/assign");
    let unknown = lab
        .post(&assign, target("6f1b5b3e-7c55-4a7e-9a51-2a4c1a4b0c11"))
        .await;
    assert_bad_request(&unknown, "does not exist");

    expect(lab.post(&assign, target(&filter_id)).await, StatusCode::OK);
    let assigned = lab.get_ok(&format!("{CONFIGS}/{config}/assignments")).await;
    let stored = &assigned["value"][0]["target"];
    assert_eq!(
        stored["deviceAndAppManagementAssignmentFilterId"],
        filter_id
    );
    assert_eq!(
        stored["deviceAndAppManagementAssignmentFilterType"],
        "include"
    );

    let in_use = lab.delete(&format!("{FILTERS}/{filter_id}")).await;
    assert_bad_request(&in_use, "associated with existing assignments");
    expect(
        lab.post(&assign, json!({"assignments": []})).await,
        StatusCode::OK,
    );
    expect(
        lab.delete(&format!("{FILTERS}/{filter_id}")).await,
        StatusCode::NO_CONTENT,
    );
}
