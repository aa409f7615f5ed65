-- Synonyms and abbreviations for search (seed-data/suchsynonyme.csv): what people type, the
-- catalogue's wording it stands for, and why the entry is there.
CREATE TABLE search_synonyms (
    term TEXT NOT NULL,
    means TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (term, means)
);
