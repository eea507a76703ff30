-- The device ledger (機器台帳) of checklist item 2(1), and the files uploaded for an import
-- between its preview and its confirmation. Software entries are one JSON text per device:
-- they are always read and written with the device, never queried alone.
CREATE TABLE devices (
    id {{id}},
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    asset_number TEXT NOT NULL,
    kind TEXT,
    maker TEXT NOT NULL,
    model TEXT NOT NULL,
    os TEXT NOT NULL,
    software TEXT NOT NULL,
    firmware_version TEXT,
    ip_addresses TEXT NOT NULL,
    dhcp BOOLEAN NOT NULL,
    computer_name TEXT NOT NULL,
    location TEXT NOT NULL,
    user_name TEXT NOT NULL,
    registered_on TEXT,
    status TEXT NOT NULL,
    description TEXT NOT NULL,
    serial_number TEXT NOT NULL,
    remote_maintenance BOOLEAN NOT NULL,
    maintenance_vendor TEXT NOT NULL,
    remote_access TEXT,
    security_updates_in_contract BOOLEAN,
    last_patched_on TEXT,
    always_on_connection BOOLEAN,
    weak_or_reused_password BOOLEAN,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (institution_id, asset_number)
);

CREATE TABLE ledger_uploads (
    token_hash TEXT PRIMARY KEY,
    institution_id {{int}} NOT NULL REFERENCES institutions (id),
    user_id {{int}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
--@postgres     body BYTEA NOT NULL,
--@sqlite     body BLOB NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX ledger_uploads_by_expiry ON ledger_uploads (expires_at);
