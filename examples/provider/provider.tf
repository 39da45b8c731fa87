terraform {
  required_providers {
    autopilot = {
      source  = "autopilot-iac/autopilot"
      version = "~> 0.1"
    }
  }
}

# Every argument can come from the environment instead, as with the azuread and azurerm
# providers: ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_CLIENT_CERTIFICATE_PATH,
# ARM_USE_OIDC, ARM_USE_MSI, ARM_USE_CLI, ARM_ENVIRONMENT, ... An argument set here wins over
# its variable. Keep secrets out of the configuration: set ARM_CLIENT_SECRET, or better, use a
# certificate, OIDC or a managed identity.
provider "autopilot" {
  # The Microsoft Entra tenant and the app registration the provider signs in as.
  # tenant_id = "00000000-0000-0000-0000-000000000000"
  # client_id = "00000000-0000-0000-0000-000000000000"

  # The Microsoft cloud: public (the default), usgovernment (GCC High), usgovernmentdod or china.
  environment = "public"
}
