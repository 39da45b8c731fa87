# A scope tag is imported by its id, a number: Intune admin center > Tenant administration >
# Roles > Scope tags > the tag; the id is in the page's URL. The built-in Default tag (0) cannot
# be imported.
terraform import autopilot_scope_tag.paris 1
