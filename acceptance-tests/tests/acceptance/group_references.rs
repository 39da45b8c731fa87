//! Set attributes that take the ids of groups created in the same apply: every such attribute of
//! every resource holds two, three and five ids that are unknown at plan time (in cty two unknown
//! set members are never equal, so the plan must keep them all), then seeded generations mix new
//! groups' ids, duplicate references, literal ids and seeded apps in those attributes. Each
//! configuration: apply, an empty second plan, the lab holding exactly the configured targets,
//! destroy.

use std::collections::BTreeSet;

use acceptance_tests::generate::Rng;
use acceptance_tests::seeding::TIME_ZONE_SCRIPT;
use acceptance_tests::{Lab, Terraform, set_attr, string_attr};

/// Group ids the lab does not check against a directory (assignment targets only).
const LITERAL_GROUPS: [&str; 2] = [
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
];
/// Seeded mobile apps and a seeded script (lab/README.md, "Seeded objects").
const APPS: [&str; 2] = [
    "7ab1ab00-0000-4000-8000-0000000a0001",
    "7ab1ab00-0000-4000-8000-0000000a0004",
];

/// Every (resource address, set attribute) that takes group ids, and the attributes that
/// resource needs besides.
const TARGETS: [(&str, &str, &str); 7] = [
    (
        "autopilot_deployment_profile.included",
        "include_group_ids",
        "display_name = \"Entra included\"\n  join_type = \"entra\"",
    ),
    (
        "autopilot_deployment_profile.excluded",
        "exclude_group_ids",
        "display_name = \"Entra excluded\"\n  join_type = \"entra\"",
    ),
    (
        "autopilot_enrollment_status_page.included",
        "include_group_ids",
        "display_name = \"ESP included\"",
    ),
    (
        "autopilot_enrollment_status_page.excluded",
        "exclude_group_ids",
        "display_name = \"ESP excluded\"",
    ),
    (
        "autopilot_domain_join_profile.included",
        "include_group_ids",
        "display_name = \"DJ included\"\n  active_directory_domain_name = \"contoso.com\"\n  computer_name_static_prefix = \"CTS\"",
    ),
    (
        "autopilot_domain_join_profile.excluded",
        "exclude_group_ids",
        "display_name = \"DJ excluded\"\n  active_directory_domain_name = \"contoso.com\"\n  computer_name_static_prefix = \"CTX\"",
    ),
    (
        "autopilot_device_preparation_policy.included",
        "include_group_ids",
        "display_name = \"Device preparation\"\n  device_group_id = autopilot_group.devices.id",
    ),
];

/// `n` new groups `g0`..; and the device preparation policy's device group.
fn groups(n: usize) -> String {
    let mut out = String::from(
        "resource \"autopilot_group\" \"devices\" {\n  display_name = \"Prep devices\"\n  provisioning_client_owner = true\n}\n",
    );
    for i in 0..n {
        out.push_str(&format!(
            "resource \"autopilot_group\" \"g{i}\" {{\n  display_name = \"Reference group {i}\"\n}}\n"
        ));
    }
    out
}

/// One resource per target whose attribute is `expressions` (HCL list elements).
fn targets(expressions: &[Vec<String>]) -> String {
    TARGETS
        .iter()
        .zip(expressions)
        .map(|((address, attribute, rest), items)| {
            let (kind, name) = address.split_once('.').unwrap_or((address, "x"));
            format!(
                "resource \"{kind}\" \"{name}\" {{\n  {rest}\n  {attribute} = [{}]\n}}\n",
                items.join(", ")
            )
        })
        .collect()
}

/// Applies `hcl`, checks the empty second plan, compares every target's attribute with the
/// ids `expected` resolves to in the state, and destroys.
fn converge(lab: &Lab, hcl: &str, expected: &[Vec<String>]) {
    let tf = Terraform::new(lab);
    tf.write_config(hcl);
    tf.apply();
    tf.assert_no_changes();
    let state = tf.show_json();
    let resources = state
        .pointer("/values/root_module/resources")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let values = |address: &str| {
        resources
            .iter()
            .find(|r| r["address"] == address)
            .map(|r| r["values"].clone())
            .unwrap_or_else(|| panic!("{address} is not in the state\n{hcl}"))
    };
    for ((address, attribute, _), items) in TARGETS.iter().zip(expected) {
        let want: BTreeSet<String> = items
            .iter()
            .map(|item| match item.strip_suffix(".id") {
                Some(group) => string_attr(&values(group), "id"),
                None => item.trim_matches('"').to_string(),
            })
            .collect();
        assert_eq!(
            set_attr(&values(address), attribute),
            want,
            "{address}.{attribute}\n{hcl}"
        );
    }
    tf.destroy();
}

#[test]
fn two_three_and_five_new_groups_in_every_set_attribute() {
    let lab = Lab::start();
    for n in [2, 3, 5] {
        let references: Vec<String> = (0..n).map(|i| format!("autopilot_group.g{i}.id")).collect();
        let expected = vec![references; TARGETS.len()];
        let hcl = format!("{}{}", groups(n), targets(&expected));
        converge(&lab, &hcl, &expected);
    }
}

#[test]
fn generated_mixes_of_new_and_known_ids() {
    let lab = Lab::start();
    let seeds = std::env::var("CONFORMANCE_SEEDS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(2);
    for seed in 1..=seeds {
        let mut rng = Rng::new(seed);
        let n = 1 + rng.below(4);
        let expected: Vec<Vec<String>> = TARGETS
            .iter()
            .map(|_| {
                let mut items: Vec<String> = Vec::new();
                for _ in 0..1 + rng.below(5) {
                    let item = match rng.below(10) {
                        0..=5 => format!("autopilot_group.g{}.id", rng.below(n)),
                        6 if !items.is_empty() => rng.pick(&items).clone(),
                        _ => format!("\"{}\"", rng.pick(&LITERAL_GROUPS)),
                    };
                    items.push(item);
                }
                items
            })
            .collect();
        let mut hcl = format!("# seed {seed}\n{}{}", groups(n), targets(&expected));
        if rng.chance(50) {
            hcl = hcl.replace(
                "display_name = \"ESP included\"",
                &format!(
                    "display_name = \"ESP included\"\n  selected_mobile_app_ids = [\"{}\", \"{}\", \"{}\"]",
                    APPS[0], APPS[1], APPS[0]
                ),
            );
        }
        if rng.chance(50) {
            hcl = hcl.replace(
                "display_name = \"Device preparation\"",
                &format!(
                    "display_name = \"Device preparation\"\n  allowed_app_ids = [\"{}\"]\n  allowed_script_ids = [\"{TIME_ZONE_SCRIPT}\", \"{TIME_ZONE_SCRIPT}\"]",
                    APPS[1]
                ),
            );
        }
        converge(&lab, &hcl, &expected);
    }
}
