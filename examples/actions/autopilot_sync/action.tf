# Ask Intune to sync the tenant's Autopilot devices with the Autopilot service, on demand:
#
#   terraform apply -invoke=action.autopilot_sync.now
#
# Intune allows one sync every 10 minutes; a sync asked for sooner is reported with the time
# the next one is allowed, and the run still succeeds.
action "autopilot_sync" "now" {}

# Or after the devices of a CSV change: the sync makes new registrations and changed group
# tags show in Intune sooner.
resource "autopilot_device_csv" "site_a" {
  content = file("${path.module}/hwids.csv")

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.autopilot_sync.now]
    }
  }
}
