"""The figures of the web chat benchmark (tests/bench/bench_webchat.py) and
its table: one column per phase (web visitors, XMPP clients)."""
from __future__ import annotations

import argparse
import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tests.bench.chatload import Delays

MB = 1024 * 1024
NAMES = {"web": "web (SSE)", "xmpp": "XMPP"}


@dataclass
class Phase:
    kind: str
    clients: int
    start_failures: int = 0
    unknown_invitations: int = 0
    open_seconds: float = 0.0
    held_before: int = 0
    held_after: int = 0
    window_seconds: float = 0.0
    echoes: int = 0
    delays: Delays = field(default_factory=Delays)
    post_ns: list[int] = field(default_factory=list)  # web: POST /messages answered
    rss_idle: dict[str, int] = field(default_factory=dict)
    rss_held: dict[str, int] = field(default_factory=dict)
    rss_peak: dict[str, int] = field(default_factory=dict)
    files_held: int = 0
    files_after: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds in the window
    errors: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0
    notices: int = 0  # the service's notices the clients got (queue positions ...)
    operators_lost: int = 0  # operators the service took for gone (no ping answer)
    profile: str | None = None  # --profile: where imsupport's time went in the window


def percentile(values: Sequence[int], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)  # nearest rank
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def spread(values: Sequence[int]) -> str:
    """p50 / p99 / max in ms."""
    if not values:
        return "-"
    return " / ".join(f"{v / 1e6:.0f}" if v >= 1e7 else f"{v / 1e6:.1f}"
                      for v in (percentile(values, 50), percentile(values, 99), max(values)))


def megabytes(value: int | None) -> str:
    return "-" if value is None else f"{value / MB:.1f}"


def rows(p: Phase) -> list[tuple[str, str]]:
    d = p.delays
    service = "imsupport"
    rise = p.rss_held.get(service, 0) - p.rss_idle.get(service, 0)
    prosody_rise = p.rss_held.get("prosody", 0) - p.rss_idle.get("prosody", 0)

    def cpu(name: str) -> str:
        seconds = p.cpu.get(name)
        return "-" if seconds is None or not p.window_seconds \
            else f"{100 * seconds / p.window_seconds:.1f}"

    errors = ", ".join(f"{k} x{v}" for k, v in p.errors.most_common(4)) or "none"
    return [
        ("clients held (start / end of window)", f"{p.held_before} / {p.held_after}"),
        ("chats active after (s)", f"{p.open_seconds:.1f}"),
        ("messages sent / echoes received", f"{d.sent - d.unsent} / {p.echoes}"),
        ("missing echoes", str(d.sent - d.unsent - p.echoes)),
        ("client -> operator p50/p99/max ms", spread(d.to_operator)),
        ("operator -> client p50/p99/max ms", spread(d.to_client)),
        ("round trip p50/p99/max ms", spread(d.round_trip)),
        ("POST /messages answered p50/p99/max ms", spread(p.post_ns)),
        ("imsupport VmRSS idle MB", megabytes(p.rss_idle.get(service))),
        ("imsupport VmRSS, chats open MB", megabytes(p.rss_held.get(service))),
        ("imsupport VmRSS peak in window MB", megabytes(p.rss_peak.get(service))),
        ("imsupport VmRSS per client kB", f"{rise / 1024 / p.clients:.1f}"),
        ("imsupport open files (chats open / end)", f"{p.files_held} / {p.files_after}"),
        ("Prosody VmRSS idle / peak MB", f"{megabytes(p.rss_idle.get('prosody'))} / "
                                         f"{megabytes(p.rss_peak.get('prosody'))}"),
        ("Prosody VmRSS per client kB", f"{prosody_rise / 1024 / p.clients:.1f}"),
        ("imsupport CPU % of a core in window", cpu(service)),
        ("Prosody CPU %", cpu("prosody")),
        ("load generator CPU %", cpu("load (this process)")),
        ("machine busy / stolen CPU %", f"{cpu('machine')} / {cpu('stolen')}"),
        ("notices to the clients (queue places ...)", str(p.notices)),
        ("operators lost by ping / invitations unread",
         f"{p.operators_lost} / {p.unknown_invitations}"),
        ("start failures / reconnects", f"{p.start_failures} / {p.reconnects}"),
        ("errors", errors),
    ]


def report(args: argparse.Namespace, phases: Sequence[Phase]) -> str:
    cores = os.cpu_count() or 1
    out = [f"web chat benchmark: {args.visitors} clients per phase, {args.operators} operators "
           f"(max_chats {args.max_chats or math.ceil(args.visitors / args.operators) + 5}), "
           f"a {args.minutes:g}-minute window at {args.rate:g} message(s) a minute each, "
           f"store {args.store}; {cores} CPU cores shared by Prosody, imsupport and the load",
           ""]
    table = [rows(p) for p in phases]
    width = max(len(label) for label, _ in table[0]) + 2
    column = max([14] + [len(v) + 2 for r in table for _, v in r if len(v) < 40])
    out.append(f"{'':<{width}}" + "".join(f"{NAMES[p.kind]:>{column}}" for p in phases))
    long: list[str] = []
    for i, (label, _) in enumerate(table[0]):
        values = [r[i][1] for r in table]
        if any(len(v) >= 40 for v in values):
            long += [f"{NAMES[p.kind]} {label}: {v}" for p, v in zip(phases, values, strict=True)]
            continue
        out.append(f"{label:<{width}}" + "".join(f"{v:>{column}}" for v in values))
    out += long
    out += ["", "Delays: client -> operator from the client's send (before its POST) to the "
            "operator's client reading it; operator -> client from the operator's echo to the "
            "client reading it (SSE, or XMPP); the round trip from the send to the echo. "
            "VmRSS per client: (chats open - idle) / clients. CPU in % of one core over the "
            f"window; 'machine' = busy CPU of all {cores} cores, 'stolen' = CPU the "
            "hypervisor gave to others, in the same unit."]
    def ratio(f: Callable[[Phase], float]) -> str:
        return f"{f(phases[0]) / f(phases[1]):.2f}" if f(phases[1]) else "-"

    if len(phases) == 2:
        out.append("web / XMPP: p99 round trip " + ratio(
            lambda p: percentile(p.delays.round_trip, 99)) + ", imsupport memory per client "
            + ratio(lambda p: p.rss_held.get("imsupport", 0) - p.rss_idle.get("imsupport", 0))
            + ", imsupport CPU " + ratio(lambda p: p.cpu.get("imsupport", 0.0)))
    for p in phases:
        if p.profile:
            out += ["", f"py-spy profile of imsupport during the {NAMES[p.kind]} window:",
                    p.profile]
    return "\n".join(out)
