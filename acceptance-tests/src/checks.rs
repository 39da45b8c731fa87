//! Checks the resource tests share: a resource's values in the state, an object's properties, the
//! assignment targets the lab holds, the one object a collection should hold, and a configuration
//! refused at plan time without a write; what a diagnostic says, and data sources read without a
//! write.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{Lab, Terraform, assert_no_writes};

/// The values of the resource at `addr` in the state; panics naming what the state holds.
#[track_caller]
pub fn state_values(tf: &Terraform, addr: &str) -> Value {
    tf.resource_values(addr).unwrap_or_else(|| {
        panic!(
            "{addr} is not in the state:\n{}",
            tf.state_addresses().join("\n")
        )
    })
}

/// Asserts that `text` (a file a test reads, a command's output) contains `needle`; the failure
/// shows the text.
#[track_caller]
pub fn assert_text_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "{needle:?} is missing from:\n{text}");
}

/// Asserts each `(property, value)` of `expected` on a Graph object.
#[track_caller]
pub fn assert_props(object: &Value, expected: &[(&str, Value)]) {
    for (name, value) in expected {
        assert_eq!(&object[*name], value, "property {name} of {object:#}");
    }
}

/// The recorded bodies of the requests with this method and path (when the lab records bodies:
/// the `record_request_bodies` setting).
pub fn request_bodies(lab: &Lab, method: &str, path: &str) -> Vec<Value> {
    lab.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == path)
        .filter_map(|r| r.body)
        .collect()
}

/// The ids the lab relates to `key` in one of its relations (`groupOwners`, `groupMembers`, as
/// `GET /_lab/objects` shows them: not subject to replication delay).
pub fn related_ids(lab: &Lab, relation: &str, key: &str) -> BTreeSet<String> {
    crate::lab_relations(lab)[relation][key]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The `value` array of a Graph list answer (`GET <path>`), empty when absent.
pub fn graph_list(lab: &Lab, path: &str) -> Vec<Value> {
    lab.graph_get(path)["value"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The targets of the assignments listed at `path` (e.g. `<collection>/<id>/assignments`), as
/// `include <group>`, `exclude <group>`, `all devices` or `all users`.
pub fn assignment_targets(lab: &Lab, path: &str) -> BTreeSet<String> {
    graph_list(lab, path)
        .iter()
        .map(|a| {
            let target = &a["target"];
            let group = target["groupId"].as_str().unwrap_or_default();
            match target["@odata.type"].as_str().unwrap_or_default() {
                "#microsoft.graph.groupAssignmentTarget" => format!("include {group}"),
                "#microsoft.graph.exclusionGroupAssignmentTarget" => format!("exclude {group}"),
                "#microsoft.graph.allDevicesAssignmentTarget" => "all devices".to_string(),
                "#microsoft.graph.allLicensedUsersAssignmentTarget" => "all users".to_string(),
                _ => format!("unexpected {target}"),
            }
        })
        .collect()
}

/// The targets [`assignment_targets`] should read: groups included and excluded, and whether
/// the object is assigned to all devices.
pub fn targets(include: &[&str], exclude: &[&str], all_devices: bool) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = include.iter().map(|g| format!("include {g}")).collect();
    set.extend(exclude.iter().map(|g| format!("exclude {g}")));
    if all_devices {
        set.insert("all devices".to_string());
    }
    set
}

/// The one object Graph lists at `path` (e.g. `deviceManagement/deviceConfigurations`); panics
/// unless there is exactly one and, when `odata_type` is given, it is of that type.
#[track_caller]
pub fn the_only(lab: &Lab, path: &str, odata_type: Option<&str>) -> Value {
    let all = graph_list(lab, path);
    let of_type = |o: &Value| odata_type.is_none_or(|t| o["@odata.type"] == t);
    assert!(
        all.len() == 1 && all.iter().all(of_type),
        "expected exactly one object at {path}{}; Graph lists {all:#?}",
        odata_type.map(|t| format!(", a {t}")).unwrap_or_default()
    );
    all[0].clone()
}

/// What a plan-time refusal must say: it names one of `attributes`, and for each group of
/// `rule_words` it says one of the group's words (compared without case).
#[derive(Debug, Clone, Copy)]
pub struct RejectedAt<'a> {
    pub attributes: &'a [&'a str],
    pub rule_words: &'a [&'a [&'a str]],
}

/// Plans `hcl` in a new working directory against `lab` and asserts that the plan fails with a
/// diagnostic as `rejected` describes, that the provider did not panic and that nothing was
/// written to the tenant. Returns the plan's output for further checks.
#[track_caller]
pub fn assert_rejected_at_plan(lab: &Lab, hcl: &str, rejected: RejectedAt<'_>) -> crate::TfOutput {
    let tf = Terraform::new(lab);
    tf.write_config(hcl);
    lab.clear_requests();
    let out = tf.plan().expect_code(1);
    out.assert_contains("Error").assert_not_contains("panic");
    let attributes = rejected.attributes;
    assert!(
        attributes.iter().any(|a| out.text().contains(a)),
        "the error should name {attributes:?}\n{out}"
    );
    let said = out.diagnostics().to_lowercase();
    for group in rejected.rule_words {
        assert!(
            group.iter().any(|w| said.contains(&w.to_lowercase())),
            "the error should state the rule (one of {group:?})\n{out}"
        );
    }
    assert_no_writes(lab, "a plan of an invalid configuration");
    out
}

/// [`assert_rejected_at_plan`] on a new lab, for a refusal that names `attribute` and says every
/// one of `words`.
#[track_caller]
pub fn assert_rejected(hcl: &str, attribute: &str, words: &[&str]) {
    let groups: Vec<[&str; 1]> = words.iter().map(|w| [*w]).collect();
    let rule_words: Vec<&[&str]> = groups.iter().map(|g| &g[..]).collect();
    assert_rejected_at_plan(
        &Lab::start(),
        hcl,
        RejectedAt {
            attributes: &[attribute],
            rule_words: &rule_words,
        },
    );
}

/// This provider's part of `terraform providers schema -json`, read through the Terraform under
/// test in a new working directory against `lab`.
#[track_caller]
pub fn provider_schema_json(lab: &Lab) -> Value {
    let tf = Terraform::new(lab);
    tf.write_config("");
    tf.run(&["init", "-no-color"]).success();
    let out = tf.run(&["providers", "schema", "-json"]).success();
    let schema: Value = serde_json::from_str(&out.stdout).expect("JSON schema");
    schema["provider_schemas"]
        .as_object()
        .and_then(|p| p.values().next())
        .cloned()
        .expect("one provider")
}

/// Asserts that the diagnostics of `out` say each of `words`; the failure names the first one
/// missing and shows the output.
#[track_caller]
pub fn assert_said(out: &crate::TfOutput, words: &[&str]) {
    let said = out.diagnostics();
    for word in words {
        assert!(
            said.contains(word),
            "the diagnostics should say {word:?}\n{out}"
        );
    }
}

/// Applies `hcl` (data sources and the outputs that show them) in a new working directory
/// against `lab`, and asserts that reading them wrote nothing to the tenant. Returns the working
/// directory and its outputs (`terraform output -json`).
#[track_caller]
pub fn read_outputs(lab: &Lab, hcl: &str) -> (Terraform, Value) {
    let tf = Terraform::configured(lab, hcl);
    lab.clear_requests();
    tf.apply();
    assert_no_writes(lab, "reading data sources");
    let outputs = tf.output_json();
    (tf, outputs)
}

/// [`provider_schema_json`] read against a new lab, when the Terraform under test is at least
/// `major.minor`, which `feature` needs; else `None` (see [`Lab::start_if_terraform_at_least`]).
#[track_caller]
pub fn provider_schema_if_terraform_at_least(
    major: u32,
    minor: u32,
    feature: &str,
) -> Option<Value> {
    Lab::start_if_terraform_at_least(major, minor, feature).map(|lab| provider_schema_json(&lab))
}
