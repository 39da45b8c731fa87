# Devices of the hybrid track: registered with the group tag `HYBRID`.
resource "autopilot_group" "hybrid_devices" {
  display_name = "Autopilot - Hybrid join devices"
  group_tags   = ["HYBRID"]
}

# The hybrid join deployment profile those devices get...
resource "autopilot_deployment_profile" "hybrid" {
  display_name      = "Hybrid join"
  join_type         = "hybrid"
  include_group_ids = [autopilot_group.hybrid_devices.id]

  # Devices often reach the domain through a VPN only after setup.
  hybrid_azure_ad_join_skip_connectivity_check = true
}

# ...and the domain join configuration: which on-premises domain and organizational unit they
# join and how their computer names are built (CTS- followed by 11 random characters).
resource "autopilot_domain_join_profile" "contoso" {
  display_name                 = "Hybrid join - contoso.com"
  description                  = "Joins Autopilot devices to contoso.com in the Autopilot OU"
  active_directory_domain_name = "contoso.com"
  organizational_unit          = "OU=Autopilot,OU=Devices,DC=contoso,DC=com"
  computer_name_static_prefix  = "CTS-"
  include_group_ids            = [autopilot_group.hybrid_devices.id]
}
