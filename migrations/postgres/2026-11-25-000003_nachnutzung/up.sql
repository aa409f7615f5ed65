-- Nachnutzung: reuse requests, framework agreements, licence agreements with their contract
-- folder, onboarding, and idempotent POSTs. Same tables and columns as migrations/sqlite.

CREATE TABLE reuse_requests (
    id                 TEXT PRIMARY KEY,
    online_service_id  TEXT NOT NULL REFERENCES online_services (id),
    -- the published listing version the request was made for
    listing_version    INTEGER NOT NULL,
    -- the municipality itself, or the bundler acting for its members
    requester_org_id   TEXT NOT NULL REFERENCES organisations (id),
    -- the Land whose coordinator approves: the requesting municipalities' Land
    land_code          TEXT NOT NULL REFERENCES laender (code),
    state              TEXT NOT NULL CHECK (state IN ('draft', 'submitted', 'land_approved', 'land_rejected',
                           'provider_accepted', 'provider_declined', 'agreement_pending', 'active', 'live', 'terminated', 'withdrawn')),
    revision           INTEGER NOT NULL,
    note               TEXT,
    decision_reason    TEXT,
    created_by         TEXT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX reuse_requests_service_idx ON reuse_requests (online_service_id);
CREATE INDEX reuse_requests_requester_idx ON reuse_requests (requester_org_id);
CREATE INDEX reuse_requests_land_state_idx ON reuse_requests (land_code, state);

-- The municipalities a request covers: one, or many for a bundled request.
CREATE TABLE reuse_request_municipalities (
    request_id       TEXT NOT NULL REFERENCES reuse_requests (id),
    municipality_org_id TEXT NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (request_id, municipality_org_id)
);
CREATE INDEX reuse_request_municipalities_org_idx ON reuse_request_municipalities (municipality_org_id);

-- Abstimmung: messages between requester, provider and coordinator.
CREATE TABLE request_messages (
    id             TEXT PRIMARY KEY,
    request_id     TEXT NOT NULL REFERENCES reuse_requests (id),
    author         TEXT NOT NULL,
    author_org_id  TEXT NOT NULL REFERENCES organisations (id),
    body           TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX request_messages_request_idx ON request_messages (request_id, created_at);

CREATE TABLE framework_agreements (
    id                 TEXT PRIMARY KEY,
    online_service_id  TEXT NOT NULL REFERENCES online_services (id),
    provider_org_id    TEXT NOT NULL REFERENCES organisations (id),
    land_code          TEXT NOT NULL REFERENCES laender (code),
    state              TEXT NOT NULL CHECK (state IN ('offered', 'approved', 'withdrawn')),
    version            INTEGER NOT NULL,
    terms_text         TEXT NOT NULL,
    terms_version      TEXT NOT NULL,
    revision           INTEGER NOT NULL,
    approved_by        TEXT,
    approved_at        TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX framework_agreements_land_idx ON framework_agreements (land_code, state);

-- Gapless contract numbers: one counter row per year, incremented inside the creating transaction.
CREATE TABLE contract_counters (
    year      INTEGER PRIMARY KEY,
    last_seq  BIGINT NOT NULL
);

CREATE TABLE agreements (
    id                       TEXT PRIMARY KEY,
    -- EFA-<year>-<6-digit sequence>, drawn from contract_counters
    number                   TEXT NOT NULL UNIQUE,
    request_id               TEXT REFERENCES reuse_requests (id),
    framework_agreement_id   TEXT REFERENCES framework_agreements (id),
    framework_version        INTEGER,
    parent_agreement_id      TEXT REFERENCES agreements (id),
    online_service_id        TEXT NOT NULL REFERENCES online_services (id),
    -- frozen at creation: later edits of the listing do not change the agreement
    listing_version          INTEGER NOT NULL,
    listing_content          TEXT NOT NULL,
    terms_text               TEXT NOT NULL,
    terms_version            TEXT NOT NULL,
    provider_org_id          TEXT NOT NULL REFERENCES organisations (id),
    customer_org_id          TEXT NOT NULL REFERENCES organisations (id),
    -- who signs for the customer: the municipality itself or its bundler
    signatory_org_id         TEXT NOT NULL REFERENCES organisations (id),
    one_off_fee_cents        BIGINT NOT NULL CHECK (one_off_fee_cents >= 0),
    annual_fee_cents         BIGINT NOT NULL CHECK (annual_fee_cents >= 0),
    first_year_fee_cents     BIGINT NOT NULL CHECK (first_year_fee_cents >= 0),
    cost_key                 TEXT NOT NULL,
    start_date               DATE NOT NULL,
    minimum_term_months      INTEGER NOT NULL CHECK (minimum_term_months >= 0),
    notice_months            INTEGER NOT NULL CHECK (notice_months >= 0),
    end_date                 DATE,
    state                    TEXT NOT NULL CHECK (state IN ('pending', 'active', 'live', 'terminated')),
    provider_signed_at       TIMESTAMP,
    provider_signed_by       TEXT,
    customer_signed_at       TIMESTAMP,
    customer_signed_by       TEXT,
    live_since               DATE,
    revision                 INTEGER NOT NULL,
    created_at               TIMESTAMP NOT NULL,
    updated_at               TIMESTAMP NOT NULL
);
CREATE INDEX agreements_customer_idx ON agreements (customer_org_id);
CREATE INDEX agreements_provider_idx ON agreements (provider_org_id);
CREATE INDEX agreements_service_idx ON agreements (online_service_id);
CREATE INDEX agreements_request_idx ON agreements (request_id);

-- The contract folder: every document and decision of an agreement's life.
CREATE TABLE agreement_documents (
    id            TEXT PRIMARY KEY,
    agreement_id  TEXT NOT NULL REFERENCES agreements (id),
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX agreement_documents_agreement_idx ON agreement_documents (agreement_id, created_at);

CREATE TABLE onboarding_steps (
    agreement_id  TEXT NOT NULL REFERENCES agreements (id),
    step          TEXT NOT NULL CHECK (step IN ('fit_connect_destination', 'pvog_responsibility', 'fachverfahren_connected', 'test_case_passed')),
    done_by       TEXT NOT NULL,
    done_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (agreement_id, step)
);

-- A retried POST with the same key returns the first response and creates nothing.
CREATE TABLE idempotency_keys (
    org_id         TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status         INTEGER NOT NULL,
    response_body  TEXT NOT NULL,
    location       TEXT,
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (org_id, idem_key)
);
