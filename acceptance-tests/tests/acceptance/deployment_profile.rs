//! `autopilot_deployment_profile` against a running lab, through the real `terraform` binary:
//! lifecycle, assignments reconciled by difference, replacement on `join_type`, drift, import,
//! plan-time validation (names and descriptions Intune refuses, a user type on self-deploying
//! profiles, an empty locale), a 500 Graph answers every time posted once, and the tenant lints
//! (a second All devices profile is an error; the domain join profile's hybrid lint).
//! Every test owns its lab and its working directory, so they run in parallel.

use acceptance_tests::checks::{
    assert_props, assert_rejected, assert_said, graph_list, state_values, targets, the_only,
};
use acceptance_tests::devices::set_faults;
use acceptance_tests::lifecycle::{
    Created, Expected, Subject, apply_adding, apply_replacement, assert_import_of_missing_id_fails,
    assert_import_plans_nothing, assert_valid_config_plans_a_create, import_into_state,
};
use acceptance_tests::resource_hcl;
use acceptance_tests::seeding::{G1, G2, G3, G4};
use acceptance_tests::{Lab, Request, Terraform, provider_warnings, show_requests, write_requests};
use acceptance_tests::{assert_no_writes, set, set_attr, string_attr};
use serde_json::{Value, json};

const ADDR: &str = "autopilot_deployment_profile.x";
const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
const ENTRA: &str = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
const HYBRID: &str = "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";
const ASSIGNMENT: &str = "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment";
const GROUP_TARGET: &str = "#microsoft.graph.groupAssignmentTarget";

/// An Entra join profile; the steps vary its description, the EULA and the included group.
fn entra_config(description: &str, eula_hidden: bool, include: &str) -> String {
    format!(
        r#"
resource "autopilot_deployment_profile" "x" {{
  display_name                    = "AP UserDriven"
  description                     = "{description}"
  join_type                       = "entra"
  device_name_template            = "CORP-%SERIAL%"
  locale                          = "en-US"
  hardware_hash_extraction_enabled = true
  privacy_settings_hidden         = true
  eula_hidden                     = {eula_hidden}
  escape_link_hidden              = true
  keyboard_selection_page_skipped = true
  user_type                       = "standard"
  include_group_ids               = ["{include}"]
  exclude_group_ids               = ["{G2}"]
}}
"#
    )
}

/// The profile as first created.
fn create_config() -> String {
    entra_config("Corporate laptops", true, G1)
}

// The updated profile as a hybrid join profile: no name template (the domain join profile names devices).
const HYBRID_CONFIG: &str = r#"
resource "autopilot_deployment_profile" "x" {
  display_name                                 = "AP UserDriven"
  description                                  = "Corporate laptops, wave 2"
  join_type                                    = "hybrid"
  locale                                       = "en-US"
  hardware_hash_extraction_enabled             = true
  hybrid_azure_ad_join_skip_connectivity_check = true
  privacy_settings_hidden                      = true
  escape_link_hidden                           = true
  keyboard_selection_page_skipped              = true
  user_type                                    = "standard"
  include_group_ids                            = ["33333333-3333-4333-8333-333333333333"]
  exclude_group_ids                            = ["22222222-2222-4222-8222-222222222222"]
}
"#;

#[test]
fn lifecycle_create_update_replace_drift_recreate_destroy() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    let profile = Subject::new(&tf, &lab, ADDR, PROFILES, None);
    let id = step_create(&profile);
    let wave2 = [("description", json!("Corporate laptops, wave 2"))];
    let updated = Expected {
        props: &wave2,
        targets: Some(&targets(&[G3], &[G2], false)),
    };
    step_update_in_place(&profile, &id, updated);
    // Drift of a property, then of the assignments (an extra group assigned in the portal):
    // shown in the plan, repaired by the apply.
    let edit = json!({"@odata.type": ENTRA, "description": "Edited in the Intune portal"});
    profile.repair_patched(&id, &edit, &["Edited in the Intune portal"], updated);
    let assign = group_assignment(G4);
    profile.repair_posted(
        &id,
        "assignments",
        &assign,
        &["include_group_ids", G4],
        updated,
    );
    let hybrid_id = step_join_type_replaces(&profile, &id, updated);
    // Deleted outside Terraform (assignments first, as Intune requires): a planned re-create.
    for a in graph_list(&lab, &format!("{PROFILES}/{hybrid_id}/assignments")) {
        let a = string_attr(&a, "id");
        lab.graph_delete(&format!("{PROFILES}/{hybrid_id}/assignments/{a}"));
    }
    lab.graph_delete(&format!("{PROFILES}/{hybrid_id}"));
    let targets_only = Expected {
        props: &[],
        targets: updated.targets,
    };
    profile.recreate(&hybrid_id, targets_only);
    profile.destroy();
}

/// Create.
#[track_caller]
fn step_create(profile: &Subject<'_>) -> String {
    let Created { id, state, object } = profile.create(&create_config());
    for (name, value) in [
        ("device_type", json!("windows_pc")),
        ("deployment_mode", json!("user_driven")),
        ("preprovisioning_allowed", json!(false)),
        ("hybrid_azure_ad_join_skip_connectivity_check", json!(false)),
        ("all_devices", json!(false)),
    ] {
        assert_eq!(state[name], value, "{name} in {state}");
    }
    assert_eq!(
        set_attr(&state, "role_scope_tag_ids"),
        set(&["0"]),
        "{state}"
    );
    assert!(!string_attr(&state, "created_date_time").is_empty());
    let oobe = &object["outOfBoxExperienceSetting"];
    assert_props(
        oobe,
        &[
            ("deviceUsageType", json!("singleUser")),
            ("privacySettingsHidden", json!(true)),
            ("eulaHidden", json!(true)),
            ("escapeLinkHidden", json!(true)),
            ("keyboardSelectionPageSkipped", json!(true)),
            ("userType", json!("standard")),
        ],
    );
    let first = Expected {
        props: &[
            ("@odata.type", json!(ENTRA)),
            ("displayName", json!("AP UserDriven")),
            ("description", json!("Corporate laptops")),
            ("deviceNameTemplate", json!("CORP-%SERIAL%")),
            ("locale", json!("en-US")),
            ("deviceType", json!("windowsPc")),
            ("hardwareHashExtractionEnabled", json!(true)),
            ("preprovisioningAllowed", json!(false)),
        ],
        targets: Some(&targets(&[G1], &[G2], false)),
    };
    profile.assert_object(&id, first);
    id
}

/// Update in place: properties and include_group_ids, assignments by difference.
#[track_caller]
fn step_update_in_place(profile: &Subject<'_>, id: &str, updated: Expected<'_>) {
    // A new description, G1 swapped for G3, and the EULA shown again.
    let config = entra_config("Corporate laptops, wave 2", false, G3);
    let object = profile.update(id, &config, &[G3], updated);
    assert_eq!(
        object["outOfBoxExperienceSetting"]["eulaHidden"],
        json!(false)
    );
    let writes = write_requests(profile.lab);
    let assignment_writes: Vec<&Request> = writes
        .iter()
        .filter(|r| r.path.to_ascii_lowercase().contains("/assignments"))
        .collect();
    assert_eq!(
        assignment_writes.len(),
        2,
        "one POST (G3) and one DELETE (G1), nothing else:\n{}",
        show_requests(&writes)
    );
    assert!(
        assignment_writes
            .iter()
            .any(|r| r.method == "DELETE" && r.path.contains(G1)),
        "G1's assignment is deleted:\n{}",
        show_requests(&writes)
    );
    assert!(
        !writes
            .iter()
            .any(|r| r.method == "DELETE" && r.path.contains(G2)),
        "the unchanged exclusion is never deleted:\n{}",
        show_requests(&writes)
    );
}

/// join_type forces a replacement: a new hybrid profile, the old one (and its assignments) gone.
#[track_caller]
fn step_join_type_replaces(profile: &Subject<'_>, id: &str, updated: Expected<'_>) -> String {
    let hybrid_id = apply_replacement(profile.tf, HYBRID_CONFIG, ADDR, id);
    let hybrid = Expected {
        props: &[
            ("@odata.type", json!(HYBRID)),
            ("hybridAzureADJoinSkipConnectivityCheck", json!(true)),
        ],
        targets: updated.targets,
    };
    profile.assert_object(&hybrid_id, hybrid);
    profile.tf.assert_no_changes();
    hybrid_id
}

#[test]
fn import_of_an_existing_profile_gives_an_empty_plan() {
    let lab = Lab::start();
    let id = lab.graph_create(
        PROFILES,
        &json!({
            "@odata.type": HYBRID,
            "displayName": "AP Hybrid",
            "description": "Created in the portal",
            "locale": "os-default",
            "deviceType": "windowsPc",
            "preprovisioningAllowed": true,
            "hardwareHashExtractionEnabled": false,
            "hybridAzureADJoinSkipConnectivityCheck": false,
            "roleScopeTagIds": ["0"],
            "outOfBoxExperienceSetting": {
                "deviceUsageType": "singleUser", "escapeLinkHidden": false, "eulaHidden": true,
                "keyboardSelectionPageSkipped": false, "privacySettingsHidden": true, "userType": "administrator"
            }
        }),
    );
    lab.graph_post(
        &format!("{PROFILES}/{id}/assignments"),
        &group_assignment(G1),
    );

    let tf = Terraform::new(&lab);
    // The portal's default account type is administrator; the provider's is standard, so the
    // configuration of a portal profile says administrator.
    let config = r#"
resource "autopilot_deployment_profile" "x" {
  display_name            = "AP Hybrid"
  description             = "Created in the portal"
  join_type               = "hybrid"
  preprovisioning_allowed = true
  eula_hidden             = true
  privacy_settings_hidden = true
  user_type               = "administrator"
  include_group_ids       = ["11111111-1111-4111-8111-111111111111"]
}
"#;
    tf.write_config(config);
    let state = import_into_state(&tf, &lab, ADDR, &id);
    assert_eq!(state["id"], json!(id), "{state}");
    assert_eq!(state["join_type"], json!("hybrid"), "{state}");
    assert_eq!(set_attr(&state, "include_group_ids"), set(&[G1]), "{state}");
    assert!(state["device_name_template"].is_null(), "{state}");
    assert_import_plans_nothing(&tf, &lab);

    // Without `user_type`, the provider's default (standard) shows as a change in the plan.
    tf.write_config(&config.replace("  user_type               = \"administrator\"\n", ""));
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("user_type")
        .assert_contains("\"administrator\" -> \"standard\"");
}

#[test]
fn import_of_a_missing_id_fails_clearly() {
    assert_import_of_missing_id_fails(&create_config(), ADDR, &["does not exist"]);
}

// ---------------------------------------------------------------------------------------------
// Bad inputs: rejected by `terraform plan` (exit 1), naming the attribute, before any write.

fn profile_hcl(extra: &str) -> String {
    resource_hcl(ADDR, "AP", extra)
}

#[test]
fn valid_profile_plans_a_create_without_writing() {
    assert_valid_config_plans_a_create(&create_config());
}

#[test]
fn name_template_longer_than_15_is_rejected() {
    assert_rejected(
        &profile_hcl("  join_type = \"entra\"\n  device_name_template = \"CONTOSO-%RAND:9%\""),
        "device_name_template",
        &["15"],
    );
}

#[test]
fn name_template_with_invalid_character_is_rejected() {
    assert_rejected(
        &profile_hcl("  join_type = \"entra\"\n  device_name_template = \"CORP_%SERIAL%\""),
        "device_name_template",
        &["letters, digits and hyphens"],
    );
}

#[test]
fn name_template_of_digits_only_is_rejected() {
    assert_rejected(
        &profile_hcl("  join_type = \"entra\"\n  device_name_template = \"2024%RAND:4%\""),
        "device_name_template",
        &["digits"],
    );
}

#[test]
fn malformed_macro_is_rejected() {
    assert_rejected(
        &profile_hcl("  join_type = \"entra\"\n  device_name_template = \"CORP-%RAND%\""),
        "device_name_template",
        &["%RAND:x%"],
    );
}

#[test]
fn name_template_with_hybrid_is_rejected() {
    assert_rejected(
        &profile_hcl("  join_type = \"hybrid\"\n  device_name_template = \"CORP-%SERIAL%\""),
        "device_name_template",
        &["domain join profile"],
    );
}

#[test]
fn self_deploying_hybrid_is_rejected() {
    assert_rejected(
        &profile_hcl("  join_type = \"hybrid\"\n  deployment_mode = \"self_deploying\""),
        "deployment_mode",
        &["Entra join"],
    );
}

#[test]
fn exclusions_with_all_devices_are_rejected() {
    assert_rejected(
        &profile_hcl(&format!(
            "  join_type = \"entra\"\n  all_devices = true\n  exclude_group_ids = [\"{G2}\"]"
        )),
        "exclude_group_ids",
        &["all_devices"],
    );
}

#[test]
fn skip_connectivity_check_with_entra_is_rejected() {
    assert_rejected(
        &profile_hcl(
            "  join_type = \"entra\"\n  hybrid_azure_ad_join_skip_connectivity_check = true",
        ),
        "hybrid_azure_ad_join_skip_connectivity_check",
        &["hybrid"],
    );
}

#[test]
fn unknown_enum_values_are_rejected() {
    assert_rejected(
        &profile_hcl("  join_type = \"entra\"\n  device_type = \"toaster\""),
        "device_type",
        &["windows_pc"],
    );
    assert_rejected(
        &profile_hcl("  join_type = \"domain\""),
        "join_type",
        &["entra"],
    );
    assert_rejected(
        &profile_hcl("  join_type = \"entra\"\n  user_type = \"guest\""),
        "user_type",
        &["standard"],
    );
}

#[test]
fn invalid_locale_is_rejected() {
    assert_rejected(
        &profile_hcl("  join_type = \"entra\"\n  locale = \"english\""),
        "locale",
        &["en-US"],
    );
}

#[test]
fn names_and_descriptions_intune_refuses_are_rejected() {
    assert_rejected(
        r#"
resource "autopilot_deployment_profile" "x" {
  display_name = "Entra join - Sales"
  join_type    = "entra"
}
"#,
        "display_name",
        &["'-'", "letters, digits, spaces and", "Entra join Sales"],
    );
    assert_rejected(
        &profile_hcl("  join_type = \"entra\"\n  description = \"Sales laptops (pilot)\""),
        "description",
        &["! # % ^ * ( ) - + = ; ' < >", "Sales laptops pilot"],
    );
}

#[test]
fn user_type_on_a_self_deploying_profile_is_rejected() {
    assert_rejected(
        &profile_hcl(
            "  join_type = \"entra\"\n  deployment_mode = \"self_deploying\"\n  user_type = \"standard\"",
        ),
        "user_type",
        &["self-deploying", "refuses a user type"],
    );
}

#[test]
fn an_empty_locale_is_rejected() {
    assert_rejected(
        &profile_hcl("  join_type = \"entra\"\n  locale = \"\""),
        "locale",
        &["os-default"],
    );
}

/// The lab refuses a user type on shared profiles as Intune does, so an apply that succeeds
/// proves none was sent; the state holds null and the next plan is empty, also across a change
/// of mode in either direction.
#[test]
fn self_deploying_profiles_carry_no_user_type() {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    let config = |mode: &str| {
        format!(
            r#"
resource "autopilot_deployment_profile" "x" {{
  display_name         = "Kiosk: self deploying"
  join_type            = "entra"
  deployment_mode      = "{mode}"
  device_name_template = "KSK-%SERIAL%"
}}
"#
        )
    };
    tf.write_config(&config("self_deploying"));
    let state = apply_adding(&tf, 1, ADDR);
    assert!(state["user_type"].is_null(), "{state}");
    let oobe = &the_only(&lab, PROFILES, None)["outOfBoxExperienceSetting"];
    assert_eq!(oobe["deviceUsageType"], json!("shared"), "{oobe}");
    assert!(oobe.get("userType").is_none(), "{oobe}");
    tf.assert_no_changes();

    tf.write_config(&config("user_driven"));
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    assert_eq!(state_values(&tf, ADDR)["user_type"], json!("standard"));
    assert_eq!(
        the_only(&lab, PROFILES, None)["outOfBoxExperienceSetting"]["userType"],
        json!("standard")
    );
    tf.assert_no_changes();

    tf.write_config(&config("self_deploying"));
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    assert!(state_values(&tf, ADDR)["user_type"].is_null());
    tf.assert_no_changes();
}

/// A 500 that carries Graph's error body is the service's answer (Intune gives one for every
/// name it refuses): the create is posted once and fails with Graph's error, never re-posted.
#[test]
fn a_500_answered_by_graph_is_posted_once() {
    let lab = Lab::start();
    set_faults(
        &lab,
        &json!({"rules": [{"method": "POST", "path": "^/beta/deviceManagement/windowsAutopilotDeploymentProfiles$", "status": 500}]}),
    );
    let tf = Terraform::configured(&lab, &profile_hcl("  join_type = \"entra\""));
    lab.clear_requests();
    let out = tf.apply_expect_error();
    out.assert_contains("500").assert_not_contains("panic");
    let posts: Vec<Request> = write_requests(&lab)
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/windowsAutopilotDeploymentProfiles"))
        .collect();
    assert_eq!(posts.len(), 1, "posted once:\n{}", show_requests(&posts));
    assert!(profiles(&lab).is_empty());
}

/// The lab answers a name Intune refuses as Intune does (an opaque 500), and the provider never
/// sends one: here the lab's own answer, through Graph directly.
#[test]
fn the_lab_refuses_names_intune_refuses() {
    let lab = Lab::start();
    let refused = lab.graph(
        acceptance_tests::Method::POST,
        PROFILES,
        Some(&json!({"@odata.type": ENTRA, "displayName": "Entra join - Sales"})),
    );
    assert_eq!(refused.status, 500, "{}", refused.body);
    assert!(profiles(&lab).is_empty());
}

#[test]
fn short_serial_part_is_a_warning() {
    let lab = Lab::start();
    let tf = Terraform::configured(
        &lab,
        &profile_hcl("  join_type = \"entra\"\n  device_name_template = \"CONTOSO-%SERIAL%\""),
    );
    let out = tf.plan_detailed().expect_code(2);
    out.assert_contains("device_name_template")
        .assert_contains("will be created");
    assert_eq!(
        provider_warnings(&out),
        ["The serial number will be cut short"],
        "{out}"
    );
    assert!(out.diagnostics().contains("serial"), "{out}");
    assert_no_writes(&lab, "a plan with a warning");
}

// ---------------------------------------------------------------------------------------------
// Lints against the live tenant: warnings, the plan still succeeds.

#[test]
fn lints_warn_about_overlapping_profiles() {
    let lab = Lab::start();
    let hybrid = create_profile(&lab, HYBRID, "Hybrid Old", &[G1]);
    let entra = create_profile(&lab, ENTRA, "Entra Old", &[G2]);
    let tf = Terraform::configured(
        &lab,
        &profile_hcl(&format!(
            "  join_type = \"entra\"\n  include_group_ids = [\"{G1}\", \"{G2}\"]"
        )),
    );
    lab.clear_requests();
    let out = tf.plan_detailed().expect_code(2);
    out.assert_contains("Warning")
        .assert_contains("will be created");
    // The Entra/hybrid overlap on G1 is reported; the same-join overlap names the winner.
    assert_said(
        &out,
        &["hybrid", &hybrid, G1, "oldest", &entra, "Entra Old"],
    );
    assert_no_writes(&lab, "a plan with lints");
    // The tenant is read once per run, not once per check.
    let lists = lab
        .requests_matching(|r| {
            r.method == "GET" && r.path.ends_with("/windowsAutopilotDeploymentProfiles")
        })
        .len();
    assert!(
        lists <= 2,
        "profiles listed {lists} times in one plan (plan + refresh at most)"
    );
}

#[test]
fn domain_join_profile_warns_about_uncovered_hybrid_profiles() {
    let lab = Lab::start();
    let hybrid = create_profile(&lab, HYBRID, "Hybrid Wave1", &[G1]);
    let tf = Terraform::new(&lab);
    let dj = |groups: &str| {
        format!(
            r#"
resource "autopilot_domain_join_profile" "dj" {{
  display_name                 = "DJ-Contoso"
  active_directory_domain_name = "contoso.com"
  computer_name_static_prefix  = "CTS-"
  {groups}
}}
"#
        )
    };
    tf.write_config(&dj(&format!("include_group_ids = [\"{G2}\"]")));
    let out = tf.plan_detailed().expect_code(2);
    let said = out.diagnostics();
    assert!(
        provider_warnings(&out) == ["A hybrid join profile has no domain join profile"]
            && said.contains(&hybrid)
            && said.contains(G1),
        "the hybrid profile's group without a domain join profile is reported\n{out}"
    );
    tf.write_config(&dj("all_devices = true"));
    let out = tf.plan_detailed().expect_code(2);
    assert_eq!(provider_warnings(&out), Vec::<String>::new(), "{out}");
}

/// Intune refuses a second All devices profile assignment whatever the join types
/// (KelvinTegelaar/CIPP #2803): the plan fails at all_devices and writes nothing.
#[test]
fn a_second_all_devices_profile_is_an_error_at_plan() {
    let lab = Lab::start();
    let hybrid = create_profile(&lab, HYBRID, "Hybrid everywhere", &[]);
    lab.graph_post(
        &format!("{PROFILES}/{hybrid}/assignments"),
        &json!({"@odata.type": ASSIGNMENT, "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}),
    );
    let tf = Terraform::configured(
        &lab,
        &profile_hcl("  join_type = \"entra\"\n  all_devices = true"),
    );
    lab.clear_requests();
    let out = tf.plan().expect_code(1);
    out.assert_contains("Error")
        .assert_contains("all_devices")
        .assert_contains("Another deployment profile is already assigned to all devices");
    assert!(out.diagnostics().contains(&hybrid), "{out}");
    assert_no_writes(&lab, "a plan refused by the All devices lint");
    tf.apply_expect_error();
    assert_no_writes(&lab, "an apply refused at plan");
    assert_eq!(profiles(&lab).len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// Creates a profile with group assignments through Graph; returns its id.
fn create_profile(lab: &Lab, odata_type: &str, name: &str, groups: &[&str]) -> String {
    let id = lab.graph_create(
        PROFILES,
        &json!({"@odata.type": odata_type, "displayName": name}),
    );
    for g in groups {
        lab.graph_post(
            &format!("{PROFILES}/{id}/assignments"),
            &group_assignment(g),
        );
    }
    id
}

/// A profile assignment to `group`, as Graph takes it.
fn group_assignment(group: &str) -> Value {
    json!({"@odata.type": ASSIGNMENT, "target": {"@odata.type": GROUP_TARGET, "groupId": group}})
}

/// Every profile, read through Graph.
fn profiles(lab: &Lab) -> Vec<Value> {
    graph_list(lab, PROFILES)
}
