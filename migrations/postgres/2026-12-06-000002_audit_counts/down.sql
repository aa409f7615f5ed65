DROP TRIGGER audit_counts_insert ON audit_events;
DROP FUNCTION audit_counts_insert_rows();
DROP TABLE audit_counts;
