//! The directory: `/groups` (with owners), `/servicePrincipals`, `/users`, `/directoryObjects`.

use serde_json::Value;

use super::collection;

/// Whether a dynamic group's rule selects an Autopilot device. The lab evaluates the documented
/// Autopilot device rules only: any device (`[ZTDID]`), by group tag (`[OrderID]:TAG`) and by
/// purchase order (`[PurchaseOrderId]:ID`). Each quoted literal of the rule is one alternative.
pub fn group_contains_device(group: &Value, device: &Value) -> bool {
    let dynamic = group
        .get("groupTypes")
        .and_then(Value::as_array)
        .is_some_and(|types| {
            types.iter().any(|t| {
                t.as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("DynamicMembership"))
            })
        });
    if !dynamic
        || !collection::str_of(group, "membershipRuleProcessingState").eq_ignore_ascii_case("On")
    {
        return false;
    }
    let rule = collection::str_of(group, "membershipRule");
    let group_tag = collection::str_of(device, "groupTag");
    let purchase_order = collection::str_of(device, "purchaseOrderIdentifier");
    rule.split('"').skip(1).step_by(2).any(|literal| {
        let lower = literal.to_ascii_lowercase();
        if lower.starts_with("[ztdid]") {
            return true;
        }
        if let Some(tag) = lower.strip_prefix("[orderid]:") {
            return !group_tag.is_empty() && tag == group_tag.to_ascii_lowercase();
        }
        if let Some(order) = lower.strip_prefix("[purchaseorderid]:") {
            return !purchase_order.is_empty() && order == purchase_order.to_ascii_lowercase();
        }
        false
    })
}
