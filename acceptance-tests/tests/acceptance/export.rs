//! `terraform-provider-autopilot export` against a running lab: a tenant built through Graph
//! (outside Terraform) is exported, imported with the written `import.sh` by the real `terraform`,
//! and the next plan shows no changes. Also `--only`, `--filter`, `--import-blocks` and the
//! errors. Every test owns its lab and its directories.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use acceptance_tests::checks::assert_text_contains;
use acceptance_tests::devices::{hardware_hash, register};
use acceptance_tests::paths::{provider_bin, terraform_bin};
use acceptance_tests::process::{Captured, run_captured};
use acceptance_tests::seeding::{
    ADELE, PC_SP, TIME_ZONE_SCRIPT, USER_DRIVEN_TEMPLATE, UserDrivenSettings, user_driven_settings,
};
use acceptance_tests::values::assert_none_written;
use acceptance_tests::{Lab, Terraform, string_attr, write_requests};
use serde_json::{Value, json};

const TAG_RULE: &str = r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#;
const ALL_RULE: &str = r#"(device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]"))"#;
const ORDER_RULE: &str = r#"(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:42"))"#;
/// A display name that HCL would evaluate if the export did not escape it.
const PREP_GROUP_NAME: &str = "Device Prep ${var.x} \"Paris\"";
const TIMEOUT: Duration = Duration::from_secs(300);

/// The ids of what [`seed`] created.
pub(crate) struct Tenant {
    pub(crate) prep_group: String,
    pub(crate) users_group: String,
    pub(crate) sales_group: String,
    pub(crate) all_group: String,
    pub(crate) order_group: String,
    pub(crate) finance_group: String,
    pub(crate) m365_group: String,
    pub(crate) entra_profile: String,
    pub(crate) hybrid_profile: String,
    pub(crate) domain_join: String,
    pub(crate) esp: String,
    pub(crate) policy: String,
    pub(crate) devices: Vec<(String, String)>,
}

fn group(lab: &Lab, name: &str, nickname: &str, rule: Option<&str>) -> String {
    let mut body = json!({
        "displayName": name,
        "mailNickname": nickname,
        "mailEnabled": false,
        "securityEnabled": true,
        "groupTypes": [],
    });
    if let Some(rule) = rule {
        body["groupTypes"] = json!(["DynamicMembership"]);
        body["membershipRule"] = json!(rule);
        body["membershipRuleProcessingState"] = json!("On");
    }
    lab.graph_create("groups", &body)
}

fn target(kind: &str, group: Option<&str>) -> Value {
    let mut target = json!({"@odata.type": format!("#microsoft.graph.{kind}")});
    if let Some(group) = group {
        target["groupId"] = json!(group);
    }
    json!({ "target": target })
}

/// Builds a tenant through Graph, as an administrator in the portal would: Autopilot groups
/// (static, owned by the Provisioning Client, dynamic by tag and for all devices), groups that
/// are not Autopilot's, both profile kinds, a domain join profile, a custom ESP, a device
/// preparation policy and two devices (also the tenant `list_resources` queries).
pub(crate) fn seed(lab: &Lab) -> Tenant {
    let prep_group = group(lab, PREP_GROUP_NAME, "device-prep", None);
    lab.graph_post(
        &format!("groups/{prep_group}/owners/$ref"),
        &json!({"@odata.id": format!("{}/v1.0/directoryObjects/{PC_SP}", lab.info().graph_url)}),
    );
    let users_group = group(lab, "Autopilot Users", "autopilot-users", None);
    lab.graph_post(
        &format!("groups/{users_group}/owners/$ref"),
        &json!({"@odata.id": format!("{}/v1.0/directoryObjects/{ADELE}", lab.info().graph_url)}),
    );
    let sales_group = group(lab, "Sales Devices", "sales-devices", Some(TAG_RULE));
    let all_group = group(
        lab,
        "All Autopilot Devices",
        "all-autopilot",
        Some(ALL_RULE),
    );
    let order_group = group(lab, "Purchase Order 42", "order-42", Some(ORDER_RULE));
    let finance_group = group(lab, "Finance Team", "finance", None);
    let m365_group = lab.graph_create(
        "groups",
        &json!({
            "displayName": "Contoso Everyone",
            "mailNickname": "everyone",
            "mailEnabled": true,
            "securityEnabled": false,
            "groupTypes": ["Unified"],
        }),
    );

    let profiles = "deviceManagement/windowsAutopilotDeploymentProfiles";
    let entra_profile = lab.graph_create(
        profiles,
        &json!({
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "displayName": "Entra Sales",
            "description": "Sales laptops\nsecond line",
            "deviceNameTemplate": "SALES-%RAND:5%",
            "locale": "en-US",
            "outOfBoxExperienceSetting": {
                "deviceUsageType": "singleUser",
                "privacySettingsHidden": true,
                "eulaHidden": true,
                "escapeLinkHidden": true,
                "keyboardSelectionPageSkipped": true,
                "userType": "standard",
            },
        }),
    );
    for t in [
        target("groupAssignmentTarget", Some(&sales_group)),
        target("exclusionGroupAssignmentTarget", Some(&m365_group)),
    ] {
        lab.graph_post(&format!("{profiles}/{entra_profile}/assignments"), &t);
    }
    let hybrid_profile = lab.graph_create(
        profiles,
        &json!({
            "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
            "displayName": "Hybrid Everyone",
            "hybridAzureADJoinSkipConnectivityCheck": true,
        }),
    );
    lab.graph_post(
        &format!("{profiles}/{hybrid_profile}/assignments"),
        &target("groupAssignmentTarget", Some(&all_group)),
    );

    let configurations = "deviceManagement/deviceConfigurations";
    let domain_join = lab.graph_create(
        configurations,
        &json!({
            "@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration",
            "displayName": "Contoso Domain Join",
            "activeDirectoryDomainName": "contoso.com",
            "organizationalUnit": "OU=Autopilot,DC=contoso,DC=com",
            "computerNameStaticPrefix": "CTS-",
            "computerNameSuffixRandomCharCount": 8,
        }),
    );
    lab.graph_post(
        &format!("{configurations}/{domain_join}/assign"),
        &json!({"assignments": [target("groupAssignmentTarget", Some(&all_group))]}),
    );

    let enrollment = "deviceManagement/deviceEnrollmentConfigurations";
    let esp = lab.graph_create(
        enrollment,
        &json!({
            "@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
            "displayName": "Sales ESP",
            "showInstallationProgress": true,
            "installProgressTimeoutInMinutes": 90,
            "customErrorMessage": "Call the helpdesk at 555-0100.",
            "allowLogCollectionOnInstallFailure": true,
        }),
    );
    lab.graph_post(
        &format!("{enrollment}/{esp}/assign"),
        &json!({"enrollmentConfigurationAssignments": [
            target("groupAssignmentTarget", Some(&sales_group)),
            target("allLicensedUsersAssignmentTarget", None),
        ]}),
    );

    let policies = "deviceManagement/configurationPolicies";
    let policy = lab.graph_create(
        policies,
        &json!({
            "name": "Device Prep Sales",
            "description": "",
            "platforms": "windows10",
            "technologies": "enrollment",
            "templateReference": {"templateId": USER_DRIVEN_TEMPLATE},
            "settings": user_driven_settings(&UserDrivenSettings {
                administrator: true,
                timeout_minutes: 90,
                error_message: "Call the helpdesk: 100% of \"errors\" go to %{team}.",
                allow_skip: true,
                script_ids: &[TIME_ZONE_SCRIPT],
            }),
        }),
    );
    let verdict = lab.graph_post(
        &format!("{policies}/{policy}/setEnrollmentTimeDeviceMembershipTarget"),
        &json!({"enrollmentTimeDeviceMembershipTargets": [
            {"targetType": "staticSecurityGroup", "targetId": prep_group}
        ]}),
    );
    assert_eq!(verdict["validationSucceeded"], json!(true), "{verdict}");
    lab.graph_post(
        &format!("{policies}/{policy}/assign"),
        &json!({"assignments": [target("groupAssignmentTarget", Some(&users_group))]}),
    );

    let devices = [("5CG1234ABC", "Sales"), ("PF-77 X", "")]
        .iter()
        .enumerate()
        .map(|(i, (serial, tag))| {
            let device = register(lab, serial, &hardware_hash(i as u64 + 1, 64), tag);
            (serial.to_string(), string_attr(&device, "id"))
        })
        .collect();

    Tenant {
        prep_group,
        users_group,
        sales_group,
        all_group,
        order_group,
        finance_group,
        m365_group,
        entra_profile,
        hybrid_profile,
        domain_join,
        esp,
        policy,
        devices,
    }
}

/// Runs `terraform-provider-autopilot <args>` with the lab's credentials in the environment (and
/// none from the caller's).
fn provider_cli(env: &[(String, String)], args: &[&str]) -> Captured {
    let mut cmd = Command::new(provider_bin());
    cmd.args(args);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("ARM_") || key.starts_with("AUTOPILOT_") || key.starts_with("TF_LOG") {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    run_captured(&mut cmd, TIMEOUT).expect("run the provider binary")
}

pub(crate) fn export(lab: &Lab, out: &Path, extra: &[&str]) -> Captured {
    let out = out.to_string_lossy();
    let mut args = vec!["export", "--out", out.as_ref()];
    args.extend_from_slice(extra);
    provider_cli(&lab.provider_env(), &args)
}

#[track_caller]
pub(crate) fn succeeded(run: Captured) -> Captured {
    assert!(
        run.code == 0 && !run.timed_out,
        "export failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
    run
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("cannot read {file} in {}: {e}", dir.display()))
}

fn files_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("list the output directory")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

fn names(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Runs the written `import.sh` with the working directory's environment and
/// `TERRAFORM` naming the terraform binary under test.
fn run_import_script(tf: &Terraform) -> Captured {
    let template = tf.command(&[]);
    let mut script = Command::new("sh");
    script.arg("./import.sh").current_dir(tf.dir());
    for (key, value) in template.get_envs() {
        match value {
            Some(value) => script.env(key, value),
            None => script.env_remove(key),
        };
    }
    script.env("TERRAFORM", terraform_bin());
    run_captured(&mut script, TIMEOUT).expect("run import.sh")
}

/// Fails if the lab's log holds a write besides the policy's enrollment-time target query (a
/// POST that only reads); `during` names what ran.
#[track_caller]
pub(crate) fn assert_no_writes_besides_target_queries(lab: &Lab, during: &str) {
    assert_none_written(
        &write_requests(lab)
            .into_iter()
            .filter(|r| {
                !r.path
                    .ends_with("/retrieveEnrollmentTimeDeviceMembershipTarget")
            })
            .collect::<Vec<_>>(),
        during,
    );
}

#[test]
fn an_exported_tenant_imports_with_import_sh_and_plans_no_changes() {
    let lab = Lab::start();
    let t = seed(&lab);
    let tf = Terraform::new(&lab);
    lab.clear_requests();
    step_export_only_reads_and_lists_what_it_wrote(&tf, &lab);
    step_written_files_reference_what_is_exported(&tf, &t);
    step_import_sh_imports_every_object(&tf, &t);
    step_the_plan_after_import_writes_nothing(&tf, &lab);
    step_import_sh_again_imports_nothing(&tf);
    step_real_hashes_are_no_change_and_destroy_is_refused(&tf, &t);
}

/// Exports the seeded tenant: the export only reads, and it lists what it wrote.
#[track_caller]
fn step_export_only_reads_and_lists_what_it_wrote(tf: &Terraform, lab: &Lab) {
    let run = succeeded(export(lab, tf.dir(), &[]));

    // Exporting only reads: the one POST is the policy's enrollment-time target query.
    assert_no_writes_besides_target_queries(lab, "export");
    for line in [
        "Exported 12 object(s)",
        "groups.tf                            5 autopilot_group",
        "deployment_profiles.tf               2 autopilot_deployment_profile",
        "enrollment_status_pages.tf           1 autopilot_enrollment_status_page",
        "domain_join_profiles.tf              1 autopilot_domain_join_profile",
        "device_preparation_policies.tf       1 autopilot_device_preparation_policy",
        "devices.tf                           2 autopilot_device",
    ] {
        assert!(run.stdout.contains(line), "no {line:?} in:\n{}", run.stdout);
    }
    assert!(
        run.stderr.contains("reading"),
        "logs go to stderr:\n{}",
        run.stderr
    );
    assert_eq!(
        files_in(tf.dir()),
        names(&[
            "test.tfrc",
            "provider.tf",
            "groups.tf",
            "deployment_profiles.tf",
            "enrollment_status_pages.tf",
            "domain_join_profiles.tf",
            "device_preparation_policies.tf",
            "devices.tf",
            "import.sh",
        ])
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(tf.dir().join("import.sh"))
            .expect("import.sh")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "import.sh is executable: {mode:o}");
    }
}

/// The written files: the Autopilot groups only, references instead of ids where the group is
/// exported, the default ESP as a data source, and the layout `terraform fmt` writes.
#[track_caller]
fn step_written_files_reference_what_is_exported(tf: &Terraform, t: &Tenant) {
    // Groups: the Autopilot ones only; references instead of ids where the group is exported.
    let groups = read(tf.dir(), "groups.tf");
    assert_text_contains(
        &groups,
        r#"display_name              = "Device Prep $${var.x} \"Paris\"""#,
    );
    assert_text_contains(&groups, "provisioning_client_owner = true");
    assert_text_contains(&groups, r#"group_tags    = ["Sales"]"#);
    assert_text_contains(&groups, "all_autopilot_devices = true");
    assert_text_contains(&groups, r#"data "autopilot_provisioning_client" "this" {}"#);
    // A rule that is neither tags nor all devices is written as is; owners besides the
    // Provisioning Client are listed.
    assert_eq!(groups.matches("membership_rule").count(), 1, "{groups}");
    assert_text_contains(
        &groups,
        r#"membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[PurchaseOrderId]:42\"))""#,
    );
    assert_text_contains(&groups, &format!("owner_ids     = [\"{ADELE}\"]"));
    for absent in ["Finance Team", "Contoso Everyone"] {
        assert!(
            !groups.contains(absent),
            "{absent} is not an Autopilot group:\n{groups}"
        );
    }
    let profiles = read(tf.dir(), "deployment_profiles.tf");
    assert_text_contains(
        &profiles,
        "  include_group_ids = [\n    autopilot_group.sales_devices.id,\n  ]",
    );
    assert!(
        profiles.contains(&format!(
            "    # Group \"Contoso Everyone\" is a Microsoft 365 or mail-enabled group, which autopilot_group does not manage.\n    \"{}\",",
            t.m365_group
        )),
        "{profiles}"
    );
    assert_text_contains(
        &profiles,
        r#"description                     = "Sales laptops\nsecond line""#,
    );
    let policies = read(tf.dir(), "device_preparation_policies.tf");
    assert_text_contains(
        &policies,
        "device_group_id      = autopilot_group.device_prep_var_x_paris.id",
    );
    assert_text_contains(
        &policies,
        r#""Call the helpdesk: 100% of \"errors\" go to %%{team}.""#,
    );
    // The default ESP is read through the data source, never a resource.
    let esps = read(tf.dir(), "enrollment_status_pages.tf");
    assert!(
        esps.contains(
            "data \"autopilot_enrollment_status_page\" \"default\" {\n  default = true\n}"
        ),
        "{esps}"
    );
    assert_eq!(esps.matches("resource \"").count(), 1, "{esps}");
    let script = read(tf.dir(), "import.sh");
    assert!(
        !script.contains("_DefaultWindows10EnrollmentCompletionPageConfiguration"),
        "{script}"
    );
    let devices = read(tf.dir(), "devices.tf");
    assert_text_contains(
        &devices,
        r#"hardware_hash = lookup(var.autopilot_hardware_hashes, "PF-77 X", local.autopilot_hardware_hash_placeholder)"#,
    );
    assert_text_contains(&devices, "prevent_destroy = true");

    // The files are as `terraform fmt` writes them.
    tf.run(&["fmt", "-check", "-diff", "-no-color"]).success();
}

/// Imports everything with the script: the state holds exactly the seeded Autopilot objects.
#[track_caller]
fn step_import_sh_imports_every_object(tf: &Terraform, t: &Tenant) {
    let imported = run_import_script(tf);
    assert!(
        imported.code == 0,
        "import.sh failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        imported.code,
        imported.stdout,
        imported.stderr
    );
    let mut expected = vec![
        "autopilot_group.device_prep_var_x_paris".to_string(),
        "autopilot_group.autopilot_users".to_string(),
        "autopilot_group.sales_devices".to_string(),
        "autopilot_group.all_autopilot_devices".to_string(),
        "autopilot_group.purchase_order_42".to_string(),
        "autopilot_deployment_profile.entra_sales".to_string(),
        "autopilot_deployment_profile.hybrid_everyone".to_string(),
        "autopilot_enrollment_status_page.sales_esp".to_string(),
        "autopilot_domain_join_profile.contoso_domain_join".to_string(),
        "autopilot_device_preparation_policy.device_prep_sales".to_string(),
        "autopilot_device.device_5cg1234abc".to_string(),
        "autopilot_device.pf_77_x".to_string(),
    ];
    expected.sort();
    let mut in_state: Vec<String> = tf
        .state_addresses()
        .into_iter()
        .filter(|a| !a.starts_with("data."))
        .collect();
    in_state.sort();
    assert_eq!(in_state, expected);
    let ids: BTreeSet<String> = tf
        .show_json()
        .pointer("/values/root_module/resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| r["mode"] == "managed")
        .filter_map(|r| r["values"]["id"].as_str().map(str::to_string))
        .collect();
    let mut seeded: BTreeSet<String> = [
        &t.prep_group,
        &t.users_group,
        &t.sales_group,
        &t.all_group,
        &t.order_group,
        &t.entra_profile,
        &t.hybrid_profile,
        &t.esp,
        &t.domain_join,
        &t.policy,
    ]
    .into_iter()
    .cloned()
    .collect();
    seeded.extend(t.devices.iter().map(|(_, id)| id.clone()));
    assert_eq!(ids, seeded);
    assert!(!ids.contains(&t.finance_group));
}

/// After the import the plan is empty and writes nothing.
#[track_caller]
fn step_the_plan_after_import_writes_nothing(tf: &Terraform, lab: &Lab) {
    lab.clear_requests();
    tf.assert_no_changes();
    assert_no_writes_besides_target_queries(lab, "the plan");
}

/// Running the script again imports nothing twice.
#[track_caller]
fn step_import_sh_again_imports_nothing(tf: &Terraform) {
    let again = run_import_script(tf);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(
        again.stdout.matches(": already in the state").count(),
        12,
        "{}",
        again.stdout
    );
}

/// Real hashes supplied later are no change either; destroying a device is refused.
#[track_caller]
fn step_real_hashes_are_no_change_and_destroy_is_refused(tf: &Terraform, t: &Tenant) {
    let (serial, _) = &t.devices[0];
    std::fs::write(
        tf.dir().join("hashes.auto.tfvars"),
        format!(
            "autopilot_hardware_hashes = {{\n  \"{serial}\" = \"{}\"\n}}\n",
            hardware_hash(1, 64)
        ),
    )
    .expect("write hashes.auto.tfvars");
    tf.assert_no_changes();
    tf.run(&["plan", "-destroy", "-no-color", "-input=false"])
        .expect_failure()
        .assert_contains("Instance cannot be destroyed");
}

#[test]
fn only_and_filter_narrow_the_export() {
    let lab = Lab::start();
    let t = seed(&lab);
    let dir = tempfile::tempdir().expect("a temporary directory");

    // --only: groups and devices (also by resource type name). The groups a policy or profile
    // references are still the tenant's Autopilot groups.
    let only = dir.path().join("only");
    let run = succeeded(export(&lab, &only, &["--only", "groups,autopilot_device"]));
    assert!(
        run.stdout.contains("Exported 7 object(s)"),
        "{}",
        run.stdout
    );
    assert_eq!(
        files_in(&only),
        names(&["provider.tf", "groups.tf", "devices.tf", "import.sh"])
    );
    let groups = read(&only, "groups.tf");
    for name in [
        "device_prep_var_x_paris",
        "autopilot_users",
        "sales_devices",
        "all_autopilot_devices",
    ] {
        assert!(
            groups.contains(&format!("resource \"autopilot_group\" \"{name}\"")),
            "{name}:\n{groups}"
        );
    }
    let script = read(&only, "import.sh");
    assert!(
        script.contains(&t.users_group) && !script.contains(&t.policy),
        "{script}"
    );

    // --filter, case-insensitive, on every kind (a device by its serial number). A reference to
    // a group left out keeps the id, with a comment naming the group.
    let filtered = dir.path().join("filtered");
    let run = succeeded(export(&lab, &filtered, &["--filter", "SALES"]));
    assert!(
        run.stdout.contains("Exported 4 object(s)"),
        "{}",
        run.stdout
    );
    let addresses: BTreeSet<String> = read(&filtered, "import.sh")
        .lines()
        .filter_map(|l| l.strip_prefix("import '"))
        .filter_map(|l| l.split('\'').next().map(str::to_string))
        .collect();
    assert_eq!(
        addresses,
        names(&[
            "autopilot_group.sales_devices",
            "autopilot_deployment_profile.entra_sales",
            "autopilot_enrollment_status_page.sales_esp",
            "autopilot_device_preparation_policy.device_prep_sales",
        ])
    );
    let policies = read(&filtered, "device_preparation_policies.tf");
    assert!(
        policies.contains(&format!(
            "  # Group \"Device Prep ${{var.x}} \\\"Paris\\\"\" is not exported.\n  device_group_id = \"{}\"\n",
            t.prep_group
        )),
        "{policies}"
    );
    assert!(!files_in(&filtered).contains("devices.tf"));
    let device_filter = dir.path().join("device");
    let run = succeeded(export(
        &lab,
        &device_filter,
        &["--only", "devices", "--filter", "pf-77"],
    ));
    assert!(
        run.stdout.contains("Exported 1 object(s)"),
        "{}",
        run.stdout
    );
    assert!(read(&device_filter, "import.sh").contains(&t.devices[1].1));

    // Plans of the narrowed exports: imported, each is empty too.
    let lab_tf = Terraform::new(&lab);
    for file in files_in(&filtered) {
        std::fs::copy(filtered.join(&file), lab_tf.dir().join(&file)).expect("copy");
    }
    let imported = run_import_script(&lab_tf);
    assert_eq!(imported.code, 0, "{}\n{}", imported.stdout, imported.stderr);
    lab_tf.assert_no_changes();
}

#[test]
fn import_blocks_replace_the_script_on_request() {
    let lab = Lab::start();
    let t = seed(&lab);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = dir.path().join("blocks");
    let run = succeeded(export(
        &lab,
        &out,
        &["--import-blocks", "--only", "deployment_profiles,groups"],
    ));
    assert!(
        run.stdout.contains("Terraform 1.5 or later"),
        "{}",
        run.stdout
    );
    let files = files_in(&out);
    assert!(
        files.contains("imports.tf") && !files.contains("import.sh"),
        "{files:?}"
    );
    let blocks = read(&out, "imports.tf");
    assert!(blocks.starts_with("# Import blocks"), "{blocks}");
    for (address, id) in [
        ("autopilot_deployment_profile.entra_sales", &t.entra_profile),
        (
            "autopilot_deployment_profile.hybrid_everyone",
            &t.hybrid_profile,
        ),
        ("autopilot_group.sales_devices", &t.sales_group),
        ("autopilot_group.all_autopilot_devices", &t.all_group),
    ] {
        let block = format!("import {{\n  to = {address}\n  id = \"{id}\"\n}}\n");
        assert!(blocks.contains(&block), "no {block:?} in:\n{blocks}");
    }
    assert_eq!(blocks.matches("import {").count(), 7, "{blocks}");

    // Without --import-blocks, never an imports.tf (Terraform before 1.5 rejects it).
    let script = dir.path().join("script");
    succeeded(export(&lab, &script, &["--only", "groups"]));
    assert!(!files_in(&script).contains("imports.tf"));
}

/// A tenant may hold a profile name and description Intune now refuses on every write (made
/// before Intune checked them: the lab's `profile_text_rules` off). The export never writes them:
/// it writes the nearest text Intune accepts, says so, and the import is followed by a plan that
/// renames the profile, an apply Intune (the lab, with its rules back on) accepts, and no changes.
#[test]
fn names_intune_refuses_are_exported_as_the_nearest_accepted_name() {
    let lab = Lab::start();
    acceptance_tests::put_lab_settings(&lab, &json!({"profile_text_rules": false}));
    let id = lab.graph_create(
        "deviceManagement/windowsAutopilotDeploymentProfiles",
        &json!({
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "displayName": "Sales - Entra (EU)",
            "description": "Pilot - wave 2",
            "locale": "os-default",
            "outOfBoxExperienceSetting": {"deviceUsageType": "singleUser", "userType": "administrator"}
        }),
    );
    acceptance_tests::put_lab_settings(&lab, &json!({"profile_text_rules": true}));
    let tf = Terraform::new(&lab);
    let run = succeeded(export(&lab, tf.dir(), &["--only", "deployment_profiles"]));
    assert!(
        run.stdout.contains("Changed on the next apply")
            && run
                .stdout
                .contains(r#"display_name: "Sales - Entra (EU)" -> "Sales Entra EU""#)
            && run
                .stdout
                .contains(r#"description: "Pilot - wave 2" -> "Pilot wave 2""#),
        "{}",
        run.stdout
    );
    let written = read(tf.dir(), "deployment_profiles.tf");
    let words = written.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("display_name = \"Sales Entra EU\"")
            && words.contains("description = \"Pilot wave 2\"")
            && words.contains("# Intune holds \"Sales - Entra (EU)\""),
        "{written}"
    );
    assert!(
        !words.contains("= \"Sales - Entra (EU)\""),
        "never the refused name: {written}"
    );
    let imported = run_import_script(&tf);
    assert_eq!(imported.code, 0, "{}\n{}", imported.stdout, imported.stderr);
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("Plan: 0 to add, 1 to change, 0 to destroy")
        .assert_contains("Sales Entra EU");
    tf.apply()
        .assert_contains("0 added, 1 changed, 0 destroyed");
    let profile = lab.graph_get(&format!(
        "deviceManagement/windowsAutopilotDeploymentProfiles/{id}"
    ));
    assert_eq!(profile["displayName"], json!("Sales Entra EU"));
    assert_eq!(profile["description"], json!("Pilot wave 2"));
    tf.assert_no_changes();
}

#[test]
fn bad_arguments_and_outputs_are_refused_clearly() {
    let lab = Lab::start();
    let dir = tempfile::tempdir().expect("a temporary directory");
    lab.clear_requests();

    let run = export(&lab, &dir.path().join("x"), &["--only", "groups,profiles"]);
    assert_ne!(run.code, 0);
    let allowed = "\"profiles\" is not a kind to export; the kinds are: groups, scope_tags, \
                   assignment_filters, deployment_profiles, enrollment_status_pages, domain_join_profiles, device_preparation_policies, devices, corporate_identifiers";
    assert!(
        run.stderr.contains(allowed),
        "{allowed:?} not in:\n{}",
        run.stderr
    );

    // An --out that cannot be a directory: refused before the tenant is read.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").expect("write a file");
    let run = export(&lab, &file.join("out"), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("cannot write to {}", file.join("out").display())),
        "{}",
        run.stderr
    );
    assert!(lab.requests().is_empty(), "{:?}", lab.requests());

    // An earlier export is not overwritten without --force.
    let out = dir.path().join("out");
    succeeded(export(&lab, &out, &["--only", "groups"]));
    let run = export(&lab, &out, &["--only", "groups"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("provider.tf, import.sh are already in")
            && run.stderr.contains("--force"),
        "{}",
        run.stderr
    );
    succeeded(export(&lab, &out, &["--only", "groups", "--force"]));

    // No credentials: the provider's own message names what to set.
    let run = provider_cli(
        &[],
        &[
            "export",
            "--out",
            &dir.path().join("none").to_string_lossy(),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("no usable credentials"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("ARM_CLIENT_SECRET"), "{}", run.stderr);

    // Without a subcommand the binary is still the plugin, refusing to run outside Terraform.
    let run = provider_cli(&lab.provider_env(), &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("plugin for Terraform"),
        "{}",
        run.stderr
    );
}

#[test]
fn without_directory_permissions_profiles_still_export_with_group_ids() {
    let lab = Lab::start_with_args(&["--roles", "DeviceManagementServiceConfig.ReadWrite.All"]);
    let group = "0c0ffee0-0000-4000-8000-000000000001";
    let profiles = "deviceManagement/windowsAutopilotDeploymentProfiles";
    let profile = lab.graph_create(
        profiles,
        &json!({
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "displayName": "Kiosks",
        }),
    );
    lab.graph_post(
        &format!("{profiles}/{profile}/assignments"),
        &target("groupAssignmentTarget", Some(group)),
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run = succeeded(export(&lab, dir.path(), &["--only", "deployment_profiles"]));
    assert!(
        run.stderr.contains("cannot list the groups"),
        "{}",
        run.stderr
    );
    let text = read(dir.path(), "deployment_profiles.tf");
    assert!(
        text.contains(&format!(
            "  include_group_ids = [\n    # Group {group} is not exported.\n    \"{group}\",\n  ]"
        )),
        "{text}"
    );

    // Asking for groups needs the directory: that is an error naming the kind. Kinds read only
    // for the groups they target are skipped with a warning when they cannot be listed.
    let run = export(&lab, &dir.path().join("groups"), &["--only", "groups"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("groups only it targets are not exported"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("cannot list the tenant's groups"),
        "{}",
        run.stderr
    );
}
