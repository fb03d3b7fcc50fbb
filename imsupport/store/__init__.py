"""
The store: choose one from ``storage.url`` and run it as a service.

``memory:`` is for tests, ``sqlite:///abs/path`` (also ``sqlite:////abs/path``
or ``sqlite:relative/path``; see ``urls``) is the default,
``postgresql://user@host:5432/db[?schema=name]`` (also ``postgres://``) uses
PostgreSQL. The implementations are imported only when
chosen, so a SQLite deployment never loads psycopg2.
"""
from __future__ import annotations

from typing import Any

from imsupport.store.interfaces import IStore, StoreError
from imsupport.store.urls import SQLITE_FORMS, redactUrl, sqlitePath

__all__ = ["IStore", "StoreError", "isPostgres", "makeStore", "redactUrl", "sqlitePath"]


def isPostgres(url: str) -> bool:
    return schemeOf(url) in ("postgresql", "postgres")


def schemeOf(url: str) -> str:
    return url.split(":", 1)[0].lower() if ":" in url else ""


def makeStore(url: str, reactor: Any = None) -> IStore:
    """The store ``url`` asks for, not yet opened (the service opens it at
    start, retrying until the database is usable)."""
    scheme = schemeOf(url)
    if url == "memory:":
        from imsupport.store.memory import MemoryStore
        return MemoryStore()
    if scheme == "sqlite":
        from imsupport.store.sqlite import SQLiteStore
        return SQLiteStore(sqlitePath(url), reactor=reactor)
    if isPostgres(url):
        from imsupport.store.postgres import PostgresStore
        return PostgresStore(url, reactor=reactor)
    raise ValueError(f"unknown storage URL {url!r}: use memory:, {SQLITE_FORMS} "
                     "or postgresql://user@host:5432/database")
