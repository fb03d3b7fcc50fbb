-- Events for integrators (R-HOOK-1, SPEC 15): the outbox, written in the same
-- transaction as the chat events each row reports. ``seq`` orders it (the
-- deliverer's cursor); ``id`` is the webhook-id, one row per event.

CREATE TABLE outbox (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    id   TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    at   REAL NOT NULL,
    data TEXT NOT NULL            -- JSON object
);
