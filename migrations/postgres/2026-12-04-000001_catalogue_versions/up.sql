-- Keeping the catalogue current (issue 14): every import of the OZG catalogue and every
-- operator's correction is a catalogue version; a removed OZG-Leistung or LeiKa-Leistung is
-- retired, never deleted (listings, requests and agreements keep pointing at it); listings of a
-- retired OZG-Leistung are flagged for their providers; the federal dashboard's per-ARS export
-- is kept as "known online elsewhere", beside (never inside) what agreements provide.
-- Same tables and columns as migrations/sqlite; only the type spellings differ.

CREATE TABLE catalogue_versions (
    id                 TEXT PRIMARY KEY,
    -- 'import' (a catalogue import), 'edit' (one operator's correction), 'availability'
    -- (a dashboard export)
    kind               TEXT NOT NULL CHECK (kind IN ('import', 'edit', 'availability')),
    -- where the data came from, as the operator named it (a folder, a file, a URL)
    source             TEXT NOT NULL,
    -- the date the source gives for its data, if known
    source_date        DATE,
    created_at         TIMESTAMP NOT NULL,
    actor              TEXT NOT NULL,
    -- the catalogue after the version: how many of each (for availability: records and online)
    ozg_leistungen     INTEGER NOT NULL,
    leika_leistungen   INTEGER NOT NULL,
    themenfelder       INTEGER NOT NULL,
    lebenslagen        INTEGER NOT NULL,
    -- what changed, as JSON (counts per kind of change)
    summary            TEXT NOT NULL
);
CREATE INDEX catalogue_versions_created_idx ON catalogue_versions (created_at, id);

CREATE TABLE ozg_retirements (
    ozg_id             INTEGER PRIMARY KEY REFERENCES ozg_leistungen (ozg_id),
    retired_at         TIMESTAMP NOT NULL,
    successor_ozg_id   INTEGER REFERENCES ozg_leistungen (ozg_id) CHECK (successor_ozg_id <> ozg_id),
    version_id         TEXT NOT NULL REFERENCES catalogue_versions (id)
);

CREATE TABLE leika_retirements (
    leika_id           INTEGER PRIMARY KEY REFERENCES leika_leistungen (id),
    retired_at         TIMESTAMP NOT NULL,
    version_id         TEXT NOT NULL REFERENCES catalogue_versions (id)
);

CREATE TABLE listing_flags (
    id                 TEXT PRIMARY KEY,
    online_service_id  TEXT NOT NULL REFERENCES online_services (id),
    ozg_id             INTEGER NOT NULL REFERENCES ozg_leistungen (ozg_id),
    reason             TEXT NOT NULL CHECK (reason IN ('ozg_retired')),
    successor_ozg_id   INTEGER REFERENCES ozg_leistungen (ozg_id),
    version_id         TEXT NOT NULL REFERENCES catalogue_versions (id),
    created_at         TIMESTAMP NOT NULL,
    -- set when the listing no longer links the OZG-Leistung, or it is reinstated
    resolved_at        TIMESTAMP
);
CREATE INDEX listing_flags_service_idx ON listing_flags (online_service_id);
CREATE UNIQUE INDEX listing_flags_open_idx ON listing_flags (online_service_id, ozg_id) WHERE resolved_at IS NULL;

CREATE TABLE known_online (
    -- the record's area as the dashboard gives it: a Gemeinde's ARS, or a Kreis's or Land's
    -- (trailing zeros), or 000000000000 for the whole country
    ars                  TEXT NOT NULL CHECK (ars ~ '^[0-9]{12}$'),
    leika_key            TEXT NOT NULL CHECK (leika_key ~ '^[0-9]{14}$'),
    ozg_id               INTEGER,
    url                  TEXT,
    online_status        TEXT NOT NULL,
    art_flaechendeckung  TEXT,
    version_id           TEXT NOT NULL REFERENCES catalogue_versions (id),
    PRIMARY KEY (ars, leika_key)
);
CREATE INDEX known_online_ozg_idx ON known_online (ozg_id);
