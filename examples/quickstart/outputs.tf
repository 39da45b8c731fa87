output "domain_join_profile_id" {
  description = "The Graph id of the domain join profile (a deviceConfiguration)."
  value       = autopilot_domain_join_profile.contoso.id
}

output "deployment_profile_ids" {
  description = "The Graph ids of the deployment profiles, by track."
  value = {
    entra  = autopilot_deployment_profile.entra.id
    hybrid = autopilot_deployment_profile.hybrid.id
  }
}

output "device_preparation_policy_id" {
  description = "The Graph id of the device preparation policy."
  value       = autopilot_device_preparation_policy.standard.id
}

output "registered_devices" {
  description = "Serial number -> Autopilot device id, for every device of hwids.csv."
  value       = { for serial, device in autopilot_device_csv.hq.devices : serial => device.id }
}

output "default_esp_id" {
  description = "The tenant's default Enrollment Status Page, which stays unmanaged."
  value       = data.autopilot_enrollment_status_page.default.id
}

output "provisioning_client_id" {
  description = "The object id of the Intune Provisioning Client, owner of the device preparation device group."
  value       = data.autopilot_provisioning_client.this.id
}
