-- imsupport schema, step 1 (SQLite).
-- Timestamps are float POSIX seconds; JSON columns hold text.

CREATE TABLE chats (
    id           INTEGER PRIMARY KEY,   -- handed out by the core (max + 1)
    node         TEXT NOT NULL,
    client       TEXT NOT NULL,
    state        TEXT NOT NULL,
    languages    TEXT NOT NULL DEFAULT '[]',
    operators    TEXT NOT NULL DEFAULT '[]',
    created_at   REAL NOT NULL,
    accepted_at  REAL,
    closed_at    REAL,
    close_reason TEXT,
    first_line   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX chats_node ON chats (node, created_at);
CREATE INDEX chats_client ON chats (client, created_at);
CREATE INDEX chats_created ON chats (created_at);
CREATE INDEX chats_state ON chats (state);

CREATE TABLE events (
    chat_id INTEGER NOT NULL REFERENCES chats (id),
    seq     INTEGER NOT NULL,
    at      REAL NOT NULL,
    kind    TEXT NOT NULL,
    author  TEXT NOT NULL,
    text    TEXT NOT NULL DEFAULT '',
    data    TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (chat_id, seq)
);
CREATE INDEX events_author ON events (author, chat_id);

-- The directory: one JSON document per entity; position keeps the order.
CREATE TABLE operators (
    jid      TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    data     TEXT NOT NULL
);
CREATE TABLE nodes (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    data     TEXT NOT NULL
);
CREATE TABLE faq (
    id       TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    data     TEXT NOT NULL
);

CREATE TABLE subscribers (
    node TEXT NOT NULL,
    jid  TEXT NOT NULL,
    PRIMARY KEY (node, jid)
);
