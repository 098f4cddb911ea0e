-- Near-duplicate detection. Each entry with enough text gets a 64-bit
-- SimHash, a sketch of the numbers it mentions and a sketch of its shingle
-- hashes; `near_keys` indexes the SimHash bands and the sentence hashes by
-- (key, time), so that finding candidates is an index range per key within
-- the story window, whatever the size of the table. Band keys and shingle
-- hashes share the key space: a collision only adds a candidate, and every
-- candidate is verified.
ALTER TABLE entries
    ADD COLUMN simhash BIGINT,
    ADD COLUMN number_sketch BIGINT,
    ADD COLUMN passages BIGINT[];

CREATE TABLE near_keys (
    key      BIGINT NOT NULL,
    sort_at  TIMESTAMPTZ NOT NULL,
    entry_id BIGINT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    PRIMARY KEY (key, sort_at, entry_id)
);
CREATE INDEX near_keys_entry ON near_keys (entry_id);
-- Keys older than a few weeks are pruned (see src/retention.rs).
CREATE INDEX near_keys_age ON near_keys (sort_at);
