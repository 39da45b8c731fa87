# The devices of hwids.csv, as Get-WindowsAutopilotInfo -OutputFile writes it: each row's group
# tag puts the device in the Entra or the hybrid track. Add rows to register more devices;
# removing a row deletes that device from Autopilot.
resource "autopilot_device_csv" "hq" {
  content = file("${path.module}/hwids.csv")
}

# One more device, registered on its own (a replacement laptop sent straight to a user).
resource "autopilot_device" "replacement" {
  serial_number                = "CTS0RPL01"
  hardware_hash                = "MwRodU34vwOQcCQHkQ5TwLL298BsIv7grC59lI7eLEc2x74HU4kHOuZckwJmJGR5+EfRbs6fq85TSbvcTb7yvdq3UDFNB0L0L2DVXzornrnFU/YwuuWFCxgxMw/qngt8"
  group_tag                    = "ENTRA"
  assigned_user_principal_name = "alex.wilber@autopilotlab.onmicrosoft.com"
}
