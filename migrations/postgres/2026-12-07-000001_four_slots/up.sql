-- Every kept figure on PostgreSQL was split over 16 slots (the first hex digit of the row's id)
-- so that concurrent writers rarely wait for one row, and every read sums all the slots of all
-- the keys it matches: a Land coordinator's request list summed 1,369 rows of
-- reuse_request_provider_counts (0.5 ms of its 1.6 ms in the database), the header's figures and
-- the adoption charts likewise. Four slots still spread the writers of one key (the pool's eight
-- connections per instance collide on a quarter of their writes to the same key at most) and
-- make each read a quarter as long. The triggers' functions now write slot (digit % 4), and the
-- rows so far are folded into those four slots.

LOCK TABLE reuse_request_counts IN EXCLUSIVE MODE;
CREATE TEMP TABLE folded AS SELECT land_code, state, slot % 4 AS slot, CAST(SUM(n) AS BIGINT) AS n FROM reuse_request_counts GROUP BY land_code, state, slot % 4;
DELETE FROM reuse_request_counts;
INSERT INTO reuse_request_counts (land_code, state, slot, n) SELECT land_code, state, slot, n FROM folded;
DROP TABLE folded;

LOCK TABLE reuse_request_provider_counts IN EXCLUSIVE MODE;
CREATE TEMP TABLE folded AS SELECT provider_org_id, land_code, state, own, slot % 4 AS slot, CAST(SUM(n) AS BIGINT) AS n FROM reuse_request_provider_counts GROUP BY provider_org_id, land_code, state, own, slot % 4;
DELETE FROM reuse_request_provider_counts;
INSERT INTO reuse_request_provider_counts (provider_org_id, land_code, state, own, slot, n) SELECT provider_org_id, land_code, state, own, slot, n FROM folded;
DROP TABLE folded;

LOCK TABLE agreement_counts IN EXCLUSIVE MODE;
CREATE TEMP TABLE folded AS SELECT org_id, side, state, awaiting, slot % 4 AS slot, CAST(SUM(n) AS BIGINT) AS n FROM agreement_counts GROUP BY org_id, side, state, awaiting, slot % 4;
DELETE FROM agreement_counts;
INSERT INTO agreement_counts (org_id, side, state, awaiting, slot, n) SELECT org_id, side, state, awaiting, slot, n FROM folded;
DROP TABLE folded;

LOCK TABLE adoption_counts IN EXCLUSIVE MODE;
CREATE TEMP TABLE folded AS SELECT land_code, online_service_id, month, slot % 4 AS slot, CAST(SUM(signed) AS BIGINT) AS signed, CAST(SUM(went_live) AS BIGINT) AS went_live FROM adoption_counts GROUP BY land_code, online_service_id, month, slot % 4;
DELETE FROM adoption_counts;
INSERT INTO adoption_counts (land_code, online_service_id, month, slot, signed, went_live) SELECT land_code, online_service_id, month, slot, signed, went_live FROM folded;
DROP TABLE folded;

LOCK TABLE audit_counts IN EXCLUSIVE MODE;
CREATE TEMP TABLE folded AS SELECT scope, slot % 4 AS slot, CAST(SUM(n) AS BIGINT) AS n FROM audit_counts GROUP BY scope, slot % 4;
DELETE FROM audit_counts;
INSERT INTO audit_counts (scope, slot, n) SELECT scope, slot, n FROM folded;
DROP TABLE folded;

CREATE OR REPLACE FUNCTION reuse_request_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE reuse_request_counts SET n = n - 1
            WHERE land_code = OLD.land_code AND state = OLD.state AND slot = strpos('0123456789abcdef', substr(OLD.id, 1, 1)) % 4;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO reuse_request_counts AS c (land_code, state, slot, n)
            VALUES (NEW.land_code, NEW.state, strpos('0123456789abcdef', substr(NEW.id, 1, 1)) % 4, 1)
            ON CONFLICT (land_code, state, slot) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION reuse_request_provider_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Fired for updates and deletes only: inserts are counted per statement (below).
    INSERT INTO reuse_request_provider_counts AS c (provider_org_id, land_code, state, own, slot, n)
        VALUES (OLD.provider_org_id, OLD.land_code, OLD.state, CASE WHEN OLD.requester_org_id = OLD.provider_org_id THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(OLD.id, 1, 1)) % 4, -1)
        ON CONFLICT (provider_org_id, land_code, state, own, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO reuse_request_provider_counts AS c (provider_org_id, land_code, state, own, slot, n)
            VALUES (NEW.provider_org_id, NEW.land_code, NEW.state, CASE WHEN NEW.requester_org_id = NEW.provider_org_id THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(NEW.id, 1, 1)) % 4, 1)
            ON CONFLICT (provider_org_id, land_code, state, own, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION reuse_request_provider_counts_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reuse_request_provider_counts AS c (provider_org_id, land_code, state, own, slot, n)
        SELECT provider_org_id, land_code, state, CASE WHEN requester_org_id = provider_org_id THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(new_rows.id, 1, 1)) % 4, count(*)
        FROM new_rows
        GROUP BY provider_org_id, land_code, state, CASE WHEN requester_org_id = provider_org_id THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(new_rows.id, 1, 1)) % 4
    ON CONFLICT (provider_org_id, land_code, state, own, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION agreement_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Fired for updates and deletes only: inserts are counted per statement (below).
    INSERT INTO agreement_counts AS c (org_id, side, state, awaiting, slot, n)
    SELECT OLD.provider_org_id AS org_id, 'provider' AS side, OLD.state AS state,
           CASE WHEN OLD.state = 'pending' AND (OLD.provider_signed_at IS NULL OR (OLD.signatory_org_id = OLD.provider_org_id AND OLD.customer_signed_at IS NULL)) THEN 1 ELSE 0 END AS awaiting,
           strpos('0123456789abcdef', substr(OLD.id, 1, 1)) % 4 AS slot, -1 AS n
    UNION ALL
    SELECT OLD.customer_org_id, 'customer', OLD.state,
           CASE WHEN OLD.state = 'pending' AND OLD.signatory_org_id = OLD.customer_org_id AND OLD.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(OLD.id, 1, 1)) % 4, -1
        WHERE OLD.customer_org_id <> OLD.provider_org_id
    UNION ALL
    SELECT OLD.signatory_org_id, 'signatory', OLD.state, CASE WHEN OLD.state = 'pending' AND OLD.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(OLD.id, 1, 1)) % 4, -1
        WHERE OLD.signatory_org_id <> OLD.provider_org_id AND OLD.signatory_org_id <> OLD.customer_org_id
    ON CONFLICT (org_id, side, state, awaiting, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO agreement_counts AS c (org_id, side, state, awaiting, slot, n)
        SELECT NEW.provider_org_id AS org_id, 'provider' AS side, NEW.state AS state,
               CASE WHEN NEW.state = 'pending' AND (NEW.provider_signed_at IS NULL OR (NEW.signatory_org_id = NEW.provider_org_id AND NEW.customer_signed_at IS NULL)) THEN 1 ELSE 0 END AS awaiting,
               strpos('0123456789abcdef', substr(NEW.id, 1, 1)) % 4 AS slot, 1 AS n
        UNION ALL
        SELECT NEW.customer_org_id, 'customer', NEW.state,
               CASE WHEN NEW.state = 'pending' AND NEW.signatory_org_id = NEW.customer_org_id AND NEW.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(NEW.id, 1, 1)) % 4, 1
            WHERE NEW.customer_org_id <> NEW.provider_org_id
        UNION ALL
        SELECT NEW.signatory_org_id, 'signatory', NEW.state, CASE WHEN NEW.state = 'pending' AND NEW.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(NEW.id, 1, 1)) % 4, 1
            WHERE NEW.signatory_org_id <> NEW.provider_org_id AND NEW.signatory_org_id <> NEW.customer_org_id
        ON CONFLICT (org_id, side, state, awaiting, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION agreement_counts_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agreement_counts AS c (org_id, side, state, awaiting, slot, n)
        SELECT org_id, side, state, awaiting, slot, sum(n) FROM (
            SELECT a.provider_org_id AS org_id, 'provider' AS side, a.state AS state,
                   CASE WHEN a.state = 'pending' AND (a.provider_signed_at IS NULL OR (a.signatory_org_id = a.provider_org_id AND a.customer_signed_at IS NULL)) THEN 1 ELSE 0 END AS awaiting,
                   strpos('0123456789abcdef', substr(a.id, 1, 1)) % 4 AS slot, 1 AS n FROM new_rows a
            UNION ALL
            SELECT a.customer_org_id, 'customer', a.state,
                   CASE WHEN a.state = 'pending' AND a.signatory_org_id = a.customer_org_id AND a.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(a.id, 1, 1)) % 4, 1 FROM new_rows a
                WHERE a.customer_org_id <> a.provider_org_id
            UNION ALL
            SELECT a.signatory_org_id, 'signatory', a.state, CASE WHEN a.state = 'pending' AND a.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(a.id, 1, 1)) % 4, 1 FROM new_rows a
                WHERE a.signatory_org_id <> a.provider_org_id AND a.signatory_org_id <> a.customer_org_id
        ) sides
        GROUP BY org_id, side, state, awaiting, slot
    ON CONFLICT (org_id, side, state, awaiting, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION adoption_counts_add(agreement_id TEXT, customer TEXT, service TEXT, signed_month TEXT, live_month TEXT, d BIGINT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO adoption_counts AS c (land_code, online_service_id, month, slot, signed, went_live)
    SELECT l.v, s.v, m.month, strpos('0123456789abcdef', substr(agreement_id, 1, 1)) % 4, sum(m.signed), sum(m.went_live)
    FROM (SELECT '' AS v UNION ALL SELECT o.land_code FROM organisations o WHERE o.id = customer AND o.land_code IS NOT NULL) l,
         (SELECT '' AS v UNION ALL SELECT service) s,
         (SELECT signed_month AS month, d AS signed, 0::BIGINT AS went_live WHERE signed_month IS NOT NULL
          UNION ALL SELECT live_month, 0::BIGINT, d WHERE live_month IS NOT NULL) m
    GROUP BY l.v, s.v, m.month
    ON CONFLICT (land_code, online_service_id, month, slot)
        DO UPDATE SET signed = c.signed + EXCLUDED.signed, went_live = c.went_live + EXCLUDED.went_live;
$$;

CREATE OR REPLACE FUNCTION adoption_counts_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH base AS (
        SELECT strpos('0123456789abcdef', substr(a.id, 1, 1)) % 4 AS slot, a.online_service_id AS service, o.land_code AS land, to_char(GREATEST(a.customer_signed_at, a.provider_signed_at), 'YYYY-MM') AS month, 1 AS signed, 0 AS went_live
            FROM new_rows a LEFT JOIN organisations o ON o.id = a.customer_org_id
            WHERE a.customer_signed_at IS NOT NULL AND a.provider_signed_at IS NOT NULL
        UNION ALL
        SELECT strpos('0123456789abcdef', substr(a.id, 1, 1)) % 4, a.online_service_id, o.land_code, to_char(a.live_since, 'YYYY-MM'), 0, 1
            FROM new_rows a LEFT JOIN organisations o ON o.id = a.customer_org_id
            WHERE a.live_since IS NOT NULL
    ), keyed AS (
        SELECT '' AS land_code, '' AS online_service_id, month, slot, signed, went_live FROM base
        UNION ALL SELECT land, '', month, slot, signed, went_live FROM base WHERE land IS NOT NULL
        UNION ALL SELECT '', service, month, slot, signed, went_live FROM base
        UNION ALL SELECT land, service, month, slot, signed, went_live FROM base WHERE land IS NOT NULL
    )
    INSERT INTO adoption_counts AS c (land_code, online_service_id, month, slot, signed, went_live)
    SELECT land_code, online_service_id, month, slot, sum(signed), sum(went_live) FROM keyed
    GROUP BY land_code, online_service_id, month, slot
    ON CONFLICT (land_code, online_service_id, month, slot) DO UPDATE SET signed = c.signed + EXCLUDED.signed, went_live = c.went_live + EXCLUDED.went_live;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION reuse_request_counts_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reuse_request_counts AS c (land_code, state, slot, n)
        SELECT land_code, state, strpos('0123456789abcdef', substr(id, 1, 1)) % 4, count(*) FROM new_rows
        GROUP BY land_code, state, strpos('0123456789abcdef', substr(id, 1, 1)) % 4
        ON CONFLICT (land_code, state, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION audit_counts_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_counts AS c (scope, slot, n)
        SELECT scope, slot, count(*) FROM (
            SELECT '' AS scope, strpos('0123456789abcdef', substr(id, 1, 1)) % 4 AS slot FROM new_rows
            UNION ALL SELECT 'actor:' || actor_org_id, strpos('0123456789abcdef', substr(id, 1, 1)) % 4 FROM new_rows WHERE actor_org_id IS NOT NULL
            UNION ALL SELECT 'visible:' || actor_org_id, strpos('0123456789abcdef', substr(id, 1, 1)) % 4 FROM new_rows WHERE actor_org_id IS NOT NULL
            UNION ALL SELECT 'visible:' || owner_org_id, strpos('0123456789abcdef', substr(id, 1, 1)) % 4 FROM new_rows
                WHERE owner_org_id IS NOT NULL AND owner_org_id IS DISTINCT FROM actor_org_id
        ) k GROUP BY scope, slot ORDER BY scope, slot
        ON CONFLICT (scope, slot) DO UPDATE SET n = c.n + excluded.n;
    RETURN NULL;
END $$;
