# A deployment profile is imported by its Graph object id: Intune admin center > Devices >
# Windows > Windows enrollment > Deployment Profiles > the profile; the id is in the page's URL
# (or read it with the autopilot_deployment_profile data source, by display name).
terraform import autopilot_deployment_profile.sales 6fa0c91b-0b54-4f5a-9e55-5b1a8d4b3c21
