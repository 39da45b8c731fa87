# terraform query -generate-config-out=generated.tf
list "autopilot_assignment_filter" "all" {
  provider         = autopilot
  include_resource = true
}
