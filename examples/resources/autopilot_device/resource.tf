# One device, from the values Get-WindowsAutopilotInfo writes for it. The provider marks the
# hardware hash sensitive, so plans never show it.
variable "hardware_hash" {
  description = "The device's hardware hash (the CSV's Hardware Hash column)"
  type        = string
  default     = "MwRodU34vwOQcCQHkQ5TwLL298BsIv7grC59lI7eLEc2x74HU4kHOuZckwJmJGR5+EfRbs6fq85TSbvcTb7yvdq3UDFNB0L0L2DVXzornrnFU/YwuuWFCxgxMw/qngt8"
}

resource "autopilot_device" "reception_laptop" {
  serial_number                = "PF3A9K2X"
  hardware_hash                = var.hardware_hash
  group_tag                    = "SALES"
  assigned_user_principal_name = "megan.bowen@autopilotlab.onmicrosoft.com"
  display_name                 = "SLS-RECEPTION"
}
