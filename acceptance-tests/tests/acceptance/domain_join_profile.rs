//! `autopilot_domain_join_profile` against a running lab, through the real `terraform` binary.
//! Every test owns its lab and its working directory, so they run in parallel.

use std::collections::BTreeSet;

use acceptance_tests::checks::{self, RejectedAt, state_values, targets, the_only};
use acceptance_tests::devices::{faults_fired, set_faults};
use acceptance_tests::lifecycle::{
    Created, Expected, Subject, apply_adding, assert_import_of_missing_id_fails,
    assert_import_plans_nothing, assert_valid_config_plans_a_create, import_into_state,
};
use acceptance_tests::resource_hcl;
use acceptance_tests::seeding::{G1, G2, G3, G4, G5};
use acceptance_tests::{Lab, Terraform};
use acceptance_tests::{assert_no_writes, set, set_attr, string_attr};
use serde_json::json;

const ADDR: &str = "autopilot_domain_join_profile.x";
const ODATA_TYPE: &str = "#microsoft.graph.windowsDomainJoinConfiguration";
const CONFIGS: &str = "deviceManagement/deviceConfigurations";

/// The profile's configuration; the steps vary its description and included group.
fn profile_config(description: &str, include: &str) -> String {
    format!(
        r#"
resource "autopilot_domain_join_profile" "x" {{
  display_name                 = "DJ-Contoso"
  description                  = "{description}"
  active_directory_domain_name = "contoso.com"
  organizational_unit          = "OU=Autopilot,DC=contoso,DC=com"
  computer_name_static_prefix  = "CTS-"
  include_group_ids            = ["{include}"]
  exclude_group_ids            = ["{G2}"]
}}
"#
    )
}

/// A profile with only what it needs: its name, `domain` and computer name `prefix`, and
/// `extra` HCL lines.
fn minimal_config(domain: &str, prefix: &str, extra: &str) -> String {
    let lines = format!(
        "  active_directory_domain_name = \"{domain}\"
  computer_name_static_prefix = \"{prefix}\"
  {extra}"
    );
    resource_hcl(ADDR, "DJ-Contoso", &lines)
}

/// The profile as first created.
fn create_config() -> String {
    profile_config("Hybrid join for Contoso", G1)
}

#[test]
fn lifecycle_create_update_drift_recreate_destroy() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    let profile = Subject::new(&tf, &lab, ADDR, CONFIGS, Some(ODATA_TYPE));
    let id = step_create(&profile);
    let wave2 = [("description", json!("Hybrid join for Contoso, wave 2"))];
    let updated = Expected {
        props: &wave2,
        targets: Some(&targets(&[G3], &[G2], false)),
    };
    // A new description and G1 swapped for G3 in include_group_ids.
    let config = profile_config("Hybrid join for Contoso, wave 2", G3);
    profile.update(
        &id,
        &config,
        &["Hybrid join for Contoso, wave 2", G3],
        updated,
    );
    assert_eq!(
        set_attr(&state_values(&tf, ADDR), "include_group_ids"),
        set(&[G3])
    );
    // Drift of a property, then of the assignments: shown in the plan, repaired by the apply.
    let edit = json!({"@odata.type": ODATA_TYPE, "description": "Edited in the Intune portal"});
    profile.repair_patched(
        &id,
        &edit,
        &["description", "Edited in the Intune portal"],
        updated,
    );
    let assign = json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": G4}}]});
    profile.repair_posted(&id, "assign", &assign, &["include_group_ids", G4], updated);
    // Deleted outside Terraform: the plan recreates it, it does not fail.
    lab.graph_delete(&format!("{CONFIGS}/{id}"));
    profile.recreate(&id, updated);
    profile.destroy();
}

/// Create.
#[track_caller]
fn step_create(profile: &Subject<'_>) -> String {
    let Created { id, state, .. } = profile.create(&create_config());
    assert_eq!(
        state["computer_name_suffix_random_char_count"],
        json!(11),
        "15 - len(\"CTS-\"): {state}"
    );
    assert_eq!(state["all_devices"], json!(false), "{state}");
    assert_eq!(
        set_attr(&state, "role_scope_tag_ids"),
        set(&["0"]),
        "{state}"
    );
    for stamp in ["created_date_time", "last_modified_date_time"] {
        assert!(!string_attr(&state, stamp).is_empty(), "{stamp}: {state}");
    }
    let first = [
        ("displayName", json!("DJ-Contoso")),
        ("description", json!("Hybrid join for Contoso")),
        ("activeDirectoryDomainName", json!("contoso.com")),
        (
            "organizationalUnit",
            json!("OU=Autopilot,DC=contoso,DC=com"),
        ),
        ("computerNameStaticPrefix", json!("CTS-")),
        ("computerNameSuffixRandomCharCount", json!(11)),
    ];
    let created = Expected {
        props: &first,
        targets: Some(&targets(&[G1], &[G2], false)),
    };
    profile.assert_object(&id, created);
    id
}

#[test]
fn import_of_an_existing_profile_gives_an_empty_plan() {
    let lab = Lab::start();
    let id = lab.graph_create(
        CONFIGS,
        &json!({
            "@odata.type": ODATA_TYPE,
            "displayName": "DJ-Contoso",
            "description": "Created in the portal",
            "activeDirectoryDomainName": "fabrikam.com",
            "organizationalUnit": "OU=Autopilot,DC=fabrikam,DC=com",
            "computerNameStaticPrefix": "FAB-",
            "computerNameSuffixRandomCharCount": 8,
            "roleScopeTagIds": ["0"],
        }),
    );
    lab.graph_post(
        &format!("{CONFIGS}/{id}/assign"),
        &json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": G5}}]}),
    );

    let portal = format!(
        "description = \"Created in the portal\"
  organizational_unit = \"OU=Autopilot,DC=fabrikam,DC=com\"
  computer_name_suffix_random_char_count = 8
  include_group_ids = [\"{G5}\"]"
    );
    let tf = Terraform::configured(&lab, &minimal_config("fabrikam.com", "FAB-", &portal));
    let state = import_into_state(&tf, &lab, ADDR, &id);
    assert_eq!(state["id"], json!(id), "{state}");
    assert_eq!(set_attr(&state, "include_group_ids"), set(&[G5]), "{state}");
    assert_eq!(
        state["computer_name_suffix_random_char_count"],
        json!(8),
        "{state}"
    );
    assert_eq!(state["all_devices"], json!(false), "{state}");

    assert_import_plans_nothing(&tf, &lab);
    assert_eq!(the_only(&lab, CONFIGS, Some(ODATA_TYPE))["id"], json!(id));
}

#[test]
fn import_of_a_missing_id_fails_clearly() {
    assert_import_of_missing_id_fails(
        &create_config(),
        ADDR,
        &[
            "non-existent",
            "does not exist",
            "not found",
            "no object exists",
        ],
    );
}

/// A profile deleted between the refresh's two reads (its `/assignments` answer 404) is gone,
/// as when the profile itself answers 404: the plan creates it again instead of failing, and
/// once Graph answers again nothing has changed.
#[test]
fn a_404_on_the_assignments_means_the_profile_is_gone() {
    let lab = Lab::start();
    let tf = Terraform::configured(&lab, &create_config());
    tf.apply()
        .assert_contains("1 added, 0 changed, 0 destroyed");
    let id = string_attr(
        &tf.resource_values(ADDR)
            .expect("the profile is in the state"),
        "id",
    );
    set_faults(
        &lab,
        &json!([{
            "method": "GET",
            "path": format!("^/beta/{CONFIGS}/{id}/assignments$"),
            "status": 404,
        }]),
    );
    tf.plan()
        .assert_contains("1 to add, 0 to change, 0 to destroy")
        .assert_not_contains("Error");
    assert!(
        faults_fired(&lab).iter().sum::<u64>() >= 1,
        "the 404 was never served"
    );
    set_faults(&lab, &json!([]));
    tf.assert_no_changes();
    tf.destroy();
}

// ---------------------------------------------------------------------------------------------
// Bad inputs: rejected by `terraform plan` (exit 1), naming the attribute and the rule, and
// before anything is written to the tenant.

#[test]
fn valid_profile_plans_a_create_without_writing() {
    // The control for the cases below: the same shape of configuration, valid, plans fine.
    assert_valid_config_plans_a_create(&create_config());
}

#[test]
fn netbios_domain_name_is_rejected() {
    assert_rejected_at_plan(
        &minimal_config("CONTOSO", "CTS-", ""),
        &["active_directory_domain_name"],
        &[&["fqdn", "fully qualified", "netbios"]],
    );
}

#[test]
fn computers_container_as_ou_is_rejected() {
    assert_rejected_at_plan(
        &minimal_config(
            "contoso.com",
            "CTS-",
            "organizational_unit = \"CN=Computers,DC=contoso,DC=com\"",
        ),
        &["organizational_unit"],
        &[&["cn=", "container", "ou="]],
    );
}

#[test]
fn computer_name_longer_than_15_is_rejected() {
    assert_rejected_at_plan(
        &minimal_config(
            "contoso.com",
            "VERYLONGPREFIX-",
            "computer_name_suffix_random_char_count = 8",
        ),
        &[
            "computer_name_static_prefix",
            "computer_name_suffix_random_char_count",
        ],
        &[&["15"]],
    );
}

#[test]
fn invalid_character_in_prefix_is_rejected() {
    assert_rejected_at_plan(
        &minimal_config("contoso.com", "CTS_", ""),
        &["computer_name_static_prefix"],
        &[&["letter", "digit", "hyphen", "character", "\"_\"", "'_'"]],
    );
}

#[test]
fn all_devices_with_exclusions_is_rejected() {
    assert_rejected_at_plan(
        &minimal_config(
            "contoso.com",
            "CTS-",
            &format!("all_devices = true\n  exclude_group_ids = [\"{G2}\"]"),
        ),
        &["all_devices", "exclude_group_ids"],
        &[&["exclu"], &["all devices", "all_devices", "alldevices"]],
    );
}

/// Plans `resource_hcl` against a fresh lab and asserts that the plan fails with exit code 1,
/// that the output names one of `attributes`, that the diagnostic text (without Terraform's
/// echo of the configuration) matches every group of `rule` (any word of a group, case-insensitive),
/// and that nothing was written to the tenant.
#[track_caller]
fn assert_rejected_at_plan(resource_hcl: &str, attributes: &[&str], rule: &[&[&str]]) {
    let lab = Lab::start();
    let rejected = RejectedAt {
        attributes,
        rule_words: rule,
    };
    checks::assert_rejected_at_plan(&lab, resource_hcl, rejected);
    let objects = lab.objects("deviceConfigurations");
    assert!(
        objects.is_empty(),
        "objects created by a failed plan: {objects:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// A group id known only after apply, next to a literal one: the set is
/// partly unknown at plan time and must plan and apply cleanly.
#[test]
fn group_ids_known_only_after_apply_are_accepted() {
    let lab = Lab::start();
    let group = r#"
resource "autopilot_group" "devices" {
  display_name = "Autopilot Devices (Contoso)"
}
"#;
    let include = format!("include_group_ids = [autopilot_group.devices.id, \"{G1}\"]");
    let tf = Terraform::configured(
        &lab,
        &(group.to_string() + &minimal_config("contoso.com", "CTS-", &include)),
    );
    let state = apply_adding(&tf, 2, ADDR);
    let included: BTreeSet<String> = state["include_group_ids"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(included.len(), 2, "both groups are included: {state}");
    assert!(included.contains(G1), "{state}");
    assert_eq!(tf.plan_detailed_exitcode(), 0, "second plan is empty");
    tf.destroy();
}

/// An app without the permission a call needs gets a diagnostic that names
/// the Graph application permission, and nothing is left half-created.
#[test]
fn a_missing_permission_is_named() {
    let lab = Lab::start_with_args(&["--roles", "DeviceManagementServiceConfig.ReadWrite.All"]);
    let tf = Terraform::configured(&lab, &minimal_config("contoso.com", "CTS-", ""));
    tf.apply_expect_error()
        .assert_contains("403")
        .assert_contains("DeviceManagementConfiguration.ReadWrite.All");
    assert!(
        lab.objects("deviceConfigurations").is_empty(),
        "nothing was created"
    );
}

/// GCC High has no hybrid join: the plan refuses the profile before any write.
#[test]
fn us_government_cloud_refuses_hybrid_join_at_plan() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    let provider = r#"
terraform {
  required_providers {
    autopilot = { source = "autopilot-iac/autopilot" }
  }
}

provider "autopilot" {
  environment = "usgovernment"
}
"#;
    tf.write_main(&(provider.to_string() + &minimal_config("contoso.com", "CTS-", "")));
    let out = tf.plan();
    out.expect_code(1)
        .assert_contains("not available in US Government clouds")
        .assert_contains("device preparation");
    assert_no_writes(&lab, "a refused plan");
}
