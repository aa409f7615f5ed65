-- The workspaces' lists at national volume (issue 16): what they count and walk is kept by the
-- writes themselves, in the transaction of the change (triggers), so every process on the
-- database reads the same figures and no write path can forget them. Every kept figure is
-- split over 16 slots by the first hex digit of the row's id, so that concurrent writers
-- rarely wait for one row; a figure is the sum of its slots.
--
-- 1. A request's provider (the provider of its online service, which never changes) on the
--    request itself: a provider's requests are walked newest or oldest first on an index of
--    their own instead of gathered from each of its services and sorted.
ALTER TABLE reuse_requests ADD COLUMN provider_org_id TEXT NOT NULL DEFAULT '';
UPDATE reuse_requests r SET provider_org_id = s.provider_org_id FROM online_services s WHERE s.id = r.online_service_id;

-- Walks in created order for a requester or a provider with or without a state, and in number
-- order for an agreement's provider or signatory without a state.
CREATE INDEX reuse_requests_requester_time_idx ON reuse_requests (requester_org_id, created_at, id);
CREATE INDEX reuse_requests_provider_time_idx ON reuse_requests (provider_org_id, created_at, id);
CREATE INDEX reuse_requests_provider_state_time_idx ON reuse_requests (provider_org_id, state, created_at, id);
CREATE INDEX agreements_provider_only_number_idx ON agreements (provider_org_id, number);
CREATE INDEX agreements_signatory_only_number_idx ON agreements (signatory_org_id, number);

-- 2. Requests per provider, Land of the request and state; `own` marks those the provider filed
--    itself (a provider's list shows them among its own requests, its "to accept" counts them).
CREATE TABLE reuse_request_provider_counts (
    provider_org_id TEXT NOT NULL,
    land_code       TEXT NOT NULL,
    state           TEXT NOT NULL,
    own             INTEGER NOT NULL,
    slot            INTEGER NOT NULL,
    n               BIGINT NOT NULL,
    PRIMARY KEY (provider_org_id, land_code, state, own, slot)
);
INSERT INTO reuse_request_provider_counts (provider_org_id, land_code, state, own, slot, n)
    SELECT provider_org_id, land_code, state, CASE WHEN requester_org_id = provider_org_id THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(reuse_requests.id, 1, 1)), count(*)
    FROM reuse_requests
    GROUP BY provider_org_id, land_code, state, CASE WHEN requester_org_id = provider_org_id THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(reuse_requests.id, 1, 1));

CREATE FUNCTION reuse_request_provider_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Fired for updates and deletes only: inserts are counted per statement (below).
    INSERT INTO reuse_request_provider_counts AS c (provider_org_id, land_code, state, own, slot, n)
        VALUES (OLD.provider_org_id, OLD.land_code, OLD.state, CASE WHEN OLD.requester_org_id = OLD.provider_org_id THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(OLD.id, 1, 1)), -1)
        ON CONFLICT (provider_org_id, land_code, state, own, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO reuse_request_provider_counts AS c (provider_org_id, land_code, state, own, slot, n)
            VALUES (NEW.provider_org_id, NEW.land_code, NEW.state, CASE WHEN NEW.requester_org_id = NEW.provider_org_id THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(NEW.id, 1, 1)), 1)
            ON CONFLICT (provider_org_id, land_code, state, own, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER reuse_request_provider_counts_delete AFTER DELETE ON reuse_requests
    FOR EACH ROW EXECUTE FUNCTION reuse_request_provider_counts_apply();
-- Rows inserted, counted per statement (the synthetic load and the seed insert thousands at a
-- time; one upsert per key and statement instead of one per row).
CREATE FUNCTION reuse_request_provider_counts_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reuse_request_provider_counts AS c (provider_org_id, land_code, state, own, slot, n)
        SELECT provider_org_id, land_code, state, CASE WHEN requester_org_id = provider_org_id THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(new_rows.id, 1, 1)), count(*)
        FROM new_rows
        GROUP BY provider_org_id, land_code, state, CASE WHEN requester_org_id = provider_org_id THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(new_rows.id, 1, 1))
    ON CONFLICT (provider_org_id, land_code, state, own, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER reuse_request_provider_counts_insert AFTER INSERT ON reuse_requests REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reuse_request_provider_counts_insert_rows();

CREATE TRIGGER reuse_request_provider_counts_update AFTER UPDATE OF provider_org_id, land_code, state, requester_org_id ON reuse_requests
    FOR EACH ROW WHEN (OLD.provider_org_id IS DISTINCT FROM NEW.provider_org_id OR OLD.land_code IS DISTINCT FROM NEW.land_code
                       OR OLD.state IS DISTINCT FROM NEW.state OR OLD.requester_org_id IS DISTINCT FROM NEW.requester_org_id)
    EXECUTE FUNCTION reuse_request_provider_counts_apply();

-- 3. Agreements per organisation and side, as the agreements list splits them (disjoint): as
--    provider; as customer, not also provider; as signatory only. `awaiting` marks the pending
--    ones that wait for this organisation's signature (the provider's, or the customer's side
--    where it signs for the customer): the header's "to sign".
CREATE TABLE agreement_counts (
    org_id   TEXT NOT NULL,
    side     TEXT NOT NULL,
    state    TEXT NOT NULL,
    awaiting INTEGER NOT NULL,
    slot     INTEGER NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (org_id, side, state, awaiting, slot)
);
INSERT INTO agreement_counts (org_id, side, state, awaiting, slot, n)
    SELECT org_id, side, state, awaiting, slot, sum(n) FROM (
        SELECT a.provider_org_id AS org_id, 'provider' AS side, a.state AS state,
               CASE WHEN a.state = 'pending' AND (a.provider_signed_at IS NULL OR (a.signatory_org_id = a.provider_org_id AND a.customer_signed_at IS NULL)) THEN 1 ELSE 0 END AS awaiting,
               strpos('0123456789abcdef', substr(a.id, 1, 1)) AS slot, 1 AS n FROM agreements a
        UNION ALL
        SELECT a.customer_org_id, 'customer', a.state,
               CASE WHEN a.state = 'pending' AND a.signatory_org_id = a.customer_org_id AND a.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(a.id, 1, 1)), 1 FROM agreements a
            WHERE a.customer_org_id <> a.provider_org_id
        UNION ALL
        SELECT a.signatory_org_id, 'signatory', a.state, CASE WHEN a.state = 'pending' AND a.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(a.id, 1, 1)), 1 FROM agreements a
            WHERE a.signatory_org_id <> a.provider_org_id AND a.signatory_org_id <> a.customer_org_id
    ) sides
    GROUP BY org_id, side, state, awaiting, slot;

CREATE FUNCTION agreement_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Fired for updates and deletes only: inserts are counted per statement (below).
    INSERT INTO agreement_counts AS c (org_id, side, state, awaiting, slot, n)
    SELECT OLD.provider_org_id AS org_id, 'provider' AS side, OLD.state AS state,
           CASE WHEN OLD.state = 'pending' AND (OLD.provider_signed_at IS NULL OR (OLD.signatory_org_id = OLD.provider_org_id AND OLD.customer_signed_at IS NULL)) THEN 1 ELSE 0 END AS awaiting,
           strpos('0123456789abcdef', substr(OLD.id, 1, 1)) AS slot, -1 AS n
    UNION ALL
    SELECT OLD.customer_org_id, 'customer', OLD.state,
           CASE WHEN OLD.state = 'pending' AND OLD.signatory_org_id = OLD.customer_org_id AND OLD.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(OLD.id, 1, 1)), -1
        WHERE OLD.customer_org_id <> OLD.provider_org_id
    UNION ALL
    SELECT OLD.signatory_org_id, 'signatory', OLD.state, CASE WHEN OLD.state = 'pending' AND OLD.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(OLD.id, 1, 1)), -1
        WHERE OLD.signatory_org_id <> OLD.provider_org_id AND OLD.signatory_org_id <> OLD.customer_org_id
    ON CONFLICT (org_id, side, state, awaiting, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO agreement_counts AS c (org_id, side, state, awaiting, slot, n)
        SELECT NEW.provider_org_id AS org_id, 'provider' AS side, NEW.state AS state,
               CASE WHEN NEW.state = 'pending' AND (NEW.provider_signed_at IS NULL OR (NEW.signatory_org_id = NEW.provider_org_id AND NEW.customer_signed_at IS NULL)) THEN 1 ELSE 0 END AS awaiting,
               strpos('0123456789abcdef', substr(NEW.id, 1, 1)) AS slot, 1 AS n
        UNION ALL
        SELECT NEW.customer_org_id, 'customer', NEW.state,
               CASE WHEN NEW.state = 'pending' AND NEW.signatory_org_id = NEW.customer_org_id AND NEW.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(NEW.id, 1, 1)), 1
            WHERE NEW.customer_org_id <> NEW.provider_org_id
        UNION ALL
        SELECT NEW.signatory_org_id, 'signatory', NEW.state, CASE WHEN NEW.state = 'pending' AND NEW.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(NEW.id, 1, 1)), 1
            WHERE NEW.signatory_org_id <> NEW.provider_org_id AND NEW.signatory_org_id <> NEW.customer_org_id
        ON CONFLICT (org_id, side, state, awaiting, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER agreement_counts_delete AFTER DELETE ON agreements
    FOR EACH ROW EXECUTE FUNCTION agreement_counts_apply();
-- Rows inserted, counted per statement (the synthetic load and the seed insert thousands at a
-- time; one upsert per key and statement instead of one per row).
CREATE FUNCTION agreement_counts_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO agreement_counts AS c (org_id, side, state, awaiting, slot, n)
        SELECT org_id, side, state, awaiting, slot, sum(n) FROM (
            SELECT a.provider_org_id AS org_id, 'provider' AS side, a.state AS state,
                   CASE WHEN a.state = 'pending' AND (a.provider_signed_at IS NULL OR (a.signatory_org_id = a.provider_org_id AND a.customer_signed_at IS NULL)) THEN 1 ELSE 0 END AS awaiting,
                   strpos('0123456789abcdef', substr(a.id, 1, 1)) AS slot, 1 AS n FROM new_rows a
            UNION ALL
            SELECT a.customer_org_id, 'customer', a.state,
                   CASE WHEN a.state = 'pending' AND a.signatory_org_id = a.customer_org_id AND a.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(a.id, 1, 1)), 1 FROM new_rows a
                WHERE a.customer_org_id <> a.provider_org_id
            UNION ALL
            SELECT a.signatory_org_id, 'signatory', a.state, CASE WHEN a.state = 'pending' AND a.customer_signed_at IS NULL THEN 1 ELSE 0 END, strpos('0123456789abcdef', substr(a.id, 1, 1)), 1 FROM new_rows a
                WHERE a.signatory_org_id <> a.provider_org_id AND a.signatory_org_id <> a.customer_org_id
        ) sides
        GROUP BY org_id, side, state, awaiting, slot
    ON CONFLICT (org_id, side, state, awaiting, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER agreement_counts_insert AFTER INSERT ON agreements REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION agreement_counts_insert_rows();

CREATE TRIGGER agreement_counts_update AFTER UPDATE OF provider_org_id, customer_org_id, signatory_org_id, state, provider_signed_at, customer_signed_at ON agreements
    FOR EACH ROW WHEN (OLD.provider_org_id IS DISTINCT FROM NEW.provider_org_id OR OLD.customer_org_id IS DISTINCT FROM NEW.customer_org_id
                       OR OLD.signatory_org_id IS DISTINCT FROM NEW.signatory_org_id OR OLD.state IS DISTINCT FROM NEW.state
                       OR (OLD.provider_signed_at IS NULL) <> (NEW.provider_signed_at IS NULL) OR (OLD.customer_signed_at IS NULL) <> (NEW.customer_signed_at IS NULL))
    EXECUTE FUNCTION agreement_counts_apply();

-- 4. Adoption per month (agreements signed by both sides, services gone live), kept by the writes
-- themselves: triggers on agreements, in the transaction of the change, so every process on
-- the database reads the same figures and no write path can forget them. The adoption report
-- and the coverage charts read a few dozen rows per month range instead of every signed
-- agreement. Each month is kept four times: for all Länder and services (''), per Land of the
-- customer, per service, per Land and service — a report of any of these reads its own rows.
-- Each key is split over 16 slots by the first hex digit of the agreement id, so that
-- concurrent signatures rarely wait for one row; a figure is the sum of its slots.
--
-- An agreement counts as signed in the month of the later of its two signatures (one
-- signature alone is no signed agreement), and as live in the month of live_since.
CREATE TABLE adoption_counts (
    land_code         TEXT NOT NULL,
    online_service_id TEXT NOT NULL,
    month             TEXT NOT NULL,
    slot              INTEGER NOT NULL,
    signed            BIGINT NOT NULL,
    went_live         BIGINT NOT NULL,
    PRIMARY KEY (land_code, online_service_id, month, slot)
);

-- Adds d to the months of one agreement's signature and go-live, under all four keys.
CREATE FUNCTION adoption_counts_add(agreement_id TEXT, customer TEXT, service TEXT, signed_month TEXT, live_month TEXT, d BIGINT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO adoption_counts AS c (land_code, online_service_id, month, slot, signed, went_live)
    SELECT l.v, s.v, m.month, strpos('0123456789abcdef', substr(agreement_id, 1, 1)), sum(m.signed), sum(m.went_live)
    FROM (SELECT '' AS v UNION ALL SELECT o.land_code FROM organisations o WHERE o.id = customer AND o.land_code IS NOT NULL) l,
         (SELECT '' AS v UNION ALL SELECT service) s,
         (SELECT signed_month AS month, d AS signed, 0::BIGINT AS went_live WHERE signed_month IS NOT NULL
          UNION ALL SELECT live_month, 0::BIGINT, d WHERE live_month IS NOT NULL) m
    GROUP BY l.v, s.v, m.month
    ON CONFLICT (land_code, online_service_id, month, slot)
        DO UPDATE SET signed = c.signed + EXCLUDED.signed, went_live = c.went_live + EXCLUDED.went_live;
$$;

CREATE FUNCTION adoption_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Fired for updates and deletes only: inserts are counted per statement (below).
    PERFORM adoption_counts_add(OLD.id, OLD.customer_org_id, OLD.online_service_id,
        CASE WHEN OLD.customer_signed_at IS NOT NULL AND OLD.provider_signed_at IS NOT NULL
             THEN to_char(GREATEST(OLD.customer_signed_at, OLD.provider_signed_at), 'YYYY-MM') END,
        to_char(OLD.live_since, 'YYYY-MM'), -1);
    IF TG_OP = 'UPDATE' THEN
        PERFORM adoption_counts_add(NEW.id, NEW.customer_org_id, NEW.online_service_id,
            CASE WHEN NEW.customer_signed_at IS NOT NULL AND NEW.provider_signed_at IS NOT NULL
                 THEN to_char(GREATEST(NEW.customer_signed_at, NEW.provider_signed_at), 'YYYY-MM') END,
            to_char(NEW.live_since, 'YYYY-MM'), 1);
    END IF;
    RETURN NULL;
END
$$;

-- What the agreements already written add up to.
WITH base AS (
    SELECT strpos('0123456789abcdef', substr(a.id, 1, 1)) AS slot, a.online_service_id AS service, o.land_code AS land, to_char(GREATEST(a.customer_signed_at, a.provider_signed_at), 'YYYY-MM') AS month, 1 AS signed, 0 AS went_live
        FROM agreements a LEFT JOIN organisations o ON o.id = a.customer_org_id
        WHERE a.customer_signed_at IS NOT NULL AND a.provider_signed_at IS NOT NULL
    UNION ALL
    SELECT strpos('0123456789abcdef', substr(a.id, 1, 1)), a.online_service_id, o.land_code, to_char(a.live_since, 'YYYY-MM'), 0, 1
        FROM agreements a LEFT JOIN organisations o ON o.id = a.customer_org_id
        WHERE a.live_since IS NOT NULL
), keyed AS (
    SELECT '' AS land_code, '' AS online_service_id, month, slot, signed, went_live FROM base
    UNION ALL SELECT land, '', month, slot, signed, went_live FROM base WHERE land IS NOT NULL
    UNION ALL SELECT '', service, month, slot, signed, went_live FROM base
    UNION ALL SELECT land, service, month, slot, signed, went_live FROM base WHERE land IS NOT NULL
)
INSERT INTO adoption_counts (land_code, online_service_id, month, slot, signed, went_live)
SELECT land_code, online_service_id, month, slot, sum(signed), sum(went_live) FROM keyed
GROUP BY land_code, online_service_id, month, slot;

CREATE TRIGGER adoption_counts_delete AFTER DELETE ON agreements
    FOR EACH ROW EXECUTE FUNCTION adoption_counts_apply();
-- Rows inserted, counted per statement (the synthetic load and the seed insert thousands at a
-- time; one upsert per key and statement instead of one per row).
CREATE FUNCTION adoption_counts_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH base AS (
        SELECT strpos('0123456789abcdef', substr(a.id, 1, 1)) AS slot, a.online_service_id AS service, o.land_code AS land, to_char(GREATEST(a.customer_signed_at, a.provider_signed_at), 'YYYY-MM') AS month, 1 AS signed, 0 AS went_live
            FROM new_rows a LEFT JOIN organisations o ON o.id = a.customer_org_id
            WHERE a.customer_signed_at IS NOT NULL AND a.provider_signed_at IS NOT NULL
        UNION ALL
        SELECT strpos('0123456789abcdef', substr(a.id, 1, 1)), a.online_service_id, o.land_code, to_char(a.live_since, 'YYYY-MM'), 0, 1
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
CREATE TRIGGER adoption_counts_insert AFTER INSERT ON agreements REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION adoption_counts_insert_rows();

CREATE TRIGGER adoption_counts_update AFTER UPDATE OF customer_signed_at, provider_signed_at, live_since, customer_org_id, online_service_id ON agreements
    FOR EACH ROW WHEN (OLD.customer_signed_at IS DISTINCT FROM NEW.customer_signed_at OR OLD.provider_signed_at IS DISTINCT FROM NEW.provider_signed_at
                       OR OLD.live_since IS DISTINCT FROM NEW.live_since OR OLD.customer_org_id IS DISTINCT FROM NEW.customer_org_id
                       OR OLD.online_service_id IS DISTINCT FROM NEW.online_service_id)
    EXECUTE FUNCTION adoption_counts_apply();

-- 5. The requests per Land and state of `2026-12-03-000002_reuse_request_counts` are counted per
--    statement on insert as well (the row trigger stays for deletes).
DROP TRIGGER reuse_request_counts_insert_delete ON reuse_requests;
CREATE TRIGGER reuse_request_counts_delete AFTER DELETE ON reuse_requests
    FOR EACH ROW EXECUTE FUNCTION reuse_request_counts_apply();
CREATE FUNCTION reuse_request_counts_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reuse_request_counts AS c (land_code, state, slot, n)
        SELECT land_code, state, strpos('0123456789abcdef', substr(id, 1, 1)), count(*) FROM new_rows
        GROUP BY land_code, state, strpos('0123456789abcdef', substr(id, 1, 1))
        ON CONFLICT (land_code, state, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER reuse_request_counts_insert AFTER INSERT ON reuse_requests REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reuse_request_counts_insert_rows();
