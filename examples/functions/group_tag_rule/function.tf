# The dynamic membership rule for devices registered with any of these group tags, for a group
# whose rule other tools read or extend. (`autopilot_group` takes `group_tags` directly.)
locals {
  sales_tags = toset(["SALES", "SALES-EMEA"])
}

resource "autopilot_group" "sales_and_kiosks" {
  display_name = "Autopilot - Sales devices and kiosks"
  membership_rule = join(" -or ", [
    provider::autopilot::group_tag_rule(local.sales_tags),
    "(device.deviceModel -eq \"Kiosk 5000\")",
  ])
}

output "sales_rule" {
  value = provider::autopilot::group_tag_rule(local.sales_tags)
}
