-- People acting for organisations. Authentication is by token (the subject is the user id);
-- this table names who exists, for operators and for the synthetic national data set.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations (id),
    role          TEXT NOT NULL CHECK (role IN ('municipality_user', 'provider_publisher', 'land_coordinator', 'bundler', 'operator')),
    display_name  TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX users_org_idx ON users (org_id);
