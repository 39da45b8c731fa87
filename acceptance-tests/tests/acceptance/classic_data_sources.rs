//! The classic Autopilot data sources against a running lab, through the real `terraform`
//! binary: `autopilot_deployment_profile`, `autopilot_enrollment_status_page` and
//! `autopilot_configuration_file`.

use acceptance_tests::checks::read_outputs;
use acceptance_tests::seeding::G1;
use acceptance_tests::{Lab, Terraform};
use serde_json::{Value, json};

const PROFILES: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";
const CONFIGS: &str = "deviceManagement/deviceEnrollmentConfigurations";
const ENTRA: &str = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
const HYBRID: &str = "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";
const ESP: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
const ASSIGNMENT: &str = "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment";

fn create_profile(lab: &Lab, body: &Value) -> String {
    lab.graph_create(PROFILES, body)
}

fn entra_profile(lab: &Lab) -> String {
    let id = create_profile(
        lab,
        &json!({
            "@odata.type": ENTRA,
            "displayName": "AP Existing",
            "description": "For existing devices",
            "deviceNameTemplate": "CORP-%SERIAL%",
            "locale": "en-US",
            "outOfBoxExperienceSetting": {
                "deviceUsageType": "singleUser", "escapeLinkHidden": true, "eulaHidden": true,
                "keyboardSelectionPageSkipped": true, "privacySettingsHidden": true, "userType": "standard"
            }
        }),
    );
    lab.graph_post(
        &format!("{PROFILES}/{id}/assignments"),
        &json!({"@odata.type": ASSIGNMENT, "target": {
            "@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": G1}}),
    );
    id
}

#[test]
fn deployment_profile_by_id_and_by_name() {
    let lab = Lab::start();
    let id = entra_profile(&lab);
    create_profile(
        &lab,
        &json!({"@odata.type": HYBRID, "displayName": "AP Hybrid"}),
    );
    let (_, out) = read_outputs(
        &lab,
        &format!(
            r#"
data "autopilot_deployment_profile" "by_id" {{
  id = "{id}"
}}

data "autopilot_deployment_profile" "by_name" {{
  display_name = "AP Existing"
}}

data "autopilot_deployment_profile" "hybrid" {{
  display_name = "AP Hybrid"
}}

output "by_id" {{ value = data.autopilot_deployment_profile.by_id }}
output "by_name" {{ value = data.autopilot_deployment_profile.by_name }}
output "hybrid_join" {{ value = data.autopilot_deployment_profile.hybrid.join_type }}
"#
        ),
    );
    let by_id = &out["by_id"]["value"];
    assert_eq!(
        by_id, &out["by_name"]["value"],
        "both lookups find the same profile"
    );
    for (name, value) in [
        ("id", json!(id)),
        ("display_name", json!("AP Existing")),
        ("join_type", json!("entra")),
        ("deployment_mode", json!("user_driven")),
        ("device_name_template", json!("CORP-%SERIAL%")),
        ("locale", json!("en-US")),
        ("user_type", json!("standard")),
        ("eula_hidden", json!(true)),
        ("include_group_ids", json!([G1])),
        ("exclude_group_ids", json!([])),
        ("all_devices", json!(false)),
    ] {
        assert_eq!(by_id[name], value, "{name} of {by_id:#}");
    }
    assert_eq!(out["hybrid_join"]["value"], json!("hybrid"));
}

#[test]
fn deployment_profile_lookup_errors() {
    let lab = Lab::start();
    create_profile(&lab, &json!({"@odata.type": ENTRA, "displayName": "Twin"}));
    create_profile(&lab, &json!({"@odata.type": ENTRA, "displayName": "Twin"}));
    let tf = Terraform::new(&lab);
    for (hcl, attribute, words) in [
        (
            r#"data "autopilot_deployment_profile" "x" { display_name = "Nobody" }"#,
            None,
            "no windows autopilot deployment profile is named",
        ),
        (
            r#"data "autopilot_deployment_profile" "x" { display_name = "Twin" }"#,
            None,
            "2 profiles are named",
        ),
        (
            r#"data "autopilot_deployment_profile" "x" {
  id           = "00000000-0000-4000-8000-000000000000"
  display_name = "Twin"
}"#,
            Some("display_name"),
            "exactly one of",
        ),
    ] {
        tf.write_config(hcl);
        let out = tf.plan().expect_code(1);
        out.assert_not_contains("panic");
        assert!(
            out.diagnostics().to_lowercase().contains(words),
            "expected {words:?}\n{out}"
        );
        if let Some(attribute) = attribute {
            out.assert_contains(attribute);
        }
    }
}

#[test]
fn enrollment_status_page_default_and_by_name() {
    let lab = Lab::start();
    let custom_id = lab.graph_create(
        CONFIGS,
        &json!({"@odata.type": ESP, "displayName": "ESP-Corp", "showInstallationProgress": true,
                "installProgressTimeoutInMinutes": 45}),
    );
    let (_, out) = read_outputs(
        &lab,
        r#"
data "autopilot_enrollment_status_page" "default" {
  default = true
}

data "autopilot_enrollment_status_page" "corp" {
  display_name = "ESP-Corp"
}

output "default" { value = data.autopilot_enrollment_status_page.default }
output "corp" { value = data.autopilot_enrollment_status_page.corp }
"#,
    );
    let default = &out["default"]["value"];
    assert_eq!(default["priority"], json!(0), "{default:#}");
    assert_eq!(default["default"], json!(true), "{default:#}");
    assert_eq!(default["display_name"], json!("All users and all devices"));
    assert!(
        default["id"].as_str().is_some_and(
            |id| id.ends_with("_DefaultWindows10EnrollmentCompletionPageConfiguration")
        ),
        "{default:#}"
    );
    let corp = &out["corp"]["value"];
    assert_eq!(corp["id"], json!(custom_id));
    assert_eq!(corp["default"], json!(false));
    assert_eq!(corp["priority"], json!(1));
    assert_eq!(corp["show_installation_progress"], json!(true));
    assert_eq!(corp["install_progress_timeout_in_minutes"], json!(45));
}

#[test]
fn configuration_file_renders_the_profile() {
    let lab = Lab::start();
    let id = entra_profile(&lab);
    let tenant = lab.info().tenant_id.clone();
    let attributes =
        format!("tenant_id     = \"{tenant}\"\n  tenant_domain = \"contoso.onmicrosoft.com\"");
    let out = configuration_file(&lab, &id, &attributes, &["json"]);
    let text = out["json"]["value"]
        .as_str()
        .expect("json is a string")
        .to_string();
    assert!(text.is_ascii(), "the file must be ASCII: {text}");
    let file: Value = serde_json::from_str(&text).expect("the file is JSON");
    for (name, value) in [
        ("Comment_File", json!("Profile AP Existing")),
        ("Version", json!(2049)),
        ("ZtdCorrelationId", json!(id)),
        ("CloudAssignedTenantId", json!(tenant)),
        (
            "CloudAssignedTenantDomain",
            json!("contoso.onmicrosoft.com"),
        ),
        ("CloudAssignedDomainJoinMethod", json!(0)),
        ("CloudAssignedDeviceName", json!("CORP-%SERIAL%")),
        // 8 + 256 + standard user 2 + privacy 4 + EULA 16 + keyboard 1024.
        ("CloudAssignedOobeConfig", json!(1310)),
        ("CloudAssignedForcedEnrollment", json!(1)),
        ("CloudAssignedLanguage", json!("en-US")),
    ] {
        assert_eq!(file[name], value, "{name} in {file:#}");
    }
}

#[test]
fn configuration_file_reads_the_tenant() {
    let lab = Lab::start();
    let id = entra_profile(&lab);
    let out = configuration_file(&lab, &id, "", &["tenant_id", "tenant_domain"]);
    assert_eq!(out["tenant_id"]["value"], json!(lab.info().tenant_id));
    assert!(
        out["tenant_domain"]["value"]
            .as_str()
            .is_some_and(|d| d.contains('.')),
        "{out:#}"
    );
}

/// Reads the configuration file of the profile `id` (with more `attributes`, HCL lines) and
/// shows each of its `outputs` (attributes of the data source); nothing is written. Returns the
/// outputs.
#[track_caller]
fn configuration_file(lab: &Lab, id: &str, attributes: &str, outputs: &[&str]) -> Value {
    let outputs: String = outputs
        .iter()
        .map(|o| format!("output \"{o}\" {{ value = data.autopilot_configuration_file.x.{o} }}\n"))
        .collect();
    let hcl = format!(
        r#"
data "autopilot_configuration_file" "x" {{
  profile_id = "{id}"
  {attributes}
}}

{outputs}"#
    );
    read_outputs(lab, &hcl).1
}
