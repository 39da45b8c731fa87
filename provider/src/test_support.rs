//! Helpers the unit tests of resources and data sources share (compiled
//! for tests only).

use std::collections::BTreeSet;

use tfplugin::{Diagnostics, Severity};

/// The attribute paths of the diagnostics of `severity` in `diags`, in order.
fn paths_of(diags: &Diagnostics, severity: Severity) -> Vec<String> {
    diags
        .iter()
        .filter(|d| d.severity == severity)
        .filter_map(|d| d.path.as_ref().map(ToString::to_string))
        .collect()
}

/// The attribute paths of the diagnostics of `severity` that `validate`
/// reports, in order.
pub(crate) fn reported_paths(
    severity: Severity,
    validate: impl FnOnce(&mut Diagnostics),
) -> Vec<String> {
    let mut diags = Diagnostics::new();
    validate(&mut diags);
    paths_of(&diags, severity)
}

/// The attribute paths of the errors `validate` reports, in order.
pub(crate) fn error_paths(validate: impl FnOnce(&mut Diagnostics)) -> Vec<String> {
    reported_paths(Severity::Error, validate)
}

/// A set of strings from a list.
pub(crate) fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(ToString::to_string).collect()
}
