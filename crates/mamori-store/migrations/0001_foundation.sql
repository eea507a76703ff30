-- Institutions, users, sessions, checklist answers with their history, inspection
-- observations and the audit log. Dates are TEXT 'YYYY-MM-DD', instants TEXT RFC 3339 UTC,
-- the same on both engines so that one set of queries serves both.
CREATE TABLE institutions (
    id {{id}},
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    beds {{int}} NOT NULL,
    has_medical_information_system BOOLEAN NOT NULL,
    has_vendor_contracts BOOLEAN NOT NULL,
    medical_institution_code TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX institutions_by_prefecture ON institutions (prefecture, id);

CREATE TABLE users (
    id {{id}},
    login TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    institution_id {{int}} REFERENCES institutions (id),
    prefecture TEXT,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    last_login_at TEXT
);
CREATE INDEX users_by_institution ON users (institution_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id {{int}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE login_failures (
    login TEXT PRIMARY KEY,
    failures {{int}} NOT NULL,
    last_failure_at TEXT NOT NULL
);

CREATE TABLE answers (
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    fiscal_year {{int}} NOT NULL,
    item_key TEXT NOT NULL,
    round {{int}} NOT NULL,
    answer TEXT NOT NULL,
    checked_on TEXT NOT NULL,
    target_date TEXT,
    updated_by {{int}} NOT NULL REFERENCES users (id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (institution_id, fiscal_year, item_key, round)
);

CREATE TABLE answer_history (
    id {{id}},
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    fiscal_year {{int}} NOT NULL,
    item_key TEXT NOT NULL,
    round {{int}} NOT NULL,
    action TEXT NOT NULL,
    answer TEXT,
    checked_on TEXT,
    target_date TEXT,
    previous_answer TEXT,
    previous_checked_on TEXT,
    previous_target_date TEXT,
    changed_by {{int}} NOT NULL REFERENCES users (id),
    changed_at TEXT NOT NULL
);
CREATE INDEX answer_history_by_item ON answer_history (institution_id, fiscal_year, item_key, id);

CREATE TABLE inspection_observations (
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    fiscal_year {{int}} NOT NULL,
    contact_chart_seen BOOLEAN NOT NULL,
    recorded_by {{int}} NOT NULL REFERENCES users (id),
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (institution_id, fiscal_year)
);

-- The audit log is hash-chained: each entry's hash covers the previous entry's hash and its
-- own fields, and the head row holds the last sequence number and hash, so that an edited,
-- inserted or deleted entry is detected by `mamori audit verify`. Appending takes the head
-- row's lock, which also orders the entries.
CREATE TABLE audit_log (
--@postgres     seq BIGINT PRIMARY KEY,
--@sqlite     seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id {{int}},
    action TEXT NOT NULL,
    institution_id {{int}},
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_by_institution ON audit_log (institution_id, seq);

CREATE TABLE audit_chain_head (
--@postgres     id BIGINT PRIMARY KEY CHECK (id = 1),
--@postgres     seq BIGINT NOT NULL,
--@sqlite     id INTEGER PRIMARY KEY CHECK (id = 1),
--@sqlite     seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, seq, last_hash) VALUES (1, 0, 'genesis');
