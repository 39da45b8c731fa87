//! Provider-defined functions (Terraform 1.8 and later) through the real `terraform`: the
//! schema Terraform reads, each function's result in configuration, and bad arguments refused
//! at plan with the function's message and nothing written. Terraform older than 1.8 has no
//! provider functions: these tests say so and check nothing there; the rest of the suite shows
//! that 1.0.3 still works with a provider that declares them.

use acceptance_tests::checks::{
    RejectedAt, assert_rejected_at_plan, provider_schema_if_terraform_at_least,
};
use acceptance_tests::devices::hardware_hash;
use acceptance_tests::paths::terraform_at_least;
use acceptance_tests::{Lab, Terraform, assert_no_writes};
use serde_json::{Value, json};

const FEATURE: &str = "provider-defined functions";

fn csv(rows: &[(&str, &str, &str)]) -> String {
    let mut text = String::from(
        "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\n",
    );
    for (seed, (serial, group_tag, user)) in rows.iter().enumerate() {
        let hash = hardware_hash(seed as u64 + 1, 96);
        text.push_str(&format!("{serial},,{hash},{group_tag},{user}\n"));
    }
    text
}

/// `hcl` applied on a new lab; returns the outputs by name.
fn outputs_of(hcl: &str) -> (Lab, Terraform, Value) {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    tf.write_config(hcl);
    tf.apply();
    let outputs = tf.output_json();
    (lab, tf, outputs)
}

#[test]
fn the_schema_declares_every_function_with_its_parameters() {
    let Some(provider) = provider_schema_if_terraform_at_least(1, 8, FEATURE) else {
        return;
    };
    let functions = &provider["functions"];
    let csv = &functions["parse_hardware_csv"];
    assert_eq!(csv["parameters"][0]["name"], "content", "{csv}");
    assert_eq!(csv["parameters"][0]["type"], "string", "{csv}");
    assert_eq!(csv["return_type"][0], "map", "{csv}");
    for name in ["group_tag_rule", "purchase_order_rule"] {
        assert_eq!(
            functions[name]["parameters"][0]["type"],
            json!(["set", "string"]),
            "{name}: {functions}"
        );
        assert_eq!(functions[name]["return_type"], "string", "{name}");
    }
}

#[test]
fn parse_hardware_csv_keys_rows_by_serial_number_for_for_each() {
    if !terraform_at_least(1, 8, FEATURE) {
        return;
    }
    let content = csv(&[
        ("SN-F1", "SALES", "adele.vance@autopilotlab.onmicrosoft.com"),
        ("SN-F2", "", ""),
    ]);
    let hcl = format!(
        r#"
locals {{
  devices = provider::autopilot::parse_hardware_csv(<<-CSV
{content}CSV
  )
}}

resource "autopilot_device" "each" {{
  for_each                     = local.devices
  serial_number                = each.key
  hardware_hash                = each.value.hardware_hash
  group_tag                    = each.value.group_tag
  assigned_user_principal_name = each.value.assigned_user_principal_name
}}

output "devices" {{
  value = {{ for serial, d in local.devices : serial => [d.group_tag, d.assigned_user_principal_name, d.line] }}
}}
"#
    );
    let (lab, tf, outputs) = outputs_of(&hcl);
    assert_eq!(
        outputs["devices"]["value"],
        json!({
            "SN-F1": ["SALES", "adele.vance@autopilotlab.onmicrosoft.com", 2],
            "SN-F2": [null, null, 3],
        })
    );
    let registered: Vec<String> = acceptance_tests::devices::registered(&lab)
        .iter()
        .filter_map(|d| d["serialNumber"].as_str().map(str::to_string))
        .collect();
    assert_eq!(registered.len(), 2, "{registered:?}");
    assert_eq!(
        tf.plan_detailed_exitcode(),
        0,
        "the plan after apply is empty"
    );
    tf.destroy();
}

#[test]
fn the_rule_functions_build_the_rules_the_data_source_builds() {
    if !terraform_at_least(1, 8, FEATURE) {
        return;
    }
    let (_lab, _tf, outputs) = outputs_of(
        r#"
output "tags" {
  value = provider::autopilot::group_tag_rule(["SITE-B", "SITE-A"])
}
output "orders" {
  value = provider::autopilot::purchase_order_rule(["PO-1"])
}
data "autopilot_group_tag_rule" "same" {
  group_tags = ["SITE-A", "SITE-B"]
}
output "data_source" {
  value = data.autopilot_group_tag_rule.same.rule
}
"#,
    );
    assert_eq!(
        outputs["tags"]["value"],
        r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:SITE-A")) -or (device.devicePhysicalIds -any (_ -eq "[OrderID]:SITE-B"))"#
    );
    assert_eq!(outputs["tags"]["value"], outputs["data_source"]["value"]);
    assert_eq!(
        outputs["orders"]["value"],
        r#"(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:PO-1"))"#
    );
}

/// A bad argument fails the plan with the function's own message, at the call, and nothing is
/// written.
#[test]
fn bad_arguments_fail_the_plan_with_the_rule_and_write_nothing() {
    let Some(lab) = Lab::start_if_terraform_at_least(1, 8, FEATURE) else {
        return;
    };
    let duplicated = format!(
        "Device Serial Number,Windows Product ID,Hardware Hash\nSN-1,,{h}\nsn-1,,{h2}\n",
        h = hardware_hash(1, 96),
        h2 = hardware_hash(2, 96)
    );
    let cases: [(String, &[&str]); 5] = [
        (
            format!("provider::autopilot::parse_hardware_csv(<<-CSV\n{duplicated}CSV\n  )"),
            &["line 3", "already appears on line 2"],
        ),
        (
            r#"provider::autopilot::parse_hardware_csv("Serial,Hash\nA,B\n")"#.to_string(),
            &["line 1", "header"],
        ),
        (
            "provider::autopilot::group_tag_rule([])".to_string(),
            &["is empty", "at least one group tag"],
        ),
        (
            r#"provider::autopilot::group_tag_rule([" SITE-A"])"#.to_string(),
            &["spaces around it"],
        ),
        (
            r#"provider::autopilot::purchase_order_rule(["PO-1", "po-1"])"#.to_string(),
            &["only by case"],
        ),
    ];
    for (call, words) in cases {
        let hcl = format!(
            "resource \"autopilot_group\" \"g\" {{\n  display_name    = \"g\"\n  membership_rule = jsonencode({call})\n}}\n"
        );
        let out = assert_rejected_at_plan(
            &lab,
            &hcl,
            RejectedAt {
                attributes: &["Error in function call", "Invalid function argument"],
                rule_words: &words.iter().map(std::slice::from_ref).collect::<Vec<_>>(),
            },
        );
        out.assert_contains("provider::autopilot::");
    }
    assert_no_writes(&lab, "plans whose function calls failed");
}
