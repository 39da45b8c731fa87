# An Enrollment Status Page is imported by its Graph object id (a deviceEnrollmentConfiguration
# id, `<guid>_Windows10EnrollmentCompletionProfile`). The tenant's default ESP is read with the
# `autopilot_enrollment_status_page` data source instead.
terraform import autopilot_enrollment_status_page.standard 5d3c2b1a-0f9e-4d8c-b7a6-958473625140_Windows10EnrollmentCompletionProfile
