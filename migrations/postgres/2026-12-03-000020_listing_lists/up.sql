-- Lists of listings are read a page at a time by keyset (updated_at, id): a provider's own
-- (newest change first) and the operators' review queue (one state, oldest change first).
-- Each index matches its filter and order; they supersede the single-column ones.
CREATE INDEX online_services_org_updated_idx ON online_services (provider_org_id, updated_at, id);
CREATE INDEX online_services_state_updated_idx ON online_services (listing_state, updated_at, id);
DROP INDEX IF EXISTS online_services_provider_idx;
DROP INDEX IF EXISTS online_services_state_idx;
