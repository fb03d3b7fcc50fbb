"""
The default store: one SQLite file, zero set-up (R-RUN-1).

SQLite is blocking, so every statement runs on one database thread through
``adbapi`` (one connection: SQLite has a single writer anyway, and one thread
keeps the transactions in the order they were asked for). WAL mode with
``synchronous=NORMAL`` makes a commit cheap; group commit makes commits rare.
"""
from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any, Sequence, TypeVar

from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorCore
from twisted.logger import Logger

from imsupport.store import sql, sqlsearch
from imsupport.store.relational import RelationalStore
from imsupport.store.upgrade import Step, splitStatements

log = Logger()

T = TypeVar("T")

SWITCH_INTERVAL = 0.0005  # seconds; see SQLiteStore._connect

# Primary result codes that say "not now" rather than "not this": busy and
# locked (another process holds the database), out of memory, read-only (a
# file system remounted read-only after errors), I/O errors, a full disk
# (also PRAGMA max_page_count), a file that cannot be opened, a lock protocol
# error. A constraint, a type mismatch or a corrupt file are never retried.
UNAVAILABLE_CODES = frozenset({
    5,   # SQLITE_BUSY
    6,   # SQLITE_LOCKED
    7,   # SQLITE_NOMEM
    8,   # SQLITE_READONLY
    10,  # SQLITE_IOERR
    13,  # SQLITE_FULL
    14,  # SQLITE_CANTOPEN
    15,  # SQLITE_PROTOCOL
})


def unavailable(error: BaseException) -> bool:
    """Whether a failed SQLite call may succeed later (see UNAVAILABLE_CODES)."""
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        if code is None:
            return isinstance(error, sqlite3.OperationalError) and any(
                words in str(error) for words in ("disk is full", "disk I/O", "locked",
                                                  "unable to open"))
        return code & 0xFF in UNAVAILABLE_CODES
    return isinstance(error, OSError)


def _lower(value: str | None) -> str | None:
    """SQL ``imsupport_lower``: Python's lower(), where SQLite's own lower()
    and LIKE fold only ASCII letters (see sql.findFiles)."""
    return value.lower() if isinstance(value, str) else value


def _thdConfigure(connection: sqlite3.Connection) -> None:
    """Run by adbapi on every new connection, before any transaction."""
    connection.create_function("imsupport_lower", 1, _lower, deterministic=True)
    # the stems of a message for the search index (schema step 5, sqlsearch)
    connection.create_function("imsupport_stems", 1, sqlsearch.stemText, deterministic=True)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=5000")


def _thdExecute(txn: Any, statement: sql.Statement) -> Any:
    if isinstance(statement, sql.Query):
        txn.execute(statement.sql, statement.params)
        return txn.fetchall()
    if isinstance(statement, sql.Execute):
        txn.execute(statement.sql, statement.params)
        return txn.rowcount
    if isinstance(statement, sql.InsertMany):
        txn.executemany(statement.head + statement.row + statement.tail, statement.rows)
        return None
    for part in splitStatements(statement.sql):
        txn.execute(part)
    return None


def _thdRun(txn: Any, program: sql.Program[Any]) -> Any:
    """Runs a program in one transaction on the database thread. The explicit
    BEGIN makes schema steps (DDL) part of the transaction too; adbapi
    commits, or rolls back when this raises."""
    txn.execute("BEGIN")
    result = None
    while True:
        try:
            statement = program.send(result)
        except StopIteration as stop:
            return stop.value
        result = _thdExecute(txn, statement)


def _thdBackupBeforeUpgrade(connection: Any, path: str, latest: int) -> str | None:
    """Copies a non-empty database that is about to be upgraded to
    ``<path>.bak-v<version>``: a failed or regretted upgrade can be undone by
    hand. The online backup API copies a consistent state, WAL included."""
    cursor = connection.cursor()
    cursor.execute("SELECT count(*) FROM sqlite_master")
    if cursor.fetchone()[0] == 0:
        return None
    cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                   "AND name = 'schema_version'")
    version = 0
    if cursor.fetchone()[0]:
        cursor.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        version = cursor.fetchone()[0]
    if version >= latest:
        return None
    target = f"{path}.bak-v{version}"
    backup = sqlite3.connect(target)
    try:
        connection.backup(backup)
    finally:
        backup.close()
    return target


class SQLiteStore(RelationalStore):
    kind = "sqlite"

    def __init__(self, path: str, reactor: IReactorCore | None = None,
                 steps: Sequence[Step] | None = None) -> None:
        super().__init__(path, steps)
        self.path = path
        self._reactor = reactor
        self._pool: adbapi.ConnectionPool | None = None

    def _connect(self) -> Deferred[None]:
        # The database thread needs the GIL for a moment per batch, and by
        # default waits up to 5 ms for a busy reactor thread to let go of it:
        # that wait was most of a persist-then-relay write's latency. A
        # shorter switch interval costs little in a process this I/O-bound.
        if sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        options: dict[str, Any] = {}
        if self._reactor is not None:
            options["cp_reactor"] = self._reactor
        self._pool = adbapi.ConnectionPool(
            "sqlite3", self.path, check_same_thread=False, cp_min=1, cp_max=1,
            cp_openfun=_thdConfigure, **options)
        # adbapi connects on first use: the backup check or the upgrade
        return succeed(None)

    def _beforeUpgrade(self, steps: Sequence[Step]) -> Deferred[None]:
        if not steps:
            return succeed(None)
        assert self._pool is not None

        def backedUp(target: str | None) -> None:
            if target:
                log.info("Backed up {path} to {target} before upgrading its schema",
                         path=self.path, target=target)

        d: Deferred[str | None] = self._pool.runWithConnection(
            _thdBackupBeforeUpgrade, self.path, steps[-1].version)
        return d.addCallback(backedUp)

    def _run(self, program: sql.Program[T]) -> Deferred[T]:
        assert self._pool is not None
        d: Deferred[T] = self._pool.runInteraction(_thdRun, program)
        return d

    def _unavailable(self, error: BaseException) -> bool:
        return unavailable(error)

    def _disconnect(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
