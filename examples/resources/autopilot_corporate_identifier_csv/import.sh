# Every Windows corporate identifier of the tenant (`all`), or identity ids separated by commas.
# The imported CSV lists the identifiers sorted, one per line.
terraform import autopilot_corporate_identifier_csv.laptops all
