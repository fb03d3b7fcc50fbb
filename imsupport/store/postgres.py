"""
The PostgreSQL store, through txpostgres: no threads, the queries run on the
reactor (R-RUN-1).

One connection carries everything: txpostgres runs its operations in the
order they were asked for, and group commit keeps the number of transactions
small. When the server goes away (restart, killed backend), txpostgres'
DeadConnectionDetector reconnects, at most a second apart so that writes
flow again soon after the server is back; meanwhile every operation errbacks
at once with StoreUnavailable instead of hanging, and the core holds its
writes and tries them again (R-RUN-3).
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Sequence, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg2
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IReactorCore
from twisted.logger import Logger
from twisted.python.failure import Failure
from txpostgres import reconnection, retrying, txpostgres

from imsupport.store import sql
from imsupport.store.interfaces import StoreError, StoreUnavailable
from imsupport.store.relational import RelationalStore
from imsupport.store.upgrade import Step
from imsupport.store.urls import redactUrl

log = Logger()

T = TypeVar("T")

SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_ROWS_PER_INSERT = 500
RECONNECT_MAX_DELAY = 1.0  # seconds between attempts to reach a lost server

# SQLSTATE classes and codes that say "not now" rather than "not this":
# connection exceptions (08), insufficient resources such as a full disk or
# too many connections (53), the server shutting down or starting up (57),
# system and I/O errors (58), a standby that cannot write (25006), and
# transactions the server gave up on (serialization, deadlock, lock timeout).
UNAVAILABLE_CLASSES = frozenset({"08", "53", "57", "58"})
UNAVAILABLE_CODES = frozenset({"25006", "40001", "40P01", "55P03"})


def unavailable(error: BaseException) -> bool:
    """Whether a failed PostgreSQL operation may succeed later."""
    if isinstance(error, (reconnection.ConnectionDead, ConnectionLost, ConnectionDone)):
        return True
    if isinstance(error, psycopg2.Error):
        code = error.pgcode or ""
        if code:
            return code[:2] in UNAVAILABLE_CLASSES or code in UNAVAILABLE_CODES
        # no SQLSTATE: the client library's own view, i.e. the connection
        return isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError))
    return False


def parseUrl(url: str, schema: str | None = None) -> tuple[str, str | None, str]:
    """Splits ``postgresql://user:pw@host:port/db?schema=s&...`` into the DSN
    libpq gets, the schema (the ``schema`` argument wins over the URL's) and
    a description for messages: the URL without its query and password."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    urlSchema = next((v for k, v in query if k == "schema"), None)
    dsn = urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in query if k != "schema"])))
    schema = schema or urlSchema
    if schema is not None and not SCHEMA_NAME.match(schema):
        raise ValueError(f"PostgreSQL schema name {schema!r} must be letters, digits and _")
    where = redactUrl(urlunsplit(parts._replace(query="", fragment="")))
    return dsn, schema, where + (f" (schema {schema})" if schema else "")


def _placeholders(text: str) -> str:
    return text.replace("%", "%%").replace("?", "%s")


async def _txnExecute(cursor: Any, statement: sql.Statement) -> Any:
    if isinstance(statement, sql.Query):
        await cursor.execute(_placeholders(statement.sql), tuple(statement.params))
        return cursor.fetchall()
    if isinstance(statement, sql.Execute):
        await cursor.execute(_placeholders(statement.sql), tuple(statement.params))
        return cursor.rowcount
    if isinstance(statement, sql.InsertMany):
        row = _placeholders(statement.row)
        for start in range(0, len(statement.rows), _ROWS_PER_INSERT):
            chunk = statement.rows[start:start + _ROWS_PER_INSERT]
            values = b", ".join(cursor.mogrify(row, tuple(r)) for r in chunk)
            await cursor.execute(statement.head.encode() + values + statement.tail.encode())
        return None
    await cursor.execute(statement.sql)
    return None


async def _txnRun(cursor: Any, program: sql.Program[Any]) -> Any:
    """The asynchronous twin of sqlite's ``_thdRun``; txpostgres has begun
    the transaction and commits it (or rolls back) when this is done."""
    result = None
    while True:
        try:
            statement = program.send(result)
        except StopIteration as stop:
            return stop.value
        result = await _txnExecute(cursor, statement)


def _cause(reason: Failure) -> Failure:
    """txpostgres reports a transaction whose rollback failed too (the
    session is gone) as RollbackFailed; what the admin needs is the error
    that started it."""
    if isinstance(reason.value, txpostgres.RollbackFailed):
        original: Failure = reason.value.originalFailure
        return original
    if reason.check(reconnection.ConnectionDead):
        return Failure(StoreUnavailable("no connection to PostgreSQL; reconnecting"))
    return reason


def _createSchema(name: str) -> sql.Program[None]:
    yield sql.Script(f'CREATE SCHEMA IF NOT EXISTS "{name}"')


class PostgresStore(RelationalStore):
    kind = "postgresql"

    def __init__(self, url: str, schema: str | None = None,
                 reactor: IReactorCore | None = None,
                 steps: Sequence[Step] | None = None) -> None:
        """``schema`` (or ``?schema=`` in the URL) puts every table in that
        PostgreSQL schema, created if missing: several services, or test
        runs, can share one database."""
        self._dsn, self.schema, where = parseUrl(url, schema)
        super().__init__(where, steps)
        if reactor is None:
            from twisted.internet import reactor as globalReactor
            reactor = globalReactor
        self._reactor = reactor
        self._connection: txpostgres.Connection | None = None
        self._closing = False

    def _connectOptions(self) -> dict[str, str | int]:
        """Set per connection, so a reconnected session has them too. The
        application name carries the schema so an admin (or a test) can
        tell sessions apart in pg_stat_activity."""
        options: dict[str, str | int] = {
            "application_name": f"imsupport/{self.schema or 'public'}",
            # notice a dead peer on a silent network instead of waiting forever
            "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
            "keepalives_count": 3,
        }
        # JIT compiling pays off for long analytic queries; ours are short,
        # and a month's statistics or a search spent more compiling a plan
        # (hundreds of ms, the archive benchmark found) than running it
        settings = ["-c jit=off"]
        if self.schema:
            settings.append(f"-c search_path={self.schema}")
        options["options"] = " ".join(settings)
        return options

    def _connect(self) -> Deferred[None]:
        self._closing = False
        detector = reconnection.DeadConnectionDetector(
            deathChecker=self._isDeath, reconnectionIterator=self._backoff,
            reactor=self._reactor)
        connection = txpostgres.Connection(reactor=self._reactor, detector=detector)
        detector.addRecoveryHandler(lambda: self._recovered(connection))
        self._connection = connection
        d: Deferred[txpostgres.Connection] = connection.connect(
            self._dsn, **self._connectOptions())
        return d.addCallback(lambda _: None)

    def _beforeUpgrade(self, steps: Sequence[Step]) -> Deferred[None]:
        return self._run(_createSchema(self.schema)) if self.schema else succeed(None)

    def _run(self, program: sql.Program[T]) -> Deferred[T]:
        if self._connection is None:
            program.close()
            return fail(StoreError(f"the store at {self._where} is not connected"))
        d: Deferred[T] = self._connection.runInteraction(
            lambda cursor: Deferred.fromCoroutine(_txnRun(cursor, program)))
        return d.addErrback(_cause)

    def _unavailable(self, error: BaseException) -> bool:
        return unavailable(error)

    def _disconnect(self) -> None:
        self._closing = True
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except AttributeError:
                pass  # the first connect failed: there is no session to close

    # -- reconnection -------------------------------------------------------------

    def _isDeath(self, reason: Failure) -> bool:
        dead = bool(reconnection.defaultDeathChecker(reason))
        if dead and not self._closing:
            message = _cause(reason).getErrorMessage().strip().splitlines()
            log.warn("Lost the PostgreSQL connection to {where} ({error}); reconnecting",
                     where=self._where, error=message[0] if message else "")
        return dead and not self._closing

    def _backoff(self) -> Iterator[float]:
        """From at once up to RECONNECT_MAX_DELAY apart, until the store is
        closed: a refused connection costs the server nothing, and every
        second without one is a second of held writes."""
        for delay in retrying.simpleBackoffIterator(
                initialDelay=0.1, maxDelay=RECONNECT_MAX_DELAY, factor=1.7, maxRetries=0,
                now=True):
            if self._closing:
                return
            yield delay

    def _recovered(self, connection: txpostgres.Connection) -> None:
        if connection is not self._connection:
            connection.close()  # reconnected after the store was closed
            return
        log.info("Reconnected to PostgreSQL at {where}", where=self._where)
