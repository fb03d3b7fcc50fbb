"""
The PostgreSQL store's own promises, against the real server: its own schema,
clear failures, and reconnection after the server drops the session.
"""
from __future__ import annotations

from typing import Any

import psycopg2
import pytest
import pytest_twisted
from twisted.internet import task
from twisted.internet.defer import Deferred

from imsupport.store.interfaces import StoreError, StoreUnavailable
from imsupport.store.postgres import PostgresStore, parseUrl
from tests.store.conftest import PG_URL, reactor
from tests.store.test_contract import chat, event, failure


def test_parse_url() -> None:
    dsn, schema, where = parseUrl("postgresql://bob:secret@db.example:6543/support?schema=s1"
                                  "&sslmode=require")
    assert dsn == "postgresql://bob:secret@db.example:6543/support?sslmode=require"
    assert schema == "s1"
    assert where == "postgresql://bob@db.example:6543/support (schema s1)"
    assert "secret" not in where
    assert parseUrl("postgres://db/x?schema=s1", schema="s2")[1] == "s2"
    # "@" in the password, and one in the query: neither reaches the description
    where = parseUrl("postgresql://bob:p@ss@db.example/support?password=p@ss")[2]
    assert where == "postgresql://bob@db.example/support"
    with pytest.raises(ValueError, match="schema name"):
        parseUrl("postgresql://db/x", schema='x"; DROP TABLE chats; --')


@pytest_twisted.ensureDeferred
async def test_tables_live_in_the_given_schema(pgBackend: Any) -> None:
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}schema={pgBackend.schema}"
    store = PostgresStore(url, reactor=reactor())
    await store.open()
    await store.saveChat(chat(1))
    await store.close()
    tables = {name for name, in pgBackend.query(
        "SELECT table_name FROM information_schema.tables "
        f"WHERE table_schema = '{pgBackend.schema}'")}
    assert {"schema_version", "chats", "events", "operators", "nodes", "faq",
            "subscribers"} <= tables
    assert pgBackend.query("SELECT id FROM chats") == [(1,)]


def test_sessions_run_without_jit() -> None:
    """The store's sessions say jit=off and their schema (connection options)."""
    store = PostgresStore(PG_URL, schema="s1", reactor=reactor())
    assert store._connectOptions()["options"] == "-c jit=off -c search_path=s1"
    assert PostgresStore(PG_URL, reactor=reactor())._connectOptions()["options"] == "-c jit=off"


@pytest_twisted.ensureDeferred
async def test_unreachable_server_fails_open_clearly() -> None:
    store = PostgresStore("postgresql://postgres:hush@127.0.0.1:1/test", reactor=reactor())
    error = await failure(store.open())
    assert isinstance(error, StoreError)
    assert "cannot open the postgresql store at postgresql://postgres@127.0.0.1:1/test" \
        in str(error)
    assert "hush" not in str(error)


def _terminateSessions(schema: str) -> int:
    connection = psycopg2.connect(PG_URL)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE application_name = %s", (f"imsupport/{schema}",))
            return len(cursor.fetchall())
    finally:
        connection.close()


async def _settled(d: Deferred) -> Any:
    """``d``'s result or exception; a write must never hang."""
    d.addTimeout(10, reactor())
    try:
        return await d
    except Exception as e:
        return e


@pytest_twisted.ensureDeferred
async def test_reconnects_after_the_server_drops_the_session(pgBackend: Any) -> None:
    store = pgBackend.make()
    await store.open()
    try:
        await store.saveChat(chat(1))
        await store.appendEvents([event(1, 1)])
        assert _terminateSessions(pgBackend.schema) == 1

        outcome = await _settled(store.appendEvents([event(1, 2)]))
        assert outcome is None or isinstance(outcome, StoreUnavailable), outcome
        stored = 2 if outcome is None else 1
        # after the back-off, writes go through again
        for _ in range(100):
            outcome = await _settled(store.appendEvents([event(1, stored + 1)]))
            if outcome is None:
                stored += 1
                break
            assert isinstance(outcome, StoreUnavailable), outcome
            await task.deferLater(reactor(), 0.1, lambda: None)
        assert [e.seq for e in await store.chatEvents(1)] == list(range(1, stored + 1))
        assert stored >= 2
    finally:
        await store.close()
