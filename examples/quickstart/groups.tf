# Device groups are dynamic: a device lands in one by the group tag it was registered with
# (the CSV's Group Tag column), so registering a device is all it takes to give it a profile.

resource "autopilot_group" "entra_devices" {
  display_name = "Autopilot - Entra join devices"
  description  = "Autopilot devices registered with the group tag ENTRA"
  group_tags   = ["ENTRA"]
}

resource "autopilot_group" "hybrid_devices" {
  display_name = "Autopilot - Hybrid join devices"
  description  = "Autopilot devices registered with the group tag HYBRID"
  group_tags   = ["HYBRID"]
}

# Every Autopilot device, whatever its tag: the Enrollment Status Page targets it.
resource "autopilot_group" "all_autopilot_devices" {
  display_name          = "Autopilot - All devices"
  all_autopilot_devices = true
}
