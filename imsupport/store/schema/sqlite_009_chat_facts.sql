-- Statistics (R-STAT-1..3) read a period's chats in one range scan of
-- ``chats``: what store/sqlstats.py needs of a chat's events is kept on its
-- row as they are stored, by the triggers below, instead of three
-- subqueries over its events per chat at every read.
--   first_response_at  the earliest operator message the filters let through
--   rating             the client's latest rating if it is a JSON integer 1-5,
--                      else NULL (a later invalid one clears it, as before)
--   states             the chat's 'state' events, "seq US at US author US
--                      text" joined by RS (ASCII 31 and 30, never in XML)
-- Rows come in seq order within a chat (the journal numbers them), so
-- appending and overwriting keep the latest last. Old rows are backfilled.

ALTER TABLE chats ADD COLUMN first_response_at REAL;
ALTER TABLE chats ADD COLUMN rating INTEGER;
ALTER TABLE chats ADD COLUMN states TEXT;

CREATE TRIGGER events_first_response AFTER INSERT ON events
WHEN new.kind = 'message' AND new.author NOT IN ('client', 'system')
     AND json_extract(new.data, '$.blocked') IS NULL
BEGIN
    UPDATE chats SET first_response_at = new.at
    WHERE id = new.chat_id AND (first_response_at IS NULL OR first_response_at > new.at);
END;

CREATE TRIGGER events_rating AFTER INSERT ON events
WHEN new.kind = 'rating' AND new.author = 'client'
BEGIN
    UPDATE chats SET rating = CASE
        WHEN json_type(new.data, '$.rating') = 'integer'
             AND json_extract(new.data, '$.rating') BETWEEN 1 AND 5
        THEN json_extract(new.data, '$.rating') END
    WHERE id = new.chat_id;
END;

CREATE TRIGGER events_states AFTER INSERT ON events
WHEN new.kind = 'state'
BEGIN
    UPDATE chats SET states = CASE WHEN states IS NULL THEN '' ELSE states || char(30) END
        || new.seq || char(31) || printf('%!.17g', new.at) || char(31) || new.author
        || char(31) || new.text
    WHERE id = new.chat_id;
END;

-- chats stored before this step
UPDATE chats SET
    first_response_at = (SELECT MIN(e.at) FROM events e WHERE e.chat_id = chats.id
        AND e.kind = 'message' AND e.author NOT IN ('client', 'system')
        AND json_extract(e.data, '$.blocked') IS NULL),
    rating = (SELECT CASE WHEN json_type(e.data, '$.rating') = 'integer'
                          AND json_extract(e.data, '$.rating') BETWEEN 1 AND 5
                     THEN json_extract(e.data, '$.rating') END
              FROM events e WHERE e.chat_id = chats.id AND e.kind = 'rating'
              AND e.author = 'client' ORDER BY e.seq DESC LIMIT 1),
    states = (SELECT group_concat(s, char(30)) FROM (
        SELECT e.seq || char(31) || printf('%!.17g', e.at) || char(31) || e.author
               || char(31) || e.text AS s
        FROM events e WHERE e.chat_id = chats.id AND e.kind = 'state' ORDER BY e.seq));
