//! `autopilot_device_preparation_policy` (with `autopilot_group`) against a running lab, through
//! the real `terraform` binary: the GCC High-style quick path, drift, import, plan-time and
//! apply-time refusals. Every test owns its lab and its working directory.

use std::collections::BTreeSet;

use acceptance_tests::checks::{self, RejectedAt, assert_said, state_values};
use acceptance_tests::lifecycle;
use acceptance_tests::resource_hcl;
use acceptance_tests::seeding::{
    PC_SP, TIME_ZONE_SCRIPT, USER_DRIVEN_TEMPLATE, UserDrivenSettings, VPN_APP,
    user_driven_settings,
};
use acceptance_tests::{
    Lab, Method, Request, Terraform, TfOutput, lab_relations, lab_with_settings, put_lab_settings,
    show_requests, write_requests,
};
use acceptance_tests::{
    add_lab_mobile_app, assert_no_writes, collapse_whitespace, prompted_user_code, set, set_attr,
    sign_in_lab_device_code, string_attr,
};
use serde_json::{Value, json};

const POLICY: &str = "autopilot_device_preparation_policy.dp";
const POLICIES: &str = "deviceManagement/configurationPolicies";
/// A seeded app.
const PORTAL_APP: &str = "7ab1ab00-0000-4000-8000-0000000a0004";
/// What a refusal of a device group the Provisioning Client does not own says.
const NOT_OWNED: &[&str] = &[
    "not owned by the Intune Provisioning Client",
    "provisioning_client_owner = true",
];

/// The quick path: the device group owned by the Provisioning Client, the user group, the policy.
const QUICK_PATH: &str = r#"
resource "autopilot_group" "devices" {
  display_name              = "DevicePrep Devices"
  description               = "Devices set up with device preparation"
  provisioning_client_owner = true
}

resource "autopilot_group" "users" {
  display_name = "DevicePrep Users"
  owner_ids    = ["7ab1ab00-0000-4000-8000-0000000b0001"]
}

resource "autopilot_device_preparation_policy" "dp" {
  display_name         = "GCC High device preparation"
  description          = "User-driven, Entra join"
  device_group_id      = autopilot_group.devices.id
  include_group_ids    = [autopilot_group.users.id]
  user_account_type    = "standard"
  timeout_minutes      = 90
  custom_error_message = "Call the help desk at 555-0100."
  allow_skip           = true
  allow_diagnostics    = true
  allowed_app_ids      = ["7ab1ab00-0000-4000-8000-0000000a0001", "7ab1ab00-0000-4000-8000-0000000a0004"]
  allowed_script_ids   = ["7ab1ab00-0000-4000-8000-0000000c0001"]
}
"#;

#[test]
fn gcc_high_quick_path_drift_and_destroy() {
    let lab = lab_with_settings(&json!({"replication_delay_ms": 3000}));
    let mut env = lab.provider_env();
    env.push(("ARM_ENVIRONMENT".into(), "usgovernment".into()));
    let tf = Terraform::with_env(env);
    tf.write_config(QUICK_PATH);
    tf.apply()
        .assert_contains("3 added, 0 changed, 0 destroyed");

    // The new groups were invisible for a while (404s and `securityGroupNotFound`), and the
    // provider rode that out.
    let not_yet: Vec<String> = lab
        .requests()
        .iter()
        .filter(|r| r.status == 404)
        .map(ToString::to_string)
        .collect();
    assert!(
        !not_yet.is_empty(),
        "the replication delay was not in effect"
    );
    let devices = group_id(&tf, "autopilot_group.devices");
    let users = group_id(&tf, "autopilot_group.users");
    let state = state_values(&tf, POLICY);
    let id = string_attr(&state, "id");
    assert_eq!(state["device_group_id"], json!(devices), "{state}");
    assert_eq!(
        set_attr(&state, "include_group_ids"),
        set(&[&users]),
        "{state}"
    );
    assert_eq!(state["deployment_mode"], json!("user_driven"), "{state}");
    assert_eq!(state["join_type"], json!("entra"), "{state}");
    assert_eq!(state["timeout_minutes"], json!(90), "{state}");
    assert!(state["priority"].is_number(), "{state}");
    assert_eq!(
        set_attr(&state, "role_scope_tag_ids"),
        set(&["0"]),
        "{state}"
    );

    // What the tenant holds: the template, every setting, the device group, the assignment.
    let policy = lab.graph_get(&format!("{POLICIES}/{id}"));
    assert_eq!(
        policy["templateReference"]["templateId"],
        json!(USER_DRIVEN_TEMPLATE)
    );
    assert_eq!(policy["settingCount"], json!(11), "{policy}");
    let settings = settings_of(&lab, &id);
    assert_eq!(settings["enrollment_autopilot_dpp_timeout"], json!(90));
    assert_eq!(
        settings["enrollment_autopilot_dpp_accountype"],
        json!("enrollment_autopilot_dpp_accountype_1")
    );
    assert_eq!(
        settings["enrollment_autopilot_dpp_allowskip"],
        json!("enrollment_autopilot_dpp_allowskip_1")
    );
    assert_eq!(
        settings["enrollment_autopilot_dpp_customerrormessage"],
        json!("Call the help desk at 555-0100.")
    );
    assert_eq!(
        settings["enrollment_autopilot_dpp_allowedscriptids"],
        json!([TIME_ZONE_SCRIPT])
    );
    let apps: BTreeSet<String> = settings["enrollment_autopilot_dpp_allowedappids"]
        .as_array()
        .expect("apps")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert_eq!(
        apps,
        set(&[
            &format!(r##"{{"id":"{VPN_APP}","type":"#microsoft.graph.win32LobApp"}}"##),
            &format!(r##"{{"id":"{PORTAL_APP}","type":"#microsoft.graph.winGetApp"}}"##),
        ])
    );
    assert_eq!(
        target_of(&lab, &id),
        json!([{"targetId": devices, "targetType": "staticSecurityGroup"}])
    );
    let assigned = lab.graph_get(&format!("{POLICIES}/{id}/assignments"));
    assert_eq!(
        assigned["value"][0]["target"]["groupId"],
        json!(users),
        "{assigned}"
    );
    assert_eq!(
        assigned["value"].as_array().map(Vec::len),
        Some(1),
        "{assigned}"
    );

    // The second plan is empty and changes nothing.
    lab.clear_requests();
    tf.assert_no_changes();
    assert_no_changes_written(&lab, "the second plan");

    // The Provisioning Client removed as owner in the portal: detected (with a warning from the
    // policy) and repaired.
    lab.graph_delete(&format!("groups/{devices}/owners/{PC_SP}/$ref"));
    let plan = tf.plan_detailed().expect_code(2);
    plan.assert_contains("provisioning_client_owner")
        .assert_contains("Plan: 0 to add, 1 to change, 0 to destroy");
    assert!(
        plan.diagnostics()
            .contains("not owned by the Intune Provisioning Client"),
        "the policy's refresh should warn about its device group\n{plan}"
    );
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    assert!(owners(&lab, &devices).contains(PC_SP));
    tf.assert_no_changes();

    // A setting changed in the portal: detected and put back.
    put_policy_with(&lab, &id, |instance| {
        if instance["settingDefinitionId"] == json!("enrollment_autopilot_dpp_timeout") {
            instance["simpleSettingValue"]["value"] = json!(45);
        }
    });
    let plan = tf.plan_detailed().expect_code(2);
    plan.assert_contains("timeout_minutes")
        .assert_contains("45 -> 90")
        .assert_not_contains("must be replaced");
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    assert_eq!(
        settings_of(&lab, &id)["enrollment_autopilot_dpp_timeout"],
        json!(90)
    );
    assert_eq!(
        string_attr(&state_values(&tf, POLICY), "id"),
        id,
        "updated in place"
    );
    tf.assert_no_changes();

    // The device group swapped in the portal: drift of device_group_id.
    put_lab_settings(&lab, &json!({"replication_delay_ms": 0}));
    let other = make_group(&lab, "Other devices", true, None);
    let answer = lab.graph_post(
        &format!("{POLICIES}/{id}/setEnrollmentTimeDeviceMembershipTarget"),
        &json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": other}]}),
    );
    assert_eq!(answer["validationSucceeded"], json!(true), "{answer}");
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("device_group_id")
        .assert_contains(&other);
    tf.apply();
    assert_eq!(target_of(&lab, &id)[0]["targetId"], json!(devices));
    tf.assert_no_changes();

    tf.destroy().assert_contains("3 destroyed");
    assert!(lab.objects("configurationPolicies").is_empty());
    assert!(lab.objects("configurationPolicyAssignments").is_empty());
    let groups: Vec<Value> = lab
        .objects("groups")
        .into_iter()
        .filter(|g| g["id"] != json!(other))
        .collect();
    assert!(groups.is_empty(), "groups left: {groups:#?}");
    assert!(tf.state_addresses().is_empty());
}

#[test]
fn device_group_without_the_owner_fails_the_apply_and_leaves_no_policy() {
    let lab = lab_with_settings(&json!({"replication_delay_ms": 2000}));
    let users = make_group(&lab, "DevicePrep Users", false, None);
    let tf = Terraform::new(&lab);
    let config = |owner: bool| {
        format!(
            r#"
resource "autopilot_group" "devices" {{
  display_name              = "DevicePrep Devices"
  provisioning_client_owner = {owner}
}}

resource "autopilot_device_preparation_policy" "dp" {{
  display_name      = "Device preparation"
  device_group_id   = autopilot_group.devices.id
  include_group_ids = ["{users}"]
}}
"#
        )
    };
    tf.write_config(&config(false));
    let out = tf.try_apply().expect_failure();
    // The apply says what to do.
    assert_said(&out, NOT_OWNED);
    assert!(
        lab.objects("configurationPolicies").is_empty(),
        "a refused policy was left behind: {:#?}",
        lab.objects("configurationPolicies")
    );
    assert_eq!(tf.state_addresses(), ["autopilot_group.devices"]);

    // The group is in state now, so the plan checks it as it is (not yet owned) and says how to
    // proceed: fix the group first.
    tf.write_config(&config(true));
    let out = tf.plan().expect_code(1);
    assert!(out.diagnostics().contains("-target"), "{out}");
    tf.run(&[
        "apply",
        "-no-color",
        "-input=false",
        "-auto-approve",
        "-target=autopilot_group.devices",
    ])
    .success();
    tf.apply()
        .assert_contains("1 added, 0 changed, 0 destroyed");
    assert_eq!(lab.objects("configurationPolicies").len(), 1);
    tf.assert_no_changes();

    // No apps and no scripts chosen: both settings are left out, as the admin center does,
    // rather than sent as empty collections; they read back as unset, without a diff.
    let id = string_attr(&state_values(&tf, POLICY), "id");
    let settings = settings_of(&lab, &id);
    for setting in [
        "enrollment_autopilot_dpp_allowedappids",
        "enrollment_autopilot_dpp_allowedscriptids",
    ] {
        assert!(
            settings.get(setting).is_none(),
            "{setting} sent: {settings}"
        );
    }
    let policy = lab.graph_get(&format!("{POLICIES}/{id}"));
    assert_eq!(policy["settingCount"], json!(9), "{policy}");
    let state = state_values(&tf, POLICY);
    assert_eq!(state["allowed_app_ids"], Value::Null, "{state}");
    assert_eq!(state["allowed_script_ids"], Value::Null, "{state}");
}

#[test]
fn import_of_a_policy_and_a_group_made_outside_terraform() {
    let lab = Lab::start();
    let devices = make_group(&lab, "Portal devices", true, None);
    let users = make_group(&lab, "Portal users", false, None);
    let policy = lab.graph_post(
        POLICIES,
        &json!({
            "name": "Made in the portal",
            "description": "",
            "platforms": "windows10",
            "technologies": "enrollment",
            "roleScopeTagIds": ["0"],
            "templateReference": {"templateId": USER_DRIVEN_TEMPLATE},
            "settings": user_driven_settings(&UserDrivenSettings {
                administrator: false,
                timeout_minutes: 60,
                error_message: "Contact your organization\u{2019}s support person for help.",
                allow_skip: false,
                script_ids: &[],
            }),
        }),
    );
    let id = policy["id"].as_str().expect("an id").to_string();
    let answer = lab.graph_post(
        &format!("{POLICIES}/{id}/setEnrollmentTimeDeviceMembershipTarget"),
        &json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": devices}]}),
    );
    assert_eq!(answer["validationSucceeded"], json!(true), "{answer}");
    lab.graph_post(
        &format!("{POLICIES}/{id}/assign"),
        &json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": users}}]}),
    );

    let tf = Terraform::configured(
        &lab,
        &format!(
            r#"
resource "autopilot_group" "devices" {{
  display_name              = "Portal devices"
  mail_nickname             = "Portal-devices"
  provisioning_client_owner = true
}}

resource "autopilot_device_preparation_policy" "dp" {{
  display_name       = "Made in the portal"
  device_group_id    = autopilot_group.devices.id
  include_group_ids  = ["{users}"]
  user_account_type  = "administrator"
  timeout_minutes    = 60
  allowed_app_ids    = ["{VPN_APP}"]
}}
"#
        ),
    );
    lab.clear_requests();
    tf.import("autopilot_group.devices", &devices)
        .success()
        .assert_contains("Import successful");
    tf.import(POLICY, &id)
        .success()
        .assert_contains("Import successful");
    let state = state_values(&tf, POLICY);
    assert_eq!(state["device_group_id"], json!(devices), "{state}");
    assert_eq!(
        state["user_account_type"],
        json!("administrator"),
        "{state}"
    );
    assert_eq!(
        set_attr(&state, "allowed_app_ids"),
        set(&[VPN_APP]),
        "{state}"
    );
    tf.assert_no_changes();
    assert_no_changes_written(&lab, "imports followed by a plan");

    let out = tf.import(
        "autopilot_device_preparation_policy.other",
        "00000000-0000-4000-8000-000000000000",
    );
    out.expect_failure();
}

#[test]
fn automatic_mode_policy() {
    let lab = Lab::start();
    let devices = make_group(&lab, "Cloud PCs", true, None);
    let automatic = format!(
        "deployment_mode    = \"automatic\"
  allowed_app_ids    = [\"{PORTAL_APP}\"]
  allowed_script_ids = [\"{TIME_ZONE_SCRIPT}\"]"
    );
    let tf = Terraform::configured(&lab, &policy_hcl(&devices, &automatic));
    tf.apply();
    let state = state_values(&tf, POLICY);
    for name in [
        "join_type",
        "timeout_minutes",
        "user_account_type",
        "allow_skip",
    ] {
        assert_eq!(state[name], Value::Null, "{name}: {state}");
    }
    let id = string_attr(&state, "id");
    let policy = lab.graph_get(&format!("{POLICIES}/{id}"));
    assert_eq!(policy["settingCount"], json!(2), "{policy}");
    tf.assert_no_changes();
    tf.destroy();
    assert!(lab.objects("configurationPolicies").is_empty());
}

/// `all_users`: the policy assigned to all licensed users beside a group, read back without a
/// diff, the all-users target removed outside Terraform and put back, dropped in place, imported.
#[test]
fn assigned_to_all_licensed_users() {
    let lab = Lab::start();
    let devices = make_group(&lab, "Devices", true, None);
    let users = make_group(&lab, "Pilot users", false, None);
    let hcl = |all_users: &str| {
        policy_hcl(
            &devices,
            &format!("include_group_ids = [\"{users}\"]\n  {all_users}"),
        )
    };
    let tf = Terraform::configured(&lab, &hcl("all_users = true"));
    tf.apply();
    let state = state_values(&tf, POLICY);
    assert_eq!(state["all_users"], json!(true), "{state}");
    let id = string_attr(&state, "id");
    let assignments = format!("{POLICIES}/{id}/assignments");
    let everyone = BTreeSet::from(["all users".to_string(), format!("include {users}")]);
    assert_eq!(checks::assignment_targets(&lab, &assignments), everyone);
    lab.clear_requests();
    tf.assert_no_changes();
    assert_no_changes_written(&lab, "a plan with no changes");

    // The admin center's "Remove" on All users: the plan shows it, the apply puts it back.
    lab.graph_post(
        &format!("{POLICIES}/{id}/assign"),
        &json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": users}}]}),
    );
    lab.clear_requests();
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("will be updated in-place")
        .assert_contains("all_users");
    assert_no_changes_written(&lab, "a plan showing drift");
    tf.apply();
    assert_eq!(checks::assignment_targets(&lab, &assignments), everyone);
    tf.assert_no_changes();

    // Left out, `all_users` is false: only the group stays, in place.
    lifecycle::plan_update_in_place(&tf, &hcl(""));
    lifecycle::apply_update(&tf);
    assert_eq!(
        checks::assignment_targets(&lab, &assignments),
        BTreeSet::from([format!("include {users}")])
    );
    tf.assert_no_changes();

    // All users alone (no group, no "assigned to no users" warning), then imported elsewhere.
    let alone = policy_hcl(&devices, "all_users = true");
    tf.write_config(&alone);
    let out = tf.apply();
    assert!(
        acceptance_tests::provider_warnings(&out).is_empty(),
        "{out}"
    );
    assert_eq!(
        checks::assignment_targets(&lab, &assignments),
        BTreeSet::from(["all users".to_string()])
    );
    let imported = Terraform::configured(&lab, &alone);
    lab.clear_requests();
    imported
        .import(POLICY, &id)
        .success()
        .assert_contains("Import successful");
    let values = state_values(&imported, POLICY);
    assert_eq!(values["all_users"], json!(true), "{values}");
    assert_eq!(values["include_group_ids"], Value::Null, "{values}");
    imported.assert_no_changes();
    assert_no_changes_written(&lab, "an import followed by a plan");
}

#[test]
fn all_users_in_automatic_mode_is_refused() {
    assert_refused_in_automatic_mode("all_users       = true", "all_users");
}

#[test]
fn classic_profile_on_the_same_users_is_a_warning() {
    let lab = Lab::start();
    let devices = make_group(&lab, "DevicePrep Devices", true, None);
    let users = make_group(&lab, "Mixed users", false, None);
    let profile = lab.graph_post(
        "deviceManagement/windowsAutopilotDeploymentProfiles",
        &json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "Classic AP"}),
    );
    let profile_id = profile["id"].as_str().expect("an id").to_string();
    lab.graph_post(
        &format!("deviceManagement/windowsAutopilotDeploymentProfiles/{profile_id}/assignments"),
        &json!({"@odata.type": "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment",
                "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": users}}),
    );
    let config = policy_hcl(&devices, &format!("include_group_ids = [\"{users}\"]"));
    let tf = Terraform::configured(&lab, &config);
    let plan = tf.plan_detailed().expect_code(2);
    assert_said(
        &plan,
        &[
            "A classic Autopilot profile targets the same population",
            "Classic AP",
        ],
    );
}

/// Intune refuses the device group until the Provisioning Client's ownership of the new group has
/// replicated to it: the create retries that refusal and converges in one apply.
#[test]
fn device_group_refused_until_its_owner_replicates() {
    let lab = lab_with_settings(&json!({"owner_replication_delay_ms": 4000}));
    let tf = Terraform::configured(
        &lab,
        r#"
resource "autopilot_group" "devices" {
  display_name              = "DevicePrep Devices"
  provisioning_client_owner = true
}

resource "autopilot_device_preparation_policy" "dp" {
  display_name    = "Device preparation"
  device_group_id = autopilot_group.devices.id
}
"#,
    );
    tf.apply()
        .assert_contains("2 added, 0 changed, 0 destroyed");
    let sets = lab
        .requests_matching(|r| r.path.ends_with("/setEnrollmentTimeDeviceMembershipTarget"))
        .len();
    assert!(sets >= 2, "the refusal was not retried ({sets} attempts)");
    let deletes: Vec<Request> = write_requests(&lab)
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert!(deletes.is_empty(), "{}", show_requests(&deletes));
    let id = string_attr(&state_values(&tf, POLICY), "id");
    let devices = group_id(&tf, "autopilot_group.devices");
    assert_eq!(target_of(&lab, &id)[0]["targetId"], json!(devices));
    tf.assert_no_changes();
}

/// Intune answers 500 to `setEnrollmentTimeDeviceMembershipTarget` for application tokens: the
/// policy is kept (no delete, no blind retry) with a diagnostic saying the ways through; a device
/// group set in the admin center is then read back without a diff; and a device code sign-in (a
/// delegated token) sets it.
#[test]
fn app_only_refusal_of_the_device_group_and_the_ways_through() {
    let lab = Lab::start();
    let devices = make_group(&lab, "Devices", true, None);
    put_lab_settings(
        &lab,
        &json!({"enrollment_time_target_app_token_fails": true}),
    );
    let config = policy_hcl(&devices, "");
    let tf = Terraform::configured(&lab, &config);
    lab.clear_requests();
    let out = tf.apply();
    let said = collapse_whitespace(&out.diagnostics());
    for words in [
        "application credentials",
        "use_device_code = true",
        "Intune admin center",
        "without a diff",
    ] {
        assert!(
            said.contains(words),
            "should say {words:?}
{out}"
        );
    }
    let sets = lab
        .requests_matching(|r| r.path.ends_with("/setEnrollmentTimeDeviceMembershipTarget"))
        .len();
    assert_eq!(sets, 1, "a 500 that comes back every time is not retried");
    assert!(
        !write_requests(&lab).iter().any(|r| r.method == "DELETE"),
        "the policy was deleted"
    );
    let id = string_attr(&state_values(&tf, POLICY), "id");
    assert_eq!(lab.objects("configurationPolicies").len(), 1);
    // Until the group is set, the plan shows it as a change.
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("device_group_id");

    // Set in the admin center (a user's session): read back, no diff.
    put_lab_settings(
        &lab,
        &json!({"enrollment_time_target_app_token_fails": false}),
    );
    let answer = lab.graph_post(
        &format!("{POLICIES}/{id}/setEnrollmentTimeDeviceMembershipTarget"),
        &json!({"enrollmentTimeDeviceMembershipTargets": [{"targetType": "staticSecurityGroup", "targetId": devices}]}),
    );
    assert_eq!(answer["validationSucceeded"], json!(true), "{answer}");
    put_lab_settings(
        &lab,
        &json!({"enrollment_time_target_app_token_fails": true}),
    );
    tf.assert_no_changes();

    // A delegated sign-in sets it: first run prompts, the user signs in, the second run works.
    let cache = tf.dir().join("token-cache.json");
    let delegated: Vec<(String, String)> = lab
        .provider_env()
        .into_iter()
        .filter(|(k, _)| k != "ARM_CLIENT_SECRET")
        .chain([
            ("ARM_USE_DEVICE_CODE".to_string(), "true".to_string()),
            (
                "AUTOPILOT_TOKEN_CACHE_PATH".to_string(),
                cache.to_string_lossy().into_owned(),
            ),
        ])
        .collect();
    let user = Terraform::with_env(delegated);
    user.write_config(&config.replace("Device preparation", "Signed-in preparation"));
    let prompt = user.plan().expect_code(1);
    let code = prompted_user_code(&prompt.diagnostics()).unwrap_or_else(|| {
        panic!(
            "no user code in the prompt
{prompt}"
        )
    });
    sign_in_lab_device_code(&lab, &code, "adele.vance@autopilotlab.onmicrosoft.com");
    let signed_in = string_attr(&lifecycle::apply_adding(&user, 1, POLICY), "id");
    assert_eq!(target_of(&lab, &signed_in)[0]["targetId"], json!(devices));
    user.assert_no_changes();
}

// ---------------------------------------------------------------------------------------------
// Bad inputs: refused by `terraform plan`, naming the attribute, before any write.

#[test]
fn twenty_six_apps_are_refused() {
    let apps: Vec<String> = (1..=26)
        .map(|n| format!("\"7ab1ab00-0000-4000-8000-0000000a{n:04}\""))
        .collect();
    assert_rejected_at_plan(
        &format!("allowed_app_ids = [{}]", apps.join(", ")),
        "allowed_app_ids",
        &["At most 25"],
    );
}

/// Intune allows 25 apps since January 2026: a policy with 25 applies, reads back without a
/// diff, and the tenant holds all 25.
#[test]
fn twenty_five_apps_are_accepted() {
    let lab = Lab::start();
    let devices = make_group(&lab, "Devices", true, None);
    let apps: Vec<String> = (1..=25)
        .map(|n| add_lab_mobile_app(&lab, "#microsoft.graph.win32LobApp", &format!("App {n}")))
        .collect();
    let quoted: Vec<String> = apps.iter().map(|a| format!("\"{a}\"")).collect();
    let tf = Terraform::configured(
        &lab,
        &policy_hcl(
            &devices,
            &format!("allowed_app_ids = [{}]", quoted.join(", ")),
        ),
    );
    tf.apply().assert_contains("1 added");
    assert_eq!(
        tf.plan_detailed_exitcode(),
        0,
        "the second plan is not empty"
    );
    let id = string_attr(&state_values(&tf, POLICY), "id");
    let stored = settings_of(&lab, &id)["enrollment_autopilot_dpp_allowedappids"]
        .as_array()
        .map(Vec::len);
    assert_eq!(stored, Some(25));
}

#[test]
fn timeout_of_5_minutes_is_refused() {
    assert_rejected_at_plan("timeout_minutes = 5", "timeout_minutes", &["15 to 720"]);
}

#[test]
fn dynamic_device_group_is_refused() {
    let out = plan_with_refused_device_group(
        "Dynamic devices",
        true,
        Some(r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#),
        &["dynamic", "static"],
    );
    assert!(out.text().contains("device_group_id"), "{out}");
}

#[test]
fn device_group_not_owned_by_the_provisioning_client_is_refused() {
    plan_with_refused_device_group("Plain devices", false, None, NOT_OWNED);
}

/// Plans a policy whose device group is made by [`make_group`] with `name`, `owned` and `rule`;
/// asserts that the plan is refused with diagnostics saying each of `said`, without a write.
/// Returns the plan's output.
#[track_caller]
fn plan_with_refused_device_group(
    name: &str,
    owned: bool,
    rule: Option<&str>,
    said: &[&str],
) -> TfOutput {
    let lab = Lab::start();
    let group = make_group(&lab, name, owned, rule);
    let tf = Terraform::configured(&lab, &policy_hcl(&group, ""));
    lab.clear_requests();
    let out = tf.plan().expect_code(1);
    assert_said(&out, said);
    assert_no_writes(&lab, "a refused plan");
    out
}

#[test]
fn user_driven_attributes_in_automatic_mode_are_refused() {
    assert_refused_in_automatic_mode("allow_skip      = true", "allow_skip");
}

/// An automatic policy with `setting`, a user-driven-only attribute, is refused at plan naming
/// `attribute`.
#[track_caller]
fn assert_refused_in_automatic_mode(setting: &str, attribute: &str) {
    assert_rejected_at_plan(
        &format!("deployment_mode = \"automatic\"\n  {setting}"),
        attribute,
        &["only for user-driven"],
    );
}

/// Plans the policy of [`policy_hcl`] with `extra` lines against a lab holding a valid device
/// group and asserts that the plan fails naming `attribute` and saying each of `words`, with no
/// write.
#[track_caller]
fn assert_rejected_at_plan(extra: &str, attribute: &str, words: &[&str]) {
    let lab = Lab::start();
    let devices = make_group(&lab, "Devices", true, None);
    let groups: Vec<[&str; 1]> = words.iter().map(|w| [*w]).collect();
    let rule_words: Vec<&[&str]> = groups.iter().map(|g| &g[..]).collect();
    let rejected = RejectedAt {
        attributes: &[attribute],
        rule_words: &rule_words,
    };
    checks::assert_rejected_at_plan(&lab, &policy_hcl(&devices, extra), rejected);
    assert!(lab.objects("configurationPolicies").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// Creates a security group in the lab through Graph; `owned` makes the Provisioning Client an
/// owner, `rule` makes it dynamic. Returns its id.
/// Without Application.Read.All (or Directory.Read.All), Graph lists the Intune Provisioning
/// Client among the group's owners as a limited object without its `appId`: the plan cannot tell
/// who owns the device group, so it warns and goes on instead of refusing a group that is right.
/// With Application.Read.All it checks quietly.
#[test]
fn without_application_read_the_owner_check_warns_instead_of_failing() {
    let config = |devices: &str, users: &str| {
        policy_hcl(devices, &format!("include_group_ids = [\"{users}\"]"))
    };
    let roles = "DeviceManagementConfiguration.ReadWrite.All,DeviceManagementApps.Read.All,Group.ReadWrite.All";
    let lab = Lab::start_with_args(&["--roles", roles]);
    let owned = make_group(&lab, "Owned devices", true, None);
    let users = make_group(&lab, "Device preparation users", false, None);
    let tf = Terraform::configured(&lab, &config(&owned, &users));
    let out = tf.plan_detailed().expect_code(2);
    assert_said(
        &out,
        &[
            "Cannot check the device group's owner",
            "Application.Read.All",
        ],
    );
    out.assert_not_contains("not owned by the Intune Provisioning Client");

    let lab = Lab::start_with_args(&["--roles", &format!("{roles},Application.Read.All")]);
    let owned = make_group(&lab, "Owned devices", true, None);
    let users = make_group(&lab, "Device preparation users", false, None);
    let tf = Terraform::configured(&lab, &config(&owned, &users));
    let out = tf.plan_detailed().expect_code(2);
    out.assert_not_contains("Cannot check the device group's owner");
}

/// The warning about a policy without users is said once per plan, not once per validation.
#[test]
fn the_no_users_warning_is_said_once() {
    let lab = Lab::start();
    let owned = make_group(&lab, "Owned devices", true, None);
    let tf = Terraform::configured(&lab, &policy_hcl(&owned, ""));
    let out = tf.plan_detailed().expect_code(2);
    assert_eq!(
        out.text()
            .matches("The policy is assigned to no users")
            .count(),
        1,
        "{out}"
    );
}

/// The policy `dp` with its device group `devices` and `extra` HCL lines.
fn policy_hcl(devices: &str, extra: &str) -> String {
    let lines = format!("  device_group_id = \"{devices}\"\n  {extra}");
    resource_hcl(POLICY, "Device preparation", &lines)
}

fn make_group(lab: &Lab, name: &str, owned: bool, rule: Option<&str>) -> String {
    let mut body = json!({
        "displayName": name,
        "mailEnabled": false,
        "mailNickname": name.replace(' ', "-"),
        "securityEnabled": true,
        "groupTypes": [],
    });
    if let Some(rule) = rule {
        body["groupTypes"] = json!(["DynamicMembership"]);
        body["membershipRule"] = json!(rule);
    }
    let id = lab.graph_post("groups", &body)["id"]
        .as_str()
        .expect("a group id")
        .to_string();
    if owned {
        lab.graph_post(
            &format!("groups/{id}/owners/$ref"),
            &json!({"@odata.id": format!("{}/v1.0/directoryObjects/{PC_SP}", lab.info().graph_url)}),
        );
    }
    id
}

/// Replaces the policy through Graph (as the portal does) after `edit` changed its setting
/// instances.
fn put_policy_with(lab: &Lab, id: &str, edit: impl Fn(&mut Value)) {
    let policy = lab.graph_get(&format!("{POLICIES}/{id}?$expand=settings"));
    let settings: Vec<Value> = policy["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .map(|s| {
            let mut instance = s["settingInstance"].clone();
            edit(&mut instance);
            json!({"settingInstance": instance})
        })
        .collect();
    let body = json!({
        "name": policy["name"],
        "description": policy["description"],
        "platforms": policy["platforms"],
        "technologies": policy["technologies"],
        "roleScopeTagIds": policy["roleScopeTagIds"],
        "templateReference": {"templateId": policy["templateReference"]["templateId"]},
        "settings": settings,
    });
    let answer = lab.graph(Method::PUT, &format!("{POLICIES}/{id}"), Some(&body));
    assert!(
        (200..300).contains(&answer.status),
        "PUT -> {}: {}",
        answer.status,
        answer.body
    );
}

/// The policy's settings as `definition id -> value` (a choice value, a simple value, or the
/// list of a collection).
fn settings_of(lab: &Lab, id: &str) -> Value {
    let listed = lab.graph_get(&format!("{POLICIES}/{id}/settings"));
    let mut out = serde_json::Map::new();
    for s in listed["value"].as_array().expect("value") {
        let i = &s["settingInstance"];
        let key = i["settingDefinitionId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let value = if let Some(v) = i["choiceSettingValue"].get("value") {
            v.clone()
        } else if let Some(v) = i["simpleSettingValue"].get("value") {
            v.clone()
        } else {
            Value::Array(
                i["simpleSettingCollectionValue"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| v["value"].clone())
                    .collect(),
            )
        };
        out.insert(key, value);
    }
    Value::Object(out)
}

/// The stored enrollment-time targets of a policy (lab relations).
fn target_of(lab: &Lab, id: &str) -> Value {
    lab_relations(lab)["enrollmentTimeTargets"][id].clone()
}

fn owners(lab: &Lab, group: &str) -> BTreeSet<String> {
    lab_relations(lab)["groupOwners"][group]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

#[track_caller]
fn group_id(tf: &Terraform, addr: &str) -> String {
    string_attr(&state_values(tf, addr), "id")
}

/// Reading a policy's device group is an action (POST `retrieveEnrollmentTimeDeviceMembershipTarget`)
/// that changes nothing; every other POST, PUT, PATCH or DELETE does.
fn is_change(r: &Request) -> bool {
    !r.path
        .ends_with("/retrieveEnrollmentTimeDeviceMembershipTarget")
}

#[track_caller]
fn assert_no_changes_written(lab: &Lab, during: &str) {
    let writes: Vec<Request> = write_requests(lab).into_iter().filter(is_change).collect();
    assert!(
        writes.is_empty(),
        "{during} wrote to Graph:\n{}",
        show_requests(&writes)
    );
}
