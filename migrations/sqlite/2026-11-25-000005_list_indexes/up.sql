-- Lists of reuse requests and agreements are read a page at a time, newest first: these
-- indexes serve the order (operators see every row) and the signatory side of "party to".
CREATE INDEX reuse_requests_created_idx ON reuse_requests (created_at, id);
CREATE INDEX agreements_signatory_idx ON agreements (signatory_org_id);
