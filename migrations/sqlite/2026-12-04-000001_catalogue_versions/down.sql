DROP TABLE known_online;
DROP TABLE listing_flags;
DROP TABLE leika_retirements;
DROP TABLE ozg_retirements;
DROP TABLE catalogue_versions;
