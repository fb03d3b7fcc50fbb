-- Switched-off targets (R-NODE-3): "service", "node:N", "group:N/G",
-- "operator:JID" or "operator:JID@N". A target that is on has no row.
CREATE TABLE switches (
    target TEXT PRIMARY KEY,
    mode   TEXT NOT NULL,
    at     DOUBLE PRECISION NOT NULL
);
