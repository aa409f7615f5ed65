-- The OZG catalogue, the places of Germany, organisations and online services.
-- Same tables and columns as migrations/postgres; only the type spellings differ.

CREATE TABLE laender (
    code             TEXT PRIMARY KEY CHECK (length(code) = 2 AND code NOT GLOB '*[^0-9]*'),
    name             TEXT NOT NULL,
    population       BIGINT NOT NULL CHECK (population >= 0),
    population_2023  BIGINT CHECK (population_2023 >= 0),
    gemeinden_count  INTEGER NOT NULL
);

CREATE TABLE koenigsteiner_shares (
    year             INTEGER NOT NULL,
    land_code        TEXT NOT NULL REFERENCES laender (code),
    -- share in units of 0.00001 percent: 21.07592 % is stored as 2107592
    share_e5         BIGINT NOT NULL CHECK (share_e5 >= 0),
    PRIMARY KEY (year, land_code)
);

CREATE TABLE kreise (
    code             TEXT PRIMARY KEY CHECK (length(code) = 5 AND code NOT GLOB '*[^0-9]*'),
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    land_code        TEXT NOT NULL REFERENCES laender (code),
    population       BIGINT NOT NULL CHECK (population >= 0),
    gemeinden_count  INTEGER NOT NULL
);
CREATE INDEX kreise_land_idx ON kreise (land_code);

CREATE TABLE gemeinden (
    ags              TEXT PRIMARY KEY CHECK (length(ags) = 8 AND ags NOT GLOB '*[^0-9]*'),
    ars              TEXT NOT NULL UNIQUE CHECK (length(ars) = 12 AND ars NOT GLOB '*[^0-9]*'),
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    gemeindefrei     BOOLEAN NOT NULL,
    land_code        TEXT NOT NULL REFERENCES laender (code),
    kreis_code       TEXT REFERENCES kreise (code),
    gemeindeverband  TEXT,
    population       BIGINT NOT NULL CHECK (population >= 0),
    area_km2         REAL,
    postcode         TEXT,
    longitude        REAL,
    latitude         REAL,
    urbanisation     TEXT
);
CREATE INDEX gemeinden_land_idx ON gemeinden (land_code);
CREATE INDEX gemeinden_kreis_idx ON gemeinden (kreis_code);

CREATE TABLE themenfelder (
    id                  INTEGER PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    lead_land_code      TEXT REFERENCES laender (code),
    lead_bundesressort  TEXT
);

CREATE TABLE lebenslagen (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    themenfeld_id    INTEGER NOT NULL REFERENCES themenfelder (id)
);

CREATE TABLE ozg_leistungen (
    ozg_id           INTEGER PRIMARY KEY CHECK (ozg_id BETWEEN 1 AND 99999),
    name             TEXT NOT NULL,
    lebenslage_id    INTEGER NOT NULL REFERENCES lebenslagen (id),
    themenfeld_id    INTEGER NOT NULL REFERENCES themenfelder (id)
);
CREATE INDEX ozg_leistungen_themenfeld_idx ON ozg_leistungen (themenfeld_id);

CREATE TABLE leika_leistungen (
    -- position of the row in the source file: 436 rows have no LeiKa key
    id                 INTEGER PRIMARY KEY,
    leika_key          TEXT UNIQUE CHECK (length(leika_key) = 14 AND leika_key NOT GLOB '*[^0-9]*'),
    name               TEXT NOT NULL,
    ozg_id             INTEGER REFERENCES ozg_leistungen (ozg_id),
    leika_typ          TEXT,
    legal_basis        TEXT,
    laws               TEXT,
    law_abbreviations  TEXT,
    sdg1_relevant      BOOLEAN NOT NULL,
    sdg2_relevant      BOOLEAN NOT NULL
);
CREATE INDEX leika_leistungen_ozg_idx ON leika_leistungen (ozg_id);

CREATE TABLE organisations (
    id               TEXT PRIMARY KEY,
    -- not unique: many Gemeinden share a name (Neustadt, Neuenkirchen …)
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('bund', 'land', 'kommune', 'it_dienstleister', 'zweckverband', 'bundler')),
    land_code        TEXT REFERENCES laender (code),
    ags              TEXT REFERENCES gemeinden (ags),
    ars              TEXT,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX organisations_land_idx ON organisations (land_code);
CREATE INDEX organisations_ags_idx ON organisations (ags);

CREATE TABLE online_services (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    description           TEXT,
    provider_org_id       TEXT NOT NULL REFERENCES organisations (id),
    lead_land_code        TEXT REFERENCES laender (code),
    efa                   BOOLEAN NOT NULL,
    status                TEXT CHECK (status IN ('planned', 'in_development', 'pilot', 'live', 'retired')),
    reifegrad             INTEGER CHECK (reifegrad BETWEEN 0 AND 4),
    url                   TEXT,
    price_model           TEXT CHECK (price_model IN ('free', 'one_off_anbindung_fee', 'annual', 'per_inhabitant', 'koenigsteiner_share', 'per_use')),
    one_off_fee_cents     BIGINT CHECK (one_off_fee_cents >= 0),
    annual_fee_cents      BIGINT CHECK (annual_fee_cents >= 0),
    per_inhabitant_cents  BIGINT CHECK (per_inhabitant_cents >= 0),
    per_use_cents         BIGINT CHECK (per_use_cents >= 0),
    -- where the row came from: a seed file name, or 'marketplace' for listings made through the API
    source                TEXT NOT NULL,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL
);
CREATE INDEX online_services_provider_idx ON online_services (provider_org_id);

CREATE TABLE online_service_ozg_leistungen (
    online_service_id  TEXT NOT NULL REFERENCES online_services (id) ON DELETE CASCADE,
    ozg_id             INTEGER NOT NULL REFERENCES ozg_leistungen (ozg_id),
    PRIMARY KEY (online_service_id, ozg_id)
);
CREATE INDEX online_service_ozg_leistungen_ozg_idx ON online_service_ozg_leistungen (ozg_id);

CREATE TABLE online_service_anbindungen (
    online_service_id  TEXT NOT NULL REFERENCES online_services (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN ('fit_connect', 'xoev_standard', 'link_out', 'api')),
    PRIMARY KEY (online_service_id, kind)
);

CREATE TABLE efa_mindestanforderungen (
    code         TEXT PRIMARY KEY,
    version      TEXT NOT NULL,
    criterion    TEXT NOT NULL,
    description  TEXT NOT NULL,
    category     TEXT NOT NULL,
    mandatory    TEXT NOT NULL CHECK (mandatory IN ('yes', 'no', 'unknown')),
    source       TEXT NOT NULL
);
