# A platform script a device preparation policy runs, named as in the Intune admin center.
data "autopilot_platform_script" "time_zone" {
  display_name = "Set time zone"
}

output "time_zone_script" {
  value = {
    id             = data.autopilot_platform_script.time_zone.id
    file_name      = data.autopilot_platform_script.time_zone.file_name
    run_as_account = data.autopilot_platform_script.time_zone.run_as_account
  }
}
