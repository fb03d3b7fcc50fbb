"""
The store contract (imsupport/store/interfaces.py): every test here runs
against the memory, the SQLite and the PostgreSQL store.
"""
from __future__ import annotations

import math
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred, DeferredList, gatherResults
from zope.interface.verify import verifyObject

from imsupport.core.model import (
    ABANDONED,
    ACTIVE,
    CLOSED,
    QUEUED,
    ChatEvent,
    ChatRecord,
    Directory,
    FaqEntry,
    Group,
    Node,
    Operator,
)
from imsupport.store.interfaces import IStore, StoreError

ivan = Operator(jid="ivan@shop.example", name="Иван", languages=("ru", "en"), max_chats=2,
                schedule="Mon-Fri 09:00-18:00", timezone="Europe/Moscow",
                exceptions=("2026-12-31 10:00-14:00", "2027-01-01 closed"))
guru = Operator(jid="guru@shop.example", name="Guru")
sales = Node(name="sales", title="Sales questions 💬", languages=("ru", "en"), ring="parallel",
             schedule="Mon-Fri 09:00-18:00; Sat 10:00-14:00", timezone="Europe/Moscow",
             exceptions=("2027-01-01 closed",), active_from="2026-01-01T00:00:00+03:00",
             groups=(Group(name="first", operators=(ivan.jid,), escalate_after=90),
                     Group(name="experts", operators=(guru.jid, ivan.jid), wave=2, auto=False,
                           max_declines=3)))
support = Node(name="support")
delivery = FaqEntry(id="delivery", question="How long does delivery take?",
                    answer="1-3 working days.", tags=("delivery", "shipping"))
refund = FaqEntry(id="refund", question="Возврат?", answer="В течение 14 дней.")
directory = Directory(nodes=(sales, support), operators=(ivan, guru), faq=(delivery, refund))


def chat(id: int, **fields: Any) -> ChatRecord:
    fields.setdefault("node", "sales")
    fields.setdefault("client", f"client{id}@example.org")
    fields.setdefault("created_at", 1_700_000_000.0 + id)
    return ChatRecord(id=id, **fields)


def event(chat_id: int, seq: int, **fields: Any) -> ChatEvent:
    fields.setdefault("at", 1_700_000_100.0 + seq / 8)
    fields.setdefault("kind", "message")
    fields.setdefault("author", "client")
    fields.setdefault("text", f"message {seq} of chat {chat_id}")
    return ChatEvent(chat_id=chat_id, seq=seq, **fields)


async def failure(d: Deferred) -> BaseException:
    """The exception ``d`` fails with; the test fails if it succeeds."""
    try:
        result = await d
    except Exception as e:
        return e
    pytest.fail(f"expected a failure, got {result!r}")


def test_provides_istore(backend: Any) -> None:
    store = backend.make()
    assert verifyObject(IStore, store)
    assert store.kind == backend.kind


# -- directory -----------------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_empty_directory(store: Any) -> None:
    assert await store.loadDirectory() == Directory()


@pytest_twisted.ensureDeferred
async def test_directory_round_trip(store: Any) -> None:
    await store.replaceDirectory(directory)
    loaded = await store.loadDirectory()
    assert loaded == directory
    assert isinstance(loaded.nodes[0].groups[1].operators, tuple)
    assert loaded.node("sales").groups[1].auto is False


@pytest_twisted.ensureDeferred
async def test_replace_directory_drops_what_is_not_in_it(store: Any) -> None:
    await store.replaceDirectory(directory)
    smaller = Directory(nodes=(support,), operators=(guru,))
    await store.replaceDirectory(smaller)
    assert await store.loadDirectory() == smaller
    await store.replaceDirectory(Directory())
    assert await store.loadDirectory() == Directory()


@pytest_twisted.ensureDeferred
async def test_put_and_delete_operator(store: Any) -> None:
    await store.replaceDirectory(directory)
    renamed = Operator(jid=ivan.jid, name="Ivan P.", languages=("en",))
    newcomer = Operator(jid="olga@shop.example", name="Olga")
    await store.putOperator(renamed)  # replaced in place
    await store.putOperator(newcomer)  # added last
    loaded = await store.loadDirectory()
    assert loaded.operators == (renamed, guru, newcomer)
    assert loaded.nodes == directory.nodes and loaded.faq == directory.faq
    assert await store.deleteOperator(guru.jid) is True
    assert await store.deleteOperator(guru.jid) is False
    assert (await store.loadDirectory()).operators == (renamed, newcomer)


@pytest_twisted.ensureDeferred
async def test_put_and_delete_node_with_groups(store: Any) -> None:
    await store.putNode(support)
    await store.putNode(sales)
    assert (await store.loadDirectory()).nodes == (support, sales)
    regrouped = Node(name="sales", title="Sales",
                     groups=(Group(name="all", operators=(guru.jid,)),))
    await store.putNode(regrouped)
    assert (await store.loadDirectory()).nodes == (support, regrouped)
    assert await store.deleteNode("support") is True
    assert await store.deleteNode("nowhere") is False
    assert (await store.loadDirectory()).nodes == (regrouped,)


@pytest_twisted.ensureDeferred
async def test_put_and_delete_faq(store: Any) -> None:
    await store.putFaq(delivery)
    await store.putFaq(refund)
    changed = FaqEntry(id="delivery", question="Delivery?", answer="2 days.", tags=())
    await store.putFaq(changed)
    assert (await store.loadDirectory()).faq == (changed, refund)
    assert await store.deleteFaq("refund") is True
    assert await store.deleteFaq("refund") is False
    assert await store.loadDirectory() == Directory(faq=(changed,))


# -- chats and events ----------------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_chat_round_trip_and_replace(store: Any) -> None:
    assert await store.getChat(1) is None
    record = chat(1, languages=("ru", "en"), first_line="Здравствуйте!")
    await store.saveChat(record)
    assert await store.getChat(1) == record
    record.state, record.operators, record.accepted_at = ACTIVE, (ivan.jid,), 1_700_000_050.25
    await store.saveChat(record)
    record.state, record.closed_at, record.close_reason = CLOSED, 1_700_000_999.5, "operator"
    await store.saveChat(record)
    assert await store.getChat(1) == record


@pytest_twisted.ensureDeferred
async def test_stored_records_are_copies(store: Any) -> None:
    record = chat(1, operators=(ivan.jid,))
    saving = store.saveChat(record)
    record.state = CLOSED  # the core keeps changing its record while the write waits
    await saving
    loaded = await store.getChat(1)
    assert loaded.state == QUEUED
    loaded.state = ABANDONED
    assert (await store.getChat(1)).state == QUEUED

    data = {"ids": [1, 2], "receipt": "abc"}
    writing = store.appendEvents([event(1, 1, data=data)])
    data["ids"].append(3)
    await writing
    events = await store.chatEvents(1)
    assert events[0].data == {"ids": [1, 2], "receipt": "abc"}
    events[0].data["receipt"] = "changed"
    assert (await store.chatEvents(1))[0].data["receipt"] == "abc"


@pytest_twisted.ensureDeferred
async def test_events_in_seq_order_and_after_seq(store: Any) -> None:
    await store.saveChat(chat(7))
    await store.saveChat(chat(8))
    await store.appendEvents([event(7, 1, kind="state", author="system", data={"state": "queued"})])
    await store.appendEvents([event(7, 3), event(7, 2, author=ivan.jid)])
    await store.appendEvents([event(8, 1)])
    await store.appendEvents([])
    events = await store.chatEvents(7)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0] == event(7, 1, kind="state", author="system", data={"state": "queued"})
    assert events[1] == event(7, 2, author=ivan.jid)
    assert [e.seq for e in await store.chatEvents(7, after_seq=1)] == [2, 3]
    assert await store.chatEvents(7, after_seq=3) == []
    assert await store.chatEvents(99) == []


@pytest_twisted.ensureDeferred
async def test_duplicate_seq_fails_and_keeps_what_was_stored(store: Any) -> None:
    await store.saveChat(chat(1))
    await store.appendEvents([event(1, 1), event(1, 2)])
    error = await failure(store.appendEvents([event(1, 3), event(1, 2, text="again")]))
    assert isinstance(error, StoreError)
    error = await failure(store.appendEvents([event(1, 4), event(1, 4)]))
    assert isinstance(error, StoreError)
    assert await store.chatEvents(1) == [event(1, 1), event(1, 2)]
    await store.appendEvents([event(1, 3)])  # the store still works
    assert [e.seq for e in await store.chatEvents(1)] == [1, 2, 3]


@pytest_twisted.ensureDeferred
async def test_events_of_an_unsaved_chat_fail(store: Any) -> None:
    assert isinstance(await failure(store.appendEvents([event(5, 1)])), StoreError)
    assert await store.chatEvents(5) == []


@pytest_twisted.ensureDeferred
async def test_one_bad_write_does_not_fail_the_others(store: Any) -> None:
    """Writes fired together share a batch; a broken one fails alone."""
    await store.saveChat(chat(1))
    await store.appendEvents([event(1, 1)])
    calls = [store.saveChat(chat(2)), store.appendEvents([event(2, 1)]),
             store.appendEvents([event(1, 1, text="duplicate")]),
             store.appendEvents([event(1, 2)]), store.appendEvents([event(2, 2)])]
    results = await DeferredList(calls, consumeErrors=True)
    assert [ok for ok, _ in results] == [True, True, False, True, True]
    assert results[2][1].check(StoreError)
    assert [e.text for e in await store.chatEvents(1)] == ["message 1 of chat 1",
                                                           "message 2 of chat 1"]
    assert [e.seq for e in await store.chatEvents(2)] == [1, 2]


@pytest_twisted.ensureDeferred
async def test_data_the_database_cannot_keep_is_refused(store: Any) -> None:
    await store.saveChat(chat(1))
    for bad in ({"x": object()}, {"x": math.nan}):
        assert isinstance(await failure(store.appendEvents([event(1, 1, data=bad)])), StoreError)
    assert await store.chatEvents(1) == []


@pytest_twisted.ensureDeferred
async def test_reads_see_writes_asked_for_before(store: Any) -> None:
    store.saveChat(chat(3))
    store.appendEvents([event(3, 1)])
    assert await store.getChat(3) == chat(3)
    assert await store.chatEvents(3) == [event(3, 1)]
    assert await store.maxChatId() == 3


@pytest_twisted.ensureDeferred
async def test_unicode_and_large_text(store: Any) -> None:
    big = ("Привет, 世界! 🎉 ñ " * 70_000)[:1_000_000]
    assert len(big) == 1_000_000
    record = chat(1, client="Юзер\\40gw@transport.example", first_line="é" + big[:200])
    await store.saveChat(record)
    await store.appendEvents([event(1, 1, text=big, author="оператор@shop.example",
                                    data={"file": "отчёт 😀.pdf", "nested": {"k": ["ü"]}})])
    assert await store.getChat(1) == record
    (loaded,) = await store.chatEvents(1)
    assert loaded.text == big
    assert loaded.data == {"file": "отчёт 😀.pdf", "nested": {"k": ["ü"]}}
    assert [c.id for c in await store.findChats(operator="оператор@shop.example")] == [1]


@pytest_twisted.ensureDeferred
async def test_max_chat_id(store: Any) -> None:
    assert await store.maxChatId() == 0
    for id in (3, 41, 7):
        await store.saveChat(chat(id))
    assert await store.maxChatId() == 41


@pytest_twisted.ensureDeferred
async def test_open_chats(store: Any) -> None:
    states = {5: ACTIVE, 1: QUEUED, 2: CLOSED, 4: ABANDONED, 3: ACTIVE}
    for id, state in states.items():
        await store.saveChat(chat(id, state=state))
    assert [c.id for c in await store.openChats()] == [1, 3, 5]
    await store.saveChat(chat(3, state=CLOSED))
    assert [c.id for c in await store.openChats()] == [1, 5]


async def _someChats(store: Any) -> None:
    t = 1_700_000_000.0
    await store.saveChat(chat(1, node="sales", client="a@x", state=CLOSED, created_at=t + 10,
                              operators=(ivan.jid,)))
    await store.saveChat(chat(2, node="support", client="b@x", state=CLOSED, created_at=t + 20))
    await store.saveChat(chat(3, node="sales", client="b@x", state=ACTIVE, created_at=t + 30,
                              operators=(guru.jid,)))
    await store.saveChat(chat(4, node="sales", client="a@x", state=QUEUED, created_at=t + 30))
    await store.saveChat(chat(5, node="support", client="a@x", state=ABANDONED,
                              created_at=t + 40))
    # ivan left chat 2: only its events remember he was there
    await store.appendEvents([event(2, 1), event(2, 2, author=ivan.jid), event(2, 3)])


@pytest_twisted.ensureDeferred
async def test_find_chats_newest_first_with_each_filter(store: Any) -> None:
    await _someChats(store)
    t = 1_700_000_000.0

    async def ids(**filters: Any) -> list[int]:
        return [c.id for c in await store.findChats(**filters)]

    assert await ids() == [5, 4, 3, 2, 1]  # created_at, then id, newest first
    assert await ids(node="sales") == [4, 3, 1]
    assert await ids(client="a@x") == [5, 4, 1]
    assert await ids(state=CLOSED) == [2, 1]
    assert await ids(operator=ivan.jid) == [2, 1]
    assert await ids(operator=guru.jid) == [3]
    assert await ids(operator="nobody@x") == []
    assert await ids(since=t + 30) == [5, 4, 3]  # since is inclusive
    assert await ids(until=t + 30) == [2, 1]  # until is exclusive
    assert await ids(since=t + 20, until=t + 40) == [4, 3, 2]
    assert await ids(node="sales", client="a@x", state=QUEUED) == [4]
    assert await ids(node="support", operator=ivan.jid, since=t, until=t + 21) == [2]
    assert await ids(limit=2) == [5, 4]
    assert await ids(node="sales", limit=1) == [4]
    assert await ids(limit=None) == [5, 4, 3, 2, 1]
    assert (await store.findChats(client="b@x"))[0] == chat(
        3, node="sales", client="b@x", state=ACTIVE, created_at=t + 30, operators=(guru.jid,))


# -- subscribers ----------------------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_subscribers(store: Any) -> None:
    assert await store.subscribers() == {}
    await store.addSubscriber("sales", "a@x")
    await store.addSubscriber("sales", "a@x")  # twice is once
    await store.addSubscriber("sales", "b@x")
    await store.addSubscriber("support", "a@x")
    assert await store.subscribers() == {"sales": {"a@x", "b@x"}, "support": {"a@x"}}
    await store.removeSubscriber("sales", "a@x")
    await store.removeSubscriber("support", "a@x")
    await store.removeSubscriber("nowhere", "a@x")  # not an error
    assert await store.subscribers() == {"sales": {"b@x"}}


# -- switches -----------------------------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_switches(store: Any) -> None:
    assert await store.switchedOff() == set()
    await store.setSwitch("node:sales", True, "soft")
    await store.setSwitch("operator:ivan@x@sales", True, "hard")
    await store.setSwitch("node:sales", True, "hard")  # again: still one row
    assert await store.switchedOff() == {"node:sales", "operator:ivan@x@sales"}
    await store.setSwitch("node:sales", False)
    await store.setSwitch("service", False)  # on already: not an error
    assert await store.switchedOff() == {"operator:ivan@x@sales"}


# -- throughput and ordering ---------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_many_concurrent_writes_land_in_order(store: Any) -> None:
    """500 writes across 50 chats fired without waiting, as busy chats do."""
    fired: list[int] = []
    calls: list[Deferred] = []

    def call(d: Deferred) -> None:
        index = len(calls)
        calls.append(d.addCallback(lambda _: fired.append(index)))

    for id in range(1, 51):
        call(store.saveChat(chat(id)))
    for seq in range(1, 11):
        for id in range(1, 51):
            call(store.appendEvents([event(id, seq)]))
    await gatherResults(calls)
    assert fired == list(range(len(calls)))
    for id in (1, 17, 50):
        assert await store.chatEvents(id) == [event(id, seq) for seq in range(1, 11)]
    assert len(await store.findChats(limit=None)) == 50


@pytest_twisted.ensureDeferred
async def test_close_flushes_pending_writes(backend: Any) -> None:
    store = backend.make()
    await store.open()
    await store.saveChat(chat(1))
    calls = [store.appendEvents([event(1, seq)]) for seq in range(1, 201)]
    calls.append(store.saveChat(chat(1, state=CLOSED)))
    await store.close()
    assert all(d.called for d in calls)
    await gatherResults(calls)
    reopened = backend.make()
    await reopened.open()
    try:
        assert len(await reopened.chatEvents(1)) == 200
        assert (await reopened.getChat(1)).state == CLOSED
    finally:
        await reopened.close()
