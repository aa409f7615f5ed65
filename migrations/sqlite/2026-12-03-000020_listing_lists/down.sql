CREATE INDEX online_services_provider_idx ON online_services (provider_org_id);
CREATE INDEX online_services_state_idx ON online_services (listing_state);
DROP INDEX IF EXISTS online_services_state_updated_idx;
DROP INDEX IF EXISTS online_services_org_updated_idx;
