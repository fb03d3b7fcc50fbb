-- Archive search (issue 10, item 5): the stems of every chat message, in an
-- FTS5 index (see imsupport/store/sqlsearch.py). imsupport_stems() is the
-- Python function the SQLite store registers on its connection: Russian and
-- English stems, which FTS5's own tokenizers cannot make.
-- Contentless (the text is in events already) and detail=none (a match is
-- by word, never by phrase or position): the index stays small.
-- rowid = chat_id << 24 | seq, so a match names its chat without a lookup;
-- a message past seq 2^24 - 1 (never seen: 16 million events in one chat)
-- is left out of the index rather than failing the write.

CREATE VIRTUAL TABLE event_search USING fts5 (
    stems,
    content = '',
    detail = none,
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TRIGGER events_search AFTER INSERT ON events
WHEN new.kind = 'message' AND new.seq < 16777216
BEGIN
    INSERT INTO event_search (rowid, stems)
    VALUES ((new.chat_id << 24) | new.seq, imsupport_stems(new.text));
END;

-- messages stored before this step
INSERT INTO event_search (rowid, stems)
SELECT (chat_id << 24) | seq, imsupport_stems(text) FROM events
WHERE kind = 'message' AND seq < 16777216;
