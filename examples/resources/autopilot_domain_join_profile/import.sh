# A domain join profile is imported by its Graph object id (a deviceConfiguration id):
# Intune admin center > Devices > Windows > Configuration > the profile; the id is in the page's
# URL.
terraform import autopilot_domain_join_profile.contoso 2b7e1c5a-4f0d-4c8e-9a3b-7d6e5f4a3b2c
