-- How many reuse requests each Land has in each state, kept by the writes themselves
-- (triggers, in the transaction of the change: every process on the database sees the same
-- counts, and no write path can forget them). A list's total and the header's "to approve"
-- read these few rows instead of counting tens of thousands. Each (Land, state) is split over
-- 16 slots by the first hex digit of the request id, so that concurrent writers on
-- PostgreSQL rarely wait for one row; a count is the sum of its slots.
CREATE TABLE reuse_request_counts (
    land_code TEXT NOT NULL,
    state     TEXT NOT NULL,
    slot      INTEGER NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (land_code, state, slot)
);

INSERT INTO reuse_request_counts (land_code, state, slot, n)
    SELECT land_code, state, instr('0123456789abcdef', substr(id, 1, 1)), count(*) FROM reuse_requests
    GROUP BY land_code, state, instr('0123456789abcdef', substr(id, 1, 1));

CREATE TRIGGER reuse_request_counts_insert AFTER INSERT ON reuse_requests BEGIN
    INSERT INTO reuse_request_counts (land_code, state, slot, n)
        VALUES (NEW.land_code, NEW.state, instr('0123456789abcdef', substr(NEW.id, 1, 1)), 1)
        ON CONFLICT (land_code, state, slot) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER reuse_request_counts_update AFTER UPDATE OF land_code, state ON reuse_requests
    WHEN OLD.land_code IS NOT NEW.land_code OR OLD.state IS NOT NEW.state BEGIN
    UPDATE reuse_request_counts SET n = n - 1
        WHERE land_code = OLD.land_code AND state = OLD.state AND slot = instr('0123456789abcdef', substr(OLD.id, 1, 1));
    INSERT INTO reuse_request_counts (land_code, state, slot, n)
        VALUES (NEW.land_code, NEW.state, instr('0123456789abcdef', substr(NEW.id, 1, 1)), 1)
        ON CONFLICT (land_code, state, slot) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER reuse_request_counts_delete AFTER DELETE ON reuse_requests BEGIN
    UPDATE reuse_request_counts SET n = n - 1
        WHERE land_code = OLD.land_code AND state = OLD.state AND slot = instr('0123456789abcdef', substr(OLD.id, 1, 1));
END;
