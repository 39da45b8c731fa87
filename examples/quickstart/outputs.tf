output "domain_join_profile_id" {
  description = "The Graph id of the domain join profile (a deviceConfiguration)."
  value       = autopilot_domain_join_profile.contoso.id
}
