//! `autopilot_device` against a running lab, through the real `terraform` binary: the import
//! lifecycle, hash padding, drift of the group tag, import by id and serial number, and the
//! import errors (806 already registered here, 808 registered in another tenant).

use acceptance_tests::checks::{assert_said, read_outputs, state_values};
use acceptance_tests::devices::{self, IDENTITIES, device_hcl, hardware_hash};
use acceptance_tests::lifecycle::{apply_adding, recreate_after_outside_delete};
use acceptance_tests::{
    Lab, Terraform, assert_no_writes, lab_with_settings, show_requests, string_attr, write_requests,
};
use serde_json::{Value, json};

const ADDR: &str = "autopilot_device.x";
const USER: &str = "adele.vance@autopilotlab.onmicrosoft.com";
const OTHER_USER: &str = "alex.wilber@autopilotlab.onmicrosoft.com";
const SYNC: &str = "deviceManagement/windowsAutopilotSettings/sync";

/// A hash whose Base64 needs padding, without it (as devices produce it).
fn unpadded_hash(seed: u64) -> String {
    let hash = hardware_hash(seed, 100);
    assert!(hash.ends_with('='), "100 bytes need padding: {hash}");
    hash.trim_end_matches('=').to_string()
}

fn identity(lab: &Lab, id: &str) -> Value {
    devices::identity(lab, id).unwrap_or_else(|| panic!("device {id} is not registered"))
}

#[test]
fn lifecycle_padding_drift_update_destroy() {
    // Syncs may follow each other after 15 s here (Intune: 10 minutes), so that the test does
    // not wait that long; deletions are immediate (their delay has its own test).
    let lab =
        lab_with_settings(&json!({"sync_min_interval_ms": 15000, "device_deletion_delay_ms": 0}));
    let tf = Terraform::new(&lab);
    let hash = unpadded_hash(1);
    tf.write_config(&device_hcl(
        "ACC-DEV-0001",
        &hash,
        &format!(
            "  group_tag = \"SITE-A\"\n  assigned_user_principal_name = \"{USER}\"\n  timeouts {{\n    create = \"2m\"\n  }}"
        ),
    ));

    // Create: the unpadded hash is padded for Graph (the lab refuses unpadded Base64).
    let state = apply_adding(&tf, 1, ADDR);
    let id = string_attr(&state, "id");
    assert_eq!(
        state["hardware_hash"],
        json!(hash),
        "the state keeps the configured form"
    );
    assert_eq!(state["enrollment_state"], json!("notContacted"), "{state}");
    assert_eq!(state["group_tag"], json!("SITE-A"));
    assert_eq!(state["assigned_user_principal_name"], json!(USER));
    let device = identity(&lab, &id);
    assert_eq!(device["serialNumber"], json!("ACC-DEV-0001"));
    assert_eq!(device["groupTag"], json!("SITE-A"));
    assert_eq!(device["userPrincipalName"], json!(USER));
    assert!(
        devices::import_records(&lab).is_empty(),
        "the import record is cleaned up: {:#?}",
        devices::import_records(&lab)
    );

    // Quiet plan, also when only the padding of the hash changes.
    lab.clear_requests();
    tf.assert_no_changes();
    tf.write_config(&device_hcl(
        "ACC-DEV-0001",
        &format!("{hash}=="),
        &format!(
            "  group_tag = \"SITE-A\"\n  assigned_user_principal_name = \"{USER}\"\n  timeouts {{\n    create = \"2m\"\n  }}"
        ),
    ));
    tf.assert_no_changes();
    assert_no_writes(&lab, "the plans");

    // The group tag changed outside Terraform (shown after an Autopilot sync): the plan shows it,
    // apply puts it back in place, asking for a sync itself (too soon after this one: Intune's
    // 429 is waited out).
    lab.graph_post(
        &format!("{IDENTITIES}/{id}/updateDeviceProperties"),
        &json!({"groupTag": "EDITED-IN-PORTAL"}),
    );
    lab.graph_post(SYNC, &json!(null));
    let plan = tf.plan_detailed().expect_code(2);
    plan.assert_contains("EDITED-IN-PORTAL")
        .assert_contains("will be updated in-place")
        .assert_not_contains("must be replaced");
    lab.clear_requests();
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    assert_eq!(identity(&lab, &id)["groupTag"], json!("SITE-A"));
    let syncs: Vec<u16> = lab
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/windowsAutopilotSettings/sync"))
        .map(|r| r.status)
        .collect();
    assert_eq!(
        syncs.last(),
        Some(&204),
        "the provider asked for a sync: {syncs:?}"
    );
    assert!(
        syncs.contains(&429),
        "the sync came too soon and was refused first: {syncs:?}"
    );
    tf.assert_no_changes();

    // Update in place: display name, another tag, another user; the id stays.
    tf.write_config(&device_hcl(
        "ACC-DEV-0001",
        &hash,
        &format!(
            "  group_tag = \"SITE-B\"\n  display_name = \"KIOSK-01\"\n  assigned_user_principal_name = \"{OTHER_USER}\""
        ),
    ));
    lab.clear_requests();
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    // The identity shows the values (Autopilot applied them at the provider's sync), and the
    // next plan is empty.
    let device = identity(&lab, &id);
    assert_eq!(device["groupTag"], json!("SITE-B"));
    assert_eq!(device["displayName"], json!("KIOSK-01"));
    assert_eq!(device["userPrincipalName"], json!(OTHER_USER));
    assert_eq!(string_attr(&state_values(&tf, ADDR), "id"), id);
    let writes = write_requests(&lab);
    assert!(
        writes
            .iter()
            .all(|r| !r.path.contains("importedWindowsAutopilot")),
        "an update must not import again:\n{}",
        show_requests(&writes)
    );
    assert!(
        writes
            .iter()
            .any(|r| r.path.ends_with("/windowsAutopilotSettings/sync") && r.status == 204),
        "no Autopilot sync after the writes:\n{}",
        show_requests(&writes)
    );
    tf.assert_no_changes();

    // Unassign the user and drop the tag.
    tf.write_config(&device_hcl(
        "ACC-DEV-0001",
        &hash,
        "  display_name = \"KIOSK-01\"",
    ));
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    let device = identity(&lab, &id);
    assert!(
        device["userPrincipalName"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{device}"
    );
    assert!(
        device["groupTag"].as_str().unwrap_or_default().is_empty(),
        "{device}"
    );
    tf.assert_no_changes();

    // Deleted outside Terraform: the plan recreates it.
    lab.graph_delete(&format!("{IDENTITIES}/{id}"));
    recreate_after_outside_delete(&tf, ADDR, &id);
    tf.assert_no_changes();

    // A new hash replaces the registration.
    tf.write_config(&device_hcl(
        "ACC-DEV-0001",
        &hardware_hash(2, 100),
        "  display_name = \"KIOSK-01\"",
    ));
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("must be replaced");

    // Destroy: nothing left.
    devices::destroy_leaves_no_device(&tf, &lab);
}

/// Autopilot deletes asynchronously: a destroy waits until the registration is gone, so that an
/// apply right after (the lab-rebuild workflow) imports the same device again instead of meeting
/// 806 on a registration still being deleted.
#[test]
fn destroy_then_apply_of_the_same_device_converges() {
    let lab = lab_with_settings(&json!({"device_deletion_delay_ms": 3000}));
    let tf = Terraform::configured(
        &lab,
        &device_hcl("ACC-REBUILD-01", &hardware_hash(40, 100), ""),
    );
    let first = string_attr(&apply_adding(&tf, 1, ADDR), "id");
    tf.destroy().assert_contains("1 destroyed");
    assert!(
        devices::identity(&lab, &first).is_none(),
        "the destroy returned before Autopilot finished deleting"
    );
    let second = string_attr(&apply_adding(&tf, 1, ADDR), "id");
    assert_ne!(first, second);
    tf.assert_no_changes();
}

#[test]
fn import_by_serial_number_and_by_id_gives_an_empty_plan() {
    let lab = Lab::start();
    let hash = hardware_hash(10, 120);
    let id = string_attr(
        &devices::register(&lab, "ACC-IMP-0001", &hash, "SITE-I"),
        "id",
    );
    let hcl = device_hcl("ACC-IMP-0001", &hash, "  group_tag = \"SITE-I\"");

    // By serial number.
    let tf = Terraform::configured(&lab, &hcl);
    tf.import(ADDR, "ACC-IMP-0001").success();
    assert_eq!(string_attr(&state_values(&tf, ADDR), "id"), id);
    lab.clear_requests();
    tf.assert_no_changes();
    assert!(write_requests(&lab).is_empty());

    // By id, in another working directory.
    let tf2 = Terraform::configured(&lab, &hcl);
    tf2.import(ADDR, &id).success();
    tf2.assert_no_changes();

    // Unknown ids and serial numbers fail clearly.
    let tf3 = Terraform::configured(&lab, &hcl);
    let out = tf3.import(ADDR, "NO-SUCH-SERIAL").expect_failure();
    assert!(
        out.diagnostics()
            .contains("No Autopilot device has the id or serial number"),
        "{out}"
    );

    // Destroy removes the imported registration.
    tf.destroy();
    assert!(devices::identity(&lab, &id).is_none());
}

/// A device registered before (by an OEM, a reseller or by hand) with the same serial number and
/// hash: Intune answers the import with 806, and the registration is adopted, with a warning
/// naming it, since from then on a destroy deletes a registration Terraform never made.
#[test]
fn a_device_registered_before_is_adopted_with_a_warning_naming_it() {
    let lab = Lab::start();
    let hash = hardware_hash(20, 100);
    let existing_id = string_attr(&devices::register(&lab, "ACC-806-0001", &hash, ""), "id");
    let tf = Terraform::configured(
        &lab,
        &device_hcl("ACC-806-0001", &hash, "  group_tag = \"SITE-ADOPT\""),
    );
    let out = tf.apply();
    out.assert_contains("1 added, 0 changed, 0 destroyed");
    // The adoption is said, naming the adopted registration.
    assert_said(
        &out,
        &[
            "Adopted Autopilot device ACC-806-0001, registered before this apply",
            &existing_id,
            "terraform destroy",
        ],
    );
    assert_eq!(string_attr(&state_values(&tf, ADDR), "id"), existing_id);
    assert_eq!(
        devices::identity(&lab, &existing_id).map(|d| d["groupTag"].clone()),
        Some(json!("SITE-ADOPT")),
        "the adopted registration follows the configuration"
    );
    assert!(
        devices::import_records(&lab).is_empty(),
        "the refused import record is cleaned up: {:#?}",
        devices::import_records(&lab)
    );
    assert_eq!(devices::registered(&lab).len(), 1);
    tf.assert_no_changes();
    devices::destroy_leaves_no_device(&tf, &lab);
}

#[test]
fn an_enrolled_device_is_not_deleted_and_the_error_says_why() {
    let lab = Lab::start();
    let tf = Terraform::configured(
        &lab,
        &device_hcl("ACC-ENR-0001", &hardware_hash(30, 100), ""),
    );
    tf.apply();
    let id = string_attr(&state_values(&tf, ADDR), "id");
    devices::set_enrollment(&lab, &id, "enrolled");

    let out = tf.run(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert_ne!(
        out.code, 0,
        "destroying an enrolled device succeeded\n{out}"
    );
    // It says why, and what to do.
    assert_said(&out, &["is enrolled in Intune", "retire"]);
    assert_eq!(
        tf.state_addresses(),
        vec![ADDR.to_string()],
        "the device stays in the state"
    );
    assert_eq!(identity(&lab, &id)["enrollmentState"], "enrolled");
    // The plan reads the state Intune reports, and nothing else changes.
    assert_eq!(
        string_attr(&state_values(&tf, ADDR), "enrollment_state"),
        "enrolled"
    );

    devices::set_enrollment(&lab, &id, "notContacted");
    tf.destroy();
    assert!(devices::registered(&lab).is_empty());
}

#[test]
fn a_device_of_another_tenant_names_808() {
    let lab = Lab::start();
    devices::set_foreign(&lab, &["ACC-808-0001"]);
    let tf = Terraform::configured(
        &lab,
        &device_hcl("ACC-808-0001", &hardware_hash(30, 100), ""),
    );
    let out = tf.apply_expect_error();
    assert_said(&out, &["808", "another tenant"]);
    assert!(tf.state_addresses().is_empty());
    assert!(devices::import_records(&lab).is_empty());
    assert!(devices::registered(&lab).is_empty());
}

#[test]
fn a_hash_that_is_not_base64_fails_at_plan() {
    let lab = Lab::start();
    let tf = Terraform::configured(&lab, &device_hcl("ACC-BAD-0001", "not-base64!", ""));
    lab.clear_requests();
    let out = tf.plan_detailed().expect_code(1);
    assert_said(&out, &["Invalid hardware hash", "not Base64"]);
    assert!(write_requests(&lab).is_empty());
}

#[test]
fn a_refresh_of_many_devices_costs_pages_not_devices() {
    // Pages of 10, so that 40 devices take 4 pages.
    let lab = Lab::start_with_args(&["--page-size", "10"]);
    let tf = Terraform::new(&lab);
    let entries: String = (1..=40u64)
        .map(|i| {
            format!(
                "    \"ACC-REF-{i:04}\" = \"{}\"\n",
                hardware_hash(500 + i, 64)
            )
        })
        .collect();
    tf.write_config(&format!(
        r#"
locals {{
  devices = {{
{entries}  }}
}}

resource "autopilot_device" "many" {{
  for_each      = local.devices
  serial_number = each.key
  hardware_hash = each.value
  group_tag     = "REFRESH"
}}
"#
    ));
    tf.apply()
        .assert_contains("40 added, 0 changed, 0 destroyed");
    lab.clear_requests();
    tf.assert_no_changes();
    let reads: Vec<_> = lab.requests_matching(|r| {
        r.method == "GET" && r.path.contains("windowsAutopilotDeviceIdentities")
    });
    // One listing of 4 pages (a fifth, empty page at most), not 40 GETs.
    assert!(
        reads.len() <= 5,
        "a refresh of 40 devices made {} reads:\n{}",
        reads.len(),
        show_requests(&reads)
    );
    tf.destroy().assert_contains("40 destroyed");
    assert!(devices::registered(&lab).is_empty());
}

#[test]
fn data_sources_filter_devices_and_build_group_tag_rules() {
    let lab = Lab::start();
    let a1 = devices::register(&lab, "PF-0001", &hardware_hash(40, 64), "SITE-A");
    let a2 = devices::register(&lab, "PF-0002", &hardware_hash(41, 64), "site-a");
    devices::register(&lab, "XX-0003", &hardware_hash(42, 64), "SITE-A");
    devices::register(&lab, "PF-0004", &hardware_hash(43, 64), "SITE-B");
    let (tf, out) = read_outputs(
        &lab,
        r#"
data "autopilot_devices" "site_a_pf" {
  group_tag            = "SITE-A"
  serial_number_prefix = "pf-"
}

data "autopilot_devices" "all" {}

data "autopilot_group_tag_rule" "sites" {
  group_tags = ["SITE-B", "SITE-A"]
}

output "site_a_pf" {
  value = data.autopilot_devices.site_a_pf.devices[*].serial_number
}

output "site_a_pf_ids" {
  value = data.autopilot_devices.site_a_pf.ids
}

output "all" {
  value = length(data.autopilot_devices.all.devices)
}

output "rule" {
  value = data.autopilot_group_tag_rule.sites.rule
}
"#,
    );
    assert_eq!(out["site_a_pf"]["value"], json!(["PF-0001", "PF-0002"]));
    assert_eq!(out["site_a_pf_ids"]["value"], json!([a1["id"], a2["id"]]));
    assert_eq!(out["all"]["value"], json!(4));
    assert_eq!(
        out["rule"]["value"],
        json!(
            r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:SITE-A")) -or (device.devicePhysicalIds -any (_ -eq "[OrderID]:SITE-B"))"#
        )
    );

    // An enrollment state that does not exist is refused at plan.
    tf.write_config(
        r#"
data "autopilot_devices" "x" {
  enrollment_state = "Enrolled"
}
"#,
    );
    let out = tf.plan_detailed().expect_code(1);
    assert_said(&out, &["notContacted"]);
}

#[test]
fn a_lost_import_answer_is_recovered_without_a_second_import() {
    let lab = Lab::start();
    // Graph registers the import, but the answer never reaches the provider.
    devices::lose_the_next_answer(&lab, "importedWindowsAutopilotDeviceIdentities$");
    let tf = Terraform::configured(
        &lab,
        &device_hcl("ACC-LOST-0001", &hardware_hash(60, 64), ""),
    );
    tf.apply()
        .assert_contains("1 added, 0 changed, 0 destroyed");
    let registered = devices::registered(&lab);
    assert_eq!(registered.len(), 1, "{registered:#?}");
    assert_eq!(
        string_attr(&state_values(&tf, ADDR), "id"),
        registered[0]["id"].as_str().unwrap_or_default()
    );
    let posts = lab
        .requests_matching(|r| {
            r.method == "POST" && r.path.ends_with("importedWindowsAutopilotDeviceIdentities")
        })
        .len();
    assert_eq!(posts, 1, "the import is not sent twice");
    assert_eq!(devices::faults_fired(&lab), [1], "the answer was dropped");
    assert!(devices::import_records(&lab).is_empty());
    tf.assert_no_changes();
}

/// What Intune knows about a device (enrollment, the managed device, the Entra device, the
/// profile assignment, last contact, purchase order) is read into `autopilot_device`, each row
/// of `autopilot_device_csv.devices` and the `autopilot_devices` data source, and its changes
/// outside Terraform never make a diff.
#[test]
fn what_intune_knows_is_read_and_its_changes_make_no_diff() {
    let lab = Lab::start();
    let hash = hardware_hash(50, 100);
    let csv = format!(
        "Device Serial Number,Windows Product ID,Hardware Hash\nACC-FACT-CSV1,,{}\n",
        hardware_hash(51, 100)
    );
    let tf = Terraform::new(&lab);
    std::fs::write(tf.dir().join("hwids.csv"), csv).expect("write hwids.csv");
    tf.write_config(&format!(
        r#"{}
resource "autopilot_device_csv" "hw" {{
  content = file("${{path.module}}/hwids.csv")
}}

data "autopilot_devices" "all" {{
  depends_on = [autopilot_device.x, autopilot_device_csv.hw]
}}
"#,
        device_hcl("ACC-FACT-0001", &hash, "")
    ));
    tf.apply();
    let device = state_values(&tf, ADDR);
    let id = string_attr(&device, "id");
    let row_id = state_values(&tf, "autopilot_device_csv.hw")["devices"]["ACC-FACT-CSV1"]["id"]
        .as_str()
        .expect("the row's id")
        .to_string();
    let in_lab = identity(&lab, &id);
    assert_eq!(
        device["entra_device_id"], in_lab["azureAdDeviceId"],
        "{device}"
    );
    assert_eq!(device["enrollment_state"], json!("notContacted"));
    for never in [
        "managed_device_id",
        "last_contacted_date_time",
        "deployment_profile_assigned_date_time",
        "purchase_order_id",
    ] {
        assert_eq!(
            device[never],
            Value::Null,
            "{never}: Graph's placeholder must read as null\n{device}"
        );
    }
    tf.assert_no_changes();

    // Intune enrolls both devices: a refresh reads it, and no plan shows a change.
    devices::set_enrollment(&lab, &id, "enrolled");
    devices::set_enrollment(&lab, &row_id, "enrolled");
    tf.assert_no_changes();
    tf.run(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-no-color",
        "-input=false",
    ])
    .success();
    let device = state_values(&tf, ADDR);
    assert_eq!(device["enrollment_state"], json!("enrolled"), "{device}");
    let managed = identity(&lab, &id)["managedDeviceId"].clone();
    assert_eq!(device["managed_device_id"], managed, "{device}");
    let row = &state_values(&tf, "autopilot_device_csv.hw")["devices"]["ACC-FACT-CSV1"];
    assert_eq!(row["state"], json!("enrolled"), "{row}");
    assert_eq!(row["managed_device_id"], managed, "{row}");
    assert_eq!(
        row["entra_device_id"],
        identity(&lab, &row_id)["azureAdDeviceId"],
        "{row}"
    );
    let listed = &state_values(&tf, "data.autopilot_devices.all")["devices"];
    let entry = listed
        .as_array()
        .and_then(|all| all.iter().find(|d| d["id"] == json!(id)))
        .unwrap_or_else(|| panic!("the data source lists the device: {listed}"));
    assert_eq!(entry["managed_device_id"], managed, "{entry}");
    assert_eq!(entry["enrollment_state"], json!("enrolled"), "{entry}");
    tf.assert_no_changes();

    // Enrolled devices cannot be deleted; back to not contacted, destroy cleans up.
    devices::set_enrollment(&lab, &id, "notContacted");
    devices::set_enrollment(&lab, &row_id, "notContacted");
    tf.destroy();
    assert!(devices::registered(&lab).is_empty());
}
