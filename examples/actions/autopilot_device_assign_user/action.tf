# Assign a user to a registered device, named by its serial number (or by `device_id`):
#
#   terraform apply -invoke=action.autopilot_device_assign_user.adele
action "autopilot_device_assign_user" "adele" {
  config {
    serial_number         = "CTS0HQ001"
    user_principal_name   = "adele.vance@contoso.com"
    addressable_user_name = "Adele"
  }
}
