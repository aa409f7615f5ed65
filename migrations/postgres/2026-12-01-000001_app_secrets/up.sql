-- Secrets every server process must share, made once by whichever process starts first: the
-- key that encrypts the shop's session cookies (so any instance reads any instance's cookies).
CREATE TABLE app_secrets (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
