//! The lookups by name (`autopilot_group`, `autopilot_mobile_app`, `autopilot_platform_script`)
//! against a running lab, through the real `terraform` binary: each finds its object by name and
//! by id; a name that matches nothing or several objects, an id that does not exist, and a
//! configuration with neither or both keys are clear errors that write nothing.

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
    let tf = Terraform::configured(
        &lab,
        &format!(
            r#"
data "autopilot_group" "by_name" {{
  display_name = "autopilot kiosks"
}}
data "autopilot_group" "by_id" {{
  id = "{kiosks}"
}}
data "autopilot_mobile_app" "by_name" {{
  display_name = "Contoso VPN Client"
}}
data "autopilot_mobile_app" "by_id" {{
  id = "{VPN_APP}"
}}
data "autopilot_platform_script" "by_name" {{
  display_name = "Set time zone"
}}
data "autopilot_platform_script" "by_id" {{
  id = "{TIME_ZONE_SCRIPT}"
}}
output "found" {{
  value = {{
    group_by_name  = data.autopilot_group.by_name
    group_by_id    = data.autopilot_group.by_id
    app_by_name    = data.autopilot_mobile_app.by_name
    app_by_id      = data.autopilot_mobile_app.by_id
    script_by_name = data.autopilot_platform_script.by_name
    script_by_id   = data.autopilot_platform_script.by_id
  }}
}}
"#
        ),
    );
    lab.clear_requests();
    tf.apply();
    assert_no_writes(&lab, "lookups");
    let found = &tf.output_json()["found"]["value"];
    let group = json!({
        "id": kiosks, "display_name": "Autopilot Kiosks", "description": null,
        "security_enabled": true, "dynamic": true, "membership_rule": rule,
        "membership_rule_processing_state": "on", "visibility": "private",
        "is_assignable_to_role": false,
    });
    // Microsoft Entra compares names without case: "autopilot kiosks" finds the group.
    assert_eq!(found["group_by_name"], group, "{found:#}");
    assert_eq!(found["group_by_id"], group, "{found:#}");
    let app = json!({
        "id": VPN_APP, "display_name": "Contoso VPN Client", "app_type": "win32LobApp",
        "publisher": "Contoso",
    });
    assert_eq!(found["app_by_name"], app, "{found:#}");
    assert_eq!(found["app_by_id"], app, "{found:#}");
    let script = json!({
        "id": TIME_ZONE_SCRIPT, "display_name": "Set time zone",
        "file_name": "Set-TimeZone.ps1", "run_as_account": "system",
    });
    assert_eq!(found["script_by_name"], script, "{found:#}");
    assert_eq!(found["script_by_id"], script, "{found:#}");
    tf.assert_no_changes();
}

/// Plans `hcl` and expects it to fail with each of `words` in its diagnostics, pointing at the
/// attribute `at` (when the configuration sets it), writing nothing.
#[track_caller]
fn assert_lookup_fails(lab: &Lab, hcl: &str, at: Option<&str>, words: &[&str]) {
    let tf = Terraform::configured(lab, hcl);
    lab.clear_requests();
    let out = tf.plan_detailed().expect_code(1);
    let said = out.diagnostics();
    for word in words {
        assert!(said.contains(word), "{word:?} not said:\n{out}");
    }
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
