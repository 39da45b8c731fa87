# The baseline every tenant gets: a dynamic group of its Autopilot devices, an Enrollment Status
# Page, and the way devices are set up, named with the tenant's prefix:
# - in the commercial cloud (and GCC, which is `public`): a user-driven Entra join profile;
# - in the US Government clouds (GCC High, DoD), which have no classic Autopilot profiles: a
#   device preparation policy with its device group owned by the Intune Provisioning Client.

terraform {
  required_providers {
    autopilot = {
      source  = "autopilot-iac/autopilot"
      version = "~> 0.1"
    }
  }
}

variable "name_prefix" {
  description = "Short tenant prefix for names, e.g. CTS (2 to 6 letters)"
  type        = string
}

variable "service_desk_phone" {
  description = "Shown on the Enrollment Status Page when setup fails"
  type        = string
}

variable "cloud" {
  description = "The tenant's cloud, as the provider's `environment`: public, usgovernment, usgovernmentdod or china"
  type        = string
  default     = "public"
}

variable "blocking_app_names" {
  description = "The apps the Enrollment Status Page waits for, by their names in Intune"
  type        = list(string)
  default     = []
}

variable "user_group_names" {
  description = "US Government clouds: the user groups allowed to set up devices with the device preparation policy, by name"
  type        = list(string)
  default     = []
}

variable "esp_filter_name" {
  description = "An assignment filter, by its name in Intune, that narrows the Enrollment Status Page's assignment (devices it matches get the page); null for none"
  type        = string
  default     = null
}

locals {
  # Classic Autopilot profiles do not exist in the US Government clouds.
  classic_profiles = !contains(["usgovernment", "usgovernmentdod"], var.cloud)
}

# Apps, groups and filters have other ids in every tenant; their names are the same. A name that matches
# no object, or several, fails the plan and names them.
data "autopilot_mobile_app" "blocking" {
  for_each     = toset(var.blocking_app_names)
  display_name = each.key
}

data "autopilot_group" "users" {
  for_each     = toset(var.user_group_names)
  display_name = each.key
}

data "autopilot_assignment_filter" "esp" {
  count        = var.esp_filter_name == null ? 0 : 1
  display_name = var.esp_filter_name
}

resource "autopilot_group" "devices" {
  display_name          = "${var.name_prefix} - Autopilot devices"
  all_autopilot_devices = true
}

resource "autopilot_deployment_profile" "standard" {
  count = local.classic_profiles ? 1 : 0

  display_name         = "${var.name_prefix}: Entra join"
  join_type            = "entra"
  device_name_template = "${var.name_prefix}-%SERIAL%"
  user_type            = "standard"
  eula_hidden          = true

  privacy_settings_hidden = true
  include_group_ids       = [autopilot_group.devices.id]
}

resource "autopilot_enrollment_status_page" "standard" {
  display_name                            = "${var.name_prefix} - ESP"
  show_installation_progress              = true
  install_progress_timeout_in_minutes     = 60
  allow_log_collection_on_install_failure = true
  custom_error_message                    = "Setup did not finish. Call the service desk at ${var.service_desk_phone}."
  selected_mobile_app_ids                 = [for app in data.autopilot_mobile_app.blocking : app.id]
  priority                                = 1
  include_group_ids                       = [autopilot_group.devices.id]
  assignment_filter_id                    = one(data.autopilot_assignment_filter.esp[*].id)
  assignment_filter_type                  = var.esp_filter_name == null ? null : "include"
}

# US Government clouds: devices join this group during setup; device preparation requires it to
# be assigned (static) and owned by the Intune Provisioning Client.
resource "autopilot_group" "preparation" {
  count = local.classic_profiles ? 0 : 1

  display_name              = "${var.name_prefix} Device preparation devices"
  provisioning_client_owner = true
}

resource "autopilot_device_preparation_policy" "standard" {
  count = local.classic_profiles ? 0 : 1

  display_name         = "${var.name_prefix} Device preparation"
  device_group_id      = autopilot_group.preparation[0].id
  include_group_ids    = length(var.user_group_names) > 0 ? [for g in data.autopilot_group.users : g.id] : null
  user_account_type    = "standard"
  custom_error_message = "Setup did not finish. Call the service desk at ${var.service_desk_phone}."
}

output "deployment_profile_id" {
  description = "The deployment profile's id; null in the US Government clouds."
  value       = one(autopilot_deployment_profile.standard[*].id)
}

output "device_preparation_policy_id" {
  description = "The device preparation policy's id; null outside the US Government clouds."
  value       = one(autopilot_device_preparation_policy.standard[*].id)
}
