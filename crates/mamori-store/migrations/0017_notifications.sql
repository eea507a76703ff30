-- Notifications (お知らせ): what mamori tells a user, in the app. One row per rule, subject,
-- date and recipient: the unique key is what keeps a scheduler pass, a re-run or a second
-- server from notifying anyone twice (mamori_domain::notification).
CREATE TABLE notifications (
    id {{id}},
    user_id {{int}} NOT NULL REFERENCES users (id),
    -- mamori_domain::notification::Rule
    rule TEXT NOT NULL,
    -- What it is about, as a key: `answer:{institution}:{fiscal year}:{item}` for a target date.
    subject TEXT NOT NULL,
    -- The date the rule is about (the target date).
    on_date TEXT NOT NULL,
    institution_id {{int}} REFERENCES institutions (id),
    fiscal_year {{int}},
    item_key TEXT,
    created_at TEXT NOT NULL,
    read_at TEXT,
    UNIQUE (rule, subject, on_date, user_id)
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);
-- Every page's header counts the unread ones.
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- Open target dates by their date: a scheduler pass reads the dates due, not every answer.
CREATE INDEX open_targets_by_date ON open_targets (target_date);

-- The last day each scheduler rule has covered, so that a pass after a pause catches up and a
-- pass on the same day reads nothing again.
CREATE TABLE scheduler_days (
    rule TEXT PRIMARY KEY,
    covered_through TEXT NOT NULL
);
