-- Listings: a working copy in online_services, immutable published versions beside it,
-- and the audit log. Same tables and columns as migrations/sqlite.

ALTER TABLE online_services ADD COLUMN listing_state TEXT NOT NULL DEFAULT 'published'
    CHECK (listing_state IN ('draft', 'in_review', 'published', 'retired'));
-- optimistic concurrency: bumped by every write, sent as the ETag
ALTER TABLE online_services ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
-- The columns above hold what the public sees: they change only when a version is approved.
-- The provider's working copy is `content` (listing content as JSON); `listing_state` is its state.
ALTER TABLE online_services ADD COLUMN content TEXT;
-- the listing content of the published version, as JSON (NULL for seeded entries)
ALTER TABLE online_services ADD COLUMN published_content TEXT;
-- NULL until first approved; seeded entries count as version 1
ALTER TABLE online_services ADD COLUMN published_version INTEGER;
ALTER TABLE online_services ADD COLUMN review_note TEXT;
-- where the service is live without an agreement of its own: nowhere (agreements),
-- in every Gemeinde of its lead Land (land_wide), or everywhere (nationwide)
ALTER TABLE online_services ADD COLUMN reach TEXT NOT NULL DEFAULT 'agreements'
    CHECK (reach IN ('agreements', 'land_wide', 'nationwide'));
CREATE INDEX online_services_state_idx ON online_services (listing_state);

CREATE TABLE listing_versions (
    online_service_id  TEXT NOT NULL REFERENCES online_services (id),
    version            INTEGER NOT NULL CHECK (version >= 1),
    content            TEXT NOT NULL,
    published_at       TIMESTAMP NOT NULL,
    approved_by        TEXT NOT NULL,
    PRIMARY KEY (online_service_id, version)
);

CREATE TABLE org_memberships (
    bundler_org_id  TEXT NOT NULL REFERENCES organisations (id),
    member_org_id   TEXT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (bundler_org_id, member_org_id)
);

-- Append-only: the API has no update or delete for it.
CREATE TABLE audit_events (
    id             TEXT PRIMARY KEY,
    occurred_at    TIMESTAMP NOT NULL,
    actor          TEXT NOT NULL,
    actor_org_id   TEXT,
    action         TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    -- the organisation the resource belongs to: who may read the event besides operators
    owner_org_id   TEXT,
    before         TEXT,
    after          TEXT,
    request_id     TEXT
);
CREATE INDEX audit_events_resource_idx ON audit_events (resource_type, resource_id);
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at);
