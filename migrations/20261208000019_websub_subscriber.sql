-- Tributary as a WebSub subscriber (src/websub/subscriber.rs): the hub a
-- source's feed names, and our subscriptions there.

-- What the last fetch found (src/websub/discover.rs); NULL when none.
ALTER TABLE sources ADD COLUMN websub_hub text, ADD COLUMN websub_topic text;

CREATE TABLE websub_subscriptions (
    id             bigserial PRIMARY KEY,
    -- NULL once the source is gone: the row waits to unsubscribe.
    source_id      bigint REFERENCES sources (id) ON DELETE SET NULL,
    hub            text NOT NULL,
    topic          text NOT NULL,
    -- The callback is /websub/callback/{callback_id}: 256 random bits.
    callback_id    text NOT NULL UNIQUE,
    -- Fresh per subscription; hubs sign content distributions with it.
    secret         text NOT NULL,
    -- pending: to ask the hub; requested: asked, awaiting verification;
    -- active: verified, lease running; failed / denied: polling only,
    -- asked again at next_action_at; unsubscribing: to end at the hub.
    state          text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'requested', 'active', 'failed', 'denied', 'unsubscribing')),
    lease_seconds  integer,
    expires_at     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    requested_at   timestamptz,
    verified_at    timestamptz,
    -- When the manager next acts on it (ask, renew, give up waiting).
    next_action_at timestamptz NOT NULL DEFAULT now(),
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text,
    last_push_at   timestamptz,
    pushes         bigint NOT NULL DEFAULT 0,
    -- Polls that found entries the hub had not pushed.
    missed         bigint NOT NULL DEFAULT 0
);
-- One live subscription per source (an old one may be ending beside it).
CREATE UNIQUE INDEX websub_subscriptions_source ON websub_subscriptions (source_id)
    WHERE state <> 'unsubscribing';
CREATE INDEX websub_subscriptions_due ON websub_subscriptions (next_action_at);

-- How a document came: 'poll' (fetched) or 'push' (a hub's content
-- distribution).
ALTER TABLE fetch_log ADD COLUMN via text NOT NULL DEFAULT 'poll';
