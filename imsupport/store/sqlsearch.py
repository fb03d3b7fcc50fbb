"""
Archive search (issue 10, item 5): which chats have messages with every word
of a query, for ``IStore.findChats(q=...)``.

The words of a message and of a query become search keys the same way on
both sides, so "доставки" finds "доставка" and "deliveries" finds
"delivery":

- SQLite (schema step 7): an FTS5 table of the *stems* of each message,
  computed in Python by ``imsupport.core.stemming`` (the FAQ's stemmers),
  because FTS5's own tokenizers stem English only. A trigger on ``events``
  fills it through the SQL function ``imsupport_stems`` that the SQLite
  store registers on its connection, so every write path (group commit,
  retried writes) indexes messages without knowing about search, and the
  step backfills old rows with the same function. The FTS rowid encodes the
  message's chat (``chat_id << 24 | seq``), so a match yields its chat id
  with no lookup.
- PostgreSQL (schema step 7): a stored ``tsvector`` column of each message
  under both the 'russian' and 'english' configurations, with a GIN index;
  each query word must match under either of them.
- The memory store compares the same Python stems (``messageStems``).

A query is cut into words here, never handed to a query parser, so quotes,
``*``, ``NEAR``, ``-`` or parentheses are only characters that separate
words: no input makes an SQL or FTS syntax error.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from imsupport.core.model import ChatRecord
from imsupport.core.stemming import stem
from imsupport.store import sql
from imsupport.store.sql import Program, Query

# Letters and digits, as FTS5's unicode61 tokenizer sees them ("_" separates).
_WORD = re.compile(r"[^\W_]+")

# Words of a query looked for; more are ignored, so that no query makes a
# statement too long for the database (an API caps ``q``'s length anyway).
MAX_WORDS = 32

# Bits of the SQLite FTS rowid that hold the message's seq (see the step).
SEQ_BITS = 24

PG_QUERY = "(plainto_tsquery('russian', ?) || plainto_tsquery('english', ?))"
# PostgreSQL: a word in this many messages or more is common (see searchTerms).
COMMON = 2000


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, in order."""
    return _WORD.findall(text.lower())


def stems(text: str) -> list[str]:
    """The search keys of ``text``: one stem per word, in order."""
    return [stem(w) for w in words(text)]


def stemText(text: str | None) -> str:
    """SQL ``imsupport_stems``: what the SQLite FTS table indexes for a message."""
    return " ".join(stems(text)) if isinstance(text, str) else ""


def queryStems(q: str | None) -> list[str]:
    """The distinct stems a query asks for, in order; empty = no filter."""
    return list(dict.fromkeys(stems(q or "")))[:MAX_WORDS]


def messageStems(texts: Iterable[str]) -> set[str]:
    """Every stem of a chat's messages (the memory store's index of a chat)."""
    found: set[str] = set()
    for text in texts:
        found.update(stems(text))
    return found


def searchTerms(dialect: str, q: str | None,
                chat_id: str = "chats.id") -> Program[tuple[list[str], list[object]]]:
    """WHERE terms (and their parameters) keeping only chats that have every
    word of ``q`` in one or more of their messages. A word is a subquery on
    the index; the caller's ORDER BY ... LIMIT stays on ``chats``."""
    where: list[str] = []
    params: list[object] = []
    if dialect == "sqlite":
        # "+" keeps SQLite from driving the query by the matches (every
        # matching chat looked up, then sorted: slow for a common word); it
        # walks chats newest first instead and stops at LIMIT, each word's
        # matches read once from the index into a set.
        for key in queryStems(q):
            where.append(f"+{chat_id} IN (SELECT rowid >> {SEQ_BITS} FROM event_search "
                         "WHERE event_search MATCH ?)")
            params.append('"' + key.replace('"', '""') + '"')
        return where, params
    terms = list(dict.fromkeys(words(q or "")))[:MAX_WORDS]
    if not terms:
        return where, params
    # Per word: its lexemes (a stop word, "the", "и", has none under either
    # configuration and would match nothing: such words are left out, as a
    # search engine does) and how many messages have it, counted up to
    # COMMON. A word in fewer messages drives the query: its chats' ids
    # read from the GIN index first, then those chats by primary key. A
    # common word is checked chat by chat while the chats are walked newest
    # first, stopping at LIMIT (reading all its matches first would be slow).
    marks = ", ".join(f"numnode({PG_QUERY}), (SELECT count(*) FROM (SELECT 1 FROM events "
                      f"WHERE search @@ {PG_QUERY} LIMIT {COMMON}) AS found)" for _ in terms)
    rows = yield Query(f"SELECT {marks}", [w for w in terms for _ in range(4)])
    counts = rows[0]
    for i, term in enumerate(terms):
        nodes, found = int(counts[2 * i]), int(counts[2 * i + 1])
        if nodes == 0:
            continue
        if found < COMMON:
            where.append(f"{chat_id} = ANY (ARRAY (SELECT chat_id FROM events "
                         f"WHERE search @@ {PG_QUERY}))")
        else:
            where.append(f"EXISTS (SELECT 1 FROM events AS e WHERE e.chat_id = {chat_id} "
                         f"AND e.search @@ {PG_QUERY})")
        params += [term, term]
    return where, params


def findChats(dialect: str, node: str | None = None, client: str | None = None,
              operator: str | None = None, state: str | None = None,
              since: float | None = None, until: float | None = None,
              limit: int | None = 100, q: str | None = None,
              before: tuple[float, int] | None = None) -> Program[list[ChatRecord]]:
    """``sql.findChats`` with the words of ``q`` as more filters."""
    where, params = yield from searchTerms(dialect, q)
    return (yield from sql.findChats(dialect, node=node, client=client, operator=operator,
                                     state=state, since=since, until=until, limit=limit,
                                     before=before, terms=where, termParams=params))
