# Surface hardware, found at check-in from what Intune knows of the device: no group to wait for.
resource "autopilot_assignment_filter" "surfaces" {
  display_name = "Surface devices"
  description  = "Microsoft Surface hardware"
  rule         = "(device.manufacturer -eq \"Microsoft Corporation\") and (device.model -startsWith \"Surface\")"
}

# Devices that went through a given Autopilot profile (its name at enrollment).
resource "autopilot_assignment_filter" "kiosks" {
  display_name = "Kiosk enrollments"
  rule         = "(device.enrollmentProfileName -in [\"Autopilot - Kiosk\", \"Autopilot - Kiosk (pre-provisioned)\"])"
}
