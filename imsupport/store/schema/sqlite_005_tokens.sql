-- API bearer tokens (SPEC 14): the SHA-256 (hex) of each token, never the
-- token; scopes space-separated (read, control, admin).
CREATE TABLE api_tokens (
    name       TEXT PRIMARY KEY,
    digest     TEXT NOT NULL UNIQUE,
    scopes     TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);
