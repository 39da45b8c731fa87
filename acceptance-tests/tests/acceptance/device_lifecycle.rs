//! The lifecycle around a registration, through the real `terraform` binary: tearing down an
//! enrolled device (`destroy_enrolled`, `destroy_entra_device`) for `autopilot_device` and
//! `autopilot_device_csv`, and waiting for a deployment profile (`wait_for_profile_assignment`).

use acceptance_tests::checks::state_values;
use acceptance_tests::devices::{self, hardware_hash};
use acceptance_tests::{Lab, Terraform, put_lab_settings, string_attr};
use reqwest::Method;
use serde_json::{Value, json};

const DEVICE: &str = "autopilot_device.x";
const CSV_HEADER: &str = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag";

fn device_config(serial: &str, seed: u64, extra: &str) -> String {
    format!(
        r#"
resource "autopilot_device" "x" {{
  serial_number = "{serial}"
  hardware_hash = "{hash}"
{extra}
}}
"#,
        hash = hardware_hash(seed, 100)
    )
}

/// Writes `hwids.csv` with `serials` (group tag `tag`) and a configuration reading it.
fn write_csv(tf: &Terraform, serials: &[&str], tag: &str, extra: &str) {
    let mut text = format!("{CSV_HEADER}\r\n");
    for (i, serial) in serials.iter().enumerate() {
        let hash = hardware_hash(4_000 + i as u64, 96);
        text.push_str(&format!("{serial},,{hash},{tag}\r\n"));
    }
    std::fs::write(tf.dir().join("hwids.csv"), text).expect("write hwids.csv");
    tf.write_config(&format!(
        r#"
resource "autopilot_device_csv" "hw" {{
  content = file("${{path.module}}/hwids.csv")
{extra}
}}
"#
    ));
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
    let lab = Lab::start();
    put_lab_settings(&lab, &json!({"device_deletion_delay_ms": 0}));
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
    let said = out.diagnostics();
    assert!(said.contains("destroy_entra_device"), "{out}");
    assert!(said.contains("destroy_enrolled = true"), "{out}");
    assert!(devices::registered(&lab).is_empty(), "nothing was imported");
}

#[test]
fn a_csv_of_enrolled_devices_is_torn_down_with_its_entra_devices() {
    let lab = Lab::start();
    // Intune lets go of each registration 2 s after its managed device is deleted: the destroy
    // waits for that before it deletes the registrations.
    put_lab_settings(
        &lab,
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
    assert_eq!(entra_devices_of(&lab, &registrations).len(), 2);

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
