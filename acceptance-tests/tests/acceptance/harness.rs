//! Checks of the harness itself: the lab starts and answers, terraform runs with dev_overrides.

use acceptance_tests::{Lab, Method, PROVIDER_HCL, Terraform, write_requests};
use serde_json::json;

#[test]
fn lab_serves_graph_and_its_control_api() {
    let lab = Lab::start();
    let info = lab.info();
    assert!(info.graph_url.starts_with("http://127.0.0.1:"), "{info:?}");
    assert!(!lab.token().is_empty());

    lab.clear_requests();
    let created = lab.graph_post(
        "deviceManagement/deviceConfigurations",
        &json!({
            "@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration",
            "displayName": "Harness check",
            "activeDirectoryDomainName": "contoso.com",
            "computerNameStaticPrefix": "HC-",
            "computerNameSuffixRandomCharCount": 12,
        }),
    );
    let id = created["id"].as_str().expect("POST returned an id");
    let path = format!("deviceManagement/deviceConfigurations/{id}");
    assert_eq!(lab.graph_get(&path)["displayName"], json!("Harness check"));

    let objects = lab.objects("deviceConfigurations");
    assert_eq!(objects.len(), 1, "{objects:#?}");
    assert_eq!(objects[0]["id"], json!(id));

    let writes = write_requests(&lab);
    assert_eq!(writes.len(), 1, "{writes:#?}");
    assert_eq!(writes[0].method, "POST");
    assert_eq!(
        writes[0].path,
        "/beta/deviceManagement/deviceConfigurations"
    );
    assert!(
        lab.requests()
            .iter()
            .any(|r| r.method == "GET" && r.path.ends_with(id)),
        "the GET is logged too"
    );

    lab.graph_delete(&path);
    assert!(lab.objects("deviceConfigurations").is_empty());
    assert_eq!(lab.graph(Method::GET, &path, None).status, 404);

    lab.clear_requests();
    assert!(write_requests(&lab).is_empty());
}

#[test]
fn terraform_loads_the_provider_through_dev_overrides() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    tf.run(&["version"])
        .success()
        .assert_contains("Terraform v");
    // `validate` needs the provider's schema, so this starts the provider binary without `init`.
    tf.write_main(PROVIDER_HCL);
    tf.run(&["validate", "-no-color"])
        .success()
        .assert_contains("configuration is valid");
    assert!(tf.state_addresses().is_empty());
}
