# Sentences for the people who run the server (the command line, errors at start). Same keys
# as ja/operator.ftl. A console has no reader's language: both are shown, joined by " / ";
# the Japanese says what happened, the English gives the detail.
operator-about = the cybersecurity checklist of medical institutions and its inspection
operator-verdict-ready = READY
operator-verdict-not-ready = NOT READY
operator-severity-blocking = BLOCKING
operator-severity-advice = ADVICE
operator-severity-info = INFO
operator-audit-no-key = the audit log's key was not given to the store
operator-audit-key-file = { $why }
operator-audit-key-mismatch = the audit key does not match the database: its audit log is keyed with the key of fingerprint { $recorded }…, this key's is { $given }…. Start with the key file used so far (all servers of one database share one key); nothing was written
operator-audit-legacy-chain-broken = the audit log was not re-keyed: its chain is broken at entry { $seq } ({ $problem }). Investigate, or restore a backup, before starting again
operator-audit-keyed-before = the audit log is not keyed, but the checkpoint { $checkpoint } signed with this key shows it was: the database was replaced or rewritten. Restore a backup; nothing was written
operator-audit-key-file-needed = give the audit log's key file (--audit-key-file or MAMORI_AUDIT_KEY_FILE): a PostgreSQL or in-memory database has no default, and every server of one database must use the same key
operator-audit-key-file-missing-keyed = there is no audit key file at { $path }: the database's audit log is keyed (fingerprint { $fingerprint }…); give the key file it was keyed with (--audit-key-file)
operator-audit-key-file-missing = there is no audit key file at { $path }: `mamori migrate` or `mamori serve` creates it, or give --audit-key-file
operator-audit-broken = the audit log is broken: { $detail }
operator-audit-intact = the audit log is intact: { $entries } entries, { $checkpoints } checkpoints in { $folder } agree
operator-audit-broken-at = the audit log is broken at entry { $seq }: { $problem } ({ $entries } entries verified before it)
operator-audit-checkpoint-written = audit checkpoint written: { $path }
operator-backup-damaged = the backup is damaged: { $what }
operator-backup-newer-format = the backup has format version { $version }, this mamori reads up to { $known }: use a newer mamori
operator-restore-not-empty = the target database is not empty: { $what }. Restore into a new, empty database.
operator-restore-key-needed = the backup's audit log is keyed: give the key file of the database it was taken from (--audit-key-file; for SQLite, or copy it to <database file>.audit-key)
operator-restore-other-engine = the backup is of a { $backup } database and the target is { $target }: restore into the same engine
operator-restore-newer-schema = the backup's schema version is { $version }, this mamori knows up to { $known }: use a newer mamori
operator-notify-pass = Notification pass (through { $day }): { $count } written
operator-notify-mail = Notification mail: { $sent } sent, { $retried } to be tried again, { $failed } failed
