# One configuration, many tenants: one provider configuration (alias) per tenant, and the same
# baseline module applied to each. Adding a customer is one provider block and one module block.
#
# One multi-tenant app registration, consented in every customer tenant of one cloud, signs in
# to all of them: ARM_CLIENT_ID and the credential (ARM_CLIENT_CERTIFICATE_PATH, or ARM_USE_OIDC
# in a pipeline) come from the environment. A tenant in another cloud (GCC High, DoD) cannot
# consent an app of the commercial cloud: its entry in var.tenants names its own `client_id`
# (and `client_certificate_path`), registered in that cloud.

terraform {
  required_version = ">= 1.0"
  required_providers {
    autopilot = {
      source  = "autopilot-iac/autopilot"
      version = "~> 0.1"
    }
  }
}

provider "autopilot" {
  alias                   = "contoso"
  tenant_id               = var.tenants["contoso"]["tenant_id"]
  environment             = lookup(var.tenants["contoso"], "environment", "public")
  client_id               = lookup(var.tenants["contoso"], "client_id", null)
  client_certificate_path = lookup(var.tenants["contoso"], "client_certificate_path", null)
  graph_url               = lookup(var.tenants["contoso"], "graph_url", null)
  login_url               = lookup(var.tenants["contoso"], "login_url", null)
}

provider "autopilot" {
  alias                   = "fabrikam"
  tenant_id               = var.tenants["fabrikam"]["tenant_id"]
  environment             = lookup(var.tenants["fabrikam"], "environment", "public")
  client_id               = lookup(var.tenants["fabrikam"], "client_id", null)
  client_certificate_path = lookup(var.tenants["fabrikam"], "client_certificate_path", null)
  graph_url               = lookup(var.tenants["fabrikam"], "graph_url", null)
  login_url               = lookup(var.tenants["fabrikam"], "login_url", null)
}

module "contoso" {
  source    = "./modules/autopilot-baseline"
  providers = { autopilot = autopilot.contoso }

  name_prefix        = "CTS"
  service_desk_phone = "555-0100"
  cloud              = lookup(var.tenants["contoso"], "environment", "public")
  blocking_app_names = ["Contoso VPN Client"]
}

module "fabrikam" {
  source    = "./modules/autopilot-baseline"
  providers = { autopilot = autopilot.fabrikam }

  name_prefix        = "FAB"
  service_desk_phone = "555-0199"
  cloud              = lookup(var.tenants["fabrikam"], "environment", "public")
}

output "deployment_profiles" {
  description = "The baseline's deployment profile id in each tenant (null in US Government clouds)."
  value = {
    contoso  = module.contoso.deployment_profile_id
    fabrikam = module.fabrikam.deployment_profile_id
  }
}

output "device_preparation_policies" {
  description = "The baseline's device preparation policy id in each US Government tenant."
  value = {
    contoso  = module.contoso.device_preparation_policy_id
    fabrikam = module.fabrikam.device_preparation_policy_id
  }
}
