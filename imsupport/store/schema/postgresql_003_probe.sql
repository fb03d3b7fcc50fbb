-- The write probe (R-RUN-3): one row, rewritten every few seconds while the
-- service is idle, so a full disk or a lost server shows on /healthz even
-- when no chat is writing. It holds no data of its own.
CREATE TABLE store_probe (
    id  INTEGER PRIMARY KEY,
    at  DOUBLE PRECISION NOT NULL,
    pad BYTEA NOT NULL
);
