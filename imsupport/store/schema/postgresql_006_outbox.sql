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
