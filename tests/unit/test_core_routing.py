"""Routing as the core runs it (R-ROUTE-1, R-ROUTE-9): escalation on the
clock, rounds after declines, parallel ringing and the dispatch loop over a
long queue. task.Clock, a memory store and a recording transport."""
from __future__ import annotations

import time
from dataclasses import replace

from imsupport.core import offers
from imsupport.core.chat import ESCALATION
from imsupport.core.model import ACTIVE, STATE, Directory
from tests.unit.fakes import ALICE, GURU, IVAN, OLGA, PETR, directory, events, makeCore, online

INVITED = "New chat #"
ESCALATED = "Nobody took chat #1 in time; it went to the next wave of operators."


def tuned(ring: str = "sequential", **groups: dict) -> Directory:
    """fakes.directory() with some groups changed: tuned(first={"max_declines": 2})."""
    base = directory(ring)
    node = base.nodes[0]
    changed = tuple(replace(g, **groups.get(g.name, {})) for g in node.groups)
    return replace(base, nodes=(replace(node, groups=changed),))


def invitations(t, who: str) -> list[str]:
    return [b for b in t.bodies(who) if b.startswith(INVITED)]


def test_nobody_accepts_within_escalate_after_goes_to_wave_2():
    core, clock, t, store = makeCore()
    core.setDirectory(tuned(first={"escalate_after": 30}))
    online(core, IVAN, GURU)
    core.clientSaid("sales", ALICE, "hi")
    assert len(invitations(t, IVAN)) == 1 and not t.bodies(GURU)
    clock.advance(29)
    assert not t.bodies(GURU), "wave 2 waits for escalate_after"
    clock.advance(1)
    assert t.last(IVAN).body == ESCALATED
    assert invitations(t, GURU) and invitations(t, GURU)[0].startswith("New chat #1 ")
    chat = core.chats[1]
    assert set(core.invitations.operatorsOf(chat.id)) == {GURU}
    assert core.invitations.count(IVAN) == 0 and core.team.load(IVAN) == 0
    assert chat.wave == 2 and chat.min_wave == 2
    states = [(e.text, e.data) for e in events(store, 1) if e.kind == STATE]
    assert ("escalated", {"wave": 2}) in states

    core.operatorSaid("sales", 1, IVAN, "sorry, here now")
    assert "Chat #1 is not open for you" in t.last(IVAN).body
    core.operatorSaid("sales", 1, GURU, "Hello!")
    assert chat.record.state == ACTIVE and chat.record.operators == (GURU,)
    assert t.bodies(ALICE)[-1] == "Hello!"


def test_escalation_timer_stops_when_the_chat_is_accepted():
    core, clock, t, store = makeCore()
    core.setDirectory(tuned(first={"escalate_after": 30}))
    online(core, IVAN, GURU)
    core.clientSaid("sales", ALICE, "hi")
    clock.advance(10)
    core.operatorSaid("sales", 1, IVAN, "hello")
    clock.advance(100)
    assert not t.bodies(GURU)
    assert core.chats[1].record.operators == (IVAN,)


def test_without_a_later_wave_there_is_no_escalation():
    core, clock, t, store = makeCore()
    core.setDirectory(tuned(first={"escalate_after": 30}, second={"auto": False}))
    online(core, IVAN, GURU)
    core.clientSaid("sales", ALICE, "hi")
    clock.advance(59)
    assert ESCALATED not in t.bodies(IVAN) and not invitations(t, GURU)
    assert not core.chats[1].timers.active(ESCALATION)


def test_escalation_to_an_empty_wave_does_not_strand_the_chat():
    core, clock, t, store = makeCore()  # Guru (wave 2) stays offline
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    assert len(invitations(t, IVAN)) == 1
    clock.advance(150)  # invite_timeout 60, escalate_after 120: nobody accepted
    online(core, OLGA)  # a free wave-1 operator
    for _ in range(10):
        clock.advance(60)
    assert invitations(t, OLGA) or len(invitations(t, IVAN)) > 1, \
        "free wave-1 operators exist and wave 2 has nobody: someone must be asked"


def test_escalation_to_an_empty_wave_keeps_the_current_invitation():
    core, clock, t, store = makeCore()  # Guru (wave 2) stays offline
    core.setDirectory(tuned(first={"escalate_after": 30}))
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    clock.advance(30)
    assert ESCALATED not in t.bodies(IVAN), "nobody is in the next wave"
    assert set(core.invitations.operatorsOf(1)) == {IVAN}


def test_after_falling_back_wave_2_gets_the_chat_once_someone_is_there():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    clock.advance(120)  # expired at 60, escalated at 120 to an empty wave 2
    assert core.chats[1].min_wave == 2
    assert len(invitations(t, IVAN)) == 2, "wave 2 has nobody: wave 1 is asked again"
    online(core, GURU)
    assert not invitations(t, GURU), "Ivan's invitation runs its course"
    clock.advance(60)
    assert len(invitations(t, GURU)) == 1, "escalated: wave 2 before wave 1's next round"


def test_decline_below_max_declines_gives_wave_1_another_round():
    core, clock, t, store = makeCore()
    core.setDirectory(tuned(first={"max_declines": 2, "escalate_after": 1000}))
    online(core, IVAN, GURU)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "!decline")
    assert t.last(IVAN).body == "You declined chat #1."
    assert not t.bodies(GURU), "one decline of two: the chat stays in wave 1"
    assert core.chats[1].wave == 1 and core.chats[1].declines == {IVAN: 1}
    clock.advance(59)
    assert len(invitations(t, IVAN)) == 1
    clock.advance(1)  # the pause between rounds is invite_timeout
    assert len(invitations(t, IVAN)) == 2, "second round"
    assert not t.bodies(GURU)
    core.operatorSaid("sales", 1, IVAN, "!decline")
    assert core.chats[1].declines == {IVAN: 2}
    assert len(invitations(t, GURU)) == 1, "declined max_declines times: wave 2"
    assert core.chats[1].wave == 2


def test_default_max_declines_one_decline_moves_on():
    core, clock, t, store = makeCore()
    online(core, IVAN, GURU)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "!decline")
    assert len(invitations(t, GURU)) == 1


def test_parallel_ring_invites_the_whole_wave_and_the_first_to_accept_wins():
    core, clock, t, store = makeCore(ring="parallel")
    online(core, IVAN, OLGA, GURU)
    core.clientSaid("sales", ALICE, "hi")
    assert len(invitations(t, IVAN)) == 1 and len(invitations(t, OLGA)) == 1
    assert not t.bodies(GURU), "wave 2 is not rung while wave 1 can take it"
    assert set(core.invitations.operatorsOf(1)) == {IVAN, OLGA}
    core.operatorSaid("sales", 1, OLGA, "Hi, Olga here")
    assert t.last(IVAN).body == "Chat #1 was taken by Olga."
    assert core.chats[1].record.operators == (OLGA,)
    assert not core.invitations.any(1)
    assert core.invitations.count(IVAN) == 0 and core.team.load(IVAN) == 0
    assert t.bodies(ALICE)[-2:] == ["Olga joined the chat.", "Hi, Olga here"]
    core.operatorSaid("sales", 1, IVAN, "me too")
    assert "Chat #1 is not open for you" in t.last(IVAN).body
    assert "me too" not in t.bodies(ALICE)
    assert not t.bodies(GURU)


def test_parallel_ring_a_decline_leaves_the_others_invited():
    core, clock, t, store = makeCore(ring="parallel")
    online(core, IVAN, OLGA)
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "!decline")
    assert set(core.invitations.operatorsOf(1)) == {OLGA}
    assert len(invitations(t, OLGA)) == 1
    core.operatorSaid("sales", 1, OLGA, "hello")
    assert core.chats[1].record.operators == (OLGA,)


def test_parallel_ring_rings_only_operators_sharing_a_language():
    core, clock, t, store = makeCore(ring="parallel")
    core.setDirectory(tuned(ring="parallel", first={"operators": (IVAN, OLGA, PETR)}))
    online(core, IVAN, OLGA, PETR)
    core.clientSaid("sales", ALICE, "!lang ru")
    core.clientSaid("sales", ALICE, "privet")
    assert set(core.invitations.operatorsOf(1)) == {IVAN, PETR}, "Olga speaks only English"
    assert not t.bodies(OLGA)


class CountingRoute:
    def __init__(self, route) -> None:
        self.route = route
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.route(*args)


def busyCoreWithQueue(waiting: int):
    """Ivan, Olga and Guru each in one chat (max_chats 1) and ``waiting``
    more clients queued: chats 4, 5, ..."""
    core, clock, t, store = makeCore()
    online(core, IVAN, OLGA, GURU)
    for number, operator in enumerate((IVAN, OLGA, GURU), start=1):
        core.clientSaid("sales", f"client{number}@example.net", "hi")
        assert core.invitations.has(number, operator)
        core.operatorSaid("sales", number, operator, "hello")
    for number in range(waiting):
        core.clientSaid("sales", f"waiting{number}@example.net", "hello?")
    assert len(core.queues["sales"]) == waiting
    t.clear()
    return core, clock, t, store


def test_busy_operators_and_a_long_queue_cost_nothing(monkeypatch):
    core, clock, t, store = busyCoreWithQueue(200)
    counting = CountingRoute(offers.route)
    monkeypatch.setattr(offers, "route", counting)
    started = time.perf_counter()
    for _ in range(100):
        core.dispatch()
    elapsed = time.perf_counter() - started
    assert counting.calls == 0, "nobody can take a chat: no queued chat is looked at"
    assert not [s for s in t.sent if s.body and s.body.startswith(INVITED)]
    assert all(not core.invitations.any(i) for i in core.queues["sales"])
    assert elapsed < 1.0, f"100 dispatches over 200 queued chats took {elapsed:.3f} s"


def test_when_one_operator_frees_the_first_queued_chat_is_offered(monkeypatch):
    core, clock, t, store = busyCoreWithQueue(200)
    counting = CountingRoute(offers.route)
    monkeypatch.setattr(offers, "route", counting)
    core.operatorSaid("sales", 1, IVAN, "!close")
    assert invitations(t, IVAN) and invitations(t, IVAN)[0].startswith("New chat #4 ")
    assert len(invitations(t, IVAN)) == 1
    assert [i for i in core.queues["sales"] if core.invitations.any(i)] == [4]
    assert counting.calls == 1, "Ivan is busy again once invited: the loop stops"
    core.operatorSaid("sales", 2, OLGA, "!close")
    assert [b.split()[2] for b in invitations(t, OLGA)] == ["#5"]
    assert [i for i in core.queues["sales"] if core.invitations.any(i)] == [4, 5]
    core.operatorSaid("sales", 4, IVAN, "hello")
    assert core.queues["sales"][:2] == [5, 6]
    assert len(invitations(t, IVAN)) == 1 and not invitations(t, GURU)
