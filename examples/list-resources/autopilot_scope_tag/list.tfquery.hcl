# terraform query -generate-config-out=generated.tf
list "autopilot_scope_tag" "all" {
  provider         = autopilot
  include_resource = true
}
