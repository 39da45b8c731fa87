# The tenant's Autopilot configuration, applied by the pipeline in
# .github/workflows/autopilot.yml. Nothing here holds a credential: the pipeline signs in with
# GitHub's OIDC token (ARM_USE_OIDC), and pull requests are first planned against a throwaway
# autopilot-lab tenant (scripts/plan-against-lab.sh).

terraform {
  required_version = ">= 1.0"
  required_providers {
    autopilot = {
      source  = "autopilot-iac/autopilot"
      version = "~> 0.1"
    }
  }
}

# ARM_TENANT_ID, ARM_CLIENT_ID and ARM_USE_OIDC come from the workflow.
provider "autopilot" {}

resource "autopilot_group" "corporate_devices" {
  display_name = "Autopilot - Corporate devices"
  group_tags   = ["CORP"]
}

resource "autopilot_deployment_profile" "corporate" {
  display_name         = "Entra join: Corporate"
  description          = "Managed in Git: changes go through a pull request"
  join_type            = "entra"
  device_name_template = "CORP-%SERIAL%"
  locale               = "en-US"
  user_type            = "standard"
  eula_hidden          = true

  privacy_settings_hidden = true
  include_group_ids       = [autopilot_group.corporate_devices.id]
}

resource "autopilot_enrollment_status_page" "corporate" {
  display_name                        = "ESP - Corporate"
  show_installation_progress          = true
  install_progress_timeout_in_minutes = 60
  priority                            = 1
  include_group_ids                   = [autopilot_group.corporate_devices.id]
}
