# The devices of one site that have not enrolled yet. Graph never returns hardware hashes:
# fill them in the generated configuration before importing.
list "autopilot_device" "site_a_waiting" {
  provider         = autopilot
  include_resource = true

  config {
    group_tag        = "SITE-A"
    enrollment_state = "notContacted"
  }
}
