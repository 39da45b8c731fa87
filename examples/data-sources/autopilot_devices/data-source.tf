# Every Autopilot device registered with the group tag BRANCH whose serial number starts with PF.
data "autopilot_devices" "branch" {
  group_tag            = "BRANCH"
  serial_number_prefix = "PF"
}

output "branch_devices" {
  value = {
    for device in data.autopilot_devices.branch.devices :
    device.serial_number => device.deployment_profile_assignment_status
  }
}

# Devices that never enrolled.
data "autopilot_devices" "not_contacted" {
  enrollment_state = "notContacted"
}

output "not_contacted_count" {
  value = length(data.autopilot_devices.not_contacted.ids)
}
