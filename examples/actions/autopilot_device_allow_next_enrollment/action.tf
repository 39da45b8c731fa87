# Let a device enroll again (for example after a reset that Intune blocked):
#
#   terraform apply -invoke=action.autopilot_device_allow_next_enrollment.again
action "autopilot_device_allow_next_enrollment" "again" {
  config {
    serial_number = "CTS0HQ001"
  }
}
