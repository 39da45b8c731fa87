# Terraform Cloud runs the plans and applies and keeps the state. (Terraform 1.1 and later may
# write `cloud { organization = "contoso" workspaces { name = "autopilot-production" } }`
# instead.) Atlantis users delete this file and keep their usual backend.
terraform {
  backend "remote" {
    organization = "contoso"

    workspaces {
      name = "autopilot-production"
    }
  }
}
