//! Data source `autopilot_group_tag_rule`: the dynamic membership rule of
//! a device group for a set of Autopilot group tags. Pure computation; no
//! Graph call.

use std::collections::BTreeSet;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tfplugin::{Attr, AttrPath, DataSource, Diagnostics};

use crate::devices::rule::{MAX_RULE_LENGTH, check_value, membership_rule};
use crate::graph::GraphClient;

/// Builds the dynamic membership rule that puts Autopilot devices with any
/// of the given group tags (or purchase order ids) into a device group, for
/// example `(device.devicePhysicalIds -any (_ -eq "[OrderID]:SITE-A"))`.
/// With neither set, the rule matches every Autopilot device. Use it as
/// the `membership_rule` of a dynamic group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(extend("x-tf-fields" = "computed"))]
pub struct GroupTagRuleModel {
    /// The rule itself.
    pub id: Attr<String>,
    /// The group tags (the CSV's `Group Tag`, the device's `[OrderID]`).
    #[schemars(extend("x-tf" = "optional"))]
    pub group_tags: Attr<BTreeSet<String>>,
    /// Purchase order ids (the device's `[PurchaseOrderId]`).
    #[schemars(extend("x-tf" = "optional"))]
    pub purchase_order_ids: Attr<BTreeSet<String>>,
    /// The membership rule.
    pub rule: Attr<String>,
}

fn values(set: &Attr<BTreeSet<String>>) -> Vec<&str> {
    set.known()
        .map(|s| s.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

impl GroupTagRuleModel {
    fn rule(&self) -> String {
        membership_rule(values(&self.group_tags), values(&self.purchase_order_ids))
    }
}

pub struct GroupTagRule;

#[async_trait]
impl DataSource<GraphClient> for GroupTagRule {
    type Model = GroupTagRuleModel;
    const TYPE_NAME: &'static str = "autopilot_group_tag_rule";

    fn validate(&self, config: &GroupTagRuleModel, diags: &mut Diagnostics) {
        for (name, set) in [
            ("group_tags", &config.group_tags),
            ("purchase_order_ids", &config.purchase_order_ids),
        ] {
            let mut seen: BTreeSet<String> = BTreeSet::new();
            for value in values(set) {
                if let Err(reason) = check_value(value) {
                    diags.error_at(
                        AttrPath::root(name),
                        format!("Invalid value in `{name}`"),
                        reason,
                    );
                } else if !seen.insert(value.to_lowercase()) {
                    diags.warning_at(
                        AttrPath::root(name),
                        format!("Duplicate value in `{name}`"),
                        format!(
                            "{value:?} differs from another value only by case; membership rules compare without case, so one of them is enough."
                        ),
                    );
                }
            }
        }
        if !config.group_tags.is_unknown() && !config.purchase_order_ids.is_unknown() {
            let length = config.rule().chars().count();
            if length > MAX_RULE_LENGTH {
                diags.error_at(
                    AttrPath::root("group_tags"),
                    "The membership rule would be too long",
                    format!(
                        "The rule has {length} characters; Microsoft Entra ID accepts at most {MAX_RULE_LENGTH}. Use fewer tags, or several groups."
                    ),
                );
            }
        }
    }

    async fn read(
        &self,
        _client: &GraphClient,
        config: GroupTagRuleModel,
        _diags: &mut Diagnostics,
    ) -> Option<GroupTagRuleModel> {
        let rule = config.rule();
        Some(GroupTagRuleModel {
            id: Attr::Known(rule.clone()),
            rule: Attr::Known(rule),
            ..config
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(tags: &[&str]) -> GroupTagRuleModel {
        GroupTagRuleModel {
            group_tags: Attr::Known(tags.iter().map(|t| t.to_string()).collect()),
            ..Default::default()
        }
    }

    #[test]
    fn rule_for_tags() {
        assert_eq!(
            model(&["B", "A"]).rule(),
            r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:A")) -or (device.devicePhysicalIds -any (_ -eq "[OrderID]:B"))"#
        );
        assert!(model(&[]).rule().contains("[ZTDid]"));
    }

    #[test]
    fn validation() {
        let mut diags = Diagnostics::new();
        GroupTagRule.validate(&model(&["A\"B"]), &mut diags);
        assert!(diags.has_errors());
        let many: Vec<String> = (0..100).map(|i| format!("TAG-{i:03}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let mut diags = Diagnostics::new();
        GroupTagRule.validate(&model(&refs), &mut diags);
        assert!(diags.has_errors(), "100 tags exceed 3,072 characters");
        let mut diags = Diagnostics::new();
        GroupTagRule.validate(&model(&["a", "A"]), &mut diags);
        assert!(!diags.has_errors() && diags.iter().count() == 1);
    }
}
