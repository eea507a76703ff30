# Sentences of the on-site inspection (English). Same keys as ja/inspection.ftl (a test checks).
inspection-choose-whether-contact-chart-was = choose whether the contact chart was seen
