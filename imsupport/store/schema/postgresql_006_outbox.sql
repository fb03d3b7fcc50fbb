-- Events for integrators (R-HOOK-1, SPEC 15): the outbox, written in the same
-- transaction as the chat events each row reports. ``seq`` orders it (the
-- deliverer's cursor); ``id`` is the webhook-id, one row per event. Outbox
-- rows are written only through the store's group commit, one transaction
-- at a time, so seq grows in commit order.

CREATE TABLE outbox (
    seq  BIGSERIAL PRIMARY KEY,
    id   TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    at   DOUBLE PRECISION NOT NULL,
    data TEXT NOT NULL            -- JSON object
);

-- Webhooks (SPEC 15) and their delivery state, which survives restarts: per
-- webhook, the outbox seq delivered (or given up) up to, and the attempts
-- and next attempt time of the event now being delivered.
CREATE TABLE webhooks (
    id     TEXT PRIMARY KEY,
    url    TEXT NOT NULL,
    secret TEXT NOT NULL,        -- whsec_<base64 key>
    events TEXT NOT NULL         -- JSON list of patterns ("chat.*")
);
CREATE TABLE webhook_state (
    webhook_id TEXT PRIMARY KEY,
    cursor     BIGINT NOT NULL DEFAULT 0,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    DOUBLE PRECISION NOT NULL DEFAULT 0
);
-- events asked to be delivered again, before the outbox's next ones
CREATE TABLE webhook_redeliveries (
    seq        BIGSERIAL PRIMARY KEY,
    webhook_id TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    UNIQUE (webhook_id, event_id)
);
-- the delivery log: one row per attempt
CREATE TABLE webhook_deliveries (
    seq        BIGSERIAL PRIMARY KEY,
    webhook_id TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    at         DOUBLE PRECISION NOT NULL,
    status     INTEGER,          -- the HTTP status; NULL: no answer (see error)
    error      TEXT NOT NULL DEFAULT '',
    duration   DOUBLE PRECISION NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, seq);
