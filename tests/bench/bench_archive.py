"""
Archive benchmark (issue 10, item 9): the API's full-text search, a node's
statistics for a month and one chat's history, on an archive of 100,000
chats and 1,000,000 messages, in SQLite and in PostgreSQL.

    python -m tests.bench.bench_archive [--chats N] [--messages M] [--stores sqlite,postgresql]

(``scripts/bench archive`` prepares the machine and the virtualenv, then runs it.)

For each store:

1. A fresh store (a SQLite file in a temporary directory; a PostgreSQL
   schema ``bench_<random>``, dropped afterwards) gets its schema from the
   real store's open path (tests/bench/archive_store.py ``create``), then
   the generated chats, events and outbox rows by direct bulk SQL
   (archive_data.py says what they look like, archive_load.py how they
   are loaded). Seeded: every run, and both stores, get the same data.
2. The store calls behind the routes are timed in a child process, directly
   (``archive_store time``), and split into SQL and Python.
3. The real service (``twistd imsupport``, tests/e2e/service.py) runs on
   the store, with the generated nodes and operators in its config and
   read-scope ``[[api_tokens]]``. No Prosody: the service opens its store
   and serves the web side and the API while its component keeps trying to
   connect (``/healthz`` then says 503 with ``"xmpp": false``, and the
   routes used here answer all the same).
4. Serial requests on one keep-alive HTTP connection, after a warm-up:
   ``GET /api/v1/chats?q=`` with rare, medium and common words and with
   two words; ``GET /api/v1/stats/nodes/{node}`` for each calendar month;
   ``GET /api/v1/stats/operators/{jid}`` for a month; ``GET
   /api/v1/chats/{id}``. The API's rate limit (20 requests, then 10 a
   second per token) is met by taking turns among several tokens; a 429
   would be waited out and not timed, and is counted.

It prints p50/p99/max against the goals (search and monthly node
statistics: p99 under 200 ms on both stores). Not a test: it asserts
nothing about the figures and exits non-zero only when it could not measure.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from tests.bench.archive_data import (
    NODES,
    OPERATORS,
    TEAMS,
    Generator,
    Spec,
    isoUtc,
    nodesOf,
    operatorJid,
)
from tests.bench.archive_load import loadPostgres, loadSqlite, pgSize, sqliteSize
from tests.bench.archive_report import StoreRun, report
from tests.bench.archive_store import Call, Workload
from tests.bench.archive_words import FUNCTION
from tests.bench.bench_relay import (
    DEFAULT_PG,
    BenchError,
    _stop_service,
    _with_schema,
    check_postgres,
    drop_schema,
    runBench,
    say,
)
from tests.e2e.prosody import Prosody
from tests.e2e.service import ImsupportProcess, ServiceError, free_port, make_config, sqlite_url

TOKENS = 40      # read tokens taken in turn: each may make 10 requests a second
REPO = Path(__file__).resolve().parents[2]
# word classes by the share of messages that have the word (its stem)
CLASSES = (("rare", 1e-9, 5e-5), ("medium", 5e-4, 3e-3), ("common", 1e-2, 1.0))
WORDS_PER_CLASS = 25


# -- the workload -----------------------------------------------------------------------

def chooseWords(gen: Generator, rng: random.Random) -> dict[str, list[tuple[str, int]]]:
    """Per class, words (one form per stem, no function words) and the
    number of messages that have their stem."""
    vocab, counts, total = gen.vocab, gen.result.stem_messages, max(1, gen.result.messages)
    seen: set[int] = set()
    found: dict[str, list[tuple[str, int]]] = {name: [] for name, _, _ in CLASSES}
    for word, stem in zip(vocab.words, vocab.stem_of, strict=True):
        if stem in seen or word in FUNCTION:
            continue
        seen.add(stem)
        share = counts[stem] / total
        for name, low, high in CLASSES:
            if counts[stem] and low <= share <= high:
                found[name].append((word, counts[stem]))
    return {name: sorted(rng.sample(words, min(WORDS_PER_CLASS, len(words))),
                         key=lambda w: -w[1])
            for name, words in found.items()}


def workload(gen: Generator, words: dict[str, list[tuple[str, int]]], requests: int,
             rng: random.Random) -> tuple[list[Call], list[Call]]:
    """(warm-up, measured) calls: each kind's calls together, shuffled."""
    months = list(zip(gen.months, gen.months[1:], strict=False))
    pairs = [f"{a} {b}" for (a, _), (b, _) in zip(words["common"], words["medium"],
                                                   strict=False)]
    pools: dict[str, list[tuple[str, tuple[Any, ...]]]] = {
        "search": [(name, (w,)) for name, ws in words.items() for w, _ in ws]
        + [("two words", (p,)) for p in pairs],
        "node stats": [(node, (node, a, b)) for node, _ in NODES for a, b in months],
        "operator stats": [("", (operatorJid(n), a, b)) for n in range(1, OPERATORS + 1)
                           for a, b in months],
        "history": [("", (rng.randint(1, gen.result.chats),)) for _ in range(requests * 2)],
    }
    sizes = {"search": 2 * requests, "node stats": requests, "operator stats": requests // 3,
             "history": requests}
    warmup: list[Call] = []
    calls: list[Call] = []
    for kind, pool in pools.items():
        if kind == "search":  # the same number of requests for every class
            by_class: dict[str, list[tuple[str, tuple[Any, ...]]]] = {}
            for label, args in pool:
                by_class.setdefault(label, []).append((label, args))
            chosen = [item for items in by_class.values()
                      for item in _cycle(items, sizes[kind] // len(by_class))]
        else:  # every node and month (or operator) before any comes again
            rng.shuffle(pool)
            chosen = _cycle(pool, sizes[kind])
        rng.shuffle(chosen)
        calls += [Call(kind, label, args) for label, args in chosen]
        warmup += [Call(kind, label, args) for label, args in rng.sample(pool, min(20, len(pool)))]
    return warmup, calls


def _cycle(items: list[Any], n: int) -> list[Any]:
    return [items[i % len(items)] for i in range(n)] if items else []


def path(call: Call) -> str:
    if call.kind == "search":
        return "/api/v1/chats?q=" + quote(call.args[0])
    if call.kind == "history":
        return f"/api/v1/chats/{call.args[0]}"
    target, since, until = call.args
    which = "nodes" if call.kind == "node stats" else "operators"
    return (f"/api/v1/stats/{which}/{quote(target, safe='')}?from={isoUtc(since)}"
            f"&to={isoUtc(until)}")


# -- the service ------------------------------------------------------------------------

@dataclass(frozen=True)
class _NoXmpp:
    """What make_config reads of a Prosody: here a port nobody listens on."""

    component: str = "support.shop.test"
    host: str = "127.0.0.1"
    component_port: int = field(default_factory=free_port)
    component_secret: str = "no-server"


def serviceConfig(url: str, workdir: Path, tokens: Sequence[str]) -> str:
    nodes = "".join(
        f'\n[[nodes]]\nname = "{node}"\ntitle = "{node.title()}"\nlanguages = ["ru", "en"]\n'
        f'\n  [[nodes.groups]]\n  name = "team"\n  operators = '
        f'{json.dumps([operatorJid(n) for n in TEAMS[node]])}\n' for node, _ in NODES)
    operators = [{"jid": operatorJid(n), "name": f"Operator {n}", "languages": ["ru", "en"],
                  "max_chats": 3} for n in range(1, OPERATORS + 1) if nodesOf(n)]
    extra = "".join(f'\n[[api_tokens]]\nname = "bench{i}"\ntoken = "{t}"\nscopes = ["read"]\n'
                    for i, t in enumerate(tokens))
    return make_config(cast(Prosody, _NoXmpp()), free_port(), url, workdir=workdir,
                       nodes_toml=nodes, operators=operators, extra_toml=extra)


def startService(service: ImsupportProcess, token: str, timeout: float = 120.0) -> str:
    """Started when its log says it serves and the API answers; returns
    what /healthz says meanwhile."""
    service.start(wait=False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.running:
            raise ServiceError("imsupport exited while starting" + service.log_tail())
        if "serving " in service.log_text():
            status, health = service.health()
            return f"{status} {json.dumps(health)}"
        time.sleep(0.2)
    raise ServiceError(f"imsupport did not start within {timeout:.0f}s" + service.log_tail())


class Api:
    """Serial GETs on one keep-alive connection, tokens in turn."""

    def __init__(self, port: int, tokens: Sequence[str]) -> None:
        self.port, self.tokens, self.turn, self.waited = port, list(tokens), 0, 0
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, target: str) -> tuple[float, Any]:
        """(milliseconds, parsed JSON) of one 200 answer."""
        for _ in range(10):
            self.turn += 1
            headers = {"Authorization": f"Bearer {self.tokens[self.turn % len(self.tokens)]}"}
            started = time.perf_counter()
            try:
                self.connection.request("GET", target, headers=headers)
                response = self.connection.getresponse()
                body = response.read()
            except (http.client.HTTPException, ConnectionError) as e:
                say(f"connection lost ({e}); reconnecting")
                self.connection.close()
                continue
            ms = 1000 * (time.perf_counter() - started)
            if response.status == 429:
                self.waited += 1
                time.sleep(float(response.getheader("Retry-After") or 1))
                continue
            if response.status != 200:
                raise BenchError(f"GET {target}: {response.status} {body[:300]!r}")
            return ms, json.loads(body)
        raise BenchError(f"GET {target}: no answer after 10 tries")

    def close(self) -> None:
        self.connection.close()


def measureHttp(api: Api, warmup: Sequence[Call], calls: Sequence[Call], run: StoreRun,
                max_seconds: float) -> None:
    for call in warmup:
        api.get(path(call))
    started: dict[str, float] = {}
    for call in calls:
        began = started.setdefault(call.kind, time.monotonic())
        if time.monotonic() - began > max_seconds:
            continue
        ms, answer = api.get(path(call))
        run.http.setdefault(call.kind, {}).setdefault(call.label, []).append(ms)
        size = len(answer.get("items", [])) if call.kind == "search" else \
            len(answer.get("events", [])) if call.kind == "history" else answer.get("chats", 0)
        run.results.setdefault(f"{call.kind}/{call.label}", []).append(int(size))


# -- one store --------------------------------------------------------------------------

def child(args: Sequence[str], log: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    with open(log, "ab") as err:
        done = subprocess.run([sys.executable, "-m", "tests.bench.archive_store", *args],
                              stdout=subprocess.PIPE, stderr=err, env=env, cwd=REPO)
    if done.returncode:
        raise BenchError(f"archive_store {args[0]} failed ({done.returncode}):\n"
                         + log.read_text(errors="replace")[-3000:])
    return done.stdout.decode()


def measureStore(args: argparse.Namespace, store: str, tmp: Path,
                 cleanup: contextlib.ExitStack) -> StoreRun:
    run = StoreRun(store)
    workdir = tmp / store
    workdir.mkdir()
    if store == "sqlite":
        url = sqlite_url(workdir / "archive.sqlite")
    else:
        schema = f"bench_{secrets.token_hex(4)}"
        url = _with_schema(args.pg_url, schema)
        if args.keep:
            cleanup.callback(say, f"kept PostgreSQL schema {schema}")
        else:
            cleanup.callback(drop_schema, args.pg_url, schema)
    log = workdir / "archive_store.log"
    child(["create", url], log)
    say(f"{store}: generating {args.chats} chats, {args.messages} messages")
    gen = Generator(Spec(chats=args.chats, messages=args.messages, seed=args.seed))
    started = time.monotonic()
    if store == "sqlite":
        loadSqlite(str(workdir / "archive.sqlite"), gen)
        run.size = sqliteSize(str(workdir / "archive.sqlite"))
    else:
        loadPostgres(url, gen)
    run.generation_s = time.monotonic() - started
    if store == "postgresql":
        run.size, run.tables = pgSize(url)
    result = gen.result
    run.counts = {"chats": result.chats, "messages": result.messages, "events": result.events,
                  "outbox": result.outbox, "clients": len(result.clients)}
    say(f"{store}: generated and loaded in {run.generation_s:.0f}s, {run.size / 1e9:.2f} GB")
    rng = random.Random(args.seed)
    run.words = chooseWords(gen, rng)
    warmup, calls = workload(gen, run.words, args.requests, rng)
    run.months = gen.months
    Workload(warmup, calls, split_every=3, max_seconds=args.max_seconds).save(
        str(workdir / "workload.json"))
    say(f"{store}: timing the store calls in-process")
    timings = child(["time", url, str(workdir / "workload.json")], log)
    run.direct = json.loads(timings)
    tokens = [secrets.token_urlsafe(24) for _ in range(TOKENS)]
    service = ImsupportProcess(serviceConfig(url, workdir / "service", tokens),
                               workdir / "service")
    cleanup.callback(_stop_service, service)
    run.health = startService(service, tokens[0])
    say(f"{store}: imsupport up (pid {service.pid}); /healthz {run.health}")
    api = Api(service.web_port, tokens)
    try:
        measureHttp(api, warmup, calls, run, args.max_seconds)
    finally:
        api.close()
        run.waited_429 = api.waited
        _stop_service(service)
    return run


async def runAll(args: argparse.Namespace, cleanup: contextlib.ExitStack) -> list[StoreRun]:
    tmp = Path(tempfile.mkdtemp(prefix="imsupport-archive-"))
    if args.keep:
        cleanup.callback(say, f"kept {tmp}")
    else:
        cleanup.callback(shutil.rmtree, tmp, True)
    return [measureStore(args, store, tmp, cleanup) for store in args.stores]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scripts/bench archive",
        description="Full-text search, monthly statistics and chat history through the API "
                    "on a generated archive, per store.")
    p.add_argument("--chats", type=int, default=100_000, help="chats (default 100000)")
    p.add_argument("--messages", type=int, default=1_000_000,
                   help="client and operator messages in them (default 1000000)")
    p.add_argument("--stores", default="sqlite,postgresql",
                   help="comma-separated: sqlite, postgresql (default both)")
    p.add_argument("--pg-url", default=os.environ.get("IMSUPPORT_BENCH_PG")
                   or os.environ.get("IMSUPPORT_TEST_PG") or DEFAULT_PG,
                   help="PostgreSQL database; a fresh schema bench_<random> is created in it "
                        "and dropped (default $IMSUPPORT_BENCH_PG, $IMSUPPORT_TEST_PG or "
                        f"{DEFAULT_PG})")
    p.add_argument("--requests", type=int, default=300,
                   help="measured requests of node statistics and of chat history; twice as "
                        "many searches, a third as many operator statistics (default 300)")
    p.add_argument("--max-seconds", type=float, default=120.0,
                   help="stop measuring a kind of request after this long (default 120)")
    p.add_argument("--seed", type=int, default=1, help="of the generated data (default 1)")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory (SQLite file, logs) and the schema "
                        "(also E2E_KEEP=1)")
    args = p.parse_args(argv)
    args.keep = args.keep or os.environ.get("E2E_KEEP") == "1"
    args.stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    bad = [s for s in args.stores if s not in ("sqlite", "postgresql")]
    if bad or not args.stores:
        p.error(f"unknown store(s) {bad}: use sqlite, postgresql")
    if args.chats < 10 or args.messages < 2 * args.chats or args.requests < 3:
        p.error("--chats must be >= 10, --messages >= 2 * --chats, --requests >= 3")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def checks() -> None:
        if "postgresql" in args.stores:
            check_postgres(args.pg_url)

    runs = runBench(runAll, args, checks)
    if isinstance(runs, int):
        return runs
    print(report(args, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
