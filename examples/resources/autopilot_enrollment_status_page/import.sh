# An Enrollment Status Page is imported by its Graph object id (a deviceEnrollmentConfiguration
# id, `<guid>_Windows10EnrollmentCompletionPageConfiguration`): the autopilot_enrollment_status_page
# data source shows it by display name. The tenant's default ESP is read with that data source
# (`default = true`) instead of being imported.
terraform import autopilot_enrollment_status_page.standard 5d3c2b1a-0f9e-4d8c-b7a6-958473625140_Windows10EnrollmentCompletionPageConfiguration
