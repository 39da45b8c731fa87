#!/usr/bin/env bash
# Plans the configuration in the current directory against a throwaway autopilot-lab tenant:
# starts the lab, points the provider at it through the environment, replaces the backend with
# a local one (the lab's tenant has nothing to do with the real state), runs `terraform init`
# and `terraform plan`, and stops the lab. Needs `terraform` and `autopilot-lab` on PATH.
#
# A plan against the lab catches what a plan can catch without the real tenant: HCL errors,
# attribute values the provider refuses at plan time (naming the attribute), and objects that
# reference each other wrongly. It cannot catch what only the real tenant knows (licences, the
# ids of its apps and groups, rules the lab does not model).
set -euo pipefail

lab_output="$(mktemp)"
autopilot-lab serve --listen 127.0.0.1:0 >"$lab_output" &
lab_pid=$!
cleanup() {
  kill "$lab_pid" 2>/dev/null || true
  wait "$lab_pid" 2>/dev/null || true
  rm -f "$lab_output" lab_override.tf
}
trap cleanup EXIT

# The lab's first stdout line is one JSON object with its URLs and credentials.
for _ in $(seq 1 100); do
  [ -s "$lab_output" ] && break
  sleep 0.1
done
ready="$(head -n 1 "$lab_output")"
field() {
  python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$ready" "$1"
}

export ARM_TENANT_ID="$(field tenant_id)"
export ARM_CLIENT_ID="$(field client_id)"
export ARM_CLIENT_SECRET="$(field client_secret)"
export AUTOPILOT_GRAPH_URL="$(field graph_url)"
export AUTOPILOT_LOGIN_URL="$(field login_url)"
unset ARM_USE_OIDC ARM_OIDC_TOKEN ARM_OIDC_TOKEN_FILE_PATH

cat >lab_override.tf <<'HCL'
terraform {
  backend "local" {
    path = "lab.tfstate"
  }
}
HCL

terraform init -input=false -reconfigure
terraform plan -input=false -lock=false
