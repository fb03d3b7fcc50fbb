"""
The chat lifecycle (R-CHAT-1..8) as one transition table: the only place a
chat's state is assigned.

    queued -> offered -> active <-> held
       ^         |         |         |
       +---------+         +--> closed
       +-------- held (after the grace, back to the front of the queue)
    queued / offered -> abandoned (the client left first)
    queued / offered -> closed (the service ended it first: switch-off, idle...)

A chat restored after a restart comes back as queued (it was queued or
offered) or held (it was active or held: its operators' presence is not
known yet).
"""
from __future__ import annotations

from typing import Iterable

from imsupport.core.model import (
    ABANDONED,
    ACTIVE,
    CLOSED,
    HELD,
    OFFERED,
    QUEUED,
    SERVING,
    ChatRecord,
)

TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({OFFERED, ABANDONED, CLOSED}),
    OFFERED: frozenset({QUEUED, ACTIVE, ABANDONED, CLOSED}),
    ACTIVE: frozenset({HELD, CLOSED}),
    HELD: frozenset({ACTIVE, QUEUED, CLOSED}),
    CLOSED: frozenset(),
    ABANDONED: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A state change the lifecycle does not allow: a bug in the core."""


def move(record: ChatRecord, to: str) -> bool:
    """Put the chat in state ``to``; False when it already was there."""
    if record.state == to:
        return False
    if to not in TRANSITIONS.get(record.state, frozenset()):
        raise IllegalTransition(f"chat {record.id}: {record.state} -> {to} is not a transition "
                                "of the chat lifecycle")
    record.state = to
    return True


def restore(record: ChatRecord) -> None:
    """A stored open chat taken up again at start (not a transition: the
    chat did not change, the service came back). An active one with
    operators is held until they show up; everything else waits in the
    queue (an offer does not survive a restart)."""
    if record.state not in TRANSITIONS or record.state in (CLOSED, ABANDONED):
        raise IllegalTransition(f"chat {record.id} is not open ({record.state})")
    record.state = HELD if record.state in SERVING and record.operators else QUEUED


def settleServing(record: ChatRecord, held: Iterable[str]) -> bool:
    """An active chat is held while every operator in it is within their
    grace, and active again when one is back (or someone else joins)."""
    if record.state not in SERVING:
        return False
    gone = set(held)
    operators = record.operators
    return move(record, HELD if operators and all(o in gone for o in operators) else ACTIVE)
