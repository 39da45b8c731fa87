# The devices this profile is for: every Autopilot device registered with the group tag
# `SALES` (a dynamic group).
resource "autopilot_group" "sales_devices" {
  display_name = "Autopilot - Sales devices"
  group_tags   = ["SALES"]
}

# Microsoft Entra join, user-driven: the user signs in during the out-of-box experience and
# the device is named from its serial number.
resource "autopilot_deployment_profile" "sales" {
  display_name         = "Entra join: Sales"
  description          = "User driven Entra join for the laptops of the sales team"
  join_type            = "entra"
  deployment_mode      = "user_driven"
  device_name_template = "SLS-%SERIAL%"
  locale               = "en-US"
  user_type            = "standard"

  privacy_settings_hidden         = true
  eula_hidden                     = true
  escape_link_hidden              = true
  keyboard_selection_page_skipped = true

  include_group_ids = [autopilot_group.sales_devices.id]
}

# Self-deploying kiosks: no user, the device needs TPM 2.0.
resource "autopilot_group" "kiosks" {
  display_name = "Autopilot - Kiosks"
  group_tags   = ["KIOSK"]
}

resource "autopilot_deployment_profile" "kiosk" {
  display_name         = "Entra join: Kiosks"
  join_type            = "entra"
  deployment_mode      = "self_deploying"
  device_name_template = "KSK-%RAND:6%"
  include_group_ids    = [autopilot_group.kiosks.id]
}
