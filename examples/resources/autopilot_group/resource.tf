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

# A static group of users (members are managed elsewhere).
resource "autopilot_group" "device_preparation_users" {
  display_name = "Autopilot device preparation - Users"
}
