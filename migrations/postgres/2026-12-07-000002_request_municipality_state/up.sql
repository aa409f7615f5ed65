-- A workspace list narrowed to one Kreis read every request of the Kreis's Gemeinden and then
-- each of them in reuse_requests to test its state (Köln: 324 requests, for the 32 submitted
-- ones an inbox shows), once per part of the list and again for its count. The request's state
-- on each of its municipality rows, kept by triggers in the writing transaction, lets the
-- Kreis's index give just the requests in the states asked for.
ALTER TABLE reuse_request_municipalities ADD COLUMN state TEXT NOT NULL DEFAULT '';
UPDATE reuse_request_municipalities m SET state = r.state FROM reuse_requests r WHERE r.id = m.request_id;
DROP INDEX reuse_request_municipalities_org_idx;
CREATE INDEX reuse_request_municipalities_org_state_idx ON reuse_request_municipalities (municipality_org_id, state, request_id);

-- A new row takes its request's state (the request is written first, in the same transaction).
CREATE FUNCTION reuse_request_municipalities_state_of() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT r.state INTO STRICT NEW.state FROM reuse_requests r WHERE r.id = NEW.request_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER reuse_request_municipalities_state_insert BEFORE INSERT ON reuse_request_municipalities
    FOR EACH ROW EXECUTE FUNCTION reuse_request_municipalities_state_of();

-- A request's new state reaches its municipality rows.
CREATE FUNCTION reuse_request_municipalities_state_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reuse_request_municipalities SET state = NEW.state WHERE request_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER reuse_request_municipalities_state_update AFTER UPDATE OF state ON reuse_requests
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION reuse_request_municipalities_state_follow();
