# The AutopilotConfigurationFile.json of a profile, for Windows Autopilot deployment for
# existing devices (for example in a Configuration Manager task sequence).
resource "autopilot_deployment_profile" "existing_devices" {
  display_name         = "Entra join: Existing devices"
  join_type            = "entra"
  device_name_template = "CTS-%RAND:8%"
}

# Both are read from the tenant when left null (this needs Organization.Read.All).
variable "tenant_id" {
  type    = string
  default = null
}

variable "tenant_domain" {
  description = "The tenant's default domain, e.g. contoso.onmicrosoft.com"
  type        = string
  default     = null
}

data "autopilot_configuration_file" "existing_devices" {
  profile_id    = autopilot_deployment_profile.existing_devices.id
  tenant_id     = var.tenant_id
  tenant_domain = var.tenant_domain
}

# Write it with the local provider's local_file resource, or take it from the output:
#   terraform output -raw autopilot_configuration_file > AutopilotConfigurationFile.json
output "autopilot_configuration_file" {
  value = data.autopilot_configuration_file.existing_devices.json
}
