# The hybrid join track: devices join the on-premises domain contoso.com (and are synchronized
# to Microsoft Entra ID). They need both a hybrid deployment profile and a domain join profile.
resource "autopilot_deployment_profile" "hybrid" {
  display_name    = "Hybrid join: contoso.com"
  description     = "Devices that still need Group Policy: hybrid Microsoft Entra join"
  join_type       = "hybrid"
  deployment_mode = "user_driven"
  locale          = "en-US"
  user_type       = "standard"

  privacy_settings_hidden = true
  eula_hidden             = true
  # Remote users reach a domain controller only after setup, through the VPN.
  hybrid_azure_ad_join_skip_connectivity_check = true

  include_group_ids = [autopilot_group.hybrid_devices.id]
}

# Which domain and organizational unit the devices join, and how their computer names are
# built: CTS- followed by random characters up to 15 (computer_name_suffix_random_char_count
# defaults to filling the name).
resource "autopilot_domain_join_profile" "contoso" {
  display_name                 = "Hybrid join - Contoso"
  description                  = "Joins Autopilot devices to contoso.com in the Autopilot OU"
  active_directory_domain_name = "contoso.com"
  organizational_unit          = "OU=Autopilot,OU=Devices,DC=contoso,DC=com"
  computer_name_static_prefix  = "CTS-"
  include_group_ids            = [autopilot_group.hybrid_devices.id]
}
