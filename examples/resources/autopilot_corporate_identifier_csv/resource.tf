# The Windows corporate identifiers of the devices Windows Autopilot device preparation may
# enroll as corporate when personal enrollments are blocked: one manufacturer,model,serial number
# line per device, no header (PowerShell on a device: Win32_ComputerSystem's Manufacturer and
# Model, Win32_BIOS's SerialNumber). Rows added later are imported, removed rows are deleted.
resource "autopilot_corporate_identifier_csv" "laptops" {
  content = file("${path.module}/corporate.csv")
}
