"""SplitTransport: visitors' traffic to the hub, the rest to XMPP."""
from __future__ import annotations

from imsupport.web.chat.transport import SplitTransport
from imsupport.web.chat.visitors import isVisitor, newAddress
from tests.unit.fakes import ALICE, IVAN, RecordingTransport


class Hub:
    def __init__(self):
        self.told = []

    def toVisitor(self, node, client, body, chatstate=None, oob=None):
        self.told.append((node, client, body, chatstate, oob))


def split():
    xmpp, hub = RecordingTransport(), Hub()
    return SplitTransport(xmpp, hub, isVisitor), xmpp, hub


def test_words_to_a_visitor_go_to_the_hub_and_to_anyone_else_over_xmpp():
    transport, xmpp, hub = split()
    visitor = newAddress("Anna")
    transport.toClient("sales", visitor, "hello", lang="en", receipt_id="r1")
    transport.toClient("sales", visitor, None, chatstate="composing")
    transport.toClient("sales", visitor, "https://h/f/t/a.png", oob="https://h/f/t/a.png")
    transport.toClient("sales", ALICE, "hi Alice", lang="en")
    assert hub.told == [("sales", visitor, "hello", None, None),
                        ("sales", visitor, None, "composing", None),
                        ("sales", visitor, "https://h/f/t/a.png", None, "https://h/f/t/a.png")]
    assert [(s.to, s.body) for s in xmpp.sent] == [(ALICE, "hi Alice")]


def test_receipts_and_node_presence_never_go_to_a_visitor():
    transport, xmpp, hub = split()
    visitor = newAddress("Anna")
    transport.receipt("sales", None, visitor, "m1")
    transport.nodePresence("sales", None, "Free", True, to=visitor)
    transport.receipt("sales", None, ALICE, "m2")
    transport.nodePresence("sales", None, "Free", True)
    assert [(s.kind, s.to) for s in xmpp.sent] == [("receipt", ALICE), ("presence", "*")]
    assert hub.told == []


def test_operators_chat_presence_and_subscriptions_go_over_xmpp():
    transport, xmpp, hub = split()
    transport.toOperator(IVAN, "New chat", node="sales", chat_id=1)
    transport.chatPresence(IVAN, "sales", 1, True, nick="#1", status="s")
    transport.subscribeOperator(IVAN, status="why", lang="en")
    assert [s.kind for s in xmpp.sent] == ["operator", "chatpresence", "subscribe"]
    assert hub.told == []
