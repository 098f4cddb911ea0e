-- Searches look at recent matches first (the newest 1,000 matches are
-- ranked; they are usually all from the last days): a time range on this
-- index ANDed with the GIN bitmap keeps a search from visiting every match
-- of a common word in the archive.
CREATE INDEX entry_search_recent ON entry_search (sort_at);
