"""
The SQL programs of events for integrators (SPEC 15): the outbox, written
with the chat writes (``sql.writeChats``) or on its own (``addEvents``), and
read in order by the webhook deliverer.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from imsupport.core.events import HookEvent
from imsupport.store.sql import InsertMany, Program, Query

OutboxRow = tuple[str, str, float, str]  # id, type, at, data (JSON)


def outboxRow(event: HookEvent) -> OutboxRow:
    return (event.id, event.type, float(event.at),
            json.dumps(event.data, ensure_ascii=False, sort_keys=True))


def eventFromRow(row: Sequence[Any]) -> tuple[int, HookEvent]:
    """(seq, event) from ``seq, id, type, at, data``."""
    data = row[4] if isinstance(row[4], dict) else json.loads(row[4])
    return int(row[0]), HookEvent(id=str(row[1]), type=str(row[2]), at=float(row[3]), data=data)


def insertOutbox(rows: Sequence[OutboxRow]) -> Program[None]:
    """An id already there is that very event, written by a retry of a write
    the database had committed: kept once."""
    if rows:
        yield InsertMany("INSERT INTO outbox (id, type, at, data) VALUES ", "(?, ?, ?, ?)",
                         list(rows), " ON CONFLICT (id) DO NOTHING")


def eventsAfter(seq: int, limit: int) -> Program[list[tuple[int, HookEvent]]]:
    rows = yield Query("SELECT seq, id, type, at, data FROM outbox WHERE seq > ? "
                       "ORDER BY seq LIMIT ?", (seq, limit))
    return [eventFromRow(r) for r in rows]
