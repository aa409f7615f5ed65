-- The outbox: every state change writes its events in the same transaction. `position` is the
-- feed's cursor: (transaction id << 20) + the event's index in its transaction. A reader
-- returns only events of transactions older than every transaction still running
-- (pg_snapshot_xmin), so a later commit never lands behind a position already read.
CREATE TABLE events (
    position BIGINT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    -- The server instance that wrote it (the others refresh what they hold in memory).
    origin TEXT NOT NULL,
    payload TEXT NOT NULL
);

-- Who may see an event: `org:<id>`, `land:<code>` (that Land's coordinators) or `all`.
CREATE TABLE event_audience (
    audience TEXT NOT NULL,
    position BIGINT NOT NULL REFERENCES events (position) ON DELETE CASCADE,
    PRIMARY KEY (audience, position)
);
CREATE INDEX event_audience_position_idx ON event_audience (position);
