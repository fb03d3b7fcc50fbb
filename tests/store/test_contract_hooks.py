"""
The store contract for the outbox of events for integrators (SPEC 15):
appendEvents(events, hooks), addEvents, eventsAfter. Every test runs against
the memory, the SQLite and the PostgreSQL store.
"""
from __future__ import annotations

from typing import Any

import pytest_twisted
from twisted.internet.defer import gatherResults

from imsupport.core.events import HookEvent
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
