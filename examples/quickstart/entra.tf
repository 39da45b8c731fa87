# The Entra join track: users unbox a laptop, sign in, and the device joins Microsoft Entra ID
# with a name built from its serial number.
resource "autopilot_deployment_profile" "entra" {
  display_name         = "Entra join: User driven"
  description          = "Corporate laptops: user driven Microsoft Entra join"
  join_type            = "entra"
  deployment_mode      = "user_driven"
  device_name_template = "CTS-%SERIAL%"
  locale               = "en-US"
  user_type            = "standard"

  privacy_settings_hidden         = true
  eula_hidden                     = true
  escape_link_hidden              = true
  keyboard_selection_page_skipped = true

  include_group_ids = [autopilot_group.entra_devices.id]
}
