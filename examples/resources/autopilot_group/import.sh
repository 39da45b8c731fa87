# A group is imported by its object id: Microsoft Entra admin center > Groups > the group >
# Object ID, or `az ad group show --group "NAME" --query id -o tsv`.
terraform import autopilot_group.sales_devices 0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e
