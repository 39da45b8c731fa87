//! The lifecycle around a registration, through the real `terraform` binary: tearing down an
//! enrolled device (`destroy_enrolled`, `destroy_entra_device`) for `autopilot_device` and
//! `autopilot_device_csv`, and waiting for a deployment profile (`wait_for_profile_assignment`).

use acceptance_tests::checks::{assert_said, state_values};
use acceptance_tests::devices::{self, device_hcl, hardware_hash};
use acceptance_tests::{Lab, Terraform, lab_with_settings, put_lab_settings, string_attr};
use reqwest::Method;
use serde_json::{Value, json};

const DEVICE: &str = "autopilot_device.x";
const CSV_HEADER: &str = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag";

fn device_config(serial: &str, seed: u64, extra: &str) -> String {
    device_hcl(serial, &hardware_hash(seed, 100), extra)
}

/// Writes `hwids.csv` with `serials` (group tag `tag`) and a configuration reading it.
fn write_csv(tf: &Terraform, serials: &[&str], tag: &str, extra: &str) {
    let mut text = format!("{CSV_HEADER}\r\n");
    for (i, serial) in serials.iter().enumerate() {
        let hash = hardware_hash(4_000 + i as u64, 96);
        text.push_str(&format!("{serial},,{hash},{tag}\r\n"));
    }
    std::fs::write(tf.dir().join("hwids.csv"), text).expect("write hwids.csv");
    tf.write_config(&csv_resource(extra));
}

/// `autopilot_device_csv.hw` reading `hwids.csv`.
fn csv_resource(extra: &str) -> String {
    format!(
        r#"
resource "autopilot_device_csv" "hw" {{
  content = file("${{path.module}}/hwids.csv")
{extra}
}}
"#
    )
}

/// Enrolls a registration as Intune would (`PUT /_lab/devices/{id}/enrollment`): the lab makes
/// its managed device (a new id) and its Entra device object. Returns the managed device id.
fn enroll(lab: &Lab, id: &str) -> String {
    let device = lab
        .control()
        .control(
            Method::PUT,
            &format!("devices/{id}/enrollment"),
            Some(&json!({"enrollment_state": "enrolled"})),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let managed = device["managedDeviceId"].as_str().unwrap_or_default();
    assert!(
        lab.objects("managedDevices")
            .iter()
            .any(|m| m["id"] == managed),
        "the lab made managed device {managed}: {device}"
    );
    managed.to_owned()
}

/// The Entra device objects whose `deviceId` is one of the registrations'.
fn entra_devices_of(lab: &Lab, registrations: &[Value]) -> Vec<Value> {
    let ids: Vec<&str> = registrations
        .iter()
        .filter_map(|r| r["azureActiveDirectoryDeviceId"].as_str())
        .collect();
    lab.objects("devices")
        .into_iter()
        .filter(|d| ids.contains(&d["deviceId"].as_str().unwrap_or_default()))
        .collect()
}

fn managed_device_exists(lab: &Lab, id: &str) -> bool {
    lab.objects("managedDevices").iter().any(|m| m["id"] == id)
}

#[test]
fn an_enrolled_device_is_refused_without_the_opt_in_and_torn_down_with_it() {
    let lab = lab_with_settings(&json!({"device_deletion_delay_ms": 0}));
    let tf = Terraform::configured(&lab, &device_config("ACC-LIFE-0001", 70, ""));
    tf.apply();
    let state = state_values(&tf, DEVICE);
    assert_eq!(state["destroy_enrolled"], json!(false), "{state}");
    let id = string_attr(&state, "id");
    let managed = enroll(&lab, &id);
    let registration = devices::identity(&lab, &id).expect("registered");

    // Without the opt-in: refused, and the error names the opt-in.
    let out = tf.run(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_ne!(
        out.code, 0,
        "destroying an enrolled device succeeded\n{out}"
    );
    assert!(
        out.diagnostics().contains("destroy_enrolled = true"),
        "{out}"
    );
    assert_eq!(tf.state_addresses(), vec![DEVICE.to_string()]);
    assert!(
        devices::identity(&lab, &id).is_some(),
        "the registration stays"
    );
    assert!(
        managed_device_exists(&lab, &managed),
        "the managed device stays"
    );

    // The opt-in shows in the plan, is applied without a Graph write, then the destroy removes
    // the managed device and then the registration; the Entra device stays.
    tf.write_config(&device_config(
        "ACC-LIFE-0001",
        70,
        "  destroy_enrolled = true",
    ));
    tf.plan()
        .assert_contains("destroy_enrolled")
        .assert_contains("true");
    lab.clear_requests();
    tf.apply();
    assert!(
        acceptance_tests::write_requests(&lab).is_empty(),
        "the opt-in alone writes nothing"
    );
    tf.assert_no_changes();
    tf.destroy();
    assert!(tf.state_addresses().is_empty());
    assert!(
        !managed_device_exists(&lab, &managed),
        "the managed device is deleted"
    );
    assert!(
        devices::identity(&lab, &id).is_none(),
        "the registration is deleted"
    );
    assert_eq!(
        entra_devices_of(&lab, &[registration]).len(),
        1,
        "the Entra device stays without destroy_entra_device"
    );
}

#[test]
fn destroy_entra_device_without_destroy_enrolled_fails_at_plan() {
    let lab = Lab::start();
    let tf = Terraform::configured(
        &lab,
        &device_config("ACC-LIFE-0002", 71, "  destroy_entra_device = true"),
    );
    let out = tf.run(&["plan", "-no-color", "-input=false"]);
    assert_ne!(out.code, 0, "{out}");
    assert_said(&out, &["destroy_entra_device", "destroy_enrolled = true"]);
    assert!(devices::registered(&lab).is_empty(), "nothing was imported");
}

#[test]
fn a_csv_of_enrolled_devices_is_torn_down_with_its_entra_devices() {
    // Intune lets go of each registration 2 s after its managed device is deleted: the destroy
    // waits for that before it deletes the registrations.
    let lab = lab_with_settings(
        &json!({"device_deletion_delay_ms": 0, "managed_device_release_delay_ms": 2000}),
    );
    let tf = Terraform::new(&lab);
    write_csv(
        &tf,
        &["ACC-LIFE-0101", "ACC-LIFE-0102", "ACC-LIFE-0103"],
        "LIFE",
        "  destroy_enrolled     = true\n  destroy_entra_device = true",
    );
    tf.apply();
    let registrations = devices::registered(&lab);
    assert_eq!(registrations.len(), 3);
    // Two of the three enroll; the third never did (it has no managed device).
    let managed: Vec<String> = registrations[..2]
        .iter()
        .map(|r| enroll(&lab, r["id"].as_str().unwrap_or_default()))
        .collect();
    let registrations = devices::registered(&lab);
    // Registration made each device's Entra device object, enrolled or not.
    assert_eq!(entra_devices_of(&lab, &registrations).len(), 3);

    tf.destroy();
    assert!(tf.state_addresses().is_empty());
    for id in &managed {
        assert!(
            !managed_device_exists(&lab, id),
            "managed device {id} is deleted"
        );
    }
    assert!(
        devices::registered(&lab).is_empty(),
        "every registration is deleted"
    );
    assert!(
        entra_devices_of(&lab, &registrations).is_empty(),
        "the Entra devices are deleted"
    );
    let deletes: Vec<String> = lab
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    let first_registration = deletes
        .iter()
        .position(|p| p.contains("windowsAutopilotDeviceIdentities"));
    let last_managed = deletes.iter().rposition(|p| p.contains("managedDevices"));
    let first_entra = deletes.iter().position(|p| p.contains("/devices/"));
    assert!(
        last_managed < first_registration && first_registration < first_entra,
        "Intune, then Autopilot, then Entra: {deletes:?}"
    );
}

/// A dynamic group of the devices tagged `tag`, a deployment profile assigned to it, and a
/// group of every Autopilot device that no profile targets.
fn profile_config(tag: &str) -> String {
    format!(
        r#"
resource "autopilot_group" "tagged" {{
  display_name = "Autopilot - {tag}"
  group_tags   = ["{tag}"]
}}

resource "autopilot_group" "everyone" {{
  display_name          = "Autopilot - every device"
  all_autopilot_devices = true
}}

resource "autopilot_deployment_profile" "tagged" {{
  display_name      = "Entra join {tag}"
  join_type         = "entra"
  deployment_mode   = "user_driven"
  include_group_ids = [autopilot_group.tagged.id]
}}
"#
    )
}

/// The profile of [`profile_config`] for `profile_tag`, and an `autopilot_device` tagged `tag`
/// that waits for its profile (after the profile exists).
fn waiting_device(profile_tag: &str, serial: &str, seed: u64, tag: &str, extra: &str) -> String {
    profile_config(profile_tag)
        + &device_config(
            serial,
            seed,
            &format!(
                "  group_tag                   = \"{tag}\"\n  wait_for_profile_assignment = true\n  depends_on                  = [autopilot_deployment_profile.tagged, autopilot_group.everyone]\n{extra}"
            ),
        )
}

const ASSIGNED: [&str; 3] = [
    "assignedInSync",
    "assignedOutOfSync",
    "assignedUnkownSyncState",
];

#[test]
fn the_wait_for_a_profile_ends_when_intune_assigns_it() {
    let lab = lab_with_settings(&json!({"profile_assignment_delay_ms": 3000}));
    let config = waiting_device("WAIT", "ACC-WAIT-0001", 80, "WAIT", "");
    let tf = Terraform::configured(&lab, &config);
    tf.plan()
        .assert_contains("wait_for_profile_assignment")
        .assert_contains("= true");
    let started = std::time::Instant::now();
    tf.apply();
    let state = state_values(&tf, DEVICE);
    let status = string_attr(&state, "deployment_profile_assignment_status");
    assert!(ASSIGNED.contains(&status.as_str()), "{state}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(3),
        "the apply waited for the lab's 3 s assignment delay"
    );
    assert_ne!(
        state["deployment_profile_assigned_date_time"],
        Value::Null,
        "{state}"
    );
    tf.assert_no_changes();
}

#[test]
fn a_wait_that_runs_out_keeps_the_registration_and_waits_again_on_the_next_apply() {
    let lab = lab_with_settings(&json!({"profile_assignment_delay_ms": 600_000}));
    let timeout = "  timeouts {\n    create = \"4s\"\n  }";
    let config = waiting_device("SLOW", "ACC-WAIT-0002", 81, "SLOW", timeout);
    let tf = Terraform::configured(&lab, &config);
    let out = tf.apply();
    assert_said(&out, &["timeouts.create", "ACC-WAIT-0002"]);
    let state = state_values(&tf, DEVICE);
    assert_eq!(
        state["deployment_profile_assignment_status"],
        json!("pending"),
        "{state}"
    );
    let id = string_attr(&state, "id");
    assert!(
        devices::identity(&lab, &id).is_some(),
        "the registration stays"
    );
    assert_eq!(devices::import_posts(&lab), 1);

    // The next plan waits again in place; it does not import the device again.
    let plan = tf.plan();
    plan.assert_contains("update in-place")
        .assert_not_contains("must be replaced");
    put_lab_settings(&lab, &json!({"profile_assignment_delay_ms": 0}));
    tf.apply();
    let state = state_values(&tf, DEVICE);
    assert_eq!(string_attr(&state, "id"), id);
    assert_eq!(
        state["deployment_profile_assignment_status"],
        json!("assignedInSync"),
        "{state}"
    );
    assert_eq!(devices::import_posts(&lab), 1, "no second import");
    tf.assert_no_changes();
}

#[test]
fn a_device_no_profile_targets_fails_fast_naming_its_groups_and_the_profiles() {
    let lab = Lab::start();
    let config = waiting_device("TARGETED", "ACC-WAIT-0003", 82, "ELSEWHERE", "");
    let tf = Terraform::configured(&lab, &config);
    let started = std::time::Instant::now();
    // Create: a warning (an error would taint the device and import it again next time).
    let out = tf.apply();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "failed fast"
    );
    let profile = string_attr(
        &state_values(&tf, "autopilot_deployment_profile.tagged"),
        "id",
    );
    let tagged = string_attr(&state_values(&tf, "autopilot_group.tagged"), "id");
    assert_said(
        &out,
        &[
            "no deployment profile targets it",
            "Autopilot - every device",
            &format!("Entra join TARGETED ({profile}): group {tagged}"),
        ],
    );
    let state = state_values(&tf, DEVICE);
    assert_eq!(
        state["deployment_profile_assignment_status"],
        json!("notAssigned"),
        "{state}"
    );
    // Update: the same finding is an error, and the device stays as it is.
    let out = tf.apply_expect_error();
    assert!(
        out.diagnostics()
            .contains("no deployment profile targets it"),
        "{out}"
    );
    assert_eq!(tf.state_addresses().len(), 4, "{out}");
    assert_eq!(devices::import_posts(&lab), 1, "no second import");
}

#[test]
fn a_csv_waits_for_every_row_with_one_listing_per_poll() {
    let lab = lab_with_settings(&json!({"profile_assignment_delay_ms": 2500}));
    let tf = Terraform::new(&lab);
    let serials = ["ACC-WAIT-0101", "ACC-WAIT-0102", "ACC-WAIT-0103"];
    let extra = "  wait_for_profile_assignment = true\n  depends_on = [autopilot_deployment_profile.tagged, autopilot_group.everyone]";
    write_csv(&tf, &serials, "CSVWAIT", extra);
    tf.write_config(&format!(
        "{}{}",
        profile_config("CSVWAIT"),
        csv_resource(extra)
    ));
    lab.clear_requests();
    tf.apply();
    let rows = &state_values(&tf, "autopilot_device_csv.hw")["devices"];
    for serial in serials {
        let status = rows[serial]["deployment_profile_assignment_status"]
            .as_str()
            .unwrap_or_default();
        assert!(ASSIGNED.contains(&status), "{serial}: {rows}");
    }
    let reads: Vec<String> = lab
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.contains("windowsAutopilotDeviceIdentities"))
        .map(|r| r.path)
        .collect();
    assert!(
        reads
            .iter()
            .all(|p| p.ends_with("windowsAutopilotDeviceIdentities")),
        "only listings, never a GET per device: {reads:?}"
    );
    assert!(reads.len() >= 2, "the wait polled: {reads:?}");
    tf.assert_no_changes();
}
