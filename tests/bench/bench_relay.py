"""
Relay benchmark: messages per second through imsupport against a direct
baseline through the same Prosody, measured in one run.

    python -m tests.bench.bench_relay [--chats N] [--messages M] [--stores sqlite,postgresql]
                                      [--webhooks]

(``scripts/bench`` prepares the machine and the virtualenv, then runs this.)

What runs
---------
One Prosody (tests/e2e/prosody.py) with info logging, a raised stanza size
limit and raised ``limits``. Prosody 0.12 throttles c2s only when mod_limits
is in ``modules_enabled``; the harness does not list it, so there is no rate
limit at all; the ``limits`` block is set anyway so nothing throttles even if
someone enables the module.

For each store (``sqlite``, ``postgresql``; ``memory``, the test store, on
request to see the relay without storage) a fresh ``twistd imsupport``
(tests/e2e/service.py) with one node ``bench`` whose single wave-1 group
holds N operators with ``max_chats = 1``. N operators log in, N clients each
write a first message to ``bench@support.shop.test``; every operator gets
exactly one invitation (the sequential ring offers one chat per free
operator) and accepts it by replying. Once all N chats are active the
measured phase starts. PostgreSQL gets a fresh schema ``bench_<random>``,
dropped afterwards.

The baseline: N pairs of accounts messaging each other directly through the
same Prosody, with the same message pattern. The pairs stay online all along
and each store's messages are measured in ``--rounds`` rounds, each a relay
run and a direct run, in alternating order (relay-direct, direct-relay, ...).
A virtual machine's speed drifts by 10-40% within a minute (CPU stolen by
the hypervisor, shown in the table), so a baseline measured at another time
would make the ratio meaningless; interleaved, both see the same machine.
Each relay row's ratio is against the direct row measured alongside it.

The message pattern
-------------------
In every run each chat (or pair) has two flows, one per direction, of
M / 2 / rounds messages each. A flow keeps up to ``--window`` messages in
flight (sent, not yet received by the other side): it sends ``window`` at
once and one more each time one arrives. So with the defaults up to 10
messages per chat are in flight and 20 chats keep up to 200 in flight. A run
ends when every message has arrived; messages/s = measured messages / the
summed time from each run's first send to its last arrival.

Each body is ``<prefix><flow> <seq> <send time ns> <padding>`` padded to
``--body-bytes``; only bodies with this run's prefix are counted (the
service's notices are not). Latency = arrival time - the send time in the
body, same process, same monotonic clock. Order and sender are checked per
flow (reordering or wrong senders are reported, not fatal).

The clients
-----------
All clients (2N direct, 2N per store) are tests/bench/fastclient.py clients
on ONE asyncio loop in this process (an expat parser, stanzas written as
strings). slixmpp clients cost more CPU per stanza than Prosody does (20
slixmpp pairs: clients at 98% of a core, Prosody at 79%), so they, not
Prosody, would bound the baseline. This process, Prosody and imsupport share
the machine's cores (2 on the reference machine): the table shows how much
CPU each used during the runs, so you can see which one was saturated.

``--webhooks`` measures each store a second time, on a fresh store and
service, with webhooks flowing to a local receiver and a backlog of outbox
events to deliver, and prints both side by side (see tests/bench/hookload.py).

``--profile`` also samples imsupport with py-spy during each relay phase
(``pip install py-spy``) and prints where its main thread spends its time.
Sampling costs CPU on the same cores, so the throughput of a profiled run is
lower; compare the figures of runs without it.
"""
from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import math
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tests.bench import hookload
from tests.bench.fastclient import FastClient, Incoming, XmppFailure
from tests.e2e.prosody import Prosody, ProsodyError
from tests.e2e.service import (
    ImsupportProcess,
    ServiceError,
    free_port,
    make_config,
    sqlite_url,
)
from tests.metricstext import has, samples

NODE_NAME = "bench"
GOAL = 0.45          # relay/direct asked for in the issue
BARE_RELAY = 0.55    # what a relay without storage reaches, per the issue
DEFAULT_PG = "postgresql://postgres:postgres@127.0.0.1:5432/test"

PROSODY_EXTRA = """\
-- bench: nothing may throttle clients (mod_limits is not loaded; if it were, these apply)
limits = {
    c2s = { rate = "1000mb/s"; burst = "60s" };
    s2sin = { rate = "1000mb/s"; burst = "60s" };
}
c2s_stanza_size_limit = 4*1024*1024
"""


# Each benchmark chat sends hundreds of messages a second, far above what a
# person sends; the per-sender rate limits (checked on every message all the
# same) are raised so they do not throttle what is measured, as is the limit
# of new web chats per address. bench_flood
# measures them at their defaults.
UNTHROTTLED = "\n[limits]\n" + "".join(
    f"{who}_message_burst = 1000000\n{who}_messages_per_second = 1000000.0\n"
    f"{who}_byte_burst = 1000000000\n{who}_bytes_per_second = 1000000000.0\n"
    for who in ("client", "operator")) + (
    # bench_webchat starts 1,000 web chats from one loopback address
    "web_chat_burst = 1000000\nweb_chats_per_hour = 1000000.0\n")


T = TypeVar("T")


class BenchError(RuntimeError):
    """The benchmark could not run; the message says what and shows the logs."""


def say(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


# -- the measured phase -------------------------------------------------------

@dataclass
class Flow:
    """One direction of one chat: ``sender`` writes to ``to``, ``receiver``
    gets it from ``expect_from``."""
    index: int
    label: str
    sender: FastClient
    to: str
    receiver: FastClient
    expect_from: str
    total: int
    next_seq: int = 0
    received: int = 0
    expected_seq: int = 0
    reordered: int = 0
    wrong_from: int = 0


@dataclass
class Measurement:
    name: str
    messages: int
    seconds: float
    latencies_ns: list[int]
    cpu: dict[str, float]          # process -> CPU seconds during the phase
    reordered: int = 0
    wrong_from: int = 0
    other_messages: int = 0        # messages without our prefix seen during the phase
    notes: list[str] = field(default_factory=list)
    store_write_ms: float | None = None
    profile: str | None = None
    hooks: hookload.HookFigures | None = None   # a webhook run's deliveries

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0

    @classmethod
    def merge(cls, name: str, parts: Sequence[Measurement]) -> Measurement:
        """Several rounds of one kind as one: sums, and all latencies."""
        cpu: Counter[str] = Counter()
        for part in parts:
            cpu.update(part.cpu)
        return cls(name, sum(p.messages for p in parts), sum(p.seconds for p in parts),
                   [x for p in parts for x in p.latencies_ns], dict(cpu),
                   reordered=sum(p.reordered for p in parts),
                   wrong_from=sum(p.wrong_from for p in parts),
                   other_messages=sum(p.other_messages for p in parts),
                   notes=[n for p in parts for n in p.notes])

    def percentile_ms(self, p: float) -> float:
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)   # nearest rank
        k = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
        return ordered[k] / 1e6


def machine_cpu() -> tuple[float, float, float]:
    """(busy, stolen, all) CPU seconds of the whole machine so far, from
    /proc/stat. Stolen: time the hypervisor gave our virtual CPUs to others."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return (0.0, 0.0, 0.0)
    values += [0] * (8 - len(values))
    tick = os.sysconf("SC_CLK_TCK")
    idle, steal = values[3] + values[4], values[7]   # idle + iowait; steal
    total = sum(values)
    return ((total - idle - steal) / tick, steal / tick, total / tick)


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process (all its threads), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


_FILTER: list = []


def safePrefix(flows: int) -> str:
    """A random body prefix that imsupport's profanity and link filters let
    through with every flow number after it: a random "b3f4fa6:" can read as
    a rude word once digits count as letters, and a blocked message would
    stall the run. The sequence number after the flow has two digits or
    more: two single characters apart ("4 6") read as a word spelled out,
    which blocked about one message in 40,000."""
    if not _FILTER:
        from imsupport.core.filters import MessageFilter
        _FILTER.append(MessageFilter.fromConfig([], []))
    while True:
        prefix = f"b{secrets.token_hex(3)}:"
        if not any(_FILTER[0].check(f"{prefix}{i} 00 1 xxxx") for i in range(flows)):
            return prefix


async def measure(name: str, flows: list[Flow], *, window: int, body_bytes: int,
                  stall_timeout: float, pids: dict[str, int],
                  check: Callable[[], str | None] = lambda: None,
                  diagnostics: Callable[[], str] = lambda: "") -> Measurement:
    """Run the flows to the end; every receiver gets one handler."""
    prefix = safePrefix(len(flows))
    head = [f"<message to='{f.to}' type='chat' id='{f.index}-".encode() for f in flows]
    mid = f"'><body>{prefix}".encode()
    # "<prefix><flow> <seq> <19-digit ns> " then padding up to body_bytes
    pad = b"x" * max(0, body_bytes - len(prefix) - 30)
    tail = b" " + pad + b"</body></message>"
    latencies: list[int] = []
    other: list[int] = [0]
    remaining = [len([f for f in flows if f.total])]
    done = asyncio.Event()
    clock = time.perf_counter_ns
    last_arrival = [0]

    def send(flow: Flow) -> None:
        seq = flow.next_seq
        flow.next_seq += 1
        i = flow.index
        flow.sender.transport.write(b"".join((  # type: ignore[union-attr]
            head[i], str(seq).encode(), mid, f"{i} {seq:02d} {clock()}".encode(), tail)))

    def handler_for(receiver: FastClient) -> Callable[[Incoming], None]:
        def on_message(m: Incoming) -> None:
            body = m.body
            if body is None or not body.startswith(prefix):
                if body:
                    other[0] += 1
                receiver.inbox.append(m)
                return
            now = clock()
            i, seq, sent = body[len(prefix):].split(" ", 3)[:3]
            flow = flows[int(i)]
            latencies.append(now - int(sent))
            seq_n = int(seq)
            if seq_n != flow.expected_seq:
                flow.reordered += 1
            flow.expected_seq = max(flow.expected_seq, seq_n + 1)
            if m.from_bare != flow.expect_from:
                flow.wrong_from += 1
            flow.received += 1
            last_arrival[0] = now
            if flow.next_seq < flow.total:
                send(flow)
            if flow.received == flow.total:
                remaining[0] -= 1
                if remaining[0] == 0:
                    done.set()
        return on_message

    for flow in flows:
        flow.receiver.inbox.clear()   # from now on: only what arrives during the run
        flow.receiver.on_message = handler_for(flow.receiver)
    cpu_before = {k: cpu_seconds(pid) for k, pid in pids.items()}
    self_before = sum(os.times()[:2])
    machine_before = machine_cpu()
    started = clock()
    for flow in flows:
        for _ in range(min(window, flow.total)):
            send(flow)
    if not remaining[0]:
        done.set()
    progress, progress_at = -1, time.monotonic()
    while not done.is_set():
        try:
            await asyncio.wait_for(done.wait(), 0.5)
        except TimeoutError:
            pass
        if done.is_set():
            break
        problem = check()
        lost = sorted({c.bare for f in flows for c in (f.sender, f.receiver) if c.error})
        if lost:
            first = next(c.error for f in flows for c in (f.sender, f.receiver)
                         if c.bare == lost[0])
            problem = f"{len(lost)} clients lost their connection ({lost[0]}: {first})"
        got = sum(f.received for f in flows)
        if got != progress:
            progress, progress_at = got, time.monotonic()
        elif time.monotonic() - progress_at > stall_timeout:
            problem = f"no message arrived for {stall_timeout:.0f}s"
        if problem:
            stuck = [f for f in flows if f.received < f.total]
            lines = [f"  {f.label}: {f.received}/{f.total} arrived, {f.next_seq} sent"
                     + (f"; other messages to {f.receiver.bare} meanwhile:\n"
                        f"{f.receiver.describe_inbox(3)}" if f.receiver.inbox else "")
                     for f in stuck[:8]]
            more = f"\n  ... and {len(stuck) - 8} more" if len(stuck) > 8 else ""
            raise BenchError(f"{name}: {problem}; {got} of {sum(f.total for f in flows)} "
                             f"messages arrived; {len(stuck)} of {len(flows)} flows not done:\n"
                             + "\n".join(lines) + more + diagnostics())
    seconds = (last_arrival[0] - started) / 1e9
    cpu = {k: (after - before) for k, pid in pids.items()
           if (before := cpu_before[k]) is not None and (after := cpu_seconds(pid)) is not None}
    cpu["bench clients"] = sum(os.times()[:2]) - self_before
    machine_after = machine_cpu()
    if machine_after[2] > machine_before[2]:
        # shares of all cores, scaled to "% of one core" like the others
        scale = (os.cpu_count() or 1) * seconds / (machine_after[2] - machine_before[2])
        cpu["machine"] = scale * (machine_after[0] - machine_before[0])
        cpu["stolen"] = scale * (machine_after[1] - machine_before[1])
    for flow in flows:
        flow.receiver.on_message = flow.receiver._to_inbox
    return Measurement(name, sum(f.received for f in flows), seconds, latencies, cpu,
                       reordered=sum(f.reordered for f in flows),
                       wrong_from=sum(f.wrong_from for f in flows), other_messages=other[0])


def make_flows(pairs: Sequence[tuple[str, FastClient, str, FastClient, str]],
               per_direction: int) -> list[Flow]:
    """``pairs``: (label, a, address a writes to, b, address b writes to);
    a's messages reach b from a's address as b sees it, and the other way."""
    flows: list[Flow] = []
    for label, a, a_to, b, b_to in pairs:
        flows.append(Flow(len(flows), f"{label} ->", a, a_to, b, b_to, per_direction))
        flows.append(Flow(len(flows), f"{label} <-", b, b_to, a, a_to, per_direction))
    return flows


# -- the run --------------------------------------------------------------------

class Bench:
    def __init__(self, args: argparse.Namespace, cleanup: contextlib.ExitStack) -> None:
        self.args = args
        self.cleanup = cleanup
        self.n = args.chats
        self.rounds = args.rounds
        self.per_round = max(1, args.messages // 2 // args.rounds)   # per direction
        self.keep = args.keep or os.environ.get("E2E_KEEP") == "1"
        self.tmp = Path(tempfile.mkdtemp(prefix="imsupport-bench-"))
        if self.keep:
            cleanup.callback(say, f"kept the logs in {self.tmp}")
        else:
            cleanup.callback(shutil.rmtree, self.tmp, True)
        self.prosody: Prosody | None = None
        self.pool = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="bench")
        cleanup.callback(self.pool.shutdown, cancel_futures=True)

    # -- set-up helpers --

    def start_prosody(self) -> Prosody:
        prosody = Prosody(self.tmp / "prosody" if self.keep else None, log_level="info",
                          extra_config=PROSODY_EXTRA)
        self.cleanup.callback(self._stop_prosody, prosody)
        prosody.start()
        self.prosody = prosody
        say(f"Prosody up (pid {prosody.process.pid}, c2s port {prosody.c2s_port})")  # type: ignore[union-attr]
        return prosody

    @staticmethod
    def _stop_prosody(prosody: Prosody) -> None:
        try:
            prosody.cleanup()
        except Exception as e:  # noqa: BLE001 -- keep cleaning up the rest
            say(f"could not stop Prosody: {e}")

    async def accounts_online(self, prefix: str, count: int) -> list[FastClient]:
        """Register ``<prefix>0..`` in parallel (prosodyctl) and log them all in."""
        assert self.prosody is not None
        prosody = self.prosody
        loop = asyncio.get_running_loop()
        names = [f"{prefix}{i}" for i in range(count)]
        started = time.monotonic()
        await asyncio.gather(*(loop.run_in_executor(self.pool, prosody.register, name, f"pw-{name}")
                               for name in names))
        registered = time.monotonic()
        clients = [FastClient(name, prosody.domain, f"pw-{name}") for name in names]
        results = await asyncio.gather(*(c.connect(prosody.host, prosody.c2s_port)
                                         for c in clients), return_exceptions=True)
        failed = [f"  {c.bare}: {r}" for c, r in zip(clients, results, strict=True)
                  if isinstance(r, BaseException)]
        if failed:
            raise BenchError(f"{len(failed)} of {count} {prefix}* accounts could not log in:\n"
                             + "\n".join(failed[:10]) + prosody.log_tail(20))
        # One round trip each: Prosody has processed the initial presence when
        # the answer comes, so nothing sent to them goes to offline storage.
        await asyncio.gather(*(c.iq("get", "<ping xmlns='urn:xmpp:ping'/>", to=prosody.domain)
                               for c in clients))
        say(f"{count} accounts {prefix}*: registered in {registered - started:.1f}s, "
            f"online in {time.monotonic() - registered:.1f}s")
        return clients

    async def close_clients(self, clients: Sequence[FastClient]) -> None:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)

    # -- the direct baseline --

    async def open_pairs(self) -> list[tuple[str, FastClient, str, FastClient, str]]:
        """N pairs of accounts that have exchanged one message each way (the
        same warm-up as a chat's first message and acceptance); they stay
        online for the whole benchmark."""
        n = self.n
        a_side = await self.accounts_online("dira", n)
        b_side = await self.accounts_online("dirb", n)
        for i, (a, b) in enumerate(zip(a_side, b_side, strict=True)):
            a.send_message(b.bare, f"hello {i}")
        await gather_all("first message", [
            (f"pair {i}", b.wait_message(_from(a.bare), 15, "first message"))
            for i, (a, b) in enumerate(zip(a_side, b_side, strict=True))], self._prosody_log)
        for i, (a, b) in enumerate(zip(a_side, b_side, strict=True)):
            b.send_message(a.bare, f"hello back {i}")
        await gather_all("reply", [
            (f"pair {i}", a.wait_message(_from(b.bare), 15, "reply"))
            for i, (a, b) in enumerate(zip(a_side, b_side, strict=True))], self._prosody_log)
        say(f"{n} direct pairs ready")
        return [(f"pair {i} ({a.user}/{b.user})", a, b.bare, b, a.bare)
                for i, (a, b) in enumerate(zip(a_side, b_side, strict=True))]

    async def measure_direct(self, pairs: list[tuple[str, FastClient, str, FastClient, str]],
                             name: str, per_direction: int) -> Measurement:
        return await measure(name, make_flows(pairs, per_direction), window=self.args.window,
                             body_bytes=self.args.body_bytes,
                             stall_timeout=self.args.stall_timeout, pids=self._pids(),
                             check=self._prosody_alive, diagnostics=self._prosody_log)

    # -- a relay run through imsupport --

    async def relay(self, store: str, pairs: list[tuple[str, FastClient, str, FastClient, str]],
                    webhooks: bool = False) -> list[Measurement]:
        """Set up imsupport on ``store`` with N active chats, then measure in
        rounds, alternating a relay run and a direct run (ABBA order), so
        both see the same state of this (virtual, shared) machine.
        Returns [direct measured alongside, relay]. ``webhooks``: with a
        webhook receiver and an outbox backlog (tests/bench/hookload.py)."""
        assert self.prosody is not None
        prosody, n = self.prosody, self.n
        tag = {"sqlite": "sq", "postgresql": "pg", "memory": "mem"}[store] + ("wh" * webhooks)
        suffix = hookload.SUFFIX if webhooks else ""
        workdir = self.tmp / f"imsupport-{store}{'-webhooks' * webhooks}"
        workdir.mkdir()
        if store == "memory":
            url = "memory:"
        elif store == "sqlite":
            url = sqlite_url(workdir / "bench.sqlite")
        else:
            schema = f"bench_{secrets.token_hex(4)}"
            url = _with_schema(self.args.pg_url, schema)
            self.cleanup.callback(drop_schema, self.args.pg_url, schema)
        hooks: hookload.HookLoad | None = None
        if webhooks:
            hooks = hookload.HookLoad(workdir, self.args.hook_backlog)
            self.cleanup.callback(hooks.stop)
            hooks.start_receiver()
            say(f"{store}: webhook receiver up (pid {hooks.pid}); filling the outbox")
            say(f"{store}: {await hooks.fill(url)}")
        operators = await self.accounts_online(f"{tag}op", n)
        clients: list[FastClient] = []
        config = make_config(
            prosody, free_port(), url, workdir=workdir,
            operators=[{"jid": op.bare, "name": f"Op {i}", "languages": ["en"], "max_chats": 1}
                       for i, op in enumerate(operators)],
            nodes_toml=_nodes_toml([op.bare for op in operators]),
            extra_toml=UNTHROTTLED + (hooks.config_toml() if hooks else ""))
        service = ImsupportProcess(config, workdir, ready_timeout=30)
        self.cleanup.callback(_stop_service, service)
        profiler: subprocess.Popen[bytes] | None = None
        try:
            started = time.monotonic()
            if hooks is not None:
                hooks.service_started()
            # In this thread, not a worker: the harness starts the child with
            # PR_SET_PDEATHSIG, which fires when the *thread* that forked it ends.
            service.start()
            say(f"{store}: imsupport up (pid {service.pid}) in {time.monotonic() - started:.1f}s")
            await self._wait_free(service, operators)
            clients = await self.accounts_online(f"{tag}cl", n)
            chats = await self._open_chats(service, operators, clients)
            node = f"{NODE_NAME}@{prosody.component}"
            chat_pairs = [(f"chat {chat} ({c.user}/{op.user})", c, node, op, address)
                          for chat, c, op, address in chats]
            before = _metric_values(service)
            pids = self._pids(service)
            if store == "postgresql":
                backend = await asyncio.to_thread(pg_backend_pid, self.args.pg_url, schema)
                if backend is not None:
                    pids["postgres backend"] = backend
            if hooks is not None and hooks.pid is not None:
                pids["receiver"] = hooks.pid
            rounds, per_direction = self.rounds, self.per_round
            say(f"{store}: {n} chats active; {rounds} rounds of {2 * n * per_direction} relayed "
                + ("messages" if self.args.no_direct else
                   f"and {2 * n * per_direction} direct messages"))
            if self.args.profile:
                profiler = start_profiler(service.pid, workdir / "py-spy.txt")  # type: ignore[arg-type]
            relayed_runs: list[Measurement] = []
            direct_runs: list[Measurement] = []
            for r in range(rounds):
                order = ("relay", "direct") if r % 2 == 0 else ("direct", "relay")
                for kind in order:
                    if kind == "direct" and pairs:
                        with hooks.frozen(service.pid, profiler and profiler.pid) if hooks \
                                else contextlib.nullcontext():
                            direct_runs.append(await self.measure_direct(
                                pairs, f"direct ({store}{suffix} round {r + 1})",
                                per_direction))
                    elif kind == "relay":
                        window_start = time.monotonic()
                        relayed_runs.append(await measure(
                            f"relay {store}{suffix} round {r + 1}",
                            make_flows(chat_pairs, per_direction),
                            window=self.args.window, body_bytes=self.args.body_bytes,
                            stall_timeout=self.args.stall_timeout, pids=pids,
                            check=lambda: self._relay_alive(service),
                            diagnostics=lambda: _metrics_summary(service) + service.log_tail(30)
                            + prosody.log_tail(10)))
                        if hooks is not None:
                            hooks.window(window_start, time.monotonic())
            result = Measurement.merge(f"relay {store}{suffix}", relayed_runs)
            if profiler is not None:
                result.profile = stop_profiler(profiler, workdir / "py-spy.txt")
                profiler = None
            if hooks is not None:
                await hooks.idle(self.args.hook_idle)
                result.hooks = await asyncio.to_thread(hooks.figures)
            after = _metric_values(service)
            writes = after.get("imsupport_store_write_seconds_count", 0) \
                - before.get("imsupport_store_write_seconds_count", 0)
            if writes:
                result.store_write_ms = 1000 * (
                    after.get("imsupport_store_write_seconds_sum", 0)
                    - before.get("imsupport_store_write_seconds_sum", 0)) / writes
            relayed = after.get("imsupport_messages_relayed_total", 0) \
                - before.get("imsupport_messages_relayed_total", 0)
            if relayed != result.messages:
                result.notes.append(f"imsupport counted {relayed:.0f} relayed messages, "
                                    f"the clients {result.messages}")
            if direct_runs:
                return [Measurement.merge(f"direct ({store}{suffix})", direct_runs), result]
            return [result]
        finally:
            if profiler is not None:
                profiler.kill()
                profiler.wait()
            await asyncio.to_thread(_stop_service, service)
            await self.close_clients(operators + clients)
            if hooks is not None:
                hooks.stop()

    async def _wait_free(self, service: ImsupportProcess, operators: list[FastClient],
                         timeout: float = 30.0) -> None:
        """The service follows every operator's presence: all N are free."""
        want = len(operators)
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = await asyncio.to_thread(_metrics_text, service)
            if has(text, 'imsupport_operators{state="free"}', want):
                return
            if not service.running:
                break
            await asyncio.sleep(0.2)
        asked = [op.bare for op in operators if any(p.type == "subscribe" for p in op.presences)]
        raise BenchError(f"imsupport does not see all {len(operators)} operators as free "
                         f"after {timeout:.0f}s; {len(asked)} of them got its subscription "
                         f"request. /metrics:\n"
                         + "\n".join(line for line in text.splitlines()
                                     if line.startswith("imsupport_operators"))
                         + service.log_tail(40))

    async def _open_chats(self, service: ImsupportProcess, operators: list[FastClient],
                          clients: list[FastClient],
                          timeout: float = 30.0) -> list[tuple[int, FastClient, FastClient, str]]:
        """Every client writes once; every operator gets one invitation and accepts it.
        Returns (chat number, client, operator, chat address)."""
        assert self.prosody is not None
        node = f"{NODE_NAME}@{self.prosody.component}"
        by_jid = {c.bare: c for c in clients}
        started = time.monotonic()
        for c in clients:
            c.send_message(node, f"Hello, this is {c.user}. Where is my order?")
        chat_address = re.compile(rf"^{NODE_NAME}\+(\d+)@")

        def invitation(m: Incoming) -> bool:
            return bool(chat_address.match(m.from_)) and "New chat #" in (m.body or "")

        invitations = await asyncio.gather(
            *(op.wait_message(invitation, timeout, "invitation") for op in operators),
            return_exceptions=True)
        missing = [f"  {r}" for r in invitations if isinstance(r, BaseException)]
        if missing:
            raise BenchError(f"{len(missing)} of {len(operators)} operators got no invitation "
                             f"within {timeout:.0f}s:\n" + "\n".join(missing[:5])
                             + _metrics_summary(service) + service.log_tail(40))
        chats = []
        for op, inv in zip(operators, invitations, strict=True):
            assert isinstance(inv, Incoming)
            found = re.search(r"^Client: (\S+)$", inv.body or "", re.MULTILINE)
            client = by_jid.get(found.group(1)) if found else None
            if client is None:
                raise BenchError(f"{op.bare}: cannot tell the client from the invitation "
                                 f"{inv.body!r}")
            chats.append((int(chat_address.match(inv.from_).group(1)),  # type: ignore[union-attr]
                          client, op, inv.from_bare))
        doubled = [c.bare for c, k in Counter(c for _, c, _, _ in chats).items() if k > 1]
        if doubled:
            raise BenchError(f"several operators were invited to the chats of {doubled}"
                             + service.log_tail(40))
        for _, _, op, address in chats:
            op.send_message(address, f"Hello from operator {op.user}, how can I help?")
        waits = [client.wait_message(lambda m, hello=f"Hello from operator {op.user},":
                                     m.from_bare == node and (m.body or "").startswith(hello),
                                     timeout, f"accepting reply of {op.bare}")
                 for _, client, op, _ in chats]
        waits += [op.wait_message(lambda m, a=address: m.from_bare == a
                                  and "You are in chat" in (m.body or ""),
                                  timeout, "acceptance notice")
                  for _, _, op, address in chats]
        results = await asyncio.gather(*waits, return_exceptions=True)
        failed = [str(r) for r in results if isinstance(r, BaseException)]
        if failed:
            raise BenchError(f"{len(failed)} chats did not become active within {timeout:.0f}s:\n"
                             + "\n".join(failed[:5]) + _metrics_summary(service)
                             + service.log_tail(40))
        say(f"{len(chats)} chats accepted in {time.monotonic() - started:.1f}s")
        return sorted(chats, key=lambda c: c[0])

    # -- liveness and process ids --

    def _pids(self, service: ImsupportProcess | None = None) -> dict[str, int]:
        pids = {"prosody": self.prosody.process.pid}  # type: ignore[union-attr]
        if service is not None and service.pid is not None:
            pids["imsupport"] = service.pid
        return pids

    def _prosody_log(self) -> str:
        return self.prosody.log_tail(20) if self.prosody else ""

    def _prosody_alive(self) -> str | None:
        if self.prosody is None or not self.prosody.running:
            return "Prosody exited"
        return None

    def _relay_alive(self, service: ImsupportProcess) -> str | None:
        if not service.running:
            return f"imsupport exited with {service.process.returncode if service.process else '?'}"
        return self._prosody_alive()


async def gather_all(what: str, labelled: list[tuple[str, Any]],
                     logs: Callable[[], str] = lambda: "") -> list[Any]:
    """Await all; if any fails, say which (the first few) and why."""
    results = await asyncio.gather(*(aw for _, aw in labelled), return_exceptions=True)
    failed = [f"  {label}: {r}" for (label, _), r in zip(labelled, results, strict=True)
              if isinstance(r, BaseException)]
    if failed:
        raise BenchError(f"{what}: {len(failed)} of {len(labelled)} did not arrive:\n"
                         + "\n".join(failed[:5]) + logs())
    return results


def _from(bare: str) -> Callable[[Incoming], bool]:
    return lambda m: m.from_bare == bare and bool(m.body)


def _nodes_toml(operators: list[str]) -> str:
    quoted = ", ".join(f'"{jid}"' for jid in operators)
    return f"""
[[nodes]]
name = "{NODE_NAME}"
title = "Benchmark"
languages = ["en"]
invite_timeout = 3600
ring = "sequential"

  [[nodes.groups]]
  name = "everyone"
  wave = 1
  operators = [{quoted}]
"""


def _stop_service(service: ImsupportProcess) -> None:
    try:
        service.stop()
    except ServiceError as e:
        say(f"imsupport did not stop cleanly: {str(e).splitlines()[0]}")


def _metrics_text(service: ImsupportProcess) -> str:
    try:
        with urllib.request.urlopen(f"{service.base_url}/metrics", timeout=5) as r:
            return r.read().decode()
    except OSError as e:
        return f"(no /metrics: {e})"


def _metrics_summary(service: ImsupportProcess) -> str:
    """The gauges and counters worth seeing when something is stuck."""
    text = _metrics_text(service)
    if text.startswith("(no /metrics"):
        return "\n" + text
    keep = [line for line in text.splitlines() if line.startswith(
        ("imsupport_queue", "imsupport_active", "imsupport_operators", "imsupport_messages",
         "imsupport_chats", "imsupport_store_write_errors", "imsupport_xmpp"))]
    return "\n--- imsupport /metrics ---\n" + "\n".join(keep)


def _metric_values(service: ImsupportProcess) -> dict[str, float]:
    return samples(_metrics_text(service))


# -- PostgreSQL ---------------------------------------------------------------------

def _with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


def _pg_connect(url: str) -> Any:
    import psycopg2
    dsn = re.sub(r"[?&]schema=[^&]*", "", url)
    return psycopg2.connect(dsn, connect_timeout=5)


def check_postgres(url: str) -> None:
    from imsupport.store.urls import redactUrl
    try:
        _pg_connect(url).close()
    except Exception as e:  # noqa: BLE001 -- any failure: report it, go on
        raise BenchError(f"cannot connect to PostgreSQL at {redactUrl(url)}: "
                         f"{str(e).strip()}\n(start it, pass --pg-url, or run with --stores sqlite)"
                         ) from None


def pg_backend_pid(url: str, schema: str) -> int | None:
    """The server process of imsupport's connection (its application_name
    carries the schema), to show its CPU use when PostgreSQL runs here."""
    try:
        conn = _pg_connect(url)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                            (f"imsupport/{schema}",))
                rows = cur.fetchall()
        finally:
            conn.close()
    except Exception:  # noqa: BLE001 -- any failure: report it, go on
        return None
    return int(rows[0][0]) if len(rows) == 1 and os.path.exists(f"/proc/{rows[0][0]}") else None


def drop_schema(url: str, schema: str) -> None:
    try:
        conn = _pg_connect(url)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SET lock_timeout = '10s'")
                cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            conn.close()
    except Exception as e:  # noqa: BLE001 -- any failure: report it, go on
        say(f"could not drop PostgreSQL schema {schema}: {str(e).strip()}")


# -- py-spy ---------------------------------------------------------------------------

def start_profiler(pid: int, output: Path) -> subprocess.Popen[bytes]:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not os.path.exists(exe):
        raise BenchError("--profile needs py-spy: .venv/bin/pip install py-spy")
    proc = subprocess.Popen([exe, "record", "--pid", str(pid), "--rate", "250", "--format", "raw",
                             "--nonblocking", "--threads", "--idle", "--output", str(output)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    time.sleep(0.5)  # let it attach before the traffic starts
    if proc.poll() is not None:
        raise BenchError(f"py-spy failed: {proc.stderr.read().decode(errors='replace')}")  # type: ignore[union-attr]
    return proc


def stop_profiler(proc: subprocess.Popen[bytes], output: Path) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if not output.exists():
        return f"(py-spy wrote nothing: {proc.stderr.read().decode(errors='replace')})"  # type: ignore[union-attr]
    return summarize_profile(output.read_text(errors="replace"))


IDLE_LEAVES = ("poll (", "epoll", "select (", "wait (threading", "_wait_for_tstate_lock",
               "get (queue", "acquire", "sleep")

# Where a busy sample's time goes: the frame nearest the leaf that matches a
# rule decides (Element methods, Deferreds and the like match nothing, so a
# sample in Element.__setitem__ called by stanzas.message counts as building).
CATEGORIES: list[tuple[str, Callable[[str], bool]]] = [
    ("JID parsing (twisted JID(), stringprep)",
     lambda f: any(k in f for k in ("jabber/jid.py", "xmpp_stringprep.py", "stringprep.py",
                                    "encodings/idna.py"))),
    ("serializing and writing stanzas",
     lambda f: ("domish.py" in f and ("erializ" in f or "toXml" in f))
     or f.startswith("XmlStream.send ") or "internet/abstract.py" in f
     or "internet/tcp.py" in f and "doRead" not in f),
    ("building/reading stanzas (imsupport/xmpp/stanzas.py)", lambda f: "xmpp/stanzas.py" in f),
    ("XML parsing (domish/expat)", lambda f: "domish.py" in f and "ExpatElementStream" in f),
    ("store: SQL, driver, group commit",
     lambda f: any(k in f for k in ("imsupport/store/", "txpostgres/", "psycopg2", "adbapi.py",
                                    "sqlite3"))),
    ("core decisions and journal (imsupport/core)", lambda f: "imsupport/core/" in f),
    ("XMPP handlers, addresses (imsupport/xmpp)", lambda f: "imsupport/xmpp/" in f),
    ("logging", lambda f: "twisted/logger/" in f),
    ("web (/metrics)", lambda f: "imsupport/web/" in f or "twisted/web/" in f or "klein" in f),
]
OTHER = "reactor, Deferreds, dispatch, other"


def summarize_profile(raw: str, top: int = 10) -> str:
    """Collapsed stacks ("thread (id): name;frame;...;frame count") from
    ``py-spy record --threads --idle --format raw``: per thread, the share of
    samples that were busy; for the busiest, where that time went."""
    totals: Counter[str] = Counter()
    busy: Counter[str] = Counter()
    categories: dict[str, Counter[str]] = {}
    leaves: dict[str, Counter[str]] = {}
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        thread, *frames = [_frame_name(f) for f in stack.split(";")]
        n = int(count)
        totals[thread] += n
        if not frames or any(k in frames[-1] for k in IDLE_LEAVES):
            continue
        busy[thread] += n
        category = next((name for f in reversed(frames) for name, rule in CATEGORIES
                         if rule(f)), OTHER)
        categories.setdefault(thread, Counter())[category] += n
        leaves.setdefault(thread, Counter())[frames[-1]] += n
    if not busy:
        return "  (py-spy recorded no busy samples)"
    lines = []
    most = max(totals.values())
    for thread in sorted(totals, key=lambda t: -busy[t]):
        if not busy[thread] or totals[thread] < 0.05 * most:   # idle or short-lived threads
            continue
        count = busy[thread]
        lines.append(f"  {thread.split(': ', 1)[-1]}: busy in {100 * count / totals[thread]:.0f}% "
                     f"of its samples")
        if count < 0.05 * sum(busy.values()):
            continue
        lines += [f"    {100 * v / count:5.1f}%  {k}"
                  for k, v in categories[thread].most_common()]
        lines.append("    top functions by own time:")
        lines += [f"    {100 * v / count:5.1f}%  {k}" for k, v in leaves[thread].most_common(top)]
    return "\n".join(lines)


def _frame_name(frame: str) -> str:
    """``fn (/path/to/pkg/mod.py:123)`` -> ``fn (pkg/mod.py)``."""
    match = re.match(r"^(.*) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    fn, path = match.groups()
    parts = path.split("/")
    for anchor in ("imsupport", "twisted", "tx_xmpp", "txpostgres", "psycopg2"):
        if anchor in parts:
            path = "/".join(parts[parts.index(anchor):])
            break
    else:
        path = "/".join(parts[-2:])
    return f"{fn} ({path})"


# -- report -------------------------------------------------------------------------

def report(args: argparse.Namespace, results: list[Measurement], setup_seconds: float) -> str:
    """The table; each relay row's ratio is against the direct row measured
    alongside it (the rounds interleave them)."""
    cores = os.cpu_count() or 1
    per_chat = 2 * args.rounds * max(1, args.messages // 2 // args.rounds)
    out = [(f"imsupport relay benchmark: {args.chats} chats, {per_chat} messages per chat "
            f"(half each way) in {args.rounds} rounds, up to {args.window} in flight per "
            f"direction, {args.body_bytes}-byte bodies; {cores} CPU cores shared by Prosody, "
            f"imsupport and the clients"), ""]
    w = max([22] + [len(r.name) + 2 for r in results])
    header = (f"{'run':<{w}}{'messages':>9}{'seconds':>9}{'msg/s':>9}{'vs direct':>11}"
              f"{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}   CPU% of one core during the run")
    out += [header, "-" * len(header)]
    ratios: list[tuple[Measurement, float]] = []
    relays: list[tuple[str, float, float | None, hookload.HookFigures | None]] = []
    base: Measurement | None = None
    for r in results:
        if r.name.startswith("direct"):
            base, ratio = r, "(base)"
        elif base is not None and base.rate:
            ratios.append((r, r.rate / base.rate))
            ratio = f"{r.rate / base.rate:.2f}"
        else:
            ratio = "-"
        if not r.name.startswith("direct"):
            relays.append((r.name, r.rate, base.rate if base else None, r.hooks))
        cpu = ", ".join(f"{k} {100 * v / r.seconds:.0f}" for k, v in r.cpu.items()) \
            if r.seconds else ""
        out.append(f"{r.name:<{w}}{r.messages:>9}{r.seconds:>9.2f}{r.rate:>9.0f}{ratio:>11}"
                   f"{r.percentile_ms(50):>9.1f}{r.percentile_ms(99):>9.1f}"
                   f"{max(r.latencies_ns, default=0) / 1e6:>9.1f}   {cpu}")
    out += ["", (f"msg/s: measured messages (both directions) / time from the first send to "
                 f"the last arrival, summed over the rounds. Latency: send -> arrival on the "
                 f"other side. 'machine' = busy CPU of all {cores} cores, 'stolen' = CPU the "
                 f"hypervisor gave to others, in the same unit as the processes.")]
    directs = [r for r in results if r.name.startswith("direct")]
    if len(directs) > 1:
        rates = [r.rate for r in directs]
        out.append(f"direct baseline: {min(rates):.0f} to {max(rates):.0f} msg/s across the "
                   f"phases ({100 * (max(rates) - min(rates)) / statistics.fmean(rates):.0f}% "
                   f"apart: the noise of this machine; each ratio uses its own phase's)")
    for r in results:
        extra = []
        if r.store_write_ms is not None and "memory" not in r.name:
            extra.append(f"mean store write (decide -> committed) {r.store_write_ms:.1f} ms")
        if r.reordered or r.wrong_from:
            extra.append(f"{r.reordered} out of order, {r.wrong_from} from an unexpected address")
        if r.other_messages:
            extra.append(f"{r.other_messages} other messages (not counted) arrived meanwhile")
        extra += r.notes
        if extra:
            out.append(f"{r.name}: " + "; ".join(extra))
    for r, ratio in ratios:
        verdict = "meets" if ratio >= GOAL else "BELOW"
        out.append(f"{r.name}: {ratio:.2f} of direct -- {verdict} the goal of {GOAL:.2f} "
                   f"(a bare relay without storage reaches about {BARE_RELAY:.2f})")
    out += hookload.summary(relays)
    out.append(f"set-up and teardown took {setup_seconds:.0f}s")
    for r in results:
        if r.profile:
            out += ["", (f"py-spy profile of imsupport during '{r.name}' (its rounds and the "
                         f"direct rounds between them, when it idles):"), r.profile]
    return "\n".join(out)


# -- main ---------------------------------------------------------------------------

async def run(args: argparse.Namespace, cleanup: contextlib.ExitStack) -> list[Measurement]:
    bench = Bench(args, cleanup)
    bench.start_prosody()
    pairs = [] if args.no_direct else await bench.open_pairs()
    results: list[Measurement] = []
    for store in args.stores:
        results += await bench.relay(store, pairs)
        if args.webhooks and store != "memory":
            results += await bench.relay(store, pairs, webhooks=True)
        elif args.webhooks:
            say("memory: no webhook run (an in-memory outbox cannot be filled before start)")
    if not args.stores and pairs:
        results.append(Measurement.merge("direct", [
            await bench.measure_direct(pairs, f"direct round {r + 1}", bench.per_round)
            for r in range(bench.rounds)]))
    return results


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Messages/s through imsupport (per store) against clients messaging "
                    "each other directly through the same Prosody, plus relay latency.")
    p.add_argument("--chats", type=int, default=20,
                   help="concurrent chats, and direct pairs (default 20)")
    p.add_argument("--messages", type=int, default=1000,
                   help="measured messages per chat, half each way (default 1000)")
    p.add_argument("--rounds", type=int, default=4,
                   help="the messages are measured in this many rounds, each a relay run "
                        "and a direct run in alternating order (default 4)")
    p.add_argument("--window", type=int, default=5,
                   help="messages in flight per direction of a chat (default 5)")
    p.add_argument("--stores", default="sqlite,postgresql",
                   help="comma-separated: sqlite, postgresql (default both); also memory "
                        "(imsupport's in-memory test store: the relay without storage)")
    p.add_argument("--pg-url", default=os.environ.get("IMSUPPORT_BENCH_PG")
                   or os.environ.get("IMSUPPORT_TEST_PG") or DEFAULT_PG,
                   help="PostgreSQL database; a fresh schema bench_<random> is created in it "
                        "and dropped (default $IMSUPPORT_BENCH_PG, $IMSUPPORT_TEST_PG or "
                        f"{DEFAULT_PG})")
    p.add_argument("--body-bytes", type=int, default=100, help="body size (default 100)")
    p.add_argument("--stall-timeout", type=float, default=30.0,
                   help="give up when no message arrives for this long (default 30 s)")
    p.add_argument("--no-direct", action="store_true", help="skip the direct baseline runs")
    p.add_argument("--webhooks", action="store_true",
                   help="measure each store again with webhooks flowing to a local receiver "
                        "and an outbox backlog to deliver; print both")
    p.add_argument("--hook-backlog", type=int, default=hookload.BACKLOG,
                   help="with --webhooks: events put in the outbox before the service starts "
                        f"(default {hookload.BACKLOG:,})")
    p.add_argument("--hook-idle", type=float, default=5.0,
                   help="with --webhooks: seconds of webhooks and no chat traffic after the "
                        "relay rounds, to see the delivery rate alone (default 5)")
    p.add_argument("--profile", action="store_true",
                   help="sample imsupport with py-spy during each relay run (slows it down)")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory with the logs (also E2E_KEEP=1)")
    args = p.parse_args(argv)
    args.stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    bad = [s for s in args.stores if s not in ("sqlite", "postgresql", "memory")]
    if bad:
        p.error(f"unknown store(s) {bad}: use sqlite, postgresql, memory")
    if args.chats < 1 or args.window < 1 or args.rounds < 1 or args.messages < 2 * args.rounds:
        p.error("--chats, --window, --rounds must be >= 1 and --messages >= 2 * rounds")
    return args


def runBench(run: Callable[[argparse.Namespace, contextlib.ExitStack],
                          Coroutine[Any, Any, T]],
             args: argparse.Namespace, before: Callable[[], None] = lambda: None) -> T | int:
    """A benchmark's ``run`` with its clean-up; what it measured, or the
    exit status when it could not measure (130 interrupted, 1 failed)."""
    with contextlib.ExitStack() as cleanup:
        try:
            before()
            return asyncio.run(run(args, cleanup))
        except KeyboardInterrupt:
            say("interrupted")
            return 130
        except (BenchError, ProsodyError, ServiceError, XmppFailure) as e:
            say(f"FAILED: {e}")
            return 1
        finally:
            say("cleaning up")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    def checks() -> None:
        if "postgresql" in args.stores:
            check_postgres(args.pg_url)

    signal.signal(signal.SIGTERM, terminate)
    results = runBench(run, args, checks)
    if isinstance(results, int):
        return results
    measured = sum(r.seconds for r in results)
    print(report(args, results, time.monotonic() - started - measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
