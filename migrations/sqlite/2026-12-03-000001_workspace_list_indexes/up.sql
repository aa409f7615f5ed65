-- The workspace lists (reuse requests, agreements, audit log) are read a page at a time in
-- their order, newest or oldest first, with keyset paging: each index below serves one way a
-- list is narrowed, walked in the list's order, so a page reads its rows and no more.

-- Reuse requests: a Land's inbox (coordinators), optionally one state; a requester's own;
-- the requests for one service, optionally one state; the Gemeinden a request covers.
DROP INDEX reuse_requests_land_state_idx;
DROP INDEX reuse_requests_requester_idx;
DROP INDEX reuse_requests_service_idx;
DROP INDEX reuse_request_municipalities_org_idx;
CREATE INDEX reuse_requests_land_created_idx ON reuse_requests (land_code, created_at, id);
CREATE INDEX reuse_requests_land_state_created_idx ON reuse_requests (land_code, state, created_at, id);
CREATE INDEX reuse_requests_requester_created_idx ON reuse_requests (requester_org_id, state, created_at, id);
CREATE INDEX reuse_requests_service_created_idx ON reuse_requests (online_service_id, state, created_at, id);
CREATE INDEX reuse_request_municipalities_org_idx ON reuse_request_municipalities (municipality_org_id, request_id);
-- The `kreis` filter: the organisations of a Kreis by their AGS (Gemeinden) or ARS (the Kreis).
CREATE INDEX organisations_ars_idx ON organisations (ars);

-- Agreements, by contract number, of each party.
DROP INDEX agreements_customer_idx;
DROP INDEX agreements_provider_idx;
DROP INDEX agreements_signatory_idx;
CREATE INDEX agreements_customer_number_idx ON agreements (customer_org_id, number);
CREATE INDEX agreements_provider_number_idx ON agreements (provider_org_id, state, number);
CREATE INDEX agreements_signatory_number_idx ON agreements (signatory_org_id, state, number);
CREATE INDEX agreements_state_number_idx ON agreements (state, number);

-- The audit log, newest first: all of it (operators), or an organisation's (it acted, or the
-- resource is its own).
DROP INDEX audit_events_time_idx;
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at, id);
CREATE INDEX audit_events_actor_org_idx ON audit_events (actor_org_id, occurred_at, id);
CREATE INDEX audit_events_owner_org_idx ON audit_events (owner_org_id, occurred_at, id);
