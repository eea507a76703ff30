-- 証跡 (evidence): what an institution keeps as proof of a checklist item of a fiscal year.
-- `evidence` is each evidence as it stands; `evidence_versions` every version it has had
-- (a replaced file, changed dates), the current one included; `evidence_files` the bytes,
-- kept once per institution and content (SHA-256), so a version or a year carried forward
-- that keeps a file adds nothing; `evidence_usage` the bytes an institution keeps, updated
-- in the transaction that adds a file (the row's lock orders concurrent uploads against
-- the quota).
CREATE TABLE evidence_files (
    id {{id}},
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    sha256 TEXT NOT NULL,
--@postgres     size BIGINT NOT NULL,
--@postgres     content BYTEA NOT NULL,
--@sqlite     size INTEGER NOT NULL,
--@sqlite     content BLOB NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (institution_id, sha256)
);

CREATE TABLE evidence_usage (
--@postgres     institution_id BIGINT PRIMARY KEY REFERENCES institutions (id),
--@postgres     bytes BIGINT NOT NULL
--@sqlite     institution_id INTEGER PRIMARY KEY REFERENCES institutions (id),
--@sqlite     bytes INTEGER NOT NULL
);

CREATE TABLE evidence (
    id {{id}},
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    fiscal_year INTEGER NOT NULL,
    item_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    owner TEXT NOT NULL,
    produced_on TEXT NOT NULL,
    valid_until TEXT,
    -- The first day it is stale: the day after valid_until, or a year after produced_on.
    stale_from TEXT,
    -- A document kind (pdf, xlsx, docx, png, jpeg, text) or `link`.
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    url TEXT NOT NULL,
    file_id {{int}} REFERENCES evidence_files (id),
    carried_from {{int}} REFERENCES evidence (id),
    created_by {{int}} NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_by {{int}} NOT NULL REFERENCES users (id),
    updated_at TEXT NOT NULL,
    removed_by {{int}} REFERENCES users (id),
    removed_at TEXT
);
CREATE INDEX evidence_by_item ON evidence (institution_id, fiscal_year, item_key, id);
CREATE INDEX evidence_by_stale_from ON evidence (stale_from);

CREATE TABLE evidence_versions (
    id {{id}},
    evidence_id {{int}} NOT NULL REFERENCES evidence (id),
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    owner TEXT NOT NULL,
    produced_on TEXT NOT NULL,
    valid_until TEXT,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    url TEXT NOT NULL,
    file_id {{int}} REFERENCES evidence_files (id),
    created_by {{int}} NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (evidence_id, version)
);
