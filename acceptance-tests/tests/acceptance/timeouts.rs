//! The `timeouts` block of every resource: an invalid duration is refused at plan at its
//! attribute, and a create whose timeout runs out against a slow or throttling lab fails naming
//! `timeouts.create`, sends nothing more, and leaves no object the state does not hold. (The
//! device resources' imports running past their timeout are in `interrupted_imports`.)

use acceptance_tests::checks::{self, RejectedAt};
use acceptance_tests::devices::set_faults;
use acceptance_tests::seeding::G1;
use acceptance_tests::{Lab, Terraform, show_requests, write_requests};
use serde_json::{Value, json};

/// A resource of each type given a `timeouts` block with one invalid duration, and that line.
const INVALID: &[(&str, &str, &str)] = &[
    (
        "autopilot_group",
        r#"display_name = "Kiosks""#,
        r#"create = "ten minutes""#,
    ),
    (
        "autopilot_deployment_profile",
        r#"display_name = "Kiosks"
  join_type    = "entra""#,
        r#"delete = "5""#,
    ),
    (
        "autopilot_enrollment_status_page",
        r#"display_name = "Kiosks""#,
        r#"update = "1.5h""#,
    ),
    (
        "autopilot_domain_join_profile",
        r#"display_name                 = "Kiosks"
  active_directory_domain_name = "contoso.com"
  computer_name_static_prefix  = "KSK-""#,
        r#"read = "m""#,
    ),
];

#[test]
fn an_invalid_duration_is_refused_at_plan_at_its_attribute() {
    let lab = Lab::start();
    for (resource_type, body, timeout) in INVALID {
        let hcl = format!(
            "resource \"{resource_type}\" \"x\" {{\n  {body}\n  timeouts {{\n    {timeout}\n  }}\n}}\n"
        );
        // Terraform prints the configuration line the diagnostic's attribute path points at.
        let out = checks::assert_rejected_at_plan(
            &lab,
            &hcl,
            RejectedAt {
                attributes: &[timeout],
                rule_words: &[&["Invalid timeout"], &["is not a duration"]],
            },
        );
        out.assert_contains(&format!("in resource \"{resource_type}\" \"x\""));
    }
}

/// A lab whose Graph answers as the fault `rules` say, how many objects its `collection` holds
/// before the test, and a working directory configured with `hcl` against it.
fn faulty_lab(collection: &str, rules: &Value, hcl: &str) -> (Lab, usize, Terraform) {
    let lab = Lab::start();
    let before = lab.objects(collection).len();
    set_faults(&lab, &json!({ "rules": rules }));
    let tf = Terraform::configured(&lab, hcl);
    (lab, before, tf)
}

/// A group whose create may take one second.
const GROUP_WITH_SHORT_CREATE: &str = r#"
resource "autopilot_group" "g" {
  display_name = "Autopilot Devices (Slow)"
  timeouts {
    create = "1s"
  }
}
"#;

#[test]
fn a_create_timeout_running_out_against_a_slow_lab_names_it_and_creates_nothing() {
    // Every read of the groups collection (the create looks its name up first) takes 3 s.
    let slow_reads = json!([{"method": "GET", "path": "^/v1.0/groups$", "delay_ms": 3000}]);
    let (lab, before, tf) = faulty_lab("groups", &slow_reads, GROUP_WITH_SHORT_CREATE);
    lab.clear_requests();
    let out = tf.apply_expect_error();
    out.assert_contains("timeouts.create (1s) ran out")
        .assert_contains("create = \"1s\"")
        .assert_not_contains("panic");
    let writes = write_requests(&lab);
    assert!(
        writes.is_empty(),
        "a create past its timeout sent writes:\n{}",
        show_requests(&writes)
    );
    assert_eq!(lab.objects("groups").len(), before, "a group was created");
    assert!(
        tf.state_addresses().is_empty(),
        "{:?}",
        tf.state_addresses()
    );

    // Without the delay the same configuration applies within its timeout.
    set_faults(&lab, &json!({"rules": []}));
    tf.apply()
        .assert_contains("1 added, 0 changed, 0 destroyed");
    tf.assert_no_changes();
    tf.destroy();
    assert_eq!(lab.objects("groups").len(), before);
}

/// A deployment profile whose create may take two seconds.
const PROFILE_WITH_SHORT_CREATE: &str = r#"
resource "autopilot_deployment_profile" "p" {
  display_name      = "Slow profile"
  join_type         = "entra"
  include_group_ids = ["%G1%"]
  timeouts {
    create = "2s"
  }
}
"#;

#[test]
fn a_create_timeout_running_out_after_the_post_keeps_the_profile_in_state() {
    // The POST answers at once; every request after it (the assignment) waits 3 s.
    let slow_assignments = json!([{"path": "/assignments$|/assign$", "delay_ms": 3000}]);
    let (lab, before, tf) = faulty_lab(
        "windowsAutopilotDeploymentProfiles",
        &slow_assignments,
        &PROFILE_WITH_SHORT_CREATE.replace("%G1%", G1),
    );
    let out = tf.apply_expect_error();
    out.assert_contains("timeouts.create (2s) ran out")
        .assert_not_contains("panic");
    // The profile Graph created is in state (tainted), so nothing is left behind.
    let profiles = lab.objects("windowsAutopilotDeploymentProfiles");
    assert_eq!(profiles.len(), before + 1, "{profiles:#?}");
    assert_eq!(
        tf.state_addresses(),
        ["autopilot_deployment_profile.p"],
        "the created profile must be in state"
    );
    set_faults(&lab, &json!({"rules": []}));
    tf.destroy();
    assert_eq!(
        lab.objects("windowsAutopilotDeploymentProfiles").len(),
        before
    );
}

/// A device preparation policy whose create (and update) may take three seconds.
const POLICY_WITH_SHORT_CREATE: &str = r#"
resource "autopilot_group" "devices" {
  display_name              = "DevicePrep Devices"
  provisioning_client_owner = true
}

resource "autopilot_device_preparation_policy" "dp" {
  display_name      = "Throttled policy"
  device_group_id   = autopilot_group.devices.id
  include_group_ids = ["%G1%"]
  timeouts {
    create = "3s"
  }
}
"#;

#[test]
fn a_policy_create_throttled_past_its_timeout_names_it_and_keeps_the_policy() {
    let policies = "configurationPolicies";
    // The policy's POST answers at once; its assignment is throttled for a minute, longer
    // than the whole create may take.
    let throttled =
        json!([{"method": "POST", "path": "/assign$", "status": 429, "retry_after": 60}]);
    let (lab, before, tf) = faulty_lab(
        policies,
        &throttled,
        &POLICY_WITH_SHORT_CREATE.replace("%G1%", G1),
    );
    let out = tf.apply_expect_error();
    out.assert_contains("timeouts.create (3s) ran out")
        .assert_contains("create = \"3s\"")
        .assert_not_contains("panic");
    assert_eq!(lab.objects(policies).len(), before + 1);
    assert!(
        tf.state_addresses()
            .iter()
            .any(|a| a == "autopilot_device_preparation_policy.dp"),
        "the created policy must be in state: {:?}",
        tf.state_addresses()
    );

    // Unthrottled, the next apply replaces the tainted policy and the plan after it is empty.
    set_faults(&lab, &json!({"rules": []}));
    tf.apply();
    tf.assert_no_changes();
    tf.destroy();
    assert_eq!(lab.objects(policies).len(), before);
}
