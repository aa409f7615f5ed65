DROP INDEX idempotency_keys_created_idx;
DROP INDEX agreements_one_open_idx;
