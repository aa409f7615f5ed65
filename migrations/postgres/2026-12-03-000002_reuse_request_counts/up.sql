-- How many reuse requests each Land has in each state, kept by the writes themselves
-- (triggers, in the transaction of the change: every process on the database sees the same
-- counts, and no write path can forget them). A list's total and the header's "to approve"
-- read these few rows instead of counting tens of thousands. Each (Land, state) is split over
-- 16 slots by the first hex digit of the request id, so that concurrent writers rarely wait
-- for one row; a count is the sum of its slots.
CREATE TABLE reuse_request_counts (
    land_code TEXT NOT NULL,
    state     TEXT NOT NULL,
    slot      INTEGER NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (land_code, state, slot)
);

INSERT INTO reuse_request_counts (land_code, state, slot, n)
    SELECT land_code, state, strpos('0123456789abcdef', substr(id, 1, 1)), count(*) FROM reuse_requests
    GROUP BY land_code, state, strpos('0123456789abcdef', substr(id, 1, 1));

CREATE FUNCTION reuse_request_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE reuse_request_counts SET n = n - 1
            WHERE land_code = OLD.land_code AND state = OLD.state AND slot = strpos('0123456789abcdef', substr(OLD.id, 1, 1));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO reuse_request_counts AS c (land_code, state, slot, n)
            VALUES (NEW.land_code, NEW.state, strpos('0123456789abcdef', substr(NEW.id, 1, 1)), 1)
            ON CONFLICT (land_code, state, slot) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER reuse_request_counts_insert_delete AFTER INSERT OR DELETE ON reuse_requests
    FOR EACH ROW EXECUTE FUNCTION reuse_request_counts_apply();
CREATE TRIGGER reuse_request_counts_update AFTER UPDATE OF land_code, state ON reuse_requests
    FOR EACH ROW WHEN (OLD.land_code IS DISTINCT FROM NEW.land_code OR OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION reuse_request_counts_apply();
