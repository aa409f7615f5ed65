-- The outbox: every state change writes its events in the same transaction. `position` is the
-- feed's cursor, increasing in commit order (SQLite has one writer at a time).
CREATE TABLE events (
    position BIGINT PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    origin TEXT NOT NULL,
    payload TEXT NOT NULL
);

CREATE TABLE event_audience (
    audience TEXT NOT NULL,
    position BIGINT NOT NULL REFERENCES events (position) ON DELETE CASCADE,
    PRIMARY KEY (audience, position)
);
CREATE INDEX event_audience_position_idx ON event_audience (position);
