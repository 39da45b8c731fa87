# Remove the user assigned to a registered device:
#
#   terraform apply -invoke=action.autopilot_device_unassign_user.kiosk
action "autopilot_device_unassign_user" "kiosk" {
  config {
    serial_number = "CTS0HQ001"
  }
}
