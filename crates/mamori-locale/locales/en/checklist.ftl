# Sentences of the checklist (with print, coverage and evidence) (English). Same keys as ja/checklist.ftl (a test checks).
checklist-vendor-contracts = Vendor contracts
checklist-vendor-forms-ready = Vendor forms: ready
checklist-vendor-forms-not-ready = Vendor forms: not ready
checklist-required-items-nobody-covers = Required items nobody covers
checklist-number = No.
checklist-item = Item
checklist-covered-by = Covered by
checklist-reference = (reference)
checklist-contact-chart-none = Contact chart: none
checklist-contact-chart-gaps = Contact chart: gaps
checklist-contact-chart-complete = Contact chart: complete
checklist-open-contact-chart = Open the contact chart
checklist-records = Records
checklist-open-backup-bcp = Open backup and BCP
checklist-not-delivered = not delivered
checklist-mds-sds-all-delivered = MDS/SDS: delivered by every vendor
checklist-mds-sds-some-missing = MDS/SDS: some vendors have not delivered
checklist-open-contracts-mds-sds = Open contracts and MDS/SDS
checklist-scope-heading = { $scope }: the following are in place.
checklist-required-from = Required from { $from }; not inspected in { $year }
# The answer marks of the printed form.
checklist-print-yes = Yes
checklist-print-no = No
checklist-choose-yes-or-no = choose yes or no
checklist-enter-date-check = enter the date of the check
checklist-print-or = {" / "}
checklist-delivered-on = { $date } delivered
# The brackets around a reference item's badge and a not-applicable note on the printed form.
checklist-print-badge-open = {"["}
checklist-print-badge-close = {"]"}
checklist-print-note-open = (
checklist-print-note-close = )
