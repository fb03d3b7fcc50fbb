"""
Flood benchmark (R-SEC-3): what one client flooding the service costs the
other chats, side by side with no flood, in one run.

    python -m tests.bench.bench_flood [--chats N] [--seconds S] [--flood M] [--flood-bytes B]

(``scripts/bench flood`` prepares the machine and the virtualenv, then runs it.)

One Prosody and one ``twistd imsupport`` on SQLite with the default rate
limits, as a shop would run it. N client-operator chats talk the way busy
people do: the client writes, the operator's client answers at once, the
client writes again after ``--pause`` seconds (a rate under the client limit).
Each round trip (client -> imsupport -> operator -> imsupport -> client) is
timed. N pairs of accounts do the same directly through the same Prosody, at
the same time, as the baseline of the same moment.

Two phases of ``--seconds`` each: "no flood", then "flood", during which one
more client (with a chat of its own) sends bursts of ``--flood`` messages of
``--flood-bytes`` each, back to back, for the whole phase. The report gives
per phase the round trips per second of the chats and of the direct pairs,
their ratio (the relay ratio), the p50/p99/max round trip of each, the CPU
imsupport used, and what became of the flood: sent, delivered to its
operator, refused by the service (the first of each burst with an error
back), and lost (neither).

Not a test: it prints figures and asserts nothing about them.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from tests.bench.bench_relay import (
    NODE_NAME,
    Bench,
    BenchError,
    _metric_values,
    _nodes_toml,
    _stop_service,
    cpu_seconds,
    runBench,
    say,
)
from tests.bench.fastclient import FastClient, Incoming
from tests.e2e.service import ImsupportProcess, free_port, make_config, sqlite_url


@dataclass
class Talk:
    """One conversation timed round trip by round trip."""
    label: str
    client: FastClient
    to: str  # where the client writes (the node, or the other account)
    answerer: FastClient
    back: str  # where the answerer writes back (the chat address, or the client)
    expect_from: str  # who the answer comes from, as the client sees it
    trips: list[float] = field(default_factory=list)  # seconds
    sent_at: float = 0.0
    seq: int = 0


@dataclass
class Phase:
    name: str
    seconds: float
    relay: list[float]
    direct: list[float]
    cpu: float | None
    flood: dict[str, int] = field(default_factory=dict)


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


async def converse(talks: list[Talk], seconds: float, pause: float, tag: str) -> None:
    """Every talk goes round for ``seconds``: write, wait for the answer, pause."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    ends = time.monotonic() + seconds
    waiting = {id(t): t for t in talks}

    def send(talk: Talk) -> None:
        if time.monotonic() >= ends:
            waiting.pop(id(talk), None)
            if not waiting and not done.done():
                done.set_result(None)
            return
        talk.seq += 1
        talk.sent_at = time.monotonic()
        talk.client.send_message(talk.to, f"{tag} {talk.seq} how is my order?")

    for talk in talks:
        def answer(m: Incoming, talk: Talk = talk) -> None:
            if (m.body or "").startswith(f"{tag} "):
                talk.answerer.send_message(talk.back, "re " + (m.body or ""))

        def answered(m: Incoming, talk: Talk = talk) -> None:
            if m.from_bare == talk.expect_from and (m.body or "") == \
                    f"re {tag} {talk.seq} how is my order?":
                talk.trips.append(time.monotonic() - talk.sent_at)
                loop.call_later(pause, send, talk)

        talk.answerer.on_message = answer
        talk.client.on_message = answered
        send(talk)
    try:
        await asyncio.wait_for(done, seconds + 30)
    except TimeoutError:
        raise BenchError(f"{len(waiting)} conversations got no answer for 30 s: "
                         + ", ".join(t.label for t in list(waiting.values())[:5])) from None


BUFFERED = 1 << 20  # bytes the flooder keeps in its socket buffer at most


async def flood(flooder: FastClient, node: str, count: int, size: int, until: float,
                counts: dict[str, int]) -> None:
    """Bursts of ``count`` messages, back to back, as fast as Prosody takes
    them (a message counts as sent once it is written to the socket, not
    while it waits in this process), until ``until``."""
    body = "x" * size
    transport = flooder.transport
    assert transport is not None
    while time.monotonic() < until:
        for _ in range(count):
            while transport.get_write_buffer_size() > BUFFERED:
                if time.monotonic() >= until:
                    return
                await asyncio.sleep(0.005)
            flooder.send_message(node, f"flood {counts['sent']} {body}")
            counts["sent"] += 1
        await asyncio.sleep(0)


async def run(args: argparse.Namespace, cleanup: contextlib.ExitStack) -> list[Phase]:
    bench = Bench(argparse.Namespace(chats=args.chats + 1, rounds=1, messages=2,
                                     keep=args.keep), cleanup)
    prosody = bench.start_prosody()
    workdir = bench.tmp / "imsupport"
    workdir.mkdir()
    operators = await bench.accounts_online("op", args.chats + 1)
    config = make_config(
        prosody, free_port(), sqlite_url(workdir / "bench.sqlite"), workdir=workdir,
        operators=[{"jid": op.bare, "name": f"Op {i}", "languages": ["en"], "max_chats": 1}
                   for i, op in enumerate(operators)],
        nodes_toml=_nodes_toml([op.bare for op in operators]))
    service = ImsupportProcess(config, workdir, ready_timeout=30)
    cleanup.callback(_stop_service, service)
    service.start()
    await bench._wait_free(service, operators)
    clients = await bench.accounts_online("cl", args.chats + 1)
    chats = await bench._open_chats(service, operators, clients)
    node = f"{NODE_NAME}@{prosody.component}"
    (_, flooder, flood_op, flood_address), talking = chats[-1], chats[:-1]
    relay = [Talk(f"chat {n}", c, node, op, address, node) for n, c, op, address in talking]
    a_side = await bench.accounts_online("dira", args.chats)
    b_side = await bench.accounts_online("dirb", args.chats)
    direct = [Talk(f"pair {i}", a, b.bare, b, a.bare, b.bare)
              for i, (a, b) in enumerate(zip(a_side, b_side, strict=True))]
    counts = {"sent": 0, "delivered": 0, "refused": 0, "answered": 0}

    def flood_arrived(m: Incoming) -> None:
        if m.from_bare == flood_address and (m.body or "").startswith("flood "):
            counts["delivered"] += 1

    def flood_answered(m: Incoming) -> None:
        if m.type == "error":
            counts["answered"] += 1

    flood_op.on_message = flood_arrived
    flooder.on_message = flood_answered
    phases = []
    for name in ("no flood", "flood"):
        for talk in relay + direct:
            talk.trips = []
        before = cpu_seconds(service.pid)  # type: ignore[arg-type]
        started = time.monotonic()
        say(f"phase {name!r}: {args.chats} chats and {args.chats} direct pairs for "
            f"{args.seconds:.0f} s" + (", one client flooding" if name == "flood" else ""))
        work = [converse(relay, args.seconds, args.pause, "r"),
                converse(direct, args.seconds, args.pause, "d")]
        if name == "flood":
            work.append(flood(flooder, node, args.flood, args.flood_bytes,
                              started + args.seconds, counts))
        await asyncio.gather(*work)
        elapsed = time.monotonic() - started
        after = cpu_seconds(service.pid)  # type: ignore[arg-type]
        if name == "flood":
            await drain(counts, args.drain, service)
        phases.append(Phase(name, elapsed, [x for t in relay for x in t.trips],
                            [x for t in direct for x in t.trips],
                            None if before is None or after is None else after - before,
                            dict(counts) if name == "flood" else {}))
    await bench.close_clients(operators + clients + a_side + b_side)
    return phases


async def drain(counts: dict[str, int], seconds: float, service: ImsupportProcess) -> None:
    """Wait until the service has delivered or refused every flood message
    (or give up). Refused ones are counted by the service
    (``imsupport_rate_limited_total``): only the first of a burst get an
    error back."""
    deadline = time.monotonic() + seconds
    while True:
        values = await asyncio.to_thread(_metric_values, service)
        counts["refused"] = int(values.get("imsupport_rate_limited_total", 0))
        if counts["delivered"] + counts["refused"] >= counts["sent"] \
                or time.monotonic() >= deadline:
            return
        await asyncio.sleep(0.2)


def report(args: argparse.Namespace, phases: list[Phase]) -> str:
    out = [f"flood benchmark: {args.chats} chats and {args.chats} direct pairs, a round trip "
           f"then {args.pause:g} s of pause each, {args.seconds:g} s per phase; the flood: "
           f"bursts of {args.flood} x {args.flood_bytes} B from one client",
           f"{'phase':<10}{'relay RT/s':>11}{'direct RT/s':>12}{'ratio':>7}"
           f"{'relay p50/p99/max ms':>23}{'direct p50/p99/max ms':>24}{'imsupport CPU':>15}"]
    for p in phases:
        relay_rate, direct_rate = len(p.relay) / p.seconds, len(p.direct) / p.seconds
        ratio = relay_rate / direct_rate if direct_rate else float("nan")

        def ms(values: list[float]) -> str:
            return "/".join(f"{1000 * v:.0f}" for v in (
                percentile(values, 50), percentile(values, 99), max(values, default=float("nan"))))

        cpu = f"{100 * p.cpu / p.seconds:.0f}%" if p.cpu is not None else "?"
        out.append(f"{p.name:<10}{relay_rate:>11.1f}{direct_rate:>12.1f}{ratio:>7.2f}"
                   f"{ms(p.relay):>23}{ms(p.direct):>24}{cpu:>15}")
    quiet, flooded = phases
    if quiet.relay and flooded.relay:
        relay_ratio = ((len(flooded.relay) / len(flooded.direct or [0]))
                       / (len(quiet.relay) / len(quiet.direct or [0])))
        out.append(f"the chats' p99 round trip with the flood / without: "
                   f"{percentile(flooded.relay, 99) / percentile(quiet.relay, 99):.2f}; "
                   f"relay ratio with / without: {relay_ratio:.2f}"
                   if flooded.direct and quiet.direct else "")
    c = flooded.flood
    lost = c["sent"] - c["delivered"] - c["refused"]
    out.append(f"the flood: {c['sent']} sent ({c['sent'] * args.flood_bytes / 1e6:.0f} MB), "
               f"{c['delivered']} delivered, {c['refused']} refused ({c['answered']} of them "
               f"with an error back), {lost} lost (neither, after {args.drain:g} s of waiting)")
    return "\n".join(out)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/bench flood", description=__doc__.split("\n\n")[0])
    p.add_argument("--chats", type=int, default=10, help="chats, and direct pairs (default 10)")
    p.add_argument("--seconds", type=float, default=20.0, help="length of each phase (default 20)")
    p.add_argument("--pause", type=float, default=0.6,
                   help="seconds between an answer and the next message (default 0.6)")
    p.add_argument("--flood", type=int, default=1000, help="messages per burst (default 1000)")
    p.add_argument("--flood-bytes", type=int, default=32768,
                   help="body size of a flood message (default 32768)")
    p.add_argument("--drain", type=float, default=30.0,
                   help="seconds to wait for the flood's last answers (default 30)")
    p.add_argument("--keep", action="store_true", help="keep the logs (also E2E_KEEP=1)")
    args = p.parse_args(argv)
    if args.chats < 1 or args.seconds <= 0 or args.flood < 1:
        p.error("--chats and --flood must be >= 1, --seconds > 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    phases = runBench(run, args)
    if isinstance(phases, int):
        return phases
    print(report(args, phases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
