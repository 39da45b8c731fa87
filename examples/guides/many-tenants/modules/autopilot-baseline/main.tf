# The baseline every tenant gets: a dynamic group of its Autopilot devices, a user-driven Entra
# join profile and an Enrollment Status Page, named with the tenant's prefix.

terraform {
  required_providers {
    autopilot = {
      source = "autopilot-iac/autopilot"
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

resource "autopilot_group" "devices" {
  display_name          = "${var.name_prefix} - Autopilot devices"
  all_autopilot_devices = true
}

resource "autopilot_deployment_profile" "standard" {
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
  priority                                = 1
  include_group_ids                       = [autopilot_group.devices.id]
}

output "deployment_profile_id" {
  value = autopilot_deployment_profile.standard.id
}
