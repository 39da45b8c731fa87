# A lab tenant kept entirely in code, so that it can be rebuilt from scratch at any time: after
# a test wrecked it, when a developer tenant expired and a new one replaces it, or to start a
# training session from a known state. See rebuild.sh.

terraform {
  required_version = ">= 1.0"
  required_providers {
    autopilot = {
      source  = "autopilot-iac/autopilot"
      version = "~> 0.1"
    }
  }
}

# The lab tenant's credentials come from the environment (ARM_TENANT_ID, ARM_CLIENT_ID, ...).
provider "autopilot" {}

variable "lab_name" {
  description = "Prefix of every display name, e.g. the name of the lab"
  type        = string
  default     = "LAB"
}

resource "autopilot_group" "devices" {
  display_name = "${var.lab_name} - Autopilot devices"
  group_tags   = [var.lab_name]
}

resource "autopilot_group" "device_preparation_devices" {
  display_name              = "${var.lab_name} - Device preparation devices"
  provisioning_client_owner = true
}

resource "autopilot_group" "device_preparation_users" {
  display_name = "${var.lab_name} - Device preparation users"
}

resource "autopilot_deployment_profile" "lab" {
  display_name         = "${var.lab_name}: Entra join"
  join_type            = "entra"
  device_name_template = "${var.lab_name}-%RAND:6%"
  include_group_ids    = [autopilot_group.devices.id]
}

resource "autopilot_enrollment_status_page" "lab" {
  display_name               = "${var.lab_name} - ESP"
  show_installation_progress = true
  priority                   = 1
  include_group_ids          = [autopilot_group.devices.id]
}

resource "autopilot_device_preparation_policy" "lab" {
  display_name      = "${var.lab_name} - Device preparation"
  device_group_id   = autopilot_group.device_preparation_devices.id
  include_group_ids = [autopilot_group.device_preparation_users.id]
}

# The lab's test devices. Their group tag (the lab name) puts them in the devices group.
resource "autopilot_device_csv" "lab" {
  content   = file("${path.module}/hwids.csv")
  group_tag = var.lab_name
}
