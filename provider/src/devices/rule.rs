//! Dynamic membership rules for Autopilot devices ("Create device groups",
//! autopilot-rules.md): the Group Tag is the Entra device's `[OrderID]`
//! physical id, the purchase order its `[PurchaseOrderId]`.

/// Entra ID refuses membership rules longer than this.
pub const MAX_RULE_LENGTH: usize = 3_072;

/// Every Autopilot device.
pub const ALL_AUTOPILOT_DEVICES: &str =
    r#"(device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]"))"#;

/// Why a group tag (or purchase order id) cannot go into a rule.
pub fn check_value(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("it is empty".into());
    }
    if value.trim() != value {
        return Err(format!(
            "{value:?} has spaces around it; the rule would compare them too"
        ));
    }
    if let Some(c) = value.chars().find(|c| *c == '"' || c.is_control()) {
        return Err(format!(
            "{value:?} contains {c:?}, which cannot appear in a membership rule"
        ));
    }
    Ok(())
}

fn physical_id(kind: &str, value: &str) -> String {
    format!(r#"(device.devicePhysicalIds -any (_ -eq "[{kind}]:{value}"))"#)
}

/// The rule matching devices with any of the group tags or purchase order
/// ids, in the order given; every Autopilot device when both are empty.
pub fn membership_rule<'a>(
    group_tags: impl IntoIterator<Item = &'a str>,
    purchase_orders: impl IntoIterator<Item = &'a str>,
) -> String {
    let parts: Vec<String> = group_tags
        .into_iter()
        .map(|t| physical_id("OrderID", t))
        .chain(
            purchase_orders
                .into_iter()
                .map(|p| physical_id("PurchaseOrderId", p)),
        )
        .collect();
    if parts.is_empty() {
        ALL_AUTOPILOT_DEVICES.to_string()
    } else {
        parts.join(" -or ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(
            membership_rule(["SITE-A"], []),
            r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:SITE-A"))"#
        );
        assert_eq!(
            membership_rule(["A", "B"], ["PO-1"]),
            r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:A")) -or (device.devicePhysicalIds -any (_ -eq "[OrderID]:B")) -or (device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:PO-1"))"#
        );
        assert_eq!(membership_rule([], []), ALL_AUTOPILOT_DEVICES);
    }

    #[test]
    fn values_that_break_a_rule() {
        assert!(check_value("SITE-A").is_ok());
        assert!(check_value("").is_err());
        assert!(check_value(" A").is_err());
        assert!(check_value("A\"B").is_err());
    }
}
