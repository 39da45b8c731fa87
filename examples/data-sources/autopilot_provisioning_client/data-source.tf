# The Intune Provisioning Client service principal, which must own the device group of a
# device preparation policy. Reading it fails when the tenant lacks it; an `autopilot_group`
# with `provisioning_client_owner = true` creates it.
data "autopilot_provisioning_client" "this" {}

output "provisioning_client" {
  value = {
    object_id      = data.autopilot_provisioning_client.this.id
    application_id = data.autopilot_provisioning_client.this.app_id
    display_name   = data.autopilot_provisioning_client.this.display_name
  }
}
