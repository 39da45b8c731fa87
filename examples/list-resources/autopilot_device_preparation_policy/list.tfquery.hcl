# terraform query -generate-config-out=generated.tf
list "autopilot_device_preparation_policy" "all" {
  provider         = autopilot
  include_resource = true
}
