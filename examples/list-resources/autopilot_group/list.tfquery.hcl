# terraform query -generate-config-out=generated.tf
list "autopilot_group" "autopilot" {
  provider         = autopilot
  include_resource = true

  config {
    display_name_contains = "Autopilot"
  }
}
