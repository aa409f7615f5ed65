-- The kept counts are read on every workspace page (the lists' totals, the header's figures,
-- the adoption charts), and a read summed every slot of every key it matches: for the NRW
-- government's services 1,676 rows of reuse_request_provider_counts, each looked up in the
-- table after the index (2 ms of a 3 ms list on SQLite).
--
-- SQLite has one writer at a time, so the 16 slots that spare PostgreSQL's concurrent writers
-- a wait on one row only multiply what a read sums here: the triggers now write slot 0 and the
-- rows so far are folded into it. And an index with the summed columns answers each read
-- without visiting the table (PostgreSQL: the same indexes with INCLUDE, index-only scans).
DROP TRIGGER reuse_request_counts_insert;
DROP TRIGGER reuse_request_counts_update;
DROP TRIGGER reuse_request_counts_delete;
DROP TRIGGER reuse_request_provider_counts_insert;
DROP TRIGGER reuse_request_provider_counts_update;
DROP TRIGGER reuse_request_provider_counts_delete;
DROP TRIGGER agreement_counts_insert;
DROP TRIGGER agreement_counts_update;
DROP TRIGGER agreement_counts_delete;
DROP TRIGGER adoption_counts_insert;
DROP TRIGGER adoption_counts_update;
DROP TRIGGER adoption_counts_delete;
CREATE TEMP TABLE folded AS SELECT land_code, state, SUM(n) AS n FROM reuse_request_counts GROUP BY land_code, state;
DELETE FROM reuse_request_counts;
INSERT INTO reuse_request_counts (land_code, state, slot, n) SELECT land_code, state, 0, n FROM folded;
DROP TABLE folded;
CREATE INDEX reuse_request_counts_read_idx ON reuse_request_counts (land_code, state, n);
CREATE TEMP TABLE folded AS SELECT provider_org_id, land_code, state, own, SUM(n) AS n FROM reuse_request_provider_counts GROUP BY provider_org_id, land_code, state, own;
DELETE FROM reuse_request_provider_counts;
INSERT INTO reuse_request_provider_counts (provider_org_id, land_code, state, own, slot, n) SELECT provider_org_id, land_code, state, own, 0, n FROM folded;
DROP TABLE folded;
CREATE INDEX reuse_request_provider_counts_read_idx ON reuse_request_provider_counts (provider_org_id, state, own, land_code, n);
CREATE TEMP TABLE folded AS SELECT org_id, side, state, awaiting, SUM(n) AS n FROM agreement_counts GROUP BY org_id, side, state, awaiting;
DELETE FROM agreement_counts;
INSERT INTO agreement_counts (org_id, side, state, awaiting, slot, n) SELECT org_id, side, state, awaiting, 0, n FROM folded;
DROP TABLE folded;
CREATE INDEX agreement_counts_read_idx ON agreement_counts (org_id, side, state, awaiting, n);
CREATE TEMP TABLE folded AS SELECT land_code, online_service_id, month, SUM(signed) AS signed, SUM(went_live) AS went_live FROM adoption_counts GROUP BY land_code, online_service_id, month;
DELETE FROM adoption_counts;
INSERT INTO adoption_counts (land_code, online_service_id, month, slot, signed, went_live) SELECT land_code, online_service_id, month, 0, signed, went_live FROM folded;
DROP TABLE folded;
CREATE INDEX adoption_counts_read_idx ON adoption_counts (land_code, online_service_id, month, signed, went_live);
CREATE TRIGGER reuse_request_counts_insert AFTER INSERT ON reuse_requests BEGIN
    INSERT INTO reuse_request_counts (land_code, state, slot, n)
        VALUES (NEW.land_code, NEW.state, 0, 1)
        ON CONFLICT (land_code, state, slot) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER reuse_request_counts_update AFTER UPDATE OF land_code, state ON reuse_requests
    WHEN OLD.land_code IS NOT NEW.land_code OR OLD.state IS NOT NEW.state BEGIN
    UPDATE reuse_request_counts SET n = n - 1
        WHERE land_code = OLD.land_code AND state = OLD.state AND slot = 0;
    INSERT INTO reuse_request_counts (land_code, state, slot, n)
        VALUES (NEW.land_code, NEW.state, 0, 1)
        ON CONFLICT (land_code, state, slot) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER reuse_request_counts_delete AFTER DELETE ON reuse_requests BEGIN
    UPDATE reuse_request_counts SET n = n - 1
        WHERE land_code = OLD.land_code AND state = OLD.state AND slot = 0;
END;

CREATE TRIGGER reuse_request_provider_counts_insert AFTER INSERT ON reuse_requests BEGIN
    INSERT INTO reuse_request_provider_counts (provider_org_id, land_code, state, own, slot, n)
            VALUES (NEW.provider_org_id, NEW.land_code, NEW.state, CASE WHEN NEW.requester_org_id = NEW.provider_org_id THEN 1 ELSE 0 END, 0, 1)
            ON CONFLICT (provider_org_id, land_code, state, own, slot) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER reuse_request_provider_counts_update AFTER UPDATE OF provider_org_id, land_code, state, requester_org_id ON reuse_requests
    WHEN OLD.provider_org_id IS NOT NEW.provider_org_id OR OLD.land_code IS NOT NEW.land_code
      OR OLD.state IS NOT NEW.state OR OLD.requester_org_id IS NOT NEW.requester_org_id BEGIN
    INSERT INTO reuse_request_provider_counts (provider_org_id, land_code, state, own, slot, n)
            VALUES (OLD.provider_org_id, OLD.land_code, OLD.state, CASE WHEN OLD.requester_org_id = OLD.provider_org_id THEN 1 ELSE 0 END, 0, -1)
            ON CONFLICT (provider_org_id, land_code, state, own, slot) DO UPDATE SET n = n + excluded.n;
    INSERT INTO reuse_request_provider_counts (provider_org_id, land_code, state, own, slot, n)
            VALUES (NEW.provider_org_id, NEW.land_code, NEW.state, CASE WHEN NEW.requester_org_id = NEW.provider_org_id THEN 1 ELSE 0 END, 0, 1)
            ON CONFLICT (provider_org_id, land_code, state, own, slot) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER reuse_request_provider_counts_delete AFTER DELETE ON reuse_requests BEGIN
    INSERT INTO reuse_request_provider_counts (provider_org_id, land_code, state, own, slot, n)
            VALUES (OLD.provider_org_id, OLD.land_code, OLD.state, CASE WHEN OLD.requester_org_id = OLD.provider_org_id THEN 1 ELSE 0 END, 0, -1)
            ON CONFLICT (provider_org_id, land_code, state, own, slot) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER agreement_counts_insert AFTER INSERT ON agreements BEGIN
    INSERT INTO agreement_counts (org_id, side, state, awaiting, slot, n)
        SELECT NEW.provider_org_id AS org_id, 'provider' AS side, NEW.state AS state,
               CASE WHEN NEW.state = 'pending' AND (NEW.provider_signed_at IS NULL OR (NEW.signatory_org_id = NEW.provider_org_id AND NEW.customer_signed_at IS NULL)) THEN 1 ELSE 0 END AS awaiting,
               0 AS slot, 1 AS n
        UNION ALL
        SELECT NEW.customer_org_id, 'customer', NEW.state,
               CASE WHEN NEW.state = 'pending' AND NEW.signatory_org_id = NEW.customer_org_id AND NEW.customer_signed_at IS NULL THEN 1 ELSE 0 END, 0, 1
            WHERE NEW.customer_org_id <> NEW.provider_org_id
        UNION ALL
        SELECT NEW.signatory_org_id, 'signatory', NEW.state, CASE WHEN NEW.state = 'pending' AND NEW.customer_signed_at IS NULL THEN 1 ELSE 0 END, 0, 1
            WHERE NEW.signatory_org_id <> NEW.provider_org_id AND NEW.signatory_org_id <> NEW.customer_org_id
        ON CONFLICT (org_id, side, state, awaiting, slot) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER agreement_counts_update AFTER UPDATE OF provider_org_id, customer_org_id, signatory_org_id, state, provider_signed_at, customer_signed_at ON agreements
    WHEN OLD.provider_org_id IS NOT NEW.provider_org_id OR OLD.customer_org_id IS NOT NEW.customer_org_id
      OR OLD.signatory_org_id IS NOT NEW.signatory_org_id OR OLD.state IS NOT NEW.state
      OR (OLD.provider_signed_at IS NULL) <> (NEW.provider_signed_at IS NULL) OR (OLD.customer_signed_at IS NULL) <> (NEW.customer_signed_at IS NULL) BEGIN
    INSERT INTO agreement_counts (org_id, side, state, awaiting, slot, n)
        SELECT OLD.provider_org_id AS org_id, 'provider' AS side, OLD.state AS state,
               CASE WHEN OLD.state = 'pending' AND (OLD.provider_signed_at IS NULL OR (OLD.signatory_org_id = OLD.provider_org_id AND OLD.customer_signed_at IS NULL)) THEN 1 ELSE 0 END AS awaiting,
               0 AS slot, -1 AS n
        UNION ALL
        SELECT OLD.customer_org_id, 'customer', OLD.state,
               CASE WHEN OLD.state = 'pending' AND OLD.signatory_org_id = OLD.customer_org_id AND OLD.customer_signed_at IS NULL THEN 1 ELSE 0 END, 0, -1
            WHERE OLD.customer_org_id <> OLD.provider_org_id
        UNION ALL
        SELECT OLD.signatory_org_id, 'signatory', OLD.state, CASE WHEN OLD.state = 'pending' AND OLD.customer_signed_at IS NULL THEN 1 ELSE 0 END, 0, -1
            WHERE OLD.signatory_org_id <> OLD.provider_org_id AND OLD.signatory_org_id <> OLD.customer_org_id
        ON CONFLICT (org_id, side, state, awaiting, slot) DO UPDATE SET n = n + excluded.n;
    INSERT INTO agreement_counts (org_id, side, state, awaiting, slot, n)
        SELECT NEW.provider_org_id AS org_id, 'provider' AS side, NEW.state AS state,
               CASE WHEN NEW.state = 'pending' AND (NEW.provider_signed_at IS NULL OR (NEW.signatory_org_id = NEW.provider_org_id AND NEW.customer_signed_at IS NULL)) THEN 1 ELSE 0 END AS awaiting,
               0 AS slot, 1 AS n
        UNION ALL
        SELECT NEW.customer_org_id, 'customer', NEW.state,
               CASE WHEN NEW.state = 'pending' AND NEW.signatory_org_id = NEW.customer_org_id AND NEW.customer_signed_at IS NULL THEN 1 ELSE 0 END, 0, 1
            WHERE NEW.customer_org_id <> NEW.provider_org_id
        UNION ALL
        SELECT NEW.signatory_org_id, 'signatory', NEW.state, CASE WHEN NEW.state = 'pending' AND NEW.customer_signed_at IS NULL THEN 1 ELSE 0 END, 0, 1
            WHERE NEW.signatory_org_id <> NEW.provider_org_id AND NEW.signatory_org_id <> NEW.customer_org_id
        ON CONFLICT (org_id, side, state, awaiting, slot) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER agreement_counts_delete AFTER DELETE ON agreements BEGIN
    INSERT INTO agreement_counts (org_id, side, state, awaiting, slot, n)
        SELECT OLD.provider_org_id AS org_id, 'provider' AS side, OLD.state AS state,
               CASE WHEN OLD.state = 'pending' AND (OLD.provider_signed_at IS NULL OR (OLD.signatory_org_id = OLD.provider_org_id AND OLD.customer_signed_at IS NULL)) THEN 1 ELSE 0 END AS awaiting,
               0 AS slot, -1 AS n
        UNION ALL
        SELECT OLD.customer_org_id, 'customer', OLD.state,
               CASE WHEN OLD.state = 'pending' AND OLD.signatory_org_id = OLD.customer_org_id AND OLD.customer_signed_at IS NULL THEN 1 ELSE 0 END, 0, -1
            WHERE OLD.customer_org_id <> OLD.provider_org_id
        UNION ALL
        SELECT OLD.signatory_org_id, 'signatory', OLD.state, CASE WHEN OLD.state = 'pending' AND OLD.customer_signed_at IS NULL THEN 1 ELSE 0 END, 0, -1
            WHERE OLD.signatory_org_id <> OLD.provider_org_id AND OLD.signatory_org_id <> OLD.customer_org_id
        ON CONFLICT (org_id, side, state, awaiting, slot) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER adoption_counts_insert AFTER INSERT ON agreements BEGIN
    INSERT INTO adoption_counts (land_code, online_service_id, month, slot, signed, went_live)
    SELECT l.v, s.v, m.month, 0, sum(m.signed), sum(m.went_live)
    FROM (SELECT '' AS v UNION ALL SELECT o.land_code FROM organisations o WHERE o.id = NEW.customer_org_id AND o.land_code IS NOT NULL) l,
         (SELECT '' AS v UNION ALL SELECT NEW.online_service_id) s,
         (SELECT substr(max(NEW.customer_signed_at, NEW.provider_signed_at), 1, 7) AS month, 1 AS signed, 0 AS went_live
              WHERE NEW.customer_signed_at IS NOT NULL AND NEW.provider_signed_at IS NOT NULL
          UNION ALL SELECT substr(NEW.live_since, 1, 7), 0, 1 WHERE NEW.live_since IS NOT NULL) m
    WHERE true
    GROUP BY l.v, s.v, m.month
    ON CONFLICT (land_code, online_service_id, month, slot)
        DO UPDATE SET signed = signed + excluded.signed, went_live = went_live + excluded.went_live;
END;

CREATE TRIGGER adoption_counts_update AFTER UPDATE OF customer_signed_at, provider_signed_at, live_since, customer_org_id, online_service_id ON agreements
    WHEN OLD.customer_signed_at IS NOT NEW.customer_signed_at OR OLD.provider_signed_at IS NOT NEW.provider_signed_at
      OR OLD.live_since IS NOT NEW.live_since OR OLD.customer_org_id IS NOT NEW.customer_org_id OR OLD.online_service_id IS NOT NEW.online_service_id BEGIN
    INSERT INTO adoption_counts (land_code, online_service_id, month, slot, signed, went_live)
    SELECT l.v, s.v, m.month, 0, sum(m.signed), sum(m.went_live)
    FROM (SELECT '' AS v UNION ALL SELECT o.land_code FROM organisations o WHERE o.id = OLD.customer_org_id AND o.land_code IS NOT NULL) l,
         (SELECT '' AS v UNION ALL SELECT OLD.online_service_id) s,
         (SELECT substr(max(OLD.customer_signed_at, OLD.provider_signed_at), 1, 7) AS month, -1 AS signed, 0 AS went_live
              WHERE OLD.customer_signed_at IS NOT NULL AND OLD.provider_signed_at IS NOT NULL
          UNION ALL SELECT substr(OLD.live_since, 1, 7), 0, -1 WHERE OLD.live_since IS NOT NULL) m
    WHERE true
    GROUP BY l.v, s.v, m.month
    ON CONFLICT (land_code, online_service_id, month, slot)
        DO UPDATE SET signed = signed + excluded.signed, went_live = went_live + excluded.went_live;
    INSERT INTO adoption_counts (land_code, online_service_id, month, slot, signed, went_live)
    SELECT l.v, s.v, m.month, 0, sum(m.signed), sum(m.went_live)
    FROM (SELECT '' AS v UNION ALL SELECT o.land_code FROM organisations o WHERE o.id = NEW.customer_org_id AND o.land_code IS NOT NULL) l,
         (SELECT '' AS v UNION ALL SELECT NEW.online_service_id) s,
         (SELECT substr(max(NEW.customer_signed_at, NEW.provider_signed_at), 1, 7) AS month, 1 AS signed, 0 AS went_live
              WHERE NEW.customer_signed_at IS NOT NULL AND NEW.provider_signed_at IS NOT NULL
          UNION ALL SELECT substr(NEW.live_since, 1, 7), 0, 1 WHERE NEW.live_since IS NOT NULL) m
    WHERE true
    GROUP BY l.v, s.v, m.month
    ON CONFLICT (land_code, online_service_id, month, slot)
        DO UPDATE SET signed = signed + excluded.signed, went_live = went_live + excluded.went_live;
END;

CREATE TRIGGER adoption_counts_delete AFTER DELETE ON agreements BEGIN
    INSERT INTO adoption_counts (land_code, online_service_id, month, slot, signed, went_live)
    SELECT l.v, s.v, m.month, 0, sum(m.signed), sum(m.went_live)
    FROM (SELECT '' AS v UNION ALL SELECT o.land_code FROM organisations o WHERE o.id = OLD.customer_org_id AND o.land_code IS NOT NULL) l,
         (SELECT '' AS v UNION ALL SELECT OLD.online_service_id) s,
         (SELECT substr(max(OLD.customer_signed_at, OLD.provider_signed_at), 1, 7) AS month, -1 AS signed, 0 AS went_live
              WHERE OLD.customer_signed_at IS NOT NULL AND OLD.provider_signed_at IS NOT NULL
          UNION ALL SELECT substr(OLD.live_since, 1, 7), 0, -1 WHERE OLD.live_since IS NOT NULL) m
    WHERE true
    GROUP BY l.v, s.v, m.month
    ON CONFLICT (land_code, online_service_id, month, slot)
        DO UPDATE SET signed = signed + excluded.signed, went_live = went_live + excluded.went_live;
END;
