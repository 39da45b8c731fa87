# State in Azure Storage, reached with the same OIDC sign-in as the provider (Terraform 1.2 or
# later for use_oidc). The lab job replaces this backend with a local one
# (scripts/plan-against-lab.sh writes lab_override.tf).
terraform {
  backend "azurerm" {
    resource_group_name  = "rg-terraform-state"
    storage_account_name = "contosotfstate"
    container_name       = "tfstate"
    key                  = "autopilot.tfstate"
    use_oidc             = true
    use_azuread_auth     = true
  }
}
