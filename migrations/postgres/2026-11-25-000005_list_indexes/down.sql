DROP INDEX agreements_signatory_idx;
DROP INDEX reuse_requests_created_idx;
