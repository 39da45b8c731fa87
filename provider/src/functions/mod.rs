//! Provider-defined functions (Terraform 1.8 and later), called as
//! `provider::autopilot::<name>(...)`. Each is pure: no Graph call, the same
//! answer for the same arguments, and the same rules as the resource that
//! takes its output (the CSV rules of `autopilot_device_csv`, the rule
//! checks of `autopilot_group_tag_rule`).

mod hardware_csv;
mod membership_rules;

use std::sync::Arc;

use tfplugin::Function;

pub use hardware_csv::ParseHardwareCsv;
pub use membership_rules::{GROUP_TAG_RULE, MembershipRule, PURCHASE_ORDER_RULE};

/// Every function the provider offers.
pub fn all() -> Vec<Arc<dyn Function>> {
    vec![
        Arc::new(ParseHardwareCsv),
        Arc::new(GROUP_TAG_RULE),
        Arc::new(PURCHASE_ORDER_RULE),
    ]
}
