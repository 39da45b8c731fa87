# Each device of a Get-WindowsAutopilotInfo CSV as its own autopilot_device, keyed by serial
# number: adding a row creates one registration, removing a row deletes one, and nothing else
# is touched. A malformed CSV fails the plan with every problem and its line.
locals {
  devices = provider::autopilot::parse_hardware_csv(file("${path.module}/devices.csv"))
}

resource "autopilot_device" "from_csv" {
  for_each = local.devices

  serial_number                = each.key
  hardware_hash                = each.value.hardware_hash
  group_tag                    = each.value.group_tag
  assigned_user_principal_name = each.value.assigned_user_principal_name
}

output "registered_serial_numbers" {
  value = sort(keys(local.devices))
}
