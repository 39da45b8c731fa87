//! `group_tag_rule(group_tags)` and `purchase_order_rule(purchase_order_ids)`:
//! the dynamic membership rule of a device group for Autopilot group tags or
//! purchase order ids, checked as `autopilot_group_tag_rule` checks them.
//! Unlike the data source, an empty set is refused: a rule built from a
//! list that came out empty would otherwise put every device in the group.

use std::collections::BTreeSet;

use tfplugin::{Function, FunctionError, Parameter, Signature, Type, Value};

use crate::devices::rule::{MAX_RULE_LENGTH, check_value, membership_rule};

/// One rule function: what its values are and how they become a rule.
pub struct MembershipRule {
    name: &'static str,
    parameter: &'static str,
    parameter_description: &'static str,
    /// What one value is, in messages.
    what: &'static str,
    summary: &'static str,
    description: &'static str,
    /// The rule for the (checked, sorted) values.
    rule: fn(&[&str]) -> String,
}

/// `group_tag_rule(group_tags)`.
pub const GROUP_TAG_RULE: MembershipRule = MembershipRule {
    name: "group_tag_rule",
    parameter: "group_tags",
    parameter_description: "The group tags.",
    what: "group tag",
    summary: "The membership rule for Autopilot devices with any of the group tags",
    description: "Returns the dynamic membership rule that puts Autopilot devices with any of the given group tags (the CSV's `Group Tag`, the Entra device's `[OrderID]`) into a device group, e.g. `(device.devicePhysicalIds -any (_ -eq \"[OrderID]:SITE-A\"))`, for the `membership_rule` of an `autopilot_group`. The tags are sorted, so the rule does not change with their order. Refused: an empty set, empty tags, tags with spaces around them or with `\"`, two tags that differ only by case, and a rule longer than Entra ID's 3,072 characters.",
    rule: |tags| membership_rule(tags.iter().copied(), []),
};

/// `purchase_order_rule(purchase_order_ids)`.
pub const PURCHASE_ORDER_RULE: MembershipRule = MembershipRule {
    name: "purchase_order_rule",
    parameter: "purchase_order_ids",
    parameter_description: "The purchase order ids.",
    what: "purchase order id",
    summary: "The membership rule for Autopilot devices from any of the purchase orders",
    description: "Returns the dynamic membership rule that puts Autopilot devices registered with any of the given purchase order ids (the Entra device's `[PurchaseOrderId]`) into a device group, e.g. `(device.devicePhysicalIds -any (_ -eq \"[PurchaseOrderId]:PO-1\"))`. The same rules as `group_tag_rule` apply.",
    rule: |orders| membership_rule([], orders.iter().copied()),
};

/// The values of the set argument, checked one by one.
fn values(kind: &MembershipRule, arguments: &[Value]) -> Result<Vec<String>, FunctionError> {
    let Some(Value::Set(items)) = arguments.first() else {
        return Err(FunctionError::in_argument(
            0,
            format!("`{}` must be a set of strings.", kind.parameter),
        ));
    };
    let mut values = Vec::new();
    let mut seen = BTreeSet::new();
    for item in items {
        let Value::String(value) = item else {
            return Err(FunctionError::in_argument(
                0,
                format!("every {} must be a string, not null", kind.what),
            ));
        };
        check_value(value).map_err(|reason| {
            FunctionError::in_argument(0, format!("Invalid {}: {reason}", kind.what))
        })?;
        if !seen.insert(value.to_lowercase()) {
            return Err(FunctionError::in_argument(
                0,
                format!(
                    "{value:?} differs from another {} only by case; membership rules compare without case, so give one of them",
                    kind.what
                ),
            ));
        }
        values.push(value.clone());
    }
    if values.is_empty() {
        return Err(FunctionError::in_argument(
            0,
            format!(
                "`{}` is empty; a rule needs at least one {} (for every Autopilot device, use the rule `{}`)",
                kind.parameter,
                kind.what,
                crate::devices::rule::ALL_AUTOPILOT_DEVICES
            ),
        ));
    }
    Ok(values)
}

fn checked_length(rule: String) -> Result<Value, FunctionError> {
    let length = rule.chars().count();
    if length > MAX_RULE_LENGTH {
        return Err(FunctionError::in_argument(
            0,
            format!(
                "The rule would have {length} characters; Microsoft Entra ID accepts at most {MAX_RULE_LENGTH}. Use fewer values, or several groups."
            ),
        ));
    }
    Ok(Value::String(rule))
}

impl Function for MembershipRule {
    fn name(&self) -> &'static str {
        self.name
    }

    fn signature(&self) -> Signature {
        Signature {
            summary: self.summary,
            description: self.description,
            parameters: vec![Parameter::new(
                self.parameter,
                Type::set(Type::String),
                self.parameter_description,
            )],
            variadic: None,
            returns: Type::String,
        }
    }

    fn call(&self, arguments: Vec<Value>) -> Result<Value, FunctionError> {
        let values = values(self, &arguments)?;
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        checked_length((self.rule)(&values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[&str]) -> Vec<Value> {
        vec![Value::set(
            values.iter().map(|v| Value::String((*v).into())).collect(),
        )]
    }

    #[test]
    fn rules_match_the_data_source_and_ignore_order() {
        let rule = GROUP_TAG_RULE
            .call(set(&["SITE-B", "SITE-A"]))
            .expect("a rule");
        assert_eq!(
            rule,
            Value::String(membership_rule(["SITE-A", "SITE-B"], []))
        );
        let rule = PURCHASE_ORDER_RULE.call(set(&["PO-1"])).expect("a rule");
        assert_eq!(
            rule,
            Value::String(
                r#"(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:PO-1"))"#.into()
            )
        );
    }

    #[test]
    fn bad_values_are_refused_against_the_argument() {
        for (values, words) in [
            (vec![], "is empty"),
            (vec![" A"], "spaces around it"),
            (vec!["A\"B"], "cannot appear"),
            (vec!["site-a", "SITE-A"], "only by case"),
        ] {
            let error = GROUP_TAG_RULE.call(set(&values)).expect_err("refused");
            assert_eq!(error.argument, Some(0), "{values:?}");
            assert!(error.text.contains(words), "{values:?}: {}", error.text);
        }
        let many: Vec<String> = (0..100).map(|i| format!("SITE-{i:04}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let error = GROUP_TAG_RULE.call(set(&many)).expect_err("too long");
        assert!(error.text.contains("3072"), "{}", error.text);
    }
}
