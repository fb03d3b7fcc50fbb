"""
The SQLite store's own promises: the file's settings, the backup before an
upgrade, and the URLs and service that choose and run a store.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import pytest_twisted

from imsupport.store import makeStore, sqlitePath
from imsupport.store.interfaces import StoreError
from imsupport.store.memory import MemoryStore
from imsupport.store.postgres import PostgresStore
from imsupport.store.sqlite import SQLiteStore
from imsupport.store.upgrade import Step, loadSteps, splitStatements
from tests.store.conftest import reactor
from tests.store.test_contract import chat, failure


@pytest_twisted.ensureDeferred
async def test_file_settings(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "db.sqlite"  # parent folders are created
    store = SQLiteStore(str(path), reactor=reactor())
    await store.open()
    try:
        assert path.exists()
        settings = await store._pool.runWithConnection(lambda c: [
            c.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "foreign_keys")])
        assert settings == ["wal", 1, 1]  # synchronous 1 = NORMAL
    finally:
        await store.close()


@pytest_twisted.ensureDeferred
async def test_backup_before_upgrading_a_database_with_data(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    packaged = loadSteps("sqlite")
    latest = len(packaged)
    store = SQLiteStore(path, reactor=reactor())
    await store.open()
    await store.saveChat(chat(1))
    await store.close()
    assert list(tmp_path.glob("*.bak-*")) == []  # a new database is not backed up

    more = Step(latest + 1, "more", "CREATE TABLE more (n INTEGER);")
    store = SQLiteStore(path, reactor=reactor(), steps=packaged + [more])
    await store.open()
    await store.close()
    backup = Path(f"{path}.bak-v{latest}")
    assert [p.name for p in tmp_path.glob("*.bak-*")] == [backup.name]
    copy = sqlite3.connect(backup)
    try:
        assert copy.execute("SELECT max(version) FROM schema_version").fetchone() == (latest,)
        assert copy.execute("SELECT id FROM chats").fetchall() == [(1,)]
    finally:
        copy.close()


@pytest_twisted.ensureDeferred
async def test_unusable_file_fails_open_clearly(tmp_path: Path) -> None:
    (tmp_path / "not-a-db.sqlite").write_bytes(b"this is no database " * 100)
    store = SQLiteStore(str(tmp_path / "not-a-db.sqlite"), reactor=reactor())
    error = await failure(store.open())
    assert isinstance(error, StoreError)
    assert "not-a-db.sqlite" in str(error) and "not a database" in str(error)


def test_split_statements() -> None:
    script = ("-- a comment; with a semicolon\nCREATE TABLE a (x TEXT DEFAULT 'a;b');\n"
              "INSERT INTO a VALUES ('--');\n\n-- trailing comment\nSELECT 1")
    assert splitStatements(script) == [
        "-- a comment; with a semicolon\nCREATE TABLE a (x TEXT DEFAULT 'a;b');",
        "INSERT INTO a VALUES ('--');", "-- trailing comment\nSELECT 1"]
    assert splitStatements("-- only a comment\n") == []


def test_steps_must_be_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "sqlite_001_initial.sql").write_text("SELECT 1;")
    (tmp_path / "sqlite_003_later.sql").write_text("SELECT 3;")
    (tmp_path / "postgresql_001_initial.sql").write_text("SELECT 1;")
    assert [s.version for s in loadSteps("postgresql", tmp_path)] == [1]
    with pytest.raises(ValueError, match="without gaps"):
        loadSteps("sqlite", tmp_path)


# -- choosing a store by URL, running it as a service --------------------------------

def test_make_store_by_url(tmp_path: Path) -> None:
    assert isinstance(makeStore("memory:"), MemoryStore)
    absolute = makeStore(f"sqlite://{tmp_path}/x.sqlite")
    assert isinstance(absolute, SQLiteStore) and absolute.path == f"{tmp_path}/x.sqlite"
    sqlalchemy = makeStore(f"sqlite:///{tmp_path}/x.sqlite")  # four slashes, the same file
    assert isinstance(sqlalchemy, SQLiteStore) and sqlalchemy.path == f"{tmp_path}/x.sqlite"
    relative = makeStore("sqlite:var/imsupport.sqlite")
    assert isinstance(relative, SQLiteStore) and relative.path == "var/imsupport.sqlite"
    for url in ("postgresql://u@db.example:5432/support", "postgres://u@db.example/support"):
        assert isinstance(makeStore(url, reactor=reactor()), PostgresStore)
    assert not (tmp_path / "x.sqlite").exists()  # nothing is opened yet


@pytest.mark.parametrize("url", ["mysql://u@h/db", "sqlite.db", "", "memory", "sqlite:",
                                 "sqlite://host/db.sqlite", "sqlite:///var/lib/",
                                 "sqlite://///var/db.sqlite"])
def test_make_store_refuses_unknown_urls(url: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        makeStore(url)


def test_sqlite_path() -> None:
    assert sqlitePath("sqlite:///var/lib/imsupport/imsupport.sqlite") == \
        "/var/lib/imsupport/imsupport.sqlite"
    assert sqlitePath("sqlite:////var/lib/imsupport/imsupport.sqlite") == \
        "/var/lib/imsupport/imsupport.sqlite"
    assert sqlitePath("sqlite:data/x.sqlite") == "data/x.sqlite"


@pytest_twisted.ensureDeferred
async def test_close_waits_for_queued_writes(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "svc.sqlite"), reactor=reactor())
    await store.open()
    saving = store.saveChat(chat(1))
    await store.close()  # waits for the queued write
    assert saving.called
    reopened = SQLiteStore(str(tmp_path / "svc.sqlite"), reactor=reactor())
    await reopened.open()
    assert await reopened.getChat(1) == chat(1)
    await reopened.close()


@pytest_twisted.ensureDeferred
async def test_open_can_be_retried_after_a_failure(tmp_path: Path) -> None:
    """The service retries open() at start until the database is usable."""
    path = tmp_path / "later.sqlite"
    path.write_bytes(b"garbage " * 200)
    store = SQLiteStore(str(path), reactor=reactor())
    assert isinstance(await failure(store.open()), StoreError)
    path.unlink()
    await store.open()
    await store.saveChat(chat(1))
    assert await store.getChat(1) == chat(1)
    await store.close()
