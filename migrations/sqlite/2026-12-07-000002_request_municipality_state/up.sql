-- A workspace list narrowed to one Kreis read every request of the Kreis's Gemeinden and then
-- each of them in reuse_requests to test its state (Köln: 324 requests, for the 32 submitted
-- ones an inbox shows), once per part of the list and again for its count. The request's state
-- on each of its municipality rows, kept by triggers in the writing transaction, lets the
-- Kreis's index give just the requests in the states asked for.
ALTER TABLE reuse_request_municipalities ADD COLUMN state TEXT NOT NULL DEFAULT '';
UPDATE reuse_request_municipalities SET state = (SELECT r.state FROM reuse_requests r WHERE r.id = reuse_request_municipalities.request_id);
DROP INDEX reuse_request_municipalities_org_idx;
CREATE INDEX reuse_request_municipalities_org_state_idx ON reuse_request_municipalities (municipality_org_id, state, request_id);

CREATE TRIGGER reuse_request_municipalities_state_insert AFTER INSERT ON reuse_request_municipalities
BEGIN
    UPDATE reuse_request_municipalities SET state = (SELECT r.state FROM reuse_requests r WHERE r.id = NEW.request_id)
    WHERE request_id = NEW.request_id AND municipality_org_id = NEW.municipality_org_id;
END;

CREATE TRIGGER reuse_request_municipalities_state_update AFTER UPDATE OF state ON reuse_requests
WHEN OLD.state IS NOT NEW.state
BEGIN
    UPDATE reuse_request_municipalities SET state = NEW.state WHERE request_id = NEW.id;
END;
