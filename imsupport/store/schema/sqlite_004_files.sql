-- Files (R-CLI-1, R-CMD-6, SPEC 16): one row per FileRecord. The bytes live
-- under [web] files_dir, named by digest (imsupport/store/blobs.py).
-- Ids are stored lower-case, so the primary key compares them without case.

CREATE TABLE files (
    id           TEXT PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE,   -- the secret of /f/{token}/{name}
    name         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    digest       TEXT NOT NULL,          -- SHA-256 of the bytes, hex
    created_at   REAL NOT NULL,
    uploader     TEXT NOT NULL,
    client       TEXT,
    chat_id      INTEGER REFERENCES chats (id),  -- NULL: not in a chat, or shared
    shared       INTEGER NOT NULL DEFAULT 0,
    source       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX files_chat ON files (chat_id, created_at);
CREATE INDEX files_client ON files (client, created_at);
CREATE INDEX files_uploader ON files (uploader, created_at);
CREATE INDEX files_created ON files (created_at);
