-- How many audit events each view of the log holds, kept by the writes (a trigger in the
-- transaction that appends the event): the operator's whole log (scope ''), an organisation's
-- own ('visible:' || org: it acted, or the resource is its own) and what an organisation's
-- people did ('actor:' || org). The log's pages read one of these instead of counting hundreds
-- of thousands of events per view. The log is append-only, so only inserts are counted.
-- SQLite has one writer at a time: one slot (PostgreSQL splits each scope over 16).
CREATE TABLE audit_counts (
    scope TEXT NOT NULL,
    slot  INTEGER NOT NULL,
    n     BIGINT NOT NULL,
    PRIMARY KEY (scope, slot)
);

INSERT INTO audit_counts (scope, slot, n)
    SELECT scope, 0, count(*) FROM (
        SELECT '' AS scope FROM audit_events
        UNION ALL SELECT 'actor:' || actor_org_id FROM audit_events WHERE actor_org_id IS NOT NULL
        UNION ALL SELECT 'visible:' || actor_org_id FROM audit_events WHERE actor_org_id IS NOT NULL
        UNION ALL SELECT 'visible:' || owner_org_id FROM audit_events
            WHERE owner_org_id IS NOT NULL AND owner_org_id IS NOT actor_org_id
    ) GROUP BY scope;

CREATE TRIGGER audit_counts_insert AFTER INSERT ON audit_events BEGIN
    INSERT INTO audit_counts (scope, slot, n) VALUES ('', 0, 1)
        ON CONFLICT (scope, slot) DO UPDATE SET n = n + 1;
    INSERT INTO audit_counts (scope, slot, n) SELECT 'actor:' || NEW.actor_org_id, 0, 1 WHERE NEW.actor_org_id IS NOT NULL
        ON CONFLICT (scope, slot) DO UPDATE SET n = n + 1;
    INSERT INTO audit_counts (scope, slot, n) SELECT 'visible:' || NEW.actor_org_id, 0, 1 WHERE NEW.actor_org_id IS NOT NULL
        ON CONFLICT (scope, slot) DO UPDATE SET n = n + 1;
    INSERT INTO audit_counts (scope, slot, n) SELECT 'visible:' || NEW.owner_org_id, 0, 1
        WHERE NEW.owner_org_id IS NOT NULL AND NEW.owner_org_id IS NOT NEW.actor_org_id
        ON CONFLICT (scope, slot) DO UPDATE SET n = n + 1;
END;
