# The tenant's default Enrollment Status Page ("All users and all devices", priority 0), which
# Intune creates and no resource manages.
data "autopilot_enrollment_status_page" "default" {
  default = true
}

output "default_esp" {
  value = {
    id                         = data.autopilot_enrollment_status_page.default.id
    show_installation_progress = data.autopilot_enrollment_status_page.default.show_installation_progress
    timeout_in_minutes         = data.autopilot_enrollment_status_page.default.install_progress_timeout_in_minutes
  }
}
