# An assignment filter is imported by its Graph object id: Intune admin center > Tenant
# administration > Filters > the filter; the id is in the page's URL.
terraform import autopilot_assignment_filter.surfaces 2b7e1c5a-4f0d-4c8e-9a3b-7d6e5f4a3b2c
