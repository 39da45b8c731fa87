//! `autopilot_scope_tag` and the `autopilot_scope_tag` data source against a running lab, and
//! `role_scope_tag_ids` of the Intune objects: a profile scoped by a tag made in the same
//! configuration, the `Default` tag Intune puts on an empty list, bad ids refused at plan.

use acceptance_tests::checks::{RejectedAt, assert_props, assert_rejected_at_plan, state_values};
use acceptance_tests::lifecycle::{
    apply_adding, apply_update, assert_import_of_missing_id_fails, assert_import_plans_nothing,
    assert_plan_after_apply_writes_nothing, assert_valid_config_plans_a_create, import_into_state,
    plan_update_in_place, recreate_after_outside_delete, repair_drift,
};
use acceptance_tests::resource_hcl;
use acceptance_tests::{Lab, Terraform, assert_no_writes, set, set_attr, string_attr};
use serde_json::{Value, json};

const ADDR: &str = "autopilot_scope_tag.x";
const TAGS: &str = "deviceManagement/roleScopeTags";

fn tag_config(description: &str) -> String {
    resource_hcl(ADDR, "Paris", &format!("  description = \"{description}\""))
}

/// The tags the lab holds but the built-in one.
fn custom_tags(lab: &Lab) -> Vec<Value> {
    lab.objects("roleScopeTags")
        .into_iter()
        .filter(|t| t["id"] != "0")
        .collect()
}

/// The one custom tag in the lab.
#[track_caller]
fn the_tag(lab: &Lab) -> Value {
    let tags = custom_tags(lab);
    assert_eq!(tags.len(), 1, "expected one custom scope tag: {tags:#?}");
    tags.into_iter().next().unwrap_or_default()
}

#[test]
fn lifecycle_create_update_drift_recreate_destroy() {
    let lab = Lab::start();
    let tf = Terraform::configured(&lab, &tag_config("Paris office"));
    let id = string_attr(&apply_adding(&tf, 1, ADDR), "id");
    assert!(id.parse::<u32>().is_ok(), "a numeric id: {id}");
    assert_props(
        &the_tag(&lab),
        &[
            ("id", json!(id)),
            ("displayName", json!("Paris")),
            ("description", json!("Paris office")),
            ("isBuiltIn", json!(false)),
        ],
    );
    assert_plan_after_apply_writes_nothing(&tf, &lab);

    plan_update_in_place(&tf, &tag_config("Paris and Lyon")).assert_contains("Paris and Lyon");
    apply_update(&tf);
    assert_props(
        &the_tag(&lab),
        &[("id", json!(id)), ("description", json!("Paris and Lyon"))],
    );
    tf.assert_no_changes();

    lab.graph_patch(&format!("{TAGS}/{id}"), &json!({"displayName": "Renamed"}));
    repair_drift(&tf, &lab, &["display_name", "Renamed"]);
    assert_props(&the_tag(&lab), &[("displayName", json!("Paris"))]);
    tf.assert_no_changes();

    lab.graph_delete(&format!("{TAGS}/{id}"));
    let new_id = recreate_after_outside_delete(&tf, ADDR, &id);
    assert_props(&the_tag(&lab), &[("id", json!(new_id))]);
    tf.assert_no_changes();

    tf.destroy().assert_contains("1 destroyed");
    assert!(custom_tags(&lab).is_empty(), "a tag survived the destroy");
    assert_eq!(lab.objects("roleScopeTags").len(), 1, "Default is kept");
}

#[test]
fn import_of_an_existing_tag_gives_an_empty_plan() {
    let lab = Lab::start();
    let id = lab.graph_create(
        TAGS,
        &json!({"displayName": "Paris", "description": "Made in the portal"}),
    );
    let tf = Terraform::configured(&lab, &tag_config("Made in the portal"));
    let state = import_into_state(&tf, &lab, ADDR, &id);
    assert_eq!(state["id"], json!(id), "{state}");
    assert_import_plans_nothing(&tf, &lab);
}

#[test]
fn the_default_tag_cannot_be_imported() {
    let lab = Lab::start();
    let tf = Terraform::configured(&lab, &tag_config("x"));
    lab.clear_requests();
    let out = tf.import(ADDR, "0").expect_failure();
    out.assert_contains("Default").assert_not_contains("panic");
    assert!(tf.state_addresses().is_empty(), "state left behind");
    assert_no_writes(&lab, "a refused import");
}

#[test]
fn import_of_a_missing_id_fails_clearly() {
    assert_import_of_missing_id_fails(
        &tag_config("x"),
        ADDR,
        &["does not exist", "not found", "no scope tag"],
    );
}

/// A domain join profile scoped by a tag of the same configuration, found again through the
/// data source by name; then by nothing (`[]`), which Intune stores as `Default`, without a diff.
#[test]
fn a_profile_scoped_by_a_tag_of_the_same_configuration() {
    let lab = Lab::start();
    let tf = Terraform::configured(&lab, &scoped_profile("[autopilot_scope_tag.x.id]"));
    let tag_id = string_attr(&apply_adding(&tf, 2, ADDR), "id");
    let profile = lab.objects("deviceConfigurations");
    assert_eq!(profile.len(), 1);
    assert_eq!(profile[0]["roleScopeTagIds"], json!([tag_id]));
    let found = state_values(&tf, "data.autopilot_scope_tag.default");
    assert_eq!(found["id"], json!("0"), "{found}");
    assert_eq!(found["is_built_in"], json!(true), "{found}");
    assert_plan_after_apply_writes_nothing(&tf, &lab);

    // Both tags, one of them the Default one found by name.
    let both = "[autopilot_scope_tag.x.id, data.autopilot_scope_tag.default.id]";
    tf.write_config(&scoped_profile(both));
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    let stored = lab.objects("deviceConfigurations")[0]["roleScopeTagIds"].clone();
    assert_eq!(
        set_attr(&json!({ "ids": stored }), "ids"),
        set(&[&tag_id, "0"])
    );
    assert_plan_after_apply_writes_nothing(&tf, &lab);

    // An empty list: Intune stores the Default tag, and the plan stays empty.
    tf.write_config(&scoped_profile("[]"));
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    let stored = &lab.objects("deviceConfigurations")[0]["roleScopeTagIds"];
    assert_eq!(stored, &json!(["0"]));
    let state = state_values(&tf, "autopilot_domain_join_profile.p");
    assert_eq!(set_attr(&state, "role_scope_tag_ids"), set(&[]), "{state}");
    assert_plan_after_apply_writes_nothing(&tf, &lab);
    tf.destroy();
}

fn scoped_profile(tags: &str) -> String {
    format!(
        r#"
resource "autopilot_scope_tag" "x" {{
  display_name = "Paris"
}}

data "autopilot_scope_tag" "default" {{
  display_name = "Default"
}}

resource "autopilot_domain_join_profile" "p" {{
  display_name                 = "DJ-Paris"
  active_directory_domain_name = "contoso.com"
  computer_name_static_prefix  = "PAR-"
  role_scope_tag_ids           = {tags}
}}
"#
    )
}

#[test]
fn a_data_source_name_that_matches_no_tag_fails() {
    let lab = Lab::start();
    let tf = Terraform::configured(
        &lab,
        r#"
data "autopilot_scope_tag" "x" {
  display_name = "Nobody"
}
"#,
    );
    tf.plan()
        .expect_code(1)
        .assert_contains("No scope tag has this name")
        .assert_not_contains("panic");
}

// ---------------------------------------------------------------------------------------------
// Bad inputs: refused by `terraform plan`, naming the attribute and the rule, writing nothing.

#[test]
fn valid_tag_plans_a_create_without_writing() {
    assert_valid_config_plans_a_create(&tag_config("x"));
}

#[test]
fn a_tag_name_instead_of_an_id_is_rejected() {
    assert_rejected_at_plan(
        &Lab::start(),
        r#"
resource "autopilot_domain_join_profile" "p" {
  display_name                 = "DJ-Paris"
  active_directory_domain_name = "contoso.com"
  computer_name_static_prefix  = "PAR-"
  role_scope_tag_ids           = ["Paris"]
}
"#,
        RejectedAt {
            attributes: &["role_scope_tag_ids"],
            rule_words: &[&["not a scope tag id"], &["numbers"]],
        },
    );
}

#[test]
fn an_empty_tag_name_is_rejected() {
    assert_rejected_at_plan(
        &Lab::start(),
        r#"
resource "autopilot_scope_tag" "x" {
  display_name = ""
}
"#,
        RejectedAt {
            attributes: &["display_name"],
            rule_words: &[&["at least 1", "length", "characters"]],
        },
    );
}
