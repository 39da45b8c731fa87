//! The `autopilot_corporate_identifier_csv` rules, each attaching its diagnostics to the
//! attribute it is about.

use tfplugin::{Attr, AttrPath, Diagnostics};

use super::CorporateIdentifierCsvModel;
use super::csv;
use crate::devices::csv::MAX_REPORTED;

/// Every rule of the configuration.
pub(super) fn config(config: &CorporateIdentifierCsvModel, diags: &mut Diagnostics) {
    let Attr::Known(content) = &config.content else {
        return;
    };
    let Err(problems) = csv::parse(content) else {
        return;
    };
    for problem in problems.iter().take(MAX_REPORTED) {
        diags.error_at(
            AttrPath::root("content"),
            format!("Invalid corporate identifier CSV: line {}", problem.line),
            problem.to_string(),
        );
    }
    if problems.len() > MAX_REPORTED {
        diags.error_at(
            AttrPath::root("content"),
            "Invalid corporate identifier CSV",
            format!(
                "... and {} more problems on other lines.",
                problems.len() - MAX_REPORTED
            ),
        );
    }
}
