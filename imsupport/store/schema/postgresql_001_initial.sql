-- imsupport schema, step 1 (PostgreSQL).
-- Timestamps are float POSIX seconds; JSON columns are jsonb.

CREATE TABLE chats (
    id           BIGINT PRIMARY KEY,    -- handed out by the core (max + 1)
    node         TEXT NOT NULL,
    client       TEXT NOT NULL,
    state        TEXT NOT NULL,
    languages    JSONB NOT NULL DEFAULT '[]',
    operators    JSONB NOT NULL DEFAULT '[]',
    created_at   DOUBLE PRECISION NOT NULL,
    accepted_at  DOUBLE PRECISION,
    closed_at    DOUBLE PRECISION,
    close_reason TEXT,
    first_line   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX chats_node ON chats (node, created_at);
CREATE INDEX chats_client ON chats (client, created_at);
CREATE INDEX chats_created ON chats (created_at);
CREATE INDEX chats_state ON chats (state);
CREATE INDEX chats_operators ON chats USING GIN (operators);

CREATE TABLE events (
    chat_id BIGINT NOT NULL REFERENCES chats (id),
    seq     INTEGER NOT NULL,
    at      DOUBLE PRECISION NOT NULL,
    kind    TEXT NOT NULL,
    author  TEXT NOT NULL,
    text    TEXT NOT NULL DEFAULT '',
    data    JSON NOT NULL DEFAULT '{}',  -- json, not jsonb: keeps numbers and keys as written
    PRIMARY KEY (chat_id, seq)
);
CREATE INDEX events_author ON events (author, chat_id);

-- The directory: one JSON document per entity; position keeps the order.
CREATE TABLE operators (
    jid      TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    data     JSONB NOT NULL
);
CREATE TABLE nodes (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    data     JSONB NOT NULL
);
CREATE TABLE faq (
    id       TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    data     JSONB NOT NULL
);

CREATE TABLE subscribers (
    node TEXT NOT NULL,
    jid  TEXT NOT NULL,
    PRIMARY KEY (node, jid)
);
