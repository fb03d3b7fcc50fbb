"""The archive benchmark's figures (tests/bench/bench_archive.py) and their table."""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field

from tests.bench.archive_data import NODES, OPERATORS, monthLabel
from tests.bench.bench_flood import percentile

GOAL_MS = 200.0  # p99 of search and of a node's monthly statistics, on both stores
GOALS = ("search", "node stats")
KINDS = (("search", "search"), ("node stats", "node stats, a month"),
         ("operator stats", "operator stats, a month"), ("history", "chat history"))

Samples = dict[str, dict[str, list[float]]]  # kind -> label -> ms


@dataclass
class StoreRun:
    store: str
    generation_s: float = 0.0
    size: int = 0
    tables: dict[str, int] = field(default_factory=dict)  # PostgreSQL: bytes per table
    counts: dict[str, int] = field(default_factory=dict)
    months: list[float] = field(default_factory=list)
    words: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    http: Samples = field(default_factory=dict)
    direct: Samples = field(default_factory=dict)
    results: dict[str, list[int]] = field(default_factory=dict)  # kind/label -> answer sizes
    waited_429: int = 0
    health: str = ""


def _all(samples: Samples, kind: str) -> list[float]:
    return [x for values in samples.get(kind, {}).values() for x in values]


def _figures(values: Sequence[float]) -> str:
    if not values:
        return f"{'-':>5}{'-':>8}{'-':>8}{'-':>8}"
    return (f"{len(values):>5}{percentile(values, 50):>8.1f}{percentile(values, 99):>8.1f}"
            f"{max(values):>8.1f}")


def _mean(values: Sequence[int]) -> str:
    return f"{sum(values) / len(values):.0f}" if values else "-"


def _rows(run: StoreRun) -> list[str]:
    out = []
    for kind, title in KINDS:
        http, direct = _all(run.http, kind), _all(run.direct, kind)
        goal = ""
        if kind in GOALS and http:
            p99 = percentile(http, 99)
            goal = f"p99<{GOAL_MS:.0f}: {'meets' if p99 < GOAL_MS else 'MISSES'}"
        sizes = [x for key, v in run.results.items() if key.startswith(kind + "/") for x in v]
        out.append(f"{run.store:<11}{title:<25}{_figures(http)}  {goal:<17}{_figures(direct)}"
                   f"{_mean(sizes):>9}")
        labels = sorted(run.http.get(kind, {}), key=_order)
        if len(labels) > 1:
            for label in labels:
                sizes = run.results.get(f"{kind}/{label}", [])
                out.append(f"{'':<11}{'  ' + label:<25}{_figures(run.http[kind][label])}"
                           f"  {'':<17}{_figures(run.direct.get(kind, {}).get(label, []))}"
                           f"{_mean(sizes):>9}")
    return out


def _order(label: str) -> tuple[int, str]:
    known = ["rare", "medium", "common", "two words"] + [n for n, _ in NODES]
    return (known.index(label) if label in known else len(known), label)


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:.1f}"  # NaN: nothing measured


def _median(samples: Samples, kind: str, label: str | None) -> float:
    """p50 of one label's samples, or of all of the kind's with None."""
    values = samples.get(kind, {})
    chosen = values.get(label, []) if label else [x for v in values.values() for x in v]
    return percentile(chosen, 50) if chosen else float("nan")


def _split(run: StoreRun) -> list[str]:
    """Where a request's time goes, p50s: the store call (and its parts),
    the same program's SQL and Python on a plain driver connection, and
    the rest (web, API checks, JSON, HTTP)."""
    out = []
    for kind, title in KINDS:
        labels = sorted(run.http.get(kind, {}), key=_order)
        for label in labels if len(labels) > 1 else [None]:
            http = _median(run.http, kind, label)
            store = _median(run.direct, kind, label)
            parts = [f"{part.split(': ', 1)[1]} {_ms(_median(run.direct, part, label))}"
                     for part in (f"{kind}: chatFacts()", f"{kind}: nodeStats()",
                                  f"{kind}: chatFacts(operator=)", f"{kind}: operatorStates()")
                     if part in run.direct]
            split = ""
            if f"{kind}: SQL" in run.direct:
                split = (f"; plain driver: SQL {_ms(_median(run.direct, kind + ': SQL', label))}"
                         f" + Python {_ms(_median(run.direct, kind + ': Python', label))}")
            name = title + (f" {label}" if label else "")
            out.append(f"  {run.store:<11}{name:<30} HTTP {_ms(http):>7}; store call "
                       f"{_ms(store):>7}" + (f" ({', '.join(parts)})" if parts else "") + split
                       + f"; HTTP minus store call {_ms(http - store)}")
    return out


def report(args: argparse.Namespace, runs: Sequence[StoreRun]) -> str:
    first = runs[0]
    c = first.counts
    shares = "/".join(f"{100 * s:.0f}" for _, s in NODES)
    out = [f"imsupport archive benchmark: {c['chats']:,} chats with {c['messages']:,} client "
           f"and operator messages ({c['events']:,} events in all, {c['outbox']:,} outbox "
           f"rows), {c['clients']:,} clients, {OPERATORS} operators, nodes "
           f"{'/'.join(n for n, _ in NODES)} {shares} %, "
           f"{monthLabel(first.months[0])} to {monthLabel(first.months[-2])}", ""]
    out.append(f"{'store':<11}{'generated and loaded':>21}{'database':>12}")
    for run in runs:
        tables = ", ".join(f"{t} {b / 1e9:.2f}" for t, b in sorted(
            run.tables.items(), key=lambda x: -x[1]) if b > 50e6)
        out.append(f"{run.store:<11}{run.generation_s:>20.0f}s{run.size / 1e9:>9.2f} GB"
                   + (f"  ({tables} GB)" if tables else ""))
    out += ["", f"search words (messages with the word's stem, of {c['messages']:,}):"]
    for name, words in first.words.items():
        if words:
            counts = [n for _, n in words]
            sample = ", ".join(f"{w} {n}" for w, n in words[:: max(1, len(words) // 4)][:4])
            out.append(f"  {name:<7} {len(words)} words in {min(counts):,} to {max(counts):,} "
                       f"messages (e.g. {sample})")
    out.append("  two words: pairs of a common and a medium word")
    head = (f"{'':<11}{'':<25}{'HTTP API (ms)':^29}  {'':<17}{'store call in-process':^29}"
            f"{'answer':>9}")
    cols = (f"{'store':<11}{'request':<25}{'n':>5}{'p50':>8}{'p99':>8}{'max':>8}  {'goal':<17}"
            f"{'n':>5}{'p50':>8}{'p99':>8}{'max':>8}{'size':>9}")
    out += ["", head, cols, "-" * len(cols)]
    for run in runs:
        out += _rows(run) + [""]
    out += ["answer size: chats found (search, at most 100), chats counted (statistics), "
            "events (history). Serial requests, one keep-alive connection, after a warm-up.",
            "", "where the time goes (p50 ms): the store call in-process and its parts; the "
            "same SQL program on a plain driver connection, split into the database's time "
            "(execute and fetch) and Python's (records, facts); the rest is the web side, "
            "the API's checks, JSON and HTTP. The in-process and HTTP figures are measured "
            "one after the other on a shared machine: differences of ~20% are noise."]
    for run in runs:
        out += _split(run)
    for run in runs:
        notes = [f"/healthz while measuring: {run.health}"]
        if run.waited_429:
            notes.append(f"{run.waited_429} answers 429 (rate limit) waited out, not timed")
        out.append(f"{run.store}: " + "; ".join(notes))
    return "\n".join(out)
