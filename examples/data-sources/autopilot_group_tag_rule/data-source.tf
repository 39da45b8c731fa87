# The dynamic membership rule for devices registered with either group tag...
data "autopilot_group_tag_rule" "emea" {
  group_tags = ["SALES-EMEA", "SUPPORT-EMEA"]
}

# ...used by a group that also keeps its own rule text visible in the plan.
resource "autopilot_group" "emea_devices" {
  display_name    = "Autopilot - EMEA devices"
  membership_rule = data.autopilot_group_tag_rule.emea.rule
}

output "emea_rule" {
  value = data.autopilot_group_tag_rule.emea.rule
}
