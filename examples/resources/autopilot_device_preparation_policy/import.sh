# A device preparation policy is imported by its Graph object id (a configurationPolicy id):
# Intune admin center > Devices > Windows > Windows enrollment > Device preparation policies >
# the policy; the id is in the page's URL.
terraform import autopilot_device_preparation_policy.standard 8e9f0a1b-2c3d-4e5f-8a6b-7c8d9e0f1a2b
