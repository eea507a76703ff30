-- Logins are compared by their folded form (NFKC, lower case: mamori_domain::login::login_key),
-- so that `DEMO-Hospital` and full-width `ＤＥＭＯ－ＨＯＳＰＩＴＡＬ` are the account
-- `demo-hospital`. The key is computed in Rust (SQL has no NFKC on SQLite) when the store
-- opens (`Store::migrate`), for every row whose key is missing. Accounts that already
-- shared a folded login before this migration are marked `login_key_shared`: each keeps
-- logging in by its exact login only, and they stay outside the unique index, which holds
-- for every other account. No new account may take a key already in use.
ALTER TABLE users ADD COLUMN login_key TEXT;
ALTER TABLE users ADD COLUMN login_key_shared BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX users_by_login_key ON users (login_key) WHERE NOT login_key_shared;
