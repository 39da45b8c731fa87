//! `autopilot_group` and the `autopilot_provisioning_client` data source against a running lab,
//! through the real `terraform` binary. Every test owns its lab and its working directory.

use std::collections::BTreeSet;

use acceptance_tests::checks::{assert_said, related_ids, request_bodies, state_values};
use acceptance_tests::lifecycle::{
    apply_adding, assert_import_plans_nothing, assert_plan_after_apply_writes_nothing,
    import_into_state,
};
use acceptance_tests::seeding::{ADELE, PC_SP};
use acceptance_tests::{Lab, Terraform, lab_with_settings, put_lab_settings};
use acceptance_tests::{assert_no_writes, set, set_attr, string_attr};
use serde_json::{Value, json};

const ADDR: &str = "autopilot_group.g";
const PC_APP_ID: &str = "f1346770-5b25-470b-88bd-d5744ab7952c";
/// A seeded user besides [`ADELE`].
const ALEX: &str = "7ab1ab00-0000-4000-8000-0000000b0002";

const TAGS_RULE_AB: &str = r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Kiosk")) -or (device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#;
const ALL_RULE: &str = r#"(device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]"))"#;

#[test]
fn lifecycle_static_to_tags_to_all_devices_with_owners() {
    let lab =
        lab_with_settings(&json!({"replication_delay_ms": 2000, "record_request_bodies": true}));
    let tf = Terraform::new(&lab);

    // A static group owned by a user and the Provisioning Client; the nickname is derived.
    tf.write_config(&format!(
        r#"
resource "autopilot_group" "g" {{
  display_name              = "Autopilot Devices (Paris)"
  description               = "Devices of the Paris office"
  owner_ids                 = ["{ADELE}"]
  provisioning_client_owner = true
}}
"#
    ));
    let state = apply_adding(&tf, 1, ADDR);
    let id = string_attr(&state, "id");
    assert_eq!(
        state["mail_nickname"],
        json!("Autopilot-Devices-Paris"),
        "{state}"
    );
    assert_eq!(state["membership_rule"], Value::Null, "{state}");
    assert_eq!(state["all_autopilot_devices"], json!(false), "{state}");
    assert_eq!(state["provisioning_client_owner"], json!(true), "{state}");
    assert_eq!(set_attr(&state, "owner_ids"), set(&[ADELE]), "{state}");
    // A static group is created without the rule properties (no explicit nulls).
    let created = request_bodies(&lab, "POST", "/v1.0/groups");
    assert_eq!(created.len(), 1, "{created:?}");
    for key in ["membershipRule", "membershipRuleProcessingState"] {
        assert!(created[0].get(key).is_none(), "{key} sent: {}", created[0]);
    }
    let group = lab.group(&id);
    assert_eq!(group["groupTypes"], json!([]), "{group}");
    assert_eq!(group["securityEnabled"], json!(true), "{group}");
    assert_eq!(group["mailEnabled"], json!(false), "{group}");
    assert_eq!(owners(&lab, &id), set(&[ADELE, PC_SP]));
    assert_plan_after_apply_writes_nothing(&tf, &lab);

    // Dynamic from group tags: the rule is built and shown.
    tf.write_config(&format!(
        r#"
resource "autopilot_group" "g" {{
  display_name = "Autopilot Devices (Paris)"
  description  = "Devices of the Paris office"
  owner_ids    = ["{ADELE}", "{ALEX}"]
  group_tags   = ["Sales", "Kiosk"]
}}
"#
    ));
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("[OrderID]:Sales")
        .assert_contains("provisioning_client_owner")
        .assert_not_contains("must be replaced");
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    let group = lab.group(&id);
    assert_eq!(group["groupTypes"], json!(["DynamicMembership"]), "{group}");
    assert_eq!(group["membershipRule"], json!(TAGS_RULE_AB), "{group}");
    assert_eq!(
        group["membershipRuleProcessingState"],
        json!("On"),
        "{group}"
    );
    assert_eq!(
        owners(&lab, &id),
        set(&[ADELE, ALEX]),
        "the Provisioning Client is removed"
    );
    let state = state_values(&tf, ADDR);
    assert_eq!(state["membership_rule"], json!(TAGS_RULE_AB), "{state}");
    assert_eq!(
        set_attr(&state, "group_tags"),
        set(&["Kiosk", "Sales"]),
        "{state}"
    );
    tf.assert_no_changes();

    // Out-of-band rule edit: shown as drift of the tags and the rule, repaired by apply.
    lab.graph_patch(
        &format!("groups/{id}"),
        &json!({"membershipRule": r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Lab"))"#}),
    );
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("[OrderID]:Lab")
        .assert_contains("group_tags");
    tf.apply();
    assert_eq!(lab.group(&id)["membershipRule"], json!(TAGS_RULE_AB));
    tf.assert_no_changes();

    // All Autopilot devices, and back to static.
    tf.write_config(
        r#"
resource "autopilot_group" "g" {
  display_name          = "Autopilot Devices (Paris)"
  description           = "Devices of the Paris office"
  all_autopilot_devices = true
}
"#,
    );
    tf.apply();
    assert_eq!(lab.group(&id)["membershipRule"], json!(ALL_RULE));
    let state = state_values(&tf, ADDR);
    assert_eq!(state["group_tags"], Value::Null, "{state}");
    assert_eq!(
        set_attr(&state, "owner_ids"),
        set(&[ADELE, ALEX]),
        "unset owner_ids leaves the owners alone: {state}"
    );
    tf.assert_no_changes();
    tf.write_config(
        r#"
resource "autopilot_group" "g" {
  display_name = "Autopilot Devices (Paris)"
}
"#,
    );
    lab.clear_requests();
    tf.apply();
    // Turned static as Microsoft documents it: DynamicMembership removed, rule processing
    // paused, and no explicit null.
    let patched = request_bodies(&lab, "PATCH", &format!("/v1.0/groups/{id}"));
    assert_eq!(patched.len(), 1, "{patched:?}");
    assert_eq!(patched[0]["groupTypes"], json!([]), "{}", patched[0]);
    assert_eq!(
        patched[0]["membershipRuleProcessingState"],
        json!("Paused"),
        "{}",
        patched[0]
    );
    assert!(patched[0].get("membershipRule").is_none(), "{}", patched[0]);
    let group = lab.group(&id);
    assert_eq!(group["groupTypes"], json!([]), "{group}");
    assert_eq!(group["membershipRule"], Value::Null, "{group}");
    assert_eq!(
        group["membershipRuleProcessingState"],
        json!("Paused"),
        "{group}"
    );
    assert_eq!(group["description"], Value::Null, "{group}");
    assert_eq!(
        string_attr(&state_values(&tf, ADDR), "id"),
        id,
        "updated in place"
    );
    tf.assert_no_changes();

    tf.destroy();
    assert!(
        lab.objects("groups").is_empty(),
        "groups left: {:#?}",
        lab.objects("groups")
    );
    assert!(tf.state_addresses().is_empty());
}

/// A static group the Intune Provisioning Client owns.
const OWNED_BY_THE_PROVISIONING_CLIENT: &str = r#"
resource "autopilot_group" "g" {
  display_name              = "DevicePrep Devices"
  provisioning_client_owner = true
}
"#;

#[test]
fn removed_provisioning_client_owner_is_detected_and_repaired() {
    let lab = Lab::start();
    let tf = Terraform::configured(&lab, OWNED_BY_THE_PROVISIONING_CLIENT);
    tf.apply();
    let id = string_attr(&state_values(&tf, ADDR), "id");
    assert!(owners(&lab, &id).contains(PC_SP));

    lab.graph_delete(&format!("groups/{id}/owners/{PC_SP}/$ref"));
    lab.clear_requests();
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("provisioning_client_owner")
        .assert_contains("false -> true");
    assert_no_writes(&lab, "a plan showing owner drift");
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    assert!(owners(&lab, &id).contains(PC_SP), "the owner is back");
    tf.assert_no_changes();
}

#[test]
fn tenant_without_the_provisioning_client_gets_it() {
    let lab = Lab::start_with_args(&["--without-provisioning-client"]);
    put_lab_settings(&lab, &json!({"replication_delay_ms": 3000}));
    let tf = Terraform::new(&lab);

    // The data source only reads, and says what to do.
    tf.write_config(r#"data "autopilot_provisioning_client" "pc" {}"#);
    let out = tf.plan().expect_code(1);
    assert_said(&out, &["provisioning_client_owner = true", PC_APP_ID]);
    assert_no_writes(&lab, "reading the data source");

    tf.write_config(OWNED_BY_THE_PROVISIONING_CLIENT);
    let plan = tf.plan_detailed().expect_code(2);
    assert_said(
        &plan,
        &["The Intune Provisioning Client will be added to the tenant"],
    );
    assert_no_writes(&lab, "a plan");
    tf.apply();
    let sps: Vec<Value> = lab
        .objects("servicePrincipals")
        .into_iter()
        .filter(|sp| sp["appId"] == json!(PC_APP_ID))
        .collect();
    assert_eq!(sps.len(), 1, "one Provisioning Client: {sps:#?}");
    let sp_id = sps[0]["id"].as_str().expect("an id").to_string();
    let id = string_attr(&state_values(&tf, ADDR), "id");
    assert!(owners(&lab, &id).contains(&sp_id));
    let posts: Vec<String> = lab
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/servicePrincipals"))
        .map(ToString::to_string)
        .collect();
    assert_eq!(posts.len(), 1, "created once: {posts:?}");

    // Now the data source finds it.
    tf.write_config(&format!(
        r#"{OWNED_BY_THE_PROVISIONING_CLIENT}
data "autopilot_provisioning_client" "pc" {{}}

output "pc" {{
  value = data.autopilot_provisioning_client.pc
}}
"#
    ));
    tf.apply();
    let out = tf.output_json();
    assert_eq!(out["pc"]["value"]["id"], json!(sp_id), "{out}");
    assert_eq!(out["pc"]["value"]["app_id"], json!(PC_APP_ID), "{out}");
    assert_eq!(
        out["pc"]["value"]["display_name"],
        json!("Intune Provisioning Client"),
        "{out}"
    );
    tf.assert_no_changes();
    tf.destroy();
    assert!(lab.objects("groups").is_empty());
}

#[test]
fn import_of_a_group_made_outside_terraform() {
    let lab = Lab::start();
    let id = lab.graph_create(
        "groups",
        &json!({
            "displayName": "Autopilot Kiosks",
            "description": "Made in the portal",
            "mailEnabled": false,
            "mailNickname": "autopilot-kiosks",
            "securityEnabled": true,
            "groupTypes": ["DynamicMembership"],
            "membershipRule": r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Kiosk"))"#,
            "membershipRuleProcessingState": "On",
        }),
    );
    lab.graph_post(
        &format!("groups/{id}/owners/$ref"),
        &json!({"@odata.id": format!("{}/v1.0/directoryObjects/{ADELE}", lab.info().graph_url)}),
    );

    let tf = Terraform::configured(
        &lab,
        &format!(
            r#"
resource "autopilot_group" "g" {{
  display_name  = "Autopilot Kiosks"
  description   = "Made in the portal"
  mail_nickname = "autopilot-kiosks"
  owner_ids     = ["{ADELE}"]
  group_tags    = ["Kiosk"]
}}
"#
        ),
    );
    let state = import_into_state(&tf, &lab, ADDR, &id);
    assert_eq!(set_attr(&state, "group_tags"), set(&["Kiosk"]), "{state}");
    assert_eq!(state["provisioning_client_owner"], json!(false), "{state}");
    assert_import_plans_nothing(&tf, &lab);

    let missing = tf.import(
        "autopilot_group.other",
        "00000000-0000-4000-8000-000000000000",
    );
    missing.expect_failure();
}

#[test]
fn conflicting_membership_attributes_fail_at_plan() {
    let lab = Lab::start();
    let tf = Terraform::configured(
        &lab,
        r#"
resource "autopilot_group" "g" {
  display_name          = "Devices"
  group_tags            = ["Sales"]
  all_autopilot_devices = true
}
"#,
    );
    let out = tf.plan().expect_code(1);
    let said = out.diagnostics();
    assert!(said.contains("mutually exclusive"), "{out}");
    assert!(out.text().contains("group_tags") && out.text().contains("all_autopilot_devices"));
    tf.write_config(
        r#"
resource "autopilot_group" "g" {
  display_name  = "Devices"
  mail_nickname = "has space"
}
"#,
    );
    tf.plan().expect_code(1).assert_contains("mail_nickname");
    tf.write_config(&format!(
        r#"
resource "autopilot_group" "g" {{
  display_name = "Devices"
  owner_ids    = ["{PC_SP}"]
}}
"#
    ));
    let out = tf.plan().expect_code(1);
    assert_said(&out, &["provisioning_client_owner = true"]);
    assert_no_writes(&lab, "plans of invalid configurations");
    assert!(lab.objects("groups").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// The owners of a group, from the lab's relations (not subject to replication delay).
fn owners(lab: &Lab, group: &str) -> BTreeSet<String> {
    related_ids(lab, "groupOwners", group)
}
