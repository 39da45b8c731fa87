# Set a registered device's group tag and display name (at least one of them):
#
#   terraform apply -invoke=action.autopilot_device_set_properties.retag
action "autopilot_device_set_properties" "retag" {
  config {
    serial_number = "CTS0HQ001"
    group_tag     = "SITE-B"
    display_name  = "KIOSK-01"
    timeout       = "15m"
  }
}
