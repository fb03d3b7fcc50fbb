"""
The SQL of the statistics read (IStore.chatFacts, R-STAT-1..3), for SQLite
and PostgreSQL alike.

One query reads the period's chats with, computed in the database for each,
its first operator message (MIN(at) over its unblocked 'message' events by
an operator), its latest client rating, and its 'state' events folded into
one text, from which core/chatfacts.factsFrom derives who was in the chat
and when, by the same rules as the memory store's chatFacts(). A month of a
busy node (~10,000 chats) is one pass over the chats' rows and their
events' primary key, instead of one round trip per chat.
"""
from __future__ import annotations

from typing import Any

from imsupport.core.chatfacts import PEOPLE, ChatFacts, factsFrom
from imsupport.core.model import MESSAGE, RATING, STATE, ChatRecord
from imsupport.store import codec
from imsupport.store.sql import Program, Query

# An event the filters blocked carries data {"blocked": [...]} (core/words.py).
_UNBLOCKED = {
    "sqlite": "json_extract(e.data, '$.blocked') IS NULL",
    "postgresql": "(e.data -> 'blocked') IS NULL",
}
# The "rating" of an event's data as JSON text ('4', '"x"', 'true'...), NULL
# if absent: cheaper than handing the whole data to Python to parse.
_RATING_JSON = {
    "sqlite": "e.data -> '$.rating'",
    "postgresql": "(e.data -> 'rating')::text",
}
# The operator is listed in chats.operators (as in sql.findChats).
_LISTED = {
    "sqlite": "EXISTS (SELECT 1 FROM json_each(chats.operators) AS o WHERE o.value = ?)",
    "postgresql": "chats.operators @> jsonb_build_array(?::text)",
}
# A chat's 'state' events as one text: "seq US at US author US text" joined
# by RS (ASCII unit and record separators, which XML, and so XMPP, never
# carries). Times are written so that they read back exactly.
_US, _RS = "\x1f", "\x1e"
_STATES = {
    "sqlite": "(SELECT group_concat(e.seq || char(31) || printf('%!.17g', e.at) || char(31) "
              "|| e.author || char(31) || e.text, char(30)) FROM events e "
              f"WHERE e.chat_id = chats.id AND e.kind = '{STATE}')",
    "postgresql": "(SELECT string_agg(e.seq || chr(31) || e.at::text || chr(31) || e.author "
                  "|| chr(31) || e.text, chr(30)) FROM events e "
                  f"WHERE e.chat_id = chats.id AND e.kind = '{STATE}')",
}
COLUMNS = ("chats.id, chats.node, chats.client, chats.state, chats.operators, "
           "chats.created_at, chats.accepted_at, chats.closed_at")

_PEOPLE = ", ".join(f"'{p}'" for p in PEOPLE)


def _period(dialect: str, node: str | None, since: float, until: float,
            client: str | None, operator: str | None) -> tuple[str, list[Any]]:
    """The WHERE of the chats asked for. For ``operator`` it keeps the chats
    they are listed in or wrote any event of (cheap by the events_author
    index): a superset of the chats they were in, which ChatFacts.operators
    then decides exactly."""
    where = ["chats.created_at >= ?", "chats.created_at < ?"]
    params: list[Any] = [since, until]
    for column, value in (("node", node), ("client", client)):
        if value is not None:
            where.append(f"chats.{column} = ?")
            params.append(value)
    if operator is not None:
        where.append(f"({_LISTED[dialect]} OR EXISTS (SELECT 1 FROM events "
                     "WHERE events.author = ? AND events.chat_id = chats.id))")
        params += [operator, operator]
    return " AND ".join(where), params


def chatFacts(dialect: str, node: str | None, since: float, until: float,
              client: str | None = None, operator: str | None = None
              ) -> Program[list[ChatFacts]]:
    """ChatFacts of the chats created in [since, until), of ``node`` and
    ``client`` when given, that ``operator`` (when given) was ever in; by
    created_at, then id."""
    where, params = _period(dialect, node, since, until, client, operator)
    rows = yield Query(
        f"SELECT {COLUMNS}, "
        "(SELECT MIN(e.at) FROM events e WHERE e.chat_id = chats.id "
        f"AND e.kind = '{MESSAGE}' AND e.author NOT IN ({_PEOPLE}) "
        f"AND {_UNBLOCKED[dialect]}), "
        f"(SELECT {_RATING_JSON[dialect]} FROM events e WHERE e.chat_id = chats.id "
        f"AND e.kind = '{RATING}' AND e.author = 'client' ORDER BY e.seq DESC LIMIT 1), "
        f"{_STATES[dialect]} FROM chats WHERE {where} ORDER BY chats.created_at, chats.id", params)
    found: list[ChatFacts] = []
    for (id_, node_, client_, state, operators, created_at, accepted_at, closed_at,
         first, rating, states) in rows:
        record = ChatRecord(id=int(id_), node=node_, client=client_, state=state,
                            operators=() if operators in ("[]", []) else
                            tuple(codec.loads(operators)),
                            created_at=float(created_at),
                            accepted_at=None if accepted_at is None else float(accepted_at),
                            closed_at=None if closed_at is None else float(closed_at))
        facts = factsFrom(record, None if first is None else float(first), _rating(rating),
                          _states(states))
        if operator is None or operator in facts.operators:
            found.append(facts)
    return found


def _states(text: str | None) -> list[tuple[float, str, str]]:
    """(at, author, text) of the aggregated 'state' events, in seq order."""
    if not text:
        return []
    events = []
    for item in text.split(_RS):
        seq, at, author, state = item.split(_US, 3)
        events.append((int(seq), float(at), author, state))
    events.sort()
    return [(at, author, state) for _, at, author, state in events]


def _rating(text: str | None) -> int | None:
    """The rating from its JSON text, as chatfacts.ratingOf reads it from
    the parsed data: only a JSON integer 1-5 counts."""
    if text is None or not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= 5 else None
