//! Malformed Graph answers (cut-off JSON, HTML pages, empty bodies, wrong types, a list
//! without `value`, a next page on another host) served by the lab's `raw_body` fault rules: Terraform fails with a
//! diagnostic that names what was wrong, the provider does not panic, and the state survives.

use acceptance_tests::devices::{faults_fired, set_faults};
use acceptance_tests::{Lab, Terraform, TfOutput, string_attr};
use serde_json::{Value, json};

const GROUP: &str = r#"
resource "autopilot_group" "g" {
  display_name = "Autopilot Devices (Lyon)"
}
"#;

const DEVICES: &str = r#"
data "autopilot_devices" "all" {}

output "count" {
  value = length(data.autopilot_devices.all.ids)
}
"#;

/// A working directory whose Terraform logs at debug level, so the provider's stderr (where a
/// Rust panic would be printed) is part of the output.
fn terraform_with_provider_logs(lab: &Lab) -> Terraform {
    let mut env = lab.provider_env();
    env.push(("TF_LOG".to_string(), "DEBUG".to_string()));
    Terraform::with_env(env)
}

/// The run failed on its own, said `needles` in its diagnostics, and nothing panicked.
#[track_caller]
fn assert_diagnosed(out: TfOutput, needles: &[&str]) {
    let out = out.expect_failure();
    let said = out.diagnostics();
    for needle in needles {
        assert!(
            said.contains(needle),
            "expected {needle:?} in the diagnostics\n{out}"
        );
    }
    for crash in ["panicked", "plugin crashed", "Stack trace from the"] {
        assert!(!out.text().contains(crash), "found {crash:?}\n{out}");
    }
}

/// One GET rule answering `status` with `raw_body` (as `content_type`).
fn answer_get(lab: &Lab, path: &str, status: u16, raw_body: &str, content_type: &str) {
    set_faults(
        lab,
        &json!([{
            "method": "GET",
            "path": path,
            "status": status,
            "raw_body": raw_body,
            "content_type": content_type,
        }]),
    );
}

#[test]
fn malformed_answers_to_a_refresh_are_diagnostics_and_keep_the_state() {
    let lab = Lab::start();
    let tf = terraform_with_provider_logs(&lab);
    tf.write_config(GROUP);
    tf.apply()
        .assert_contains("1 added, 0 changed, 0 destroyed");
    let state = tf
        .resource_values("autopilot_group.g")
        .expect("the group is in the state");
    let id = string_attr(&state, "id");
    let group_path = format!("^/(beta|v1\\.0)/groups/{id}$");
    let named = format!("groups/{id}");

    let cases: [(u16, String, &str, Vec<&str>); 5] = [
        (
            200,
            format!(r#"{{"id":"{id}","displayName":"Autopilot Dev"#),
            "application/json",
            vec!["the JSON answer is cut off"],
        ),
        (
            200,
            "<!DOCTYPE html><html><head><title>Sign in to your account</title></head></html>"
                .to_string(),
            "text/html",
            vec![r#"an HTML page ("Sign in to your account"), not JSON"#],
        ),
        (
            200,
            String::new(),
            "application/json",
            vec!["Graph answered with an empty body, not JSON"],
        ),
        (
            200,
            format!(r#"{{"id":"{id}","displayName":42,"securityEnabled":"yes"}}"#),
            "application/json",
            vec!["in the answer: invalid type"],
        ),
        (
            502,
            "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
                .to_string(),
            "text/html",
            vec![
                "HTTP 502",
                r#"an HTML page ("502 Bad Gateway") instead of Graph's JSON error"#,
            ],
        ),
    ];
    for (status, body, content_type, needles) in &cases {
        answer_get(&lab, &group_path, *status, body, content_type);
        let mut expected = needles.clone();
        expected.push(&named);
        assert_diagnosed(tf.plan(), &expected);
        assert!(
            faults_fired(&lab).iter().sum::<u64>() >= 1,
            "the malformed answer was never served"
        );
    }

    // Once Graph answers properly again, the group is still managed and unchanged.
    set_faults(&lab, &json!([]));
    tf.assert_no_changes();
    assert_eq!(
        tf.resource_values("autopilot_group.g")
            .map(|v| v["id"].clone()),
        Some(Value::String(id))
    );
    tf.destroy();
}

#[test]
fn malformed_list_answers_are_diagnostics() {
    let lab = Lab::start();
    let tf = terraform_with_provider_logs(&lab);
    tf.write_config(DEVICES);
    answer_get(
        &lab,
        "^/beta/deviceManagement/windowsAutopilotDeviceIdentities$",
        200,
        r#"{"@odata.context":"https://graph.microsoft.com/beta/$metadata#deviceManagement/windowsAutopilotDeviceIdentities"}"#,
        "application/json",
    );
    assert_diagnosed(
        tf.plan(),
        &[
            "windowsAutopilotDeviceIdentities",
            "the answer has no `value` list",
        ],
    );

    // A next page on another host is not followed: the request would carry the token.
    answer_get(
        &lab,
        "^/beta/deviceManagement/windowsAutopilotDeviceIdentities$",
        200,
        r#"{"value":[],"@odata.nextLink":"http://127.0.0.2:9/beta/deviceManagement/windowsAutopilotDeviceIdentities?$skiptoken=x"}"#,
        "application/json",
    );
    assert_diagnosed(
        tf.plan(),
        &[
            "`@odata.nextLink` leads to http://127.0.0.2:9",
            "it is not followed",
        ],
    );

    set_faults(&lab, &json!([]));
    tf.apply().assert_contains("count = 0");
}
