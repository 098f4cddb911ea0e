-- Two foreign keys that every ingested entry paid for with a query and a
-- row lock per row (AFTER triggers, ~25 us an entry at cold ingest) and
-- that guarded nothing the code does not already keep:
-- * entries.story_id: a new entry is inserted with a story made in the same
--   statement, and stories are deleted only once no entry is in them,
--   under the grouping lock that entries join stories under
--   (src/stories/group.rs);
-- * entry_search.entry_id: a search row is written with its entry, and
--   goes with it by the statement trigger below (a cascade did it per row).
ALTER TABLE entries DROP CONSTRAINT IF EXISTS entries_story_id_fkey;
ALTER TABLE entry_search DROP CONSTRAINT IF EXISTS entry_search_entry_id_fkey;

CREATE FUNCTION entry_search_follow_deletes() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM entry_search s USING gone g WHERE s.entry_id = g.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER entries_deleted AFTER DELETE ON entries
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION entry_search_follow_deletes();
