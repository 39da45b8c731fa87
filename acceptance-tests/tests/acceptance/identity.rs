//! Resource identity (Terraform 1.12 and later) as Terraform sees it: `terraform providers
//! schema -json` shows an identity schema for every resource that has one. That each of them
//! imports by identity with an empty plan is shown on every example by `examples.rs`
//! (`import_by_identity`). Terraform older than 1.12 never asks: these tests say so there.

use acceptance_tests::Lab;
use acceptance_tests::checks::provider_schema_json;
use acceptance_tests::paths::terraform_at_least;

#[test]
fn the_schema_declares_the_identity_of_every_resource_but_the_csv() {
    if !terraform_at_least(1, 12, "resource identity") {
        return;
    }
    let provider = provider_schema_json(&Lab::start());
    let identities = &provider["resource_identity_schemas"];
    for (resource, attributes) in [
        ("autopilot_group", vec![("id", true)]),
        ("autopilot_deployment_profile", vec![("id", true)]),
        ("autopilot_enrollment_status_page", vec![("id", true)]),
        ("autopilot_domain_join_profile", vec![("id", true)]),
        ("autopilot_device_preparation_policy", vec![("id", true)]),
        (
            "autopilot_device",
            vec![("id", false), ("serial_number", false)],
        ),
    ] {
        let declared = &identities[resource]["attributes"];
        for (name, required) in attributes {
            assert_eq!(
                declared[name]["type"], "string",
                "{resource}.{name}: {identities}"
            );
            assert_eq!(
                declared[name]["required_for_import"]
                    .as_bool()
                    .unwrap_or(false),
                required,
                "{resource}.{name}: {identities}"
            );
        }
    }
    assert!(
        identities.get("autopilot_device_csv").is_none(),
        "the CSV resource has no stable identity: {identities}"
    );
}
