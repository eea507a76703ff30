-- Oversight: institutions are found by name, 医療機関コード and municipality, counted by the
-- kind oversight tells apart (mamori_domain::oversight::OversightKind: dental clinics by the
-- code's point-table digit) and by where they stand with each fiscal year's checklist.
-- `search_key` and `oversight_kind` are computed in Rust (SQL has no NFKC on SQLite) when an
-- institution is written, and for rows that lack them when the store opens.
ALTER TABLE institutions ADD COLUMN municipality_code TEXT;
ALTER TABLE institutions ADD COLUMN municipality_name TEXT NOT NULL DEFAULT '';
ALTER TABLE institutions ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE institutions ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
ALTER TABLE institutions ADD COLUMN oversight_kind TEXT NOT NULL DEFAULT '';
CREATE INDEX institutions_counted ON institutions (prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts);

-- Where an institution stands with a fiscal year (mamori_domain::oversight::YearState),
-- written in the transaction that changes what it is computed from. An institution without a
-- row has answered nothing that year; its state then follows from its profile alone. Each row
-- carries the institution's prefecture, kind and profile as they were when it was written
-- (a change of the institution rewrites its rows), so that the counts of a prefecture or of
-- the country are read from this table's index alone.
CREATE TABLE year_states (
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    fiscal_year {{int}} NOT NULL,
    state TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    oversight_kind TEXT NOT NULL,
    kind TEXT NOT NULL,
    has_medical_information_system BOOLEAN NOT NULL,
    has_vendor_contracts BOOLEAN NOT NULL,
    PRIMARY KEY (institution_id, fiscal_year)
);
CREATE INDEX year_states_counted ON year_states (fiscal_year, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state);

-- The items whose latest answer is いいえ with a target date: overdue once the date passes.
-- With the institution's prefecture and kind, as in year_states.
CREATE TABLE open_targets (
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    fiscal_year {{int}} NOT NULL,
    item_key TEXT NOT NULL,
    target_date TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    oversight_kind TEXT NOT NULL,
    PRIMARY KEY (institution_id, fiscal_year, item_key)
);
CREATE INDEX open_targets_counted ON open_targets (fiscal_year, prefecture, target_date, oversight_kind, institution_id);

-- The counts the summaries read, kept in the transactions that change what they count, so a
-- summary reads a few hundred rows whatever the number of institutions: institutions by
-- prefecture, kind and profile, and kept states by the same and their state. Rebuilt from the
-- tables they count when the store opens (`Store::migrate`).
CREATE TABLE institution_counts (
    prefecture TEXT NOT NULL,
    oversight_kind TEXT NOT NULL,
    kind TEXT NOT NULL,
    has_medical_information_system BOOLEAN NOT NULL,
    has_vendor_contracts BOOLEAN NOT NULL,
    n {{int}} NOT NULL,
    PRIMARY KEY (prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts)
);
CREATE TABLE year_state_counts (
    fiscal_year {{int}} NOT NULL,
    prefecture TEXT NOT NULL,
    oversight_kind TEXT NOT NULL,
    kind TEXT NOT NULL,
    has_medical_information_system BOOLEAN NOT NULL,
    has_vendor_contracts BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    n {{int}} NOT NULL,
    PRIMARY KEY (fiscal_year, prefecture, oversight_kind, kind, has_medical_information_system, has_vendor_contracts, state)
);
