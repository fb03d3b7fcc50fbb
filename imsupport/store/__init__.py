"""
The store: choose one from ``storage.url`` and run it as a service.

``memory:`` is for tests, ``sqlite:///abs/path`` (or ``sqlite:relative/path``)
is the default, ``postgresql://user@host:5432/db[?schema=name]`` (also
``postgres://``) uses PostgreSQL. The implementations are imported only when
chosen, so a SQLite deployment never loads psycopg2.
"""
from __future__ import annotations

from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred

from imsupport.store.interfaces import IStore, StoreError

__all__ = ["IStore", "StoreError", "StoreService", "makeStore", "sqlitePath"]


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
    """The store ``url`` asks for, not yet opened (StoreService opens it)."""
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


class StoreService(Service):
    """Opens the store when the application starts and closes it (after the
    queued chat writes are flushed) when it stops."""

    name = "store"

    def __init__(self, store: IStore) -> None:
        self.store = store

    def startService(self) -> Deferred:  # type: ignore[override]
        """Returns the open Deferred: whoever starts the service can wait for
        the schema upgrade before accepting chats."""
        super().startService()
        return self.store.open()

    def stopService(self) -> Deferred:  # type: ignore[override]
        super().stopService()
        return self.store.close()
