# The scope tag named as in the Intune admin center: the same configuration scopes the profile
# in every tenant, whatever the tag's id there. Default is the tag every tenant has.
data "autopilot_scope_tag" "default" {
  display_name = "Default"
}

resource "autopilot_deployment_profile" "contoso" {
  display_name       = "Autopilot Contoso"
  join_type          = "entra"
  role_scope_tag_ids = [data.autopilot_scope_tag.default.id]
}

output "default_scope_tag" {
  value = {
    id          = data.autopilot_scope_tag.default.id
    is_built_in = data.autopilot_scope_tag.default.is_built_in
  }
}
