# A filter kept in the Intune admin center (made here so that the example runs in an empty
# tenant): a configuration that serves many tenants names it, and finds its id in each.
resource "autopilot_assignment_filter" "corporate" {
  display_name = "Corporate devices"
  rule         = "(device.deviceOwnership -eq \"Corporate\")"
}

data "autopilot_assignment_filter" "corporate" {
  display_name = "Corporate devices"
  depends_on   = [autopilot_assignment_filter.corporate]
}

output "corporate_filter" {
  value = {
    id   = data.autopilot_assignment_filter.corporate.id
    rule = data.autopilot_assignment_filter.corporate.rule
  }
}
