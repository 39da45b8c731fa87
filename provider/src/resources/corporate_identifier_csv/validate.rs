//! The `autopilot_corporate_identifier_csv` rules, each attaching its diagnostics to the
//! attribute it is about.

use tfplugin::{Attr, Diagnostics};

use super::CorporateIdentifierCsvModel;
use super::csv;
use crate::devices::csv::report_problems;

/// Every rule of the configuration: the CSV's lines (its problems, by line, at `content`).
pub(super) fn config(config: &CorporateIdentifierCsvModel, diags: &mut Diagnostics) {
    if let Attr::Known(content) = &config.content
        && let Err(problems) = csv::parse(content)
    {
        report_problems(&problems, "Invalid corporate identifier CSV", diags);
    }
}
