//! Actions (Terraform 1.14 and later) through the real `terraform`: the schema Terraform reads,
//! `terraform apply -invoke=...` of the Autopilot sync (and the one-sync-per-10-minutes rule
//! reported, not failed), a device action by serial number seen in a read afterwards, the sync
//! triggered from `autopilot_device_csv`'s `lifecycle { action_trigger { ... } }`, and bad
//! device references refused with nothing written. Terraform older than 1.14 has no actions:
//! these tests say so and check nothing there; the rest of the suite shows that 1.0.3 still
//! works with a provider that declares them.

use acceptance_tests::checks::provider_schema_if_terraform_at_least;
use acceptance_tests::devices::{self, IDENTITIES, hardware_hash};
use acceptance_tests::{Lab, Terraform, TfOutput, assert_no_writes, put_lab_settings};
use serde_json::json;

const FEATURE: &str = "actions";

/// `terraform apply -invoke=action.<address>`; not asserted.
fn invoke(tf: &Terraform, address: &str) -> TfOutput {
    let target = format!("-invoke=action.{address}");
    tf.run(&[
        "apply",
        "-no-color",
        "-input=false",
        "-auto-approve",
        &target,
    ])
}

/// The Autopilot sync requests in the lab's log with their statuses.
fn syncs(lab: &Lab) -> Vec<u16> {
    lab.requests_matching(|r| {
        r.method == "POST" && r.path.ends_with("/windowsAutopilotSettings/sync")
    })
    .into_iter()
    .map(|r| r.status)
    .collect()
}

#[test]
fn the_schema_declares_every_action_with_its_attributes() {
    let Some(provider) = provider_schema_if_terraform_at_least(1, 14, FEATURE) else {
        return;
    };
    let actions = &provider["action_schemas"];
    assert!(actions["autopilot_sync"].is_object(), "{provider}");
    for name in [
        "autopilot_device_assign_user",
        "autopilot_device_unassign_user",
        "autopilot_device_set_properties",
        "autopilot_device_allow_next_enrollment",
    ] {
        let attributes = &actions[name]["block"]["attributes"];
        for attribute in ["device_id", "serial_number"] {
            assert_eq!(
                attributes[attribute]["optional"],
                json!(true),
                "{name}.{attribute}: {actions}"
            );
        }
    }
    let assign = &actions["autopilot_device_assign_user"]["block"]["attributes"];
    assert_eq!(
        assign["user_principal_name"]["required"],
        json!(true),
        "{assign}"
    );
}

#[test]
fn an_invoked_sync_runs_and_one_within_ten_minutes_is_reported_not_failed() {
    let Some(lab) = Lab::start_if_terraform_at_least(1, 14, FEATURE) else {
        return;
    };
    let tf = Terraform::configured(&lab, r#"action "autopilot_sync" "x" {}"#);
    lab.clear_requests();
    let first = invoke(&tf, "autopilot_sync.x").success();
    first.assert_contains("Autopilot sync started");
    assert_eq!(syncs(&lab), vec![204], "{first}");

    // The lab, like Intune, allows one sync per 10 minutes (its default setting).
    let second = invoke(&tf, "autopilot_sync.x").success();
    second
        .assert_contains("Intune allows one Autopilot sync per 10 minutes")
        .assert_contains("the next is allowed after")
        .assert_contains("Warning");
    assert_eq!(syncs(&lab), vec![204, 429], "{second}");
    assert!(tf.state_addresses().is_empty(), "an action keeps no state");
}

#[test]
fn a_device_action_by_serial_number_shows_in_the_next_read() {
    let Some(lab) = Lab::start_if_terraform_at_least(1, 14, FEATURE) else {
        return;
    };
    // Syncs may follow each other after 1 s here (Intune: 10 minutes).
    put_lab_settings(&lab, &json!({"sync_min_interval_ms": 1000}));
    let device = devices::register(&lab, "ACC-ACT-0001", &hardware_hash(71, 96), "SITE-A");
    let id = device["id"].as_str().expect("an id").to_string();
    let tf = Terraform::configured(
        &lab,
        r#"
action "autopilot_device_set_properties" "retag" {
  config {
    serial_number = "ACC-ACT-0001"
    group_tag     = "SITE-B"
    display_name  = "KIOSK-01"
  }
}

action "autopilot_device_assign_user" "adele" {
  config {
    serial_number       = "ACC-ACT-0001"
    user_principal_name = "adele.vance@autopilotlab.onmicrosoft.com"
  }
}

action "autopilot_device_unassign_user" "nobody" {
  config {
    device_id = "ID"
  }
}

action "autopilot_device_allow_next_enrollment" "again" {
  config {
    serial_number = "ACC-ACT-0001"
  }
}
"#
        .replace("\"ID\"", &format!("{id:?}"))
        .as_str(),
    );
    let out = invoke(&tf, "autopilot_device_set_properties.retag").success();
    out.assert_contains("Looking up the Autopilot device with serial number ACC-ACT-0001")
        .assert_contains("shows the change");
    let read = lab.graph_get(&format!("{IDENTITIES}/{id}"));
    assert_eq!(read["groupTag"], json!("SITE-B"), "{read}");
    assert_eq!(read["displayName"], json!("KIOSK-01"), "{read}");

    std::thread::sleep(std::time::Duration::from_millis(1100));
    invoke(&tf, "autopilot_device_assign_user.adele")
        .success()
        .assert_contains("shows the change");
    let read = lab.graph_get(&format!("{IDENTITIES}/{id}"));
    assert_eq!(
        read["userPrincipalName"],
        json!("adele.vance@autopilotlab.onmicrosoft.com"),
        "{read}"
    );

    std::thread::sleep(std::time::Duration::from_millis(1100));
    invoke(&tf, "autopilot_device_unassign_user.nobody")
        .success()
        .assert_contains("shows the change");
    let read = lab.graph_get(&format!("{IDENTITIES}/{id}"));
    assert_eq!(read["userPrincipalName"], json!(""), "{read}");

    lab.clear_requests();
    invoke(&tf, "autopilot_device_allow_next_enrollment.again")
        .success()
        .assert_contains("is allowed");
    let allowed = lab.requests_matching(|r| r.path.ends_with("/allowNextEnrollment"));
    assert_eq!(allowed.len(), 1, "{allowed:?}");
    assert_eq!(
        allowed[0].path,
        format!("/beta/{IDENTITIES}/{id}/allowNextEnrollment")
    );
    assert_eq!(allowed[0].status, 204);
}

#[test]
fn a_csv_change_triggers_the_sync_from_its_lifecycle() {
    let Some(lab) = Lab::start_if_terraform_at_least(1, 14, FEATURE) else {
        return;
    };
    put_lab_settings(&lab, &json!({"sync_min_interval_ms": 0}));
    let tf = Terraform::new(&lab);
    let write = |tag: &str| {
        let hash = hardware_hash(72, 96);
        std::fs::write(
            tf.dir().join("hwids.csv"),
            format!(
                "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\nACC-ACT-0101,,{hash},{tag},\n"
            ),
        )
        .expect("write hwids.csv");
        tf.write_config(
            r#"
action "autopilot_sync" "after_csv" {}

resource "autopilot_device_csv" "hw" {
  content = file("${path.module}/hwids.csv")

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.autopilot_sync.after_csv]
    }
  }
}
"#,
        );
    };
    write("SITE-A");
    lab.clear_requests();
    let created = tf.apply();
    created.assert_contains("Autopilot sync started");
    assert!(syncs(&lab).contains(&204), "{created}");

    write("SITE-B");
    lab.clear_requests();
    let updated = tf.apply();
    updated
        .assert_contains("0 added, 1 changed, 0 destroyed")
        .assert_contains("Autopilot sync started");
    assert!(!syncs(&lab).is_empty(), "{updated}");
}

/// Invokes `action "<kind>" "bad"` with `config` in a new working directory on `lab`; asserts
/// that it fails saying every one of `words` and writes nothing.
#[track_caller]
fn assert_refused(lab: &Lab, kind: &str, config: &str, words: &[&str]) {
    let tf = Terraform::configured(
        lab,
        &format!("action \"{kind}\" \"bad\" {{\n  config {{\n{config}\n  }}\n}}\n"),
    );
    lab.clear_requests();
    let out = invoke(&tf, &format!("{kind}.bad")).expect_failure();
    out.assert_not_contains("panic");
    for word in words {
        out.assert_contains(word);
    }
    assert_no_writes(lab, &format!("{kind} refused"));
}

#[test]
fn bad_device_references_are_refused_and_nothing_is_written() {
    let Some(lab) = Lab::start_if_terraform_at_least(1, 14, FEATURE) else {
        return;
    };
    let upn = "user_principal_name = \"adele.vance@autopilotlab.onmicrosoft.com\"";
    assert_refused(
        &lab,
        "autopilot_device_set_properties",
        "device_id = \"0b1c2d3e-0000-4000-8000-000000000001\"\nserial_number = \"ACC-ACT-0201\"\ngroup_tag = \"SITE-B\"",
        &["Two ways of naming the device", "serial_number"],
    );
    assert_refused(
        &lab,
        "autopilot_device_set_properties",
        "group_tag = \"SITE-B\"",
        &["No device named", "device_id"],
    );
    assert_refused(
        &lab,
        "autopilot_device_assign_user",
        &format!("serial_number = \"ACC-ACT-NOPE\"\n{upn}"),
        &[
            "No such Autopilot device",
            "ACC-ACT-NOPE",
            "nothing was changed",
        ],
    );
    assert_refused(
        &lab,
        "autopilot_device_allow_next_enrollment",
        "device_id = \"0b1c2d3e-0000-4000-8000-00000000dead\"",
        &["No such Autopilot device", "00000000dead"],
    );
}
