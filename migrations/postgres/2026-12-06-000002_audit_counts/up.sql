-- How many audit events each view of the log holds, kept by the writes (a trigger in the
-- transaction that appends the events): the operator's whole log (scope ''), an organisation's
-- own ('visible:' || org: it acted, or the resource is its own) and what an organisation's
-- people did ('actor:' || org). The log's pages read one of these instead of counting hundreds
-- of thousands of events per view. The log is append-only, so only inserts are counted, per
-- statement; each scope is split over 16 slots by the first hex digit of the event id, so that
-- concurrent writers rarely wait for one row.
CREATE TABLE audit_counts (
    scope TEXT NOT NULL,
    slot  INTEGER NOT NULL,
    n     BIGINT NOT NULL,
    PRIMARY KEY (scope, slot)
);
CREATE INDEX audit_counts_read_idx ON audit_counts (scope) INCLUDE (n);
ALTER TABLE audit_counts SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 200, autovacuum_analyze_scale_factor = 0.05);

INSERT INTO audit_counts (scope, slot, n)
    SELECT scope, slot, count(*) FROM (
        SELECT '' AS scope, strpos('0123456789abcdef', substr(id, 1, 1)) AS slot FROM audit_events
        UNION ALL SELECT 'actor:' || actor_org_id, strpos('0123456789abcdef', substr(id, 1, 1)) FROM audit_events WHERE actor_org_id IS NOT NULL
        UNION ALL SELECT 'visible:' || actor_org_id, strpos('0123456789abcdef', substr(id, 1, 1)) FROM audit_events WHERE actor_org_id IS NOT NULL
        UNION ALL SELECT 'visible:' || owner_org_id, strpos('0123456789abcdef', substr(id, 1, 1)) FROM audit_events
            WHERE owner_org_id IS NOT NULL AND owner_org_id IS DISTINCT FROM actor_org_id
    ) k GROUP BY scope, slot;

CREATE FUNCTION audit_counts_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_counts AS c (scope, slot, n)
        SELECT scope, slot, count(*) FROM (
            SELECT '' AS scope, strpos('0123456789abcdef', substr(id, 1, 1)) AS slot FROM new_rows
            UNION ALL SELECT 'actor:' || actor_org_id, strpos('0123456789abcdef', substr(id, 1, 1)) FROM new_rows WHERE actor_org_id IS NOT NULL
            UNION ALL SELECT 'visible:' || actor_org_id, strpos('0123456789abcdef', substr(id, 1, 1)) FROM new_rows WHERE actor_org_id IS NOT NULL
            UNION ALL SELECT 'visible:' || owner_org_id, strpos('0123456789abcdef', substr(id, 1, 1)) FROM new_rows
                WHERE owner_org_id IS NOT NULL AND owner_org_id IS DISTINCT FROM actor_org_id
        ) k GROUP BY scope, slot ORDER BY scope, slot
        ON CONFLICT (scope, slot) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END $$;

CREATE TRIGGER audit_counts_insert AFTER INSERT ON audit_events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_counts_insert_rows();
