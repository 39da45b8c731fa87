# terraform query -generate-config-out=generated.tf
list "autopilot_enrollment_status_page" "all" {
  provider         = autopilot
  include_resource = true
}
