-- What the poller learned about each source's rhythm, for scheduling after a 304.
ALTER TABLE sources
    ADD COLUMN adaptive_interval_seconds INTEGER,
    -- The longest of the feed's <ttl> and sy:updatePeriod/Frequency.
    ADD COLUMN feed_min_interval_seconds INTEGER,
    ADD COLUMN skip_hours SMALLINT[] NOT NULL DEFAULT '{}',
    ADD COLUMN skip_days SMALLINT[] NOT NULL DEFAULT '{}',
    -- A permanent redirect seen on consecutive polls; the URL moves after a grace period.
    ADD COLUMN moved_to TEXT,
    ADD COLUMN moved_count INTEGER NOT NULL DEFAULT 0;

-- A bounded log of recent fetches per source, for operators.
CREATE TABLE fetch_log (
    id           BIGSERIAL PRIMARY KEY,
    source_id    BIGINT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    at           TIMESTAMPTZ NOT NULL,
    status       INTEGER,
    duration_ms  INTEGER NOT NULL,
    bytes        BIGINT,
    new_entries  INTEGER NOT NULL DEFAULT 0,
    updated_entries INTEGER NOT NULL DEFAULT 0,
    error        TEXT
);

CREATE INDEX fetch_log_source ON fetch_log (source_id, at DESC);
