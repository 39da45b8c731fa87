# A dynamic group of every Autopilot device registered with one of these group tags.
resource "autopilot_group" "sales_devices" {
  display_name = "Autopilot - Sales devices"
  description  = "Autopilot devices tagged SALES or SALES-EMEA"
  group_tags   = ["SALES", "SALES-EMEA"]
}

# A dynamic group of every Autopilot device.
resource "autopilot_group" "all_autopilot_devices" {
  display_name          = "Autopilot - All devices"
  all_autopilot_devices = true
}

# The device group of a device preparation policy: static, owned by the Intune Provisioning
# Client (its service principal is created in the tenant when missing).
resource "autopilot_group" "device_preparation_devices" {
  display_name              = "Autopilot device preparation - Devices"
  provisioning_client_owner = true
}

# A static group of users (members are managed elsewhere: `member_ids` is unset).
resource "autopilot_group" "device_preparation_users" {
  display_name = "Autopilot device preparation - Users"
}

# A static pilot group whose members Terraform manages: users, devices (their Microsoft Entra
# object ids) and other groups. The user ids are those of Adele Vance and Alex Wilber in
# autopilot-lab; a group from this configuration joins them.
resource "autopilot_group" "pilot" {
  display_name = "Autopilot - Pilot"
  visibility   = "private"
  member_ids = [
    "7ab1ab00-0000-4000-8000-0000000b0001",
    "7ab1ab00-0000-4000-8000-0000000b0002",
    autopilot_group.device_preparation_users.id,
  ]
}

# Pause a dynamic group's rule: it keeps the members it has until processing is `on` again.
resource "autopilot_group" "kiosks" {
  display_name                     = "Autopilot - Kiosks"
  group_tags                       = ["KIOSK"]
  membership_rule_processing_state = "paused"
}
