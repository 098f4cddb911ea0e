-- Each entry writes ~12 near-duplicate keys, and each key paid a foreign
-- key check and three B-tree inserts (primary key, entry, age): a sixth of
-- the database's time at cold ingest. Keys live a few weeks (pruned by
-- age) and lookups join entries, so a key whose entry is gone only drops
-- out; removing a source deletes its keys itself (src/sources.rs). Age is
-- a BRIN range: keys arrive in about time order, pruning reads ranges.
ALTER TABLE near_keys DROP CONSTRAINT IF EXISTS near_keys_entry_id_fkey;
DROP INDEX IF EXISTS near_keys_entry;
DROP INDEX IF EXISTS near_keys_age;
CREATE INDEX near_keys_age ON near_keys USING brin (sort_at);
-- New entries are stored in a story of their own (src/ingest/store.rs) and
-- grouping reads them by id: nothing looks for unassigned entries any more.
DROP INDEX IF EXISTS entries_unassigned;
