-- entries_newest (sort_at DESC, id DESC) scanned backwards serves retention's
-- "oldest first"; a second index on sort_at cost every insert a B-tree write.
DROP INDEX entries_oldest;
