# Windows Autopilot device preparation: no hardware hash needed. Users in the user group set up
# a device; the device is added to the device group during setup, which must be static and owned
# by the Intune Provisioning Client.
resource "autopilot_group" "device_preparation_devices" {
  display_name              = "Device preparation - Devices"
  description               = "Devices set up with device preparation (added by Intune)"
  provisioning_client_owner = true
}

resource "autopilot_group" "device_preparation_users" {
  display_name = "Device preparation - Users"
  description  = "Users who may set up devices with device preparation"
}

resource "autopilot_device_preparation_policy" "standard" {
  display_name         = "Device preparation - Standard"
  description          = "User-driven Entra join with the VPN client and Company Portal"
  device_group_id      = autopilot_group.device_preparation_devices.id
  include_group_ids    = [autopilot_group.device_preparation_users.id]
  user_account_type    = "standard"
  timeout_minutes      = 90
  custom_error_message = "Setup did not finish. Call the service desk at 555-0100."
  allow_diagnostics    = true

  # "Contoso VPN Client" and "Company Portal", and the script "Set time zone", as the lab
  # seeds them; in your tenant, the ids of your Intune apps and scripts.
  allowed_app_ids = [
    "7ab1ab00-0000-4000-8000-0000000a0001",
    "7ab1ab00-0000-4000-8000-0000000a0004",
  ]
  allowed_script_ids = ["7ab1ab00-0000-4000-8000-0000000c0001"]
}

# The service principal that owns the device group.
data "autopilot_provisioning_client" "this" {
  depends_on = [autopilot_group.device_preparation_devices]
}
