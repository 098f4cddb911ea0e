-- Near-duplicate keys, cheaper to write and to look up (cold ingest spent
-- more time here than on storing the entries themselves):
-- * no uniqueness: a key row repeated by a retry only repeats a candidate,
--   and the unique check plus ON CONFLICT's speculative insertion cost two
--   extra index descents per key;
-- * a SimHash band row carries the entry's SimHash, so a lookup drops the
--   band hits too far apart to be the same text (nearly all of them: band
--   values of one language's texts collide) before visiting the entry.
--   Shingle rows and rows written before this migration have none and are
--   verified as before.
ALTER TABLE near_keys ADD COLUMN simhash BIGINT;
ALTER TABLE near_keys DROP CONSTRAINT IF EXISTS near_keys_pkey;
CREATE INDEX near_keys_lookup ON near_keys (key, sort_at) INCLUDE (entry_id, simhash);
