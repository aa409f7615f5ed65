-- E-mail (issue 13): the shop's login records who a person is (subject, organisation, roles,
-- Land, the address of the identity provider's `email` claim); each may opt out. `roles` holds
-- every role of the last login, space-separated (`role` stays the first, for the synthetic data).
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN roles TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN land_code TEXT;
ALTER TABLE users ADD COLUMN mail_opt_out BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login_at TIMESTAMP;
UPDATE users SET roles = role;
UPDATE users SET land_code = (SELECT o.land_code FROM organisations o WHERE o.id = users.org_id) WHERE role = 'land_coordinator';
-- A request's mail goes to the coordinators of its Land.
CREATE INDEX users_land_idx ON users (land_code);

-- Mails made from the outbox's events, one per event and recipient, sent by the server,
-- leased while being sent (SQLite has one process).
CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    last_error TEXT,
    UNIQUE (event_id, user_id)
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE state = 'pending';

-- How far the outbox's events have been turned into mails: one row, locked by the instance
-- doing it. Events from before this migration are not mailed.
CREATE TABLE mail_cursor (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    position BIGINT NOT NULL
);
INSERT INTO mail_cursor (id, position) SELECT 1, COALESCE(MAX(position), 0) FROM events;
