//! `autopilot_device_csv` against a running lab, through the real `terraform` binary: plan-time
//! validation with line numbers, a small lifecycle (tag changes in place, removed rows deleted
//! with a plan warning naming them,
//! added rows imported, drift, import), a 600-row CSV with a device already registered here
//! (adopted, with a warning), one registered in another tenant and an unpadded hash, and what a
//! pipeline sees when rows are refused on the first apply and on later ones.

use std::collections::BTreeSet;

use acceptance_tests::checks::assert_said;
use acceptance_tests::devices::{self, IDENTITIES, hardware_hash};
use acceptance_tests::{
    Lab, Request, Terraform, assert_no_writes, lab_with_settings, show_requests, write_requests,
};
use serde_json::{Value, json};

const ADDR: &str = "autopilot_device_csv.hw";
const HEADER: &str =
    "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User";
const USER: &str = "megan.bowen@autopilotlab.onmicrosoft.com";

/// One CSV row: serial, hash, group tag, user.
#[derive(Clone)]
struct Row {
    serial: String,
    hash: String,
    tag: String,
    user: String,
}

fn row(i: u64, tag: &str) -> Row {
    Row {
        serial: format!("ACC-CSV-{i:04}"),
        hash: hardware_hash(1_000 + i, 96),
        tag: tag.to_string(),
        user: String::new(),
    }
}

fn csv(rows: &[Row]) -> String {
    let mut text = format!("{HEADER}\r\n");
    for r in rows {
        text.push_str(&format!(
            "{},,{},{},{}\r\n",
            r.serial, r.hash, r.tag, r.user
        ));
    }
    text
}

/// Writes `hwids.csv` and a configuration reading it.
fn write(tf: &Terraform, rows: &[Row], extra: &str) {
    std::fs::write(tf.dir().join("hwids.csv"), csv(rows)).expect("write hwids.csv");
    tf.write_config(&format!(
        r#"
resource "autopilot_device_csv" "hw" {{
  content = file("${{path.module}}/hwids.csv")
{extra}
}}
"#
    ));
}

fn state_devices(tf: &Terraform) -> serde_json::Map<String, Value> {
    let values = tf
        .resource_values(ADDR)
        .unwrap_or_else(|| panic!("{ADDR} is not in the state"));
    values["devices"]
        .as_object()
        .cloned()
        .unwrap_or_else(|| panic!("devices is not a map: {values}"))
}

fn serials(devices: &serde_json::Map<String, Value>) -> BTreeSet<String> {
    devices.keys().cloned().collect()
}

fn registered_serials(lab: &Lab) -> BTreeSet<String> {
    devices::registered(lab)
        .iter()
        .filter_map(|d| d["serialNumber"].as_str().map(str::to_string))
        .collect()
}

fn identity(lab: &Lab, id: &str) -> Value {
    devices::identity(lab, id).unwrap_or_else(|| panic!("device {id} is not registered"))
}

/// The Autopilot sync the provider asks for after writing tags or users.
fn is_sync(r: &Request) -> bool {
    r.path.ends_with("/windowsAutopilotSettings/sync")
}

fn is_import(r: &Request) -> bool {
    r.method == "POST" && r.path.contains("importedWindowsAutopilotDeviceIdentities")
}

#[test]
fn an_invalid_csv_fails_at_plan_naming_lines_and_imports_nothing() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    let mut rows: Vec<Row> = (1..=4).map(|i| row(i, "SITE-A")).collect();
    // Line 4 repeats the serial number of line 2; line 5 has a hash that is not Base64.
    rows[2].serial = rows[0].serial.clone();
    rows[3].hash = "not*base64".into();
    write(&tf, &rows, "");
    lab.clear_requests();
    let out = tf.plan_detailed().expect_code(1);
    assert_said(
        &out,
        &[
            "line 4",
            "already appears on line 2",
            "line 5",
            "not Base64",
        ],
    );
    tf.apply_expect_error();
    assert_no_writes(&lab, "the refused plan and apply");
    assert!(devices::registered(&lab).is_empty());
    assert!(tf.state_addresses().is_empty());
}

#[test]
fn a_bad_header_fails_at_plan() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    std::fs::write(
        tf.dir().join("hwids.csv"),
        "Device Serial Number,Windows Product ID,Hardware Hash,Notes\nSN1,,QUJD,x\n",
    )
    .expect("write hwids.csv");
    tf.write_config(
        r#"
resource "autopilot_device_csv" "hw" {
  content = file("${path.module}/hwids.csv")
}
"#,
    );
    let out = tf.plan_detailed().expect_code(1);
    assert_said(&out, &["line 1", "Group Tag"]);
}

#[test]
fn lifecycle_tags_in_place_removed_rows_deleted_added_rows_imported() {
    // Syncs may follow each other after 2 s here (Intune: 10 minutes).
    let lab = lab_with_settings(&json!({"sync_min_interval_ms": 2000}));
    let tf = Terraform::new(&lab);
    let mut rows: Vec<Row> = (1..=4).map(|i| row(i, "SITE-A")).collect();
    rows[3].user = USER.into();
    write(&tf, &rows, "");

    tf.apply()
        .assert_contains("1 added, 0 changed, 0 destroyed");
    let state = state_devices(&tf);
    assert_eq!(state.len(), 4, "{state:#?}");
    let entry = &state["ACC-CSV-0004"];
    assert_eq!(entry["group_tag"], json!("SITE-A"));
    assert_eq!(entry["assigned_user_principal_name"], json!(USER));
    assert_eq!(entry["state"], json!("notContacted"));
    let id4 = entry["id"].as_str().expect("id").to_string();
    assert_eq!(identity(&lab, &id4)["userPrincipalName"], json!(USER));
    assert_eq!(devices::registered(&lab).len(), 4);
    assert!(devices::import_records(&lab).is_empty());
    tf.assert_no_changes();

    // A changed tag is an in-place update of that one device.
    rows[0].tag = "SITE-B".into();
    write(&tf, &rows, "");
    let plan = tf.plan_detailed().expect_code(2);
    plan.assert_contains("will be updated in-place")
        .assert_contains("SITE-B")
        .assert_not_contains("must be replaced");
    lab.clear_requests();
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    let (syncs, writes): (Vec<Request>, Vec<Request>) =
        write_requests(&lab).into_iter().partition(is_sync);
    let id1 = state_devices(&tf)["ACC-CSV-0001"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(
        writes.len(),
        1,
        "one updateDeviceProperties:\n{}",
        show_requests(&writes)
    );
    assert!(
        syncs.iter().any(|r| r.status == 204),
        "no Autopilot sync after the update"
    );
    assert!(
        writes[0]
            .path
            .ends_with(&format!("{id1}/updateDeviceProperties"))
    );
    assert_eq!(identity(&lab, &id1)["groupTag"], json!("SITE-B"));
    tf.assert_no_changes();

    // Drift: a tag changed in the portal shows in the plan and is put back.
    lab.graph_post(
        &format!("{IDENTITIES}/{id1}/updateDeviceProperties"),
        &json!({"groupTag": "EDITED"}),
    );
    std::thread::sleep(std::time::Duration::from_millis(2100));
    lab.graph_post(
        "deviceManagement/windowsAutopilotSettings/sync",
        &json!(null),
    );
    tf.plan_detailed().expect_code(2).assert_contains("EDITED");
    tf.apply();
    assert_eq!(identity(&lab, &id1)["groupTag"], json!("SITE-B"));
    tf.assert_no_changes();

    // A removed row deletes that device; an added row is imported.
    let removed = rows.remove(1);
    let removed_id = state_devices(&tf)[&removed.serial]["id"]
        .as_str()
        .expect("id")
        .to_string();
    rows.push(row(5, "SITE-A"));
    write(&tf, &rows, "");
    // Terraform's summary counts the deregistration as a change; the plan says which device
    // goes, and planning writes nothing.
    lab.clear_requests();
    let plan = tf.plan_detailed().expect_code(2);
    plan.assert_contains("Plan: 0 to add, 1 to change, 0 to destroy.");
    // The plan names the deregistered device.
    assert_said(
        &plan,
        &[
            "Devices will be deregistered from Windows Autopilot",
            &format!(
                "1 device no longer in the CSV will be deleted from Windows Autopilot when this plan is applied: {}.",
                removed.serial
            ),
        ],
    );
    acceptance_tests::assert_no_writes(&lab, "the plan that drops a row");
    lab.clear_requests();
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    assert!(devices::identity(&lab, &removed_id).is_none());
    let state = state_devices(&tf);
    assert_eq!(
        serials(&state),
        rows.iter()
            .map(|r| r.serial.clone())
            .collect::<BTreeSet<_>>()
    );
    let writes = write_requests(&lab);
    assert_eq!(
        writes.iter().filter(|r| is_import(r)).count(),
        1,
        "one import for the added row:\n{}",
        show_requests(&writes)
    );
    tf.assert_no_changes();

    // `group_tag` replaces the column for every row.
    write(&tf, &rows, "  group_tag = \"ALL\"");
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    for device in devices::registered(&lab) {
        assert_eq!(device["groupTag"], json!("ALL"), "{device}");
    }
    tf.assert_no_changes();

    // Import the set into another working directory: a plan with no device changes.
    let tf2 = Terraform::new(&lab);
    write(&tf2, &rows, "");
    let ids: Vec<String> = rows.iter().map(|r| r.serial.clone()).collect();
    tf2.import(ADDR, &ids.join(",")).success();
    assert_eq!(state_devices(&tf2).len(), rows.len());

    // Destroy: nothing left.
    devices::destroy_leaves_no_device(&tf, &lab);
}

#[test]
fn six_hundred_rows_with_refused_devices_and_an_unpadded_hash() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    let mut rows: Vec<Row> = (1..=600).map(|i| row(i, "SITE-A")).collect();
    // Row 300 (line 301): a hash as devices produce it, without padding.
    let padded = hardware_hash(1_300, 100);
    assert!(padded.ends_with('='));
    rows[299].hash = padded.trim_end_matches('=').to_string();
    // Row 100 (line 101): registered outside Terraform. Row 200 (line 201): another tenant's.
    // Registered with the tag its row gives it, so adopting it writes nothing (a write would
    // start an Autopilot sync, and the tag change below would wait out the 10-minute rule).
    let external = devices::register(&lab, &rows[99].serial, &rows[99].hash, "SITE-A");
    devices::set_foreign(&lab, &[rows[199].serial.as_str()]);
    write(&tf, &rows, "");

    lab.clear_requests();
    let out = tf.apply();
    out.assert_contains("1 added, 0 changed, 0 destroyed");
    // The registration made outside Terraform is adopted, and said so with its line.
    assert_said(
        &out,
        &[
            "1 device(s) of the CSV were not imported (lines 201)",
            "line 201 (serial number ACC-CSV-0200): 808",
            "Adopted Autopilot device ACC-CSV-0100, registered before this apply",
            &format!(
                "- ACC-CSV-0100 (line 101): Autopilot device {}",
                external["id"].as_str().expect("id")
            ),
        ],
    );
    let imports: Vec<Request> =
        lab.requests_matching(|r| r.method == "POST" && r.path.ends_with("/import"));
    assert_eq!(
        imports.len(),
        2,
        "600 rows in chunks of 500:\n{}",
        show_requests(&imports)
    );

    // State holds exactly what landed (the adopted device and the unpadded hash included).
    let state = state_devices(&tf);
    let landed: BTreeSet<String> = rows
        .iter()
        .map(|r| r.serial.clone())
        .filter(|s| s != "ACC-CSV-0200")
        .collect();
    assert_eq!(serials(&state), landed);
    assert!(state.contains_key("ACC-CSV-0300"));
    assert_eq!(
        state["ACC-CSV-0100"]["id"], external["id"],
        "the adopted device keeps its registration"
    );
    assert_eq!(registered_serials(&lab), landed);
    assert!(devices::import_records(&lab).is_empty());

    // The next plan retries only the missing row, in place.
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("will be updated in-place")
        .assert_not_contains("must be replaced");

    // Without that row the next apply is clean and imports nothing.
    rows.retain(|r| r.serial != "ACC-CSV-0200");
    write(&tf, &rows, "");
    lab.clear_requests();
    tf.apply();
    assert_no_writes(&lab, "an apply with nothing to write");
    tf.assert_no_changes();
    assert_eq!(serials(&state_devices(&tf)), landed);

    // A changed tag is one in-place update; a removed row deletes that device.
    rows[4].tag = "SITE-B".into();
    let removed = rows.remove(5);
    write(&tf, &rows, "");
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("will be updated in-place")
        .assert_not_contains("must be replaced");
    let removed_id = state_devices(&tf)[&removed.serial]["id"]
        .as_str()
        .expect("id")
        .to_string();
    lab.clear_requests();
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    let writes: Vec<Request> = write_requests(&lab)
        .into_iter()
        .filter(|r| !is_sync(r))
        .collect();
    assert_eq!(
        writes.len(),
        2,
        "one update and one delete:\n{}",
        show_requests(&writes)
    );
    assert!(devices::identity(&lab, &removed_id).is_none());
    let state = state_devices(&tf);
    assert!(!state.contains_key(&removed.serial));
    assert_eq!(state[&rows[4].serial]["group_tag"], json!("SITE-B"));
    tf.assert_no_changes();

    // Destroy deletes every registration, the adopted one included (as its warning said).
    tf.destroy().assert_contains("1 destroyed");
    assert!(
        registered_serials(&lab).is_empty(),
        "{:?}",
        registered_serials(&lab)
    );
    assert!(devices::import_records(&lab).is_empty());
}

#[test]
fn a_lost_import_answer_is_recovered_without_a_second_import() {
    let lab = Lab::start();
    devices::lose_the_next_answer(&lab, "importedWindowsAutopilotDeviceIdentities/import$");
    let tf = Terraform::new(&lab);
    let rows: Vec<Row> = (1..=3).map(|i| row(i, "SITE-A")).collect();
    write(&tf, &rows, "");
    tf.apply()
        .assert_contains("1 added, 0 changed, 0 destroyed");
    assert_eq!(devices::faults_fired(&lab), [1], "the answer was dropped");
    assert_eq!(state_devices(&tf).len(), 3);
    assert_eq!(devices::registered(&lab).len(), 3);
    let imports = lab.requests_matching(is_import).len();
    assert_eq!(imports, 1, "the import is not sent twice");
    assert!(devices::import_records(&lab).is_empty());
    tf.assert_no_changes();
}

/// What a pipeline sees when rows are refused. On the first apply: a warning and exit 0 (an
/// error would taint the resource, and the next apply would delete and import again every
/// device), the next plan showing the missing row in place; with the documented postcondition
/// (Terraform 1.2+) the apply fails instead, and the resource is kept, not tainted. On a later
/// apply: an error, and the devices that landed stay.
#[test]
fn refused_rows_warn_on_create_fail_with_a_postcondition_and_fail_an_update() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    let rows: Vec<Row> = (1..=3).map(|i| row(i, "SITE-R")).collect();
    devices::set_foreign(&lab, &[rows[1].serial.as_str()]);
    write(&tf, &rows, "");

    let out = tf.apply();
    out.assert_contains("1 added, 0 changed, 0 destroyed");
    // The warning says why the apply completes and how to make a pipeline fail.
    assert_said(
        &out,
        &[
            "1 device(s) of the CSV were not imported (lines 3)",
            "Terraform reports this apply as complete",
            "postcondition",
        ],
    );
    assert_eq!(state_devices(&tf).len(), 2);
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("will be updated in-place")
        .assert_not_contains("must be replaced");

    // A later apply that still cannot import the row: an error, and the two devices stay.
    let more: Vec<Row> = (1..=4).map(|i| row(i, "SITE-R")).collect();
    write(&tf, &more, "");
    let out = tf.apply_expect_error();
    assert!(
        out.diagnostics()
            .contains("1 device(s) of the CSV were not imported (lines 3)"),
        "{out}"
    );
    let kept = serials(&state_devices(&tf));
    assert_eq!(
        kept,
        BTreeSet::from([
            rows[0].serial.clone(),
            rows[2].serial.clone(),
            more[3].serial.clone()
        ])
    );
    tf.plan_detailed()
        .expect_code(2)
        .assert_not_contains("must be replaced");
    devices::destroy_leaves_no_device(&tf, &lab);

    if !acceptance_tests::paths::terraform_at_least(1, 2, "resource postconditions") {
        return;
    }
    // With the postcondition the first apply fails, keeps what landed, and is not tainted.
    let tf = Terraform::new(&lab);
    write(
        &tf,
        &rows,
        r#"  lifecycle {
    postcondition {
      condition     = length(self.devices) == length(csvdecode(file("${path.module}/hwids.csv")))
      error_message = "Some rows of hwids.csv were not imported."
    }
  }"#,
    );
    let out = tf.apply_expect_error();
    assert!(
        out.diagnostics()
            .contains("Some rows of hwids.csv were not imported."),
        "{out}"
    );
    assert_eq!(
        state_devices(&tf).len(),
        2,
        "the devices that landed are kept"
    );
    let tainted = tf.show_json()["values"]["root_module"]["resources"][0]["tainted"].clone();
    assert_ne!(
        tainted,
        json!(true),
        "a failed postcondition tainted the CSV"
    );
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("will be updated in-place")
        .assert_not_contains("must be replaced");
    devices::destroy_leaves_no_device(&tf, &lab);
}
