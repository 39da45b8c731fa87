# A group managed elsewhere (here, so that the example runs on its own, it is created next to
# the data source), found by its name: group ids differ from one tenant to the next, names do
# not.
resource "autopilot_group" "kiosks" {
  display_name = "Autopilot - Kiosks"
  group_tags   = ["KIOSK"]
}

data "autopilot_group" "kiosks" {
  display_name = autopilot_group.kiosks.display_name
}

output "kiosk_group" {
  value = {
    id              = data.autopilot_group.kiosks.id
    dynamic         = data.autopilot_group.kiosks.dynamic
    membership_rule = data.autopilot_group.kiosks.membership_rule
  }
}
