"""
The store: choose one from ``storage.url`` and run it as a service.

``memory:`` is for tests, ``sqlite:///abs/path`` (or ``sqlite:relative/path``)
is the default, ``postgresql://user@host:5432/db[?schema=name]`` (also
``postgres://``) uses PostgreSQL. The implementations are imported only when
chosen, so a SQLite deployment never loads psycopg2.
"""
from __future__ import annotations

from typing import Any

from imsupport.store.interfaces import IStore, StoreError

__all__ = ["IStore", "StoreError", "makeStore", "sqlitePath"]


def sqlitePath(url: str) -> str:
    """``sqlite:///var/lib/x.sqlite`` -> ``/var/lib/x.sqlite``;
    ``sqlite:data/x.sqlite`` -> ``data/x.sqlite`` (relative to the working
    directory)."""
    rest = url[len("sqlite:"):]
    if rest.startswith("///"):
        rest = rest[2:]
    elif rest.startswith("//"):
        raise ValueError(f"storage URL {url!r}: a SQLite URL has no host; write "
                         "sqlite:///absolute/path or sqlite:relative/path")
    if not rest or rest.endswith("/"):
        raise ValueError(f"storage URL {url!r} names no SQLite file")
    return rest


def makeStore(url: str, reactor: Any = None) -> IStore:
    """The store ``url`` asks for, not yet opened (the service opens it at
    start, retrying until the database is usable)."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if url == "memory:":
        from imsupport.store.memory import MemoryStore
        return MemoryStore()
    if scheme == "sqlite":
        from imsupport.store.sqlite import SQLiteStore
        return SQLiteStore(sqlitePath(url), reactor=reactor)
    if scheme in ("postgresql", "postgres"):
        from imsupport.store.postgres import PostgresStore
        return PostgresStore(url, reactor=reactor)
    raise ValueError(f"unknown storage URL {url!r}: use memory:, sqlite:///absolute/path, "
                     "sqlite:relative/path or postgresql://user@host:5432/database")
