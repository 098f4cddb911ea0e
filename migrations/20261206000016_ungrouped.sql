-- Entries stored but not yet grouped into stories, one row per fetch.
-- Grouping is its own step after the store (src/stories/group.rs): the
-- store writes this row in its transaction, grouping deletes it in its
-- own, so entries a crash left between the two are grouped later by the
-- poller's sweep instead of staying stories of their own for good.
CREATE TABLE ungrouped (
    id        bigserial PRIMARY KEY,
    source_id bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    queued_at timestamptz NOT NULL DEFAULT now(),
    entry_ids bigint[] NOT NULL
);
CREATE INDEX ungrouped_queued_at ON ungrouped (queued_at);
