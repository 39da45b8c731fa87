# terraform query -generate-config-out=generated.tf
list "autopilot_domain_join_profile" "all" {
  provider         = autopilot
  include_resource = true
}
