# A first configuration for your own tenant: one dynamic device group and one deployment profile
# assigned to it. Nothing here names an id that only a lab knows, and no device is registered:
# `terraform plan` against a real tenant shows 2 to add and changes nothing.

terraform {
  required_version = ">= 1.0"
  required_providers {
    autopilot = {
      source  = "autopilot-iac/autopilot"
      version = "~> 0.1"
    }
  }
}

# Credentials from the environment: ARM_TENANT_ID, ARM_CLIENT_ID and one credential (see the
# getting started guide).
provider "autopilot" {}

# Every Autopilot device whose group tag is CORP. A dynamic group: the tenant needs
# Microsoft Entra ID P1.
resource "autopilot_group" "corporate" {
  display_name = "Autopilot devices CORP"
  group_tags   = ["CORP"]
}

resource "autopilot_deployment_profile" "corporate" {
  display_name         = "Entra join: Corporate laptops"
  description          = "User driven Microsoft Entra join for devices tagged CORP"
  join_type            = "entra"
  deployment_mode      = "user_driven"
  device_name_template = "CORP-%RAND:5%"
  # Written out: the user who signs in during setup gets no local administrator rights.
  user_type = "standard"

  include_group_ids = [autopilot_group.corporate.id]
}
