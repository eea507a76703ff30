-- Two-factor authentication, account lifecycle and the access log.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step {{int}} NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at TEXT;
ALTER TABLE users ADD COLUMN deleted_at TEXT;
ALTER TABLE institutions ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN client TEXT NOT NULL DEFAULT '';

CREATE TABLE recovery_codes (
    user_id {{int}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (user_id, code_hash)
);

-- Who read which institution's file: one row per user, institution and resource per
-- ten-minute bucket, so that reading a page many times does not flood the log.
CREATE TABLE access_log (
    id {{id}},
    at TEXT NOT NULL,
    bucket TEXT NOT NULL,
    user_id {{int}} NOT NULL REFERENCES users (id),
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    resource TEXT NOT NULL,
    UNIQUE (institution_id, user_id, resource, bucket)
);
CREATE INDEX access_log_by_institution ON access_log (institution_id, id);
