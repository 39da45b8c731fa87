//! `autopilot_enrollment_status_page` against a running lab, through the real `terraform`
//! binary: lifecycle, priority through `setPriority`, assignments through `assign`, drift,
//! import (and the refusal to import the default ESP) and plan-time validation.

use std::collections::BTreeSet;

use acceptance_tests::checks::{assert_rejected, assert_said, assignment_targets, state_values};
use acceptance_tests::lifecycle::{
    apply_adding, apply_update, assert_import_plans_nothing,
    assert_plan_after_apply_writes_nothing, assert_valid_config_plans_a_create, import_into_state,
    plan_update_in_place, recreate_after_outside_delete, repair_drift,
};
use acceptance_tests::resource_hcl;
use acceptance_tests::seeding::{G1, G3, G4, VPN_APP};
use acceptance_tests::{Lab, Terraform, provider_warnings, show_requests, write_requests};
use acceptance_tests::{assert_no_writes, set, set_attr, string_attr};
use serde_json::{Value, json};

const ADDR: &str = "autopilot_enrollment_status_page.x";
const CONFIGS: &str = "deviceManagement/deviceEnrollmentConfigurations";
const ESP: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
const GROUP_TARGET: &str = "#microsoft.graph.groupAssignmentTarget";

const CREATE: &str = r#"
resource "autopilot_enrollment_status_page" "x" {
  display_name                            = "ESP-Corp"
  description                             = "Corporate devices"
  show_installation_progress              = true
  allow_device_reset_on_install_failure   = true
  allow_log_collection_on_install_failure = true
  custom_error_message                    = "Contact IT"
  install_progress_timeout_in_minutes     = 90
  track_install_progress_for_autopilot_only = true
  include_group_ids                       = ["11111111-1111-4111-8111-111111111111"]
  all_users                               = true
}
"#;

// CREATE with a new description and timeout, use-on-error allowed, one selected app, G1 swapped
// for G3 and no longer all users.
const UPDATE: &str = r#"
resource "autopilot_enrollment_status_page" "x" {
  display_name                            = "ESP-Corp"
  description                             = "Corporate devices, wave 2"
  show_installation_progress              = true
  allow_device_reset_on_install_failure   = true
  allow_device_use_on_install_failure     = true
  allow_log_collection_on_install_failure = true
  custom_error_message                    = "Contact IT"
  install_progress_timeout_in_minutes     = 120
  selected_mobile_app_ids                 = ["7ab1ab00-0000-4000-8000-0000000a0001"]
  track_install_progress_for_autopilot_only = true
  include_group_ids                       = ["33333333-3333-4333-8333-333333333333"]
}
"#;

#[test]
fn lifecycle_create_update_priority_drift_recreate_destroy() {
    let lab = Lab::start();
    let default_before = default_esp(&lab);
    let tf = Terraform::new(&lab);

    // Create; priority unset: appended after the default ESP.
    tf.write_config(CREATE);
    let state = apply_adding(&tf, 1, ADDR);
    let id = string_attr(&state, "id");
    assert_eq!(state["priority"], json!(1), "{state}");
    assert_eq!(state["all_users"], json!(true), "{state}");
    assert_eq!(
        state["block_device_setup_retry_by_user"],
        json!(false),
        "{state}"
    );
    let esp = custom_esp(&lab, &id);
    for (name, value) in [
        ("displayName", json!("ESP-Corp")),
        ("showInstallationProgress", json!(true)),
        ("allowDeviceResetOnInstallFailure", json!(true)),
        ("allowLogCollectionOnInstallFailure", json!(true)),
        ("customErrorMessage", json!("Contact IT")),
        ("installProgressTimeoutInMinutes", json!(90)),
        ("trackInstallProgressForAutopilotOnly", json!(true)),
        ("priority", json!(1)),
    ] {
        assert_eq!(esp[name], value, "{name} of {esp:#}");
    }
    assert_eq!(
        assignment_targets(&lab, &format!("{CONFIGS}/{id}/assignments")),
        set(&[&format!("include {G1}"), "all users"])
    );

    assert_plan_after_apply_writes_nothing(&tf, &lab);

    // Update in place.
    plan_update_in_place(&tf, UPDATE);
    apply_update(&tf);
    let esp = custom_esp(&lab, &id);
    assert_eq!(esp["installProgressTimeoutInMinutes"], json!(120));
    assert_eq!(esp["allowDeviceUseOnInstallFailure"], json!(true));
    assert_eq!(esp["selectedMobileAppIds"], json!([VPN_APP]));
    assert_eq!(
        assignment_targets(&lab, &format!("{CONFIGS}/{id}/assignments")),
        set(&[&format!("include {G3}")])
    );
    tf.assert_no_changes();

    // Priority: another ESP made in the portal takes 2; ours moves to 2 with setPriority.
    let other_id = string_attr(&esp_made_in_the_portal(&lab, "ESP-Portal"), "id");
    assert_eq!(custom_esp(&lab, &other_id)["priority"], json!(2));
    tf.write_config(&UPDATE.replace(
        "  include_group_ids",
        "  priority                                = 2\n  include_group_ids",
    ));
    lab.clear_requests();
    apply_update(&tf);
    let writes = write_requests(&lab);
    assert!(
        writes.iter().any(|r| r.path.ends_with("/setPriority")),
        "priority is applied with setPriority:\n{}",
        show_requests(&writes)
    );
    assert_eq!(custom_esp(&lab, &id)["priority"], json!(2));
    assert_eq!(custom_esp(&lab, &other_id)["priority"], json!(1));
    tf.assert_no_changes();

    // Drift of a property.
    lab.graph_patch(
        &format!("{CONFIGS}/{id}"),
        &json!({"@odata.type": ESP, "customErrorMessage": "Call the help desk"}),
    );
    repair_drift(&tf, &lab, &["Call the help desk"]);
    assert_eq!(
        custom_esp(&lab, &id)["customErrorMessage"],
        json!("Contact IT")
    );
    tf.assert_no_changes();

    // Drift of the assignments.
    lab.graph_post(
        &format!("{CONFIGS}/{id}/assign"),
        &json!({"enrollmentConfigurationAssignments": [
            {"target": {"@odata.type": GROUP_TARGET, "groupId": G4}}
        ]}),
    );
    repair_drift(&tf, &lab, &[G4, G3]);
    assert_eq!(
        assignment_targets(&lab, &format!("{CONFIGS}/{id}/assignments")),
        set(&[&format!("include {G3}")])
    );
    tf.assert_no_changes();

    // Deleted outside Terraform: a planned re-create.
    lab.graph_delete(&format!("{CONFIGS}/{id}"));
    let new_id = recreate_after_outside_delete(&tf, ADDR, &id);
    assert_eq!(custom_esp(&lab, &new_id)["priority"], json!(2));
    tf.assert_no_changes();

    // Destroy: ours is gone; the default ESP and the portal's ESP stay.
    tf.destroy().assert_contains("1 destroyed");
    let left: BTreeSet<String> = esps(&lab)
        .iter()
        .filter_map(|e| e["id"].as_str().map(str::to_string))
        .collect();
    let default_id = string_attr(&default_before, "id");
    assert_eq!(
        left,
        set(&[&default_id, &other_id]),
        "ESPs left after destroy"
    );
    assert!(tf.state_addresses().is_empty());
}

/// Three ESPs with priorities, each with its own group created in the same apply, applied with
/// Terraform's default parallelism (10): whatever order Terraform runs them in, the lab ends with
/// exactly the configured order and the next plan is empty. Then a reorder of all three in one
/// apply, with an ESP made in the portal keeping its place among the free priorities.
#[test]
fn several_esps_with_priorities_converge_in_one_apply() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    let config = |priorities: [i64; 3]| {
        let mut hcl = String::new();
        for (name, priority) in ["first", "second", "third"].iter().zip(priorities) {
            hcl.push_str(&format!(
                r#"
resource "autopilot_group" "{name}" {{
  display_name = "ESP order {name}"
}}

resource "autopilot_enrollment_status_page" "{name}" {{
  display_name               = "ESP {name}"
  show_installation_progress = true
  priority                   = {priority}
  include_group_ids          = [autopilot_group.{name}.id]
}}
"#
            ));
        }
        hcl
    };
    let priorities = |tf: &Terraform| -> Vec<(String, i64)> {
        ["first", "second", "third"]
            .iter()
            .map(|name| {
                let id = string_attr(
                    &tf.resource_values(&format!("autopilot_enrollment_status_page.{name}"))
                        .expect("in the state"),
                    "id",
                );
                let priority = custom_esp(&lab, &id)["priority"]
                    .as_i64()
                    .expect("a priority");
                ((*name).to_string(), priority)
            })
            .collect()
    };
    // The priorities of first, second and third, as `priorities` reads them.
    let expect = |order: [i64; 3]| -> Vec<(String, i64)> {
        ["first", "second", "third"]
            .iter()
            .zip(order)
            .map(|(n, p)| ((*n).to_string(), p))
            .collect()
    };
    // Applies `order`: the apply says `summary` and the lab ends with exactly that order.
    let apply_order = |order: [i64; 3], summary: &str| {
        tf.write_config(&config(order));
        tf.apply().assert_contains(summary);
        assert_eq!(priorities(&tf), expect(order));
    };

    apply_order([1, 2, 3], "6 added, 0 changed, 0 destroyed");
    tf.assert_no_changes();

    // An ESP made in the portal takes 4; then a reorder of the three in one apply.
    let portal_id = string_attr(
        &esp_made_in_the_portal(&lab, "ESP made in the portal"),
        "id",
    );
    assert_eq!(custom_esp(&lab, &portal_id)["priority"], json!(4));
    apply_order([3, 1, 2], "0 added, 3 changed, 0 destroyed");
    assert_eq!(custom_esp(&lab, &portal_id)["priority"], json!(4));
    tf.assert_no_changes();

    // The portal's ESP moved first: the configured ones take their priorities back around it.
    lab.graph_post(
        &format!("{CONFIGS}/{portal_id}/setPriority"),
        &json!({"priority": 1}),
    );
    tf.plan_detailed().expect_code(2);
    tf.apply();
    assert_eq!(priorities(&tf), expect([3, 1, 2]));
    assert_eq!(custom_esp(&lab, &portal_id)["priority"], json!(4));
    tf.assert_no_changes();

    // Destroy leaves no gap: the portal's ESP is at 1, and a new ESP takes 2.
    tf.destroy().assert_contains("6 destroyed");
    assert_eq!(custom_esp(&lab, &portal_id)["priority"], json!(1));
    let next = esp_made_in_the_portal(&lab, "ESP next");
    assert_eq!(next["priority"], json!(2));
}

/// A priority no ESP can have (one ESP alone wants 3): a warning says why, and the plan after
/// shows the difference rather than an inconsistent result.
#[test]
fn an_unreachable_priority_is_a_warning() {
    let lab = Lab::start();
    let tf = Terraform::configured(&lab, &esp_hcl("  priority = 3"));
    let out = tf.apply();
    out.assert_contains("1 added, 0 changed, 0 destroyed");
    assert_eq!(
        provider_warnings(&out),
        ["Intune cannot give this Enrollment Status Page its priority"],
        "{out}"
    );
    let id = string_attr(&state_values(&tf, ADDR), "id");
    assert_eq!(custom_esp(&lab, &id)["priority"], json!(1));
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("priority");
}

#[test]
fn import_of_an_existing_esp_gives_an_empty_plan() {
    let lab = Lab::start();
    let id = lab.graph_create(
        CONFIGS,
        &json!({
            "@odata.type": ESP,
            "displayName": "ESP",
            "description": "Created in the portal",
            "showInstallationProgress": true,
            "blockDeviceSetupRetryByUser": false,
            "allowDeviceResetOnInstallFailure": true,
            "installProgressTimeoutInMinutes": 60,
            "selectedMobileAppIds": [],
            "roleScopeTagIds": ["0"],
        }),
    );
    lab.graph_post(
        &format!("{CONFIGS}/{id}/assign"),
        &json!({"enrollmentConfigurationAssignments": [
            {"target": {"@odata.type": GROUP_TARGET, "groupId": G1}}
        ]}),
    );
    let portal = format!(
        "  description = \"Created in the portal\"
  show_installation_progress = true
  allow_device_reset_on_install_failure = true
  include_group_ids = [\"{G1}\"]"
    );
    let tf = Terraform::configured(&lab, &esp_hcl(&portal));
    let state = import_into_state(&tf, &lab, ADDR, &id);
    assert_eq!(state["priority"], json!(1), "{state}");
    assert_eq!(set_attr(&state, "include_group_ids"), set(&[G1]));
    assert_import_plans_nothing(&tf, &lab);
}

#[test]
fn the_default_esp_cannot_be_imported() {
    let lab = Lab::start();
    let default_id = string_attr(&default_esp(&lab), "id");
    let tf = Terraform::configured(&lab, &esp_hcl(""));
    let out = tf.import(ADDR, &default_id).expect_failure();
    out.assert_not_contains("panic");
    // The refusal points to the data source.
    assert_said(
        &out,
        &["default", "data \"autopilot_enrollment_status_page\""],
    );
    assert!(tf.state_addresses().is_empty());
    assert_no_writes(&lab, "a refused import");
}

// ---------------------------------------------------------------------------------------------
// Bad inputs: rejected by `terraform plan` (exit 1), naming the attribute, before any write.

fn esp_hcl(extra: &str) -> String {
    resource_hcl(ADDR, "ESP", extra)
}

#[test]
fn valid_esp_plans_a_create_without_writing() {
    assert_valid_config_plans_a_create(CREATE);
}

#[test]
fn reset_on_error_needs_device_use_blocked() {
    assert_rejected(
        &esp_hcl(
            "  show_installation_progress = true\n  block_device_setup_retry_by_user = true\n  allow_device_reset_on_install_failure = true",
        ),
        "allow_device_reset_on_install_failure",
        &["blocked"],
    );
}

#[test]
fn use_on_error_needs_the_page_shown() {
    assert_rejected(
        &esp_hcl("  allow_device_use_on_install_failure = true"),
        "allow_device_use_on_install_failure",
        &["show_installation_progress"],
    );
}

#[test]
fn selected_apps_need_device_use_blocked() {
    assert_rejected(
        &esp_hcl(&format!(
            "  show_installation_progress = true\n  block_device_setup_retry_by_user = true\n  selected_mobile_app_ids = [\"{VPN_APP}\"]"
        )),
        "selected_mobile_app_ids",
        &["blocked"],
    );
}

#[test]
fn app_ids_must_be_guids() {
    assert_rejected(
        &esp_hcl(
            "  show_installation_progress = true\n  selected_mobile_app_ids = [\"Company Portal\"]",
        ),
        "selected_mobile_app_ids",
        &["GUID"],
    );
}

#[test]
fn timeout_out_of_range_is_rejected() {
    assert_rejected(
        &esp_hcl("  install_progress_timeout_in_minutes = 0"),
        "install_progress_timeout_in_minutes",
        &["1 to 1440"],
    );
    assert_rejected(
        &esp_hcl("  install_progress_timeout_in_minutes = 5000"),
        "install_progress_timeout_in_minutes",
        &["1 to 1440"],
    );
}

#[test]
fn priority_zero_is_rejected() {
    assert_rejected(&esp_hcl("  priority = 0"), "priority", &["at least 1"]);
}

#[test]
fn exclusions_with_all_devices_are_rejected() {
    assert_rejected(
        &esp_hcl(&format!(
            "  all_devices = true\n  exclude_group_ids = [\"{G3}\"]"
        )),
        "exclude_group_ids",
        &["all_devices"],
    );
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// Every ESP (default included), read through Graph.
fn esps(lab: &Lab) -> Vec<Value> {
    lab.graph_get(CONFIGS)["value"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c["@odata.type"] == json!(ESP))
        .collect()
}

#[track_caller]
fn default_esp(lab: &Lab) -> Value {
    esps(lab)
        .into_iter()
        .find(|e| {
            e["id"].as_str().is_some_and(|id| {
                id.ends_with("_DefaultWindows10EnrollmentCompletionPageConfiguration")
            })
        })
        .unwrap_or_else(|| panic!("the lab has no default ESP: {:#?}", esps(lab)))
}

/// A new ESP named `name`, created through Graph as in the Intune portal.
fn esp_made_in_the_portal(lab: &Lab, name: &str) -> Value {
    lab.graph_post(CONFIGS, &json!({"@odata.type": ESP, "displayName": name}))
}

#[track_caller]
fn custom_esp(lab: &Lab, id: &str) -> Value {
    lab.graph_get(&format!("{CONFIGS}/{id}"))
}
