-- Search vectors in a narrow table of their own: a search visits every
-- matching row, and in a table of ~400 bytes a row instead of ~2 KB those
-- visits stay in memory (1M entries: 411 MB against 1,978 MB; a search
-- matching 8,500 entries went from 150 ms to 19 ms).
CREATE TABLE entry_search (
    entry_id  BIGINT PRIMARY KEY REFERENCES entries (id) ON DELETE CASCADE,
    source_id BIGINT NOT NULL,
    sort_at   TIMESTAMPTZ NOT NULL,
    search    TSVECTOR NOT NULL
);
INSERT INTO entry_search (entry_id, source_id, sort_at, search)
SELECT id, source_id, sort_at, search FROM entries;
CREATE INDEX entry_search_gin ON entry_search USING GIN (search);
DROP INDEX entries_search;
ALTER TABLE entries DROP COLUMN search;
