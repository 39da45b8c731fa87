//! Harness for the acceptance tests: drives the real `terraform` binary against the real provider
//! binary and a running `autopilot-lab`. Nothing is mocked.
//!
//! Binaries come from `TERRAFORM_BIN`, `AUTOPILOT_PROVIDER_BIN` and `AUTOPILOT_LAB_BIN` (set by
//! `cargo xtask test`), else from `.tools/terraform/terraform`, `target/debug/terraform-provider-autopilot`
//! and `target/debug/autopilot-lab` under the workspace root. A missing binary fails the test.
//!
//! ```no_run
//! use acceptance_tests::{Lab, Terraform, write_requests};
//! let lab = Lab::start();
//! let tf = Terraform::new(&lab);
//! tf.write_config(r#"resource "autopilot_group" "g" { display_name = "x" }"#);
//! tf.apply();
//! assert_eq!(tf.plan_detailed_exitcode(), 0);
//! assert!(write_requests(&lab).len() > 0);
//! ```

pub mod checks;
pub mod devices;
pub mod generate;
pub mod interrupt;
pub mod lab;
pub mod lifecycle;
pub mod paths;
pub mod process;
pub mod seeding;
pub mod terraform;
pub mod values;

pub use lab::{GraphResponse, Lab, LabInfo, Request};
pub use reqwest::Method;
pub use terraform::{
    PROVIDER_HCL, Terraform, TfOutput, Workspace, collapse_whitespace, strip_snippets,
};
pub use values::{assert_no_writes, set, set_attr, string_attr};

/// The resource at `address` (`<type>.<name>`) named `display_name`, with the other attributes
/// in `lines` (HCL, one or more lines).
pub fn resource_hcl(address: &str, display_name: &str, lines: &str) -> String {
    let (resource_type, name) = address.split_once('.').unwrap_or((address, "x"));
    format!(
        r#"
resource "{resource_type}" "{name}" {{
  display_name = "{display_name}"
{lines}
}}
"#
    )
}

/// The requests in the lab's log that could change the tenant: POST, PATCH, PUT or DELETE to a
/// Graph path (`/beta/...` or `/v1.0/...`).
pub fn write_requests(lab: &Lab) -> Vec<Request> {
    lab.requests_matching(Request::is_graph_write)
}

/// Renders requests one per line, for assertion messages.
pub fn show_requests(requests: &[Request]) -> String {
    requests
        .iter()
        .map(|r| format!("  {r}\n"))
        .collect::<String>()
}

/// The summaries of the warnings in a terraform output, without Terraform's own warning about
/// the dev_overrides the harness uses.
pub fn provider_warnings(out: &TfOutput) -> Vec<String> {
    out.text()
        .lines()
        .filter_map(|line| {
            line.trim_start_matches(['│', ' '])
                .strip_prefix("Warning: ")
        })
        .filter(|summary| !summary.starts_with("Provider development overrides"))
        .map(|summary| summary.trim().to_string())
        .collect()
}

/// `PUT <graph_url>/_lab/settings` with a partial settings object (e.g.
/// `{"replication_delay_ms": 3000}`); panics unless the lab accepts it. Returns the new settings.
pub fn put_lab_settings(lab: &Lab, settings: &serde_json::Value) -> serde_json::Value {
    lab_control(lab, Method::PUT, "settings", Some(settings))
}

/// Starts a lab and gives it the partial `settings` as [`put_lab_settings`] does.
pub fn lab_with_settings(settings: &serde_json::Value) -> Lab {
    let lab = Lab::start();
    put_lab_settings(&lab, settings);
    lab
}

/// `POST <graph_url>/_lab/mobile_apps`: adds an app of `odata_type` (e.g.
/// `#microsoft.graph.win32LobApp`) to the lab's catalog. Returns its id.
pub fn add_lab_mobile_app(lab: &Lab, odata_type: &str, name: &str) -> String {
    let app = lab_control(
        lab,
        Method::POST,
        "mobile_apps",
        Some(&serde_json::json!({"@odata.type": odata_type, "displayName": name})),
    );
    app["id"].as_str().expect("an app id").to_string()
}

/// `POST <graph_url>/_lab/devicelogin`: `user` (a user principal name of the lab's tenant) signs
/// in with the device code sign-in's `user_code`.
pub fn sign_in_lab_device_code(lab: &Lab, user_code: &str, user: &str) {
    lab_control(
        lab,
        Method::POST,
        "devicelogin",
        Some(&serde_json::json!({"user_code": user_code, "user": user})),
    );
}

/// The user code a device code sign-in prompt names ("... enter the code ABCD-EFGH ...").
pub fn prompted_user_code(text: &str) -> Option<String> {
    let collapsed = collapse_whitespace(text);
    let after = collapsed.split("enter the code ").nth(1)?;
    let code: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (!code.is_empty()).then_some(code)
}

/// Every collection of the lab's tenant, `GET /_lab/objects` (each a list of objects, plus `_lab`
/// with the relations).
pub fn lab_objects(lab: &Lab) -> serde_json::Value {
    lab_control(lab, Method::GET, "objects", None)
}

/// The lab's relations: the `_lab` member of `GET /_lab/objects` (group owners, enrollment-time
/// device membership targets, ...).
pub fn lab_relations(lab: &Lab) -> serde_json::Value {
    lab_control(lab, Method::GET, "objects", None)
        .get("_lab")
        .cloned()
        .unwrap_or(serde_json::Value::Null)
}

fn lab_control(
    lab: &Lab,
    method: Method,
    what: &str,
    body: Option<&serde_json::Value>,
) -> serde_json::Value {
    lab.control()
        .control(method, what, body)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(method: &str, path: &str) -> Request {
        serde_json::from_value(
            json!({"method": method, "path": path, "query": null, "status": 200, "duration_ms": 1}),
        )
        .expect("a valid request entry")
    }

    #[test]
    fn graph_writes_are_recognised() {
        assert!(req("POST", "/beta/deviceManagement/deviceConfigurations").is_graph_write());
        assert!(req("PATCH", "/beta/deviceManagement/deviceConfigurations/1").is_graph_write());
        assert!(req("DELETE", "/v1.0/groups/1").is_graph_write());
        assert!(req("PUT", "/beta/x").is_graph_write());
        assert!(!req("GET", "/beta/deviceManagement/deviceConfigurations").is_graph_write());
        assert!(!req("POST", "/tenant/oauth2/v2.0/token").is_graph_write());
        assert!(!req("DELETE", "/_lab/requests").is_graph_write());
    }

    #[test]
    fn request_entries_tolerate_missing_fields() {
        let r: Request =
            serde_json::from_value(json!({"method": "GET", "path": "/beta/x", "query": "a=b"}))
                .expect("minimal entry");
        assert_eq!(r.to_string(), "GET /beta/x?a=b -> 0");
    }
}
