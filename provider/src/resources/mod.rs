//! One module per resource type, plus what several of them share.

pub mod assignments;
pub mod deployment_profile;
pub mod device;
pub mod device_csv;
pub mod device_preparation_policy;
pub mod domain_join_profile;
pub mod enrollment_status_page;
pub mod group;
pub mod lints;

use std::collections::BTreeSet;

use tfplugin::{Attr, Diagnostics};

use crate::graph::GraphError;

/// Reports a Graph failure as an error diagnostic saying what was attempted.
pub fn report(diags: &mut Diagnostics, action: &str, error: &GraphError) {
    diags.error(format!("Cannot {action}"), error.to_string());
}

/// A set read from Graph, shaped like the prior value so an unset
/// attribute does not turn into an empty set (and a perpetual diff).
pub fn set_like_prior(
    prior: &Attr<BTreeSet<String>>,
    fresh: BTreeSet<String>,
) -> Attr<BTreeSet<String>> {
    if fresh.is_empty() && !matches!(prior, Attr::Known(p) if p.is_empty()) {
        Attr::Null
    } else {
        Attr::Known(fresh)
    }
}

/// A string read from Graph, shaped like the prior value: Graph often
/// answers `""` or `null` for an unset string, and either must not turn an
/// unset attribute into a perpetual diff.
pub fn string_like_prior(prior: &Attr<String>, fresh: Option<String>) -> Attr<String> {
    match fresh {
        Some(s) if !s.is_empty() => Attr::Known(s),
        _ if matches!(prior, Attr::Known(p) if p.is_empty()) => Attr::Known(String::new()),
        _ => Attr::Null,
    }
}
