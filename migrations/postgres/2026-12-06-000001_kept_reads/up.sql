-- The kept counts are read on every workspace page and a read sums every slot of every key it
-- matches (1,676 rows for the NRW government's services), each fetched from the heap after the
-- primary key's index, from pages scattered by the order the rows were first written (2.4 ms).
-- Indexes that carry the summed columns let PostgreSQL answer from the index alone (index-only
-- scans, 0.6 ms there); autovacuum visits these small, often updated tables early so that their
-- pages stay all-visible.
CREATE INDEX reuse_request_counts_read_idx ON reuse_request_counts (land_code, state) INCLUDE (n);
ALTER TABLE reuse_request_counts SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 200, autovacuum_analyze_scale_factor = 0.05);
CREATE INDEX reuse_request_provider_counts_read_idx ON reuse_request_provider_counts (provider_org_id, state, own, land_code) INCLUDE (n);
ALTER TABLE reuse_request_provider_counts SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 200, autovacuum_analyze_scale_factor = 0.05);
CREATE INDEX agreement_counts_read_idx ON agreement_counts (org_id, side, state, awaiting) INCLUDE (n);
ALTER TABLE agreement_counts SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 200, autovacuum_analyze_scale_factor = 0.05);
CREATE INDEX adoption_counts_read_idx ON adoption_counts (land_code, online_service_id, month) INCLUDE (signed, went_live);
ALTER TABLE adoption_counts SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 200, autovacuum_analyze_scale_factor = 0.05);
