-- An entry's text and its search vector are compressed with lz4 rather
-- than pglz (PostgreSQL's default): most rows of a long article pass the
-- 2 kB at which PostgreSQL compresses, and pglz was a fifth of writing an
-- entry (cold ingest, 2 cores: 6 % less CPU in all, 5 % more entries/s);
-- reading them back is faster too. Rows already stored keep pglz; both
-- read alike. A server built without lz4 (or older than PostgreSQL 14)
-- keeps pglz.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE entries ALTER COLUMN content_html SET COMPRESSION lz4,
                                 ALTER COLUMN summary SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE entry_search ALTER COLUMN search SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 compression is not available here: entries stay compressed with pglz';
END
$$;
