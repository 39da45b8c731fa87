variable "tenants" {
  description = <<-EOT
    Per tenant: `tenant_id`, and optionally `environment` (public, usgovernment,
    usgovernmentdod, china) and `graph_url` / `login_url` (endpoint overrides, e.g. a lab).
  EOT
  type        = map(map(string))
}
