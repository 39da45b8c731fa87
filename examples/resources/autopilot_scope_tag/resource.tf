# A scope tag for the Paris administrators, and the deployment profile they manage: Intune
# shows the profile to the admins whose role assignment carries the tag.
resource "autopilot_scope_tag" "paris" {
  display_name = "Paris"
  description  = "Devices and profiles of the Paris office"
}

resource "autopilot_deployment_profile" "paris" {
  display_name       = "Autopilot Paris"
  join_type          = "entra"
  role_scope_tag_ids = [autopilot_scope_tag.paris.id]
}
