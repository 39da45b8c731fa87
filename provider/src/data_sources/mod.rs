//! One module per data source type, plus what several of them share.

pub mod assignment_filter;
pub mod configuration_file;
pub mod deployment_profile;
pub mod devices;
pub mod enrollment_status_page;
pub mod group;
pub mod group_tag_rule;
pub mod lookup;
pub mod mobile_app;
pub mod platform_script;
pub mod provisioning_client;
pub mod scope_tag;

use tfplugin::{Attr, AttrPath, Diagnostics};

use crate::graph::GraphClient;
use crate::resources::assignments::Assignment;
use crate::resources::intune::{IntunePayload, Kind, find_with_assignments};

/// Checks that exactly one of the lookup attributes is set (a value or an
/// unknown); the diagnostic names each of them.
pub fn exactly_one(choices: &[(&str, bool)], what: &str, diags: &mut Diagnostics) {
    let set: Vec<&str> = choices
        .iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| *name)
        .collect();
    let names = choices
        .iter()
        .map(|(n, _)| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match set.as_slice() {
        [_] => {}
        [] => {
            for (name, _) in choices {
                diags.error_at(
                    AttrPath::root(*name),
                    format!("No way to find the {what}"),
                    format!("Set exactly one of {names}."),
                );
            }
        }
        several => {
            for name in several {
                diags.error_at(
                    AttrPath::root(*name),
                    format!("Several ways to find the {what}"),
                    format!(
                        "Set exactly one of {names}; {} are set.",
                        several.join(" and ")
                    ),
                );
            }
        }
    }
}

/// What a lookup says when it does not find exactly one object.
pub(crate) struct NotOne {
    /// The attribute the lookup went by, where the error points.
    pub(crate) by: &'static str,
    /// The summary when nothing matches.
    pub(crate) none_summary: String,
    /// The detail when nothing matches.
    pub(crate) none_detail: String,
    /// The summary when several match.
    pub(crate) several_summary: String,
    /// What the several are, after their count: `profiles are named "AP"`.
    pub(crate) several_are: String,
}

/// The id of the one object of `matching` (the ids of the objects the
/// lookup selected); none or several is an error, the latter naming their
/// ids.
pub(crate) fn the_one_id(
    matching: &[&Option<String>],
    not_one: NotOne,
    diags: &mut Diagnostics,
) -> Option<String> {
    match matching {
        [one] => (*one).clone(),
        [] => {
            diags.error_at(
                AttrPath::root(not_one.by),
                not_one.none_summary,
                not_one.none_detail,
            );
            None
        }
        several => {
            let ids: Vec<&str> = several.iter().filter_map(|id| id.as_deref()).collect();
            diags.error_at(
                AttrPath::root(not_one.by),
                not_one.several_summary,
                format!(
                    "{} {} (ids {}); look one up by `id` instead.",
                    several.len(),
                    not_one.several_are,
                    ids.join(", ")
                ),
            );
            None
        }
    }
}

/// Reads the Intune object `id` of `kind` with its assignments, as a data
/// source does: an id that does not exist is an error ("No {kind} has this
/// id"), as is a failed read.
pub(crate) async fn read_intune_object<P: IntunePayload>(
    client: &GraphClient,
    kind: &Kind,
    id: &str,
    diags: &mut Diagnostics,
) -> Option<(P, Vec<Assignment>)> {
    match find_with_assignments::<P>(client, kind.collection, id).await {
        Ok(Some(found)) => Some(found),
        Ok(None) => {
            diags.error_at(
                AttrPath::root("id"),
                format!("No {} has this id", kind.noun),
                format!("No {} with id {id:?} exists in the tenant.", kind.listed_as),
            );
            None
        }
        Err(e) => {
            e.report(diags, &format!("read {}", kind.the()));
            None
        }
    }
}

/// Whether a lookup attribute is given (known or not yet known).
pub fn given<T>(attr: &Attr<T>) -> bool {
    !attr.is_null()
}
