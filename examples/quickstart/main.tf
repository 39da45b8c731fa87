# Quickstart: a whole Windows Autopilot lab tenant, every kind of object the provider manages.
#
#   groups.tf             device and user groups (dynamic from group tags, static, Provisioning Client owned)
#   entra.tf              the Entra join track: a user-driven deployment profile
#   hybrid.tf             the hybrid join track: a deployment profile and its domain join profile
#   esp.tf                an Enrollment Status Page, and the tenant's default one read as data
#   device_preparation.tf Windows Autopilot device preparation: the policy and its two groups
#   devices.tf            devices registered from hwids.csv, and one more on its own
#   outputs.tf            ids and a summary
#
# `cargo xtask demo` applies this configuration to autopilot-lab, an emulated tenant, so it needs
# no Microsoft tenant and no network. To run it yourself against a lab:
#
#   cargo run -p autopilot-lab -- serve --listen 127.0.0.1:0
#   # copy graph_url, login_url, tenant_id, client_id and client_secret from its first line into
#   export ARM_TENANT_ID=... ARM_CLIENT_ID=... ARM_CLIENT_SECRET=...
#   export AUTOPILOT_GRAPH_URL=... AUTOPILOT_LOGIN_URL=...
#
# The user principal names in devices.tf are users the lab seeds; against a real tenant, use
# your own (or leave the Assigned User column empty).

terraform {
  required_providers {
    autopilot = {
      source  = "autopilot-iac/autopilot"
      version = "~> 0.1"
    }
  }
}

# Credentials come from the environment: ARM_TENANT_ID, ARM_CLIENT_ID and ARM_CLIENT_SECRET.
# AUTOPILOT_GRAPH_URL and AUTOPILOT_LOGIN_URL override Microsoft's endpoints; the demo points
# them at the lab (plain http:// is accepted only for loopback hosts). Against a real tenant,
# leave those two unset.
provider "autopilot" {}
