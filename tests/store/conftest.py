"""
Fixtures for the store contract: the same tests run against the memory, the
SQLite and the real PostgreSQL store.

These are integration tests: they run on the real reactor (pytest-twisted)
with real files and sockets. PostgreSQL is never skipped: if the server at
IMSUPPORT_TEST_PG is unreachable, every PostgreSQL test fails and says so.
Each PostgreSQL test gets its own schema, dropped afterwards.
"""
from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any, Iterator, Sequence

import psycopg2
import pytest
import pytest_twisted

from imsupport.store.interfaces import IStore
from imsupport.store.memory import MemoryStore
from imsupport.store.postgres import PostgresStore
from imsupport.store.sqlite import SQLiteStore
from imsupport.store.upgrade import Step

PG_URL = os.environ.get("IMSUPPORT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
KINDS = ["memory", "sqlite", "postgresql"]


def reactor() -> Any:
    from twisted.internet import reactor as running
    return running


class Backend:
    """Makes stores of one kind over the same data, so a test can close a
    store and open another one on what it left, and peeks at that data with
    a plain blocking connection."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.path = str(tmp_path / "db" / "imsupport.sqlite")
        self.schema = f"imsupport_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        self._memory = MemoryStore()

    def make(self, steps: Sequence[Step] | None = None) -> IStore:
        if self.kind == "memory":
            return self._memory  # "reopening" the memory store is the same object
        if self.kind == "sqlite":
            return SQLiteStore(self.path, reactor=reactor(), steps=steps)
        return PostgresStore(PG_URL, schema=self.schema, reactor=reactor(), steps=steps)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` run outside the store (no placeholders)."""
        if self.kind == "sqlite":
            connection = sqlite3.connect(self.path)
            try:
                return connection.execute(sql).fetchall()
            finally:
                connection.close()
        connection = psycopg2.connect(PG_URL, options=f"-c search_path={self.schema}")
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        finally:
            connection.close()

    def dropSchema(self) -> None:
        connection = psycopg2.connect(PG_URL)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        finally:
            connection.close()


@pytest.fixture(scope="session")
def postgresProblem() -> str | None:
    """Checked once: why PostgreSQL cannot be reached, or None."""
    try:
        psycopg2.connect(PG_URL, connect_timeout=5).close()
    except psycopg2.Error as e:
        return str(e).strip()
    return None


def _backend(kind: str, tmp_path: Path, postgresProblem: str | None) -> Iterator[Backend]:
    if kind == "postgresql" and postgresProblem is not None:
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable ({postgresProblem}). These tests "
                    "need a real server: start it or point IMSUPPORT_TEST_PG at one.",
                    pytrace=False)
    backend = Backend(kind, tmp_path)
    yield backend
    if kind == "postgresql":
        backend.dropSchema()


@pytest.fixture(params=KINDS)
def backend(request: Any, tmp_path: Path, postgresProblem: str | None) -> Iterator[Backend]:
    yield from _backend(request.param, tmp_path, postgresProblem)


@pytest.fixture(params=["sqlite", "postgresql"])
def durable(request: Any, tmp_path: Path, postgresProblem: str | None) -> Iterator[Backend]:
    """Only the stores that keep data in a database (schema, upgrades)."""
    yield from _backend(request.param, tmp_path, postgresProblem)


@pytest.fixture
def pgBackend(tmp_path: Path, postgresProblem: str | None) -> Iterator[Backend]:
    yield from _backend("postgresql", tmp_path, postgresProblem)


@pytest_twisted.async_yield_fixture
async def store(backend: Backend) -> Any:
    """An open store of each kind, closed after the test."""
    opened = backend.make()
    await opened.open()
    yield opened
    await opened.close()
