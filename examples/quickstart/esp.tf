# Devices stay on the Enrollment Status Page until their apps and profiles are installed, for
# up to 90 minutes; on an error the user can collect logs and reset the device.
resource "autopilot_enrollment_status_page" "standard" {
  display_name                              = "ESP - Autopilot devices"
  description                               = "Blocks device use until required apps are installed"
  show_installation_progress                = true
  block_device_setup_retry_by_user          = false
  install_progress_timeout_in_minutes       = 90
  allow_log_collection_on_install_failure   = true
  allow_device_reset_on_install_failure     = true
  custom_error_message                      = "Setup did not finish. Call the service desk at 555-0100."
  track_install_progress_for_autopilot_only = true
  priority                                  = 1
  include_group_ids                         = [autopilot_group.all_autopilot_devices.id]
}

# The tenant's default ESP stays as Intune made it; it is read, not managed.
data "autopilot_enrollment_status_page" "default" {
  default = true
}
