//! Every Graph request body the provider sends validates against the checked-in JSON Schema of
//! its method and path (`schemas/index.json`, written by `cargo xtask schemas`).
//!
//! One lab records request bodies (`record_request_bodies`) while Terraform creates, updates and
//! destroys every resource kind: creates, PATCHes, the PUT of a device preparation policy,
//! assignments (posted one by one and replaced whole), `setPriority`, owners, the Provisioning
//! Client's creation, device imports (one, and the `import` action), `updateDeviceProperties`
//! and user assignment, the corporate identifier import. A write without a schema fails the
//! test as much as a body that does not validate.

use std::collections::BTreeSet;

use acceptance_tests::devices::hardware_hash;
use acceptance_tests::paths::workspace_root;
use acceptance_tests::seeding::{ADELE, TIME_ZONE_SCRIPT, VPN_APP};
use acceptance_tests::{Lab, Terraform, put_lab_settings};
use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

const USER: &str = "adele.vance@autopilotlab.onmicrosoft.com";
const CSV_HEADER: &str =
    "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User";

/// One Graph payload of `schemas/index.json` with its compiled schema.
struct PayloadSchema {
    name: String,
    method: String,
    path: String,
    /// Whether the payload has a body (actions without parameters are posted without one).
    body: bool,
    validator: Validator,
}

impl PayloadSchema {
    /// Whether a request path (`/beta/.../<guid>/assign`) fits this payload's path template
    /// (`/beta/.../{id}/assign`).
    fn matches(&self, method: &str, path: &str) -> bool {
        let template: Vec<&str> = self.path.split('/').collect();
        let actual: Vec<&str> = path.split('/').collect();
        self.method.eq_ignore_ascii_case(method)
            && template.len() == actual.len()
            && template
                .iter()
                .zip(&actual)
                .all(|(t, a)| t == a || (*t == "{id}" && !a.is_empty()))
    }
}

/// The payload schemas of the checked-in index.
fn payload_schemas() -> Vec<PayloadSchema> {
    let dir = workspace_root().join("schemas");
    let index: Value = read_json(&dir.join("index.json"));
    let entries = index["graph_payloads"]
        .as_array()
        .unwrap_or_else(|| panic!("schemas/index.json has no graph_payloads: {index}"));
    assert!(!entries.is_empty(), "schemas/index.json lists no payloads");
    entries
        .iter()
        .map(|entry| {
            let text = |key: &str| {
                entry[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("index entry without {key}: {entry}"))
                    .to_string()
            };
            let schema = read_json(&dir.join(text("schema")));
            let validator = jsonschema::options()
                .with_draft(Draft::Draft202012)
                .should_validate_formats(true)
                .build(&schema)
                .unwrap_or_else(|e| panic!("{} is not a valid schema: {e}", text("schema")));
            PayloadSchema {
                name: text("name"),
                method: text("method"),
                path: text("path"),
                body: entry["body"] != json!(false),
                validator,
            }
        })
        .collect()
}

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); run `cargo xtask schemas`",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// What checking one request found.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// The body validates against the schema of this name.
    Valid(String),
    /// No schema for this method and path.
    NoSchema,
    /// Schemas exist for the method and path, and the body validates against none of them.
    Invalid(Vec<String>),
}

/// Asserts that `body`, sent with `method` to `path`, breaks the schemas of that method and
/// path.
#[track_caller]
fn assert_refused(schemas: &[PayloadSchema], method: &str, path: &str, body: &Value) {
    let verdict = check(schemas, method, path, body);
    assert!(
        matches!(verdict, Verdict::Invalid(_)),
        "{method} {path} with {body} must not validate: {verdict:?}"
    );
}

/// Checks one request body against the schemas of its method and path: valid when it
/// validates against one of them (a path may take more than one payload, e.g. a profile's
/// PATCH of all its settings or of its locale only).
fn check(schemas: &[PayloadSchema], method: &str, path: &str, body: &Value) -> Verdict {
    let candidates: Vec<&PayloadSchema> =
        schemas.iter().filter(|s| s.matches(method, path)).collect();
    if candidates.is_empty() {
        return Verdict::NoSchema;
    }
    if let Some(valid) = candidates.iter().find(|s| s.validator.is_valid(body)) {
        return Verdict::Valid(valid.name.clone());
    }
    Verdict::Invalid(
        candidates
            .iter()
            .flat_map(|s| {
                s.validator
                    .iter_errors(body)
                    .map(|e| format!("{}: {} at {}", s.name, e, e.instance_path()))
                    .collect::<Vec<_>>()
            })
            .collect(),
    )
}

/// The lab's request log with bodies (`GET /_lab/requests`).
fn logged_requests(lab: &Lab) -> Vec<Value> {
    lab.control().requests().unwrap_or_else(|e| panic!("{e}"))
}

fn is_graph_body_write(entry: &Value) -> bool {
    let method = entry["method"].as_str().unwrap_or_default();
    let path = entry["path"].as_str().unwrap_or_default();
    ["POST", "PATCH", "PUT"].contains(&method)
        && (path.starts_with("/beta/") || path.starts_with("/v1.0/"))
}

/// What changes between the two configurations.
struct Stage {
    description: &'static str,
    tag: &'static str,
    profile_group: &'static str,
    hybrid_all_devices: bool,
    second_esp_priority: &'static str,
    policy_timeout: u32,
    policy_users: &'static str,
    /// Lines added to `autopilot_device.one` and `autopilot_device.two`.
    device_extra: [String; 2],
    /// The `member_ids` of `autopilot_group.readers` (bound on creation, then added by `$ref`).
    reader_ids: &'static str,
}

fn configuration(s: &Stage) -> String {
    let Stage {
        description,
        tag,
        profile_group,
        hybrid_all_devices,
        second_esp_priority,
        policy_timeout,
        policy_users,
        device_extra,
        reader_ids,
    } = s;
    format!(
        r#"
resource "autopilot_group" "devices" {{
  display_name              = "Schema Devices"
  description               = "{description}"
  provisioning_client_owner = true
}}

resource "autopilot_group" "users" {{
  display_name = "Schema Users"
  description  = "{description}"
  owner_ids    = ["{ADELE}"]
}}

resource "autopilot_group" "readers" {{
  display_name = "Schema Readers"
  member_ids   = [{reader_ids}]
}}

resource "autopilot_group" "tagged" {{
  display_name = "Schema Tagged"
  group_tags   = ["{tag}"]
}}

resource "autopilot_deployment_profile" "entra" {{
  display_name         = "Schema Entra"
  description          = "{description}"
  join_type            = "entra"
  device_name_template = "SCH-%SERIAL%"
  locale               = "en-US"
  user_type            = "standard"
  include_group_ids    = [autopilot_group.{profile_group}.id]
}}

resource "autopilot_deployment_profile" "hybrid" {{
  display_name                                 = "Schema Hybrid"
  description                                  = "{description}"
  join_type                                    = "hybrid"
  hybrid_azure_ad_join_skip_connectivity_check = true
  all_devices                                  = {hybrid_all_devices}
  include_group_ids                            = {hybrid_groups}
}}

resource "autopilot_domain_join_profile" "dj" {{
  display_name                 = "Schema DJ"
  description                  = "{description}"
  active_directory_domain_name = "contoso.com"
  organizational_unit          = "OU=Autopilot,DC=contoso,DC=com"
  computer_name_static_prefix  = "SCH-"
  include_group_ids            = [autopilot_group.{profile_group}.id]
}}

resource "autopilot_enrollment_status_page" "first" {{
  display_name               = "Schema ESP 1"
  show_installation_progress = true
  include_group_ids          = [autopilot_group.users.id]
}}

resource "autopilot_enrollment_status_page" "second" {{
  display_name                        = "Schema ESP 2"
  description                         = "{description}"
  show_installation_progress          = true
  install_progress_timeout_in_minutes = {policy_timeout}
  all_users                           = {hybrid_all_devices}
  {second_esp_priority}
  depends_on                          = [autopilot_enrollment_status_page.first]
}}

resource "autopilot_device_preparation_policy" "dp" {{
  display_name       = "Schema DP"
  description        = "{description}"
  device_group_id    = autopilot_group.devices.id
  include_group_ids  = [{policy_users}]
  timeout_minutes    = {policy_timeout}
  allowed_app_ids    = ["{VPN_APP}"]
  allowed_script_ids = ["{TIME_ZONE_SCRIPT}"]
}}

resource "autopilot_device" "one" {{
  serial_number = "SCHEMA-0001"
  hardware_hash = "{hash_one}"
  group_tag     = "{tag}"
{extra_one}
}}

resource "autopilot_device" "two" {{
  serial_number = "SCHEMA-0002"
  hardware_hash = "{hash_two}"
{extra_two}
}}

resource "autopilot_device_csv" "hw" {{
  content = file("${{path.module}}/hwids.csv")
}}

resource "autopilot_corporate_identifier_csv" "corp" {{
  content = "Contoso,Book 1,SCHEMA0001\n"
}}
"#,
        hash_one = hardware_hash(7, 100),
        hash_two = hardware_hash(8, 100),
        extra_one = device_extra[0],
        extra_two = device_extra[1],
        hybrid_groups = if *hybrid_all_devices {
            "[]".to_string()
        } else {
            format!("[autopilot_group.{profile_group}.id]")
        },
    )
}

fn write_csv(tf: &Terraform, rows: &[(&str, u64, &str)]) {
    let mut text = format!("{CSV_HEADER}\r\n");
    for (serial, seed, tag) in rows {
        text.push_str(&format!(
            "{serial},,{},{tag},\r\n",
            hardware_hash(*seed, 96)
        ));
    }
    std::fs::write(tf.dir().join("hwids.csv"), text).expect("write hwids.csv");
}

/// The seeded users Adele Vance, then with Alex Wilber, as `member_ids` of the readers group.
const READER: &str = r#""7ab1ab00-0000-4000-8000-0000000b0001""#;
const READERS: &str =
    r#""7ab1ab00-0000-4000-8000-0000000b0001", "7ab1ab00-0000-4000-8000-0000000b0002""#;

#[test]
fn every_body_the_provider_sends_validates_against_its_schema() {
    let schemas = payload_schemas();
    // Without the Provisioning Client, so that the provider creates it.
    let lab = Lab::start_with_args(&["--without-provisioning-client"]);
    put_lab_settings(&lab, &json!({"record_request_bodies": true}));
    let tf = Terraform::new(&lab);

    let create = Stage {
        description: "Created",
        tag: "SITE-A",
        profile_group: "users",
        hybrid_all_devices: true,
        second_esp_priority: "",
        policy_timeout: 60,
        policy_users: "autopilot_group.users.id",
        device_extra: [
            String::new(),
            format!("  assigned_user_principal_name = \"{USER}\""),
        ],
        reader_ids: READER,
    };
    write_csv(
        &tf,
        &[
            ("SCHEMA-CSV-1", 11, "SITE-A"),
            ("SCHEMA-CSV-2", 12, "SITE-A"),
        ],
    );
    tf.write_config(&configuration(&create));
    tf.apply()
        .assert_contains("14 added, 0 changed, 0 destroyed");

    // Every resource changes in place: PATCHes, the policy's PUT, new assignments, a priority,
    // device properties, a user assigned and one removed, a new CSV row.
    let update = Stage {
        description: "Updated",
        tag: "SITE-B",
        profile_group: "tagged",
        hybrid_all_devices: false,
        second_esp_priority: "priority = 1",
        policy_timeout: 90,
        policy_users: "autopilot_group.users.id, autopilot_group.readers.id",
        device_extra: [
            format!("  display_name = \"SCHEMA-01\"\n  assigned_user_principal_name = \"{USER}\""),
            String::new(),
        ],
        reader_ids: READERS,
    };
    write_csv(
        &tf,
        &[
            ("SCHEMA-CSV-1", 11, "SITE-B"),
            ("SCHEMA-CSV-2", 12, "SITE-B"),
            ("SCHEMA-CSV-3", 13, "SITE-B"),
        ],
    );
    tf.write_config(&configuration(&update));
    tf.apply()
        .assert_contains("0 added, 12 changed, 0 destroyed");
    tf.destroy();

    let writes: Vec<Value> = logged_requests(&lab)
        .into_iter()
        .filter(is_graph_body_write)
        .collect();
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in &writes {
        let method = entry["method"].as_str().unwrap_or_default();
        let path = entry["path"].as_str().unwrap_or_default();
        let Some(body) = entry.get("body") else {
            match schemas.iter().find(|s| !s.body && s.matches(method, path)) {
                Some(bodyless) => {
                    seen.insert(bodyless.name.clone());
                }
                None => failures.push(format!("{method} {path}: no body recorded")),
            }
            continue;
        };
        match check(&schemas, method, path, body) {
            Verdict::Valid(name) => {
                seen.insert(name);
            }
            Verdict::NoSchema => failures.push(format!(
                "{method} {path}: no schema in schemas/index.json for this method and path \
                 (add the payload to provider/src/payloads.rs and run `cargo xtask schemas`)"
            )),
            Verdict::Invalid(errors) => failures.push(format!(
                "{method} {path}: the body does not validate:\n      {}\n    body: {body}",
                errors.join("\n      ")
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} writes failed the schema check:\n  {}",
        failures.len(),
        writes.len(),
        failures.join("\n  ")
    );

    // The run exercised what it claims to (a check of nothing proves nothing).
    let expected = [
        "group-create",
        "group-update",
        "group-owner-reference",
        "group-member-reference",
        "provisioning-client-create",
        "deployment-profile-create-entra",
        "deployment-profile-create-hybrid",
        "deployment-profile-update-entra",
        "deployment-profile-update-hybrid",
        "deployment-profile-assignment",
        "domain-join-profile-create",
        "domain-join-profile-update",
        "domain-join-profile-assign",
        "enrollment-status-page-create",
        "enrollment-status-page-update",
        "enrollment-status-page-assign",
        "enrollment-status-page-set-priority",
        "device-preparation-policy-create",
        "device-preparation-policy-update",
        "device-preparation-policy-set-device-group",
        "device-preparation-policy-retrieve-device-group",
        "device-preparation-policy-assign",
        "device-import-one",
        "device-import",
        "device-update-properties",
        "device-assign-user",
        "device-unassign-user",
        "device-sync",
        "corporate-identifier-import",
    ];
    let missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|name| !seen.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "these payloads were never sent: {missing:?}; sent: {seen:?}"
    );
}

#[test]
fn bodies_that_break_their_schema_are_refused() {
    let schemas = payload_schemas();
    let priority = "/beta/deviceManagement/deviceEnrollmentConfigurations/abc/setPriority";
    assert_eq!(
        check(&schemas, "POST", priority, &json!({"priority": 2})),
        Verdict::Valid("enrollment-status-page-set-priority".into())
    );
    for bad in [
        json!({"priority": "2"}),
        json!({"priority": 0}),
        json!({}),
        json!({"priority": 2, "rank": 2}),
    ] {
        assert_refused(&schemas, "POST", priority, &bad);
    }

    // A deployment profile's @odata.type must be one of the two profile types.
    let profile = json!({
        "@odata.type": "#microsoft.graph.windowsDomainJoinConfiguration",
        "locale": "en-US",
    });
    assert_refused(
        &schemas,
        "PATCH",
        "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/p1",
        &profile,
    );

    // Names and descriptions Intune refuses, and a user type on a self-deploying profile.
    let profiles = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";
    let body = |name: &str, description: &str, oobe: Value| {
        json!({
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "displayName": name,
            "description": description,
            "deviceNameTemplate": null,
            "deviceType": "windowsPc",
            "locale": "os-default",
            "preprovisioningAllowed": false,
            "hardwareHashExtractionEnabled": false,
            "outOfBoxExperienceSetting": oobe,
        })
    };
    let shared = json!({"deviceUsageType": "shared", "escapeLinkHidden": false, "eulaHidden": false,
        "keyboardSelectionPageSkipped": false, "privacySettingsHidden": false});
    let mut with_user = shared.clone();
    with_user["userType"] = json!("standard");
    let mut single_user = with_user.clone();
    single_user["deviceUsageType"] = json!("singleUser");
    for good in [
        body("Kiosk: shared", "Lobby kiosks", shared.clone()),
        body("Sales [EU]", "Sales, HR & IT", single_user),
    ] {
        let verdict = check(&schemas, "POST", profiles, &good);
        assert!(matches!(verdict, Verdict::Valid(_)), "{good}: {verdict:?}");
    }
    for bad in [
        body("Entra join - Sales", "x", shared.clone()),
        body("Sales", "Pilot (wave 2)", shared),
        body("Kiosk", "x", with_user),
    ] {
        assert_refused(&schemas, "POST", profiles, &bad);
    }

    // An assignment to a kind of target Intune does not have.
    let assign =
        json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.somethingElse"}}]});
    assert_refused(
        &schemas,
        "POST",
        "/beta/deviceManagement/configurationPolicies/p1/assign",
        &assign,
    );

    // Actions without parameters are posted without a body: even `{}` is refused.
    let unassign =
        "/beta/deviceManagement/windowsAutopilotDeviceIdentities/d1/unassignUserFromDevice";
    assert!(
        schemas
            .iter()
            .any(|s| !s.body && s.matches("POST", unassign)),
        "unassignUserFromDevice is not listed as an action without a body"
    );
    assert_refused(&schemas, "POST", unassign, &json!({}));

    // A write the index does not know has no schema; ids fill one segment only.
    assert_eq!(
        check(
            &schemas,
            "POST",
            "/beta/deviceManagement/unknownThings",
            &json!({})
        ),
        Verdict::NoSchema
    );
    assert_eq!(
        check(
            &schemas,
            "POST",
            "/beta/deviceManagement/deviceEnrollmentConfigurations/a/b/setPriority",
            &json!({"priority": 2})
        ),
        Verdict::NoSchema
    );
    assert_eq!(
        check(&schemas, "DELETE", priority, &json!({"priority": 2})),
        Verdict::NoSchema
    );
}
