//! List resources and `terraform query` (Terraform 1.14 and later) through the real
//! `terraform` against the tenant `export.rs` seeds: the schema Terraform reads, each filter
//! returning the right objects, bad filter values refused with the attribute named and nothing
//! written, and the agreement of the two ways to generate configuration for a whole tenant:
//! `terraform query -generate-config-out` and our `export` name the same objects, and both
//! plan empty after the import. Older Terraform has no `query`: these tests say so and check
//! nothing there (the rest of the suite shows 1.0.3 works with a provider that declares them).

use std::collections::BTreeSet;

use acceptance_tests::checks::provider_schema_if_terraform_at_least;
use acceptance_tests::devices::hardware_hash;
use acceptance_tests::terraform::{PROVIDER_HCL, TfOutput};
use acceptance_tests::{Lab, Terraform, assert_no_writes};
use serde_json::Value;

use crate::export::{Tenant, assert_no_writes_besides_target_queries, export, seed, succeeded};

const FEATURE: &str = "list resources and terraform query";

/// Every list resource, every object with its state.
const WHOLE_TENANT: &str = r#"
list "autopilot_group" "groups" {
  provider         = autopilot
  include_resource = true
}
list "autopilot_deployment_profile" "profiles" {
  provider         = autopilot
  include_resource = true
}
list "autopilot_enrollment_status_page" "esps" {
  provider         = autopilot
  include_resource = true
}
list "autopilot_domain_join_profile" "domain_joins" {
  provider         = autopilot
  include_resource = true
}
list "autopilot_device_preparation_policy" "policies" {
  provider         = autopilot
  include_resource = true
}
list "autopilot_device" "devices" {
  provider         = autopilot
  include_resource = true
}
"#;

/// A working directory holding the provider block and `query` as its `.tfquery.hcl` file.
fn query_dir(lab: &Lab, query: &str) -> Terraform {
    let tf = Terraform::new(lab);
    tf.write_main(PROVIDER_HCL);
    std::fs::write(tf.dir().join("tenant.tfquery.hcl"), query).expect("write tenant.tfquery.hcl");
    tf.run(&["init", "-no-color"]).success();
    tf
}

/// The display names `terraform query` printed for the list block `list.<type>.<name>`.
fn listed(out: &TfOutput, block: &str) -> BTreeSet<String> {
    let prefix = format!("list.{block} ");
    out.stdout
        .lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter_map(|rest| {
            let fields: Vec<&str> = rest.trim().splitn(2, "   ").collect();
            fields.get(1).map(|name| name.trim().to_string())
        })
        .collect()
}

fn names(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_schema_declares_a_list_resource_for_every_type_with_an_identity() {
    let Some(provider) = provider_schema_if_terraform_at_least(1, 14, FEATURE) else {
        return;
    };
    let lists = &provider["list_resource_schemas"];
    for (list, filters) in [
        ("autopilot_group", &["display_name_contains"][..]),
        (
            "autopilot_assignment_filter",
            &["display_name_contains"][..],
        ),
        (
            "autopilot_deployment_profile",
            &["display_name_contains", "join_type", "assigned_group_id"],
        ),
        (
            "autopilot_enrollment_status_page",
            &["display_name_contains", "assigned_group_id"],
        ),
        (
            "autopilot_domain_join_profile",
            &["display_name_contains", "assigned_group_id"],
        ),
        (
            "autopilot_device_preparation_policy",
            &["display_name_contains", "assigned_group_id"],
        ),
        (
            "autopilot_device",
            &["display_name_contains", "group_tag", "enrollment_state"],
        ),
    ] {
        let attributes = &lists[list]["block"]["attributes"];
        for filter in filters {
            assert_eq!(
                attributes[filter]["optional"],
                Value::Bool(true),
                "{list}.{filter}: {lists}"
            );
        }
    }
    assert!(
        lists.get("autopilot_device_csv").is_none(),
        "the CSV has no identity, so no list resource: {lists}"
    );
}

/// Each filter, in a query of its own list block, keeps exactly the seeded objects it names.
#[test]
fn each_filter_returns_the_objects_it_names() {
    let Some(lab) = Lab::start_if_terraform_at_least(1, 14, FEATURE) else {
        return;
    };
    let t = seed(&lab);
    let query = format!(
        r#"
list "autopilot_group" "autopilot_named" {{
  provider = autopilot
  config {{
    display_name_contains = "AUTOPILOT"
  }}
}}
list "autopilot_deployment_profile" "hybrid" {{
  provider = autopilot
  config {{
    join_type = "hybrid"
  }}
}}
list "autopilot_deployment_profile" "for_sales" {{
  provider = autopilot
  config {{
    assigned_group_id = "{sales}"
  }}
}}
list "autopilot_enrollment_status_page" "for_sales" {{
  provider = autopilot
  config {{
    assigned_group_id = "{sales}"
  }}
}}
list "autopilot_enrollment_status_page" "for_all" {{
  provider = autopilot
  config {{
    assigned_group_id = "{all}"
  }}
}}
list "autopilot_domain_join_profile" "for_all" {{
  provider = autopilot
  config {{
    assigned_group_id = "{all}"
  }}
}}
list "autopilot_device_preparation_policy" "prep" {{
  provider = autopilot
  config {{
    display_name_contains = "prep"
  }}
}}
list "autopilot_device" "sales" {{
  provider = autopilot
  config {{
    group_tag = "sales"
  }}
}}
list "autopilot_device" "not_contacted" {{
  provider = autopilot
  config {{
    enrollment_state = "notContacted"
  }}
}}
list "autopilot_device" "enrolled" {{
  provider = autopilot
  config {{
    enrollment_state = "enrolled"
  }}
}}
list "autopilot_device" "by_serial" {{
  provider = autopilot
  limit    = 1
  config {{
    display_name_contains = "pf-77"
  }}
}}
"#,
        sales = t.sales_group,
        all = t.all_group,
    );
    let tf = query_dir(&lab, &query);
    lab.clear_requests();
    let out = tf.run(&["query", "-no-color"]).success();
    assert_no_writes(&lab, "terraform query");
    for (block, expected) in [
        (
            "autopilot_group.autopilot_named",
            &["Autopilot Users", "All Autopilot Devices"][..],
        ),
        ("autopilot_deployment_profile.hybrid", &["Hybrid Everyone"]),
        ("autopilot_deployment_profile.for_sales", &["Entra Sales"]),
        ("autopilot_enrollment_status_page.for_sales", &["Sales ESP"]),
        ("autopilot_enrollment_status_page.for_all", &[]),
        (
            "autopilot_domain_join_profile.for_all",
            &["Contoso Domain Join"],
        ),
        (
            "autopilot_device_preparation_policy.prep",
            &["Device Prep Sales"],
        ),
        ("autopilot_device.sales", &["5CG1234ABC"]),
        ("autopilot_device.not_contacted", &["5CG1234ABC", "PF-77 X"]),
        ("autopilot_device.enrolled", &[]),
        ("autopilot_device.by_serial", &["PF-77 X"]),
    ] {
        assert_eq!(listed(&out, block), names(expected), "{block}\n{out}");
    }
}

/// Filter values the provider does not know fail the query before any listing, each naming
/// its attribute, and nothing is written.
#[test]
fn bad_filter_values_are_refused_with_the_attribute_named() {
    let Some(lab) = Lab::start_if_terraform_at_least(1, 14, FEATURE) else {
        return;
    };
    for (list, filter, value, message) in [
        (
            "autopilot_deployment_profile",
            "join_type",
            "azure",
            "join_type",
        ),
        (
            "autopilot_device",
            "enrollment_state",
            "gone",
            "enrollment_state",
        ),
        (
            "autopilot_enrollment_status_page",
            "assigned_group_id",
            "sales",
            "is not an object id",
        ),
        (
            "autopilot_group",
            "display_name_contains",
            "",
            "display_name_contains",
        ),
    ] {
        let query = format!(
            "list \"{list}\" \"bad\" {{\n  provider = autopilot\n  config {{\n    {filter} = \"{value}\"\n  }}\n}}\n"
        );
        let tf = query_dir(&lab, &query);
        lab.clear_requests();
        let out = tf.run(&["query", "-no-color"]).expect_failure();
        out.assert_contains(message);
        out.assert_contains(filter);
        assert_no_writes(&lab, &format!("a query with {filter} = {value:?}"));
    }
}

/// Replaces each generated device's empty `hardware_hash` (Graph never returns hashes) with
/// the device's hash, as a user who holds the hashes would.
fn fill_in_hashes(generated: &str, devices: &[(String, String)]) -> String {
    let mut blocks: Vec<String> = generated.split("\nresource ").map(str::to_string).collect();
    for block in &mut blocks {
        let Some((index, _)) = devices.iter().enumerate().find(|(_, (serial, _))| {
            block.starts_with("\"autopilot_device\"")
                && block.contains(&format!("serial_number = \"{serial}\""))
        }) else {
            continue;
        };
        let hash = hardware_hash(index as u64 + 1, 64);
        *block = block
            .lines()
            .map(|line| {
                if line.trim_start().starts_with("hardware_hash") {
                    format!("  hardware_hash = \"{hash}\"")
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
    }
    blocks.join("\nresource ")
}

/// The (type, id) of every managed resource in the working directory's state (the export
/// also reads data sources: the default ESP, the Provisioning Client).
fn objects_in_state(tf: &Terraform) -> BTreeSet<(String, String)> {
    let show = tf.show_json();
    show.pointer("/values/root_module/resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|r| r.get("mode").and_then(Value::as_str) == Some("managed"))
        .filter_map(|r| {
            Some((
                r.get("type")?.as_str()?.to_string(),
                r.pointer("/values/id")?.as_str()?.to_ascii_lowercase(),
            ))
        })
        .collect()
}

/// Imports what the working directory's import blocks name, then requires an empty plan.
#[track_caller]
fn import_and_plan_empty(tf: &Terraform, what: &str) {
    let apply = tf
        .run(&["apply", "-no-color", "-input=false", "-auto-approve"])
        .success();
    assert!(
        apply
            .stdout
            .contains(" imported, 0 added, 0 changed, 0 destroyed"),
        "{what}: the apply should only import\n{apply}"
    );
    tf.assert_no_changes();
}

/// THE AGREEMENT: for the same tenant, `terraform query -generate-config-out` and `export
/// --import-blocks` write configuration that imports the same objects and plans empty.
#[test]
fn query_and_export_generate_configuration_for_the_same_objects_that_plans_empty() {
    let Some(lab) = Lab::start_if_terraform_at_least(1, 14, FEATURE) else {
        return;
    };
    let t: Tenant = seed(&lab);
    // `export` writes the tenant's Autopilot groups and those its objects reference; a
    // group list lists every group `autopilot_group` can manage. Finance Team is neither
    // Autopilot's nor referenced: without it the two select the same groups.
    lab.graph_delete(&format!("groups/{}", t.finance_group));

    let queried = query_dir(&lab, WHOLE_TENANT);
    lab.clear_requests();
    queried
        .run(&["query", "-no-color", "-generate-config-out=generated.tf"])
        .success();
    // Reading a device preparation policy POSTs its enrollment-time target query (a read).
    assert_no_writes_besides_target_queries(&lab, "terraform query -generate-config-out");
    let path = queried.dir().join("generated.tf");
    let generated = std::fs::read_to_string(&path).expect("generated.tf written");
    std::fs::write(&path, fill_in_hashes(&generated, &t.devices)).expect("rewrite generated.tf");
    import_and_plan_empty(&queried, "query");

    let exported = Terraform::new(&lab);
    succeeded(export(&lab, exported.dir(), &["--import-blocks"]));
    exported.run(&["init", "-no-color"]).success();
    import_and_plan_empty(&exported, "export");

    let by_query = objects_in_state(&queried);
    let by_export = objects_in_state(&exported);
    assert_eq!(
        by_query,
        by_export,
        "query and export name other objects: only the query's {:?}, only the export's {:?}",
        by_query.difference(&by_export).collect::<Vec<_>>(),
        by_export.difference(&by_query).collect::<Vec<_>>()
    );
    assert_eq!(by_query.len(), 12, "{by_query:?}");
}
