//! `autopilot_assignment_filter` (resource and data source) against a running lab, through the
//! real `terraform` binary: lifecycle, import, drift, rules refused at plan (offline, and by
//! Intune's `validateFilter`) with nothing written, and the lookup by name.

use acceptance_tests::checks::{
    RejectedAt, assert_props, assert_rejected_at_plan, read_outputs, the_only,
};
use acceptance_tests::devices::set_faults;
use acceptance_tests::lifecycle::{
    apply_adding, apply_update, assert_import_of_missing_id_fails, assert_import_plans_nothing,
    assert_plan_after_apply_writes_nothing, assert_valid_config_plans_a_create, import_into_state,
    plan_shows_update, plan_update_in_place, recreate_after_outside_delete, repair_drift,
};
use acceptance_tests::seeding::{G1, G2};
use acceptance_tests::{Lab, Terraform, assert_no_writes, set, set_attr, string_attr};
use serde_json::{Value, json};

const ADDR: &str = "autopilot_assignment_filter.surfaces";
const FILTERS: &str = "deviceManagement/assignmentFilters";
const SURFACE_RULE: &str =
    r#"(device.manufacturer -eq "Microsoft Corporation") and (device.model -startsWith "Surface")"#;

/// The filter's configuration with `rule` (HCL-escaped here).
fn filter_config(rule: &str) -> String {
    let rule = rule.replace('"', "\\\"");
    format!(
        r#"
resource "autopilot_assignment_filter" "surfaces" {{
  display_name = "Surface devices"
  description  = "Microsoft Surface hardware"
  rule         = "{rule}"
}}
"#
    )
}

/// A filter made in the portal, as Graph takes it.
fn portal_filter(name: &str, rule: &str) -> Value {
    json!({
        "displayName": name,
        "platform": "windows10AndLater",
        "rule": rule,
        "assignmentFilterManagementType": "devices",
    })
}

#[test]
fn lifecycle_create_update_drift_recreate_destroy() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    tf.write_config(&filter_config(SURFACE_RULE));
    let state = apply_adding(&tf, 1, ADDR);
    let id = string_attr(&state, "id");
    assert_eq!(state["platform"], json!("windows10_and_later"), "{state}");
    assert_eq!(
        state["assignment_filter_management_type"],
        json!("devices"),
        "{state}"
    );
    assert_eq!(
        set_attr(&state, "role_scope_tag_ids"),
        set(&["0"]),
        "{state}"
    );
    let stored = the_only(&lab, FILTERS, None);
    assert_eq!(stored["id"], json!(id));
    assert_props(
        &stored,
        &[
            ("displayName", json!("Surface devices")),
            ("platform", json!("windows10AndLater")),
            ("rule", json!(SURFACE_RULE)),
            ("assignmentFilterManagementType", json!("devices")),
        ],
    );
    assert_plan_after_apply_writes_nothing(&tf, &lab);

    // Update in place: a new rule.
    let laptops = r#"(device.model -in ["Surface Laptop 5", "Surface Laptop 6"])"#;
    plan_update_in_place(&tf, &filter_config(laptops))
        .assert_contains("Surface Laptop 6")
        .assert_not_contains("must be replaced");
    apply_update(&tf);
    let stored = the_only(&lab, FILTERS, None);
    assert_eq!(stored["id"], json!(id), "an update must keep the filter");
    assert_props(&stored, &[("rule", json!(laptops))]);
    tf.assert_no_changes();

    // Drift: the rule edited in the portal is shown and repaired.
    lab.graph_patch(
        &format!("{FILTERS}/{id}"),
        &json!({"rule": "(device.deviceName -startsWith \"LAB\")"}),
    );
    repair_drift(&tf, &lab, &["rule", "LAB"]);
    assert_props(&the_only(&lab, FILTERS, None), &[("rule", json!(laptops))]);
    tf.assert_no_changes();

    // Deleted outside Terraform: created again.
    lab.graph_delete(&format!("{FILTERS}/{id}"));
    let new_id = recreate_after_outside_delete(&tf, ADDR, &id);
    assert_eq!(the_only(&lab, FILTERS, None)["id"], json!(new_id));
    tf.assert_no_changes();

    tf.destroy().assert_contains("1 destroyed");
    assert!(lab.objects("assignmentFilters").is_empty());
}

#[test]
fn import_of_an_existing_filter_gives_an_empty_plan() {
    let lab = Lab::start();
    let mut made = portal_filter("Surface devices", SURFACE_RULE);
    made["description"] = json!("Microsoft Surface hardware");
    let id = lab.graph_create(FILTERS, &made);
    let tf = Terraform::configured(&lab, &filter_config(SURFACE_RULE));
    let state = import_into_state(&tf, &lab, ADDR, &id);
    assert_eq!(state["id"], json!(id), "{state}");
    assert_eq!(state["rule"], json!(SURFACE_RULE), "{state}");
    assert_eq!(
        set_attr(&state, "role_scope_tag_ids"),
        set(&["0"]),
        "{state}"
    );
    assert_import_plans_nothing(&tf, &lab);
}

#[test]
fn import_of_a_missing_id_fails_clearly() {
    assert_import_of_missing_id_fails(
        &filter_config(SURFACE_RULE),
        ADDR,
        &["does not exist", "not found"],
    );
}

#[test]
fn valid_filter_plans_a_create_without_writing() {
    assert_valid_config_plans_a_create(&filter_config(SURFACE_RULE));
}

#[test]
fn rules_outside_intunes_syntax_are_refused_at_plan() {
    let lab = Lab::start();
    for (rule, words) in [
        (
            r#"(device.colour -eq "red")"#,
            &["at 2", "device.colour"][..],
        ),
        (r#"(device.model -like "Surface")"#, &["at 15", "-like"][..]),
        (r#"(device.model -eq "Surface""#, &["`)` expected"][..]),
        (r#"(device.model -in "Surface")"#, &["takes a list"][..]),
    ] {
        let groups: Vec<&[&str]> = words.iter().map(std::slice::from_ref).collect();
        assert_rejected_at_plan(
            &lab,
            &filter_config(rule),
            RejectedAt {
                attributes: &["rule"],
                rule_words: &groups,
            },
        );
    }
    // An app rule on a device filter.
    let app_rule = filter_config(r#"(app.appVersion -eq "1.0")"#);
    assert_rejected_at_plan(
        &lab,
        &app_rule,
        RejectedAt {
            attributes: &["rule"],
            rule_words: &[&["app.appVersion"], &["devices"]],
        },
    );
    assert!(lab.objects("assignmentFilters").is_empty());
}

#[test]
fn a_rule_intune_refuses_is_refused_at_plan() {
    let lab = Lab::start();
    set_faults(
        &lab,
        &json!([{
            "method": "POST",
            "path": "^/beta/deviceManagement/assignmentFilters/validateFilter$",
            "status": 200,
            "raw_body": "{\"value\":{\"@odata.type\":\"microsoft.graph.assignmentFilterValidationResult\",\"isValidRule\":false}}",
            "content_type": "application/json",
        }]),
    );
    assert_rejected_at_plan(
        &lab,
        &filter_config(SURFACE_RULE),
        RejectedAt {
            attributes: &["rule"],
            rule_words: &[&["Intune refuses the filter rule"], &["validateFilter"]],
        },
    );
    let validated = lab.requests_matching(|r| r.path.ends_with("/validateFilter"));
    assert_eq!(validated.len(), 1, "{validated:?}");
}

#[test]
fn the_data_source_finds_one_filter_by_name() {
    let lab = Lab::start();
    let id = lab.graph_create(FILTERS, &portal_filter("Surface devices", SURFACE_RULE));
    lab.graph_create(
        FILTERS,
        &portal_filter("Virtual machines", "(device.model -contains \"Virtual\")"),
    );
    lab.graph_create(
        FILTERS,
        &portal_filter("Virtual machines", "(device.model -contains \"VM\")"),
    );
    let (_, outputs) = read_outputs(
        &lab,
        r#"
data "autopilot_assignment_filter" "surfaces" {
  display_name = "Surface devices"
}
output "found" {
  value = data.autopilot_assignment_filter.surfaces
}
"#,
    );
    let found = &outputs["found"]["value"];
    assert_eq!(
        found,
        &json!({
            "id": id, "display_name": "Surface devices", "rule": SURFACE_RULE,
            "platform": "windows10AndLater", "assignment_filter_management_type": "devices",
        })
    );
    for (name, words) in [
        (
            "Virtual machines",
            "Several assignment filters have this name",
        ),
        ("No such filter", "No assignment filter has this name"),
    ] {
        let tf = Terraform::configured(
            &lab,
            &format!(
                "data \"autopilot_assignment_filter\" \"x\" {{\n  display_name = \"{name}\"\n}}\n"
            ),
        );
        lab.clear_requests();
        let out = tf.plan_detailed().expect_code(1);
        assert!(out.diagnostics().contains(words), "{out}");
        assert_no_writes(&lab, "a failed lookup");
    }
}

// ---------------------------------------------------------------------------------------------
// Filters on assignments: the ESP (groups, all users; never the exclusions) and the device
// preparation policy (its user groups).

const ESP_ASSIGNMENTS: &str = "deviceManagement/deviceEnrollmentConfigurations";

/// A filter, an ESP and a device preparation policy both filtered by it (`esp_type` on the
/// ESP, `include` on the policy).
fn filtered_config(esp_type: &str) -> String {
    format!(
        r#"{filter}
resource "autopilot_enrollment_status_page" "esp" {{
  display_name               = "ESP for Surface devices"
  show_installation_progress = true
  include_group_ids          = ["{G1}"]
  exclude_group_ids          = ["{G2}"]
  all_users                  = true
  assignment_filter_id       = autopilot_assignment_filter.surfaces.id
  assignment_filter_type     = "{esp_type}"
}}

resource "autopilot_group" "devices" {{
  display_name              = "DevicePrep Devices"
  provisioning_client_owner = true
}}

resource "autopilot_device_preparation_policy" "dp" {{
  display_name           = "Device preparation for Surface devices"
  device_group_id        = autopilot_group.devices.id
  include_group_ids      = ["{G1}"]
  assignment_filter_id   = autopilot_assignment_filter.surfaces.id
  assignment_filter_type = "include"
}}
"#,
        filter = filter_config(SURFACE_RULE),
    )
}

/// Each target of `path`'s assignments as (type, group, filter id, filter type).
fn filtered_targets(lab: &Lab, path: &str) -> Vec<(String, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let mut out: Vec<_> = acceptance_tests::checks::graph_list(lab, path)
        .iter()
        .map(|a| {
            let t = &a["target"];
            (
                text(&t["@odata.type"]).replace("#microsoft.graph.", ""),
                text(&t["groupId"]),
                text(&t["deviceAndAppManagementAssignmentFilterId"]),
                text(&t["deviceAndAppManagementAssignmentFilterType"]),
            )
        })
        .collect();
    out.sort();
    out
}

fn target(
    kind: &str,
    group: &str,
    filter: &str,
    filter_type: &str,
) -> (String, String, String, String) {
    (kind.into(), group.into(), filter.into(), filter_type.into())
}

#[test]
fn filters_on_esp_and_device_preparation_assignments() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    tf.write_config(&filtered_config("exclude"));
    let filter = string_attr(&apply_adding(&tf, 4, ADDR), "id");
    let esp = string_attr(
        &acceptance_tests::checks::state_values(&tf, "autopilot_enrollment_status_page.esp"),
        "id",
    );
    let policy = string_attr(
        &acceptance_tests::checks::state_values(&tf, "autopilot_device_preparation_policy.dp"),
        "id",
    );
    let esp_path = format!("{ESP_ASSIGNMENTS}/{esp}/assignments");
    let policy_path = format!("deviceManagement/configurationPolicies/{policy}/assignments");
    assert_eq!(
        filtered_targets(&lab, &esp_path),
        [
            target("allLicensedUsersAssignmentTarget", "", &filter, "exclude"),
            target("exclusionGroupAssignmentTarget", G2, "", "none"),
            target("groupAssignmentTarget", G1, &filter, "exclude"),
        ]
    );
    assert_eq!(
        filtered_targets(&lab, &policy_path),
        [target("groupAssignmentTarget", G1, &filter, "include")]
    );
    // (Reading the policy POSTs its enrollment-time target query, a read.)
    tf.assert_no_changes();

    // The filter taken off the ESP in the portal: the plan shows it, the apply puts it back.
    lab.graph_post(
        &format!("{ESP_ASSIGNMENTS}/{esp}/assign"),
        &json!({"enrollmentConfigurationAssignments": [
            {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": G1}},
            {"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}},
            {"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": G2}},
        ]}),
    );
    // (Not `repair_drift`: reading the policy POSTs its enrollment-time target query.)
    plan_shows_update(&tf, &["assignment_filter_id"]);
    apply_update(&tf);
    assert_eq!(filtered_targets(&lab, &esp_path)[2].3, "exclude");
    tf.assert_no_changes();

    // Taken off one target only (the portal sets filters target by target): the group listed
    // first keeps it, and the plan still shows the difference.
    lab.graph_post(
        &format!("{ESP_ASSIGNMENTS}/{esp}/assign"),
        &json!({"enrollmentConfigurationAssignments": [
            {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": G1,
                        "deviceAndAppManagementAssignmentFilterId": filter,
                        "deviceAndAppManagementAssignmentFilterType": "exclude"}},
            {"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}},
            {"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": G2}},
        ]}),
    );
    plan_shows_update(&tf, &["assignment_filter_type"]);
    apply_update(&tf);
    assert_eq!(
        filtered_targets(&lab, &esp_path)[0],
        target("allLicensedUsersAssignmentTarget", "", &filter, "exclude")
    );
    tf.assert_no_changes();

    // The type changed in the configuration: an update in place.
    plan_update_in_place(&tf, &filtered_config("include"));
    apply_update(&tf);
    assert_eq!(
        filtered_targets(&lab, &esp_path)[0],
        target("allLicensedUsersAssignmentTarget", "", &filter, "include")
    );
    tf.assert_no_changes();

    // The ESP data source reads the filter.
    tf.write_config(&format!(
        r#"{}
data "autopilot_enrollment_status_page" "read" {{
  id = autopilot_enrollment_status_page.esp.id
}}
output "read" {{
  value = [
    data.autopilot_enrollment_status_page.read.assignment_filter_id,
    data.autopilot_enrollment_status_page.read.assignment_filter_type,
  ]
}}
"#,
        filtered_config("include")
    ));
    tf.apply()
        .assert_contains("0 added, 0 changed, 0 destroyed");
    assert_eq!(
        tf.output_json()["read"]["value"],
        json!([filter, "include"])
    );

    // Intune keeps a filter that assignments use: destroy removes them first.
    tf.destroy().assert_contains("4 destroyed");
    assert!(lab.objects("assignmentFilters").is_empty());
}

#[test]
fn filters_intune_does_not_take_are_refused_at_plan() {
    let lab = Lab::start();
    let esp = |assignment: &str| {
        format!(
            r#"
resource "autopilot_enrollment_status_page" "esp" {{
  display_name               = "ESP"
  show_installation_progress = true
{assignment}
}}
"#
        )
    };
    let filter = "00000000-0000-4000-8000-0000000f0001";
    for (assignment, attribute, words) in [
        (
            format!("  include_group_ids = [\"{G1}\"]\n  assignment_filter_id = \"{filter}\""),
            "assignment_filter_type",
            &["needs `assignment_filter_type`"][..],
        ),
        (
            format!("  include_group_ids = [\"{G1}\"]\n  assignment_filter_type = \"include\""),
            "assignment_filter_id",
            &["needs `assignment_filter_id`"][..],
        ),
        (
            format!(
                "  exclude_group_ids = [\"{G2}\"]\n  assignment_filter_id = \"{filter}\"\n  assignment_filter_type = \"include\""
            ),
            "assignment_filter_id",
            &["included target", "never exclusions"][..],
        ),
        (
            "  all_devices = true\n  assignment_filter_id = \"not-a-guid\"\n  assignment_filter_type = \"include\"".to_string(),
            "assignment_filter_id",
            &["Invalid assignment filter id"][..],
        ),
    ] {
        let groups: Vec<&[&str]> = words.iter().map(std::slice::from_ref).collect();
        assert_rejected_at_plan(
            &lab,
            &esp(&assignment),
            RejectedAt {
                attributes: &[attribute],
                rule_words: &groups,
            },
        );
    }
}
