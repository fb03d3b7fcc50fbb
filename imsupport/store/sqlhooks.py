"""
The SQL programs of events for integrators (SPEC 15): the outbox, written
with the chat writes (``sql.writeChats``) or on its own (``addEvents``), and
read in order by the webhook deliverer.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from imsupport.core.chatfacts import OperatorStateChange
from imsupport.core.events import OPERATOR_STATE, Delivery, DeliveryState, HookEvent, Webhook
from imsupport.store.sql import Execute, InsertMany, Program, Query

NO_CURSOR = 2**62  # above every seq: the first page of a log

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


# -- webhooks and their deliveries ---------------------------------------------------

def putWebhook(hook: Webhook) -> Program[None]:
    yield Execute("INSERT INTO webhooks (id, url, secret, events) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (id) DO UPDATE SET url = excluded.url, "
                  "secret = excluded.secret, events = excluded.events",
                  (hook.id, hook.url, hook.secret, json.dumps(list(hook.events))))


def deleteWebhook(id: str) -> Program[bool]:
    """Its delivery state and queue go with it; its log stays."""
    yield Execute("DELETE FROM webhook_state WHERE webhook_id = ?", (id,))
    yield Execute("DELETE FROM webhook_redeliveries WHERE webhook_id = ?", (id,))
    changed = yield Execute("DELETE FROM webhooks WHERE id = ?", (id,))
    return bool(changed)


def webhooks() -> Program[list[Webhook]]:
    rows = yield Query("SELECT id, url, secret, events FROM webhooks ORDER BY id")
    return [Webhook(str(r[0]), str(r[1]), str(r[2]), tuple(json.loads(r[3]))) for r in rows]


def deliveryState(webhook_id: str) -> Program[DeliveryState]:
    rows = yield Query("SELECT cursor, attempts, next_at FROM webhook_state "
                       "WHERE webhook_id = ?", (webhook_id,))
    again = yield Query("SELECT event_id FROM webhook_redeliveries WHERE webhook_id = ? "
                        "ORDER BY seq", (webhook_id,))
    redeliver = tuple(str(r[0]) for r in again)
    if not rows:
        return DeliveryState(redeliver=redeliver)
    return DeliveryState(int(rows[0][0]), int(rows[0][1]), float(rows[0][2]), redeliver)


def recordDelivery(delivery: Delivery, cursor: int, attempts: int, next_at: float,
                   redelivered: bool) -> Program[None]:
    """The attempt's log row and the state it leads to, in one transaction:
    a kill -9 before it commits means the attempt is made again."""
    yield Execute("INSERT INTO webhook_deliveries (webhook_id, event_id, attempt, at, status, "
                  "error, duration) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  (delivery.webhook_id, delivery.event_id, delivery.attempt, delivery.at,
                   delivery.status, delivery.error, delivery.duration))
    yield Execute("INSERT INTO webhook_state (webhook_id, cursor, attempts, next_at) "
                  "VALUES (?, ?, ?, ?) ON CONFLICT (webhook_id) DO UPDATE SET "
                  "cursor = excluded.cursor, attempts = excluded.attempts, "
                  "next_at = excluded.next_at",
                  (delivery.webhook_id, cursor, attempts, next_at))
    if redelivered:
        yield Execute("DELETE FROM webhook_redeliveries WHERE webhook_id = ? AND event_id = ?",
                      (delivery.webhook_id, delivery.event_id))


def deliveries(webhook_id: str, limit: int, before: int | None) -> Program[list[Delivery]]:
    rows = yield Query("SELECT webhook_id, event_id, attempt, at, status, error, duration, seq "
                       "FROM webhook_deliveries WHERE webhook_id = ? AND seq < ? "
                       "ORDER BY seq DESC LIMIT ?",
                       (webhook_id, NO_CURSOR if before is None else before, limit))
    return [Delivery(str(r[0]), str(r[1]), int(r[2]), float(r[3]),
                     None if r[4] is None else int(r[4]), str(r[5]), float(r[6]), int(r[7]))
            for r in rows]


def redeliver(webhook_id: str, event_id: str) -> Program[bool]:
    """False when the webhook or the event is unknown."""
    hooks = yield Query("SELECT 1 FROM webhooks WHERE id = ?", (webhook_id,))
    events = yield Query("SELECT 1 FROM outbox WHERE id = ?", (event_id,))
    if not hooks or not events:
        return False
    yield Execute("INSERT INTO webhook_redeliveries (webhook_id, event_id) VALUES (?, ?) "
                  "ON CONFLICT (webhook_id, event_id) DO NOTHING", (webhook_id, event_id))
    return True


def outboxEvent(event_id: str) -> Program[HookEvent | None]:
    rows = yield Query("SELECT seq, id, type, at, data FROM outbox WHERE id = ?", (event_id,))
    return eventFromRow(rows[0])[1] if rows else None


# -- operators' state changes (R-STAT-2), by the outbox_operator_state index -----------

_OPERATOR = {"sqlite": "json_extract(data, '$.operator')",
             "postgresql": "(data::jsonb ->> 'operator')"}


def operatorStates(dialect: str, operator: str, since: float,
                   until: float) -> Program[list[OperatorStateChange]]:
    """The last change before ``since`` (the state the period began in) and
    every one in [since, until), by time then outbox order."""
    where = f"type = '{OPERATOR_STATE}' AND {_OPERATOR[dialect]} = ?"
    before = yield Query(f"SELECT at, data FROM outbox WHERE {where} AND at < ? "
                         "ORDER BY at DESC, seq DESC LIMIT 1", (operator, since))
    within = yield Query(f"SELECT at, data FROM outbox WHERE {where} AND at >= ? AND at < ? "
                         "ORDER BY at, seq", (operator, since, until))
    return changesFromRows(operator, list(before) + list(within))


def changesFromRows(operator: str, rows: Sequence[Sequence[Any]]) -> list[OperatorStateChange]:
    """OperatorStateChange of (at, data) rows; a row without a text state is
    not a change."""
    found = []
    for at, raw in rows:
        data = raw if isinstance(raw, dict) else json.loads(raw)
        if isinstance(data.get("state"), str):
            found.append(OperatorStateChange(float(at), operator, data["state"]))
    return found
