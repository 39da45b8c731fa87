# A device group of every Autopilot device bought with these purchase orders (the purchase
# order id a reseller registers devices with).
resource "autopilot_group" "fy27_refresh" {
  display_name    = "Autopilot - FY27 hardware refresh"
  membership_rule = provider::autopilot::purchase_order_rule(["PO-2026-0117", "PO-2026-0342"])
}
