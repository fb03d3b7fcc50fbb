"""Node presence (R-PRES-1), operator presence folding (R-PRES-2), console."""
from __future__ import annotations

from imsupport.core.model import Group, Node, Operator
from imsupport.core.nodestate import nodePresence
from imsupport.core.operators import OperatorState
from tests.unit.fakes import ALICE, IVAN, OLGA, PETR, makeCore, online


def shows(t, node="sales"):
    return [(p.extra["show"], p.extra["available"]) for p in t.presences(node)]


def test_node_presence_follows_operators():
    core, clock, t, store = makeCore()
    core.refreshPresence()
    assert shows(t)[-1] == ("xa", True)
    assert "No operators online. Queue: 0." == t.presences("sales")[-1].body
    online(core, IVAN, show="away")
    assert shows(t)[-1] == ("away", True)
    online(core, OLGA)
    assert shows(t)[-1] == (None, True)
    core.operatorPresence(OLGA, "laptop", False)
    assert shows(t)[-1] == ("away", True)
    core.operatorPresence(IVAN, "laptop", True, None)  # back from AFK
    core.clientSaid("sales", ALICE, "hi")
    core.operatorSaid("sales", 1, IVAN, "hello")
    assert shows(t)[-1] == ("dnd", True)
    assert "All operators are busy" in t.presences("sales")[-1].body


def test_presence_only_sent_on_change():
    core, clock, t, store = makeCore()
    core.refreshPresence()
    count = len(t.presences("sales"))
    core.refreshPresence()
    assert len(t.presences("sales")) == count
    core.republishPresence()
    assert len(t.presences("sales")) == count + 1


def test_status_counts_the_queue():
    core, clock, t, store = makeCore()
    core.refreshPresence()
    core.clientSaid("sales", ALICE, "hi")
    assert t.presences("sales")[-1].body == "No operators online. Queue: 1."


def test_switched_off_node_is_unavailable():
    node = Node("x", groups=(Group("g", ("a@b",)),))
    p = nodePresence(node, {}, 0, mode="offline")
    assert (p.available, p.status_key) == (False, "presence_closed")


def test_a_free_manual_only_operator_does_not_make_the_node_available():
    """Routing never offers a new chat to a manual-only group (it takes
    redirects): its free expert promises a new client nothing."""
    node = Node("x", groups=(Group("first", ("a@b",)), Group("experts", ("e@b",), auto=False)))
    expert = OperatorState(Operator("e@b", "E"))
    expert.setPresence("laptop", True, None, 10)
    assert nodePresence(node, {"e@b": expert}, 0).status_key == "presence_offline"
    first = OperatorState(Operator("a@b", "A"))
    first.setPresence("laptop", True, None, 10)
    p = nodePresence(node, {"e@b": expert, "a@b": first}, 0)
    assert (p.show, p.status_key) == (None, "presence_available")


def test_several_resources_fold_into_one_state():
    state = OperatorState(Operator("a@b", "A"))
    assert state.setPresence("phone", True, "away", 10)
    assert state.afk
    assert state.setPresence("laptop", True, None, 20)
    assert not state.afk and state.idle_since == 20
    assert not state.setPresence("phone", False, None, 30)
    assert state.setPresence("laptop", False, None, 40)
    assert not state.online


def test_unknown_presence_sender_is_ignored():
    core, clock, t, store = makeCore()
    core.operatorPresence("stranger@x", "r", True)
    assert "stranger@x" not in core.operators


def test_console_help_status_and_refusal():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.consoleSaid(IVAN, "!status")
    status = t.last(IVAN)
    assert status.sender == "" and "Your state: free" in status.body
    assert "sales: 1" in status.body
    core.consoleSaid(IVAN, "hello")
    assert "!status" in t.last(IVAN).body
    core.consoleSaid(IVAN, "!nope")
    assert "Unknown command !nope" in t.last(IVAN).body
    core.consoleSaid(ALICE, "!status")
    assert "operators and admins only" in t.last(ALICE).body
    core.consoleSaid("boss@shop.test", "!help")
    assert t.last("boss@shop.test").body


def test_russian_operator_gets_russian_texts():
    core, clock, t, store = makeCore()
    core.consoleSaid(PETR, "!status")
    assert "Ваше состояние: не в сети" in t.bodies(PETR)[0]


def test_russian_client_gets_russian_greeting():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "Здравствуйте", lang="ru")
    assert t.to(ALICE)[0].body.startswith("Здравствуйте! Вы 1-й в очереди")
    assert t.to(ALICE)[0].extra["lang"] == "ru"


def greeting(prepare, **core_kw):
    core, clock, t, store = makeCore(**core_kw)
    prepare(core)
    core.clientSaid("sales", ALICE, "Hello?")
    return t.to(ALICE, "client")[0].body, t.presences("sales")[-1].body


def test_the_greeting_says_what_the_node_presence_says():
    """Issue 7 (11): no "an operator will answer you soon" while nobody can;
    the client learns that the message is kept and how to end the chat."""
    def busy(core):
        online(core, IVAN)
        online(core, OLGA)
        for client, op in (("c1@x.test", IVAN), ("c2@x.test", OLGA)):
            core.clientSaid("sales", client, "first")
            chat = core.chats.idOfClient("sales", client)
            core.operatorSaid("sales", chat, op, "hi")

    cases = [
        (lambda core: online(core, IVAN), "An operator will answer you soon",
         "Operators are free"),
        (lambda core: None, "Nobody at Sales questions is online right now. Your message is kept",
         "No operators online"),
        (lambda core: online(core, IVAN, show="away"), "away from their desks right now",
         "Operators are away"),
        (busy, "All operators of Sales questions are busy right now", "All operators are busy"),
    ]
    for prepare, says, presence in cases:
        text, status = greeting(prepare)
        assert says in text and presence in status, (text, status)
        assert "Write !end to end the chat, !help for more." in text
        if "soon" not in says:
            assert "soon" not in text and "kept" in text


def test_the_greeting_knows_operators_are_off_shift():
    from tests.unit.fakes import directory
    operators = (Operator(IVAN, "Ivan", ("en",), schedule="Mon-Fri 10:00-18:00"),
                 Operator(OLGA, "Olga", ("en",), schedule="Mon-Fri 10:00-18:00"))
    core, clock, t, store = makeCore()
    core.setDirectory(directory(operators=operators))
    online(core, IVAN)  # 08:00 UTC: online, but the shift starts at 10:00
    core.clientSaid("sales", ALICE, "Hello?")
    assert "off shift right now. Your message is kept" in t.to(ALICE, "client")[0].body
    assert t.presences("sales")[-1].body.startswith("Operators are off shift now.")


def test_shutdown_makes_nodes_unavailable():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.clientSaid("sales", ALICE, "hi")
    core.shutdown()
    last = t.presences("sales")[-1]
    assert last.extra == {"show": None, "available": False} and last.body == "Switched off."
    clock.advance(10_000)
    assert "expired" not in " ".join(t.bodies(IVAN)), "timers stop with the service"
