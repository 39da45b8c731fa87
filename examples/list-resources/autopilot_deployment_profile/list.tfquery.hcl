# terraform query -generate-config-out=generated.tf
list "autopilot_deployment_profile" "hybrid" {
  provider         = autopilot
  include_resource = true

  config {
    join_type = "hybrid"
  }
}
