-- What the scheduler reads to tell an institution of its upkeep: the first day a backup's
-- last restore test is older than a year (kept with the records, from
-- mamori_domain::continuity::restore_test_due), and the earliest day a device in use ends
-- its support within the flags' horizon (kept with the ledger's counts, which are counted
-- again each day).
ALTER TABLE continuity_records ADD COLUMN restore_test_due TEXT;
CREATE INDEX continuity_records_by_restore_test_due ON continuity_records (restore_test_due);
-- Records kept before: the same day from the document (SQLite's months may give the 1st of
-- March where mamori gives the 28th of February; the next save sets mamori's).
--@sqlite UPDATE continuity_records SET restore_test_due = (SELECT date(MIN(json_extract(b.value, '$.last_restore_test.on')), '+1 day', '+12 months') FROM json_each(continuity_records.document, '$.backups') b);
--@postgres UPDATE continuity_records SET restore_test_due = (SELECT to_char(MIN((b.value -> 'last_restore_test' ->> 'on')::date) + 1 + interval '12 months', 'YYYY-MM-DD') FROM jsonb_array_elements(continuity_records.document::jsonb -> 'backups') b);

ALTER TABLE device_flag_counts ADD COLUMN support_ends_on TEXT;
CREATE INDEX device_flag_counts_by_support_end ON device_flag_counts (support_ends_on);
