//! `moved` blocks from the deploymenttheory provider's resources (Terraform 1.8+ moves across
//! resource types and providers, MoveResourceState): objects made in the lab, a state file in
//! that provider's shape holding them (written into the working directory as
//! `terraform.tfstate`), and a configuration of the matching `autopilot_*` resources with
//! `moved` blocks.
//!
//! Terraform (1.15.5 included) loads every provider a state names before it plans, so it
//! refuses such a state until the deploymenttheory provider is installed (`terraform init`
//! fetches it from the registry, which these offline tests do not do, and a stand-in provider
//! would prove nothing). What this test pins is that refusal and that nothing is written; the
//! move itself (what Terraform asks once both providers are there) is covered through the
//! protocol in `tfplugin/src/server/grpc_tests.rs` and per resource in
//! `provider/src/resources/moves.rs`. Older Terraform has no such moves: the test says so and
//! checks nothing there.

use acceptance_tests::checks::state_values;
use acceptance_tests::seeding::G1;
use acceptance_tests::{Lab, Terraform, string_attr};
use serde_json::{Value, json};

const FEATURE: &str = "moves across resource types and providers";

/// The deploymenttheory provider as a state file names it.
const SOURCE_PROVIDER: &str = r#"provider["registry.terraform.io/deploymenttheory/microsoft365"]"#;

const GROUP_TYPE: &str = "microsoft365_graph_beta_groups_group";
const PROFILE_TYPE: &str =
    "microsoft365_graph_beta_device_management_windows_autopilot_deployment_profile";
const ESP_TYPE: &str = "microsoft365_graph_beta_device_management_windows_enrollment_status_page";

/// The objects, as this provider's resources describe them.
const RESOURCES: &str = r#"
resource "autopilot_group" "sales" {
  display_name = "Autopilot - Sales devices"
  group_tags   = ["SALES"]
}

resource "autopilot_deployment_profile" "sales" {
  display_name      = "Entra join Sales"
  join_type         = "entra"
  user_type         = "standard"
  include_group_ids = ["%G1%"]
}

resource "autopilot_enrollment_status_page" "sales" {
  display_name                        = "Sales ESP"
  show_installation_progress          = true
  install_progress_timeout_in_minutes = 90
}
"#;

const MOVED: &str = r#"
moved {
  from = microsoft365_graph_beta_groups_group.sales
  to   = autopilot_group.sales
}

moved {
  from = microsoft365_graph_beta_device_management_windows_autopilot_deployment_profile.sales
  to   = autopilot_deployment_profile.sales
}

moved {
  from = microsoft365_graph_beta_device_management_windows_enrollment_status_page.sales
  to   = autopilot_enrollment_status_page.sales
}
"#;

/// The deploymenttheory group's attributes for the group `ours` (this provider's state).
fn their_group(ours: &Value) -> Value {
    json!({
        "id": string_attr(ours, "id"),
        "display_name": ours["display_name"],
        "description": null,
        "mail_nickname": ours["mail_nickname"],
        "mail_enabled": false,
        "security_enabled": true,
        "group_types": ["DynamicMembership"],
        "membership_rule": ours["membership_rule"],
        "membership_rule_processing_state": "On",
        "hard_delete": false,
        "timeouts": null
    })
}

/// The deploymenttheory deployment profile's attributes for the profile `ours`.
fn their_profile(ours: &Value) -> Value {
    json!({
        "id": string_attr(ours, "id"),
        "display_name": ours["display_name"],
        "description": "",
        "device_join_type": "microsoft_entra_joined",
        "device_name_template": "",
        "device_type": "windowsPc",
        "locale": "os-default",
        "preprovisioning_allowed": false,
        "hardware_hash_extraction_enabled": false,
        "hybrid_azure_ad_join_skip_connectivity_check": false,
        "management_service_app_id": null,
        "role_scope_tag_ids": ["0"],
        "created_date_time": ours["created_date_time"],
        "last_modified_date_time": ours["last_modified_date_time"],
        "out_of_box_experience_setting": {
            "privacy_settings_hidden": false,
            "eula_hidden": false,
            "user_type": "standard",
            "device_usage_type": "singleUser",
            "keyboard_selection_page_skipped": false,
            "escape_link_hidden": true
        },
        "assignments": [{"type": "groupAssignmentTarget", "group_id": G1}],
        "timeouts": null
    })
}

/// The deploymenttheory Enrollment Status Page's attributes for the ESP `ours`.
fn their_esp(ours: &Value) -> Value {
    json!({
        "id": string_attr(ours, "id"),
        "display_name": ours["display_name"],
        "description": "",
        "show_installation_progress": true,
        "install_progress_timeout_in_minutes": 90,
        "custom_error_message": "",
        "selected_mobile_app_ids": [],
        "role_scope_tag_ids": ["0"],
        "assignments": [],
        "timeouts": null
    })
}

/// A version 4 state file holding `resources` (type, name, attributes) of the deploymenttheory
/// provider.
fn their_state(resources: &[(&str, &str, Value)]) -> Value {
    let resources: Vec<Value> = resources
        .iter()
        .map(|(resource_type, name, attributes)| {
            json!({
                "mode": "managed",
                "type": resource_type,
                "name": name,
                "provider": SOURCE_PROVIDER,
                "instances": [{
                    "schema_version": 0,
                    "attributes": attributes,
                    "sensitive_attributes": []
                }]
            })
        })
        .collect();
    json!({
        "version": 4,
        "terraform_version": "1.15.5",
        "serial": 1,
        "lineage": "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
        "outputs": {},
        "resources": resources,
        "check_results": null
    })
}

#[test]
fn a_move_from_the_deploymenttheory_provider_waits_for_it_to_be_installed() {
    let Some(lab) = Lab::start_if_terraform_at_least(1, 8, FEATURE) else {
        return;
    };
    let config = RESOURCES.replace("%G1%", G1);
    // The objects exist: made here through this provider, then described the other way.
    let made = Terraform::configured(&lab, &config);
    made.apply();
    let ours = |address: &str| state_values(&made, address);
    let state = their_state(&[
        (
            GROUP_TYPE,
            "sales",
            their_group(&ours("autopilot_group.sales")),
        ),
        (
            PROFILE_TYPE,
            "sales",
            their_profile(&ours("autopilot_deployment_profile.sales")),
        ),
        (
            ESP_TYPE,
            "sales",
            their_esp(&ours("autopilot_enrollment_status_page.sales")),
        ),
    ]);
    let tf = Terraform::configured(&lab, &format!("{config}\n{MOVED}"));
    let state_file = tf.dir().join("terraform.tfstate");
    std::fs::write(&state_file, state.to_string()).expect("write terraform.tfstate");
    lab.clear_requests();
    tf.plan()
        .expect_code(1)
        .assert_contains("Missing required provider")
        .assert_contains("registry.terraform.io/deploymenttheory/microsoft365")
        .assert_not_contains("panic");
    acceptance_tests::assert_no_writes(&lab, "a refused plan of moved resources");
    let kept: Value = serde_json::from_str(
        &std::fs::read_to_string(&state_file).expect("read terraform.tfstate"),
    )
    .expect("the state file is JSON");
    assert_eq!(kept, state, "the refused plan changed the state file");
}
