-- Which entries each story grouping added, by transaction: a grouping
-- looks up candidates before taking the grouping lock and, under it,
-- reads only the entries of groupings its snapshot did not see
-- (src/stories/group.rs). Kept an hour (src/retention.rs).
CREATE TABLE grouping_log (
    tx        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at        timestamptz NOT NULL DEFAULT now(),
    entry_ids bigint[] NOT NULL
);
CREATE INDEX grouping_log_tx ON grouping_log (tx);
CREATE INDEX grouping_log_at ON grouping_log USING brin (at);
