# Sentences of the institution list and institution pages (English). Same keys as ja/institutions.ftl (a test checks).
institutions-vendor-contracts = Vendor contracts
institutions-contact-chart = Contact chart
institutions-backup-bcp = Backup and BCP
institutions-coverage-vendors = Coverage with vendors
institutions-training-record = Training record
institutions-support-fits = Support that fits
institutions-open-support-menu = Open the support menu
institutions-no-gap-found = The records show no gap that a programme answers. The support menu is always open.
institutions-no-programme-for-kind = This year's menu has no programme for this kind of institution.
institutions-estimate = estimate
institutions-must-be-integer = must be an integer
institutions-institution-user-admin-or-staff = an institution user is admin or staff
institutions-number-beds-must-be-whole = the number of beds must be a whole number
institutions-field-wrong-type = field '{ $field }' has the wrong type
institutions-field-unknown = unknown field '{ $field }'
