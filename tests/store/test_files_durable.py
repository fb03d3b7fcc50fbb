"""
Files in the database stores (SQLite and PostgreSQL): the schema step that
adds them upgrades a database of schema 3 with its data, a stored record is
committed when putFile's Deferred fires, and the file methods report an
outage as every other method does (StoreUnavailable).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg2
import pytest_twisted
from twisted.internet import task

from imsupport.core.model import CLOSED
from imsupport.store.interfaces import StoreError, StoreUnavailable
from imsupport.store.sqlite import SQLiteStore
from imsupport.store.upgrade import loadSteps
from tests.store.conftest import reactor
from tests.store.test_contract import chat, directory, event, failure
from tests.store.test_contract_files import record
from tests.store.test_outage import _loseTheAnswerOnce, _pragma
from tests.store.test_postgres import _settled, _terminateSessions

FILES_STEP = 4


@pytest_twisted.ensureDeferred
async def test_upgrade_from_schema_3_keeps_the_data_and_adds_files(durable: Any) -> None:
    steps = loadSteps(durable.kind)
    assert [s.version for s in steps][FILES_STEP - 1:FILES_STEP] == [FILES_STEP]
    old = durable.make(steps[:FILES_STEP - 1])
    await old.open()
    await old.replaceDirectory(directory)
    await old.saveChat(chat(1, first_line="Где счёт-фактура?", state=CLOSED))
    await old.saveChat(chat(2, first_line="hello"))
    await old.appendEvents([event(1, 1), event(1, 2, data={"k": [1, 2]}), event(2, 1)])
    await old.addSubscriber("sales", "a@x")
    await old.setSwitch("node:sales", True, "hard")
    await old.close()
    assert durable.query("SELECT max(version) FROM schema_version") == [(FILES_STEP - 1,)]

    store = durable.make()
    await store.open()
    try:
        assert durable.query("SELECT version, name FROM schema_version "
                             f"WHERE version = {FILES_STEP}") == [(FILES_STEP, "files")]
        # everything stored before is there as it was
        assert await store.loadDirectory() == directory
        assert await store.getChat(1) == chat(1, first_line="Где счёт-фактура?", state=CLOSED)
        assert await store.chatEvents(1) == [event(1, 1), event(1, 2, data={"k": [1, 2]})]
        assert await store.chatEvents(2) == [event(2, 1)]
        assert await store.subscribers() == {"sales": {"a@x"}}
        assert await store.switchedOff() == {"node:sales"}
        assert await store.maxChatId() == 2
        # and files work, linked into a chat stored before the upgrade
        assert await store.findFiles() == []
        await store.putFile(record("abcdefgh", name="scan.png", chat_id=1, client="client1@x"))
        assert [f.id for f in await store.findFiles(words="СЧЁТ")] == ["abcdefgh"]
        await store.saveChat(chat(3))
        await store.appendEvents([event(1, 3)])
    finally:
        await store.close()
    if durable.kind == "sqlite":  # the backup before the upgrade holds schema 3
        backup = sqlite3.connect(f"{durable.path}.bak-v{FILES_STEP - 1}")
        try:
            assert backup.execute("SELECT max(version) FROM schema_version").fetchone() == (
                FILES_STEP - 1,)
            assert backup.execute("SELECT count(*) FROM events").fetchone() == (3,)
        finally:
            backup.close()


@pytest_twisted.ensureDeferred
async def test_a_put_file_is_committed_when_it_fires(durable: Any) -> None:
    store = durable.make()
    await store.open()
    try:
        store.saveChat(chat(5))  # queued in the group commit, not waited for
        await store.putFile(record("AbCdEfGh", token="t", name="n.txt", chat_id=5))
        # another connection sees it: committed, not only readable by this store
        assert durable.query("SELECT id, chat_id FROM files") == [("abcdefgh", 5)]
        assert durable.query("SELECT id FROM chats") == [(5,)]
    finally:
        await store.close()
    reopened = durable.make()
    await reopened.open()
    try:
        assert await reopened.getFile("abcdefgh") == record("abcdefgh", token="t",
                                                            name="n.txt", chat_id=5)
    finally:
        await reopened.close()


@pytest_twisted.ensureDeferred
async def test_a_closed_store_refuses_file_work(durable: Any) -> None:
    store = durable.make()
    for call in (lambda: store.putFile(record("abcdefgh")), lambda: store.getFile("abcdefgh"),
                 lambda: store.fileByToken("t"), lambda: store.findFiles(words="x"),
                 lambda: store.fileUsage("a@x", 0.0)):
        error = await failure(call())
        assert isinstance(error, StoreError) and "not open" in str(error)


@pytest_twisted.ensureDeferred
async def test_a_lost_answer_is_an_outage_for_files_too(durable: Any) -> None:
    store = durable.make()
    await store.open()
    try:
        lost = psycopg2.OperationalError("server closed the connection unexpectedly") \
            if durable.kind == "postgresql" else sqlite3.OperationalError("disk I/O error")
        for call in (lambda: store.putFile(record("abcdefgh")),
                     lambda: store.getFile("abcdefgh"), lambda: store.findFiles(words="x"),
                     lambda: store.fileByToken("t"), lambda: store.fileUsage("a@x", 0.0)):
            _loseTheAnswerOnce(store, lost)
            error = await failure(call())
            assert isinstance(error, StoreUnavailable), error
        # the put was committed before its answer was lost: putting it again is harmless
        await store.putFile(record("abcdefgh"))
        assert await store.getFile("abcdefgh") == record("abcdefgh")
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_sqlite_full_disk_is_an_outage_for_files(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "db.sqlite"), reactor=reactor())
    await store.open()
    try:
        await store.putFile(record("aaaaaaaa"))
        pages, = await _pragma(store, "PRAGMA page_count")
        await _pragma(store, f"PRAGMA max_page_count = {pages}")  # the disk is full now
        big = record("bbbbbbbb", name="x" * 100_000)
        error = await failure(store.putFile(big))
        assert isinstance(error, StoreUnavailable) and "full" in str(error), error
        assert await store.getFile("aaaaaaaa") == record("aaaaaaaa")  # reads still answer
        await _pragma(store, "PRAGMA max_page_count = 1073741823")  # space again
        await store.putFile(big)
        assert await store.getFile("bbbbbbbb") == big
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_sqlite_locked_database_is_an_outage_for_files(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = SQLiteStore(str(path), reactor=reactor())
    await store.open()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        await _pragma(store, "PRAGMA busy_timeout = 50")
        other.execute("BEGIN EXCLUSIVE")
        error = await failure(store.putFile(record("aaaaaaaa")))
        assert isinstance(error, StoreUnavailable) and "locked" in str(error), error
        other.execute("ROLLBACK")
        await store.putFile(record("aaaaaaaa"))
    finally:
        other.close()
        await store.close()


@pytest_twisted.ensureDeferred
async def test_postgres_lost_session_is_an_outage_for_files(pgBackend: Any) -> None:
    store = pgBackend.make()
    await store.open()
    try:
        await store.putFile(record("aaaaaaaa"))
        assert _terminateSessions(pgBackend.schema) == 1
        outcomes = []
        for n in range(100):
            outcome = await _settled(store.putFile(record(f"bbbbbb{n:02d}")))
            outcomes.append(outcome)
            if outcome is None:
                break
            assert isinstance(outcome, StoreUnavailable), outcome
            await task.deferLater(reactor(), 0.05, lambda: None)
        assert isinstance(outcomes[0], StoreUnavailable), "the lost session was noticed"
        assert outcomes[-1] is None, "file writes go through again once reconnected"
        assert len(await store.findFiles()) == 2
    finally:
        await store.close()
