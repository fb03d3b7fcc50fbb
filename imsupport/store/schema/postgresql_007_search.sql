-- Archive search (issue 10, item 5): the full text of chat messages under
-- both the 'russian' and the 'english' configuration (see
-- imsupport/store/sqlsearch.py), NULL for other events. A stored column
-- rather than an expression index: ANALYZE keeps word statistics for a
-- column (not for a partial expression index), so the planner knows a rare
-- word from a common one, and a row rechecked is never parsed again.
-- Adding the column computes it for the messages stored before this step:
-- that is their backfill.

ALTER TABLE events ADD COLUMN search tsvector GENERATED ALWAYS AS (
    CASE WHEN kind = 'message'
         THEN to_tsvector('russian', text) || to_tsvector('english', text)
    END) STORED;

CREATE INDEX events_search ON events USING GIN (search);
