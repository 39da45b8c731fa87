# A configuration for a remote runner (Terraform Cloud / Terraform Enterprise, Atlantis, or any
# CI): it names no credential and no endpoint. The runner supplies the provider (from the
# Registry, or a mirror) and the environment variables.

terraform {
  required_version = ">= 1.0"
  required_providers {
    autopilot = {
      source  = "autopilot-iac/autopilot"
      version = "~> 0.1"
    }
  }
}

# Everything from the runner's environment: ARM_TENANT_ID, ARM_CLIENT_ID and one credential
# (ARM_CLIENT_SECRET, ARM_CLIENT_CERTIFICATE_PATH, ARM_USE_OIDC or ARM_USE_MSI).
provider "autopilot" {}

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

resource "autopilot_device_csv" "kiosks" {
  content = file("${path.module}/hwids.csv")
}
