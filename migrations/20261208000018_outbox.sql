-- Real time (src/announce.rs, src/outbox/): what reaches webhooks and
-- WebSub subscribers, kept in PostgreSQL so that a restart loses nothing.

-- New stories in the order their groupings committed: a grouping writes
-- its line under the grouping lock, so sequence numbers commit in order
-- and a reader that has seen line N has seen every line before it. Kept
-- a week (src/retention.rs).
CREATE TABLE story_announcements (
    seq       bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    story_ids bigint[] NOT NULL
);
CREATE INDEX story_announcements_at ON story_announcements USING brin (at);

-- How far the announcer has read the lines above.
CREATE TABLE announcement_marks (
    consumer text PRIMARY KEY,
    seq      bigint NOT NULL
);

-- Where deliveries go: webhooks from the config file, subscribers of our
-- built-in hub, and an external hub we ping. One row per target, with the
-- state the API and /metrics show and the backoff that paces retries.
CREATE TABLE endpoints (
    id                   bigserial PRIMARY KEY,
    kind                 text NOT NULL CHECK (kind IN ('webhook', 'subscriber', 'hub')),
    url                  text NOT NULL,
    channel              text NOT NULL,
    -- Subscribers: the feed they follow (one of our feed URLs), the
    -- secret they gave (NULL: unsigned), their lease.
    topic                text NOT NULL DEFAULT '',
    secret               text,
    lease_seconds        integer,
    expires_at           timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    last_success_at      timestamptz,
    last_error           text,
    last_error_at        timestamptz,
    consecutive_failures integer NOT NULL DEFAULT 0,
    -- No backoff: the epoch (not -infinity, which sqlx cannot decode).
    retry_at             timestamptz NOT NULL DEFAULT 'epoch',
    delivered            bigint NOT NULL DEFAULT 0,
    abandoned            bigint NOT NULL DEFAULT 0,
    UNIQUE (kind, url, channel, topic)
);

-- A body shared by the deliveries that carry it (a feed sent to each of
-- its subscribers is stored once).
CREATE TABLE delivery_payloads (
    id           bigserial PRIMARY KEY,
    content_type text NOT NULL,
    body         bytea NOT NULL
);

-- The outbox: one row per POST still to make. Deleted once delivered (or
-- abandoned after a day of failures).
CREATE TABLE deliveries (
    id              bigserial PRIMARY KEY,
    -- Sent as X-Tributary-Delivery: the same on every retry, so that a
    -- receiver can drop a delivery it has already seen.
    delivery_key    text NOT NULL UNIQUE,
    endpoint_id     bigint NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    payload_id      bigint NOT NULL REFERENCES delivery_payloads (id),
    story_count     integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    -- Set while a deliverer is sending it: no other takes it until then.
    claimed_until   timestamptz NOT NULL DEFAULT 'epoch',
    last_error      text
);
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, id);
CREATE INDEX deliveries_payload ON deliveries (payload_id);

-- Announcing starts at the log's start: every story grouped from now on
-- is news to the webhooks and subscribers configured.
INSERT INTO announcement_marks (consumer, seq) VALUES ('outbox', 0);
