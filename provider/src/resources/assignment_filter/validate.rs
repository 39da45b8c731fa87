//! The plan-time rules of `autopilot_assignment_filter`, one function per
//! rule; every diagnostic names its attribute.

use tfplugin::{AttrPath, Diagnostics};

use super::model::AssignmentFilterModel;
use crate::validate::{self, filter_rule};

/// Every rule of the configuration.
pub(super) fn validate(config: &AssignmentFilterModel, diags: &mut Diagnostics) {
    crate::resources::intune::validate_scope_tags(&config.role_scope_tag_ids, diags);
    rule_syntax(config, diags);
}

/// The rule is written in Intune's filter syntax, with the properties of
/// the filter's management type.
fn rule_syntax(config: &AssignmentFilterModel, diags: &mut Diagnostics) {
    if config.assignment_filter_management_type.is_unknown() {
        return;
    }
    let management = config.management().graph_name();
    validate::check_known(
        &config.rule,
        |rule| filter_rule::check(rule, management),
        AttrPath::root("rule"),
        format!("Invalid assignment filter rule for {management} filters"),
        diags,
    );
}
