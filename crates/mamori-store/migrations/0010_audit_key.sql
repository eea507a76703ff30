-- The audit chain is keyed: each entry's hash is an HMAC-SHA-256 under a key kept outside
-- the database (a key file). The head row records the key's fingerprint, never the key, so
-- that a server started with another key refuses to write. NULL: a chain of plain SHA-256
-- hashes written before keys, re-keyed at the first start with a key.
ALTER TABLE audit_chain_head ADD COLUMN key_fingerprint TEXT;
