//! The lookups by name (`autopilot_group`, `autopilot_mobile_app`, `autopilot_platform_script`)
//! against a running lab, through the real `terraform` binary: each finds its object by name and
//! by id; a name that matches nothing or several objects, an id that does not exist, and a
//! configuration with neither or both keys are clear errors that write nothing.

use acceptance_tests::checks::{assert_said, read_outputs};
use acceptance_tests::{Lab, Terraform, assert_no_writes};
use serde_json::{Value, json};

/// Seeded by the lab (`lab/src/seed.rs`).
const VPN_APP: &str = "7ab1ab00-0000-4000-8000-0000000a0001";
const TIME_ZONE_SCRIPT: &str = "7ab1ab00-0000-4000-8000-0000000c0001";

fn make_group(lab: &Lab, name: &str, rule: Option<&str>) -> String {
    let dynamic = rule.is_some();
    lab.graph_create(
        "groups",
        &json!({
            "displayName": name,
            "mailEnabled": false,
            "mailNickname": name.replace(' ', "-"),
            "securityEnabled": true,
            "groupTypes": if dynamic { json!(["DynamicMembership"]) } else { json!([]) },
            "membershipRule": rule,
            "membershipRuleProcessingState": if dynamic { json!("On") } else { Value::Null },
        }),
    )
}

#[test]
fn each_lookup_finds_its_object_by_name_and_by_id() {
    let lab = Lab::start();
    let rule = r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:KIOSK"))"#;
    let kiosks = make_group(&lab, "Autopilot Kiosks", Some(rule));
    make_group(&lab, "Autopilot Kiosks old", None);
    let hcl = [
        // Microsoft Entra compares names without case: "autopilot kiosks" finds the group.
        by_name_and_by_id("group", "autopilot kiosks", &kiosks),
        by_name_and_by_id("mobile_app", "Contoso VPN Client", VPN_APP),
        by_name_and_by_id("platform_script", "Set time zone", TIME_ZONE_SCRIPT),
    ]
    .concat();
    let (tf, found) = read_outputs(&lab, &hcl);
    let assert_found = |kind: &str, expected: Value| {
        for key in ["by_name", "by_id"] {
            let output = &found[format!("{kind}_{key}")]["value"];
            assert_eq!(output, &expected, "{kind} {key}: {found:#}");
        }
    };
    assert_found(
        "group",
        json!({
            "id": kiosks, "display_name": "Autopilot Kiosks", "description": null,
            "security_enabled": true, "dynamic": true, "membership_rule": rule,
            "membership_rule_processing_state": "on", "visibility": "private",
            "is_assignable_to_role": false,
        }),
    );
    assert_found(
        "mobile_app",
        json!({
            "id": VPN_APP, "display_name": "Contoso VPN Client", "app_type": "win32LobApp",
            "publisher": "Contoso",
        }),
    );
    assert_found(
        "platform_script",
        json!({
            "id": TIME_ZONE_SCRIPT, "display_name": "Set time zone",
            "file_name": "Set-TimeZone.ps1", "run_as_account": "system",
        }),
    );
    tf.assert_no_changes();
}

/// The lookups `autopilot_<kind>.by_name` (by `name`) and `.by_id` (by `id`), each shown by an
/// output `<kind>_by_name`, `<kind>_by_id`.
fn by_name_and_by_id(kind: &str, name: &str, id: &str) -> String {
    [("by_name", "display_name", name), ("by_id", "id", id)]
        .iter()
        .map(|(key, attribute, value)| {
            format!(
                "data \"autopilot_{kind}\" \"{key}\" {{\n  {attribute} = \"{value}\"\n}}\n\
                 output \"{kind}_{key}\" {{\n  value = data.autopilot_{kind}.{key}\n}}\n"
            )
        })
        .collect()
}

/// Plans `hcl` and expects it to fail with each of `words` in its diagnostics, pointing at the
/// attribute `at` (when the configuration sets it), writing nothing.
#[track_caller]
fn assert_lookup_fails(lab: &Lab, hcl: &str, at: Option<&str>, words: &[&str]) {
    let tf = Terraform::configured(lab, hcl);
    lab.clear_requests();
    let out = tf.plan_detailed().expect_code(1);
    assert_said(&out, words);
    // The error points at the key the lookup went by: Terraform quotes that line of the block.
    if let Some(key) = at {
        out.assert_contains(&format!("{key} = \""));
    }
    assert_no_writes(lab, "a failed lookup");
}

#[test]
fn names_that_match_nothing_or_several_are_errors_naming_the_ids() {
    let lab = Lab::start();
    let first = make_group(&lab, "Autopilot Shared", None);
    let second = make_group(&lab, "AUTOPILOT SHARED", None);
    assert_lookup_fails(
        &lab,
        "data \"autopilot_group\" \"x\" {\n  display_name = \"Autopilot Shared\"\n}\n",
        Some("display_name"),
        &[
            "Several groups have this name",
            &first,
            &second,
            "look one up by `id`",
        ],
    );
    assert_lookup_fails(
        &lab,
        "data \"autopilot_mobile_app\" \"x\" {\n  display_name = \"No Such App\"\n}\n",
        Some("display_name"),
        &["No mobile app has this name", "\"No Such App\""],
    );
    // Intune names compare with their case.
    assert_lookup_fails(
        &lab,
        "data \"autopilot_platform_script\" \"x\" {\n  display_name = \"set time zone\"\n}\n",
        Some("display_name"),
        &["No platform script has this name"],
    );
}

#[test]
fn unknown_ids_and_missing_or_double_keys_are_errors() {
    let lab = Lab::start();
    let missing = "00000000-0000-4000-8000-00000000dead";
    assert_lookup_fails(
        &lab,
        &format!("data \"autopilot_platform_script\" \"x\" {{\n  id = \"{missing}\"\n}}\n"),
        Some("id"),
        &["No platform script has this id", missing],
    );
    assert_lookup_fails(
        &lab,
        &format!("data \"autopilot_group\" \"x\" {{\n  id = \"{missing}\"\n}}\n"),
        Some("id"),
        &["No group has this id"],
    );
    assert_lookup_fails(
        &lab,
        "data \"autopilot_mobile_app\" \"x\" {}\n",
        None,
        &[
            "No way to find the mobile app",
            "Set exactly one of `id`, `display_name`",
        ],
    );
    assert_lookup_fails(
        &lab,
        &format!(
            "data \"autopilot_mobile_app\" \"x\" {{\n  id = \"{VPN_APP}\"\n  display_name = \"Contoso VPN Client\"\n}}\n"
        ),
        Some("id"),
        &[
            "Several ways to find the mobile app",
            "id and display_name are set",
        ],
    );
}
