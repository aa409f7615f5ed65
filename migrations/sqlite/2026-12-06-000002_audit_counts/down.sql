DROP TRIGGER audit_counts_insert;
DROP TABLE audit_counts;
