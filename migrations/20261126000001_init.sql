-- Sources: the feeds we poll, and their health.
CREATE TABLE sources (
    id                   BIGSERIAL PRIMARY KEY,
    url                  TEXT NOT NULL UNIQUE,
    -- Title given by an operator (config, API, CLI); wins over feed_title.
    title                TEXT,
    feed_title           TEXT,
    site_url             TEXT,
    language             TEXT,
    tags                 TEXT[] NOT NULL DEFAULT '{}',
    timezone             TEXT,
    interval_seconds     INTEGER,
    origin               TEXT NOT NULL DEFAULT 'api' CHECK (origin IN ('config', 'api', 'cli')),
    enabled              BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason      TEXT,
    -- Some feeds repeat one guid for different items; identity then uses guid + link.
    guid_is_unreliable   BOOLEAN NOT NULL DEFAULT FALSE,
    etag                 TEXT,
    last_modified        TEXT,
    last_polled_at       TIMESTAMPTZ,
    last_status          INTEGER,
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    lease_until          TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX sources_due ON sources (next_poll_at) WHERE enabled;

-- A story groups the entries of different sources that are the same article.
CREATE TABLE stories (
    id             BIGSERIAL PRIMARY KEY,
    -- The earliest version; merged feeds show it.
    head_entry_id  BIGINT NOT NULL,
    sort_at        TIMESTAMPTZ NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX stories_newest ON stories (sort_at DESC, id DESC);

CREATE TABLE entries (
    id             BIGSERIAL PRIMARY KEY,
    source_id      BIGINT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    story_id       BIGINT REFERENCES stories (id) ON DELETE SET NULL,
    -- Identity within the source: "g:<guid>", "gl:<guid> <link>", "u:<canonical link>" or "h:<hash>".
    identity       TEXT NOT NULL,
    guid           TEXT,
    url            TEXT,
    canonical_url  TEXT,
    title          TEXT NOT NULL DEFAULT '',
    summary        TEXT,
    content_html   TEXT,
    authors        TEXT[] NOT NULL DEFAULT '{}',
    categories     TEXT[] NOT NULL DEFAULT '{}',
    enclosures     JSONB NOT NULL DEFAULT '[]',
    language       TEXT,
    published_at   TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ,
    fetched_at     TIMESTAMPTZ NOT NULL,
    -- Ordering key: the published date, or first sight when the feed gives none
    -- (or gives one in the future); never changes after insert.
    sort_at        TIMESTAMPTZ NOT NULL,
    -- Hash of the entry as parsed, before cleaning: unchanged entries skip all work.
    raw_hash       BYTEA NOT NULL,
    -- Hash of the folded title and text, for cross-source grouping.
    fingerprint    BYTEA,
    -- Folded lexemes computed in Rust (ten times cheaper than to_tsvector in PostgreSQL).
    search         TSVECTOR NOT NULL DEFAULT ''::tsvector,
    UNIQUE (source_id, identity)
);

CREATE INDEX entries_newest ON entries (sort_at DESC, id DESC);
CREATE INDEX entries_source_newest ON entries (source_id, sort_at DESC, id DESC);
CREATE INDEX entries_story ON entries (story_id, sort_at, id);
CREATE INDEX entries_canonical_url ON entries (canonical_url) WHERE canonical_url IS NOT NULL;
CREATE INDEX entries_fingerprint ON entries (fingerprint) WHERE fingerprint IS NOT NULL;
CREATE INDEX entries_search ON entries USING GIN (search);
CREATE INDEX entries_unassigned ON entries (source_id) WHERE story_id IS NULL;
