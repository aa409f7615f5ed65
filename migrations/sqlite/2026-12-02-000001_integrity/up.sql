-- At most one open (pending, active or live) agreement per customer and service. The check in
-- the code runs before the rows it guards are locked; under READ COMMITTED two racing
-- accessions or acceptances could both pass it. The index makes the second insert fail.
CREATE UNIQUE INDEX agreements_one_open_idx ON agreements (online_service_id, customer_org_id)
    WHERE state IN ('pending', 'active', 'live');
-- Idempotency keys are kept 24 hours: expired ones are purged by age.
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
