# The app an Enrollment Status Page waits for, named as in the Intune admin center: the same
# configuration finds it in every tenant, whatever its id there.
data "autopilot_mobile_app" "vpn" {
  display_name = "Contoso VPN Client"
}

resource "autopilot_enrollment_status_page" "vpn_first" {
  display_name               = "ESP: VPN client first"
  show_installation_progress = true
  selected_mobile_app_ids    = [data.autopilot_mobile_app.vpn.id]
  all_devices                = true
}

output "vpn_app" {
  value = {
    id       = data.autopilot_mobile_app.vpn.id
    app_type = data.autopilot_mobile_app.vpn.app_type
  }
}
