# Sentences of shared parts (layout, invitation mail, input checks) (English). Same keys as ja/http.ftl (a test checks).
http-incident = Incident?
http-institutions-served = Institutions served
http-training = Training
http-incident-desk = Incident desk
http-consultations = Consultations
http-support-menu = Support menu
http-other-language = 日本語
http-internal-error = Internal error
http-invitation-subject = Invitation from { $institution }
http-invitation-text =
    To { $vendor },

    { $institution } invites you, through mamori, to answer the vendor checklist
    (事業者確認用) and to deliver your MDS/SDS.

    Open this link and choose a login and password (valid once, for { $days } days):
    { $link }

    If you do not expect this invitation, please discard this mail.
http-control-character = contains a control character ({ $character } at character { $position }); remove it and send again
