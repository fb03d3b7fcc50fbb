"""
The SQL of the statistics read (IStore.chatFacts, R-STAT-1..3), for SQLite
and PostgreSQL alike.

What the statistics need of a chat's events is kept on its ``chats`` row
as the events are stored (schema step 9's triggers: the first operator
message, the client's latest rating, the 'state' events packed in one text),
so a period's chats are one range scan of ``chats`` by (node, created_at),
with no look at their events. From the packed states ChatFacts derives who
was in the chat and when, by the same rules as the memory store's
chatFacts(), and only if asked (an operator's figures ask, a node's don't).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from imsupport.core.chatfacts import ChatFacts, StateEvent
from imsupport.store import codec
from imsupport.store.sql import Program, Query

# The listed operators (as in sql.findChats).
_LISTED = {
    "sqlite": "EXISTS (SELECT 1 FROM json_each(chats.operators) AS o WHERE o.value = ?)",
    "postgresql": "chats.operators @> jsonb_build_array(?::text)",
}
# The separators of chats.states (schema step 9): ASCII unit and record
# separators, which XML, and so XMPP, never carries.
_US, _RS = "\x1f", "\x1e"
COLUMNS = ("chats.id, chats.node, chats.client, chats.state, chats.operators, "
           "chats.created_at, chats.accepted_at, chats.closed_at, "
           "chats.first_response_at, chats.rating, chats.states")



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
              client: str | None = None, operator: str | None = None,
              presence: bool = True) -> Program[list[ChatFacts]]:
    """ChatFacts of the chats created in [since, until), of ``node`` and
    ``client`` when given, that ``operator`` (when given) was ever in; by
    created_at, then id. ``presence`` False: without who was in them (not
    parsed: most of the Python time of a month's read)."""
    parse = presence or operator is not None
    where, params = _period(dialect, node, since, until, client, operator)
    columns = COLUMNS if parse else COLUMNS.replace("chats.operators", "NULL").replace(
        "chats.states", "NULL")
    rows = yield Query(f"SELECT {columns} FROM chats WHERE {where} "
                       "ORDER BY chats.created_at, chats.id", params)
    found: list[ChatFacts] = []
    for (id_, node_, client_, state, operators, created_at, accepted_at, closed_at,
         first, rating, states) in rows:
        facts = ChatFacts(
            chat_id=int(id_), node=node_, client=client_, state=state,
            created_at=float(created_at),
            accepted_at=None if accepted_at is None else float(accepted_at),
            closed_at=None if closed_at is None else float(closed_at),
            first_response_at=None if first is None else float(first),
            rating=None if rating is None else int(rating),
            listed=() if not parse or operators in ("[]", []) else tuple(codec.loads(operators)),
            states=_states(states) if parse else ())
        if operator is None or operator in facts.operators:
            found.append(facts if presence or not parse
                         else replace(facts, listed=(), states=()))
    return found


def _states(text: str | None) -> tuple[StateEvent, ...]:
    """(at, author, text) of the chat's 'state' events from chats.states, in
    seq order (the triggers append them in that order; a row that is not is
    sorted)."""
    if not text:
        return ()
    events = []
    last = 0
    ordered = True
    for item in text.split(_RS):
        seq, at, author, state = item.split(_US, 3)
        number = int(seq)
        ordered = ordered and number > last
        last = number
        events.append((number, float(at), author, state))
    if not ordered:
        events.sort()
    return tuple((at, author, state) for _, at, author, state in events)
