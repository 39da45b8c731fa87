//! The "API Permissions" section of each resource and data source page and the provider-wide
//! permission sets of `index.md` and the getting started guide, all rendered from the
//! provider's table (`terraform_provider_autopilot::graph::permissions`), the one the 403
//! diagnostics name permissions from.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::{Result, bail};
use terraform_provider_autopilot::graph::permissions::{
    self as table, apply_permissions, calls_of, opt_in_permissions, read_permissions,
    required_permission, without_implied,
};

use super::Catalog;

/// The table's key of a page: the type name, `@data` appended for a data source.
pub(super) fn key(type_name: &str, data_source: bool) -> String {
    if data_source {
        format!("{type_name}@data")
    } else {
        type_name.to_string()
    }
}

/// Fails when a type the provider serves has no entry in the table, or the table has one the
/// provider does not serve.
pub(super) fn check_complete(catalog: &Catalog) -> Result<()> {
    let served: BTreeSet<String> = catalog
        .resources
        .iter()
        .map(|e| key(&e.type_name, false))
        .chain(catalog.data_sources.iter().map(|e| key(&e.type_name, true)))
        .chain(
            catalog
                .actions
                .iter()
                .map(|e| format!("{}@action", e.type_name)),
        )
        .collect();
    let listed: BTreeSet<String> = table::TYPES
        .iter()
        .map(|t| t.type_name.to_string())
        .collect();
    let missing: Vec<&String> = served.difference(&listed).collect();
    let stray: Vec<&String> = listed.difference(&served).collect();
    if !missing.is_empty() || !stray.is_empty() {
        bail!(
            "provider/src/graph/permissions.rs TYPES does not match what the provider serves: missing {missing:?}, not served {stray:?}"
        );
    }
    Ok(())
}

fn list(set: &BTreeSet<&str>) -> String {
    if set.is_empty() {
        return "none".to_string();
    }
    set.iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A resource's or data source's "## API Permissions" section.
pub(super) fn section(type_name: &str, data_source: bool) -> String {
    let role = if data_source {
        Role::DataSource
    } else {
        Role::Resource
    };
    section_of(&key(type_name, data_source), role)
}

/// An action's "## API Permissions" section (its table key is `<type>@action`).
pub(super) fn action_section(type_name: &str) -> String {
    section_of(&format!("{type_name}@action"), Role::Action)
}

/// What kind of type a permissions section is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Resource,
    DataSource,
    Action,
}

fn section_of(key: &str, role: Role) -> String {
    let Some(calls) = calls_of(key) else {
        return String::new();
    };
    let mut out = String::from("## API Permissions\n\n");
    if calls.calls.is_empty() {
        out.push_str(
            "This data source computes its result in the provider and calls no Microsoft Graph API: it needs no permission.\n",
        );
        return out;
    }
    out.push_str(
        "The Microsoft Graph **application** permissions (with admin consent) this type's calls need; a call refused with 403 names the same permission.\n\n",
    );
    let reads = read_permissions(key);
    match role {
        Role::DataSource => {
            let _ = writeln!(out, "- Read: {}", list(&reads));
        }
        Role::Resource => {
            let _ = writeln!(out, "- Plan, refresh and import: {}", list(&reads));
            let _ = writeln!(
                out,
                "- Apply (its reads included): {}",
                list(&apply_permissions(key))
            );
            for (attribute, needs) in opt_in_permissions(key) {
                let _ = writeln!(
                    out,
                    "- Only with `{attribute} = true`, besides: {}",
                    list(&needs)
                );
            }
        }
        Role::Action => {
            let _ = writeln!(out, "- Invoke: {}", list(&apply_permissions(key)));
        }
    }
    for also in calls.also {
        let _ = writeln!(out, "- `{}`: {}", also.permission, also.why);
    }
    out.push_str("\n| call | permission | when |\n|---|---|---|\n");
    for call in calls.calls {
        let _ = writeln!(
            out,
            "| `{} {}` | `{}` | {} |",
            call.method,
            call.path,
            required_permission(call.method, call.path),
            call.when
        );
    }
    out
}

/// The union over every type of `per_type`, `.Read.All` left out where `.ReadWrite.All` is in.
fn union(per_type: fn(&str) -> BTreeSet<&'static str>) -> BTreeSet<&'static str> {
    let all = table::TYPES
        .iter()
        .flat_map(|t| per_type(t.type_name))
        .collect();
    without_implied(&all)
}

/// `{{ permissions_read_only }}`: the read-only set for the whole provider, as a list.
pub(super) fn read_only_list() -> String {
    bullet_list(&union(read_permissions))
}

/// `{{ permissions_apply }}`: the apply set for the whole provider, as a list.
pub(super) fn apply_list() -> String {
    bullet_list(&union(apply_permissions))
}

/// `{{ permissions_apply_words }}`: the apply set, space-separated, for a shell variable.
pub(super) fn apply_words() -> String {
    union(apply_permissions)
        .into_iter()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `{{ permissions_read_only_words }}`: the read-only set, space-separated.
pub(super) fn read_only_words() -> String {
    union(read_permissions)
        .into_iter()
        .collect::<Vec<_>>()
        .join(" ")
}

fn bullet_list(set: &BTreeSet<&str>) -> String {
    set.iter().map(|p| format!("- `{p}`\n")).collect()
}

/// `{{ permissions_table }}`: one row per resource and data source.
pub(super) fn table(catalog: &Catalog) -> String {
    let mut out = String::from("| type | plan, refresh, import | apply |\n|---|---|---|\n");
    let rows = catalog
        .resources
        .iter()
        .map(|entry| (entry, false))
        .chain(catalog.data_sources.iter().map(|entry| (entry, true)));
    for (entry, data_source) in rows {
        let key = key(&entry.type_name, data_source);
        let (folder, label, apply) = if data_source {
            ("data-sources", " (data source)", " ".to_owned())
        } else {
            (
                "resources",
                "",
                format!(" {} ", list(&apply_permissions(&key))),
            )
        };
        let _ = writeln!(
            out,
            "| [`{}`]({folder}/{}.md#api-permissions){label} | {} |{apply}|",
            entry.type_name,
            catalog.short_name(&entry.type_name),
            list(&read_permissions(&key)),
        );
    }
    out
}
