"""
What the statistics (R-STAT-1..3) need to know about one chat, derived from
its stored record and events, and what they need to know about operators'
presence. Pure: no I/O, no clock.

The stores build ChatFacts in one query (store/sqlstats.py) from the same
rules as ``chatFacts`` here, which the memory store and the tests use; the
shared part (the operators' spans in a chat) is ``spansOf``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from imsupport.core.model import (
    ABANDONED,
    CLOSED,
    MESSAGE,
    QUEUED,
    RATING,
    STATE,
    ChatEvent,
    ChatRecord,
)

PEOPLE = ("client", "system")  # authors that are not operators
ENTERED = ("active", "joined")  # STATE texts by an operator who came into the chat
LEFT = "left"  # STATE text by an operator who left it
ENDED = (QUEUED, CLOSED, ABANDONED)  # STATE texts after which no operator is in it

# SPEC 15 operator.state values
ONLINE, OFFLINE, AFK, FREE, BUSY = "online", "offline", "afk", "free", "busy"
OPERATOR_STATES = (ONLINE, OFFLINE, AFK, FREE, BUSY)


@dataclass(frozen=True)
class OperatorSpan:
    """One stretch of an operator's presence in a chat: from ``start`` (they
    accepted or joined) to ``end`` (they left, the chat was requeued or
    closed); ``end`` None while they are still in it."""

    operator: str
    start: float
    end: float | None


StateEvent = tuple[float, str, str]  # a STATE event's (at, author, text)


@dataclass(frozen=True)
class ChatFacts:
    """What the statistics need of one chat. Who was in it and when
    (``operators``, ``spans``) is derived from its STATE events only when
    asked for, once: a node's figures never need it, an operator's do."""

    chat_id: int
    node: str
    client: str
    state: str
    created_at: float
    accepted_at: float | None
    closed_at: float | None
    first_response_at: float | None  # the first operator message, None if none yet
    rating: int | None  # the client's latest rating, 1-5
    listed: tuple[str, ...] = ()  # the operators its record lists (in it at the last save)
    states: tuple[StateEvent, ...] = ()  # its STATE events, in seq order

    @cached_property
    def _presence(self) -> tuple[tuple[str, ...], tuple[OperatorSpan, ...]]:
        return spansOf(self.states, self.listed, self.accepted_at, self.closed_at)

    @property
    def operators(self) -> tuple[str, ...]:
        """Every operator ever in it, in order of arrival."""
        return self._presence[0]

    @property
    def spans(self) -> tuple[OperatorSpan, ...]:
        return self._presence[1]


@dataclass(frozen=True)
class OperatorStateChange:
    """An operator's presence became ``state`` (one of OPERATOR_STATES) at ``at``."""

    at: float
    operator: str
    state: str


def isOperatorMessage(event: ChatEvent) -> bool:
    """An operator's words the client got: a MESSAGE by an operator that
    the filters did not block (a blocked one reaches nobody)."""
    return (event.kind == MESSAGE and event.author not in PEOPLE
            and "blocked" not in event.data)


def ratingOf(data: Any) -> int | None:
    """The 1-5 rating in a rating event's data; None for anything else."""
    value = data.get("rating") if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        return None
    return value


def spansOf(states: Iterable[StateEvent], listed: Sequence[str], accepted_at: float | None,
            closed_at: float | None) -> tuple[tuple[str, ...], tuple[OperatorSpan, ...]]:
    """The operators ever in a chat and their spans, from its STATE events
    as (at, author, text) in seq order. An operator held (lost, within
    operator_grace) is still in the chat. An operator still ``listed`` in
    the record with no entering event (older data) counts from accepted_at;
    an open span of a chat closed without a closing event ends at closed_at."""
    ever: list[str] = []
    open_: dict[str, float] = {}
    spans: list[OperatorSpan] = []
    for at, author, text in states:
        if text in ENTERED and author not in PEOPLE:
            if author not in ever:
                ever.append(author)
            open_.setdefault(author, at)
        elif text == LEFT and author in open_:
            spans.append(OperatorSpan(author, open_.pop(author), at))
        elif text in ENDED:
            spans += [OperatorSpan(o, start, at) for o, start in open_.items()]
            open_.clear()
    for operator in listed:
        if operator not in ever:
            ever.append(operator)
            if accepted_at is not None and operator not in open_:
                open_[operator] = accepted_at
    spans += [OperatorSpan(o, start, closed_at) for o, start in open_.items()]
    spans.sort(key=lambda s: (s.start, s.operator))
    return tuple(ever), tuple(spans)


def factsFrom(record: ChatRecord, first_response_at: float | None, rating: int | None,
              states: Iterable[StateEvent]) -> ChatFacts:
    return ChatFacts(chat_id=record.id, node=record.node, client=record.client,
                     state=record.state, created_at=record.created_at,
                     accepted_at=record.accepted_at, closed_at=record.closed_at,
                     first_response_at=first_response_at, rating=rating,
                     listed=tuple(record.operators), states=tuple(states))


def chatFacts(record: ChatRecord, events: Sequence[ChatEvent]) -> ChatFacts:
    """The facts of one chat from its record and all its events."""
    ordered = sorted(events, key=lambda e: e.seq)
    first = min((e.at for e in ordered if isOperatorMessage(e)), default=None)
    rating: int | None = None
    for e in ordered:
        if e.kind == RATING and e.author == "client":
            rating = ratingOf(e.data)  # the latest one counts
    states = [(e.at, e.author, e.text) for e in ordered if e.kind == STATE]
    return factsFrom(record, first, rating, states)
