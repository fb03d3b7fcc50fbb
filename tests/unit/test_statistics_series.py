"""Figures by period step and by node (core/statistics.py): the same
nodeStats, of the chats created in each step or node."""
from __future__ import annotations

from imsupport.core.chatfacts import ChatFacts
from imsupport.core.statistics import (
    DAY,
    HOUR,
    WEEK,
    byNode,
    nodeSeries,
    nodeStats,
    stepFor,
    steps,
)

T = 1_800_000_000.0


def chat(id: int, created: float, node: str = "n", accepted: float | None = None,
         closed: float | None = None) -> ChatFacts:
    return ChatFacts(chat_id=id, node=node, client=f"c{id}@x.example",
                     state="closed" if closed is not None else "queued",
                     created_at=T + created, accepted_at=None if accepted is None
                     else T + accepted, closed_at=None if closed is None else T + closed,
                     first_response_at=None if accepted is None else T + accepted,
                     rating=None)


def test_steps_cover_the_period_and_the_last_is_cut_short():
    assert steps(0, 10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert steps(5, 5, 1) == []
    assert (stepFor(0, 2 * DAY), stepFor(0, 3 * DAY), stepFor(0, 121 * DAY)) == (HOUR, DAY, WEEK)


def test_each_chat_counts_in_the_step_it_was_created_in():
    facts = [chat(1, 0, accepted=30, closed=90), chat(2, 3599), chat(3, 3600, accepted=10,
                                                                        closed=20),
             chat(4, 3 * HOUR), chat(5, -1)]
    series = nodeSeries(facts, T, T + 3 * HOUR, HOUR, now=T + 4 * HOUR)
    assert [(s - T, e - T) for s, e, _ in series] == [(0, 3600), (3600, 7200), (7200, 10800)]
    assert [stats.chats for _, _, stats in series] == [2, 1, 0]
    first = series[0][2]
    assert first == nodeStats(facts[:2], T, T + HOUR, T + 4 * HOUR)
    assert first.first_response_avg == 30.0 and series[2][2].queue_wait_avg is None


def test_by_node_in_name_order():
    facts = [chat(1, 0, "sales"), chat(2, 10, "help"), chat(3, 20, "sales"), chat(4, -5, "x")]
    nodes = byNode(facts, T, T + DAY, T + DAY)
    assert list(nodes) == ["help", "sales"]
    assert nodes["sales"].chats == 2 and nodes["help"].clients == 1
