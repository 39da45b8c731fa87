//! `autopilot_group` membership and settings through the real `terraform` binary: assigned
//! members (`member_ids`: a user, an Autopilot device's Entra object, groups), visibility, the
//! rule's processing state and `is_assignable_to_role`; drift of members, import, and bad
//! inputs refused at plan with nothing written.

use std::collections::BTreeSet;

use acceptance_tests::checks::{
    RejectedAt, assert_rejected_at_plan, related_ids, request_bodies, state_values,
};
use acceptance_tests::devices::{entra_device_id, hardware_hash, register};
use acceptance_tests::lifecycle::{
    apply_adding, apply_update, assert_import_plans_nothing,
    assert_plan_after_apply_writes_nothing, import_into_state, plan_update_in_place, repair_drift,
};
use acceptance_tests::resource_hcl;
use acceptance_tests::seeding::ADELE;
use acceptance_tests::{
    Lab, Terraform, assert_no_writes, lab_with_settings, set, set_attr, string_attr,
};
use serde_json::{Value, json};

const ADDR: &str = "autopilot_group.g";
/// A seeded user besides [`ADELE`].
const ALEX: &str = "7ab1ab00-0000-4000-8000-0000000b0002";

/// A static group named `Autopilot Pilot` with `extra` attributes (HCL lines).
fn group(extra: &str) -> String {
    resource_hcl(ADDR, "Autopilot Pilot", extra)
}

fn members_hcl(ids: &[&str]) -> String {
    let quoted: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
    format!("  member_ids = [{}]", quoted.join(", "))
}

fn members(lab: &Lab, group: &str) -> BTreeSet<String> {
    related_ids(lab, "groupMembers", group)
}

#[test]
fn members_lifecycle_drift_and_import() {
    let lab = lab_with_settings(&json!({"record_request_bodies": true}));
    let registration = register(&lab, "ACC-MEMBER-01", &hardware_hash(91, 96), "");
    let device = entra_device_id(&lab, &registration);

    // Created with a user and a device bound in the create itself.
    let tf = Terraform::configured(&lab, &group(&members_hcl(&[ADELE, &device])));
    lab.clear_requests();
    let state = apply_adding(&tf, 1, ADDR);
    let id = string_attr(&state, "id");
    assert_eq!(members(&lab, &id), set(&[ADELE, &device]));
    assert_eq!(set_attr(&state, "member_ids"), set(&[ADELE, &device]));
    assert_eq!(state["visibility"], json!("private"), "{state}");
    assert_eq!(state["is_assignable_to_role"], json!(false), "{state}");
    assert_eq!(state["membership_rule_processing_state"], Value::Null);
    let created = request_bodies(&lab, "POST", "/v1.0/groups");
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(
        created[0]["members@odata.bind"].as_array().map(Vec::len),
        Some(2),
        "{}",
        created[0]
    );
    assert_plan_after_apply_writes_nothing(&tf, &lab);

    // Update in place: a member swapped, the group made public.
    let updated = group(&format!(
        "{}\n  visibility = \"public\"",
        members_hcl(&[ALEX, &device])
    ));
    plan_update_in_place(&tf, &updated).assert_contains(ALEX);
    apply_update(&tf);
    assert_eq!(members(&lab, &id), set(&[ALEX, &device]));
    assert_eq!(lab.group(&id)["visibility"], "Public");
    tf.assert_no_changes();

    // Out of band: a member added, another removed; shown and repaired.
    lab.graph_post(
        &format!("groups/{id}/members/$ref"),
        &json!({"@odata.id": format!("{}/v1.0/directoryObjects/{ADELE}", lab.info().graph_url)}),
    );
    lab.graph_delete(&format!("groups/{id}/members/{device}/$ref"));
    repair_drift(&tf, &lab, &["member_ids", ADELE, &device]);
    assert_eq!(members(&lab, &id), set(&[ALEX, &device]));
    tf.assert_no_changes();

    // Import elsewhere: the members are read back and the plan is empty.
    let other = Terraform::configured(&lab, &updated);
    let imported = import_into_state(&other, &lab, ADDR, &id);
    assert_eq!(set_attr(&imported, "member_ids"), set(&[ALEX, &device]));
    assert_import_plans_nothing(&other, &lab);

    // Unset, the members are not managed: one added elsewhere stays.
    tf.write_config(&group("  visibility = \"public\""));
    tf.assert_no_changes();
    lab.graph_post(
        &format!("groups/{id}/members/$ref"),
        &json!({"@odata.id": format!("{}/v1.0/directoryObjects/{ADELE}", lab.info().graph_url)}),
    );
    lab.clear_requests();
    tf.assert_no_changes();
    assert_no_writes(&lab, "a plan of unmanaged members");
    tf.apply();
    assert_eq!(members(&lab, &id), set(&[ADELE, ALEX, &device]));

    tf.destroy();
    assert!(
        lab.objects("groups").is_empty(),
        "{:#?}",
        lab.objects("groups")
    );
}

#[test]
fn many_members_and_a_member_gone_before_apply() {
    let lab = Lab::start();
    // 22 groups as members: 20 bound in the create, the others added after it.
    let ids: Vec<String> = (0..22)
        .map(|n| {
            lab.graph_create(
                "groups",
                &json!({"displayName": format!("member-{n}"), "mailEnabled": false,
                        "mailNickname": format!("member-{n}"), "securityEnabled": true}),
            )
        })
        .collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let tf = Terraform::configured(&lab, &group(&members_hcl(&refs)));
    tf.apply();
    let id = string_attr(&state_values(&tf, ADDR), "id");
    assert_eq!(members(&lab, &id), set(&refs));
    tf.assert_no_changes();
    tf.destroy();

    // A member that exists at plan time and is gone at apply: the apply (whose plan checks the
    // ids again) fails, naming it, and leaves no group behind.
    let tf = Terraform::configured(&lab, &group(&members_hcl(&[ADELE, refs[0]])));
    tf.run(&["plan", "-no-color", "-input=false", "-out=tfplan"])
        .success();
    lab.graph_delete(&format!("groups/{}", refs[0]));
    let out = tf
        .run(&["apply", "-no-color", "-input=false", "tfplan"])
        .expect_failure();
    out.assert_contains(refs[0])
        .assert_contains("Member not found");
    assert!(
        !lab.objects("groups")
            .iter()
            .any(|g| g["displayName"] == "Autopilot Pilot"),
        "a group was left behind"
    );
    assert!(tf.state_addresses().is_empty());
}

#[test]
fn dynamic_rule_processing_state_and_role_assignable_groups() {
    let lab = Lab::start();
    let tf = Terraform::configured(
        &lab,
        &group("  group_tags = [\"Kiosk\"]\n  membership_rule_processing_state = \"paused\""),
    );
    tf.apply();
    let id = string_attr(&state_values(&tf, ADDR), "id");
    let stored = lab.group(&id);
    assert_eq!(
        stored["membershipRuleProcessingState"], "Paused",
        "{stored}"
    );
    let state = state_values(&tf, ADDR);
    assert_eq!(state["member_ids"], Value::Null, "{state}");
    tf.assert_no_changes();

    // Turned on out of band: drift, repaired.
    lab.graph_patch(
        &format!("groups/{id}"),
        &json!({"membershipRuleProcessingState": "On"}),
    );
    repair_drift(&tf, &lab, &["membership_rule_processing_state", "paused"]);
    assert_eq!(lab.group(&id)["membershipRuleProcessingState"], "Paused");
    // Unset, a dynamic group processes its rule.
    tf.write_config(&group("  group_tags = [\"Kiosk\"]"));
    tf.apply();
    assert_eq!(lab.group(&id)["membershipRuleProcessingState"], "On");
    tf.assert_no_changes();

    // Assignable to roles: set at creation, private; changing it replaces the group.
    let roles = Terraform::configured(
        &lab,
        r#"
resource "autopilot_group" "r" {
  display_name          = "Autopilot Admins"
  is_assignable_to_role = true
}
"#,
    );
    roles.apply();
    let role_group = string_attr(&state_values(&roles, "autopilot_group.r"), "id");
    let stored = lab.graph_get(&format!("groups/{role_group}"));
    assert_eq!(stored["isAssignableToRole"], true, "{stored}");
    assert_eq!(stored["visibility"], "Private", "{stored}");
    roles.assert_no_changes();
    roles.write_config(
        r#"
resource "autopilot_group" "r" {
  display_name = "Autopilot Admins"
}
"#,
    );
    roles
        .plan_detailed()
        .expect_code(2)
        .assert_contains("forces replacement")
        .assert_contains("is_assignable_to_role");
}

#[test]
fn bad_membership_inputs_are_refused_at_plan() {
    let lab = Lab::start();
    let cases: [(String, RejectedAt<'_>); 6] = [
        (
            group(&format!(
                "  group_tags = [\"Sales\"]\n{}",
                members_hcl(&[ADELE])
            )),
            RejectedAt {
                attributes: &["member_ids", "group_tags"],
                rule_words: &[&["dynamic group cannot have assigned members"]],
            },
        ),
        (
            group(&members_hcl(&["not-a-guid"])),
            RejectedAt {
                attributes: &["member_ids"],
                rule_words: &[&["not an object id"]],
            },
        ),
        (
            group(&members_hcl(&["00000000-0000-4000-8000-00000000abcd"])),
            RejectedAt {
                attributes: &["member_ids"],
                rule_words: &[&["Member not found"], &["Entra object id"]],
            },
        ),
        (
            group("  membership_rule_processing_state = \"paused\""),
            RejectedAt {
                attributes: &["membership_rule_processing_state"],
                rule_words: &[&["static group"], &["dynamic groups only"]],
            },
        ),
        (
            group("  is_assignable_to_role = true\n  all_autopilot_devices = true"),
            RejectedAt {
                attributes: &["is_assignable_to_role", "all_autopilot_devices"],
                rule_words: &[&["cannot be dynamic"]],
            },
        ),
        (
            group("  visibility = \"hidden_membership\""),
            RejectedAt {
                attributes: &["visibility"],
                rule_words: &[&["private"], &["public"]],
            },
        ),
    ];
    for (hcl, rejected) in cases {
        assert_rejected_at_plan(&lab, &hcl, rejected);
    }
    assert!(lab.objects("groups").is_empty());
}
