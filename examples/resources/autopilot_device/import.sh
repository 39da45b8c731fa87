# A device is imported by its Autopilot device id or by its serial number. The hardware hash
# cannot be read back from Graph: the configured value is taken as is.
terraform import autopilot_device.reception_laptop PF3A9K2X
