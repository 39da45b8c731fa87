# Devices join this group during setup; device preparation requires it to be static and
# owned by the Intune Provisioning Client.
resource "autopilot_group" "devices" {
  display_name              = "Device preparation - Devices"
  provisioning_client_owner = true
}

# The users who may set up devices with the policy.
resource "autopilot_group" "users" {
  display_name = "Device preparation - Users"
}

resource "autopilot_device_preparation_policy" "standard" {
  display_name         = "Device preparation - Standard"
  description          = "User-driven Entra join with the VPN client and Company Portal"
  device_group_id      = autopilot_group.devices.id
  include_group_ids    = [autopilot_group.users.id]
  user_account_type    = "standard"
  timeout_minutes      = 90
  custom_error_message = "Setup did not finish. Call the service desk at 555-0100."
  allow_skip           = false
  allow_diagnostics    = true

  # Intune app and PowerShell script ids of your tenant (at most 25 apps and 10 scripts); these
  # are the ids of "Contoso VPN Client", "Company Portal" and "Set time zone" in autopilot-lab.
  allowed_app_ids = [
    "7ab1ab00-0000-4000-8000-0000000a0001",
    "7ab1ab00-0000-4000-8000-0000000a0004",
  ]
  allowed_script_ids = ["7ab1ab00-0000-4000-8000-0000000c0001"]
}
