#!/usr/bin/env bash
# Rebuilds the lab tenant from scratch: everything the state knows is destroyed (devices are
# deregistered, groups and profiles deleted), then the configuration is applied again and a
# last plan proves the tenant is exactly the configuration. Run it in this directory with the
# lab tenant's credentials in the environment.
#
# Objects deleted outside Terraform are no obstacle: a refresh that finds an object gone drops
# it from the state and the apply creates it again.
set -euo pipefail

terraform init -input=false
terraform destroy -input=false -auto-approve
terraform apply -input=false -auto-approve

# 0: no changes. 2 would mean the tenant drifted from the configuration right after the apply.
terraform plan -input=false -detailed-exitcode
echo "The lab tenant was rebuilt and matches the configuration."
