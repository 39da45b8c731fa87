# One configuration, many tenants: one provider configuration (alias) per tenant, and the same
# baseline module applied to each. Adding a customer is one provider block and one module block.
#
# One multi-tenant app registration, consented in every customer tenant, signs in to all of
# them: ARM_CLIENT_ID and the credential (ARM_CLIENT_CERTIFICATE_PATH, or ARM_USE_OIDC in a
# pipeline) come from the environment; only the tenant id differs per provider block.

terraform {
  required_version = ">= 1.0"
  required_providers {
    autopilot = {
      source = "autopilot-iac/autopilot"
    }
  }
}

provider "autopilot" {
  alias       = "contoso"
  tenant_id   = var.tenants["contoso"]["tenant_id"]
  environment = lookup(var.tenants["contoso"], "environment", "public")
  graph_url   = lookup(var.tenants["contoso"], "graph_url", null)
  login_url   = lookup(var.tenants["contoso"], "login_url", null)
}

provider "autopilot" {
  alias       = "fabrikam"
  tenant_id   = var.tenants["fabrikam"]["tenant_id"]
  environment = lookup(var.tenants["fabrikam"], "environment", "public")
  graph_url   = lookup(var.tenants["fabrikam"], "graph_url", null)
  login_url   = lookup(var.tenants["fabrikam"], "login_url", null)
}

module "contoso" {
  source    = "./modules/autopilot-baseline"
  providers = { autopilot = autopilot.contoso }

  name_prefix        = "CTS"
  service_desk_phone = "555-0100"
}

module "fabrikam" {
  source    = "./modules/autopilot-baseline"
  providers = { autopilot = autopilot.fabrikam }

  name_prefix        = "FAB"
  service_desk_phone = "555-0199"
}

output "deployment_profiles" {
  description = "The baseline's deployment profile id in each tenant."
  value = {
    contoso  = module.contoso.deployment_profile_id
    fabrikam = module.fabrikam.deployment_profile_id
  }
}
