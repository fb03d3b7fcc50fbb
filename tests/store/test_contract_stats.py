"""
The store contract for the statistics read (IStore.chatFacts, R-STAT-1..3):
part of the contract suite, every test runs against the memory, the SQLite
and the PostgreSQL store. The SQL stores compute first_response_at and the
rating in the database; they must agree with core/chatfacts.chatFacts, which
the memory store uses.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest_twisted

from imsupport.core.chatfacts import OperatorSpan, chatFacts
from imsupport.core.model import ChatEvent, ChatRecord
from imsupport.store.upgrade import loadSteps
from tests.store.test_contract import chat

T0 = 1_700_000_000.0
A, B = "a@example.org", "b@example.org"
FACTS_STEP = 9  # schema step chat_facts


def ev(chat_id: int, seq: int, at: float, kind: str, author: str, text: str = "",
       **data: Any) -> ChatEvent:
    return ChatEvent(chat_id=chat_id, seq=seq, at=T0 + at, kind=kind, author=author,
                     text=text, data=data)


def history(id: int) -> list[ChatEvent]:
    """Chat ``id``: queued, A answers (blocked first, then at 10.123456),
    B joins, A leaves, closed at 100, rated twice (the latest, 4, counts)."""
    return [ev(id, 1, 0, "state", "system", "queued"),
            ev(id, 2, 0.5, "message", "client", "hi"),
            ev(id, 3, 2, "notice", "system", "wait", to="client"),
            ev(id, 4, 5, "command", A, "!accept"), ev(id, 5, 5, "state", A, "active"),
            ev(id, 6, 7.25, "message", A, "bad", blocked=["profanity"]),
            ev(id, 7, 10.123456, "message", A, "hello"),
            ev(id, 8, 40, "state", B, "joined"), ev(id, 9, 50, "state", A, "left"),
            ev(id, 10, 60, "message", B, "more"),
            ev(id, 11, 100, "state", "client", "closed", reason="client"),
            ev(id, 12, 110, "rating", "client", rating=2, comment=""),
            ev(id, 13, 120, "rating", "client", rating=4, comment="ok")]


async def fill(store: Any) -> dict[int, tuple[ChatRecord, list[ChatEvent]]]:
    """Chats 1 (answered, rated), 2 (abandoned), 3 (open, with B), 4 (another
    node), 5 (created at T0 + 1000, the end of the period)."""
    chats = {
        1: (chat(1, created_at=T0, state="closed", operators=(B,), accepted_at=T0 + 5,
                 closed_at=T0 + 100), history(1)),
        2: (chat(2, created_at=T0 + 20, state="abandoned", closed_at=T0 + 50,
                 client="c2@example.org"),
            [ev(2, 1, 20, "state", "system", "queued"),
             ev(2, 2, 50, "state", "system", "abandoned")]),
        3: (chat(3, created_at=T0 + 30, state="active", operators=(B,), accepted_at=T0 + 70,
                 client="c2@example.org"),
            [ev(3, 1, 30, "state", "system", "queued"), ev(3, 2, 70, "message", B, "yes"),
             ev(3, 3, 70, "state", B, "active")]),
        4: (chat(4, node="support", created_at=T0 + 40), []),
        5: (chat(5, created_at=T0 + 1000), []),
    }
    for record, events in chats.values():
        store.saveChat(record)
        if events:
            store.appendEvents(events)
    await store.maxChatId()  # the reads wait for the writes before them
    return chats


@pytest_twisted.ensureDeferred
async def test_facts_agree_with_the_pure_derivation(store: Any) -> None:
    chats = await fill(store)
    got = await store.chatFacts(None, T0, T0 + 1000)
    assert [f.chat_id for f in got] == [1, 2, 3, 4]  # by created_at; 5 is at `until`
    assert got == [chatFacts(*chats[i]) for i in (1, 2, 3, 4)]
    first = got[0]
    assert first.first_response_at == T0 + 10.123456  # the blocked message does not count
    assert first.rating == 4
    assert first.operators == (A, B)
    assert first.spans == (OperatorSpan(A, T0 + 5, T0 + 50), OperatorSpan(B, T0 + 40, T0 + 100))
    assert (got[1].first_response_at, got[1].rating, got[1].operators) == (None, None, ())
    assert got[2].spans == (OperatorSpan(B, T0 + 70, None),)


@pytest_twisted.ensureDeferred
async def test_filters(store: Any) -> None:
    await fill(store)

    async def ids(node: str | None, since: float, until: float, **more: Any) -> list[int]:
        return [f.chat_id for f in await store.chatFacts(node, since, until, **more)]

    assert await ids("sales", T0, T0 + 2000) == [1, 2, 3, 5]
    assert await ids("support", T0, T0 + 2000) == [4]
    assert await ids(None, T0 + 20, T0 + 40) == [2, 3]  # since inclusive, until exclusive
    assert await ids(None, T0, T0 + 2000, client="c2@example.org") == [2, 3]
    assert await ids(None, T0, T0 + 2000, operator=A) == [1]
    assert await ids("sales", T0, T0 + 2000, operator=B) == [1, 3]
    assert await ids("nowhere", T0, T0 + 2000) == []
    assert await ids(None, T0 + 5000, T0 + 6000) == []


@pytest_twisted.ensureDeferred
async def test_many_chats_in_one_read(store: Any) -> None:
    """2,000 chats of 6 events each, written as the journal writes them
    (many at once): each one's facts from its own events. How fast this is
    at scale is the archive benchmark's question (scripts/bench archive)."""
    n = 2_000
    for i in range(1, n + 1):
        base = i * 60.0
        store.saveChat(chat(i, created_at=T0 + base, state="closed", accepted_at=T0 + base + 5,
                            closed_at=T0 + base + 50))
        store.appendEvents([
            ev(i, 1, base, "state", "system", "queued"),
            ev(i, 2, base + 1, "message", "client", "hello"),
            ev(i, 3, base + 5, "message", A, "hi"), ev(i, 4, base + 5, "state", A, "active"),
            ev(i, 5, base + 50, "state", A, "closed"),
            ev(i, 6, base + 55, "rating", "client", rating=1 + i % 5, comment="")])
    await store.maxChatId()
    got = await store.chatFacts("sales", T0, T0 + 60.0 * (n + 1))
    assert [f.chat_id for f in got] == list(range(1, n + 1))
    assert [f.rating for f in got] == [1 + i % 5 for i in range(1, n + 1)]
    assert all(f.first_response_at == f.created_at + 5 for f in got)
    assert got[-1].spans == (OperatorSpan(A, T0 + n * 60.0 + 5, T0 + n * 60.0 + 50),)


@pytest_twisted.ensureDeferred
async def test_a_later_rating_that_is_not_1_to_5_clears_it(store: Any) -> None:
    store.saveChat(chat(1, created_at=T0, state="closed", accepted_at=T0 + 1, closed_at=T0 + 9))
    store.appendEvents([ev(1, 1, 0, "state", "system", "queued"),
                        ev(1, 2, 10, "rating", "client", rating=5),
                        ev(1, 3, 11, "rating", A, rating=1),
                        ev(1, 4, 12, "rating", "client", rating=4.0)])
    store.saveChat(chat(2, created_at=T0 + 1))
    store.appendEvents([ev(2, 1, 1, "rating", "client", rating=True),
                        ev(2, 2, 2, "rating", "client", rating="5")])
    store.saveChat(chat(3, created_at=T0 + 2))
    store.appendEvents([ev(3, 1, 2, "rating", "client", rating=7),
                        ev(3, 2, 3, "rating", "client", rating=2)])
    got = await store.chatFacts(None, T0, T0 + 100)
    assert [f.rating for f in got] == [None, None, 2]


@pytest_twisted.ensureDeferred
async def test_chats_stored_before_the_facts_step_are_counted_after_it(durable: Any) -> None:
    """Schema step 9 keeps a chat's facts on its row; the chats stored
    before it are backfilled from their events, and the same facts come out."""
    steps = loadSteps(durable.kind)
    assert steps[FACTS_STEP - 1].name == "chat_facts"
    old = durable.make(steps[:FACTS_STEP - 1])
    await old.open()
    chats = await fill(old)
    await old.close()
    store = durable.make()
    await store.open()
    try:
        got = await store.chatFacts(None, T0, T0 + 1000)
        assert got == [chatFacts(*chats[i]) for i in (1, 2, 3, 4)]
        assert got[0].spans == (OperatorSpan(A, T0 + 5, T0 + 50),
                                OperatorSpan(B, T0 + 40, T0 + 100))
        # a chat's events stored after the upgrade add to what was backfilled
        await store.appendEvents([ev(2, 3, 60, "rating", "client", rating=3)])
        assert (await store.chatFacts(None, T0 + 20, T0 + 21))[0].rating == 3
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_an_operator_listed_without_events(store: Any) -> None:
    """Older data: the record lists an operator no event names; they count
    from accepted_at to closed_at."""
    store.saveChat(chat(1, created_at=T0, state="closed", operators=(A,), accepted_at=T0 + 3,
                        closed_at=T0 + 9))
    store.saveChat(chat(2, created_at=T0 + 1))
    got = await store.chatFacts(None, T0, T0 + 10, operator=A)
    assert [(f.chat_id, f.operators, f.spans) for f in got] == [
        (1, (A,), (OperatorSpan(A, T0 + 3, T0 + 9),))]


@pytest_twisted.ensureDeferred
async def test_facts_without_presence(store: Any) -> None:
    """presence=False: the same facts but who was in each chat (what a
    node's figures do without); with an operator, still only their chats."""
    await fill(store)
    full = await store.chatFacts(None, T0, T0 + 1000)
    light = await store.chatFacts(None, T0, T0 + 1000, presence=False)
    assert [dataclasses.replace(f, listed=(), states=()) for f in full] == light
    assert all(f.operators == () and f.spans == () for f in light)
    mine = await store.chatFacts(None, T0, T0 + 1000, operator=A, presence=False)
    assert [f.chat_id for f in mine] == [1] and mine[0].spans == ()
