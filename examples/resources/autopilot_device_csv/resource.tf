# Every device of a CSV written by Get-WindowsAutopilotInfo (header: Device Serial Number,
# Windows Product ID, Hardware Hash, then optionally Group Tag and Assigned User). Rows added
# later are imported, removed rows are deleted from Autopilot.
resource "autopilot_device_csv" "branch_office" {
  content = file("${path.module}/hwids.csv")
}
