//! Resource identity (Terraform 1.12 and later) as Terraform sees it: `terraform providers
//! schema -json` shows an identity schema for every resource. That each of them imports by
//! identity with an empty plan is shown on every example by `examples.rs`
//! (`import_by_identity`); the CSV's identity, which changes with its rows, is followed here
//! through an update and an identity import. Terraform older than 1.12 never asks: these tests
//! say so there.

use acceptance_tests::checks::provider_schema_if_terraform_at_least;
use acceptance_tests::devices::{self, hardware_hash};
use acceptance_tests::{Lab, Terraform};
use serde_json::{Value, json};

#[test]
fn the_schema_declares_the_identity_of_every_resource() {
    let Some(provider) = provider_schema_if_terraform_at_least(1, 12, "resource identity") else {
        return;
    };
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
    let csv = &identities["autopilot_device_csv"]["attributes"]["serial_numbers"];
    assert_eq!(csv["type"], json!(["list", "string"]), "{identities}");
    assert_eq!(csv["required_for_import"], json!(true), "{identities}");
}

const CSV: &str = "autopilot_device_csv.hw";

/// Writes a CSV of the devices `serials` and a configuration reading it.
fn write_csv(tf: &Terraform, serials: &[&str]) {
    let mut text = String::from("Device Serial Number,Windows Product ID,Hardware Hash\r\n");
    for (seed, serial) in (7_000..).zip(serials) {
        text.push_str(&format!("{serial},,{}\r\n", hardware_hash(seed, 96)));
    }
    std::fs::write(tf.dir().join("hwids.csv"), text).expect("write hwids.csv");
    tf.write_config(
        "resource \"autopilot_device_csv\" \"hw\" {\n  content = file(\"${path.module}/hwids.csv\")\n}\n",
    );
}

/// The identity the state holds for the CSV resource.
fn stored_identity(tf: &Terraform) -> Value {
    let path = tf.dir().join("terraform.tfstate");
    let text = std::fs::read_to_string(&path).expect("a state file");
    let state: Value = serde_json::from_str(&text).expect("the state is JSON");
    state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["type"] == "autopilot_device_csv")
        .map(|r| r["instances"][0]["identity"].clone())
        .unwrap_or_else(|| panic!("no CSV resource in the state: {state}"))
}

#[test]
fn the_csv_identity_follows_its_rows_and_imports_them() {
    let Some(lab) = Lab::start_if_terraform_at_least(1, 12, "resource identity") else {
        return;
    };
    let tf = Terraform::new(&lab);
    write_csv(&tf, &["ID-CSV-2", "ID-CSV-1"]);
    tf.apply()
        .assert_contains("1 added, 0 changed, 0 destroyed");
    assert_eq!(
        stored_identity(&tf),
        json!({"serial_numbers": ["ID-CSV-1", "ID-CSV-2"]})
    );

    // An added row changes the identity; Terraform stores the new one and plans nothing more.
    write_csv(&tf, &["ID-CSV-2", "ID-CSV-1", "ID-CSV-3"]);
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    let identity = stored_identity(&tf);
    assert_eq!(
        identity,
        json!({"serial_numbers": ["ID-CSV-1", "ID-CSV-2", "ID-CSV-3"]})
    );
    tf.assert_no_changes();

    // Forgotten, then imported again by that identity: the three devices, no change.
    tf.run(&["state", "rm", "-no-color", CSV]).success();
    std::fs::write(
        tf.dir().join("identity_import.tf"),
        format!(
            "import {{\n  to = {CSV}\n  identity = {{\n    serial_numbers = {}\n  }}\n}}\n",
            identity["serial_numbers"]
        ),
    )
    .expect("write identity_import.tf");
    tf.plan_detailed()
        .assert_contains("1 to import, 0 to add, 0 to change, 0 to destroy");
    tf.apply();
    assert_eq!(stored_identity(&tf), identity);
    let values = tf.resource_values(CSV).expect("imported");
    assert_eq!(values["devices"].as_object().map(|d| d.len()), Some(3));
    tf.assert_no_changes();

    devices::destroy_leaves_no_device(&tf, &lab);
}
