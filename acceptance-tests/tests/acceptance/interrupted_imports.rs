//! Device imports that a run did not see to their end: the provider killed while Intune was still
//! processing them, Ctrl-C during the wait, and a create timeout shorter than the processing.
//!
//! In each case the import records stay in the tenant, and the next apply follows them instead
//! of importing the devices again (a second import would end in 806 once the first one lands):
//! every device is registered exactly once, no import record is left behind, and the plan after
//! that apply is empty.

use std::collections::BTreeSet;
use std::thread;
use std::time::{Duration, Instant};

use acceptance_tests::devices::{self, hardware_hash};
use acceptance_tests::interrupt::{finish, kill_providers, signal, spawn_apply, wait_for};
use acceptance_tests::{Lab, Terraform, TfOutput, lab_with_settings};
use serde_json::{Value, json};

const HEADER: &str =
    "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User";
/// The serial numbers the configuration registers: three CSV rows and one `autopilot_device`.
const SERIALS: [&str; 4] = [
    "INT-CSV-0001",
    "INT-CSV-0002",
    "INT-CSV-0003",
    "INT-DEV-0001",
];

/// Three devices from a CSV and one on its own, with the given create timeout.
fn write_config(tf: &Terraform, create_timeout: &str) {
    let mut csv = format!("{HEADER}\r\n");
    for (i, serial) in SERIALS[..3].iter().enumerate() {
        csv.push_str(&format!(
            "{serial},,{},SITE-INT,\r\n",
            hardware_hash(7_000 + i as u64, 96)
        ));
    }
    std::fs::write(tf.dir().join("hwids.csv"), csv).expect("write hwids.csv");
    tf.write_config(&format!(
        r#"
resource "autopilot_device_csv" "hw" {{
  content = file("${{path.module}}/hwids.csv")
  timeouts {{
    create = "{create_timeout}"
  }}
}}

resource "autopilot_device" "one" {{
  serial_number = "{serial}"
  hardware_hash = "{hash}"
  group_tag     = "SITE-INT"
  timeouts {{
    create = "{create_timeout}"
  }}
}}
"#,
        serial = SERIALS[3],
        hash = hardware_hash(7_100, 100),
    ));
}

/// A lab whose imports stay undecided for `processing` after they arrive, and a working
/// directory whose device set has the create timeout `create_timeout`.
fn slow_imports(processing: Duration, create_timeout: &str) -> (Lab, Terraform) {
    let lab = lab_with_settings(&json!({"import_processing_ms": processing.as_millis() as u64}));
    let tf = Terraform::new(&lab);
    write_config(&tf, create_timeout);
    (lab, tf)
}

fn serials(objects: &[Value]) -> BTreeSet<String> {
    objects
        .iter()
        .filter_map(|o| o["serialNumber"].as_str().map(str::to_string))
        .collect()
}

/// The first run stopped while the lab still held every import undecided.
#[track_caller]
fn assert_left_undecided(lab: &Lab, tf: &Terraform, interrupted: &TfOutput) {
    assert_ne!(
        interrupted.code, 0,
        "the interrupted apply reported success\n{interrupted}"
    );
    assert!(
        tf.state_addresses().is_empty(),
        "a device reached the state: the interruption came too late to test anything\n{interrupted}"
    );
    assert!(
        devices::registered(lab).is_empty(),
        "the imports were decided before the interruption\n{interrupted}"
    );
    assert_eq!(
        serials(&devices::import_records(lab)),
        SERIALS.iter().map(|s| s.to_string()).collect(),
        "the undecided import records are kept for the next apply\n{interrupted}"
    );
}

/// The next apply followed the kept records: each device registered once, no new import sent,
/// no record left, an empty plan, and a destroy that empties the lab.
#[track_caller]
fn assert_next_apply_follows_the_records(lab: &Lab, tf: &Terraform) {
    lab.clear_requests();
    let applied = tf.apply();
    let registered = devices::registered(lab);
    assert_eq!(
        registered.len(),
        SERIALS.len(),
        "each device is registered exactly once: {registered:#?}\n{applied}"
    );
    assert_eq!(
        serials(&registered),
        SERIALS.iter().map(|s| s.to_string()).collect()
    );
    assert_eq!(
        devices::import_posts(lab),
        0,
        "the apply imported again instead of following the kept records\n{applied}"
    );
    assert!(
        devices::import_records(lab).is_empty(),
        "import records left behind: {:#?}",
        devices::import_records(lab)
    );
    tf.assert_no_changes();
    tf.destroy();
    assert!(devices::registered(lab).is_empty());
    assert!(devices::import_records(lab).is_empty());
}

#[test]
fn provider_killed_mid_import_then_apply_again_registers_each_device_once() {
    let (lab, tf) = slow_imports(Duration::from_secs(8), "2m");

    let child = spawn_apply(&tf);
    wait_for("every import to be submitted", || {
        devices::import_records(&lab).len() == SERIALS.len()
    });
    // The provider now polls the undecided records.
    thread::sleep(Duration::from_millis(300));
    kill_providers(&lab);
    let interrupted = finish(child);
    assert_left_undecided(&lab, &tf, &interrupted);

    assert_next_apply_follows_the_records(&lab, &tf);
}

#[test]
fn ctrl_c_during_an_import_stops_promptly_and_the_next_apply_follows_it() {
    let processing = Duration::from_secs(20);
    let (lab, tf) = slow_imports(processing, "2m");

    let started = Instant::now();
    let child = spawn_apply(&tf);
    let process_group = format!("-{}", child.id());
    wait_for("every import to be submitted", || {
        devices::import_records(&lab).len() == SERIALS.len()
    });
    thread::sleep(Duration::from_millis(300));
    signal(&process_group, "-INT");
    let interrupted = finish(child);
    let elapsed = started.elapsed();
    assert!(
        elapsed < processing,
        "terraform ran {elapsed:?}: the provider waited for the imports instead of stopping\n{interrupted}"
    );
    assert!(
        interrupted
            .diagnostics()
            .contains("Terraform asked the provider to stop"),
        "the diagnostic does not say the provider stopped on request\n{interrupted}"
    );
    assert_left_undecided(&lab, &tf, &interrupted);

    assert_next_apply_follows_the_records(&lab, &tf);
}

#[test]
fn an_import_slower_than_the_create_timeout_is_followed_by_the_next_apply() {
    let (lab, tf) = slow_imports(Duration::from_secs(8), "2s");

    let timed_out = tf.apply_expect_error();
    let said = timed_out.diagnostics();
    assert!(said.contains("not processed within 2s"), "{timed_out}");
    assert!(
        said.contains("the next apply follows it"),
        "says what happens next: {timed_out}"
    );
    assert_left_undecided(&lab, &tf, &timed_out);

    write_config(&tf, "2m");
    assert_next_apply_follows_the_records(&lab, &tf);
}

#[test]
fn throttled_polls_longer_than_the_create_timeout_end_at_it_and_keep_the_records() {
    let (lab, tf) = slow_imports(Duration::from_secs(8), "3s");
    // Every poll of the import records is throttled for a minute: the client's own retries,
    // not only the provider's wait for the imports, must end at `timeouts.create`.
    acceptance_tests::devices::set_faults(
        &lab,
        &json!({"rules": [{
            "method": "GET",
            "path": "importedWindowsAutopilotDeviceIdentities",
            "status": 429,
            "retry_after": 60
        }]}),
    );

    let timed_out = tf.apply_expect_error();
    let said = timed_out.diagnostics();
    assert!(
        said.contains("timeouts.create (3s) ran out"),
        "the error names the timeout: {timed_out}"
    );
    assert!(
        !said.contains("polling failed"),
        "a timeout is not a polling failure: {timed_out}"
    );
    assert_left_undecided(&lab, &tf, &timed_out);

    acceptance_tests::devices::set_faults(&lab, &json!({"rules": []}));
    write_config(&tf, "2m");
    assert_next_apply_follows_the_records(&lab, &tf);
}
