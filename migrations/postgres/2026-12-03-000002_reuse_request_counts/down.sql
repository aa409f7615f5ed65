DROP TRIGGER reuse_request_counts_update ON reuse_requests;
DROP TRIGGER reuse_request_counts_insert_delete ON reuse_requests;
DROP FUNCTION reuse_request_counts_apply();
DROP TABLE reuse_request_counts;
