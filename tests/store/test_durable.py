"""
What only the database stores promise: data outlives the process, the schema
is upgraded step by step exactly once, and chat writes are grouped into few
transactions. Runs against SQLite and PostgreSQL.
"""
from __future__ import annotations

from typing import Any

import pytest_twisted
from twisted.internet.defer import gatherResults

from imsupport.core.model import CLOSED, Directory
from imsupport.store.interfaces import StoreError
from imsupport.store.upgrade import Step, loadSteps
from tests.store.test_contract import chat, directory, event, failure


def stepsPlus(kind: str, *extra: str) -> list[Step]:
    steps = loadSteps(kind)
    return steps + [Step(len(steps) + i, f"test_{i}", sql) for i, sql in enumerate(extra, 1)]


@pytest_twisted.ensureDeferred
async def test_reopen_keeps_everything(durable: Any) -> None:
    store = durable.make()
    await store.open()
    await store.replaceDirectory(directory)
    await store.saveChat(chat(1, operators=("ivan@shop.example",)))
    await store.appendEvents([event(1, 1), event(1, 2, data={"a": 1.5})])
    await store.addSubscriber("sales", "a@x")
    await store.close()

    store = durable.make()
    await store.open()
    try:
        assert await store.loadDirectory() == directory
        assert await store.getChat(1) == chat(1, operators=("ivan@shop.example",))
        assert await store.chatEvents(1) == [event(1, 1), event(1, 2, data={"a": 1.5})]
        assert await store.subscribers() == {"sales": {"a@x"}}
        assert await store.maxChatId() == 1
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_schema_steps_apply_once_and_are_recorded(durable: Any) -> None:
    packaged = loadSteps(durable.kind)
    store = durable.make()
    await store.open()
    await store.saveChat(chat(1))
    await store.close()
    assert durable.query("SELECT version FROM schema_version ORDER BY version") == [
        (s.version,) for s in packaged]

    steps = stepsPlus(durable.kind, "CREATE TABLE probe (n INTEGER);\n"
                                    "INSERT INTO probe (n) VALUES (1);\n")
    for _ in range(2):  # the second open must not run the step again
        store = durable.make(steps)
        await store.open()
        await store.close()
    assert durable.query("SELECT count(*) FROM probe") == [(1,)]
    assert [v for v, in durable.query("SELECT version FROM schema_version ORDER BY version")] \
        == list(range(1, len(steps) + 1))
    store = durable.make(steps)
    await store.open()
    assert await store.getChat(1) == chat(1)
    await store.close()


@pytest_twisted.ensureDeferred
async def test_failed_step_changes_nothing(durable: Any) -> None:
    store = durable.make()
    await store.open()
    await store.saveChat(chat(1))
    await store.close()

    broken = stepsPlus(durable.kind, "CREATE TABLE half (n INTEGER);\nTHIS IS NOT SQL;\n")
    store = durable.make(broken)
    error = await failure(store.open())
    assert isinstance(error, StoreError) and "cannot open" in str(error)
    assert durable.query("SELECT max(version) FROM schema_version") == [
        (len(loadSteps(durable.kind)),)]

    store = durable.make()
    await store.open()
    try:
        assert await store.getChat(1) == chat(1)
        await store.saveChat(chat(2))  # and the store works
    finally:
        await store.close()
    store = durable.make(stepsPlus(durable.kind, "CREATE TABLE half (n INTEGER);"))
    await store.open()  # "half" was rolled back, so creating it again works
    await store.close()


@pytest_twisted.ensureDeferred
async def test_chat_writes_are_grouped_into_few_transactions(durable: Any) -> None:
    store = durable.make()
    await store.open()
    transactions = []
    run = store._run

    def counting(program: Any) -> Any:
        transactions.append(program)
        return run(program)

    store._run = counting
    try:
        calls = [store.saveChat(chat(id)) for id in range(1, 51)]
        calls += [store.appendEvents([event(id, seq)])
                  for seq in range(1, 11) for id in range(1, 51)]
        await gatherResults(calls)
        assert len(transactions) <= 10, f"{len(calls)} writes took {len(transactions)} transactions"
        assert len(await store.chatEvents(50)) == 10
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_closed_or_unopened_store_refuses_work(durable: Any) -> None:
    store = durable.make()
    assert isinstance(await failure(store.saveChat(chat(1))), StoreError)
    assert isinstance(await failure(store.loadDirectory()), StoreError)
    await store.open()
    assert isinstance(await failure(store.open()), StoreError)  # already open
    await store.close()
    await store.close()  # twice is fine
    assert isinstance(await failure(store.appendEvents([event(1, 1)])), StoreError)
    assert isinstance(await failure(store.getChat(1)), StoreError)
    assert isinstance(await failure(store.replaceDirectory(Directory())), StoreError)


@pytest_twisted.ensureDeferred
async def test_saves_in_one_batch_keep_the_last_state(durable: Any) -> None:
    store = durable.make()
    await store.open()
    try:
        store.saveChat(chat(1))
        store.saveChat(chat(2))
        store.appendEvents([event(2, 1)])
        store.saveChat(chat(2, state=CLOSED))
        await store.saveChat(chat(2, state=CLOSED, close_reason="client"))
        assert await store.getChat(2) == chat(2, state=CLOSED, close_reason="client")
    finally:
        await store.close()
