# Incident reports (the consultation desk, urgency, whom to call now). Same keys as ja/domain-incident.ftl.
domain-incident-advice-critical = Call the contacts below now. The desk will also call you back.
domain-incident-advice-high = Call the contacts below as soon as you can. The desk will contact you too.
domain-incident-advice-medium = Go through the steps below and call your vendor. The desk will review the case.
domain-incident-advice-low = The desk will review the case. If things change, call the contacts below at once.
domain-incident-who-vendor = Vendor: { $vendor }
domain-incident-who-admin = Institution administrator (mamori)
# The national contacts. They enter a contact chart's records in Japanese.
domain-incident-police-desk = Prefectural police cybercrime desk
domain-incident-police-desk-notes = #9110 is the police consultation line (it reaches the prefecture's police). The National Police Agency's page lists the cybercrime desks
domain-incident-mhlw-desk = MHLW Health Policy Bureau, Office of the Counsellor for Pharmaceutical Development Support and Medical Information
domain-incident-mhlw-desk-notes = Main line: ask for the medical information office. Check the ministry's page on cybersecurity in healthcare for the current contact
