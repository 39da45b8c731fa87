# A set of devices is imported by their group tag (`tag:<group tag>`) or by a comma-separated
# list of Autopilot device ids or serial numbers.
terraform import autopilot_device_csv.branch_office tag:BRANCH
