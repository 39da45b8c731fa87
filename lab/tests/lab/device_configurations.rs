//! `/deviceManagement/deviceConfigurations`: the domain join configuration.

use crate::common::{
    CONFIGS, Lab, assert_bad_request, assert_error, assert_graph_error,
    assert_untyped_create_refused, assign_to_group, domain_join, expect, group_assignment, read,
    string_of, values_of, wrapped_message,
};
use autopilot_lab::LabConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn is_graph_timestamp(value: &Value) -> bool {
    let Some(text) = value.as_str() else {
        return false;
    };
    // 2025-02-13T10:21:18.1234567Z
    text.len() == 28
        && text.ends_with('Z')
        && text.as_bytes()[19] == b'.'
        && chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

#[tokio::test]
async fn create_returns_the_full_object() {
    let lab = Lab::start().await;
    let response = lab
        .call(Method::POST, CONFIGS, Some(domain_join("DJ-Contoso")))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers().contains_key("request-id"));
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let (_, body) = read(response).await;

    let graph_url = &lab.info().graph_url;
    assert_eq!(
        body["@odata.context"],
        format!("{graph_url}/beta/$metadata#deviceManagement/deviceConfigurations/$entity")
    );
    assert_eq!(
        body["@odata.type"],
        "#microsoft.graph.windowsDomainJoinConfiguration"
    );
    assert!(uuid::Uuid::parse_str(body["id"].as_str().unwrap()).is_ok());
    assert!(is_graph_timestamp(&body["createdDateTime"]), "{body}");
    assert_eq!(body["createdDateTime"], body["lastModifiedDateTime"]);
    assert_eq!(body["version"], 1);
    assert_eq!(body["supportsScopeTags"], true);
    assert_eq!(body["roleScopeTagIds"], json!(["0"]));
    for null_field in [
        "description",
        "organizationalUnit",
        "deviceManagementApplicabilityRuleOsEdition",
        "deviceManagementApplicabilityRuleOsVersion",
        "deviceManagementApplicabilityRuleDeviceMode",
    ] {
        assert!(
            body.get(null_field).is_some_and(Value::is_null),
            "{null_field} should be present and null: {body}"
        );
    }
    assert_eq!(body["displayName"], "DJ-Contoso");
    assert_eq!(body["activeDirectoryDomainName"], "contoso.com");
    assert_eq!(body["computerNameStaticPrefix"], "CTS-");
    assert_eq!(body["computerNameSuffixRandomCharCount"], 8);

    // Read-only properties in the payload are ignored, given ones are kept.
    let mut payload = domain_join("DJ-2");
    payload["id"] = json!("my-own-id");
    payload["version"] = json!(42);
    payload["description"] = json!("desc");
    payload["organizationalUnit"] = json!("OU=Autopilot,DC=contoso,DC=com");
    payload["roleScopeTagIds"] = json!(["0", "7"]);
    let body = lab.create(CONFIGS, payload).await;
    assert_ne!(body["id"], "my-own-id");
    assert_eq!(body["version"], 1);
    assert_eq!(body["description"], "desc");
    assert_eq!(body["organizationalUnit"], "OU=Autopilot,DC=contoso,DC=com");
    assert_eq!(body["roleScopeTagIds"], json!(["0", "7"]));
}

#[tokio::test]
async fn get_list_patch_delete_round_trip() {
    let (lab, id) = Lab::with_domain_join("DJ-A").await;
    let path = format!("{CONFIGS}/{id}");

    let got = lab.get_ok(&path).await;
    assert_eq!(got["id"], id);
    assert_eq!(got["displayName"], "DJ-A");
    assert!(string_of(&got["@odata.context"]).ends_with("/$entity"));

    // OData key syntax addresses the same object.
    let same = lab.get_ok(&format!("{CONFIGS}('{id}')")).await;
    assert_eq!(same["id"], id);

    let list = lab.get_ok(CONFIGS).await;
    assert_eq!(
        list["@odata.context"],
        format!(
            "{}/beta/$metadata#deviceManagement/deviceConfigurations",
            lab.info().graph_url
        )
    );
    let items = values_of(&list);
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0]["@odata.type"],
        "#microsoft.graph.windowsDomainJoinConfiguration"
    );
    assert!(items[0].get("@odata.context").is_none());
    assert!(list.get("@odata.nextLink").is_none());

    let (status, body) = lab
        .patch(
            &path,
            json!({
                "@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration",
                "description": "changed",
                "computerNameSuffixRandomCharCount": 10,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(body.is_null());

    let (_, after) = lab.get(&path).await;
    assert_eq!(after["description"], "changed");
    assert_eq!(after["computerNameSuffixRandomCharCount"], 10);
    assert_eq!(after["displayName"], "DJ-A", "untouched properties stay");
    assert_eq!(after["version"], 2);
    assert_eq!(after["createdDateTime"], got["createdDateTime"]);
    assert!(
        after["lastModifiedDateTime"].as_str().unwrap()
            > got["lastModifiedDateTime"].as_str().unwrap()
    );

    // Base-type properties can be patched without @odata.type; derived ones cannot.
    expect(
        lab.patch(&path, json!({"displayName": "DJ-B"})).await,
        StatusCode::NO_CONTENT,
    );
    assert_bad_request(
        &lab.patch(&path, json!({"computerNameStaticPrefix": "X-"}))
            .await,
        "'computerNameStaticPrefix' does not exist on type 'microsoft.graph.deviceConfiguration'",
    );
    let (_, after) = lab.get(&path).await;
    assert_eq!(after["displayName"], "DJ-B");
    assert_eq!(after["version"], 3);

    let (status, body) = lab.delete(&path).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(body.is_null());
    let (status, _) = lab.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = lab.delete(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = lab.get(CONFIGS).await;
    assert_eq!(list["value"], json!([]));
}

#[tokio::test]
async fn paging_follows_next_links() {
    let lab = Lab::start().await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(lab.create_domain_join(&format!("DJ-{i}")).await);
    }

    let mut seen = Vec::new();
    let mut url = lab.url(&format!("{CONFIGS}?$top=2"));
    let mut pages = 0;
    loop {
        let response = lab
            .http
            .get(&url)
            .bearer_auth(&lab.token)
            .send()
            .await
            .unwrap();
        let (status, page) = read(response).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        let items = values_of(&page);
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|v| v["id"].as_str().unwrap().to_owned()));
        match page.get("@odata.nextLink").and_then(Value::as_str) {
            Some(next) => {
                assert!(next.starts_with(&lab.info().graph_url), "absolute: {next}");
                assert!(next.contains("$top=2"), "keeps $top: {next}");
                assert!(next.contains("$skiptoken="), "{next}");
                url = next.to_owned();
            }
            None => break,
        }
        // A delete between pages neither skips nor repeats the remaining items.
        if pages == 1 {
            expect(
                lab.delete(&format!("{CONFIGS}/{}", created[0])).await,
                StatusCode::NO_CONTENT,
            );
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created, "every object once, in creation order");

    assert_bad_request(&lab.get(&format!("{CONFIGS}?$top=abc")).await, "$top");
    assert_bad_request(
        &lab.get(&format!("{CONFIGS}?$skiptoken=bogus")).await,
        "skiptoken",
    );
}

#[tokio::test]
async fn default_page_size_is_configurable() {
    let lab = Lab::start_with(LabConfig {
        page_size: Some(2),
        ..LabConfig::default()
    })
    .await;
    for i in 0..3 {
        lab.create_domain_join(&format!("DJ-{i}")).await;
    }
    let (_, page) = lab.get(CONFIGS).await;
    assert_eq!(values_of(&page).len(), 2);
    assert!(page["@odata.nextLink"].is_string());
    // $top above the page size is capped.
    assert_eq!(lab.values(&format!("{CONFIGS}?$top=50")).await.len(), 2);
}

#[tokio::test]
async fn filter_on_display_name() {
    let lab = Lab::start().await;
    let wanted = lab.create_domain_join("DJ O'Neil").await;
    lab.create_domain_join("DJ-other").await;

    let body = lab
        .get_ok(&format!(
            "{CONFIGS}?$filter=displayName%20eq%20'DJ%20O''Neil'"
        ))
        .await;
    let items = values_of(&body);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], wanted);

    let (_, body) = lab
        .get(&format!("{CONFIGS}?$filter=displayName eq 'nobody'"))
        .await;
    assert_eq!(body["value"], json!([]));

    assert_eq!(
        lab.values(&format!(
            "{CONFIGS}?$filter=isof('microsoft.graph.windowsDomainJoinConfiguration')"
        ))
        .await
        .len(),
        2
    );

    assert_bad_request(
        &lab.get(&format!("{CONFIGS}?$filter=bogus eq 'x'")).await,
        "Could not find a property named 'bogus'",
    );
}

#[tokio::test]
async fn select_keeps_only_named_properties() {
    let (lab, id) = Lab::with_domain_join("DJ-S").await;
    let body = lab
        .get_ok(&format!(
            "{CONFIGS}/{id}?$select=displayName,computerNameStaticPrefix"
        ))
        .await;
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        vec![
            "@odata.context",
            "@odata.type",
            "id",
            "displayName",
            "computerNameStaticPrefix"
        ]
    );
}

#[tokio::test]
async fn create_validation_errors_use_graph_bodies() {
    let lab = Lab::start().await;

    assert_untyped_create_refused(&lab, CONFIGS, domain_join("x")).await;

    let mut body = domain_join("x");
    body["@odata.type"] = json!("#microsoft.graph.windows10GeneralConfiguration");
    assert_bad_request(
        &lab.post(CONFIGS, body).await,
        "could not be resolved by the model",
    );

    let mut body = domain_join("x");
    body["foo"] = json!(1);
    assert_bad_request(
        &lab.post(CONFIGS, body).await,
        "The property 'foo' does not exist on type 'microsoft.graph.windowsDomainJoinConfiguration'",
    );

    for count in [2, 15] {
        let mut body = domain_join("x");
        body["computerNameSuffixRandomCharCount"] = json!(count);
        let (status, err) = lab.post(CONFIGS, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "count {count}");
        assert_graph_error(&err, "BadRequest", "computerNameSuffixRandomCharCount");
        let inner = wrapped_message(&err);
        assert!(string_of(&inner["Message"]).contains("must be between 3 and 14"));
    }

    let mut body = domain_join("x");
    body.as_object_mut()
        .unwrap()
        .remove("activeDirectoryDomainName");
    assert_bad_request(&lab.post(CONFIGS, body).await, "activeDirectoryDomainName");

    let mut body = domain_join("x");
    body["displayName"] = Value::Null;
    assert_bad_request(&lab.post(CONFIGS, body).await, "does not allow null values");

    let mut body = domain_join("x");
    body["computerNameSuffixRandomCharCount"] = json!("8");
    assert_bad_request(&lab.post(CONFIGS, body).await, "Edm.Int32");

    let response = lab
        .http
        .post(lab.url(CONFIGS))
        .bearer_auth(&lab.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(
        read(response).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "Unable to read JSON request payload",
    );

    // Nothing was created by any of these.
    let (_, list) = lab.get(CONFIGS).await;
    assert_eq!(list["value"], json!([]));
}

#[tokio::test]
async fn patch_validation() {
    let (lab, id) = Lab::with_domain_join("DJ").await;
    let path = format!("{CONFIGS}/{id}");

    assert_bad_request(&lab
        .patch(
            &path,
            json!({"@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration", "computerNameSuffixRandomCharCount": 20}),
        )
        .await, "computerNameSuffixRandomCharCount");

    assert_bad_request(
        &lab.patch(
            &path,
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile"}),
        )
        .await,
        "could not be resolved",
    );

    assert_bad_request(
        &lab.patch(
            &path,
            json!({"@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration", "bar": true}),
        )
        .await,
        "'bar' does not exist",
    );

    let (_, after) = lab.get(&path).await;
    assert_eq!(after["version"], 1, "failed patches change nothing");
    assert_eq!(after["computerNameSuffixRandomCharCount"], 8);
}

#[tokio::test]
async fn not_found_has_intune_wrapped_message() {
    let lab = Lab::start().await;
    let missing = "00000000-1111-2222-3333-444444444444";
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| {
            json!({"@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration", "description": "x"})
        });
        let response = lab
            .call(method.clone(), &format!("{CONFIGS}/{missing}"), body)
            .await;
        let request_id = response.headers()["request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let (status, err) = read(response).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
        assert_graph_error(&err, "NotFound", "\"_version\": 3");
        assert_eq!(err["error"]["innerError"]["request-id"], request_id);
        let message = err["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("{\r\n  \"_version\": 3,"),
            "{message:?}"
        );
        let inner = wrapped_message(&err);
        assert_eq!(inner["_version"], 3);
        let text = inner["Message"].as_str().unwrap();
        assert!(
            text.contains(&format!("Activity ID: {request_id}")),
            "{text}"
        );
        assert!(text.contains(missing), "{text}");
        assert_eq!(inner["CustomApiErrorPhrase"], "");
        assert!(inner["RetryAfter"].is_null());
        assert_eq!(inner["ErrorSourceService"], "");
        assert_eq!(inner["HttpHeaders"], "{}");
    }
}

#[tokio::test]
async fn assign_replaces_the_assignment_list() {
    let (lab, id) = Lab::with_domain_join("DJ").await;
    let assign = format!("{CONFIGS}/{id}/assign");
    let include = "11111111-aaaa-4bbb-8ccc-000000000001";
    let exclude = "11111111-aaaa-4bbb-8ccc-000000000002";

    let body = expect(lab
        .post(
            &assign,
            json!({"assignments": [
                group_assignment(include),
                {"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": exclude}},
            ]}),
        )
        .await, StatusCode::OK);
    let value = values_of(&body);
    assert_eq!(value.len(), 2);
    assert_eq!(
        value[0],
        json!({
            "id": format!("{id}_{include}"),
            "intent": "apply",
            "source": "direct",
            "sourceId": id,
            "target": {
                "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                "deviceAndAppManagementAssignmentFilterId": null,
                "deviceAndAppManagementAssignmentFilterType": "none",
                "groupId": include,
            }
        })
    );
    assert_eq!(
        value[1]["target"]["@odata.type"],
        "#microsoft.graph.exclusionGroupAssignmentTarget"
    );

    // A second assign replaces the whole list.
    expect(
        lab.post(
            &assign,
            json!({"assignments": [
                {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}},
                {"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}},
            ]}),
        )
        .await,
        StatusCode::OK,
    );
    let items = lab.values(&format!("{CONFIGS}/{id}/assignments")).await;
    assert_eq!(items.len(), 2);
    // Each virtual group's id is Intune's, and neither target names a group.
    for (item, (target, group)) in items.iter().zip([
        (
            "allDevicesAssignmentTarget",
            "adadadad-808e-44e2-905a-0b7873a8a531",
        ),
        (
            "allLicensedUsersAssignmentTarget",
            "acacacac-9df4-4c7d-9d50-4ef0226f57a9",
        ),
    ]) {
        assert_eq!(
            item["target"]["@odata.type"],
            format!("#microsoft.graph.{target}")
        );
        assert_eq!(item["id"], format!("{id}_{group}"));
        assert!(item["target"].get("groupId").is_none());
    }

    // An empty list removes every assignment.
    let body = expect(
        lab.post(&assign, json!({"assignments": []})).await,
        StatusCode::OK,
    );
    assert_eq!(body["value"], json!([]));
    let (_, list) = lab.get(&format!("{CONFIGS}/{id}/assignments")).await;
    assert_eq!(list["value"], json!([]));
}

#[tokio::test]
async fn assign_validation() {
    let (lab, id) = Lab::with_domain_join("DJ").await;
    let assign = format!("{CONFIGS}/{id}/assign");
    let group = "11111111-aaaa-4bbb-8ccc-000000000001";

    let cases = [
        (
            json!({"assignments": [{"target": {"groupId": group}}]}),
            "abstract",
        ),
        (
            json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget"}}]}),
            "groupId",
        ),
        (
            json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group, "extra": 1}}]}),
            "'extra' does not exist on type 'microsoft.graph.groupAssignmentTarget'",
        ),
        (
            json!({"assignments": [
                group_assignment(group),
                {"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": group}},
            ]}),
            "more than once",
        ),
        (json!({"assignments": [], "foo": 1}), "'foo'"),
        (
            json!({"assignments": [{"intent": "sometimes", "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]}),
            "sometimes",
        ),
    ];
    for (body, needle) in cases {
        let (status, err) = lab.post(&assign, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_graph_error(&err, "BadRequest", needle);
    }

    let (status, err) = lab
        .post(
            &format!("{CONFIGS}/00000000-0000-0000-0000-000000000000/assign"),
            json!({"assignments": []}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(wrapped_message(&err)["_version"], 3);
}

#[tokio::test]
async fn assignments_listing_expand_and_cascade_delete() {
    let (lab, id) = Lab::with_domain_join("DJ").await;
    let other = lab.create_domain_join("DJ-other").await;
    let group = "11111111-aaaa-4bbb-8ccc-000000000001";
    let _ = expect(
        lab.post(&format!("{CONFIGS}/{id}/assign"), assign_to_group(group))
            .await,
        StatusCode::OK,
    );

    let list = lab.get_ok(&format!("{CONFIGS}/{id}/assignments")).await;
    assert!(
        string_of(&list["@odata.context"])
            .ends_with(&format!("deviceConfigurations('{id}')/assignments"))
    );
    assert_eq!(values_of(&list).len(), 1);
    assert_eq!(list["value"][0]["target"]["groupId"], group);

    let assignment_id = list["value"][0]["id"].as_str().unwrap().to_owned();
    let one = lab
        .get_ok(&format!("{CONFIGS}/{id}/assignments/{assignment_id}"))
        .await;
    assert_eq!(one["sourceId"], id);

    let expanded = lab
        .get_ok(&format!("{CONFIGS}/{id}?$expand=assignments"))
        .await;
    assert_eq!(expanded["assignments"], list["value"]);
    let (_, plain) = lab.get(&format!("{CONFIGS}/{id}")).await;
    assert!(plain.get("assignments").is_none());

    let (_, listed) = lab.get(&format!("{CONFIGS}?$expand=assignments")).await;
    let by_id = |v: &Value, want: &str| {
        values_of(v)
            .iter()
            .find(|o| o["id"] == want)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id(&listed, &id)["assignments"], list["value"]);
    assert_eq!(by_id(&listed, &other)["assignments"], json!([]));

    assert_bad_request(
        &lab.get(&format!("{CONFIGS}/{id}?$expand=bogus")).await,
        "bogus",
    );

    // Deleting the configuration deletes its assignments.
    expect(
        lab.delete(&format!("{CONFIGS}/{id}")).await,
        StatusCode::NO_CONTENT,
    );
    let (status, _) = lab.get(&format!("{CONFIGS}/{id}/assignments")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let objects = lab.objects().await;
    assert_eq!(objects["deviceConfigurationAssignments"], json!([]));
    assert_eq!(objects["deviceConfigurations"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn v1_does_not_know_the_domain_join_type() {
    let lab = Lab::start().await;
    assert_bad_request(
        &lab.post(
            "/v1.0/deviceManagement/deviceConfigurations",
            domain_join("x"),
        )
        .await,
        "A type named 'microsoft.graph.windowsDomainJoinConfiguration' could not be resolved by the model",
    );

    // The collection itself exists on v1.0 and lists with a v1.0 context.
    let id = lab.create_domain_join("DJ").await;
    let list = lab
        .get_ok("/v1.0/deviceManagement/deviceConfigurations")
        .await;
    assert!(string_of(&list["@odata.context"]).contains("/v1.0/$metadata#"));
    assert_eq!(list["value"][0]["id"], id);
}

#[tokio::test]
async fn unknown_segments_methods_and_headers() {
    let lab = Lab::start().await;

    assert_bad_request(
        &lab.get("/beta/deviceManagement/deviceConfigurationz").await,
        "Resource not found for the segment 'deviceConfigurationz'.",
    );
    assert_bad_request(
        &lab.get("/beta/nothingHere").await,
        "Resource not found for the segment 'nothingHere'.",
    );
    assert_error(
        lab.get(&format!("{CONFIGS}/some-id/whatever")).await,
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "'whatever'",
    );

    // Segment names are case-insensitive, as in Graph.
    let _ = lab
        .get_ok("/beta/devicemanagement/deviceconfigurations")
        .await;

    let response = lab.call(Method::PUT, CONFIGS, Some(json!({}))).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "GET,POST");
    let (_, err) = read(response).await;
    assert_graph_error(&err, "BadRequest", "method is not allowed");

    assert_bad_request(
        &lab.get(&format!("{CONFIGS}?$orderby=displayName")).await,
        "$orderby",
    );

    // request-id on every response; client-request-id echoed when sent, else equal to request-id.
    let response = lab
        .http
        .get(lab.url(CONFIGS))
        .bearer_auth(&lab.token)
        .header("client-request-id", "my-correlation")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["client-request-id"], "my-correlation");
    assert!(uuid::Uuid::parse_str(response.headers()["request-id"].to_str().unwrap()).is_ok());
    let response = lab.call(Method::GET, CONFIGS, None).await;
    assert_eq!(
        response.headers()["client-request-id"],
        response.headers()["request-id"]
    );
}
