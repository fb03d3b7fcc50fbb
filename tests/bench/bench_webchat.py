"""
Web chat benchmark (issue 11, R-CLI-3): N web chat visitors held open by
Server-Sent Events, each sending a message a minute, next to the same
number of XMPP clients, on the same machine, in one run.

    python -m tests.bench.bench_webchat [--visitors N] [--minutes M] [--rate R]
                                        [--operators K] [--store sqlite]

(``scripts/bench webchat`` prepares the machine and the virtualenv, then runs it.)

One Prosody (bench_relay's: no c2s rate limit) and, per phase, a fresh
``twistd imsupport`` on its own store with one node ``bench`` whose K
operators (tests/bench/fastclient.py clients, ``max_chats`` enough for
all) accept every chat by answering its invitation. The per-sender rate
limits are raised as in the relay benchmark (a visitor's minute is far
under them anyway; the operators accept and echo far faster than people),
and so is the limit of new web chats per address ([limits] web_chat_burst,
web_chats_per_hour), which would otherwise refuse all visitors but the
first ten from 127.0.0.1.

- web: N visitors (tests/bench/webload.py, aiohttp on one loop) each POST
  ``/chat/bench/visitors`` and hold ``GET /chat/bench/events`` open;
- xmpp: N XMPP accounts log in and write to ``bench@<component>``.

Once every chat is active, the window: for ``--minutes`` each client sends
``--rate`` messages a minute, the first at a random offset; the operator
echoes each at once (tests/bench/chatload.py). Printed per phase, side by
side: clients held, messages, the p50/p99/max of client -> operator,
operator -> client and the round trip, the service's VmRSS (idle with the
operators only, with the N chats open, the peak during the window, per
client), its open file descriptors, its CPU and Prosody's, errors and
reconnects. ``--profile`` also samples the service with py-spy during each
window and prints where its time went. Not a test: it prints figures and
asserts nothing about them.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import resource
import secrets
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tests.bench import webload
from tests.bench.bench_files import rss
from tests.bench.bench_relay import (
    NODE_NAME,
    UNTHROTTLED,
    Bench,
    BenchError,
    _metrics_summary,
    _nodes_toml,
    _stop_service,
    _with_schema,
    check_postgres,
    cpu_seconds,
    drop_schema,
    machine_cpu,
    runBench,
    safePrefix,
    say,
    start_profiler,
    stop_profiler,
)
from tests.bench.chatload import Delays, Desk, Party, WebParty, XmppParty, talk
from tests.bench.fastclient import FastClient
from tests.bench.webreport import Phase, report
from tests.e2e.service import ImsupportProcess, free_port, make_config, sqlite_url

DEFAULT_PG = "postgresql://postgres:postgres@127.0.0.1:5432/test"
KINDS = ("web", "xmpp")


@dataclass
class Sampler:
    """The peak VmRSS of some processes, sampled every ``every`` seconds."""
    pids: dict[str, int]
    every: float = 0.5
    peak: Counter[str] = field(default_factory=Counter)

    async def run(self) -> None:
        while True:
            for name, pid in self.pids.items():
                with contextlib.suppress(OSError, BenchError):
                    self.peak[name] = max(self.peak[name], rss(pid))
            await asyncio.sleep(self.every)


def open_files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def raise_file_limit(wanted: int) -> str:
    """This process's (and so its children's: Prosody, imsupport) limit on
    open files, raised towards ``wanted``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < wanted:
        say(f"open files limited to {soft} (hard limit), {wanted} wanted: expect refused "
            f"connections")
    return "unlimited" if soft == resource.RLIM_INFINITY else str(soft)


async def gather_limited(limit: int, work: Sequence[Party], what: str,
                         timeout: float) -> list[BaseException]:
    """``party.begin()`` for all, at most ``limit`` at a time; the failures."""
    gate = asyncio.Semaphore(limit)

    async def one(party: Party) -> None:
        async with gate:
            await asyncio.wait_for(party.begin(), timeout)

    results = await asyncio.gather(*(one(p) for p in work), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        say(f"{what}: {len(failed)} of {len(work)} failed, e.g. {failed[0]!r}")
    return failed


class WebchatBench:
    def __init__(self, args: argparse.Namespace, cleanup: contextlib.ExitStack) -> None:
        self.args = args
        self.cleanup = cleanup
        self.bench = Bench(argparse.Namespace(chats=args.visitors, rounds=1, messages=2,
                                              keep=args.keep), cleanup)
        self.max_chats = args.max_chats or math.ceil(args.visitors / args.operators) + 5

    def store_url(self, kind: str) -> str:
        store = self.args.store
        if store == "memory":
            return "memory:"
        if store == "sqlite":
            return sqlite_url(self.bench.tmp / f"imsupport-{kind}" / "bench.sqlite")
        schema = f"bench_{secrets.token_hex(4)}"
        self.cleanup.callback(drop_schema, self.args.pg_url, schema)
        return _with_schema(self.args.pg_url, schema)

    async def phase(self, kind: str) -> Phase:
        args, bench = self.args, self.bench
        prosody = bench.prosody
        assert prosody is not None
        n = args.visitors
        workdir = bench.tmp / f"imsupport-{kind}"
        workdir.mkdir()
        tag = kind[0]
        operators = await bench.accounts_online(f"{tag}op", args.operators)
        config = make_config(
            prosody, free_port(), self.store_url(kind), workdir=workdir,
            operators=[{"jid": op.bare, "name": f"Op {i}", "languages": ["en"],
                        "max_chats": self.max_chats} for i, op in enumerate(operators)],
            nodes_toml=_nodes_toml([op.bare for op in operators]), extra_toml=UNTHROTTLED)
        service = ImsupportProcess(config, workdir, ready_timeout=60)
        self.cleanup.callback(_stop_service, service)
        prefix = safePrefix(n)
        delays = Delays()
        desk = Desk(operators, NODE_NAME, prefix, delays)
        parties: list[Party] = []
        clients: list[FastClient] = []
        closing: list[object] = []
        figures = Phase(kind, n)
        try:
            service.start()
            pid = service.pid
            assert pid is not None
            pids = {"imsupport": pid, "prosody": prosody.process.pid}  # type: ignore[union-attr]
            if args.service_open_files:
                hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)[1]
                resource.prlimit(pid, resource.RLIMIT_NOFILE, (args.service_open_files, hard))
            await bench._wait_free(service, operators)
            await asyncio.sleep(2.0)
            figures.rss_idle = {name: rss(p) for name, p in pids.items()}
            node = f"{NODE_NAME}@{prosody.component}"
            if kind == "web":
                requests, streams = webload.sessions(args.connections)
                closing += [requests, streams]

                def visitor_of(on_event):  # type: ignore[no-untyped-def]
                    return webload.Visitor(service.base_url, NODE_NAME, requests, streams,
                                           on_event)

                parties = [WebParty(i, prefix, delays, visitor_of) for i in range(n)]
            else:
                clients = await bench.accounts_online(f"{tag}cl", n)
                parties = [XmppParty(i, prefix, delays, c, node) for i, c in enumerate(clients)]
            say(f"{kind}: {n} clients start their chats")
            started = time.monotonic()
            failed = await gather_limited(args.concurrency, parties, f"{kind}: starting",
                                          args.open_timeout)
            figures.start_failures = len(failed)
            await self._accepted(kind, parties, desk, service, args.open_timeout)
            figures.open_seconds = time.monotonic() - started
            await asyncio.sleep(2.0)
            figures.rss_held = {name: rss(p) for name, p in pids.items()}
            figures.files_held = open_files(pid)
            figures.held_before = sum(p.held for p in parties)
            say(f"{kind}: {figures.held_before} clients held, their chats active in "
                f"{figures.open_seconds:.1f}s; the window: {args.minutes:g} min at "
                f"{args.rate:g} messages/min each")
            await self._window(figures, parties, prefix, delays, pids, service)
            figures.held_after = sum(p.held for p in parties)
            figures.delays = delays
            figures.echoes = sum(p.echoes for p in parties)
            figures.errors = sum((p.errors for p in parties), Counter())
            figures.reconnects = sum(p.reconnects for p in parties)
            figures.post_ns = [x for p in parties if isinstance(p, WebParty)
                               for x in p.visitor.post_ns]
            figures.unknown_invitations = len(desk.unknown)
            figures.notices = sum(p.notices for p in parties)
            figures.operators_lost = service.log_text().count("did not answer a ping")
            return figures
        finally:
            await asyncio.gather(*(p.close() for p in parties), return_exceptions=True)
            for session in closing:
                await session.close()  # type: ignore[attr-defined]
            await asyncio.to_thread(_stop_service, service)
            await bench.close_clients(operators + clients)

    async def _accepted(self, kind: str, parties: Sequence[Party], desk: Desk,
                        service: ImsupportProcess, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = -1
        while True:
            done = sum(p.accepted.is_set() for p in parties)
            if done == len(parties):
                return
            if done != last:
                say(f"{kind}: {done} of {len(parties)} chats active, "
                    f"{desk.invitations} invitations")
                last = done
            if time.monotonic() > deadline or not service.running:
                raise BenchError(f"{kind}: only {done} of {len(parties)} chats became active "
                                 f"within {timeout:.0f}s ({desk.invitations} invitations, "
                                 f"{len(desk.unknown)} naming nobody)"
                                 + await asyncio.to_thread(_metrics_summary, service)
                                 + service.log_tail(30))
            await asyncio.sleep(2.0)

    async def _window(self, figures: Phase, parties: Sequence[Party], prefix: str,
                      delays: Delays, pids: dict[str, int], service: ImsupportProcess) -> None:
        args = self.args
        sampler = Sampler(pids)
        sampling = asyncio.get_running_loop().create_task(sampler.run())
        output = service.workdir / "py-spy.txt"
        profiler = start_profiler(pids["imsupport"], output) if args.profile else None
        cpu_before = {name: cpu_seconds(p) for name, p in pids.items()}
        self_before = sum(os.times()[:2])
        machine_before = machine_cpu()
        started = time.monotonic()
        try:
            await talk(parties, prefix, delays, seconds=60 * args.minutes, rate=args.rate)
            deadline = time.monotonic() + args.drain
            while time.monotonic() < deadline and (
                    sum(p.echoes for p in parties) < delays.sent - delays.unsent):
                await asyncio.sleep(0.2)
        finally:
            sampling.cancel()
            await asyncio.gather(sampling, return_exceptions=True)
            if profiler is not None:
                figures.profile = await asyncio.to_thread(stop_profiler, profiler, output)
        figures.window_seconds = time.monotonic() - started
        figures.rss_peak = dict(sampler.peak)
        figures.files_after = open_files(pids["imsupport"])
        for name, pid in pids.items():
            before, after = cpu_before[name], cpu_seconds(pid)
            if before is not None and after is not None:
                figures.cpu[name] = after - before
        figures.cpu["load (this process)"] = sum(os.times()[:2]) - self_before
        machine_after = machine_cpu()
        if machine_after[2] > machine_before[2]:
            scale = (os.cpu_count() or 1) * figures.window_seconds \
                / (machine_after[2] - machine_before[2])
            figures.cpu["machine"] = scale * (machine_after[0] - machine_before[0])
            figures.cpu["stolen"] = scale * (machine_after[1] - machine_before[1])
        if not service.running:
            raise BenchError(f"imsupport exited during the {figures.kind} window"
                             + service.log_tail(30))


async def run(args: argparse.Namespace, cleanup: contextlib.ExitStack) -> list[Phase]:
    limit = raise_file_limit(4 * args.visitors + 4 * args.operators + 1024)
    say(f"open files limit: {limit}")
    bench = WebchatBench(args, cleanup)
    bench.bench.start_prosody()
    return [await bench.phase(kind) for kind in args.kinds]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/bench webchat",
                                description=(__doc__ or "").split("\n\n")[0].strip())
    p.add_argument("--visitors", type=int, default=1000,
                   help="web visitors, and XMPP clients (default 1000)")
    p.add_argument("--minutes", type=float, default=3.0,
                   help="length of the measured window (default 3)")
    p.add_argument("--rate", type=float, default=1.0,
                   help="messages per minute from each client (default 1)")
    p.add_argument("--operators", type=int, default=50,
                   help="operators accepting the chats (default 50)")
    p.add_argument("--max-chats", type=int, default=0,
                   help="each operator's max_chats (default: visitors / operators + 5)")
    p.add_argument("--only", choices=KINDS, help="run one phase only")
    p.add_argument("--store", choices=("sqlite", "postgresql", "memory"), default="sqlite",
                   help="the service's store (default sqlite)")
    p.add_argument("--pg-url", default=os.environ.get("IMSUPPORT_BENCH_PG")
                   or os.environ.get("IMSUPPORT_TEST_PG") or DEFAULT_PG,
                   help="with --store postgresql: the database (a fresh schema is made "
                        "and dropped)")
    p.add_argument("--concurrency", type=int, default=50,
                   help="clients starting their chats at the same time (default 50)")
    p.add_argument("--connections", type=int, default=100,
                   help="keep-alive connections the visitors' POSTs share (default 100)")
    p.add_argument("--open-timeout", type=float, default=600.0,
                   help="seconds for all chats to become active (default 600)")
    p.add_argument("--drain", type=float, default=30.0,
                   help="seconds to wait for the last echoes after the window (default 30)")
    p.add_argument("--service-open-files", type=int, default=0, metavar="N",
                   help="limit the service to N open files, as a systemd unit does by "
                        "default (1024); default: as this process (raised for the load)")
    p.add_argument("--profile", action="store_true",
                   help="sample imsupport with py-spy during each window (pip install "
                        "py-spy; it takes CPU from the same cores)")
    p.add_argument("--keep", action="store_true", help="keep the logs (also E2E_KEEP=1)")
    args = p.parse_args(argv)
    if min(args.visitors, args.operators, args.concurrency, args.connections) < 1 \
            or args.minutes <= 0 or args.rate <= 0:
        p.error("--visitors, --operators, --concurrency, --connections must be >= 1; "
                "--minutes and --rate > 0")
    if args.max_chats and args.max_chats * args.operators < args.visitors:
        p.error("--max-chats x --operators must be at least --visitors")
    args.kinds = (args.only,) if args.only else KINDS
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def checks() -> None:
        if args.store == "postgresql":
            check_postgres(args.pg_url)

    phases = runBench(run, args, checks)
    if isinstance(phases, int):
        return phases
    print(report(args, phases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
