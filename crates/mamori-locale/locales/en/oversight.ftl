# Oversight: where institutions stand, as prefectures and the national office see it

domain-labels-year-state-not-started = Not started
domain-labels-year-state-in-progress = In progress
domain-labels-year-state-completed = Completed
domain-labels-year-state-ready = Ready for inspection
domain-labels-oversight-kind-dental-clinic = Dental clinic
domain-parse-year-state = state '{ $text }' must be one of not_started, in_progress, completed, ready
domain-parse-oversight-kind = kind '{ $text }' must be one of hospital, clinic_with_beds, clinic_without_beds, dental_clinic, pharmacy
domain-parse-municipality-code-six-digits = municipality code '{ $text }' must be six digits
domain-parse-municipality-code-prefecture = the first two digits of municipality code '{ $text }' are not a prefecture code (01–47)
domain-parse-municipality-code-check-digit = the check digit (sixth digit) of municipality code '{ $text }' does not match
