"""Reverse contact (R-REV-1, R-CMD-9's !contact) on task.Clock with a memory store."""
from __future__ import annotations

from imsupport.core.contact import (
    ACTIVE_WITH_OPERATOR,
    ALREADY_OPEN,
    BLOCKED,
    QUEUED_FOR_ANSWER,
    UNKNOWN_NODE,
)
from imsupport.core.filters import MessageFilter
from imsupport.core.model import ACTIVE, MESSAGE, QUEUED, STATE
from tests.unit.fakes import ALICE, BOB, IVAN, OLGA, activeChat, events, makeCore, online


def result(d):
    got = []
    d.addCallback(got.append)
    assert got, "the Deferred has not fired"
    return got[0]


def test_operator_online_gets_an_active_chat_and_the_client_the_message_from_the_node():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    contacted = result(core.contacts.contact("sales", BOB, "Your order has shipped.", IVAN))
    assert contacted.outcome == ACTIVE_WITH_OPERATOR and contacted.chat_id == 1
    sent = t.last(BOB)
    assert sent.body == "Your order has shipped." and sent.sender == "sales"
    assert core.openChat(1).record.state == ACTIVE
    assert core.openChat(1).record.operators == (IVAN,)
    assert "You opened this chat" in t.last(IVAN).body and t.last(IVAN).sender == "sales+1"
    stored = [(e.kind, e.author, e.text) for e in events(store, 1)]
    assert (STATE, IVAN, "queued") in stored and (STATE, IVAN, "active") in stored
    assert (MESSAGE, IVAN, "Your order has shipped.") in stored
    # the client's answer goes straight to Ivan in that chat
    core.clientSaid("sales", BOB, "Great, thanks!")
    assert t.last(IVAN).body == "Great, thanks!" and t.last(IVAN).sender == "sales+1"


def test_operator_away_leaves_the_chat_in_the_queue_offered_to_them_first_on_answer():
    core, clock, t, store = makeCore()
    online(core, OLGA)
    online(core, IVAN, show="away")
    contacted = result(core.contacts.contact("sales", BOB, "Did the part fit?", IVAN))
    assert contacted.outcome == QUEUED_FOR_ANSWER
    assert t.last(BOB).body == "Did the part fit?"
    chat = core.openChat(1)
    assert chat.record.state == QUEUED and chat.last_operator == IVAN
    assert not [s for s in t.to(OLGA) if s.body and "New chat" in s.body], \
        "nobody is offered a chat before the client answers"
    online(core, IVAN)  # back
    core.clientSaid("sales", BOB, "Yes, it fits")
    assert any("New chat #1" in (s.body or "") for s in t.to(IVAN)), "the sticky operator first"


def test_no_operator_the_node_writes():
    core, clock, t, store = makeCore()
    contacted = result(core.contacts.contact("sales", BOB, "We are open on Sunday."))
    assert contacted.outcome == QUEUED_FOR_ANSWER
    assert [(e.kind, e.author) for e in events(store, 1)][-1] == (MESSAGE, "system")


def test_client_with_an_open_chat_is_not_written_to_again():
    core, clock, t, store = activeChat()
    before = len(t.to(ALICE))
    contacted = result(core.contacts.contact("sales", ALICE, "Hello?", OLGA))
    assert contacted.outcome == ALREADY_OPEN and contacted.chat_id == 1
    assert len(t.to(ALICE)) == before


def test_unknown_node_and_blocked_text():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    assert result(core.contacts.contact("nosuch", BOB, "hi", IVAN)).outcome == UNKNOWN_NODE
    assert core.chats.idOfClient("nosuch", BOB) is None
    core.words.filters = MessageFilter.fromConfig(["corp.shop.example"], [])
    before = len(t.to(BOB))
    blocked = result(core.contacts.contact("sales", BOB, "see http://wiki.corp.shop.example/x",
                                           IVAN))
    assert blocked.outcome == BLOCKED
    assert len(t.to(BOB)) == before and core.chats.idOfClient("sales", BOB) is None


def test_contact_command_at_the_console():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.consoleSaid(IVAN, f"!contact {BOB} sales Your refund is done.")
    assert t.last(BOB).body == "Your refund is done."
    assert t.last(BOB).sender == "sales"
    console = [s.body for s in t.to(IVAN) if not s.sender]
    assert any("Chat #1 with bob@example.net is open" in b for b in console)


def test_contact_command_node_from_the_operators_only_node_and_errors():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.consoleSaid(IVAN, f"!contact {BOB} Hello from us")  # Ivan is only in sales
    assert t.last(BOB).body == "Hello from us"
    core.consoleSaid(IVAN, "!contact notajid hello")
    assert "is not a client's address" in t.last(IVAN).body
    core.consoleSaid(IVAN, f"!contact {ALICE}")
    assert "!contact" in t.last(IVAN).body, "usage: too few words"
    assert core.chats.idOfClient("sales", ALICE) is None
    core.consoleSaid(IVAN, f"!contact {BOB} again?")
    assert "already has chat #1 open" in t.last(IVAN).body


def test_help_lists_contact_at_the_console():
    core, clock, t, store = makeCore()
    online(core, IVAN)
    core.consoleSaid(IVAN, "!help")
    assert "!contact" in t.last(IVAN).body
