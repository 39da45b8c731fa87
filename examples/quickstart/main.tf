# Quickstart: one hybrid-join domain join profile.
#
# `cargo xtask demo` runs this configuration against autopilot-lab, an emulated tenant, so it
# needs no Microsoft tenant and no network. To run it yourself against a lab:
#
#   cargo run -p autopilot-lab -- serve --listen 127.0.0.1:0
#   # copy graph_url, login_url, tenant_id, client_id and client_secret from its first line into
#   export ARM_TENANT_ID=... ARM_CLIENT_ID=... ARM_CLIENT_SECRET=...
#   export AUTOPILOT_GRAPH_URL=... AUTOPILOT_LOGIN_URL=...

terraform {
  required_providers {
    autopilot = {
      source = "autopilot-iac/autopilot"
    }
  }
}

# Credentials come from the environment: ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET.
# AUTOPILOT_GRAPH_URL and AUTOPILOT_LOGIN_URL override Microsoft's endpoints; the demo points
# them at the lab (plain http:// is accepted only for loopback hosts). Against a real tenant,
# leave those two unset.
provider "autopilot" {}

# The domain join configuration that hybrid Entra join Autopilot devices receive: which
# on-premises domain and OU they join and how their computer names are built.
resource "autopilot_domain_join_profile" "contoso" {
  display_name                 = "Hybrid join - Contoso"
  description                  = "Joins Autopilot devices to contoso.com in the Autopilot OU"
  active_directory_domain_name = "contoso.com"
  organizational_unit          = "OU=Autopilot,OU=Devices,DC=contoso,DC=com"
  computer_name_static_prefix  = "CTS-"
  # computer_name_suffix_random_char_count defaults to filling the name up to 15 characters.
  all_devices = true
}
