-- Vendors (事業者): their organisations and users, the institutions' contracts with them,
-- invitations, the vendors' 事業者確認用 answers with their history, MDS/SDS deliveries,
-- and the institutions' contact charts (連絡体制図) and backup/BCP records as JSON documents.
CREATE TABLE vendor_organizations (
    id {{id}},
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- A vendor's user belongs to one organisation; institution_id stays NULL.
ALTER TABLE users ADD COLUMN vendor_organization_id {{int}} REFERENCES vendor_organizations (id);
CREATE INDEX users_by_vendor_organization ON users (vendor_organization_id);

CREATE TABLE vendor_contracts (
    id {{id}},
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    -- NULL until the vendor accepts an invitation.
    vendor_organization_id {{int}} REFERENCES vendor_organizations (id),
    vendor_name TEXT NOT NULL,
    -- JSON arrays of system kinds and device scopes.
    systems TEXT NOT NULL,
    remote_maintenance BOOLEAN NOT NULL,
    scopes TEXT NOT NULL,
    start_on TEXT,
    end_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX vendor_contracts_by_institution ON vendor_contracts (institution_id, id);
CREATE INDEX vendor_contracts_by_organization ON vendor_contracts (vendor_organization_id, id);

-- Only the SHA-256 of an invitation token is kept.
CREATE TABLE vendor_invitations (
    token_hash TEXT PRIMARY KEY,
    contract_id {{int}} NOT NULL REFERENCES vendor_contracts (id),
    email TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by {{int}} REFERENCES users (id),
    created_by {{int}} NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX vendor_invitations_by_contract ON vendor_invitations (contract_id);

CREATE TABLE vendor_answers (
    contract_id {{int}} NOT NULL REFERENCES vendor_contracts (id),
    fiscal_year {{int}} NOT NULL,
    item_key TEXT NOT NULL,
    round {{int}} NOT NULL,
    answer TEXT NOT NULL,
    checked_on TEXT NOT NULL,
    target_date TEXT,
    updated_by {{int}} NOT NULL REFERENCES users (id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (contract_id, fiscal_year, item_key, round)
);

CREATE TABLE vendor_answer_history (
    id {{id}},
    contract_id {{int}} NOT NULL REFERENCES vendor_contracts (id),
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
CREATE INDEX vendor_answer_history_by_item ON vendor_answer_history (contract_id, fiscal_year, item_key, id);

-- MDS/SDS (製造業者/サービス事業者による医療情報セキュリティ開示書) handed to the institution.
CREATE TABLE vendor_deliveries (
    id {{id}},
    contract_id {{int}} NOT NULL REFERENCES vendor_contracts (id),
    kind TEXT NOT NULL,
    delivered_on TEXT NOT NULL,
    file_name TEXT NOT NULL,
--@postgres     content BYTEA NOT NULL,
--@postgres     created_by BIGINT NOT NULL REFERENCES users (id),
--@sqlite     content BLOB NOT NULL,
--@sqlite     created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX vendor_deliveries_by_contract ON vendor_deliveries (contract_id, id);

-- One document per institution; updated_at is its version.
CREATE TABLE contact_charts (
--@postgres     institution_id BIGINT PRIMARY KEY REFERENCES institutions (id),
--@sqlite     institution_id INTEGER PRIMARY KEY REFERENCES institutions (id),
    document TEXT NOT NULL,
    updated_by {{int}} NOT NULL REFERENCES users (id),
    updated_at TEXT NOT NULL
);

CREATE TABLE continuity_records (
--@postgres     institution_id BIGINT PRIMARY KEY REFERENCES institutions (id),
--@sqlite     institution_id INTEGER PRIMARY KEY REFERENCES institutions (id),
    document TEXT NOT NULL,
    updated_by {{int}} NOT NULL REFERENCES users (id),
    updated_at TEXT NOT NULL
);
