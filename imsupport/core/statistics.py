"""
Statistics of nodes, operators and clients over a period (R-STAT-1..3), as
pure functions of ChatFacts (core/chatfacts.py) and operators' state
changes. ``now`` is passed in; nothing here reads a clock or a store.

Conventions, the same for every figure:

- A period is [since, until): a chat belongs to it when it was *created* in
  it, so consecutive periods never count a chat twice.
- Durations are seconds (floats); rates and shares are 0..1.
- A figure with nothing to measure is None, never 0 (no chats: no average).
- Percentiles are nearest-rank: the p-th percentile of n sorted values is
  the value at rank ceil(p / 100 * n) (1-based), always one of the values
  measured; ties need no interpolation.
- An open chat counts up to ``now``: its length runs from accepted_at to now,
  and a chat still waiting has waited from created_at to now.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from imsupport.core.chatfacts import AFK, OFFLINE, ChatFacts, OperatorStateChange
from imsupport.core.model import ABANDONED

ANSWER_TARGET = 60.0  # seconds: the default SLA target for a first response
SATISFIED = 4  # ratings of 4 and 5 count as satisfied (CSAT)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def average(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def inPeriod(facts: Iterable[ChatFacts], since: float, until: float) -> list[ChatFacts]:
    return [f for f in facts if since <= f.created_at < until]


def chatLength(f: ChatFacts, now: float) -> float | None:
    """Accepted to closed (to ``now`` while open); None if never accepted."""
    if f.accepted_at is None:
        return None
    end = f.closed_at if f.closed_at is not None else now
    return max(0.0, end - f.accepted_at)


def queueWait(f: ChatFacts, now: float) -> float:
    """Created to accepted; never accepted: created to closed (abandoned),
    or to ``now`` while still waiting."""
    if f.accepted_at is not None:
        end = f.accepted_at
    else:
        end = f.closed_at if f.closed_at is not None else now
    return max(0.0, end - f.created_at)


def firstResponse(f: ChatFacts) -> float | None:
    if f.first_response_at is None:
        return None
    return max(0.0, f.first_response_at - f.created_at)


_COUNTS = {"clients", "chats", "abandoned", "ratings", "contacts"}


def _dict(value: Any) -> dict[str, Any]:
    """Field name -> value; counts stay ints, every other number a float."""
    return {k: (float(v) if isinstance(v, int) and not isinstance(v, bool)
                and k not in _COUNTS else v) for k, v in asdict(value).items()}


@dataclass(frozen=True)
class NodeStats:
    clients: int
    chats: int
    chat_length_avg: float | None
    chat_length_p50: float | None
    chat_length_p90: float | None
    abandoned: int
    abandoned_rate: float | None
    queue_wait_avg: float | None
    queue_wait_p50: float | None
    queue_wait_p90: float | None
    first_response_avg: float | None
    first_response_p50: float | None
    first_response_p90: float | None
    answer_target: float
    answered_in_target: float | None
    ratings: int
    rating_avg: float | None
    csat: float | None

    def asDict(self) -> dict[str, Any]:
        """JSON-ready: counts as ints, seconds and shares as floats or None."""
        return _dict(self)


def nodeStats(facts: Iterable[ChatFacts], since: float, until: float, now: float,
              answer_target: float = ANSWER_TARGET) -> NodeStats:
    """Figures of the chats created in [since, until) among ``facts`` (the
    caller picks one node's chats, or every node's).

    ``answered_in_target`` (the SLA): of the chats that had their answer or
    can no longer get it in time, the share whose first operator message
    came within ``answer_target`` seconds of created_at. Counted: every chat
    with a first response, every chat that ended without one (abandoned or
    closed unanswered: a miss), and every open unanswered chat already older
    than the target (a miss). Left out: open unanswered chats younger than
    the target, which may still make it."""
    chats = inPeriod(facts, since, until)
    lengths = [x for x in (chatLength(f, now) for f in chats) if x is not None]
    waits = [queueWait(f, now) for f in chats]
    responses = [x for x in map(firstResponse, chats) if x is not None]
    hits = sum(1 for x in responses if x <= answer_target)
    missed = sum(1 for f in chats if f.first_response_at is None
                 and (f.closed_at is not None or now - f.created_at > answer_target))
    abandoned = sum(1 for f in chats if f.state == ABANDONED)
    ratings = [f.rating for f in chats if f.rating is not None]
    return NodeStats(
        clients=len({f.client for f in chats}), chats=len(chats),
        chat_length_avg=average(lengths), chat_length_p50=percentile(lengths, 50),
        chat_length_p90=percentile(lengths, 90),
        abandoned=abandoned, abandoned_rate=share(abandoned, len(chats)),
        queue_wait_avg=average(waits), queue_wait_p50=percentile(waits, 50),
        queue_wait_p90=percentile(waits, 90),
        first_response_avg=average(responses),
        first_response_p50=percentile(responses, 50),
        first_response_p90=percentile(responses, 90),
        answer_target=float(answer_target),
        answered_in_target=share(hits, len(responses) + missed),
        ratings=len(ratings), rating_avg=average([float(r) for r in ratings]),
        csat=share(sum(1 for r in ratings if r >= SATISFIED), len(ratings)))



HOUR, DAY, WEEK = 3600.0, 86400.0, 7 * 86400.0


def stepFor(since: float, until: float) -> float:
    """A chart's step for [since, until): hours up to two days, days up to
    120 days, weeks beyond (a few hundred points at most for a year)."""
    span = until - since
    return HOUR if span <= 2 * DAY else DAY if span <= 120 * DAY else WEEK


def steps(since: float, until: float, step: float) -> list[tuple[float, float]]:
    """[since, until) in periods of ``step`` from ``since``; the last one
    ends at ``until``."""
    out = []
    start = since
    while start < until:
        out.append((start, min(start + step, until)))
        start += step
    return out


def nodeSeries(facts: Iterable[ChatFacts], since: float, until: float, step: float,
               now: float, answer_target: float = ANSWER_TARGET
               ) -> list[tuple[float, float, NodeStats]]:
    """nodeStats for each period of ``steps(since, until, step)``; each
    chat goes into the one period it was created in."""
    periods = steps(since, until, step)
    chats: list[list[ChatFacts]] = [[] for _ in periods]
    for f in inPeriod(facts, since, until):
        chats[min(int((f.created_at - since) // step), len(periods) - 1)].append(f)
    return [(start, end, nodeStats(found, start, end, now, answer_target))
            for (start, end), found in zip(periods, chats, strict=True)]


def byNode(facts: Iterable[ChatFacts], since: float, until: float, now: float,
           answer_target: float = ANSWER_TARGET) -> dict[str, NodeStats]:
    """nodeStats of each node that has chats in [since, until), by name."""
    nodes: dict[str, list[ChatFacts]] = {}
    for f in inPeriod(facts, since, until):
        nodes.setdefault(f.node, []).append(f)
    return {name: nodeStats(nodes[name], since, until, now, answer_target)
            for name in sorted(nodes)}

@dataclass(frozen=True)
class OperatorStats:
    operator: str
    clients: int
    chats: int
    chat_length_avg: float | None
    time_online: float
    time_afk: float
    time_in_chats: float

    def asDict(self) -> dict[str, Any]:
        return _dict(self)


def _clipped(start: float, end: float, since: float, until: float) -> float:
    return max(0.0, min(end, until) - max(start, since))


def stateTimes(operator: str, changes: Iterable[OperatorStateChange], since: float,
               until: float, now: float) -> dict[str, float]:
    """Seconds spent in each state within [since, min(now, until)). Each
    change lasts until the operator's next change; the last one runs to
    min(now, until). Before their first change an operator counts as
    offline, so pass the last change before ``since`` too."""
    end = min(now, until)
    mine = sorted((c for c in changes if c.operator == operator), key=lambda c: c.at)
    times: dict[str, float] = {}
    for index, change in enumerate(mine):
        stop = mine[index + 1].at if index + 1 < len(mine) else end
        times[change.state] = times.get(change.state, 0.0) + _clipped(
            change.at, min(stop, end), since, end)
    return times


def operatorStats(operator: str, facts: Iterable[ChatFacts],
                  changes: Iterable[OperatorStateChange], since: float, until: float,
                  now: float) -> OperatorStats:
    """``clients``, ``chats`` and ``chat_length_avg`` (the chat's length, as
    in nodeStats) count the chats created in [since, until) the operator
    was ever in. ``time_in_chats`` adds up the operator's spans in every
    given chat, clipped to [since, min(now, until)), overlapping chats
    counted once each (two chats at once for an hour is two hours).
    ``time_online``: in any state but offline and afk (online, free, busy);
    ``time_afk``: in afk; the two never overlap."""
    given = list(facts)
    chats = [f for f in inPeriod(given, since, until) if operator in f.operators]
    lengths = [x for x in (chatLength(f, now) for f in chats) if x is not None]
    end = min(now, until)
    in_chats = sum(_clipped(s.start, s.end if s.end is not None else end, since, end)
                   for f in given for s in f.spans if s.operator == operator)
    times = stateTimes(operator, changes, since, until, now)
    return OperatorStats(
        operator=operator, clients=len({f.client for f in chats}), chats=len(chats),
        chat_length_avg=average(lengths),
        time_online=sum(t for state, t in times.items() if state not in (OFFLINE, AFK)),
        time_afk=times.get(AFK, 0.0), time_in_chats=in_chats)


@dataclass(frozen=True)
class ClientStats:
    client: str
    contacts: int
    time_in_queue: float
    time_in_chat: float

    def asDict(self) -> dict[str, Any]:
        return _dict(self)


def clientStats(client: str, facts: Iterable[ChatFacts], since: float, until: float,
                now: float) -> ClientStats:
    """The client's chats created in [since, until): how many, and the sums
    of their queue waits and chat lengths (open chats up to ``now``)."""
    chats = [f for f in inPeriod(facts, since, until) if f.client == client]
    return ClientStats(
        client=client, contacts=len(chats),
        time_in_queue=sum(queueWait(f, now) for f in chats),
        time_in_chat=sum(x for x in (chatLength(f, now) for f in chats) if x is not None))
