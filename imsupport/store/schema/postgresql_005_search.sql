-- Archive search (issue 10, item 5): full text of chat messages under both
-- the 'russian' and the 'english' configuration (see
-- imsupport/store/sqlsearch.py, whose PG_VECTOR spells this same expression
-- so that the planner uses the index). Building the index reads the
-- messages stored before this step: that is their backfill.

CREATE INDEX events_search ON events
USING GIN ((to_tsvector('russian', text) || to_tsvector('english', text)))
WHERE kind = 'message';
