# A deployment profile managed elsewhere (here, so that the example runs on its own, it is
# created next to the data source), found by its name.
resource "autopilot_deployment_profile" "kiosk" {
  display_name    = "Entra join: Kiosks"
  join_type       = "entra"
  deployment_mode = "self_deploying"
}

data "autopilot_deployment_profile" "kiosk" {
  display_name = autopilot_deployment_profile.kiosk.display_name
}

output "kiosk_profile" {
  value = {
    id              = data.autopilot_deployment_profile.kiosk.id
    deployment_mode = data.autopilot_deployment_profile.kiosk.deployment_mode
    groups          = data.autopilot_deployment_profile.kiosk.include_group_ids
  }
}
