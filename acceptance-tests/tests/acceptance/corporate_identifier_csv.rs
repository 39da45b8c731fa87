//! `autopilot_corporate_identifier_csv` against a running lab, through the real `terraform`
//! binary: create, rows added and removed, reordered and recased lines writing nothing, an
//! identifier deleted outside Terraform imported again, import of the tenant's identifiers, an
//! identifier Intune had already adopted with a warning, destroy, bad CSV lines refused at plan
//! with their line numbers and nothing written, and the export of the tenant's identifiers.

use std::collections::BTreeSet;

use acceptance_tests::checks::{RejectedAt, assert_rejected_at_plan, state_values};
use acceptance_tests::lifecycle::{
    apply_update, assert_import_of_missing_id_fails, assert_import_plans_nothing,
    assert_plan_after_apply_writes_nothing, assert_valid_config_plans_a_create, import_into_state,
    repair_drift,
};
use acceptance_tests::{
    Lab, Request, Terraform, assert_no_writes, provider_warnings, show_requests,
};
use serde_json::{Value, json};

const ADDR: &str = "autopilot_corporate_identifier_csv.corp";
const COLLECTION: &str = "importedDeviceIdentities";

const CONFIG: &str = r#"
resource "autopilot_corporate_identifier_csv" "corp" {
  content = file("${path.module}/corporate.csv")
}
"#;

/// Writes `corporate.csv` with `lines` (Windows line ends) and the configuration reading it.
fn write(tf: &Terraform, lines: &[&str]) {
    write_ending(tf, lines, "\r\n");
}

fn write_ending(tf: &Terraform, lines: &[&str], end: &str) {
    let text: String = lines.iter().map(|l| format!("{l}{end}")).collect();
    std::fs::write(tf.dir().join("corporate.csv"), text).expect("write corporate.csv");
    tf.write_config(CONFIG);
}

/// A configuration with the CSV inline.
fn inline(content: &str) -> String {
    format!(
        r#"
resource "autopilot_corporate_identifier_csv" "corp" {{
  content = <<-EOT
{content}
  EOT
}}
"#
    )
}

/// The identifiers the lab holds, as stored.
fn stored(lab: &Lab) -> BTreeSet<String> {
    lab.objects(COLLECTION)
        .iter()
        .map(|i| {
            assert_eq!(
                i["importedDeviceIdentityType"],
                json!("manufacturerModelSerial"),
                "{i}"
            );
            i["importedDeviceIdentifier"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The keys of `identifiers` in the state.
fn state_identifiers(tf: &Terraform) -> serde_json::Map<String, Value> {
    let values = state_values(tf, ADDR);
    values["identifiers"]
        .as_object()
        .cloned()
        .unwrap_or_else(|| panic!("identifiers is not a map: {values}"))
}

fn id_of(lab: &Lab, identifier: &str) -> String {
    lab.objects(COLLECTION)
        .iter()
        .find(|i| i["importedDeviceIdentifier"] == json!(identifier))
        .and_then(|i| i["id"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("{identifier} is not in the lab"))
}

fn writes(lab: &Lab) -> Vec<Request> {
    lab.requests_matching(Request::is_graph_write)
}

const SURFACE: &str = "Microsoft Corporation,Surface Laptop 5,0123456789";
const LENOVO: &str = "LENOVO,21HD0053GE,PF4ABCDE";
const HP: &str = "HP,HP EliteBook 840 G10,5CG1234XYZ";
const DELL: &str = "Dell Inc,Latitude 5440,7XK9P33";

#[test]
fn lifecycle_rows_added_and_removed_reorder_writes_nothing_drift_import_destroy() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    write(&tf, &[SURFACE, LENOVO, HP]);
    tf.apply()
        .assert_contains("1 added, 0 changed, 0 destroyed");
    assert_eq!(stored(&lab), set(&[SURFACE, LENOVO, HP]));
    let identifiers = state_identifiers(&tf);
    assert_eq!(identifiers.len(), 3);
    assert_eq!(identifiers[SURFACE]["id"], json!(id_of(&lab, SURFACE)));
    assert_eq!(
        identifiers[SURFACE]["enrollment_state"],
        json!("notContacted")
    );
    assert_plan_after_apply_writes_nothing(&tf, &lab);

    // A removed row is deleted, an added one imported: one import call, one delete.
    write(&tf, &[SURFACE, LENOVO, DELL]);
    lab.clear_requests();
    apply_update(&tf);
    assert_eq!(stored(&lab), set(&[SURFACE, LENOVO, DELL]));
    let sent = writes(&lab);
    assert_eq!(sent.len(), 2, "{}", show_requests(&sent));
    assert!(
        sent.iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/importDeviceIdentityList"))
    );
    assert!(sent.iter().any(|r| r.method == "DELETE"));
    assert_plan_after_apply_writes_nothing(&tf, &lab);

    // Reordered and recased lines change the text only: the apply writes nothing.
    write(&tf, &[DELL, &SURFACE.to_uppercase(), LENOVO]);
    lab.clear_requests();
    apply_update(&tf);
    assert_no_writes(&lab, "an apply of reordered and recased lines");
    assert_eq!(stored(&lab), set(&[SURFACE, LENOVO, DELL]));
    assert_plan_after_apply_writes_nothing(&tf, &lab);

    // Deleted outside Terraform: the plan names it, the apply imports it again.
    lab.graph_delete(&format!(
        "deviceManagement/{COLLECTION}/{}",
        id_of(&lab, LENOVO)
    ));
    repair_drift(&tf, &lab, &[LENOVO]).assert_contains("0 added, 1 changed, 0 destroyed");
    assert_eq!(stored(&lab), set(&[SURFACE, LENOVO, DELL]));
    assert_plan_after_apply_writes_nothing(&tf, &lab);

    // Import every identifier into another working directory, whose CSV lists them sorted, one
    // per line, as the import writes them.
    let tf2 = Terraform::new(&lab);
    let mut sorted = vec![SURFACE, LENOVO, DELL];
    sorted.sort_unstable();
    write_ending(&tf2, &sorted, "\n");
    let imported = import_into_state(&tf2, &lab, ADDR, "all");
    assert_eq!(
        imported["identifiers"].as_object().map(|m| m.len()),
        Some(3),
        "{imported}"
    );
    assert_import_plans_nothing(&tf2, &lab);

    // Destroy: nothing left.
    tf.destroy()
        .assert_contains("Destroy complete! Resources: 1 destroyed.");
    assert_eq!(stored(&lab), BTreeSet::new());
}

#[test]
fn an_identifier_already_in_intune_is_adopted_with_a_warning() {
    let lab = Lab::start();
    lab.graph_create(
        &format!("deviceManagement/{COLLECTION}"),
        &json!({"importedDeviceIdentifier": HP.to_lowercase(), "importedDeviceIdentityType": "manufacturerModelSerial"}),
    );
    let tf = Terraform::new(&lab);
    write(&tf, &[HP, DELL]);
    let out = tf.apply();
    out.assert_contains("1 added, 0 changed, 0 destroyed");
    assert_eq!(
        provider_warnings(&out),
        vec!["Corporate identifiers already in Intune were adopted".to_string()],
        "{out}"
    );
    out.assert_contains(HP);
    assert_eq!(stored(&lab).len(), 2, "no duplicate");
    assert_eq!(
        state_identifiers(&tf)[HP]["id"],
        json!(id_of(&lab, &HP.to_lowercase()))
    );
    assert_plan_after_apply_writes_nothing(&tf, &lab);
    tf.destroy();
    assert_eq!(stored(&lab), BTreeSet::new());
}

#[test]
fn bad_lines_are_refused_at_plan_with_their_numbers_and_nothing_is_written() {
    let bad = format!(
        "{SURFACE}\nLenovo,T14\n\"Dell, Inc.\",Latitude,1\nHP,,3\nHP,ProBook,4.5\n{}",
        SURFACE.to_lowercase()
    );
    let lab = Lab::start();
    let out = assert_rejected_at_plan(
        &lab,
        &inline(&bad),
        RejectedAt {
            attributes: &["content"],
            rule_words: &[
                &["line 2: expected 3 fields"],
                &["line 3: quotation marks are not allowed"],
                &["line 4: the model is empty"],
                &["line 5: the serial number has periods"],
                &["line 6: repeats line 1"],
            ],
        },
    );
    out.assert_not_contains("line 1:");
    assert_rejected_at_plan(
        &lab,
        &inline(""),
        RejectedAt {
            attributes: &["content"],
            rule_words: &[&["no identifier"]],
        },
    );
    assert_eq!(stored(&lab), BTreeSet::new());
    assert_valid_config_plans_a_create(&inline(&format!("{SURFACE}\n{LENOVO}")));
}

#[test]
fn importing_an_identity_that_does_not_exist_fails() {
    assert_import_of_missing_id_fails(&inline(SURFACE), ADDR, &["does not exist"]);
    // `all` in a tenant without Windows identifiers imports nothing, and says so.
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    tf.write_config(&inline(SURFACE));
    tf.import(ADDR, "all")
        .expect_failure()
        .assert_contains("no Windows corporate identifier");
    assert_no_writes(&lab, "a failed import");
}

#[test]
fn export_writes_the_identifiers_as_one_resource_that_imports_with_no_changes() {
    let lab = Lab::start();
    let body = json!({"importedDeviceIdentities": [
        {"importedDeviceIdentifier": HP, "importedDeviceIdentityType": "manufacturerModelSerial"},
        {"importedDeviceIdentifier": SURFACE, "importedDeviceIdentityType": "manufacturerModelSerial"},
    ]});
    lab.graph_post(
        &format!("deviceManagement/{COLLECTION}/importDeviceIdentityList"),
        &body,
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("out");
    crate::export::succeeded(crate::export::export(
        &lab,
        &out,
        &["--only", "corporate_identifiers"],
    ));
    let written = std::fs::read_to_string(out.join("corporate_identifiers.tf"))
        .expect("corporate_identifiers.tf is written");
    let name = written
        .lines()
        .find_map(|l| l.strip_prefix("resource \"autopilot_corporate_identifier_csv\" \""))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no corporate identifier resource in:\n{written}"));
    assert!(
        written.contains(HP) && written.contains(SURFACE),
        "{written}"
    );
    let address = format!("autopilot_corporate_identifier_csv.{name}");

    // The written resource, imported by `all`, plans no change.
    let tf = Terraform::new(&lab);
    tf.write_config(&written);
    import_into_state(&tf, &lab, &address, "all");
    assert_import_plans_nothing(&tf, &lab);
}
