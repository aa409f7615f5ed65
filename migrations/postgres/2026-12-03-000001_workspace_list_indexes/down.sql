DROP INDEX audit_events_owner_org_idx;
DROP INDEX audit_events_actor_org_idx;
DROP INDEX audit_events_time_idx;
CREATE INDEX audit_events_time_idx ON audit_events (occurred_at);

DROP INDEX agreements_state_number_idx;
DROP INDEX agreements_signatory_number_idx;
DROP INDEX agreements_provider_number_idx;
DROP INDEX agreements_customer_number_idx;
CREATE INDEX agreements_signatory_idx ON agreements (signatory_org_id);
CREATE INDEX agreements_provider_idx ON agreements (provider_org_id);
CREATE INDEX agreements_customer_idx ON agreements (customer_org_id);

DROP INDEX organisations_ars_idx;
DROP INDEX reuse_request_municipalities_org_idx;
DROP INDEX reuse_requests_service_created_idx;
DROP INDEX reuse_requests_requester_created_idx;
DROP INDEX reuse_requests_land_state_created_idx;
DROP INDEX reuse_requests_land_created_idx;
CREATE INDEX reuse_request_municipalities_org_idx ON reuse_request_municipalities (municipality_org_id);
CREATE INDEX reuse_requests_service_idx ON reuse_requests (online_service_id);
CREATE INDEX reuse_requests_requester_idx ON reuse_requests (requester_org_id);
CREATE INDEX reuse_requests_land_state_idx ON reuse_requests (land_code, state);
