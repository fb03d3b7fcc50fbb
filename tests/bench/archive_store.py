"""
The store side of the archive benchmark (tests/bench/bench_archive.py),
run as a child process with its own reactor:

    python -m tests.bench.archive_store create URL
    python -m tests.bench.archive_store time URL WORKLOAD.json

``create`` opens the store at URL the way the service does (schema steps,
search index and triggers) and closes it. ``time`` opens it and times the
store calls behind the API routes, directly: ``findChats(q=..., limit=101)``
(what ``GET /chats?q=`` asks for), ``chatFacts(node, since, until)``
and then the pure ``nodeStats`` on its result, the operator's
``chatFacts(..., operator=)`` and state changes (``operatorStates``), and
``chatEvents(id)``. Then, for fewer calls, it runs the very same SQL
programs on a plain driver connection, timing the database (execute and
fetch) apart from the Python that turns the rows into records and facts.
It prints JSON: per call kind and label, the milliseconds of every call.
"""
from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import react

from imsupport.core.statistics import nodeStats
from imsupport.store import makeStore, sql, sqlitePath, sqlsearch, sqlstats
from imsupport.store.sql import Program, Query


@dataclass(frozen=True)
class Call:
    """One request of the workload: ``kind`` search / node stats / operator
    stats / history, ``label`` its class (word class, node), ``args``."""

    kind: str
    label: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Workload:
    warmup: list[Call]
    calls: list[Call]
    split_every: int  # every n-th call is also run split into SQL and Python
    max_seconds: float  # a kind's calls stop after this long

    def save(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump({"calls": [[c.kind, c.label, list(c.args)] for c in self.calls],
                       "warmup": [[c.kind, c.label, list(c.args)] for c in self.warmup],
                       "split_every": self.split_every, "max_seconds": self.max_seconds}, f)

    @classmethod
    def load(cls, path: str) -> Workload:
        with open(path) as f:
            data = json.load(f)
        return cls([Call(k, label, tuple(args)) for k, label, args in data["warmup"]],
                   [Call(k, label, tuple(args)) for k, label, args in data["calls"]],
                   int(data["split_every"]), float(data["max_seconds"]))


Timings = dict[str, dict[str, list[float]]]  # "kind/part" -> label -> ms


def _add(timings: Timings, kind: str, label: str, ms: float) -> None:
    timings.setdefault(kind, {}).setdefault(label, []).append(ms)


async def _timeStore(store: Any, calls: Sequence[Call], timings: Timings | None,
                     max_seconds: float = float("inf")) -> None:
    clock = time.perf_counter
    began: dict[str, float] = {}
    for call in calls:
        started = clock()
        if started - began.setdefault(call.kind, started) > max_seconds:
            continue
        if call.kind == "search":
            await store.findChats(q=call.args[0], limit=101)
        elif call.kind == "node stats":
            node, since, until = call.args
            facts = await store.chatFacts(node, since, until, presence=False)
            middle = clock()
            nodeStats(facts, since, until, time.time())
            if timings is not None:
                _add(timings, "node stats: nodeStats()", call.label,
                     1000 * (clock() - middle))
                _add(timings, "node stats: chatFacts()", call.label,
                     1000 * (middle - started))
        elif call.kind == "operator stats":
            jid, since, until = call.args
            await store.chatFacts(None, since, until, operator=jid)
            middle = clock()
            await store.operatorStates(jid, since, until)
            if timings is not None:
                _add(timings, "operator stats: chatFacts(operator=)", call.label,
                     1000 * (middle - started))
                _add(timings, "operator stats: operatorStates()", call.label,
                     1000 * (clock() - middle))
        elif call.kind == "history":
            await store.chatEvents(call.args[0])
        if timings is not None:
            _add(timings, call.kind, call.label, 1000 * (clock() - started))


def _program(dialect: str, call: Call) -> Program[Any] | None:
    if call.kind == "search":
        return sqlsearch.findChats(dialect, q=call.args[0], limit=101)
    if call.kind == "node stats":
        node, since, until = call.args
        return sqlstats.chatFacts(dialect, node, since, until, presence=False)
    if call.kind == "history":
        return sql.chatEvents(call.args[0], 0)
    return None


def _syncRunner(url: str) -> tuple[str, Callable[[str, Sequence[Any]], list[Any]],
                                   Callable[[], None]]:
    """(dialect, run one query, close) on a plain driver connection."""
    if url.startswith("sqlite"):
        from imsupport.store.sqlite import _thdConfigure
        connection = sqlite3.connect(sqlitePath(url))
        _thdConfigure(connection)

        def runSqlite(text: str, params: Sequence[Any]) -> list[Any]:
            return connection.execute(text, tuple(params)).fetchall()
        return "sqlite", runSqlite, connection.close
    from tests.bench.archive_load import pgConnect
    pg = pgConnect(url)
    pg.autocommit = True

    def runPg(text: str, params: Sequence[Any]) -> list[Any]:
        with pg.cursor() as cursor:
            cursor.execute(text.replace("%", "%%").replace("?", "%s"), tuple(params))
            rows: list[Any] = cursor.fetchall()
            return rows
    return "postgresql", runPg, pg.close


def timeSplit(url: str, calls: Sequence[Call], timings: Timings,
              max_seconds: float = float("inf")) -> None:
    """The store's programs run synchronously: SQL time (execute + fetch)
    and the rest (building the SQL, records and facts in Python)."""
    dialect, run, close = _syncRunner(url)
    clock = time.perf_counter
    began: dict[str, float] = {}
    try:
        for call in calls:
            program = _program(dialect, call)
            now = clock()
            if program is None or now - began.setdefault(call.kind, now) > max_seconds:
                continue
            in_sql = 0.0
            started = clock()
            result: Any = None
            while True:
                try:
                    statement = program.send(result)
                except StopIteration:
                    break
                assert isinstance(statement, Query)
                before = clock()
                result = run(statement.sql, statement.params)
                in_sql += clock() - before
            total = clock() - started
            _add(timings, f"{call.kind}: SQL", call.label, 1000 * in_sql)
            _add(timings, f"{call.kind}: Python", call.label, 1000 * (total - in_sql))
    finally:
        close()


async def _main(reactor: Any, argv: Sequence[str]) -> None:
    command, url = argv[0], argv[1]
    store = makeStore(url, reactor=reactor)
    await store.open()
    try:
        if command == "create":
            return
        work = Workload.load(argv[2])
        timings: Timings = {}
        await _timeStore(store, work.warmup, None)
        await _timeStore(store, work.calls, timings, work.max_seconds)
    finally:
        await store.close()
    timeSplit(url, work.calls[::work.split_every], timings, work.max_seconds)
    json.dump(timings, sys.stdout)


def main(argv: Sequence[str]) -> None:
    if len(argv) < 2 or argv[0] not in ("create", "time") or (argv[0] == "time") != (
            len(argv) == 3):
        sys.exit(__doc__)
    react(lambda reactor: Deferred.fromCoroutine(_main(reactor, argv)))


if __name__ == "__main__":
    main(sys.argv[1:])
