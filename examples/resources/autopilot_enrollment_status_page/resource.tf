resource "autopilot_group" "managed_devices" {
  display_name          = "Autopilot - All devices"
  all_autopilot_devices = true
}

# Block device use until the apps and profiles are installed, give up after 90 minutes, and
# let the user collect logs and reset the device when something fails.
resource "autopilot_enrollment_status_page" "standard" {
  display_name                            = "ESP - Standard"
  description                             = "Blocks device use until required apps are installed"
  show_installation_progress              = true
  block_device_setup_retry_by_user        = false
  install_progress_timeout_in_minutes     = 90
  allow_log_collection_on_install_failure = true
  allow_device_reset_on_install_failure   = true
  custom_error_message                    = "Setup did not finish. Call the service desk at 555-0100."
  track_install_progress_for_autopilot_only = true
  priority                                = 1
  include_group_ids                       = [autopilot_group.managed_devices.id]
}
