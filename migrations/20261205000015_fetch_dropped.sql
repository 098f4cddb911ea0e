-- Entries of a fetched document that were not stored, and why (issue #18:
-- no silent zero). `dropped_reasons` maps a short reason to a count.
ALTER TABLE fetch_log
    ADD COLUMN dropped integer NOT NULL DEFAULT 0,
    ADD COLUMN dropped_reasons jsonb;
