"""Broadcasts (R-API-2) on task.Clock with a memory store."""
from __future__ import annotations

import pytest

from imsupport.core.broadcast import NoSuchTarget
from imsupport.core.model import NOTICE
from tests.unit.fakes import ALICE, BOB, GURU, IVAN, OLGA, activeChat, events, online


def twoChats():
    """Alice's chat #1 with Ivan, Bob's #2 with Olga."""
    core, clock, t, store = activeChat()
    online(core, OLGA)
    core.clientSaid("sales", BOB, "hi")
    core.operatorSaid("sales", 2, OLGA, "hello Bob")
    return core, clock, t, store


def test_to_a_group_reaches_its_operators_from_the_console():
    core, clock, t, store = twoChats()
    sent = core.broadcasts.toGroup("sales", "first", "Meeting at 15:00")
    assert set(sent.operators) == {IVAN, OLGA} and sent.chats == ()
    for operator in (IVAN, OLGA):
        last = t.last(operator)
        assert last.body == "Message from the service: Meeting at 15:00" and not last.sender
    assert not any("Meeting" in b for b in t.bodies(ALICE) + t.bodies(BOB) + t.bodies(GURU))


def test_to_all_chats_is_stored_and_sent_to_clients_with_a_copy_to_operators():
    core, clock, t, store = twoChats()
    sent = core.broadcasts.toChats(None, "We close at 18:00 today.")
    assert sent.chats == (1, 2)
    assert t.last(ALICE).body == "We close at 18:00 today." and t.last(ALICE).sender == "sales"
    assert t.last(BOB).body == "We close at 18:00 today."
    assert "The service told the client" in t.last(IVAN).body
    assert t.last(IVAN).sender == "sales+1"
    assert (NOTICE, "We close at 18:00 today.") in [(e.kind, e.text) for e in events(store, 1)]


def test_to_one_client_and_to_one_operators_chats():
    core, clock, t, store = twoChats()
    assert core.broadcasts.toClient(BOB, "Your refund is on its way").chats == (2,)
    assert "refund" not in " ".join(t.bodies(ALICE))
    assert core.broadcasts.toOperatorChats(IVAN, "Ivan is back in 5 min").chats == (1,)
    assert t.last(ALICE).body == "Ivan is back in 5 min"
    assert "Ivan is back" not in " ".join(t.bodies(BOB))
    assert core.broadcasts.toClient("nobody@example.net", "x").chats == ()


def test_unknown_targets():
    core, clock, t, store = twoChats()
    with pytest.raises(NoSuchTarget):
        core.broadcasts.toGroup("sales", "nosuch", "x")
    with pytest.raises(NoSuchTarget):
        core.broadcasts.toGroup("nosuch", "first", "x")
    with pytest.raises(NoSuchTarget):
        core.broadcasts.toChats("nosuch", "x")
