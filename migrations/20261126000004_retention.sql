-- What remains of an entry deleted by retention: enough to recognise it if
-- its source still lists it, so it is not ingested again as new.
CREATE TABLE tombstones (
    source_id   BIGINT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    identity    TEXT NOT NULL,
    fingerprint BYTEA,
    deleted_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, identity)
);

CREATE INDEX entries_oldest ON entries (sort_at);
