"""
The store contract for the outbox of events for integrators (SPEC 15):
appendEvents(events, hooks), addEvents, eventsAfter. Every test runs against
the memory, the SQLite and the PostgreSQL store.
"""
from __future__ import annotations

from typing import Any

import pytest_twisted
from twisted.internet.defer import gatherResults

from imsupport.core.events import Delivery, DeliveryState, HookEvent, Webhook
from imsupport.store.interfaces import StoreError
from tests.store.conftest import Backend
from tests.store.test_contract import chat, event, failure


def hook(id: str, type: str = "chat.queued", **data: Any) -> HookEvent:
    return HookEvent(id=id, type=type, at=1_700_000_200.5, data={"chat_id": 1, **data})


@pytest_twisted.ensureDeferred
async def test_hooks_are_stored_with_their_chat_events_in_order(store: Any) -> None:
    await store.saveChat(chat(1))
    first = hook("evt_a", node="sales", languages=["en", "ru"], client="c@example.org")
    second = hook("evt_b", "chat.offered", operator="op@example.org", wave=2)
    await store.appendEvents([event(1, 1), event(1, 2)], [first, second])
    await store.addEvents([hook("evt_c", "operator.state", state="free", nodes=["sales"])])
    found = await store.eventsAfter(0, 10)
    assert [e for _, e in found] == [first, second,
                                     hook("evt_c", "operator.state", state="free",
                                          nodes=["sales"])]
    seqs = [s for s, _ in found]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert await store.eventsAfter(seqs[0], 10) == found[1:]
    assert await store.eventsAfter(seqs[0], 1) == found[1:2]
    assert await store.eventsAfter(seqs[-1], 10) == []


@pytest_twisted.ensureDeferred
async def test_an_event_id_is_kept_once(store: Any) -> None:
    """A write retried after an ambiguous commit brings the same ids again."""
    await store.saveChat(chat(1))
    await store.appendEvents([event(1, 1)], [hook("evt_a")])
    await store.appendEvents([event(1, 1)], [hook("evt_a")])
    await store.addEvents([hook("evt_a")])
    assert [e.id for _, e in await store.eventsAfter(0, 10)] == ["evt_a"]


@pytest_twisted.ensureDeferred
async def test_no_hook_is_kept_when_its_chat_events_fail(store: Any) -> None:
    """Same transaction: events of a chat never saved are refused, and so
    are the hooks that report them."""
    error = await failure(store.appendEvents([event(99, 1)], [hook("evt_x")]))
    assert isinstance(error, StoreError)
    assert await store.eventsAfter(0, 10) == []


@pytest_twisted.ensureDeferred
async def test_writes_of_one_turn_keep_their_order(store: Any) -> None:
    await store.saveChat(chat(1))
    await gatherResults([store.appendEvents([event(1, n)], [hook(f"evt_{n}")])
                         for n in range(1, 6)] + [store.addEvents([hook("evt_last")])])
    assert [e.id for _, e in await store.eventsAfter(0, 10)] == \
        ["evt_1", "evt_2", "evt_3", "evt_4", "evt_5", "evt_last"]


@pytest_twisted.ensureDeferred
async def test_the_outbox_survives_reopening(backend: Backend) -> None:
    store = backend.make()
    await store.open()
    await store.addEvents([hook("evt_a"), hook("evt_b", text="отчёт")])
    await store.close()
    again = backend.make()
    await again.open()
    try:
        found = await again.eventsAfter(0, 10)
        assert [e.id for _, e in found] == ["evt_a", "evt_b"]
        assert found[1][1].data == {"chat_id": 1, "text": "отчёт"}
        await again.addEvents([hook("evt_c")])
        latest = await again.eventsAfter(found[-1][0], 10)
        assert [e.id for _, e in latest] == ["evt_c"]
    finally:
        await again.close()


# -- webhooks and their deliveries ----------------------------------------------------

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def webhook(id: str = "crm", **fields: Any) -> Webhook:
    fields.setdefault("url", "https://crm.example.org/hooks")
    fields.setdefault("secret", SECRET)
    fields.setdefault("events", ("chat.*", "file.stored"))
    return Webhook(id=id, **fields)


@pytest_twisted.ensureDeferred
async def test_webhooks_put_list_delete(store: Any) -> None:
    await store.putWebhook(webhook("zz", events=("*",)))
    await store.putWebhook(webhook())
    await store.putWebhook(webhook(url="https://crm.example.org/v2"))
    assert await store.webhooks() == [webhook(url="https://crm.example.org/v2"),
                                      webhook("zz", events=("*",))]
    assert await store.deleteWebhook("zz") is True
    assert await store.deleteWebhook("zz") is False
    assert [h.id for h in await store.webhooks()] == ["crm"]


@pytest_twisted.ensureDeferred
async def test_delivery_state_and_log(backend: Backend) -> None:
    store = backend.make()
    await store.open()
    await store.putWebhook(webhook())
    assert await store.deliveryState("crm") == DeliveryState()
    first = Delivery("crm", "evt_a", 1, 100.0, 500, "", 0.25)
    await store.recordDelivery(first, cursor=0, attempts=1, next_at=105.0)
    second = Delivery("crm", "evt_a", 2, 105.0, None, "timeout", 10.0)
    await store.recordDelivery(second, cursor=0, attempts=2, next_at=405.0)
    await store.close()
    store = backend.make()
    await store.open()
    try:
        assert await store.deliveryState("crm") == DeliveryState(0, 2, 405.0)
        third = Delivery("crm", "evt_a", 3, 405.0, 204, "", 0.1)
        await store.recordDelivery(third, cursor=7, attempts=0, next_at=0.0)
        assert await store.deliveryState("crm") == DeliveryState(7, 0, 0.0)
        log = await store.deliveries("crm")
        assert log == [third, second, first]
        assert log[0].seq > log[1].seq > log[2].seq > 0, "numbered in the log's order"
        assert await store.deliveries("crm", 1) == [third]
        assert await store.deliveries("crm", 1, before=log[0].seq) == [second]
        assert await store.deliveries("crm", 5, before=log[1].seq) == [first]
        assert await store.deliveries("crm", 5, before=log[2].seq) == []
        assert await store.deliveries("other") == []
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_redeliver_queues_a_known_event_once(store: Any) -> None:
    await store.putWebhook(webhook())
    await store.addEvents([hook("evt_a"), hook("evt_b")])
    assert await store.redeliver("crm", "evt_missing") is False
    assert await store.redeliver("nobody", "evt_a") is False
    assert await store.redeliver("crm", "evt_b") is True
    assert await store.redeliver("crm", "evt_a") is True
    assert await store.redeliver("crm", "evt_b") is True
    assert (await store.deliveryState("crm")).redeliver == ("evt_b", "evt_a")
    assert await store.outboxEvent("evt_b") == hook("evt_b")
    assert await store.outboxEvent("evt_missing") is None
    # a failed attempt keeps it queued; a finished one takes it out
    await store.recordDelivery(Delivery("crm", "evt_b", 1, 1.0, 503), 0, 1, 6.0)
    assert (await store.deliveryState("crm")).redeliver == ("evt_b", "evt_a")
    await store.recordDelivery(Delivery("crm", "evt_b", 2, 6.0, 200), 0, 1, 6.0,
                               redelivered=True)
    assert await store.deliveryState("crm") == DeliveryState(0, 1, 6.0, ("evt_a",))
    assert await store.deleteWebhook("crm") is True
    assert await store.deliveryState("crm") == DeliveryState()


def stateEvent(n: int, operator: str, state: str, at: float, **extra: Any) -> HookEvent:
    return HookEvent(id=f"evt_o{n}", type="operator.state", at=at,
                     data={"operator": operator, "state": state, "nodes": ["sales"], **extra})


@pytest_twisted.ensureDeferred
async def test_an_operators_state_changes_by_time(store: Any) -> None:
    """operatorStates: the last change before the period and every one in
    it, of that operator only, by time (then outbox order for equal times);
    other event types and malformed states are not changes."""
    ivan, olga = "ivan@shop.example", "olga@shop.example"
    await store.addEvents([
        stateEvent(1, ivan, "online", 100.0), stateEvent(2, ivan, "free", 100.0),
        stateEvent(3, olga, "online", 150.0), stateEvent(4, ivan, "afk", 180.0),
        hook("evt_x", "chat.offered", operator=ivan),
        stateEvent(5, ivan, "free", 250.0), stateEvent(6, ivan, "busy", 250.0),
        stateEvent(7, ivan, "offline", 300.0), stateEvent(8, ivan, "online", 400.0),
    ])
    await store.addEvents([HookEvent(id="evt_bad", type="operator.state", at=260.0,
                                     data={"operator": ivan, "state": 5})])
    got = await store.operatorStates(ivan, 200.0, 400.0)
    assert [(c.at, c.operator, c.state) for c in got] == [
        (180.0, ivan, "afk"), (250.0, ivan, "free"), (250.0, ivan, "busy"),
        (300.0, ivan, "offline")]
    assert [c.state for c in await store.operatorStates(ivan, 100.0, 101.0)] == [
        "online", "free"], "nothing before: the period's own changes"
    assert [c.state for c in await store.operatorStates(ivan, 500.0, 600.0)] == ["online"]
    assert await store.operatorStates("nobody@shop.example", 0.0, 1000.0) == []
    assert [c.state for c in await store.operatorStates(olga, 0.0, 1000.0)] == ["online"]
