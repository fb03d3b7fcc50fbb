"""Chat addresses as contacts (issue 7, 13): available with a nick naming the
chat while it is open for an operator, unavailable when it is not."""
from __future__ import annotations

from tests.unit.fakes import ALICE, GURU, IVAN, OLGA, activeChat, makeCore, online

CHAT = "sales+1"


def seen(t, who, sender=CHAT):
    """(available, nick) of each chat presence ``who`` got from ``sender``."""
    return [(s.extra["available"], s.extra["nick"]) for s in t.to(who, "chatpresence")
            if s.sender == sender]


def test_invited_then_accepted_then_closed():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "Where is my order?")
    assert seen(t, IVAN) == [(True, f"Chat #1: {ALICE}")]
    status = t.to(IVAN, "chatpresence")[0].extra["status"]
    assert status == f"Sales questions: chat #1 with {ALICE}"
    kinds = [s.kind for s in t.to(IVAN)]
    assert kinds.index("chatpresence") < kinds.index("operator"), \
        "the contact shows up before the invitation arrives from it"
    core.operatorSaid("sales", 1, IVAN, "Hello")
    assert seen(t, IVAN) == [(True, f"Chat #1: {ALICE}")], "accepting changes nothing"
    core.operatorSaid("sales", 1, IVAN, "!close")
    assert seen(t, IVAN)[-1] == (False, None)


def test_declined_and_expired_invitations_take_the_contact_away():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    online(core, OLGA)
    core.clientSaid("sales", ALICE, "hi")
    first = next(op for op in (IVAN, OLGA) if seen(t, op))
    second = OLGA if first == IVAN else IVAN
    core.operatorSaid("sales", 1, first, "!decline")
    assert seen(t, first)[-1] == (False, None)
    assert seen(t, second) == [(True, f"Chat #1: {ALICE}")]
    clock.advance(60)  # invite_timeout
    assert seen(t, second)[-1] == (False, None)


def test_invite_join_and_leave():
    core, clock, t, store = activeChat()
    online(core, OLGA)
    core.operatorSaid("sales", 1, IVAN, "!invite Olga")
    assert seen(t, OLGA) == [(True, f"Chat #1: {ALICE}")]
    core.operatorSaid("sales", 1, OLGA, "joining")
    core.operatorSaid("sales", 1, OLGA, "!leave")
    assert seen(t, OLGA)[-1] == (False, None)
    assert seen(t, IVAN) == [(True, f"Chat #1: {ALICE}")], "Ivan still in it"


def test_probes_answer_only_those_the_chat_is_open_for():
    core, clock, t, store = activeChat()
    t.clear()
    core.chatProbe("sales", 1, IVAN)
    core.chatProbe("sales", 1, GURU)
    core.chatProbe("sales", 99, GURU)
    assert seen(t, IVAN) == [(True, f"Chat #1: {ALICE}")]
    assert seen(t, GURU) == [(False, None)] and seen(t, GURU, "sales+99") == [(False, None)]


def test_reconnect_republishes_and_shutdown_withdraws():
    core, clock, t, store = activeChat()
    t.clear()
    core.republishPresence()
    assert seen(t, IVAN) == [(True, f"Chat #1: {ALICE}")]
    core.shutdown()
    assert seen(t, IVAN)[-1] == (False, None)


def test_a_gateway_client_is_named_as_a_person_reads_it():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", "alice\\40matrix.org@gw.example.test", "hi")
    assert seen(t, IVAN) == [(True, "Chat #1: alice@matrix.org via gw.example.test")]
