-- Mail for notifications. A notification is the outbox entry: it is written with the change
-- that causes it (or by the scheduler), and the mail pass routes each new one by its
-- recipient's settings to a mail of its own, the next daily digest, or the app only.

-- Where and in which language a user is written to.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'ja';

-- Each user's choice per kind (mamori_domain::notification::Delivery); no row: mail at once.
CREATE TABLE notification_settings (
    user_id {{int}} NOT NULL REFERENCES users (id),
    rule TEXT NOT NULL,
    delivery TEXT NOT NULL,
    PRIMARY KEY (user_id, rule)
);

-- new: not routed yet; mail: has a mail of its own; digest: waits for the next digest;
-- digested: went in one (digest_mail_id); none: in the app only.
ALTER TABLE notifications ADD COLUMN mail_state TEXT NOT NULL DEFAULT 'new';
-- What a notification says beyond its rule, as the change that caused it decided it (a
-- survey's result: JSON of the status and its reason in both languages).
ALTER TABLE notifications ADD COLUMN detail TEXT;
ALTER TABLE notifications ADD COLUMN digest_mail_id {{int}};
CREATE INDEX notifications_to_route ON notifications (id) WHERE mail_state = 'new';
CREATE INDEX notifications_for_digest ON notifications (user_id) WHERE mail_state = 'digest';

-- One mail to send: one notification's, or one user's digest of a day. The unique keys keep
-- two servers from making the same mail twice; a sender leases a mail before sending it, so
-- that only a crash between the send and `sent` can send it again (once the lease is over).
CREATE TABLE mail_outbox (
    id {{id}},
    user_id {{int}} NOT NULL REFERENCES users (id),
    notification_id {{int}} UNIQUE REFERENCES notifications (id),
    digest_day TEXT,
    -- pending, sent or failed (after the last attempt).
    state TEXT NOT NULL,
    attempts {{int}} NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    leased_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (user_id, digest_day)
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX mail_outbox_failed ON mail_outbox (id) WHERE state = 'failed';

-- What one server at a time runs (the notification pass): the holder and until when.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    held_until TEXT NOT NULL
);

-- Invitations by the day they expire: the scheduler tells those that ran out unaccepted.
CREATE INDEX vendor_invitations_by_expiry ON vendor_invitations (expires_at);
