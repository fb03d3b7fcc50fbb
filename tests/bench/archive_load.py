"""
Bulk loading of the archive benchmark's data (tests/bench/archive_data.py)
into a store whose schema the real store has made (``archive_store create``:
the service's own open and upgrade path, so the search index, its trigger
and the generated tsvector column are the service's).

- SQLite: ``executemany`` in one transaction on a plain sqlite3 connection
  with ``imsupport_stems`` registered as the SQLite store registers it, so
  the store's trigger fills the FTS index from the store's own stemmer.
- PostgreSQL: ``COPY`` in one transaction; the server computes the stored
  tsvector column and keeps every index as it goes. Then ``VACUUM
  ANALYZE``, which autovacuum would have done on a database this old (and
  would otherwise do in the middle of the measurements).

Neither drops an index or a constraint for speed: the indexes end up built
the way a live service builds them, row by row.
"""
from __future__ import annotations

import io
import os
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from imsupport.store import sqlsearch
from imsupport.store.postgres import parseUrl
from tests.bench.archive_data import Generator

CHATS = ("id, node, client, state, languages, operators, created_at, accepted_at, closed_at, "
         "close_reason, first_line")
EVENTS = "chat_id, seq, at, kind, author, text, data"
OUTBOX = "id, type, at, data"
BATCH = 2000  # chats per executemany / COPY


def _batches(gen: Generator) -> Iterator[tuple[list[Any], list[Any], list[Any]]]:
    chats: list[Any] = []
    events: list[Any] = []
    outbox: list[Any] = []
    for chat, chat_events, chat_outbox in gen.chats():
        chats.append(chat)
        events += chat_events
        outbox += chat_outbox
        if len(chats) >= BATCH:
            yield chats, events, outbox
            chats, events, outbox = [], [], []
    yield chats, events, outbox
    yield [], [], list(gen.operatorStates())


def loadSqlite(path: str, gen: Generator) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.create_function("imsupport_stems", 1, sqlsearch.stemText, deterministic=True)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA cache_size=-262144")  # 256 MB for the load only
        connection.execute("BEGIN")
        for chats, events, outbox in _batches(gen):
            connection.executemany(f"INSERT INTO chats ({CHATS}) VALUES "
                                   "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", chats)
            connection.executemany(f"INSERT INTO events ({EVENTS}) VALUES "
                                   "(?, ?, ?, ?, ?, ?, ?)", events)
            connection.executemany(f"INSERT INTO outbox ({OUTBOX}) VALUES (?, ?, ?, ?)", outbox)
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def sqliteSize(path: str) -> int:
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def _field(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r"))
    return str(value)


def _copy(cursor: Any, table: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_field, row)))
        buffer.write("\n")
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


def pgConnect(url: str) -> Any:
    """A plain psycopg2 connection into the store's schema (``?schema=``)."""
    import psycopg2
    dsn, schema, _ = parseUrl(url)
    options: dict[str, Any] = {"options": f"-c search_path={schema}"} if schema else {}
    return psycopg2.connect(dsn, connect_timeout=10, **options)


def loadPostgres(url: str, gen: Generator) -> None:
    connection = pgConnect(url)
    try:
        with connection, connection.cursor() as cursor:
            for chats, events, outbox in _batches(gen):
                _copy(cursor, "chats", CHATS, chats)
                _copy(cursor, "events", EVENTS, events)
                _copy(cursor, "outbox", OUTBOX, outbox)
        connection.autocommit = True
        with connection.cursor() as cursor:
            for table in ("chats", "events", "outbox"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    finally:
        connection.close()


def pgSize(url: str) -> tuple[int, dict[str, int]]:
    """The schema's bytes (tables with their indexes and TOAST), and per table."""
    _, schema, _ = parseUrl(url)
    connection = pgConnect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                           "JOIN pg_namespace n ON n.oid = c.relnamespace "
                           "WHERE n.nspname = %s AND c.relkind = 'r'", (schema,))
            tables = {name: int(size) for name, size in cursor.fetchall()}
    finally:
        connection.close()
    return sum(tables.values()), tables
