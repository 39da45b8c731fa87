//! The `autopilot_device_csv` rules: one function per rule, each attaching
//! its diagnostics to the attribute it is about.

use tfplugin::{Attr, AttrPath, Diagnostics};

use super::DeviceCsvModel;
use crate::devices::csv::{self, Row};

/// Every rule of the configuration.
pub(super) fn config(config: &DeviceCsvModel, diags: &mut Diagnostics) {
    if let Attr::Known(content) = &config.content {
        match csv::parse(content) {
            Err(problems) => csv::report_problems(&problems, "Invalid hardware hash CSV", diags),
            Ok(rows) => group_tag_overrides(&config.group_tag, &rows, diags),
        }
    }
    group_tag_not_blank(&config.group_tag, diags);
    crate::validate::teardown_opt_ins(
        &config.destroy_enrolled,
        &config.destroy_entra_device,
        diags,
    );
}

/// A warning when `group_tag` replaces another tag the CSV gives.
fn group_tag_overrides(group_tag: &Attr<String>, rows: &[Row], diags: &mut Diagnostics) {
    let Attr::Known(tag) = group_tag else { return };
    let overridden: Vec<String> = rows
        .iter()
        .filter(|r| r.group_tag.as_ref().is_some_and(|t| t != tag))
        .map(|r| r.line.to_string())
        .collect();
    if !overridden.is_empty() {
        diags.warning_at(
            AttrPath::root("group_tag"),
            "`group_tag` replaces the CSV's Group Tag column",
            format!(
                "Every device gets the group tag {tag:?}, although the CSV gives another one on line(s) {}.",
                overridden.iter().take(20).cloned().collect::<Vec<_>>().join(", ")
            ),
        );
    }
}

/// A set `group_tag` is not blank (unset means the CSV's column).
fn group_tag_not_blank(group_tag: &Attr<String>, diags: &mut Diagnostics) {
    if let Attr::Known(tag) = group_tag
        && tag.trim().is_empty()
    {
        diags.error_at(
            AttrPath::root("group_tag"),
            "Empty group tag",
            "Leave `group_tag` unset to use the CSV's Group Tag column.",
        );
    }
}
