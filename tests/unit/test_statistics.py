"""
The statistics of R-STAT-1..3 (core/statistics.py, core/chatfacts.py): tables
of small cases whose figures were worked out by hand, in each case's comment.
Times are seconds after T (an arbitrary epoch).
"""
from __future__ import annotations

from typing import Any

import pytest

from imsupport.core.chatfacts import (
    ChatFacts,
    OperatorSpan,
    OperatorStateChange,
    chatFacts,
)
from imsupport.core.model import ChatEvent, ChatRecord
from imsupport.core.statistics import (
    ANSWER_TARGET,
    clientStats,
    nodeStats,
    operatorStats,
    percentile,
)

T = 1_000_000.0
A, B = "a@example.org", "b@example.org"


def facts(id: int, created: float, accepted: float | None = None,
          closed: float | None = None, first: float | None = None,
          state: str | None = None, client: str = "c1", rating: int | None = None,
          spans: tuple[tuple[str, float, float | None], ...] = ()) -> ChatFacts:
    """Times relative to T."""
    if state is None:
        state = "closed" if closed is not None else ("active" if accepted is not None
                                                     else "queued")
    return ChatFacts(
        chat_id=id, node="n", client=client, state=state, created_at=T + created,
        accepted_at=None if accepted is None else T + accepted,
        closed_at=None if closed is None else T + closed,
        first_response_at=None if first is None else T + first,
        rating=rating, states=statesOf(spans))


def statesOf(spans: tuple[tuple[str, float, float | None], ...]
             ) -> tuple[tuple[float, str, str], ...]:
    """STATE events that make these spans: each operator 'active' at its
    start and 'left' at its end (an open span has no end)."""
    events = [(T + start, o, "active") for o, start, _ in spans]
    events += [(T + end, o, "left") for o, _, end in spans if end is not None]
    return tuple(sorted(events))


# -- percentiles ------------------------------------------------------------------

@pytest.mark.parametrize(("values", "p", "expected"), [
    ([], 50, None),  # nothing measured: None
    ([7.0], 90, 7.0),  # one value is every percentile
    ([1.0, 2.0, 3.0, 4.0], 50, 2.0),  # rank ceil(0.5*4)=2 -> 2
    ([4.0, 3.0, 2.0, 1.0], 90, 4.0),  # rank ceil(0.9*4)=4 -> 4 (order of input is irrelevant)
    ([5.0, 5.0, 5.0, 9.0], 50, 5.0),  # ties: rank 2 -> 5
    ([5.0, 5.0, 9.0, 9.0, 9.0], 50, 9.0),  # rank ceil(2.5)=3 -> 9
    ([float(x) for x in range(1, 11)], 90, 9.0),  # rank 9 of 1..10 -> 9
    ([float(x) for x in range(1, 11)], 0, 1.0),  # rank max(1, 0)=1 -> 1
])
def test_percentile_is_nearest_rank(values: list[float], p: float,
                                    expected: float | None) -> None:
    assert percentile(values, p) == expected


# -- node -------------------------------------------------------------------------

NOW = 1000.0
NODE_CASES: list[tuple[str, list[ChatFacts], dict[str, Any]]] = [
    # No chats: counts 0, every measured figure None.
    ("no chats", [], dict(clients=0, chats=0, chat_length_avg=None, chat_length_p50=None,
                          abandoned=0, abandoned_rate=None, queue_wait_avg=None,
                          first_response_avg=None, answered_in_target=None, ratings=0,
                          rating_avg=None, csat=None)),
    # Chat 1: created 0, accepted 10, first message 10, closed 110: wait 10,
    #   length 100, response 10 (hit, <= 60), rated 5.
    # Chat 2: created 100, accepted 190, first message 190, closed 490: wait 90,
    #   length 300, response 90 (miss), rated 3.
    # Chat 3: created 200, abandoned 230: wait 30, no length, no response
    #   (ended unanswered: a miss), unrated. Client c2.
    # lengths [100, 300]: avg 200, p50 rank 1 -> 100, p90 rank 2 -> 300.
    # waits [10, 90, 30]: avg 130/3, p50 rank 2 of [10,30,90] -> 30, p90 rank 3 -> 90.
    # responses [10, 90]: avg 50, p50 10, p90 90. SLA: 1 hit of 2+1 -> 1/3.
    # ratings [5, 3]: avg 4, csat 1/2. abandoned 1 of 3.
    ("closed and abandoned", [
        facts(1, 0, 10, 110, first=10, rating=5),
        facts(2, 100, 190, 490, first=190, rating=3),
        facts(3, 200, None, 230, state="abandoned", client="c2"),
    ], dict(clients=2, chats=3, chat_length_avg=200.0, chat_length_p50=100.0,
            chat_length_p90=300.0, abandoned=1, abandoned_rate=1 / 3,
            queue_wait_avg=130 / 3, queue_wait_p50=30.0, queue_wait_p90=90.0,
            first_response_avg=50.0, first_response_p50=10.0, first_response_p90=90.0,
            answered_in_target=1 / 3, ratings=2, rating_avg=4.0, csat=0.5)),
    # Open chats at NOW=1000. Chat 1: accepted 900, open: length 1000-900=100,
    #   wait 900-800... created 800 -> wait 100, response 850-800=50 (hit).
    # Chat 2: created 980, still waiting: wait 20, unanswered and younger than
    #   60: left out of the SLA. Chat 3: created 900, still waiting: wait 100,
    #   unanswered and older than 60: a miss.
    # lengths [100]; waits [100, 20, 100]: avg 220/3, p50 rank 2 of [20,100,100] -> 100;
    # SLA 1 hit / (1 response + 1 miss) = 0.5. No ratings: None, not 0.
    ("open chats count up to now", [
        facts(1, 800, 900, None, first=850),
        facts(2, 980),
        facts(3, 900),
    ], dict(clients=1, chats=3, chat_length_avg=100.0, chat_length_p90=100.0,
            queue_wait_avg=220 / 3, queue_wait_p50=100.0, answered_in_target=0.5,
            abandoned=0, abandoned_rate=0.0, ratings=0, rating_avg=None, csat=None)),
    # Period edges: [0, 1000). Chats at -10 and at 1000 are outside; only the
    # chat created at 0 counts: accepted 10, closed 110: length 100.
    ("created in [since, until)", [
        facts(1, -10, 0, 50, first=0),
        facts(2, 0, 10, 110, first=10),
        facts(3, 1000, 1010, 1100, first=1010),
    ], dict(chats=1, chat_length_avg=100.0, queue_wait_avg=10.0, first_response_p50=10.0,
            answered_in_target=1.0)),
    # A response exactly at the target counts as in time (<=): 60 -> hit; 61 -> miss.
    ("target is inclusive", [
        facts(1, 0, 60, 100, first=60),
        facts(2, 0, 61, 100, first=61),
    ], dict(answered_in_target=0.5, first_response_avg=60.5)),
]


@pytest.mark.parametrize(("chats", "expected"), [c[1:] for c in NODE_CASES],
                         ids=[c[0] for c in NODE_CASES])
def test_node_stats(chats: list[ChatFacts], expected: dict[str, Any]) -> None:
    """Every case's period is [0, 1000) and now is 1000."""
    got = nodeStats(chats, T, T + NOW, T + NOW, ANSWER_TARGET).asDict()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value) if value is not None else got[key] is None, key


def test_node_stats_dict_is_json_ready() -> None:
    got = nodeStats([facts(1, 0, 10, 110, first=10, rating=4)], T, T + 500, T + NOW).asDict()
    assert got["chats"] == 1 and isinstance(got["chats"], int)
    assert got["answer_target"] == 60.0 and isinstance(got["answer_target"], float)
    assert got["csat"] == 1.0
    assert sorted(got) == sorted([
        "clients", "chats", "chat_length_avg", "chat_length_p50", "chat_length_p90",
        "abandoned", "abandoned_rate", "queue_wait_avg", "queue_wait_p50", "queue_wait_p90",
        "first_response_avg", "first_response_p50", "first_response_p90", "answer_target",
        "answered_in_target", "ratings", "rating_avg", "csat"])


# -- operator ---------------------------------------------------------------------

def change(at: float, state: str, operator: str = A) -> OperatorStateChange:
    return OperatorStateChange(T + at, operator, state)


OPERATOR_CASES: list[tuple[str, list[ChatFacts], list[OperatorStateChange],
                           dict[str, Any]]] = [
    # Never online, in no chat: everything 0, no average.
    ("never online", [], [], dict(clients=0, chats=0, chat_length_avg=None,
                                  time_online=0.0, time_afk=0.0, time_in_chats=0.0)),
    # Period [100, 500), now 1000 (past the period). Changes: online at 0,
    # afk 200, free 260, offline 400, online 450 (to until 500).
    # online: [100,200)=100 + [260,400)=140 + [450,500)=50 -> 290; afk [200,260) = 60.
    # Chats: 1 created 110, A in it 120..220 (100); 2 created 300, A 310..open
    # -> clipped to 500: 190; B's span is not A's. in chats 290.
    # chat lengths: 1: 220-120=100, 2: open to now 1000-310=690: avg 395.
    ("crossing the period's edges", [
        facts(1, 110, 120, 220, spans=((A, 120, 220),)),
        facts(2, 300, 310, None, client="c2", spans=((A, 310, None), (B, 320, 330))),
    ], [change(0, "online"), change(200, "afk"), change(260, "free"),
        change(400, "offline"), change(450, "online")],
     dict(clients=2, chats=2, chat_length_avg=395.0, time_online=290.0, time_afk=60.0,
          time_in_chats=290.0)),
    # A chat created before the period with A's span 50..150 counts for time in
    # chats (150-100=50) but not as one of the period's chats. A's other
    # operator's (B) changes are ignored; A busy from 120 with no later change
    # runs to until 500: online 380.
    ("span from an earlier chat", [
        facts(1, 40, 50, 150, spans=((A, 50, 150),)),
    ], [change(120, "busy"), change(0, "online", B)],
     dict(clients=0, chats=0, chat_length_avg=None, time_online=380.0, time_afk=0.0,
          time_in_chats=50.0)),
]


@pytest.mark.parametrize(("chats", "changes", "expected"), [c[1:] for c in OPERATOR_CASES],
                         ids=[c[0] for c in OPERATOR_CASES])
def test_operator_stats(chats: list[ChatFacts], changes: list[OperatorStateChange],
                        expected: dict[str, Any]) -> None:
    got = operatorStats(A, chats, changes, T + 100, T + 500, T + NOW).asDict()
    assert got["operator"] == A
    for key, value in expected.items():
        assert got[key] == pytest.approx(value) if value is not None else got[key] is None, key


def test_an_open_interval_runs_to_now_inside_the_period() -> None:
    # now 300 inside [100, 500): online from 0 -> [100, 300) = 200; A's open
    # span from 250 -> 50.
    chats = [facts(1, 240, 250, None, spans=((A, 250, None),))]
    got = operatorStats(A, chats, [change(0, "online")], T + 100, T + 500, T + 300)
    assert (got.time_online, got.time_in_chats) == (200.0, 50.0)
    assert got.chat_length_avg == 50.0  # open: 300 - 250


# -- client -----------------------------------------------------------------------

CLIENT_CASES: list[tuple[str, list[ChatFacts], dict[str, Any]]] = [
    ("no contacts", [facts(1, 0, 10, 20, client="other")],
     dict(contacts=0, time_in_queue=0.0, time_in_chat=0.0)),
    # Chat 1: wait 10, length 100; chat 2 abandoned: wait 230-200=30;
    # chat 3 open at now 1000: accepted 950 created 900: wait 50, length 50.
    # queue 90, chat 150.
    ("closed, abandoned and open", [
        facts(1, 0, 10, 110), facts(2, 200, None, 230, state="abandoned"),
        facts(3, 900, 950, None)],
     dict(contacts=3, time_in_queue=90.0, time_in_chat=150.0)),
]


@pytest.mark.parametrize(("chats", "expected"), [c[1:] for c in CLIENT_CASES],
                         ids=[c[0] for c in CLIENT_CASES])
def test_client_stats(chats: list[ChatFacts], expected: dict[str, Any]) -> None:
    got = clientStats("c1", chats, T, T + NOW, T + NOW).asDict()
    assert got == {"client": "c1", **expected}


# -- facts from stored records -----------------------------------------------------

def event(seq: int, at: float, kind: str, author: str, text: str = "",
          **data: Any) -> ChatEvent:
    return ChatEvent(chat_id=7, seq=seq, at=T + at, kind=kind, author=author, text=text,
                     data=data)


def test_chat_facts_from_record_and_events() -> None:
    # A accepts at 10 with a relayed answer; B joins at 40; A leaves at 50;
    # a blocked message of B (60) does not count; B's message at 70 is not
    # the first; the chat closes at 100 ending B's span. Two ratings: the
    # latest (2) counts; a bad rating data (seq 12) is after it and means
    # "no rating".
    record = ChatRecord(id=7, node="n", client="c1", state="closed", operators=(B,),
                        created_at=T, accepted_at=T + 10, closed_at=T + 100)
    events = [
        event(1, 0, "state", "system", "queued"),
        event(2, 0, "message", "client", "hi"),
        event(3, 5, "notice", "system", "wait", to="client"),
        event(4, 10, "message", A, "hello"),
        event(5, 10, "state", A, "active"),
        event(6, 40, "state", B, "joined"),
        event(7, 50, "state", A, "left"),
        event(8, 60, "message", B, "bad", blocked=["profanity"]),
        event(9, 70, "message", B, "ok"),
        event(10, 100, "state", "client", "closed", reason="client"),
        event(11, 110, "rating", "client", rating=5, comment=""),
        event(13, 130, "rating", "client", rating=2, comment="slow"),
    ]
    got = chatFacts(record, list(reversed(events)))  # order comes from seq
    assert got.first_response_at == T + 10
    assert got.rating == 2
    assert got.operators == (A, B)
    assert got.spans == (OperatorSpan(A, T + 10, T + 50), OperatorSpan(B, T + 40, T + 100))
    later = chatFacts(record, events + [event(14, 140, "rating", "client", rating="x")])
    assert later.rating is None


def test_chat_facts_of_a_requeued_and_an_unanswered_chat() -> None:
    # A accepted by a command (no message), held and then lost at 30: the
    # chat is requeued (span ends), B accepts at 50 and is still in it.
    record = ChatRecord(id=7, node="n", client="c1", state="active", operators=(B,),
                        created_at=T, accepted_at=T + 50)
    events = [event(1, 0, "state", "system", "queued"),
              event(2, 10, "command", A, "!accept"), event(3, 10, "state", A, "active"),
              event(4, 20, "state", A, "held"),
              event(5, 30, "state", "system", "queued", reason="operator_gone"),
              event(6, 50, "state", B, "active")]
    got = chatFacts(record, events)
    assert got.first_response_at is None and got.rating is None
    assert got.spans == (OperatorSpan(A, T + 10, T + 30), OperatorSpan(B, T + 50, None))
    unanswered = chatFacts(ChatRecord(id=8, node="n", client="c", created_at=T), [])
    assert (unanswered.operators, unanswered.spans, unanswered.first_response_at) == \
        ((), (), None)
