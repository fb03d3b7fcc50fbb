"""
Archive search and the keyset cursor of ``IStore.findChats`` (issue 10,
item 5), on the memory, the SQLite and the PostgreSQL store; and the schema
step that makes messages stored before it searchable (database stores).
"""
from __future__ import annotations

from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import gatherResults

from imsupport.core.model import ACTIVE, CLOSED, COMMAND, NOTICE
from imsupport.store.upgrade import loadSteps
from tests.store.test_contract import chat, event

SEARCH_STEP = 7


async def ids(store: Any, **filters: Any) -> list[int]:
    return [c.id for c in await store.findChats(**filters)]


async def saveWithMessages(store: Any, chat_id: int, *texts: str, **fields: Any) -> None:
    await store.saveChat(chat(chat_id, **fields))
    await store.appendEvents([event(chat_id, seq, text=text)
                              for seq, text in enumerate(texts, start=1)])


@pytest_twisted.ensureDeferred
async def test_russian_words_match_in_any_form_and_case(store: Any) -> None:
    await saveWithMessages(store, 1, "Здравствуйте", "Где моя доставка?")
    await saveWithMessages(store, 2, "Доставки сегодня не будет")
    await saveWithMessages(store, 3, "Хочу вернуть товар")
    assert await ids(store, q="доставки") == [2, 1]
    assert await ids(store, q="ДОСТАВКА") == [2, 1]
    assert await ids(store, q="товары") == [3]
    assert await ids(store, q="холодильник") == []


@pytest_twisted.ensureDeferred
async def test_english_words_match_in_any_form_and_case(store: Any) -> None:
    await saveWithMessages(store, 1, "Hello", "When is my delivery?")
    await saveWithMessages(store, 2, "I need a REFUND please")
    assert await ids(store, q="deliveries") == [1]
    assert await ids(store, q="Refunds") == [2]
    assert await ids(store, q="spaceship") == []


@pytest_twisted.ensureDeferred
async def test_every_word_must_be_in_some_message_of_the_chat(store: Any) -> None:
    await saveWithMessages(store, 1, "Где мой заказ?", "И нужен возврат денег")
    await saveWithMessages(store, 2, "Заказ пришёл")
    await saveWithMessages(store, 3, "Возврат оформлен")
    await saveWithMessages(store, 4, "order and refund", "заказы")
    assert await ids(store, q="заказы возврата") == [1]
    assert await ids(store, q="заказ") == [4, 2, 1]
    assert await ids(store, q="orders refund заказ") == [4]
    assert await ids(store, q="заказ холодильник") == []


@pytest_twisted.ensureDeferred
async def test_only_messages_are_searched(store: Any) -> None:
    await store.saveChat(chat(1))
    await store.appendEvents([event(1, 1, kind=NOTICE, text="Доставка задерживается"),
                              event(1, 2, kind=COMMAND, text="!history доставка"),
                              event(1, 3, text="hello")])
    assert await ids(store, q="доставка") == []
    assert await ids(store, q="hello") == [1]


HOSTILE = ['"', '""', "'", "' OR 1=1 --", "*", "доставк*", "NEAR(доставка привет)",
           "NEAR", "AND", "OR", "NOT доставка", "-доставка", "stems:доставка",
           "rowid:1", ":", "(", ")", "(доставка", "^доставка", "{stems}: x", "%", "_",
           "\\", "доставка\x00", "a & b | !c", "<->", "доставка:*", "'russian'"]


@pytest_twisted.ensureDeferred
@pytest.mark.parametrize("q", HOSTILE)
async def test_hostile_queries_are_only_words(store: Any, q: str) -> None:
    # the message has every word of the queries (a word is not an operator)
    await saveWithMessages(store, 1, "Где моя доставка? near not stems rowid привет")
    await saveWithMessages(store, 2, "hello")
    found = await ids(store, q=q)
    assert set(found) <= {1, 2}
    if "доставк" in q:  # its words are searched, the syntax is ignored
        assert 1 in found and 2 not in found


@pytest_twisted.ensureDeferred
async def test_a_very_long_query_is_no_error(store: Any) -> None:
    await saveWithMessages(store, 1, "Где моя доставка?")
    words = " ".join(f"доставка{i}" for i in range(5000))
    assert await ids(store, q="доставка " + words) == []
    assert await ids(store, q="доставка " * 5000) == [1]


@pytest_twisted.ensureDeferred
@pytest.mark.parametrize("q", ["", "   ", "!!!", "-- ;", "«»", None])
async def test_a_query_without_words_is_no_filter(store: Any, q: str | None) -> None:
    await saveWithMessages(store, 1, "Где моя доставка?")
    await store.saveChat(chat(2))
    assert await ids(store, q=q) == [2, 1]


@pytest_twisted.ensureDeferred
async def test_search_combines_with_every_other_filter(store: Any) -> None:
    ivan = "ivan@shop.example"
    await saveWithMessages(store, 1, "доставка", node="sales", client="a@x", state=CLOSED)
    await saveWithMessages(store, 2, "доставка", node="support", client="a@x", state=ACTIVE,
                           operators=(ivan,))
    await saveWithMessages(store, 3, "доставка", node="sales", client="b@x", state=ACTIVE)
    await saveWithMessages(store, 4, "оплата", node="sales", client="a@x", state=CLOSED)
    await store.appendEvents([event(3, 2, author=ivan, text="Ваша доставка в пути")])
    q = "доставки"
    assert await ids(store, q=q) == [3, 2, 1]
    assert await ids(store, q=q, node="sales") == [3, 1]
    assert await ids(store, q=q, client="a@x") == [2, 1]
    assert await ids(store, q=q, operator=ivan) == [3, 2]
    assert await ids(store, q=q, state=CLOSED) == [1]
    assert await ids(store, q=q, since=chat(2).created_at) == [3, 2]
    assert await ids(store, q=q, until=chat(3).created_at) == [2, 1]
    assert await ids(store, q=q, node="sales", client="a@x", state=CLOSED) == [1]
    assert await ids(store, q=q, limit=2) == [3, 2]
    assert await ids(store, q=q, before=(chat(3).created_at, 3), limit=1) == [2]


@pytest_twisted.ensureDeferred
@pytest.mark.parametrize("q", [None, "доставка"])
async def test_pages_by_the_cursor_have_no_gaps_and_no_repeats(store: Any,
                                                                 q: str | None) -> None:
    times = {1: 10.0, 2: 20.0, 3: 20.0, 4: 20.0, 5: 30.0, 6: 20.0, 7: 5.0}
    for chat_id, at in times.items():
        await saveWithMessages(store, chat_id, "доставка", created_at=at)
    await saveWithMessages(store, 8, "hello", created_at=20.0)
    everything = await ids(store, q=q, limit=None)
    expected = [5, 6, 4, 3, 2, 1, 7] + ([8] if q is None else [])
    assert sorted(everything, key=lambda i: (-(times.get(i) or 20.0), -i)) == everything
    assert sorted(everything) == sorted(expected)
    for size in (1, 2, 3, 10):
        pages: list[int] = []
        before = None
        while True:
            page = await store.findChats(q=q, limit=size, before=before)
            if not page:
                break
            assert len(page) <= size
            pages += [c.id for c in page]
            before = (page[-1].created_at, page[-1].id)
        assert pages == everything


@pytest_twisted.ensureDeferred
async def test_messages_appended_later_and_in_one_group_commit_are_found(store: Any) -> None:
    await store.saveChat(chat(1))
    assert await ids(store, q="доставка") == []
    await store.appendEvents([event(1, 1, text="привет")])
    await store.appendEvents([event(1, 2, text="где доставка?")])
    assert await ids(store, q="доставки") == [1]
    # many writes asked for at once, committed together, found by the next read
    writes = []
    for chat_id in range(2, 12):
        writes.append(store.saveChat(chat(chat_id)))
        writes.append(store.appendEvents([event(chat_id, 1, text=f"delivery number {chat_id}"),
                                          event(chat_id, 2, text=f"code{chat_id}")]))
    await gatherResults(writes)
    assert await ids(store, q="deliveries", limit=None) == list(range(11, 1, -1))
    assert await ids(store, q="deliveries code7") == [7]


@pytest_twisted.ensureDeferred
async def test_messages_stored_before_the_search_step_are_found_after_it(durable: Any) -> None:
    steps = loadSteps(durable.kind)
    assert [s.version for s in steps][SEARCH_STEP - 1:SEARCH_STEP] == [SEARCH_STEP]
    old = durable.make(steps[:SEARCH_STEP - 1])
    await old.open()
    await saveWithMessages(old, 1, "Где моя доставка?", "order delivery")
    await saveWithMessages(old, 2, "Возврат денег")
    await old.appendEvents([event(2, 2, kind=NOTICE, text="доставка")])
    await old.close()
    assert durable.query("SELECT max(version) FROM schema_version") == [(SEARCH_STEP - 1,)]

    store = durable.make()
    await store.open()
    try:
        assert durable.query("SELECT version, name FROM schema_version "
                             f"WHERE version = {SEARCH_STEP}") == [(SEARCH_STEP, "search")]
        assert await ids(store, q="доставки") == [1]
        assert await ids(store, q="deliveries") == [1]
        assert await ids(store, q="возврата") == [2]
        # and messages stored after the upgrade are found too, old and new alike
        await store.appendEvents([event(2, 3, text="доставка через неделю")])
        assert await ids(store, q="доставка") == [2, 1]
    finally:
        await store.close()
    # opening again applies nothing and indexes nothing twice
    again = durable.make()
    await again.open()
    try:
        assert await ids(store=again, q="доставка") == [2, 1]
    finally:
        await again.close()


@pytest_twisted.ensureDeferred
async def test_rare_and_common_words_alike(store: Any, monkeypatch: Any) -> None:
    """PostgreSQL plans a word by how common it is (sqlsearch.COMMON, made 3
    here): rare words drive the query, common ones are checked per chat.
    Either way, and mixed, the answer is the same on every store."""
    from imsupport.store import sqlsearch
    monkeypatch.setattr(sqlsearch, "COMMON", 3)
    await saveWithMessages(store, 1, "order delivery", "refund please")
    await saveWithMessages(store, 2, "order status", "delivery late")
    await saveWithMessages(store, 3, "order lost")
    await saveWithMessages(store, 4, "order again", "warranty card")
    assert await ids(store, q="order") == [4, 3, 2, 1], "common (4 messages)"
    assert await ids(store, q="refund") == [1], "rare"
    assert await ids(store, q="order refund") == [1], "common and rare"
    assert await ids(store, q="delivery order") == [2, 1], "in different messages"
    assert await ids(store, q="order", limit=2) == [4, 3]
    assert await ids(store, q="warranty refund") == []
