-- Statistics (R-STAT-1..3) read a period's chats in one range scan of
-- ``chats``: what store/sqlstats.py needs of a chat's events is kept on its
-- row as they are stored, by the trigger below, instead of three
-- subqueries over its events per chat at every read.
--   first_response_at  the earliest operator message the filters let through
--   rating             the client's latest rating if it is a JSON integer 1-5,
--                      else NULL (a later invalid one clears it, as before)
--   states             the chat's 'state' events, "seq US at US author US
--                      text" joined by RS (ASCII 31 and 30, never in XML)
-- Rows come in seq order within a chat (the journal numbers them), so
-- appending and overwriting keep the latest last. Old rows are backfilled.

ALTER TABLE chats ADD COLUMN first_response_at DOUBLE PRECISION;
ALTER TABLE chats ADD COLUMN rating INTEGER;
ALTER TABLE chats ADD COLUMN states TEXT;

CREATE FUNCTION imsupport_rating(data JSON) RETURNS INTEGER
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN (data -> 'rating')::text ~ '^[1-5]$'
                THEN (data ->> 'rating')::integer END
$$;

CREATE FUNCTION imsupport_chat_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'state' THEN
        UPDATE chats SET states = CASE WHEN states IS NULL THEN '' ELSE states || chr(30) END
            || NEW.seq || chr(31) || NEW.at::text || chr(31) || NEW.author || chr(31) || NEW.text
        WHERE id = NEW.chat_id;
    ELSIF NEW.kind = 'rating' THEN
        UPDATE chats SET rating = imsupport_rating(NEW.data) WHERE id = NEW.chat_id;
    ELSIF (NEW.data -> 'blocked') IS NULL THEN
        UPDATE chats SET first_response_at = NEW.at
        WHERE id = NEW.chat_id AND (first_response_at IS NULL OR first_response_at > NEW.at);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_chat_facts AFTER INSERT ON events FOR EACH ROW
WHEN (NEW.kind = 'state' OR (NEW.kind = 'rating' AND NEW.author = 'client')
      OR (NEW.kind = 'message' AND NEW.author NOT IN ('client', 'system')))
EXECUTE FUNCTION imsupport_chat_facts();

-- chats stored before this step
UPDATE chats SET
    first_response_at = (SELECT MIN(e.at) FROM events e WHERE e.chat_id = chats.id
        AND e.kind = 'message' AND e.author NOT IN ('client', 'system')
        AND (e.data -> 'blocked') IS NULL),
    rating = (SELECT imsupport_rating(e.data) FROM events e WHERE e.chat_id = chats.id
              AND e.kind = 'rating' AND e.author = 'client' ORDER BY e.seq DESC LIMIT 1),
    states = (SELECT string_agg(e.seq || chr(31) || e.at::text || chr(31) || e.author
                                || chr(31) || e.text, chr(30) ORDER BY e.seq)
              FROM events e WHERE e.chat_id = chats.id AND e.kind = 'state');
