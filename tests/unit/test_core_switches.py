"""Switching off and on (R-NODE-3) through the core and the admin console."""
from __future__ import annotations

import pytest

from imsupport.core.model import CLOSED
from imsupport.core.switches import HARD, SOFT, Switches, Target, TargetError, parseTarget
from tests.unit.fakes import (
    ALICE,
    BOB,
    BOSS,
    GURU,
    IVAN,
    OLGA,
    activeChat,
    directory,
    makeCore,
    online,
)


def stored_switches(store):
    result = []
    store.switchedOff().addCallback(result.append)
    return result[0]


def record(store, chat_id):
    result = []
    store.getChat(chat_id).addCallback(result.append)
    return result[0]


@pytest.mark.parametrize("words, key", [
    (["service"], "service"),
    (["node", "sales"], "node:sales"),
    (["sales"], "node:sales"),
    (["group", "sales/first"], "group:sales/first"),
    (["sales/first"], "group:sales/first"),
    (["operator", IVAN], f"operator:{IVAN}"),
    ([IVAN.upper()], f"operator:{IVAN}"),
    (["operator", IVAN, "node", "sales"], f"operator:{IVAN}@sales"),
])
def test_targets(words, key):
    assert parseTarget(words, directory()).key == key


@pytest.mark.parametrize("words", [[], ["nosuch"], ["sales/nosuch"], ["x@y"],
                                   ["operator", IVAN, "node", "nosuch"], ["service", "x"]])
def test_bad_targets(words):
    with pytest.raises(TargetError):
        parseTarget(words, directory())


def test_switch_keys_and_queries():
    switches = Switches()
    assert switches.set(Target("operator", operator=IVAN, node="sales"), on=False)
    assert not switches.set(Target("operator", operator=IVAN, node="sales"), on=False)
    assert switches.offOperators("sales") == {IVAN} and switches.offOperators("x") == set()
    assert not switches.operatorOff(IVAN)
    switches.set(Target("group", node="sales", group="first"), on=False)
    assert switches.offGroups("sales") == {"first"}
    switches.set(Target("service"), on=False)
    assert switches.nodeOff("anything") and switches.operatorOff(OLGA)


def test_operator_off_in_node_is_not_offered_and_on_again_is():
    core, clock, t, store = makeCore()
    online(core, IVAN, OLGA)
    core.switch(Target("operator", operator=IVAN, node="sales"), on=False)
    core.switch(Target("operator", operator=OLGA), on=False)
    core.clientSaid("sales", ALICE, "hi")
    assert not any("New chat" in b for b in t.bodies(IVAN) + t.bodies(OLGA))
    assert stored_switches(store) == {f"operator:{IVAN}@sales", f"operator:{OLGA}"}
    core.switch(Target("operator", operator=IVAN, node="sales"), on=True)
    assert "New chat #1" in t.last(IVAN).body
    assert stored_switches(store) == {f"operator:{OLGA}"}


def test_group_off_moves_routing_to_the_next_wave():
    core, clock, t, store = makeCore()
    online(core, IVAN, GURU)
    core.switch(Target("group", node="sales", group="first"), on=False)
    core.clientSaid("sales", ALICE, "hi")
    assert "New chat #1" in t.last(GURU).body and not t.bodies(IVAN)


def test_pending_invitation_is_withdrawn_when_switched_off():
    core, clock, t, store = makeCore()
    online(core, IVAN, OLGA)
    core.clientSaid("sales", ALICE, "hi")
    first = IVAN if t.bodies(IVAN) else OLGA
    other = OLGA if first == IVAN else IVAN
    core.switch(Target("operator", operator=first), on=False)
    assert "You were switched off" in t.last(first).body and "next operator" in t.last(first).body
    assert "New chat #1" in t.last(other).body


def test_a_group_switched_off_withdraws_its_members_invitations():
    core, clock, t, store = makeCore()
    online(core, IVAN, GURU)
    core.clientSaid("sales", ALICE, "hi")
    assert "New chat #1" in t.last(IVAN).body
    core.switch(Target("group", node="sales", group="first"), on=False)
    assert "You were switched off" in t.last(IVAN).body
    assert core.invitations.count(IVAN) == 0
    assert "New chat #1" in t.last(GURU).body, "the next wave has it at once"
    core.operatorSaid("sales", 1, IVAN, "I'll take it")  # too late: no invitation
    assert core.chats[1].record.operators == ()


def test_soft_node_off_keeps_active_chats_and_turns_new_clients_away():
    core, clock, t, store = activeChat()
    core.clientSaid("sales", BOB, "queued one")
    core.switch(Target("node", node="sales"), on=False, mode=SOFT)
    assert core.openChat(1) is not None, "active chats finish (soft)"
    assert "switched off" in t.last(BOB).body and core.openChat(2) is None
    core.clientSaid("sales", ALICE, "still there?")
    assert t.last(IVAN).body == "still there?"
    core.clientSaid("sales", "carol@example.net", "hello?")
    assert "not available now" in t.last("carol@example.net").body
    assert not core.chats.get(3)
    assert t.presences("sales")[-1].extra["available"] is False


def test_hard_service_off_closes_active_chats_with_notices():
    core, clock, t, store = activeChat()
    core.switch(Target("service"), on=False, mode=HARD, by=BOSS)
    assert core.openChat(1) is None
    assert "switched off" in t.last(ALICE).body
    assert "switched off by an admin" in t.last(IVAN).body
    assert record(store, 1).state == CLOSED and record(store, 1).close_reason == "switched_off"
    core.switch(Target("service"), on=True)
    core.clientSaid("sales", ALICE, "back?")
    assert core.chats.idOfClient("sales", ALICE) == 2


def test_hard_operator_off_closes_only_their_chats():
    core, clock, t, store = activeChat()
    online(core, OLGA)
    core.clientSaid("sales", BOB, "hi")
    core.operatorSaid("sales", 2, OLGA, "hello Bob")
    core.switch(Target("operator", operator=IVAN), on=False, mode=HARD)
    assert core.openChat(1) is None and core.openChat(2) is not None


def test_hard_group_off_closes_chats_of_operators_only_in_that_group():
    core, clock, t, store = activeChat()
    core.switch(Target("group", node="sales", group="experts"), on=False, mode=HARD)
    assert core.openChat(1) is not None
    core.switch(Target("group", node="sales", group="first"), on=False, mode=HARD)
    assert core.openChat(1) is None


def test_switches_survive_a_restart_through_the_store():
    core, clock, t, store = makeCore()
    core.switch(Target("node", node="sales"), on=False)
    again, *_ = makeCore(store=store, switches=Switches(stored_switches(store)))
    assert again.switches.nodeOff("sales")


def test_console_switching_for_admins_only():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.consoleSaid(IVAN, "!off sales")
    assert "Only the service's admins" in t.last(IVAN).body
    core.consoleSaid(BOSS, "!off node sales hard")
    assert t.last(BOSS).body == "Switched off: node sales (hard)."
    core.consoleSaid(BOSS, "!off sales")
    assert "already switched off" in t.last(BOSS).body
    core.consoleSaid(BOSS, "!on sales")
    assert t.last(BOSS).body == "Switched on: node sales (soft)."
    core.consoleSaid(BOSS, "!off nosuch")
    assert "Cannot switch: there is no node 'nosuch'" in t.last(BOSS).body
    core.consoleSaid(BOSS, "!help")
    assert "!off <target> [soft|hard]" in t.last(BOSS).body
    core.consoleSaid(IVAN, "!help")
    assert "!off" not in t.last(IVAN).body


def test_console_node_status_shows_state_and_reasons():
    core, clock, t, store = activeChat()
    online(core, OLGA, show="away")
    core.clientSaid("sales", BOB, "waiting")
    clock.advance(65)
    core.consoleSaid(BOSS, "!status sales")
    status = t.last(BOSS).body
    assert status.startswith("Node sales (Sales questions): open; all switched on")
    assert "Operators: 3 in all, 2 online, 1 away, 0 free, 1 in chats." in status
    assert f"#2 {BOB} 1:05" in status and f"#1 {ALICE} with Ivan" in status
    assert "Olga: away (AFK)" in status and "Ivan: at max_chats" in status
    assert "Guru: offline" in status
    core.consoleSaid(BOSS, "!status nowhere")
    assert "There is no node nowhere" in t.last(BOSS).body
    core.consoleSaid(IVAN, "!status sales")
    assert "Your state: busy" in t.last(IVAN).body, "operators see their own state"
