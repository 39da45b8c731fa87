variable "tenants" {
  description = <<-EOT
    Per tenant: `tenant_id`, and optionally `environment` (public, usgovernment,
    usgovernmentdod, china; GCC moderate is public), `client_id` and `client_certificate_path`
    (an app registration of the tenant's own cloud, when it differs from ARM_CLIENT_ID's), and
    `graph_url` / `login_url` (endpoint overrides, e.g. a lab).
  EOT
  type        = map(map(string))
}
