-- What follows the on-site inspection (立入検査): its schedule, the inspector's remark on each
-- item, the result notified to the institution, and the improvement reports (改善報告) on
-- each 指導 (mamori_domain::follow_up). One inspection per institution and fiscal year. And
-- the index oversight counts the items most often answered いいえ by.
CREATE TABLE inspections (
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    fiscal_year {{int}} NOT NULL,
    scheduled_on TEXT NOT NULL,
    -- 'HH:MM' Japan time, where fixed.
    starts_at TEXT,
    -- The inspectors' names, one per line.
    inspectors TEXT NOT NULL,
    scheduled_by {{int}} REFERENCES users (id),
    scheduled_at TEXT NOT NULL,
    -- 総評, and when the result was notified (結果の確定); remarks are drafts until then.
    overall_comment TEXT NOT NULL DEFAULT '',
    notified_by {{int}} REFERENCES users (id),
    notified_at TEXT,
    PRIMARY KEY (institution_id, fiscal_year)
);
CREATE INDEX inspections_by_day ON inspections (scheduled_on, institution_id);

CREATE TABLE inspection_remarks (
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    fiscal_year {{int}} NOT NULL,
    item_key TEXT NOT NULL,
    level TEXT NOT NULL,
    note TEXT NOT NULL,
    -- mamori_domain::follow_up::RemarkProgress, kept as reports are filed and decided so that
    -- open 指摘 are counted from the index.
    progress TEXT NOT NULL,
    recorded_by {{int}} REFERENCES users (id),
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (institution_id, fiscal_year, item_key)
);
CREATE INDEX inspection_remarks_by_progress ON inspection_remarks (fiscal_year, progress, institution_id);

CREATE TABLE improvement_reports (
    id {{id}},
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    fiscal_year {{int}} NOT NULL,
    item_key TEXT NOT NULL,
    action_taken TEXT NOT NULL,
    done_on TEXT NOT NULL,
    filed_by {{int}} REFERENCES users (id),
    filed_at TEXT NOT NULL,
    -- mamori_domain::follow_up::ReportDecision, NULL until decided.
    decision TEXT,
    decision_note TEXT NOT NULL DEFAULT '',
    decided_by {{int}} REFERENCES users (id),
    decided_at TEXT
);
CREATE INDEX improvement_reports_of_remark ON improvement_reports (institution_id, fiscal_year, item_key, id);

-- The first-round いいえ answers of a year by item, which oversight counts (the items most
-- often answered いいえ) without reading the other answers.
CREATE INDEX answers_no_by_item ON answers (fiscal_year, round, answer, item_key, institution_id);
