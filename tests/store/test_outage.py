"""
What the stores tell the core during an outage (R-RUN-3), against real SQLite
files and the real PostgreSQL: "not now" (StoreUnavailable: a full disk, a
locked file, a lost session) apart from "not this" (StoreError: a constraint,
bad data), a write probe, and a retried write that finds its own row after an
ambiguous commit.
"""
from __future__ import annotations

import sqlite3
from itertools import islice
from pathlib import Path
from typing import Any

import psycopg2
import pytest_twisted
from twisted.internet import task

from imsupport.store.interfaces import StoreError, StoreUnavailable
from imsupport.store.postgres import RECONNECT_MAX_DELAY, PostgresStore
from imsupport.store.sqlite import SQLiteStore
from tests.store.conftest import reactor
from tests.store.test_contract import chat, event, failure
from tests.store.test_postgres import _settled, _terminateSessions

# -- every store ------------------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_writing_an_event_again_as_it_is_stores_it_once(store: Any) -> None:
    await store.saveChat(chat(1))
    await store.appendEvents([event(1, 1), event(1, 2)])
    await store.appendEvents([event(1, 2)])  # a retried write finds its own row
    await store.appendEvents([event(1, 2), event(1, 3)])  # part of it was stored
    assert await store.chatEvents(1) == [event(1, 1), event(1, 2), event(1, 3)]
    error = await failure(store.appendEvents([event(1, 3, text="not the same"), event(1, 4)]))
    assert isinstance(error, StoreError) and not isinstance(error, StoreUnavailable)
    assert await store.chatEvents(1) == [event(1, 1), event(1, 2), event(1, 3)]


@pytest_twisted.ensureDeferred
async def test_the_probe_writes_and_keeps_nothing_new(store: Any) -> None:
    await store.probe()
    await store.probe()
    assert await store.maxChatId() == 0
    assert await store.openChats() == []


# -- SQLite and PostgreSQL ------------------------------------------------------------

def _loseTheAnswerOnce(store: Any, error: Exception) -> None:
    """The next program is committed, then its caller hears ``error``: the
    server died between COMMIT and its answer."""
    real = store._run

    def run(program: Any) -> Any:
        store._run = real

        def lost(_: object) -> None:
            raise error

        return real(program).addCallback(lost)

    store._run = run


@pytest_twisted.ensureDeferred
async def test_a_write_retried_after_an_ambiguous_commit_counts_as_stored(durable: Any) -> None:
    store = durable.make()
    await store.open()
    try:
        await store.saveChat(chat(1))
        await store.appendEvents([event(1, 1)])
        lost = psycopg2.OperationalError("server closed the connection unexpectedly") \
            if durable.kind == "postgresql" else sqlite3.OperationalError("disk I/O error")
        _loseTheAnswerOnce(store, lost)
        error = await failure(store.appendEvents([event(1, 2), event(1, 3)]))
        assert isinstance(error, StoreUnavailable), error
        assert durable.query("SELECT seq FROM events ORDER BY seq") == [(1,), (2,), (3,)]

        await store.appendEvents([event(1, 2), event(1, 3)])  # the retry
        await store.saveChat(chat(1, state="active"))
        assert await store.chatEvents(1) == [event(1, 1), event(1, 2), event(1, 3)]
        error = await failure(store.appendEvents([event(1, 3, author="someone else")]))
        assert not isinstance(error, StoreUnavailable)
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_constraint_violations_are_not_outages(durable: Any) -> None:
    store = durable.make()
    await store.open()
    try:
        error = await failure(store.appendEvents([event(9, 1)]))  # chat 9 was never saved
        assert isinstance(error, StoreError) and not isinstance(error, StoreUnavailable)
        await store.saveChat(chat(1))
        await store.appendEvents([event(1, 1)])
        error = await failure(store.appendEvents([event(1, 1, text="another")]))
        assert isinstance(error, StoreError) and not isinstance(error, StoreUnavailable)
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_a_closed_store_cannot_be_probed(durable: Any) -> None:
    store = durable.make()
    await store.open()
    await store.close()
    assert isinstance(await failure(store.probe()), StoreUnavailable)


# -- SQLite ---------------------------------------------------------------------------

async def _pragma(store: SQLiteStore, statement: str) -> Any:
    assert store._pool is not None
    return await store._pool.runWithConnection(lambda c: c.execute(statement).fetchone())


@pytest_twisted.ensureDeferred
async def test_sqlite_full_disk_is_an_outage_and_the_held_write_lands_later(
        tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "db.sqlite"), reactor=reactor())
    await store.open()
    try:
        await store.saveChat(chat(1))
        await store.appendEvents([event(1, 1)])
        pages, = await _pragma(store, "PRAGMA page_count")
        await _pragma(store, f"PRAGMA max_page_count = {pages}")  # the disk is full now
        big = event(1, 2, text="x" * 50_000)
        error = await failure(store.appendEvents([big]))
        assert isinstance(error, StoreUnavailable), error
        assert "full" in str(error)
        assert isinstance(await failure(store.probe()), StoreUnavailable)
        # a constraint is still a constraint, full disk or not
        error = await failure(store.appendEvents([event(9, 1)]))
        assert not isinstance(error, StoreUnavailable)

        await _pragma(store, "PRAGMA max_page_count = 1073741823")  # space again
        await store.probe()
        await store.appendEvents([big])
        assert [e.seq for e in await store.chatEvents(1)] == [1, 2]
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_sqlite_locked_database_is_an_outage(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = SQLiteStore(str(path), reactor=reactor())
    await store.open()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        await store.saveChat(chat(1))
        await _pragma(store, "PRAGMA busy_timeout = 50")
        other.execute("BEGIN EXCLUSIVE")
        error = await failure(store.appendEvents([event(1, 1)]))
        assert isinstance(error, StoreUnavailable) and "locked" in str(error)
        other.execute("ROLLBACK")
        await store.appendEvents([event(1, 1)])
    finally:
        other.close()
        await store.close()


# -- PostgreSQL ---------------------------------------------------------------------

@pytest_twisted.ensureDeferred
async def test_postgres_lost_session_is_an_outage_and_reconnects_soon(pgBackend: Any) -> None:
    store = pgBackend.make()
    await store.open()
    try:
        await store.saveChat(chat(1))
        assert _terminateSessions(pgBackend.schema) == 1
        outcomes = []
        for seq in range(1, 101):
            outcome = await _settled(store.appendEvents([event(1, seq)]))
            outcomes.append(outcome)
            if outcome is None:
                break
            assert isinstance(outcome, StoreUnavailable), outcome
            await task.deferLater(reactor(), 0.05, lambda: None)
        assert outcomes[-1] is None, "writes go through again once reconnected"
        assert isinstance(outcomes[0], StoreUnavailable), "the lost session was noticed"

        assert _terminateSessions(pgBackend.schema) == 1
        outcome = await _settled(store.probe())
        assert outcome is None or isinstance(outcome, StoreUnavailable), outcome
    finally:
        await store.close()


def test_postgres_reconnects_at_most_a_second_apart() -> None:
    store = PostgresStore("postgresql://postgres@127.0.0.1:1/test", reactor=reactor())
    delays = list(islice(store._backoff(), 50))
    assert delays[0] == 0.0 and max(delays) <= RECONNECT_MAX_DELAY <= 1.0

